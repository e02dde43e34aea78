"""The built-in backtest: how good was the 13-week forecast, month after month?

At each month-end ``T`` of the book's history, the forecast is rebuilt from what
was known at ``T``: invoices issued by then, payments made by then, promises
recorded by then. (The ``disputed`` flag is today's, so it is not used.) Its weekly
amounts are held against what the invoices open at ``T`` actually brought in,
week by week, next to two baselines:

- ``due_date``: everything paid on its due date, overdue invoices in the first week;
- ``mean_delay``: the due date plus the customer's mean days late so far (overdue
  once past that date: the first week).

The model's band is calibrated by rolling origin (:func:`cashplan.forecasting.scores.calibrate`):
at each date, its sd is scaled so that [p10, p90] would have held 80 % of the weeks of
*earlier* dates that were over by then; nothing is fitted on the date it scores (the
model's own band, whose within-customer correlation was set on the sample, is kept as
``p10``/``p90`` and scored as ``raw_coverage``/``raw_pinball``).

Scores (amounts in the reporting currency, consolidated; :func:`cashplan.forecasting.scores.score`),
per date (``by_date``) and pooled over all weeks of all dates (``summary``): the WAPE, sum
of absolute weekly errors over sum of actual collections; the share of weeks whose actual
lies within [p10, p90]; the pinball loss of the p10 and of the p90 (a proper score of the
distribution, over the sum of actuals; a baseline is a point: its pinball is half its WAPE).

Examples
--------
>>> from cashplan.io.book import Book
>>> from cashplan.sample import make_book
>>> book = Book.from_tables(make_book(n_invoices=4_000, n_customers=40, seed=2))
>>> result = backtest(book.invoices, book.fx, book.promises, first="2025-06-30",
...                   last="2026-06-30")
>>> list(result.summary["method"])
['forecast', 'due_date', 'mean_delay']
>>> list(result.summary.columns)  # doctest: +NORMALIZE_WHITESPACE
['method', 'wape', 'median_wape_per_date', 'p10_p90_coverage', 'pinball_p10', 'pinball_p90',
 'pinball', 'raw_coverage', 'raw_pinball']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.fast.arrays import LedgerArrays, ledger_arrays
from cashplan.forecasting.collection import CollectionForecaster, Forecast, buckets_for
from cashplan.forecasting.reliability import PayerScorer
from cashplan.forecasting.scores import Method, calibrate, score
from cashplan.ledger.items import open_items, settled_mask

__all__ = [
    "METHODS",
    "Backtest",
    "backtest",
    "backtest_dates",
    "default_dates",
    "forecast_then",
    "scores_of",
    "with_calibration",
]

_WEEKS = 13


@dataclass(frozen=True)
class Backtest:
    """Weekly actuals and forecasts at each as-of date, and the scores.

    ``weekly``: as_of, week_start, actual, forecast, p10, p90, sd (the model's own band),
    scale, p10_calibrated, p90_calibrated (rolling origin), due_date, mean_delay.
    ``summary``: one row per method (``scores.score``'s columns, plus the model's
    ``raw_coverage`` and ``raw_pinball``); ``by_date``: the same per as-of date.
    """

    weekly: pd.DataFrame
    summary: pd.DataFrame
    by_date: pd.DataFrame


METHODS = {
    "forecast": Method("forecast", "p10_calibrated", "p90_calibrated"),
    "due_date": Method("due_date"),
    "mean_delay": Method("mean_delay"),
}


def default_dates(invoices: pd.DataFrame) -> pd.DatetimeIndex:
    """Month-ends from one year into the history to 13 weeks before its last known day."""
    last_known = max(invoices["issue_date"].max(), invoices["paid_date"].max())
    first = (
        (invoices["issue_date"].min() + pd.DateOffset(years=1))
        .to_period("M")
        .to_timestamp(how="end")
        .normalize()
    )
    stop = last_known - pd.Timedelta(weeks=_WEEKS)
    return pd.date_range(first, stop, freq="ME")


def backtest_dates(
    invoices: pd.DataFrame,
    first: str | pd.Timestamp | None = None,
    last: str | pd.Timestamp | None = None,
) -> pd.DatetimeIndex:
    """The month-ends a backtest scores (:func:`default_dates`), within ``first``-``last``."""
    dates = default_dates(invoices)
    if first is not None:
        dates = dates[dates >= to_date(first)]
    if last is not None:
        dates = dates[dates <= to_date(last)]
    if len(dates) == 0:
        raise ValueError(
            "no as-of date to backtest: the book needs a year of history and "
            "13 weeks after the first date"
        )
    return dates


def backtest(
    invoices: pd.DataFrame,
    fx: Fx,
    promises: pd.DataFrame | None = None,
    first: str | pd.Timestamp | None = None,
    last: str | pd.Timestamp | None = None,
    *,
    coverage: float = 0.8,
    disputes: bool = False,
) -> Backtest:
    """Roll the as-of date month by month and score the 13-week forecast (see module doc).

    ``coverage``: the share of weeks the calibrated [p10, p90] aims to hold.
    ``disputes=True`` keeps the book's ``disputed`` flag (the forecast's default dispute
    policy then applies): fair on a book whose flag was known at each date scored, e.g.
    disputes raised before the due date; the default ignores it, the flag being today's.
    """
    dates = backtest_dates(invoices, first, last)
    known = invoices if disputes else invoices.assign(disputed=False)
    arrays = ledger_arrays(known)  # the same at every date
    frames = [_one_date(known, arrays, fx, promises, day) for day in dates]
    weekly = with_calibration(pd.concat(frames, ignore_index=True), coverage)
    by_date, summary = scores_of(weekly, METHODS)
    return Backtest(weekly, summary, by_date)


def with_calibration(weekly: pd.DataFrame, coverage: float = 0.8) -> pd.DataFrame:
    """``weekly`` with the rolling-origin ``scale``, ``p10_calibrated`` and ``p90_calibrated``
    of the model's band (``scores.calibrate`` on ``forecast`` and ``sd``)."""
    band = calibrate(weekly, "forecast", "sd", coverage=coverage)
    return weekly.assign(
        scale=band["scale"], p10_calibrated=band["p10"], p90_calibrated=band["p90"]
    )


def scores_of(
    weekly: pd.DataFrame, methods: dict[str, Method]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scores.score`` of ``methods``, with the model's own band's coverage and pinball
    beside its calibrated one (``raw_coverage``, ``raw_pinball``; NaN for other methods)."""
    by_date, summary = score(weekly, methods)
    raw_by_date, raw = score(weekly, {"forecast": Method("forecast", "p10", "p90")})
    extra = {"p10_p90_coverage": "raw_coverage", "pinball": "raw_pinball"}
    summary = summary.merge(raw[["method", *extra]].rename(columns=extra), "left", "method")
    by_date = by_date.merge(
        raw_by_date[["as_of", "method", *extra]].rename(columns=extra),
        "left",
        ["as_of", "method"],
    )
    return by_date, summary


def forecast_then(
    invoices: pd.DataFrame,
    arrays: LedgerArrays,
    fx: Fx,
    promises: pd.DataFrame | None,
    day: pd.Timestamp,
) -> Forecast:
    """The open book's forecast at ``day`` from what was known then: the ledger's arrays
    (computed once for every date), the promises weighed by each payer's record of keeping
    the ones due by then."""
    keep = None
    if promises is not None and len(promises):
        keep = PayerScorer.from_arrays(arrays).fit(invoices, day, promises).promise_keeping()
    forecaster = CollectionForecaster.from_arrays(arrays).fit(invoices, day, fx)
    return forecaster.predict(promises, promise_keeping=keep)


def _one_date(
    invoices: pd.DataFrame,
    arrays: LedgerArrays,
    fx: Fx,
    promises: pd.DataFrame | None,
    day: pd.Timestamp,
) -> pd.DataFrame:
    fc = forecast_then(invoices, arrays, fx, promises, day)
    weeks = buckets_for(day).iloc[:_WEEKS]
    model = fc.buckets.loc[fc.buckets["company"] == "ALL"].iloc[:_WEEKS]
    items = open_items(invoices, day, fx)
    edges = np.append(
        weeks["start"].to_numpy(dtype="datetime64[D]"),
        weeks["end"].iloc[-1].to_datetime64().astype("datetime64[D]"),
    )
    amount = items["open_amount_rc"].to_numpy()

    def per_week(dates: np.ndarray) -> np.ndarray:
        slot = np.searchsorted(edges, dates, side="right") - 1
        ok = ~np.isnat(dates) & (slot >= 0) & (slot < _WEEKS)
        return np.bincount(slot[ok], weights=amount[ok], minlength=_WEEKS)

    first_week = edges[0] + np.timedelta64(
        max((day.normalize() - weeks["start"].iloc[0]).days + 1, 0), "D"
    )
    due = items["due_date"].to_numpy(dtype="datetime64[D]")
    baseline_due = np.maximum(due, first_week)
    mean_late = (
        _mean_delays(invoices, day)
        .reindex(pd.MultiIndex.from_frame(items[["company", "customer_id"]]))
        .fillna(0.0)
        .to_numpy()
    )
    baseline_mean = np.maximum(due + np.round(mean_late).astype("timedelta64[D]"), first_week)
    return pd.DataFrame(
        {
            "as_of": day,
            "week_start": weeks["start"].to_numpy(),
            "actual": per_week(items["paid_date"].to_numpy(dtype="datetime64[D]")),
            "forecast": model["expected"].to_numpy(),
            "p10": model["p10"].to_numpy(),
            "p90": model["p90"].to_numpy(),
            "sd": model["sd"].to_numpy(),
            "due_date": per_week(baseline_due),
            "mean_delay": per_week(baseline_mean),
        }
    )


def _mean_delays(invoices: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    paid = invoices.loc[settled_mask(invoices, day)]
    late = (paid["paid_date"] - paid["due_date"]).dt.days
    return late.groupby([paid["company"], paid["customer_id"]]).mean()
