"""The collection forecast: each open invoice's payment date as a distribution.

Model (decisions stated here and in the README):

- A customer's *delay* is paid date - due date in days. Its distribution is the
  customer's settled history (weighted by amount and recency, half-life
  ``half_life_days``), blended with the company's by ``prior_strength``
  invoices' worth, plus 0.2 % spread evenly over the grid so that nothing is
  impossible. Kept as one cumulative distribution (CDF) row per customer.
- Every open invoice is *conditioned on being unpaid at as-of*: its delay is
  beyond its days past due. An invoice 40 days overdue follows what happened to
  this customer's invoices still unpaid at 40 days, not "due yesterday"; a
  not-yet-due invoice cannot be paid before as-of either. Where the history
  holds under 2 % of mass beyond that age, the basis is ``default``.
- A live promise (recorded by as-of, promised on or after as-of) pays on its
  date with the customer's promise-keeping probability, else the history
  applies. An account-level promise covers the customer's oldest open invoices
  up to its amount.
- Disputed invoices: ``dispute_policy="exclude"`` puts them beyond the horizon;
  ``"long_delay"`` spreads them evenly from 60 to 240 days after as-of.
- Adjustments (the workbook's table) shift an invoice's or a customer's
  distribution by ``shift_days``, or pin it to ``to_date``; the latest recorded wins.

Buckets: the 13 Monday-weeks from the week holding the day after as-of, then
calendar months up to 6 months after as-of, then ``beyond``. Bucket amounts sum
to the open amount. The p10/p90 of a bucket treat invoices of one customer as
moving together and customers as independent (normal approximation).

Examples
--------
>>> from cashplan.io.book import Book
>>> book = Book.from_frames(invoices=pd.DataFrame({
...     "invoice_id": ["H1", "H2", "F1"], "customer_id": ["C1", "C1", "C1"],
...     "issue_date": ["2026-07-01", "2026-08-01", "2026-10-20"],
...     "due_date": ["2026-07-31", "2026-08-31", "2026-11-19"],
...     "amount": ["100", "100", "500"], "paid_date": ["2026-08-10", "2026-09-10", ""]}))
>>> fc = forecast(book.invoices, "2026-10-31", book.fx)
>>> fc.invoices[["invoice_id", "expected_date", "basis"]].to_dict("records")
[{'invoice_id': 'F1', 'expected_date': Timestamp('2026-11-30 00:00:00'), 'basis': 'history'}]
>>> round(float(fc.buckets.loc[fc.buckets["company"] == "ALL", "expected"].sum()), 2)
500.0
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.fast.arrays import LedgerArrays, arrays_for, day_number
from cashplan.fast.delays import conditional, delay_cdfs
from cashplan.fast.frames import text_from_codes
from cashplan.fast.grouping import bucket_sums, by_customer, coarsen
from cashplan.fast.history import decay_table
from cashplan.forecasting.payment_runs import run_day_forecast, run_day_payers
from cashplan.forecasting.promises import BASES, D_MAX, D_MIN, apply_adjustments, mix_promises
from cashplan.forecasting.promises import GRID as _GRID
from cashplan.ledger.items import open_items, open_rows

__all__ = ["DelayModel", "Forecast", "buckets_for", "delay_model", "forecast", "month_windows"]

_Z90 = 1.2815515655446004
_END_OF_TIME = pd.Timestamp("2262-04-01")
_UNIFORM = 0.002
_WITHIN_CUSTOMER = (
    0.1  # calibrated on the sample backtest (in-sample): p10-p90 holds ~80 % of weeks
)


@dataclass(frozen=True)
class Forecast:
    """Per-invoice dates, per-bucket and per-month amounts of a forecast.

    ``month_mass`` holds, for each row of ``invoices``, the probability of being
    paid in each row of ``month_windows`` (the last column: after them).
    """

    invoices: pd.DataFrame
    buckets: pd.DataFrame
    months: pd.DataFrame
    month_windows: pd.DataFrame
    month_mass: np.ndarray


def buckets_for(as_of: str | pd.Timestamp, weeks: int = 13, months: int = 6) -> pd.DataFrame:
    """The forecast buckets after ``as_of``: ``start`` (inclusive), ``end`` (exclusive), ``kind``.

    >>> b = buckets_for("2026-10-31")
    >>> b.iloc[0].tolist(), b.iloc[13]["start"], b.iloc[-1]["kind"]
    ([Timestamp('2026-10-26 00:00:00'), Timestamp('2026-11-02 00:00:00'), 'week'], \
Timestamp('2027-01-25 00:00:00'), 'beyond')
    """
    day = to_date(as_of)
    first = day + pd.Timedelta(days=1)
    monday = first - pd.Timedelta(days=first.weekday())
    starts = [monday + pd.Timedelta(weeks=i) for i in range(weeks + 1)]
    rows = [(s, e, "week") for s, e in itertools.pairwise(starts)]
    horizon = (day + pd.DateOffset(months=months)).normalize() + pd.Timedelta(days=1)
    cursor = starts[-1]
    while cursor < horizon:
        end = min((cursor + pd.offsets.MonthBegin(1)).normalize(), horizon)
        rows.append((cursor, end, "month"))
        cursor = end
    rows.append((cursor, _END_OF_TIME, "beyond"))
    return pd.DataFrame(rows, columns=["start", "end", "kind"])


def month_windows(as_of: str | pd.Timestamp, months: int = 6) -> pd.DataFrame:
    """The calendar months after ``as_of``: ``month``, ``start`` (inclusive), ``end`` (exclusive).

    The as-of month counts from the day after as-of, and is left out when as-of
    is its last day; then come the ``months`` following months.

    >>> month_windows("2026-11-15", months=2)["start"].dt.strftime("%Y-%m-%d").tolist()
    ['2026-11-16', '2026-12-01', '2027-01-01']
    >>> len(month_windows("2026-10-31", months=6))
    6
    """
    day = to_date(as_of)
    first = day + pd.Timedelta(days=1)
    month0 = day.to_period("M").to_timestamp()
    starts = pd.date_range(month0, periods=months + 2, freq="MS")
    table = pd.DataFrame({"month": starts[:-1], "start": starts[:-1], "end": starts[1:]})
    table["start"] = table["start"].where(table["start"] >= first, first)
    table = table.loc[table["start"] < table["end"]].reset_index(drop=True)
    return table.astype("datetime64[us]")


def _delay_cdfs(
    arrays: LedgerArrays, day: pd.Timestamp, half_life_days: float, prior_strength: float
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Each customer's blended delay CDF (rows), and its payment-run days."""
    when = day_number(day)
    decay = decay_table(arrays.paid, when, half_life_days)
    cdf = delay_cdfs(
        arrays,
        when,
        decay,
        d_min=D_MIN,
        d_max=D_MAX,
        uniform=_UNIFORM,
        prior_strength=prior_strength,
    )
    return cdf, run_day_payers(arrays, when, decay)


@dataclass(frozen=True)
class DelayModel:
    """What the forecast learns from the ledger at a date, before promises and adjustments.

    ``items``: the open invoices; ``customers`` and ``cdf``: each customer's delay
    CDF (one row each); ``item_customer``: each item's row in them; ``runs``: the
    payment-run-day payers.
    """

    as_of: pd.Timestamp
    items: pd.DataFrame
    customers: pd.DataFrame
    cdf: np.ndarray
    runs: tuple[np.ndarray, np.ndarray]
    item_customer: np.ndarray


def delay_model(
    invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    fx: Fx,
    half_life_days: float = 365.0,
    prior_strength: float = 5.0,
    arrays: LedgerArrays | None = None,
) -> DelayModel:
    """The open book and the customers' delay distributions at ``as_of`` (see ``forecast``).

    ``arrays``: ``ledger_arrays(invoices)``, when the caller has it already.
    """
    day = to_date(as_of)
    arrays = arrays_for(invoices, arrays)
    rows = open_rows(invoices, day, arrays)
    items = open_items(invoices, day, fx, rows=rows)
    cdf, runs = _delay_cdfs(arrays, day, half_life_days, prior_strength)
    return DelayModel(day, items, arrays.customers, cdf, runs, arrays.codes[rows])


def forecast(
    invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    fx: Fx,
    promises: pd.DataFrame | None = None,
    adjustments: pd.DataFrame | None = None,
    promise_keeping: pd.Series | None = None,
    dispute_policy: Literal["exclude", "long_delay"] = "exclude",
    half_life_days: float = 365.0,
    prior_strength: float = 5.0,
    weeks: int = 13,
    months: int = 6,
    model: DelayModel | None = None,
    arrays: LedgerArrays | None = None,
) -> Forecast:
    """Forecast the collection of every invoice open at ``as_of`` (see the module doc).

    Parameters
    ----------
    invoices, promises, adjustments : DataFrame
        The book's typed tables (promises and adjustments optional).
    as_of : date
        What is known: history settled by then, promises recorded by then.
    fx : Fx
        Open amounts convert at the as-of rate.
    promise_keeping : Series, optional
        Probability that a customer keeps a promise, indexed by (company,
        customer_id), e.g. ``1 - PayerScorer.summary_.broken_promise_share``;
        0.8 where absent.
    dispute_policy : {"exclude", "long_delay"}
        What happens to disputed invoices.
    model : DelayModel, optional
        ``delay_model`` of the same invoices and date, already computed: promises
        and adjustments do not change it, so the workbook re-forecasts without it.
    arrays : LedgerArrays, optional
        ``ledger_arrays(invoices)``, when the caller has it already (no ``model``).

    Returns
    -------
    Forecast
        ``invoices``: company, invoice_id, customer_id, open_amount_rc, due_date,
        expected_date, p10_date, p90_date, basis. ``buckets``: company (and
        ``ALL``) x bucket: start, end, kind, expected, p10, p90.
    """
    if dispute_policy not in ("exclude", "long_delay"):
        raise ValueError(f"dispute_policy is 'exclude' or 'long_delay', not {dispute_policy!r}")
    day = to_date(as_of)
    if model is None:
        model = delay_model(invoices, day, fx, half_life_days, prior_strength, arrays)
    elif model.as_of != day:
        raise ValueError(f"the delay model is of {model.as_of:%Y-%m-%d}, not {day:%Y-%m-%d}")
    items, c = model.items, model.item_customer
    due = items["due_date"].to_numpy(dtype="datetime64[D]")
    who = (c, model.customers)
    shift, pinned = apply_adjustments(items, adjustments, day, who)
    due = due + shift.astype("timedelta64[D]")
    buckets = buckets_for(day, weeks, months)
    windows = month_windows(day, months)
    fine = _fine_buckets(buckets, windows)
    edges = fine["start"].to_numpy(dtype="datetime64[D]")
    order = by_customer(c, len(model.customers))  # the items, customer by customer
    mass, dates, basis = _from_history(model, due, day, edges, order)
    basis[shift != 0] = BASES.index("adjusted")
    mass, dates, basis = mix_promises(
        items, promises, promise_keeping, day, mass, dates, basis, edges, pinned, who
    )
    disputed = items["disputed"].to_numpy()
    if disputed.any():
        mass, dates = _disputes(disputed, dispute_policy, day, mass, dates, fine)
        basis[disputed] = BASES.index("disputed")
    out = items[["company", "invoice_id", "customer_id", "open_amount_rc", "due_date"]]
    for name, key in (("expected_date", "expected"), ("p10_date", "p10"), ("p90_date", "p90")):
        out[name] = dates[key].astype("datetime64[us]")  # a column each: no block copies
    out["basis"] = text_from_codes(basis, BASES)
    month_mass = _coarsen(mass, edges, [*windows["start"], windows["end"].iloc[-1]])
    week_column = _columns(edges, buckets["start"])
    weekly = _bucket_table(items, c, order, model.customers, mass, week_column, buckets)
    by_month = _bucket_table(
        items, c, order, model.customers, month_mass, np.arange(month_mass.shape[1]), windows
    )
    return Forecast(
        out.reset_index(drop=True),
        weekly,
        by_month[["company", "month", "start", "end", "expected", "p10", "p90", "sd"]],
        windows,
        month_mass,
    )


def _from_history(
    model: DelayModel, due: np.ndarray, day: pd.Timestamp, edges: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Each item's mass in the fine intervals starting at ``edges``, its dates and its basis,
    from its customer's history (or payment runs) alone, given it is unpaid at ``day``.

    ``due``: the items' due dates (shifted by the adjustments); ``order``: the items by
    customer (``by_customer``).
    """
    c = model.item_customer
    today = np.datetime64(day.date(), "D")
    age = (today - due).astype(np.int64)  # days past the (shifted) due date
    mass, left, mean, p10, p90 = conditional(
        c,
        due.astype(np.int64),
        today.astype(np.int64),
        edges.astype(np.int64),
        model.cdf,
        D_MIN,
        order,
    )
    beyond_history = left <= 1e-12  # aged past the whole grid (two years overdue): no date
    nat = np.datetime64("NaT")
    dates = {
        k: np.where(beyond_history, nat, due + v.astype("timedelta64[D]"))
        for k, v in (("expected", mean), ("p10", p10), ("p90", p90))
    }
    history_mass = left - _UNIFORM * np.clip(D_MAX - age, 0, None) / _GRID
    basis = np.where(history_mass < 0.02, BASES.index("default"), BASES.index("history"))
    run_day, run_dist = model.runs
    rows, run_mass, run_dates = run_day_forecast(c, due, run_day, run_dist, day, edges)
    mass[rows] = run_mass
    for k in dates:
        dates[k][rows] = run_dates[k]
    return mass, dates, basis


def _fine_buckets(buckets: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """The intervals cut by every week, month and window edge (the last one open-ended)."""
    cuts = [*buckets["start"], *windows["start"], windows["end"].iloc[-1]]
    starts = pd.DatetimeIndex(sorted(set(cuts)), dtype="datetime64[us]")
    ends = [*starts[1:], _END_OF_TIME]
    return pd.DataFrame({"start": starts, "end": pd.DatetimeIndex(ends, dtype="datetime64[us]")})


def _coarsen(
    mass: np.ndarray, edges: np.ndarray, starts: list[pd.Timestamp] | pd.Series
) -> np.ndarray:
    """Sum fine-interval columns into the intervals that begin at ``starts`` (among ``edges``)."""
    at = np.searchsorted(edges, pd.DatetimeIndex(starts).to_numpy(dtype="datetime64[D]"))
    return coarsen(mass, at.astype(np.int64))


def _columns(edges: np.ndarray, starts: pd.Series) -> np.ndarray:
    """For each fine interval (from ``edges``), the interval of ``starts`` that holds it."""
    at = np.searchsorted(edges, pd.DatetimeIndex(starts).to_numpy(dtype="datetime64[D]"))
    return np.searchsorted(at, np.arange(len(edges)), side="right") - 1


def _disputes(
    disputed: np.ndarray,
    policy: str,
    day: pd.Timestamp,
    mass: np.ndarray,
    dates: dict[str, np.ndarray],
    buckets: pd.DataFrame,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    mass[disputed] = 0.0  # in place: the forecast's own array
    base = np.datetime64(day.date())
    if policy == "exclude":
        mass[disputed, -1] = 1.0
        for k in dates:
            dates[k] = np.where(disputed, np.datetime64("NaT"), dates[k])
        return mass, dates
    lo, hi = base + np.timedelta64(60, "D"), base + np.timedelta64(240, "D")
    starts = buckets["start"].to_numpy(dtype="datetime64[D]")
    ends = buckets["end"].to_numpy(dtype="datetime64[D]")
    overlap = (np.minimum(ends, hi) - np.maximum(starts, lo)).astype(int).clip(min=0)
    mass[disputed] = overlap / (hi - lo).astype(int)
    for k, frac in (("expected", 0.5), ("p10", 0.1), ("p90", 0.9)):
        when = lo + np.timedelta64(round(frac * 180), "D")
        dates[k] = np.where(disputed, when, dates[k])
    return mass, dates


def _bucket_table(
    items: pd.DataFrame,
    codes: np.ndarray,
    order: np.ndarray,
    customers: pd.DataFrame,
    mass: np.ndarray,
    column: np.ndarray,
    buckets: pd.DataFrame,
) -> pd.DataFrame:
    """Expected amount and p10/p90 per company (and ``ALL``) and bucket.

    Column ``j`` of ``mass`` adds to bucket ``column[j]`` (the rows of ``buckets``
    first, then any further ones, left out). ``codes`` numbers each item's customer
    among ``customers`` (``DelayModel``), ``order`` the items by customer; a customer
    belongs to one company. Customers are
    independent; within a customer, invoices are correlated by ``_WITHIN_CUSTOMER``
    (1: they move together, 0: independent).
    """
    amount = items["open_amount_rc"].to_numpy(dtype=float)
    names, company_of = np.unique(customers["company"].to_numpy(dtype=object), return_inverse=True)
    used = np.bincount(company_of[codes], minlength=len(names)) > 0  # companies with items
    names, company = names[used], (np.cumsum(used) - 1)[company_of[codes]]
    n_b = int(column.max()) + 1 if len(column) else 0
    mean, apart, together = bucket_sums(
        codes, company, amount, np.ascontiguousarray(mass), column, n_b, order, len(names)
    )
    frames = []
    for i, name in [*enumerate(names), (None, "ALL")]:
        pick = slice(None) if i is None else slice(i, i + 1)
        t, a, m = (x[pick, : len(buckets)].sum(axis=0) for x in (together, apart, mean))
        sigma = np.sqrt(_WITHIN_CUSTOMER * t + (1 - _WITHIN_CUSTOMER) * a)
        frames.append(
            buckets.assign(
                company=name,
                expected=m,
                p10=np.clip(m - _Z90 * sigma, 0, None),
                p90=m + _Z90 * sigma,
                sd=sigma,
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return table[["company", *buckets.columns, "expected", "p10", "p90", "sd"]]
