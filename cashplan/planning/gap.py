"""The gap: per company and month, the target against what is collected and forecast.

Decisions (also in the README):

- ``gap = target - (collected + total_forecast)``: positive means the month falls short.
  The total is the open book's forecast plus the cash of invoices not issued yet
  (``totals``, :func:`cashplan.forecasting.cash_in.total_monthly`); ``gap_open_book``
  is the gap on the open book alone (what the battle plan can chase).
  A closed month has no forecast: its gap is what it actually missed. The as-of
  month, when still running, adds what was collected so far to the forecast of
  its remaining days.
- ``cumulative_gap`` runs over the open months only, from the as-of month on:
  the targets of open months already carry the closed months' shortfalls, so a
  running sum over closed months would count a shortfall twice.
- ``probability`` is the chance that the month's target is met under the
  forecast's own uncertainty (normal approximation, the forecast's ``sd``);
  empty for closed months, whose outcome is known.

Examples
--------
>>> targets = pd.DataFrame({"company": ["A", "A"],
...     "month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
...     "cash_need": [100.0, 100.0], "carried": [0.0, 20.0], "target": [100.0, 120.0],
...     "collected": [80.0, float("nan")], "closed": [True, False]})
>>> months = pd.DataFrame({"company": ["A"], "month": pd.to_datetime(["2026-11-01"]),
...     "expected": [110.0], "p10": [97.2], "p90": [122.8], "sd": [10.0]})
>>> table = monthly_gap(targets, months)
>>> table[["gap", "cumulative_gap"]].to_dict("list")
{'gap': [20.0, 10.0], 'cumulative_gap': [nan, 10.0]}
>>> round(float(table["probability"].iloc[1]), 3)  # P(N(110, 10) >= 120)
0.159
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cashplan.fast.frames import key_positions

__all__ = ["first_short_month", "monthly_gap", "normal_cdf"]

_COLUMNS = [
    "company",
    "month",
    "status",
    "cash_need",
    "carried",
    "target",
    "collected",
    "forecast",
    "forecast_p10",
    "forecast_p90",
    "gap",
    "cumulative_gap",
    "probability",
    "new_forecast",
    "total_forecast",
    "total_p10",
    "total_p90",
    "gap_open_book",
]


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, elementwise (``z`` may hold +-inf).

    >>> normal_cdf(np.array([0.0, np.inf])).tolist()
    [0.5, 1.0]
    """
    erf = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(0.5 * (1.0 + erf(np.asarray(z, dtype=float) / math.sqrt(2.0))), float)


def monthly_gap(
    targets: pd.DataFrame, months: pd.DataFrame, totals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Join targets (``monthly_targets``), the open book's forecast by month (``Forecast.months``)
    and the total cash-in (``total_monthly``: open book + invoices not issued yet).

    Without ``totals`` the total is the open book's forecast alone.

    Returns
    -------
    DataFrame
        ``company``, ``month``, ``status`` (closed/open), ``cash_need``, ``carried``,
        ``target``, ``collected`` (so far), ``forecast`` (open book) with ``forecast_p10``
        and ``forecast_p90``, ``gap``, ``cumulative_gap``, ``probability`` (on the total),
        ``new_forecast``, ``total_forecast``, ``total_p10``, ``total_p90``, ``gap_open_book``.
    """
    closed = targets["closed"].to_numpy(bool)
    out: dict[str, Any] = {k: targets[k] for k in ("company", "month")}
    out["status"] = np.where(closed, "closed", "open")
    out |= {k: targets[k].to_numpy(dtype=float) for k in ("cash_need", "carried", "target")}
    collected = targets["collected"].to_numpy(dtype=float)
    known = ~np.isnan(collected)
    collected = np.where(known, collected, 0.0)
    out["collected"] = np.where(closed | known, collected, np.nan)
    if totals is None:
        totals = months.assign(
            new_forecast=0.0,
            total_forecast=months["expected"],
            total_p10=months["p10"],
            total_p90=months["p90"],
            total_sd=months["sd"],
        )
    columns = {"forecast": "expected", "forecast_p10": "p10", "forecast_p90": "p90"}
    out |= _open_months(targets, months, closed, columns)
    names = ("new_forecast", "total_forecast", "total_p10", "total_p90", "total_sd")
    out |= _open_months(targets, totals, closed, {n: n for n in names})
    target = out["target"]
    out["gap_open_book"] = target - collected - np.where(closed, 0.0, out["forecast"])
    out["gap"] = target - collected - np.where(closed, 0.0, out["total_forecast"])
    out["cumulative_gap"] = np.where(
        closed, np.nan, _running(np.where(closed, 0.0, out["gap"]), targets["company"])
    )
    out["probability"] = np.where(closed, np.nan, _met(out["gap"], out["total_sd"]))
    # one frame built at once (a column at a time: most of the gap's time on the sample)
    return pd.DataFrame({k: out[k] for k in _COLUMNS}).reset_index(drop=True)


def _open_months(
    targets: pd.DataFrame, table: pd.DataFrame, closed: np.ndarray, columns: dict[str, str]
) -> dict[str, np.ndarray]:
    """``table``'s columns on ``targets``' rows for the open months (a closed month has none,
    a month missing from ``table`` has 0): the rows looked up once for every column."""
    keys = ["company", "month"]
    at = key_positions(targets, table, keys)  # a MultiIndex join: a few ms at each change
    found = at >= 0  # -1: not in the table (its keys are unique)
    out = {}
    for name, column in columns.items():
        given = table[column].to_numpy(dtype=float)
        values = given[np.maximum(at, 0)] if len(given) else np.zeros(len(at))
        values = np.where(found & ~np.isnan(values), values, 0.0)
        out[name] = np.where(closed, np.nan, values)
    return out


def _running(values: np.ndarray, company: pd.Series) -> np.ndarray:
    """The running sum of ``values`` within each company, in row order (NaN left out)."""
    codes, uniques = pd.factorize(company)
    out = np.empty(len(values))
    for k in range(len(uniques)):  # a loop per company
        rows = np.flatnonzero(codes == k)
        out[rows] = np.nancumsum(values[rows])
    return np.where(np.isnan(values), np.nan, out)


def _met(gap: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """P(target met) = P(cash-in >= expected + gap) under a normal with ``sd``."""
    spread = np.where(np.isnan(sd), 0.0, sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(
            spread > 0,
            -gap / np.where(spread > 0, spread, 1.0),
            np.where(gap <= 1e-9, np.inf, -np.inf),
        )
    return normal_cdf(z)


def first_short_month(gap: pd.DataFrame, company: str) -> pd.Timestamp | None:
    """The first open month of ``company`` whose forecast falls short of its target, if any."""
    short = (
        (gap["company"].to_numpy(dtype=object) == company)
        & (gap["status"].to_numpy(dtype=object) == "open")
        & (gap["gap"].to_numpy(dtype=float) > 0.005)
    )  # on arrays: the workbook asks after every change, pandas' masks cost more than this
    return pd.Timestamp(gap["month"].to_numpy()[short].min()) if short.any() else None
