"""The gap: per company and month, the target against what is collected and forecast.

Decisions (also in the README):

- ``gap = target - (collected + forecast)``: positive means the month falls short.
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

import numpy as np
import pandas as pd

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
]


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, elementwise (``z`` may hold +-inf).

    >>> normal_cdf(np.array([0.0, np.inf])).tolist()
    [0.5, 1.0]
    """
    erf = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(0.5 * (1.0 + erf(np.asarray(z, dtype=float) / math.sqrt(2.0))), float)


def monthly_gap(targets: pd.DataFrame, months: pd.DataFrame) -> pd.DataFrame:
    """Join targets (``monthly_targets``) and the forecast by month (``Forecast.months``).

    Returns
    -------
    DataFrame
        ``company``, ``month``, ``status`` (closed/open), ``cash_need``, ``carried``,
        ``target``, ``collected`` (so far), ``forecast`` with ``forecast_p10`` and
        ``forecast_p90``, ``gap``, ``cumulative_gap``, ``probability``.
    """
    fc = months.set_index(["company", "month"])
    keys = pd.MultiIndex.from_frame(targets[["company", "month"]])
    closed = targets["closed"].to_numpy(bool)
    out = targets[["company", "month", "cash_need", "carried", "target"]].copy()
    out["status"] = np.where(closed, "closed", "open")
    collected = targets["collected"].fillna(0.0).to_numpy()
    out["collected"] = np.where(closed | targets["collected"].notna(), collected, np.nan)
    for name, column in (
        ("forecast", "expected"),
        ("forecast_p10", "p10"),
        ("forecast_p90", "p90"),
    ):
        values = fc[column].reindex(keys).fillna(0.0).to_numpy()
        out[name] = np.where(closed, np.nan, values)
    sd = np.where(closed, np.nan, fc["sd"].reindex(keys).fillna(0.0).to_numpy())
    got = collected + np.where(closed, 0.0, out["forecast"].to_numpy())
    out["gap"] = out["target"].to_numpy() - got
    open_gap = out["gap"].where(~closed, 0.0)
    out["cumulative_gap"] = open_gap.groupby(out["company"]).cumsum().where(~closed)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(
            sd > 0,
            -out["gap"].to_numpy() / np.where(sd > 0, sd, 1.0),
            np.where(out["gap"].to_numpy() <= 1e-9, np.inf, -np.inf),
        )
    out["probability"] = np.where(closed, np.nan, normal_cdf(z))
    return out[_COLUMNS].reset_index(drop=True)


def first_short_month(gap: pd.DataFrame, company: str) -> pd.Timestamp | None:
    """The first open month of ``company`` whose forecast falls short of its target, if any."""
    rows = gap.loc[(gap["company"] == company) & (gap["status"] == "open") & (gap["gap"] > 0.005)]
    return None if rows.empty else pd.Timestamp(rows["month"].min())
