"""Scenarios: a book's what-ifs as settings, and their comparison with the base.

A book's optional ``scenarios`` table (``scenario``, ``parameter``, ``value``,
optional ``company``; checked when the book is read, :mod:`cashplan.core.rules`)
names what-ifs. Rows of one scenario combine. :func:`scenario_changes` turns each
scenario into changes of :class:`~cashplan.app.analysis.Settings`, so that a
scenario is ``analysis.replace(**changes)``: the payer scores and the fitted
models (the delay model, the invoicing and the lags) are reused, and only the
forecast, the new sales, the need and what follows are recomputed.

The parameters (``core/scenarios.py``; an empty ``company`` means every company):

- ``sales_factor``: multiplies the invoicing still to come, the model's and the sales
  plan's, with its band (``Settings.sales_factor``);
- ``delay_shift_days``: every customer pays that many days later: each open invoice as
  an adjustment's shift moves it (promised and pinned dates stay), and the new sales'
  issue-to-payment lags (``Settings.delay_shift_days``);
- ``spending.<category>``: that amount added to the category in each open month, in
  the company's spending currency (``Settings.spending_add``);
- ``customer_delay:<customer_id>``: that customer's open invoices that many days later,
  on top of ``delay_shift_days`` (``Settings.customer_delay``);
- ``safety_margin``, ``catch_up``: as the report parameters (every company).

:func:`comparison` and :func:`scenario_overview` put the scenarios beside the base.

Examples
--------
>>> rows = pd.DataFrame({"scenario": ["downturn", "downturn", "hire"],
...     "parameter": ["sales_factor", "delay_shift_days", "spending.salaries"],
...     "value": [0.8, 15.0, 30000.0], "company": ["", "", "FR01"]})
>>> scenario_changes(rows, ["FR01", "UK01"])
{'downturn': {'sales_factor': 0.8, 'delay_shift_days': 15}, 'hire': {'spending_add': \
{'FR01/salaries': 30000.0}}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cashplan.core.scenarios import BASE, split_parameters

if TYPE_CHECKING:  # the analysis imports this module
    from cashplan.app.analysis import Analysis, Settings

__all__ = [
    "BASE",
    "COMPARISON_COLUMNS",
    "comparison",
    "customer_delays",
    "scenario_changes",
    "scenario_overview",
    "settings_rows",
]

COMPARISON_COLUMNS = [
    "scenario",
    "company",
    "month",
    "total_forecast",
    "gap",
    "probability",
    "closing_cash",
]
_LEVERS = {  # a per-company parameter: (Settings field, its neutral value, integer)
    "sales_factor": ("sales_factor", 1.0, False),
    "delay_shift_days": ("delay_shift_days", 0, True),
}


def scenario_changes(
    scenarios: pd.DataFrame, companies: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Each scenario's changes of ``Settings``, in the order the scenarios first appear.

    Parameters
    ----------
    scenarios : DataFrame
        The book's typed ``scenarios`` table (validated: known parameters, values in range).
    companies : sequence of str
        The book's companies (a per-company lever given for some becomes a mapping).

    Returns
    -------
    dict
        scenario -> {Settings field: value}.
    """
    parts = split_parameters(scenarios["parameter"])
    table = scenarios.assign(kind=parts["kind"], target=parts["target"])
    out: dict[str, dict[str, Any]] = {}
    for name, rows in table.groupby("scenario", sort=False):
        changes: dict[str, Any] = {}
        for kind, (field, neutral, integer) in _LEVERS.items():
            given = rows.loc[rows["kind"] == kind]
            if len(given):
                changes[field] = _per_company(given, companies, neutral, integer)
        for kind, field in (("spending", "spending_add"), ("customer_delay", "customer_delay")):
            given = rows.loc[rows["kind"] == kind]
            if len(given):
                target = given["target"].str.lower() if kind == "spending" else given["target"]
                keys = np.where(given["company"] != "", given["company"] + "/" + target, target)
                cast = int if kind == "customer_delay" else float
                changes[field] = {
                    str(k): cast(v) for k, v in zip(keys, given["value"], strict=True)
                }
        for kind, field in (("safety_margin", "safety_margin"), ("catch_up", "k")):
            values = rows.loc[rows["kind"] == kind, "value"].tolist()
            if values:
                changes[field] = int(values[-1]) if field == "k" else float(values[-1])
        out[str(name)] = changes
    return out


def _per_company(
    rows: pd.DataFrame, companies: Sequence[str], neutral: float, integer: bool
) -> float | int | dict[str, float | int]:
    """One value for all (a row without company), or a mapping when a row names a company."""
    cast = int if integer else float
    every = rows.loc[rows["company"] == "", "value"]
    shared = cast(every.iloc[-1]) if len(every) else cast(neutral)
    own = rows.loc[rows["company"] != ""]
    if own.empty:
        return shared
    values = dict(zip(own["company"], own["value"].map(cast), strict=True))
    return {c: values.get(c, shared) for c in companies}


def customer_delays(
    customers: pd.DataFrame,
    delay_shift_days: int | Mapping[str, int],
    customer_delay: Mapping[str, int],
) -> pd.Series | None:
    """Days each customer pays later, indexed by (company, customer_id); None when none.

    ``customers``: company, customer_id (``CollectionForecaster.customers_``). A
    customer's own delay adds to its company's shift. Vectorised over customers; one
    pass per ``customer_delay`` key.

    >>> who = pd.DataFrame({"company": ["A", "A", "B"], "customer_id": ["C1", "C2", "C1"]})
    >>> customer_delays(who, {"A": 10, "B": 0}, {"B/C1": 30}).tolist()
    [10, 10, 30]
    >>> customer_delays(who, 0, {}) is None
    True
    """
    company = customers["company"].to_numpy(dtype=object)
    if isinstance(delay_shift_days, Mapping):
        days = pd.Series(company).map(delay_shift_days).fillna(0).to_numpy(dtype=np.int64)
    else:
        days = np.full(len(customers), int(delay_shift_days), dtype=np.int64)
    ids = customers["customer_id"].to_numpy(dtype=object)
    for key, extra in customer_delay.items():
        owner, _, customer = key.rpartition("/")
        hit = (ids == customer) & ((company == owner) if owner else True)
        days = days + np.where(hit, int(extra), 0)
    if not days.any():
        return None
    return pd.Series(days, index=pd.MultiIndex.from_frame(customers[["company", "customer_id"]]))


def comparison(analyses: Mapping[str, Analysis]) -> pd.DataFrame:
    """Every scenario beside the base, per company (and ``ALL``) and open month.

    ``analyses``: scenario name -> analysis (the base first, as ``Analysis.scenarios``
    gives them). Returns :data:`COMPARISON_COLUMNS` (``scenarios.csv``): the month's
    total cash-in forecast, its gap, P(target met) and the closing cash at the month
    end (empty beyond the position's 13 weeks).
    """
    frames = []
    for name, a in analyses.items():
        gap = a.gap.loc[a.gap["status"] != "closed"]
        closing = a.month_end[["company", "month", "closing_cash"]]
        rows = gap.merge(closing, on=["company", "month"], how="left")
        frames.append(rows.assign(scenario=name)[COMPARISON_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out.assign(month=out["month"].dt.strftime("%Y-%m"))


def scenario_overview(analyses: Mapping[str, Analysis]) -> pd.DataFrame:
    """Per scenario and company (and ``ALL``): the open months' cash-in and gap, the lowest
    point of the 13 weeks and its week, and the runway in weeks (inf: beyond 52).

    Returns scenario, company, total_forecast, gap (the sum of the open months' shortfalls),
    lowest_cash, lowest_week, runway_weeks.
    """
    frames = []
    for name, a in analyses.items():
        gap = a.gap.loc[a.gap["status"] != "closed"]
        sums = gap.groupby("company", sort=False).agg(
            total_forecast=("total_forecast", "sum"),
            gap=("gap", lambda g: g.clip(lower=0).sum()),
        )
        runway = a.runway.set_index("company")[["lowest_closing", "lowest_week", "runway_weeks"]]
        both = sums.join(runway.rename(columns={"lowest_closing": "lowest_cash"}), how="left")
        frames.append(both.reset_index().assign(scenario=name))
    out = pd.concat(frames, ignore_index=True)
    cols = ["total_forecast", "gap", "lowest_cash", "lowest_week", "runway_weeks"]
    return out[["scenario", "company", *cols]]


def settings_rows(
    settings: Settings, base: Settings, spending_base: Mapping[str, float]
) -> pd.DataFrame:
    """The ``scenarios`` rows (parameter, value, company) that say how ``settings`` differ
    from ``base``: what the workbook saves as a named scenario.

    A spending override (``Settings.spending``: an amount for every open month) is saved as
    the addition that moves ``spending_base`` (the amount its box started from, keyed
    ``company/category``) to it. Settings that are not scenario parameters (the scope,
    the threshold, the floor, cash on hand) are not saved.

    >>> from cashplan.app.analysis import Settings
    >>> base = Settings(as_of="2026-10-31")
    >>> now = Settings(as_of="2026-10-31", sales_factor=0.9, k=3,
    ...     spending={"FR01/salaries": 130.0})
    >>> settings_rows(now, base, {"FR01/salaries": 100.0}).to_dict("records")
    [{'parameter': 'sales_factor', 'value': 0.9, 'company': ''}, \
{'parameter': 'catch_up', 'value': 3.0, 'company': ''}, \
{'parameter': 'spending.salaries', 'value': 30.0, 'company': 'FR01'}]
    """
    rows: list[tuple[str, float, str]] = []
    for field in ("sales_factor", "delay_shift_days"):
        value, neutral = getattr(settings, field), getattr(base, field)
        if isinstance(value, Mapping):
            rows += [(field, float(v), c) for c, v in value.items() if v != neutral]
        elif value != neutral:
            rows.append((field, float(value), ""))
    for field, name in (("safety_margin", "safety_margin"), ("k", "catch_up")):
        if getattr(settings, field) != getattr(base, field):
            rows.append((name, float(getattr(settings, field)), ""))
    added: dict[str, float] = dict(settings.spending_add)
    for key, amount in settings.spending.items():
        added[key] = added.get(key, 0.0) + float(amount) - float(spending_base.get(key, 0.0))
    for key, amount in added.items():
        company, _, category = key.rpartition("/")
        if round(amount, 2) != 0:
            rows.append((f"spending.{category}", round(amount, 2), company))
    for key, days in settings.customer_delay.items():
        company, _, customer = key.rpartition("/")
        rows.append((f"customer_delay:{customer}", float(days), company))
    return pd.DataFrame(rows, columns=["parameter", "value", "company"])
