"""What the notebooks call: load an analysis from parameters, show tables and text.

Notebooks hold no logic of their own: each cell calls one function here, in
:mod:`cashplan.app.charts` or in :mod:`cashplan.app.workbook`.

Examples
--------
>>> frame = pd.DataFrame({"company": ["FR01"], "target": [1234567.891], "cei": [0.8532]})
>>> html = styled(frame, money=["target"], pct=["cei"], uuid="demo").to_html()
>>> "1,234,568" in html and "85.3%" in html and "T_demo" in html
True

Text from the book is shown as text: the tables escape it for HTML, the summary for
markdown and HTML.

>>> "&lt;b&gt;" in styled(pd.DataFrame({"name": ["<b>"]})).to_html()
True
>>> print(markdown_text("*A* <b>"))
\\*A\\* \\<b\\>
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from cashplan.app.analysis import Analysis, Settings
from cashplan.app.jupyter import skip_slow_uri_grammar
from cashplan.core.dates import ALL
from cashplan.core.errors import CashplanError
from cashplan.forecasting.disputes import policy_sentence
from cashplan.io.book import Book, read_book
from cashplan.io.snapshot import SNAPSHOT_ENV
from cashplan.planning.cash_position import position_sentence
from cashplan.planning.review import Review

__all__ = [
    "ANALYSIS_ENV",
    "hand_over",
    "lineage",
    "load",
    "markdown_text",
    "review_markdown",
    "scenario_table",
    "scenarios_markdown",
    "setup",
    "styled",
    "summary_markdown",
    "warm_up",
    "with_review",
]

ANALYSIS_ENV = "CASHPLAN_ANALYSIS"
"""The environment variable naming the analysis ``cashplan report`` computed for its kernel
(:func:`hand_over`); :func:`load` uses it only when it was made from the same book and settings."""
# what the report shows: computed by hand_over (with every piece they depend on)
_SHOWN = (
    "gap",
    "position",
    "month_end",
    "runway",
    "cash_in",
    "customer_table",
    "aged",
    "kpis",
    "stages",
    "plan",
    "scenario_comparison",
    "scenario_overview",
)

# every ASCII punctuation character backslash-escaped (CommonMark), control characters a space
_MARKDOWN = str.maketrans(
    {c: "\\" + c for c in string.punctuation}
    | dict.fromkeys([*map(chr, range(32)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029"], " ")
)


def setup() -> None:
    """Charts as plotly JSON outputs: JupyterLab draws them, the notebook stays small.

    The report's HTML export embeds plotly.js once (``report.to_html``).
    """
    skip_slow_uri_grammar()
    import plotly.io as pio

    pio.renderers.default = "plotly_mimetype"


def warm_up() -> None:
    """What the report's kernel does while it waits for its first cell (``cashplan report``
    preloads it): :func:`setup`, and plotly's template and trace types built once, the first
    chart's 0.1-0.2 s. Nothing it does shows in the notebook.

    >>> import plotly.io as pio
    >>> warm_up()
    >>> pio.renderers.default
    'plotly_mimetype'
    """
    setup()
    import plotly.graph_objects as go

    go.Figure(data=[go.Bar(), go.Scatter()], layout={"template": "plotly_white"})


def load(
    book: str,
    as_of: str,
    *,
    company: str = "",
    currency: str = "EUR",
    spending: Mapping[str, float] | None = None,
    catch_up: int = 1,
    threshold: float = 60.0,
    safety_margin: float = 0.0,
    dispute_policy: str = "auto",
    discount_rate: float = 0.02,
    cost_of_funds: float = 0.05,
    cash_floor: float | Mapping[str, float] = 0.0,
) -> Analysis:
    """Read ``book`` and set up its analysis from the report's parameters (keyword only:
    two swapped numbers never pass unnoticed; ``Settings`` checks each range).

    In a kernel started by ``cashplan report``, the book as the report checked it is
    loaded from the snapshot named by the environment variable
    :data:`~cashplan.io.snapshot.SNAPSHOT_ENV` when it was saved from the same files
    (their sha256); anywhere else (an auditor re-running the notebook) the book is read.
    """
    data = read_book(
        book, reporting_currency=currency, snapshot=os.environ.get(SNAPSHOT_ENV) or None
    )
    if company and company not in data.companies:
        raise CashplanError(
            f"no company {company!r} in {book}; it has: " + ", ".join(data.companies)
        )
    settings = _settings(
        as_of,
        company=company,
        spending=spending,
        catch_up=catch_up,
        threshold=threshold,
        safety_margin=safety_margin,
        dispute_policy=dispute_policy,
        discount_rate=discount_rate,
        cost_of_funds=cost_of_funds,
        cash_floor=cash_floor,
    )
    handed = _handed_over(data, settings)
    return handed if handed is not None else Analysis(data, settings)


def _settings(
    as_of: str,
    *,
    company: str,
    spending: Mapping[str, float] | None,
    catch_up: int,
    threshold: float,
    safety_margin: float,
    dispute_policy: str,
    discount_rate: float,
    cost_of_funds: float,
    cash_floor: float | Mapping[str, float],
) -> Settings:
    """The report's parameters as :class:`Settings` (what :func:`load` and
    :func:`hand_over` both build)."""
    return Settings(
        as_of=str(pd.Timestamp(as_of).date()),
        company=company or None,
        k=catch_up,
        threshold=threshold,
        safety_margin=safety_margin,
        dispute_policy=dispute_policy,  # type: ignore[arg-type]
        discount_rate=discount_rate,
        cost_of_funds=cost_of_funds,
        spending=dict(spending or {}),
        cash_floor=cash_floor,
    )


def hand_over(data: Book, path: str | Path, parameters: Mapping[str, Any]) -> None:
    """Compute the analysis :func:`load` builds from ``data`` and the report notebook's
    ``parameters`` (all of them: those :func:`load` takes are used), with every piece the
    report shows, and save it as ``path`` for the report's kernel (named to it by
    :data:`ANALYSIS_ENV`).

    ``cashplan report`` calls it while its kernel starts: the notebook's first cell then
    finds the figures computed. :func:`load` uses it only under the same key (book path,
    files' sha256, reporting currency, settings, cashplan version), else computes as usual
    (a notebook re-run by an auditor never sees one).

    The file is a pickle, and loading a pickle runs what it says: one is loaded only from
    the path the report's own process gave its own kernel, written by that process seconds
    earlier into the report's temporary folder (created by it, under its lock, beside the
    target), and removed before the report is written. It is written whole or not at all.
    """
    taken = set(inspect.signature(_settings).parameters) - {"as_of"}
    settings = _settings(
        str(parameters["as_of"]), **{k: v for k, v in parameters.items() if k in taken}
    )
    a = Analysis(data, settings)
    for name in _SHOWN:
        getattr(a, name)
    a.reminders()  # the report's reminders/ (write_outputs)
    path = Path(path)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as file:
            pickle.dump((_key(a.book, a.settings), a), file, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(path)  # whole or absent
    finally:
        part.unlink(missing_ok=True)


def _key(data: Book, settings: Settings) -> tuple[Any, ...]:
    from cashplan import __version__

    return (__version__, str(data.path), data.reporting_currency, data.sources, settings)


def _handed_over(data: Book, settings: Settings) -> Analysis | None:
    """The analysis :func:`hand_over` saved for this book and these settings, or None
    (none named, another key, or a file that does not load)."""
    path = os.environ.get(ANALYSIS_ENV)
    if not path:
        return None
    with contextlib.suppress(Exception), open(path, "rb") as file:
        key, a = pickle.load(file)  # our own file: see hand_over
        if isinstance(a, Analysis) and key == _key(data, settings):
            return a
    return None


def styled(
    frame: pd.DataFrame,
    money: Sequence[str] = (),
    pct: Sequence[str] = (),
    days: Sequence[str] = (),
    uuid: str = "table",
    compact: bool = False,
) -> Styler:
    """A table for reading: thousands separators, percentages, no index, stable HTML ids.

    Text cells and column headers are HTML-escaped (a name from the book is shown, never
    run). ``compact`` packs a wide table (smaller type, less padding) to fit a laptop's screen.
    """
    formats: dict[str, Any] = {c: "{:,.0f}" for c in money}
    formats |= {c: "{:.1%}" for c in pct}
    formats |= {c: "{:,.1f}" for c in days}
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    formats |= dict.fromkeys(dates, _iso_date)
    style = frame.style.format(formats, na_rep="", escape="html")
    rest = frame.columns[~frame.columns.isin(list(formats))]
    if len(rest):  # pandas' default display, escaped
        style = style.format(None, subset=rest, escape="html")
    style = style.format_index(escape="html", axis="columns")
    style = style.hide(axis="index").set_uuid(uuid)
    return style.set_table_styles(
        [
            {
                "selector": "td, th",
                "props": "padding: 1px 5px; font-size: 12px; line-height: 1.3; white-space: nowrap"
                if compact
                else "padding: 2px 8px; white-space: nowrap",
            },
            {"selector": "td", "props": "text-align: right"},
        ]
    )


def _iso_date(value: Any) -> str:
    return "" if pd.isna(value) else f"{value:%Y-%m-%d}"


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {markdown_text(currency)}"


def markdown_text(text: object) -> str:
    """``text`` for a markdown line: shown as written, never markup, a link or HTML.

    Every ASCII punctuation character gets a backslash (CommonMark shows it literally; the
    renderers then HTML-escape ``<``, ``&`` and quotes); line breaks and other control
    characters become a space, so a value cannot start a new block.
    """
    return str(text).translate(_MARKDOWN)


def summary_markdown(a: Analysis) -> str:
    """The report's opening lines: cash need, target, forecast, gap and its probability."""
    cur = a.book.reporting_currency
    company = a.settings.company
    scope = markdown_text(company) if company else "all companies (consolidated)"
    rows = a.view(a.gap)
    open_rows = rows.loc[rows["status"] == "open"]
    items = a.scoped(a.items)
    overdue = items.loc[items["days_past_due"] > 0, "open_amount_rc"].sum()
    sentence = position_sentence(a.runway, company=company or ALL, currency=cur)
    lines = [
        f"**{scope}**, as of **{a.day:%Y-%m-%d}**, amounts in {markdown_text(cur)}.",
        "",
        markdown_text(sentence),
        "",
        f"Open receivables: **{_money(items['open_amount_rc'].sum(), cur)}** on "
        f"{len(items):,} open items, of which {_money(overdue, cur)} overdue.",
        "",
        markdown_text(_dispute_sentence(a)),
        "",
        "| month | cash need | target | open book | new sales | total (p10 - p90) | gap "
        "| P(target met) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in open_rows.itertuples():
        lines.append(
            f"| {r.month:%Y-%m} | {r.cash_need:,.0f} | {r.target:,.0f} | {r.forecast:,.0f} "
            f"| {r.new_forecast:,.0f} | {r.total_forecast:,.0f} "
            f"({r.total_p10:,.0f} - {r.total_p90:,.0f}) | {r.gap:,.0f} | {r.probability:.0%} |"
        )
    lines += ["", _plan_sentence(a, cur), "", _new_sales_sentence(a)]
    lines.append("")
    lines.append(
        "Gap = target - (collected + open book + new sales); positive means short. "
        "Open book: the invoices issued by as-of; new sales: the cash of invoices not issued yet."
    )
    return "\n".join(lines)


def scenario_table(a: Analysis) -> pd.DataFrame:
    """Each scenario beside the base for the chosen scope: the open months' cash-in and
    shortfall, P(target met) of the first open month, the lowest point and the runway."""
    overview = a.view(a.scenario_overview).drop(columns="company")
    rows = a.view(a.scenario_comparison)
    first = rows.groupby("scenario", sort=False)[["month", "probability"]].first()
    table = overview.join(first["probability"].rename("P(target met), 1st month"), on="scenario")
    weeks = table["runway_weeks"]
    table["runway_weeks"] = weeks.map("{:.0f}".format).where(weeks != float("inf"), "52+")
    return table.rename(
        columns={
            "total_forecast": "cash-in, open months",
            "gap": "shortfall, open months",
            "lowest_cash": "lowest cash",
            "lowest_week": "lowest in week",
            "runway_weeks": "runway (weeks)",
        }
    )


def scenarios_markdown(a: Analysis) -> str:
    """One line on the book's scenarios (the report's summary): each one's shortfall and
    lowest point against the base's; '' when the book has none."""
    if len(a.scenarios) < 2:
        return ""
    cur = a.book.reporting_currency
    table = a.view(a.scenario_overview).set_index("scenario")
    parts = [
        f"{markdown_text(name)}: shortfall {_money(gap, cur)}, lowest {_money(low, cur)}"
        for name, gap, low in zip(
            table.index, table["gap"].astype(float), table["lowest_cash"].astype(float), strict=True
        )
    ]
    return "Scenarios (open months): " + "; ".join(parts) + "."


def _dispute_sentence(a: Analysis) -> str:
    """What the forecast did with the open disputed invoices, in the summary's scope."""
    table = a.forecast.disputes
    if a.settings.company:
        table = table.loc[table["company"] == a.settings.company]
    return policy_sentence(table, a.book.reporting_currency)


def _plan_sentence(a: Analysis, cur: str) -> str:
    """What the battle plan chases and how much of the gap the open invoices can close."""
    plan = a.plan
    if plan.month is None:
        return "The forecast covers every open month's target: no battle plan needed."
    text = (
        f"First short month: **{plan.month:%Y-%m}**, gap **{_money(plan.gap, cur)}**. "
        f"The battle plan chases open invoices only: its {len(plan.actions)} actions are "
        f"expected to bring {_money(plan.covered, cur)} ({plan.covered / plan.gap:.0%} of the gap)."
    )
    if plan.covered < plan.gap - 0.005:
        text += (
            " The open invoices alone cannot close it: the rest needs more sales, "
            "credit or lower spending."
        )
    return text


def _new_sales_sentence(a: Analysis) -> str:
    """Where the new sales figure comes from: the model (which) or the sales plan (months)."""
    summary = a.invoicing.summary_
    if a.settings.company:
        summary = summary.loc[summary["company"] == a.settings.company]
    methods = {
        "ets": "AutoETS on the monthly invoicing (trend, yearly season)",
        "median": "the median of the last 6 months' invoicing",
        "short_history": "the average so far: under 3 months of history, a wide band",
    }
    parts = [
        f"{markdown_text(str(r.company))}: {methods.get(str(r.method), str(r.method))}"
        for r in summary.itertuples()
    ]
    monthly = a.scoped(a.new_sales.monthly)
    planned = monthly.loc[monthly["source"] == "sales_plan"]
    text = "New sales come from the book's invoicing history (" + "; ".join(parts) + ")"
    if len(planned):
        months = ", ".join(
            f"{markdown_text(str(c))} {m:%Y-%m}"
            for c, m in zip(planned["company"], planned["month"], strict=True)
        )
        text += f", and from the CFO's sales plan for {months}"
    return text + "."


def lineage(a: Analysis) -> pd.DataFrame:
    """Every input file with its sha256, then the settings: what produced the figures."""
    from cashplan import __version__

    files = pd.DataFrame(
        [(s.table, Path(s.path).name, s.sha256) for s in a.book.sources],
        columns=["table", "file", "sha256"],
    )
    settings = {
        "book": str(a.book.path),
        **a.settings.__dict__,
        "reporting_currency": a.book.reporting_currency,
        "cashplan": __version__,
    }
    extra = pd.DataFrame(
        [("setting", k, str(v)) for k, v in settings.items()], columns=["table", "file", "sha256"]
    )
    return pd.concat([files, extra], ignore_index=True)


def with_review(
    a: Analysis, previous: str = "", *, learn_levers: bool = True
) -> tuple[Analysis, Review | None]:
    """Last month's report (folder ``previous``) held against this analysis's book
    (:func:`cashplan.planning.review.review`); with ``learn_levers``, the analysis whose
    plan uses the levers' learned success rates. Without ``previous``: ``(a, None)``.

    Raises
    ------
    CashplanError
        When ``previous`` is not last month's report of this book
        (:func:`cashplan.io.previous.check_previous`).
    """
    if not previous:
        return a, None
    from cashplan.io.previous import check_previous, read_previous
    from cashplan.planning.review import review

    last = read_previous(previous)
    check_previous(last, a.book, a.day, a.settings.company or "")
    result = review(last, a.book, a.day)
    if learn_levers:
        rates = result.levers.set_index("lever")["posterior"]
        a = a.replace(lever_success={str(k): float(v) for k, v in rates.items()})
    return a, result


def review_markdown(a: Analysis, r: Review) -> str:
    """The review's opening lines: forecast against collected, promises, actions done."""
    cur = a.book.reporting_currency
    weeks = a.view(r.weekly)
    forecast, actual = weeks["forecast"].sum(), weeks["actual"].sum()
    promises = r.invoices.loc[r.invoices["kind"] == "promise", "status"]
    acts = r.actions
    done = acts.loc[acts["done"]]
    rate = f"{actual / forecast:.0%}" if forecast else "n/a"
    gap = _money(forecast - actual, cur)
    return "\n".join(
        [
            f"From **{r.since:%Y-%m-%d}** to **{r.until:%Y-%m-%d}** ({len(weeks)} weeks): "
            f"last month's forecast of the cash-in **{_money(forecast, cur)}**, collected "
            f"**{_money(actual, cur)}** ({rate} of it); difference {gap}.",
            "",
            f"Promises that fell due: {int((promises == 'kept').sum())} kept, "
            f"{int((promises == 'broken').sum())} broken, {int((promises == 'pending').sum())} "
            "within their tolerance.",
            "",
            f"Last month's battle plan: {len(acts)} actions, {len(done)} done "
            f"({int(done['success'].sum())} with every invoice paid), {len(acts) - len(done)} "
            f"only planned; their invoices brought {_money(acts['collected_rc'].sum(), cur)} "
            f"(the actions done {_money(done['collected_rc'].sum(), cur)}).",
        ]
    )
