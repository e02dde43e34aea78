"""The whole cash-in: the cash of invoices not issued yet, and its total with the open book.

- ``new_sales`` fits the invoicing model (:mod:`cashplan.forecasting.new_sales`) and the lag
  model (:mod:`cashplan.forecasting.issue_lag`) at as-of; ``new_sales_forecast`` turns fitted
  models (and an optional sales plan) into cash per week and per month window, for
  each company and ``ALL`` (the sum of the companies, in the reporting currency).
- Uncertainty of a bucket (decisions, also in the README): the *volume* error of
  each invoicing month (its sd from the model or the plan) carries into the cash it
  brings, fully correlated across the months of a company (a level that is wrong
  stays wrong); the *timing* spread adds ``timing_size x expected`` to the variance
  (each invoice lands in the bucket or not: a compound-Poisson approximation with
  the company's recent invoice sizes). Companies are independent. p10/p90 are
  normal quantiles, p10 floored at 0.
- ``total_cash_in`` adds the open book's buckets (``Forecast.buckets`` or
  ``Forecast.months``): expected amounts add up; each side's sd is read from its
  p90 (``(p90 - expected) / 1.2816``, as a p10 floored at 0 is no longer
  symmetric), the two are independent, and the result is multiplied by ``scale``.
- ``calibration_scale`` is that factor, fitted by rolling origin: on the weeks of
  earlier backtest dates that were over by as-of only, the factor that puts 80 % of
  them within [p10, p90].

Examples
--------
>>> open_weeks = pd.DataFrame({"company": ["ALL"], "start": [pd.Timestamp("2026-11-02")],
...     "kind": ["week"], "expected": [100.0], "p10": [74.4], "p90": [125.6]})
>>> new = pd.DataFrame({"company": ["ALL"], "week_start": [pd.Timestamp("2026-11-02")],
...     "new_expected": [50.0], "new_p10": [30.8], "new_p90": [69.2]})
>>> total = total_cash_in(open_weeks, new)
>>> total[["total_expected", "total_p10", "total_p90"]].round(1).to_dict("records")
[{'total_expected': 150.0, 'total_p10': 118.0, 'total_p90': 182.0}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.fx import Fx
from cashplan.fast.frames import key_positions
from cashplan.forecasting.collection import buckets_for
from cashplan.forecasting.issue_lag import IssueLagModel
from cashplan.forecasting.new_sales import InvoicingForecaster, daily_invoicing
from cashplan.forecasting.scores import rolling_scale

__all__ = [
    "NewSales",
    "calibration_scale",
    "new_sales",
    "new_sales_forecast",
    "total_cash_in",
    "total_monthly",
]

_Z90 = 1.2815515655446004


@dataclass(frozen=True)
class NewSales:
    """The cash of invoices not issued yet at as-of.

    ``invoicing``: ``InvoicingForecaster.predict`` (company x month window).
    ``cash``: company, month (invoicing month), date, amount_rc: expected cash per day.
    ``weekly``: company, week_start, new_expected, new_p10, new_p90, new_sd.
    ``monthly``: company, month, new_forecast, new_p10, new_p90, new_sd, source.
    """

    invoicing: pd.DataFrame
    cash: pd.DataFrame
    weekly: pd.DataFrame
    monthly: pd.DataFrame


def new_sales(
    invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    fx: Fx,
    *,
    plan: pd.DataFrame | None = None,
    weeks: int = 13,
    months: int = 6,
) -> NewSales:
    """Fit both models at ``as_of`` and forecast the cash of new sales (see the module doc).

    ``plan``: company, month (month start), amount_rc; replaces the modelled invoicing there.
    """
    invoicing = InvoicingForecaster(months=months).fit(invoices, as_of, fx)
    lags = IssueLagModel().fit(invoices, as_of, fx)
    return new_sales_forecast(invoicing, lags, plan=plan, weeks=weeks)


def new_sales_forecast(
    invoicing: InvoicingForecaster,
    lags: IssueLagModel,
    *,
    plan: pd.DataFrame | None = None,
    weeks: int = 13,
    factor: float | Mapping[str, float] = 1.0,
) -> NewSales:
    """Cash per week and month window from fitted models (refit-free when the plan changes).

    ``factor`` (a what-if: the scenarios' ``sales_factor``) multiplies the invoicing to
    come, the model's and the plan's, with its band; one factor, or company -> factor.
    """
    day = invoicing.as_of_
    if lags.as_of_ != day:
        raise ValueError(
            f"the lag model is of {lags.as_of_:%Y-%m-%d}, not {day:%Y-%m-%d}: "
            "Fix: fit both models at the same as-of date."
        )
    table = _scaled(invoicing.predict(plan), factor)
    windows = invoicing.windows_
    week_rows = buckets_for(day, weeks, 0)
    week_rows = week_rows.loc[week_rows["kind"] == "week"]
    end = max(week_rows["end"].max(), windows["end"].max())
    cash = lags.cash(daily_invoicing(table), day + pd.Timedelta(days=1), end)
    timing = lags.summary_.set_index("company")["timing_size"]
    companies = sorted(table["company"].unique())
    weekly = _per_bucket(cash, table, timing, week_rows["start"], week_rows["end"], companies)
    weekly = weekly.assign(week_start=week_rows["start"].to_numpy()[weekly["bucket"]])
    weekly = _named(weekly, "new_expected", ["company", "week_start"])
    monthly = _per_bucket(cash, table, timing, windows["start"], windows["end"], companies)
    monthly = monthly.assign(month=windows["month"].to_numpy()[monthly["bucket"]])
    monthly = _named(monthly, "new_forecast", ["company", "month"])
    monthly["source"] = _sources(table, monthly)
    return NewSales(table, cash, weekly, monthly)


def _scaled(table: pd.DataFrame, factor: float | Mapping[str, float]) -> pd.DataFrame:
    """The invoicing table with its amounts and band multiplied by ``factor``."""
    if isinstance(factor, Mapping):
        f = table["company"].map(factor).fillna(1.0).to_numpy(dtype=float)
    elif factor == 1.0:
        return table
    else:
        f = np.full(len(table), float(factor))
    return table.assign(**{c: table[c].to_numpy() * f for c in ("invoiced", "p10", "p90", "sd")})


def _per_bucket(
    cash: pd.DataFrame,
    table: pd.DataFrame,
    timing: pd.Series,
    starts: pd.Series,
    ends: pd.Series,
    companies: list[str],
) -> pd.DataFrame:
    """Expected cash and its sd per company (and ALL) and bucket (rows of starts/ends).

    A bucket's level is the sum of its days' cash times their month's cv (sd / invoiced);
    its variance is level squared plus the company's ``timing`` size times its mean. Sums by
    integer codes (a few thousand days: pandas' grouping cost more than the sums).
    """
    s = starts.to_numpy(dtype="datetime64[D]")
    e = ends.to_numpy(dtype="datetime64[D]")
    n_b, n_c = len(s), len(companies)
    date = cash["date"].to_numpy(dtype="datetime64[D]")
    b = np.searchsorted(s, date, side="right") - 1
    names = pd.Index(companies)
    who = names.get_indexer(pd.Index(cash["company"]))
    ok = (b >= 0) & (date < e[np.clip(b, 0, None)]) & (who >= 0)
    invoiced = table["invoiced"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(invoiced > 0, table["sd"].to_numpy(dtype=float) / invoiced, np.nan)
    cv = np.where(np.isnan(cv), 0.0, cv)  # no invoicing, or no sd: no level
    at = key_positions(cash, table, ["company", "month"])
    amount = cash["amount_rc"].to_numpy(dtype=float)
    level = amount * np.where(at >= 0, cv[np.maximum(at, 0)], 0.0) if len(cv) else amount * 0.0
    cell = who[ok] * n_b + b[ok]
    mean = np.bincount(cell, weights=amount[ok], minlength=n_c * n_b).reshape(n_c, n_b)
    lev = np.bincount(cell, weights=level[ok], minlength=n_c * n_b).reshape(n_c, n_b)
    size = timing.reindex(names).fillna(0.0).to_numpy(dtype=float)[:, None]
    var = lev**2 + size * np.clip(mean, 0.0, None)
    mean_all = np.concatenate([mean.ravel(), mean.sum(axis=0)])
    var_all = np.concatenate([var.ravel(), var.sum(axis=0)])
    return pd.DataFrame(
        {
            "company": np.array([*companies, "ALL"], dtype=object).repeat(n_b),
            "bucket": np.tile(np.arange(n_b, dtype=np.int64), n_c + 1),
            "mean": mean_all,
            "sd": np.sqrt(var_all),
        }
    )


def _named(frame: pd.DataFrame, mean: str, keys: list[str]) -> pd.DataFrame:
    """p10/p90 from mean and sd, with the output column names (``new_...``)."""
    prefix = mean.split("_")[0]
    m, sd = frame["mean"].to_numpy(), frame["sd"].to_numpy()
    return pd.DataFrame(
        {
            **{k: frame[k].to_numpy() for k in keys},
            mean: m,
            f"{prefix}_p10": np.clip(m - _Z90 * sd, 0.0, None),
            f"{prefix}_p90": m + _Z90 * sd,
            f"{prefix}_sd": sd,
        }
    )


def _sources(table: pd.DataFrame, monthly: pd.DataFrame) -> np.ndarray:
    """The invoicing source of each row's month; ALL: one source, else ``mixed``."""
    months, first, at = np.unique(table["month"].to_numpy(), return_index=True, return_inverse=True)
    source = table["source"].to_numpy(dtype=object)
    differs = np.bincount(at, weights=source != source[first][at], minlength=len(months)) > 0
    per = pd.Series(np.where(differs, "mixed", source[first]).astype(object), index=months)
    # each row's own source (the table's keys are unique: a join on key positions)
    at = key_positions(monthly, table, ["company", "month"])
    own = np.where(at >= 0, source[np.maximum(at, 0)], np.nan) if len(source) else np.nan
    group = monthly["month"].map(per).to_numpy(dtype=object)
    return np.where(monthly["company"] == "ALL", group, own).astype(str)


def total_cash_in(
    open_buckets: pd.DataFrame, new_weekly: pd.DataFrame, *, scale: float = 1.0
) -> pd.DataFrame:
    """Open book + new sales per company and week, with the combined p10/p90.

    Parameters
    ----------
    open_buckets : DataFrame
        ``Forecast.buckets``: company, start, kind, expected, p10, p90 (weeks are used).
    new_weekly : DataFrame
        ``NewSales.weekly``: company, week_start, new_expected, new_p10, new_p90.
    scale : float
        Multiplies the combined sd (``calibration_scale``; 1 = uncalibrated).

    Returns
    -------
    DataFrame
        company, week_start, open_expected, new_expected, total_expected, total_p10,
        total_p90, total_sd.
    """
    weeks = open_buckets.loc[open_buckets["kind"] == "week"]
    left = weeks.rename(columns={"start": "week_start"})
    right = new_weekly.rename(columns={"new_p90": "new_p90_"})
    out = _combine(left, right, "week_start", "new_expected", "new_p90_", scale)
    return out.rename(columns={"total_forecast": "total_expected"})


def total_monthly(
    open_months: pd.DataFrame, new_monthly: pd.DataFrame, *, scale: float = 1.0
) -> pd.DataFrame:
    """Open book + new sales per company and month window, as ``total_cash_in`` does weeks.

    ``open_months``: ``Forecast.months`` (company, month, expected, p10, p90);
    ``new_monthly``: ``NewSales.monthly``. Returns company, month, open_expected,
    new_forecast, total_forecast, total_p10, total_p90, total_sd.
    """
    right = new_monthly.rename(columns={"new_p90": "new_p90_"})
    return _combine(open_months, right, "month", "new_forecast", "new_p90_", scale)


def _combine(
    left: pd.DataFrame, right: pd.DataFrame, key: str, new: str, new_p90: str, scale: float
) -> pd.DataFrame:
    """Means add; sds (read from each side's p90) combine as independent, times ``scale``.

    ``right`` has one row per company and ``key`` at most; a row of ``left`` it lacks adds
    nothing. On arrays, one frame built at the end (the workbook combines after every edit).
    """
    keys = ["company", key]
    at = key_positions(left, right, keys)  # a MultiIndex join: a few ms at each change

    def taken(values: np.ndarray) -> np.ndarray:
        got = values[np.maximum(at, 0)] if len(values) else np.zeros(len(at))
        return np.where((at >= 0) & ~np.isnan(got), got, 0.0)

    new_mean = right[new].to_numpy(dtype=float)
    new_sd = taken((right[new_p90].to_numpy(dtype=float) - new_mean) / _Z90)
    new_mean = taken(new_mean)
    expected = left["expected"].to_numpy(dtype=float)
    open_sd = (left["p90"].to_numpy(dtype=float) - expected) / _Z90
    total = expected + new_mean
    sd = scale * np.sqrt(open_sd**2 + new_sd**2)
    return pd.DataFrame(
        {
            "company": left["company"].to_numpy(),
            key: left[key].to_numpy(),
            "open_expected": expected,
            new: new_mean,
            "total_forecast": total,
            "total_p10": np.clip(total - _Z90 * sd, 0.0, None),
            "total_p90": total + _Z90 * sd,
            "total_sd": sd,
        }
    )


def calibration_scale(
    weekly: pd.DataFrame, as_of: str | pd.Timestamp, *, coverage: float = 0.8, min_weeks: int = 26
) -> float:
    """The sd factor that makes [p10, p90] hold ``coverage`` of the weeks over by ``as_of``.

    ``weekly``: a backtest's rows (as_of, week_start, actual, total_expected, total_sd
    uncalibrated). Only weeks of earlier dates that ended on or before ``as_of`` count
    (rolling origin; :func:`cashplan.forecasting.scores.rolling_scale`); with fewer than
    ``min_weeks`` of them, 1.0. Clipped to [0.5, 4].

    >>> rows = pd.DataFrame({"as_of": pd.Timestamp("2026-01-31"),
    ...     "week_start": pd.date_range("2026-02-02", periods=40, freq="7D"),
    ...     "actual": 100.0 + np.tile([-20.0, 20.0], 20), "total_expected": 100.0,
    ...     "total_sd": 10.0})
    >>> round(calibration_scale(rows, "2026-12-31"), 3)  # every error is 2 sd: 2 / 1.2816
    1.561
    """
    return rolling_scale(
        weekly,
        as_of,
        "total_expected",
        "total_sd",
        coverage=coverage,
        min_weeks=min_weeks,
    )
