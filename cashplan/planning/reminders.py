"""One reminder per customer with overdue invoices, in French and English, from templates.

The templates are Jinja2 text files, ``reminder.<language>.txt.j2``; their first
line is the subject. The package's own are in ``cashplan/planning/templates``
(``TEMPLATES``); to change them, copy them into a folder, edit the copies and pass
that folder as ``template_dir`` (a language without a copy there keeps the package's
template). Their tone follows the customer's dunning stage (``dunning.TONE_OF_STAGE``).

The statement lists every overdue invoice of the customer: those in dispute or
under a live promise are shown but not requested; open credit notes are
deducted. Amounts are in each invoice's own currency.

Text from the book that the templates put on one line (ids, name, contact, owner,
company, currency) is made :func:`one_line`: a contact such as ``"x@y.fr\\nBcc: ..."``
cannot add a line to the reminder's header, nor a name split the subject.

Examples
--------
>>> fmt_money(1234.5, "EUR", "fr"), fmt_money(1234.5, "GBP", "en")
('1 234,50 EUR', 'GBP 1,234.50')
>>> fmt_date(pd.Timestamp("2026-10-31"), "fr"), fmt_date(pd.Timestamp("2026-10-31"), "en")
('31/10/2026', '31 Oct 2026')
>>> one_line("x@y.fr\\r\\nBcc: evil@z.com")
'x@y.fr  Bcc: evil@z.com'
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Hashable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.errors import CashplanError
from cashplan.forecasting.promises import promised_dates

__all__ = ["LANGUAGES", "TEMPLATES", "fmt_date", "fmt_money", "one_line", "reminders"]

LANGUAGES = ("fr", "en")
_KEYS = ["company", "customer_id"]
TEMPLATES = Path(__file__).parent / "templates"
_COLUMNS = [
    "company",
    "customer_id",
    "language",
    "stage",
    "tone",
    "n_invoices",
    "overdue_rc",
    "contact",
    "subject",
    "body",
]
# line breaks (CR, LF, VT, FF, NEL, U+2028/9) and every other control character
_CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_CONTROL_RE = re.compile(_CONTROL)


def one_line(text: object) -> str:
    """``text`` on one line: line breaks and other control characters become a space."""
    return _CONTROL_RE.sub(" ", str(text))


def fmt_money(value: float, currency: str, language: str) -> str:
    """An amount as a reader of ``language`` expects it."""
    text = f"{value:,.2f}"
    if language == "fr":
        return text.replace(",", " ").replace(".", ",") + f" {currency}"
    return f"{currency} {text}"


def fmt_date(value: pd.Timestamp, language: str) -> str:
    """A date as a reader of ``language`` expects it."""
    return value.strftime("%d/%m/%Y" if language == "fr" else "%d %b %Y")


def _environment(template_dir: str | Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATES)]
    if template_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(template_dir))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["money"] = lambda v, cur, lang: fmt_money(float(v), cur, lang)
    env.filters["date"] = _date_filter
    return env


@functools.lru_cache(maxsize=1 << 14)
def _date_filter(value: Any, language: str) -> str:
    """``fmt_date`` for a template: a book has a few thousand distinct days, formatted once."""
    return fmt_date(pd.Timestamp(value), language)


def _template(env: jinja2.Environment, language: str) -> jinja2.Template:
    name = f"reminder.{language}.txt.j2"
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as err:
        raise CashplanError(
            f"{err.filename}, line {err.lineno}: {err.message}. Fix the "
            "template, or delete it to use the default one."
        ) from None
    except jinja2.TemplateNotFound:
        raise CashplanError(
            f"No reminder template for language {language!r}: add {name} to the template folder."
        ) from None


def reminders(
    items: pd.DataFrame,
    forecast_invoices: pd.DataFrame,
    stages: pd.DataFrame,
    as_of: str | pd.Timestamp,
    customers: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    languages: Sequence[str] = LANGUAGES,
    template_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Draft one reminder per customer of ``stages`` and language.

    Parameters
    ----------
    items : DataFrame
        ``open_items`` at ``as_of`` (amounts in the invoices' currencies).
    forecast_invoices : DataFrame
        ``Forecast.invoices`` (its ``basis`` marks disputed and promised invoices).
    stages : DataFrame
        ``dunning.customer_stages``: who gets a reminder, and its tone.

    Returns
    -------
    DataFrame
        company, customer_id, language, stage, tone, n_invoices, overdue_rc,
        contact, subject, body.
    """
    day = to_date(as_of)
    env = _environment(template_dir)
    templates = {lang: _template(env, lang) for lang in languages}
    lines, credits = _statements(items, forecast_invoices, stages, day, promises)
    # plain records, grouped once: pandas per-customer indexing costs ms per customer
    grouped = itertools.groupby(_records(credits), key=itemgetter(*_KEYS))
    by_credit = {k: list(g) for k, g in grouped}
    info = _customer_info(customers, _KEYS)
    stage_of = stages.set_index(_KEYS)[["stage", "tone"]].to_dict("index")
    rows: list[dict[str, Any]] = []
    for key, group in itertools.groupby(_records(lines), key=itemgetter(*_KEYS)):
        statement = list(group)
        stage = stage_of[key]
        who = info.get(key, {})
        context = _context(key, statement, by_credit.get(key, []), who, stage["tone"], day)
        for lang, template in templates.items():
            subject, _, body = template.render(**context).partition("\n")
            rows.append(
                {
                    "company": key[0],
                    "customer_id": key[1],
                    "language": lang,
                    "stage": int(stage["stage"]),
                    "tone": stage["tone"],
                    "n_invoices": len(statement),
                    "overdue_rc": sum(line["open_amount_rc"] for line in statement),
                    "contact": context["customer"]["contact"],
                    "subject": one_line(subject.split(":", 1)[-1]).strip(),
                    "body": body.strip("\n") + "\n",
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


class _Record(dict[Hashable, Any]):
    """A row for a template: a dict whose keys also read as attributes.

    Jinja reads ``line.amount`` as ``getattr(line, "amount")`` first, then
    ``line["amount"]``; on a plain dict the first try raises, which cost more than the
    rendering itself. A template sees the same values either way.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    """``frame.to_dict("records")`` (the same Python values), column by column."""
    names = list(frame.columns)
    columns = [_values(frame[name]) for name in names]
    return [_Record(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _values(col: pd.Series) -> list[Any]:
    if isinstance(col.dtype, np.dtype) and col.dtype.kind == "M":
        # the same Timestamps as ``tolist``, each distinct day made once (a book has a few
        # thousand days over a million invoices), not one object per cell
        codes, days = pd.factorize(col, use_na_sentinel=False)
        made = days.tolist()
        return [made[c] for c in codes.tolist()]
    values = col.tolist()
    if isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and col.hasnans:
        values = [None if v is pd.NA else v for v in values]  # as to_dict boxes a masked NA
    return values


def _statements(
    items: pd.DataFrame,
    forecast_invoices: pd.DataFrame,
    stages: pd.DataFrame,
    day: pd.Timestamp,
    promises: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The overdue invoices (with their status and days overdue) and the open credit notes
    of the customers of ``stages``, by customer."""
    keys = _KEYS
    basis = forecast_invoices.set_index(["company", "invoice_id"])["basis"]
    items = items.assign(
        status=basis.reindex(pd.MultiIndex.from_frame(items[["company", "invoice_id"]]))
        .map({"disputed": "disputed", "promise": "promised"})
        .fillna("due")
        .to_numpy(),
        promised_date=pd.to_datetime(promised_dates(items, promises, day)),
    )
    wanted = pd.MultiIndex.from_frame(stages[keys])
    mine = pd.MultiIndex.from_frame(items[keys]).isin(wanted)
    overdue = mine & np.asarray((items["due_date"] < day) & (items["open_amount"] > 0))
    credit = mine & np.asarray(items["open_amount"] < 0)
    cols = [
        *keys,
        "invoice_id",
        "issue_date",
        "due_date",
        "open_amount",
        "currency",
        "open_amount_rc",
        "status",
        "promised_date",
    ]
    lines = items.loc[overdue, cols].sort_values([*keys, "due_date", "invoice_id"])
    lines["days_overdue"] = (day - lines["due_date"]).dt.days
    lines["amount"] = lines["open_amount"]
    credits = items.loc[credit, cols].sort_values([*keys, "invoice_id"])
    credits["amount"] = credits["open_amount"]
    for frame in (lines, credits):  # as shown in the text (the keys stay exact)
        for column in ("invoice_id", "currency"):
            frame[column] = frame[column].astype(str).str.replace(_CONTROL, " ", regex=True)
    return lines, credits


def _context(
    key: tuple[str, str],
    statement: list[dict[Hashable, Any]],
    credits: list[dict[Hashable, Any]],
    who: dict[str, str],
    tone: str,
    day: pd.Timestamp,
) -> dict[str, Any]:
    """What a template reads of one customer: ``statement`` (its overdue invoices),
    ``credits`` (its open credit notes), ``who`` (name, contact, owner)."""
    return {
        "customer": {
            "id": one_line(key[1]),
            "name": who.get("name", ""),
            "contact": who.get("contact", ""),
        },
        "company": one_line(key[0]),
        "as_of": day,
        "tone": tone,
        "lines": statement,
        "credits": credits,
        "totals": _totals(statement, credits),
        "sender": who.get("owner") or "Credit management",
    }


def _customer_info(
    customers: pd.DataFrame | None, keys: list[str]
) -> dict[tuple[str, str], dict[str, str]]:
    if customers is None or customers.empty:
        return {}
    table = customers.drop_duplicates(keys)
    fields = ["name", "contact", "owner"]
    text = table[fields].fillna("").astype(str)
    text = text.apply(lambda c: c.str.replace(_CONTROL, " ", regex=True))
    # ``set_index(keys)[fields].to_dict("index")``, built from plain lists (iterating a
    # MultiIndex of Arrow text costs more than the rest)
    rows = zip(*(text[f].tolist() for f in fields), strict=True)
    who = zip(*(table[k].tolist() for k in keys), strict=True)
    return {key: dict(zip(fields, row, strict=True)) for key, row in zip(who, rows, strict=True)}


def _totals(
    lines: list[dict[Hashable, Any]], credits: list[dict[Hashable, Any]]
) -> list[dict[str, Any]]:
    owed: dict[str, float] = {}
    for line in [*(x for x in lines if x["status"] == "due"), *credits]:
        owed[line["currency"]] = owed.get(line["currency"], 0.0) + float(line["open_amount"])
    return [{"currency": cur, "amount": max(v, 0.0)} for cur, v in sorted(owed.items())]
