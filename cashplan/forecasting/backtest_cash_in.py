"""The whole cash-in, backtested: open book + new sales against all the cash that came in.

At each month-end ``T`` of the book's history (``backtest.default_dates``), both
forecasts are rebuilt from what was known at ``T`` (invoices issued by then,
payments made by then, promises recorded by then; today's ``disputed`` flag is not
used) and their sum is held, week by week over 13 Monday-weeks, against *every*
collection of the group from the day after ``T``: the invoices open at ``T`` and
those issued later (credit notes negative), in the reporting currency at the paid
date. The first week counts only its days after ``T``, for every method.

Baselines, from the collections known at ``T``:

- ``run_rate``: the mean daily collections of the 91 days up to ``T``, times the
  week's days (the 13-week run rate);
- ``last_year``: the same days 52 weeks earlier (weekdays aligned);
- ``ets``: statsforecast's ``AutoETS`` (no season) on the 7-day sums up to ``T``
  (at most 104 of them, after the book's first 13 weeks), each forecast block
  spread evenly over its days; its 80 % interval is spread the same way
  (``ets_p10``, ``ets_p90``: a week across two blocks takes their bounds pro rata).

Scores (consolidated, ``ALL``; :func:`cashplan.forecasting.scores.score`), per date
(``by_date``) and pooled over all weeks and dates (``summary``): the WAPE and its
median per date; for the total and AutoETS the share of weeks within [p10, p90] and
the pinball loss of the p10 and p90 (a proper score, over the sum of actuals; a point
baseline's pinball is half its WAPE). The total's band is calibrated by rolling origin
(``scores.calibrate``: each ``T``'s scale is fitted on the weeks of earlier dates over
by ``T``); ``raw_coverage`` and ``raw_pinball`` score the uncalibrated band.
``new_sales`` scores the new-sales part alone against the cash of invoices issued
after ``T``; ``new_share`` is that cash over all.

Examples
--------
>>> from cashplan.io.book import Book
>>> from cashplan.sample import make_book
>>> book = Book.from_tables(make_book(n_invoices=3_000, n_customers=40, seed=2))
>>> result = backtest_cash_in(book.invoices, book.fx, first="2026-05-31", last="2026-06-30")
>>> result.summary["method"].tolist()
['total', 'open_book', 'run_rate', 'last_year', 'ets', 'new_sales']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.fx import Fx
from cashplan.fast.arrays import LedgerArrays, ledger_arrays
from cashplan.forecasting.backtest import backtest_dates, forecast_then
from cashplan.forecasting.cash_in import new_sales, total_cash_in
from cashplan.forecasting.collection import buckets_for
from cashplan.forecasting.scores import Method, calibrate, score

__all__ = ["CashInBacktest", "backtest_cash_in"]

_WEEKS = 13
_Z90 = 1.2815515655446004
_RAMP_UP = 91  # the first days of a book have no payments yet: not a level to learn from
_METHODS = {
    "total": Method("total_expected", "total_p10", "total_p90"),
    "open_book": Method("open_expected"),
    "run_rate": Method("run_rate"),
    "last_year": Method("last_year"),
    "ets": Method("ets", "ets_p10", "ets_p90"),
    "new_sales": Method("new_expected", actual="actual_new"),
}


@dataclass(frozen=True)
class CashInBacktest:
    """``weekly``: one row per as-of date and week; ``summary``: one row per method;
    ``by_date``: one row per as-of date and method."""

    weekly: pd.DataFrame
    summary: pd.DataFrame
    by_date: pd.DataFrame


@dataclass(frozen=True)
class _Cash:
    """The book's settled invoices as day numbers from ``origin``: paid, issued, amount_rc."""

    origin: np.datetime64
    paid: np.ndarray
    issue: np.ndarray
    amount: np.ndarray
    n_days: int

    def sums(self, keep: np.ndarray | None = None) -> np.ndarray:
        """Cumulative collections: ``c[b] - c[a]`` is what came in on days ``[a, b)``."""
        pick = slice(None) if keep is None else keep
        daily = np.bincount(self.paid[pick], self.amount[pick], self.n_days)
        return np.concatenate([[0.0], np.cumsum(daily)])


def backtest_cash_in(
    invoices: pd.DataFrame,
    fx: Fx,
    promises: pd.DataFrame | None = None,
    *,
    first: str | pd.Timestamp | None = None,
    last: str | pd.Timestamp | None = None,
    coverage: float = 0.8,
) -> CashInBacktest:
    """Roll the as-of date month by month and score the 13-week total cash-in (module doc).

    Returns
    -------
    CashInBacktest
        ``weekly``: as_of, week_start, actual, actual_new, open_expected, new_expected,
        total_expected, total_sd (uncalibrated), run_rate, last_year, ets, ets_p10,
        ets_p90, scale, total_p10, total_p90 (calibrated). ``summary``: method, wape,
        median_wape_per_date, p10_p90_coverage, pinball_p10, pinball_p90, pinball,
        raw_coverage, raw_pinball, new_share. ``by_date``: as_of, method and the same
        scores.
    """
    dates = backtest_dates(invoices, first, last)
    known = invoices.assign(disputed=False)
    arrays = ledger_arrays(known)
    cash = _cash(known, fx)
    frames = [_one_date(known, arrays, fx, promises, cash, day) for day in dates]
    weekly = _calibrated(pd.concat(frames, ignore_index=True), coverage)
    by_date, summary = _scores(weekly)
    return CashInBacktest(weekly, summary, by_date)


def _cash(invoices: pd.DataFrame, fx: Fx) -> _Cash:
    settled = invoices.loc[invoices["paid_date"].notna()]
    origin = np.datetime64(invoices["issue_date"].min().date(), "D")
    paid = (settled["paid_date"].to_numpy(dtype="datetime64[D]") - origin).astype(np.int64)
    issue = (settled["issue_date"].to_numpy(dtype="datetime64[D]") - origin).astype(np.int64)
    amount = fx.convert(settled["amount"], settled["currency"], settled["paid_date"])
    n_days = int(max(paid.max(initial=0), issue.max(initial=0))) + 400
    return _Cash(origin, paid.clip(0), issue, amount, n_days)


def _one_date(
    invoices: pd.DataFrame,
    arrays: LedgerArrays,
    fx: Fx,
    promises: pd.DataFrame | None,
    cash: _Cash,
    day: pd.Timestamp,
) -> pd.DataFrame:
    fc = forecast_then(invoices, arrays, fx, promises, day)
    new = new_sales(invoices, day, fx, weeks=_WEEKS)
    total = total_cash_in(fc.buckets, new.weekly)
    total = total.loc[total["company"] == "ALL"].iloc[:_WEEKS]
    weeks = buckets_for(day).iloc[:_WEEKS]
    t = int((np.datetime64(day.date(), "D") - cash.origin).astype(np.int64))
    start = (weeks["start"].to_numpy(dtype="datetime64[D]") - cash.origin).astype(np.int64)
    end = (weeks["end"].to_numpy(dtype="datetime64[D]") - cash.origin).astype(np.int64)
    lo = np.maximum(start, t + 1)
    every, later = cash.sums(), cash.sums(cash.issue > t)
    year = 364
    return pd.DataFrame(
        {
            "as_of": day,
            "week_start": weeks["start"].to_numpy(),
            "actual": every[end] - every[lo],
            "actual_new": later[end] - later[lo],
            "open_expected": total["open_expected"].to_numpy(),
            "new_expected": total["new_expected"].to_numpy(),
            "total_expected": total["total_expected"].to_numpy(),
            "total_sd": total["total_sd"].to_numpy(),
            "run_rate": (every[t + 1] - every[max(t - 90, 0)]) / 91 * (end - lo),
            "last_year": every[np.clip(end - year, 0, None)] - every[np.clip(lo - year, 0, None)],
            **_ets(every, t, lo, end),
        }
    )


def _ets(every: np.ndarray, t: int, lo: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """AutoETS on the 7-day sums up to day ``t``, spread over the days of each week: the
    mean (``ets``) and the 80 % interval (``ets_p10``, ``ets_p90``)."""
    from statsforecast.models import AutoETS  # heavy: imported when used

    n_blocks = min(104, (t + 1 - _RAMP_UP) // 7)
    edges = t + 1 - 7 * np.arange(n_blocks, -1, -1)
    y = np.diff(every[edges])
    horizon = int(end[-1] - t)
    fc = AutoETS(season_length=1).fit(y).predict(horizon // 7 + 1, level=[80])
    days = np.arange(t + 1, end[-1])
    block = (days - t - 1) // 7
    week = np.searchsorted(lo, days, side="right") - 1
    out = {}
    for name, key in (("ets", "mean"), ("ets_p10", "lo-80"), ("ets_p90", "hi-80")):
        out[name] = np.bincount(week, np.clip(fc[key], 0.0, None)[block] / 7.0, len(lo))
    return out


def _calibrated(weekly: pd.DataFrame, coverage: float) -> pd.DataFrame:
    """Each date's total p10/p90 with the scale fitted on earlier dates' weeks over by then."""
    band = calibrate(weekly, "total_expected", "total_sd", coverage=coverage)
    return weekly.assign(scale=band["scale"], total_p10=band["p10"], total_p90=band["p90"])


def _scores(weekly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scores.score`` of every method, the raw band's scores and the new sales' share."""
    by_date, summary = score(weekly, _METHODS)
    half = _Z90 * weekly["total_sd"]
    raw_rows = weekly.assign(
        raw_p10=(weekly["total_expected"] - half).clip(lower=0.0),
        raw_p90=weekly["total_expected"] + half,
    )
    raw_by_date, raw = score(raw_rows, {"total": Method("total_expected", "raw_p10", "raw_p90")})
    extra = {"p10_p90_coverage": "raw_coverage", "pinball": "raw_pinball"}
    summary = summary.merge(raw[["method", *extra]].rename(columns=extra), "left", "method")
    by_date = by_date.merge(
        raw_by_date[["as_of", "method", *extra]].rename(columns=extra), "left", ["as_of", "method"]
    )
    summary["new_share"] = float(weekly["actual_new"].sum() / weekly["actual"].sum())
    return by_date, summary
