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
>>> from cashplan.book import Book
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

from cashplan._fast import group_codes
from cashplan.forecast_mix import D_MAX, D_MIN, apply_adjustments, mix_promises, tail_sums
from cashplan.forecast_mix import GRID as _GRID
from cashplan.forecast_runs import run_day_forecast, run_day_payers
from cashplan.fx import Fx
from cashplan.ledger import open_items, recency_weights, settled_mask, to_date

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


def _delay_cdfs(invoices: pd.DataFrame, day: pd.Timestamp, half_life_days: float,
                prior_strength: float
                ) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Customer keys, their blended delay CDFs (rows), and their payment-run days."""
    keys = ["company", "customer_id"]
    cols = [*keys, "due_date", "paid_date", "amount"]
    known = invoices.loc[(invoices["issue_date"] <= day).to_numpy(), cols]
    groups, customers = group_codes(known, keys)
    paid = settled_mask(known, day)
    p = known.loc[paid]
    delay = np.clip((p["paid_date"] - p["due_date"]).dt.days.to_numpy(), D_MIN, D_MAX) - D_MIN
    w, _ = recency_weights(p, day, half_life_days)
    g = groups[paid]
    n_c = len(customers)
    # one (customers x grid) matrix, worked in place: it is large for a group's ledger
    cdf = np.asarray(np.bincount(g * _GRID + delay, weights=w, minlength=n_c * _GRID),
                     dtype=np.float64).reshape(n_c, _GRID)  # fmt: skip
    w_sum = cdf.sum(axis=1)
    has = w_sum > 0
    cdf /= np.where(has, w_sum, 1.0)[:, None]  # each customer's own delay distribution
    n_eff = np.bincount(g, weights=w, minlength=n_c) ** 2 / np.maximum(
        np.bincount(g, weights=w**2, minlength=n_c), 1e-12)  # fmt: skip
    own_weight = np.where(has, n_eff / np.maximum(n_eff + prior_strength, 1e-12), 0.0)
    company_codes, companies = pd.factorize(customers["company"])
    pooled = np.zeros((len(companies), _GRID))
    for i in range(len(companies)):  # a few companies: the company's payers, pooled
        pooled[i] = cdf[company_codes == i].sum(axis=0)
    pooled /= np.maximum(pooled.sum(axis=1, keepdims=True), 1e-12)
    cdf *= ((1 - _UNIFORM) * own_weight)[:, None]
    for i in range(len(companies)):
        rows = company_codes == i
        cdf[rows] += ((1 - _UNIFORM) * (1 - own_weight[rows]))[:, None] * pooled[i][None, :]
    cdf += _UNIFORM / _GRID
    np.cumsum(cdf, axis=1, out=cdf)
    cdf /= cdf[:, -1:]  # a company with no history at all: the uniform part alone
    runs = run_day_payers(p, g, n_c, w)
    return customers, cdf, runs


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


def delay_model(invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx,
                half_life_days: float = 365.0,
                prior_strength: float = 5.0) -> DelayModel:  # fmt: skip
    """The open book and the customers' delay distributions at ``as_of`` (see ``forecast``)."""
    day = to_date(as_of)
    items = open_items(invoices, day, fx)
    customers, cdf, runs = _delay_cdfs(invoices, day, half_life_days, prior_strength)
    row = pd.Series(np.arange(len(customers)), index=pd.MultiIndex.from_frame(customers))
    c = row.reindex(pd.MultiIndex.from_frame(items[["company", "customer_id"]])).to_numpy()
    return DelayModel(day, items, customers, cdf, runs, c)


def forecast(invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx,
             promises: pd.DataFrame | None = None, adjustments: pd.DataFrame | None = None,
             promise_keeping: pd.Series | None = None,
             dispute_policy: Literal["exclude", "long_delay"] = "exclude",
             half_life_days: float = 365.0, prior_strength: float = 5.0,
             weeks: int = 13, months: int = 6, model: DelayModel | None = None
             ) -> Forecast:  # fmt: skip
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
        model = delay_model(invoices, day, fx, half_life_days, prior_strength)
    elif model.as_of != day:
        raise ValueError(f"the delay model is of {model.as_of:%Y-%m-%d}, not {day:%Y-%m-%d}")
    items, customers, cdf = model.items, model.customers, model.cdf
    run_day, run_dist = model.runs
    c = model.item_customer
    due = items["due_date"].to_numpy(dtype="datetime64[D]")
    shift, pinned = apply_adjustments(items, adjustments, day)
    due = due + shift.astype("timedelta64[D]")
    age = (np.datetime64(day.date()) - due).astype(int)  # days past the (shifted) due date
    buckets = buckets_for(day, weeks, months)
    windows = month_windows(day, months)
    fine = _fine_buckets(buckets, windows)
    edges = fine["start"].to_numpy(dtype="datetime64[D]")
    # P(bucket) for the history part: F(edge_next - due - 1) - F(edge - due - 1) over 1 - F(age)
    flat = cdf.ravel()

    def cdf_at(d: np.ndarray) -> np.ndarray:
        k = np.clip(d - D_MIN, -1, _GRID - 1)
        return np.where(k < 0, 0.0, flat[c[:, None] * _GRID + np.maximum(k, 0)] if d.ndim == 2
                        else flat[c * _GRID + np.maximum(k, 0)])  # fmt: skip

    f_age = cdf_at(age)
    left = 1.0 - f_age
    offsets = (edges[None, :] - due[:, None]).astype(int) - 1  # delay just before each start
    f_edges = cdf_at(offsets)
    np.maximum(f_edges, f_age[:, None], out=f_edges)  # nothing before as-of
    mass = np.empty_like(f_edges)  # P(bucket) = F(next edge) - F(edge); the last: 1 - F(edge)
    np.subtract(f_edges[:, 1:], f_edges[:, :-1], out=mass[:, :-1])
    np.subtract(1.0, f_edges[:, -1], out=mass[:, -1])
    del f_edges
    mass /= np.where(left > 0, left, 1.0)[:, None]
    beyond_history = left <= 1e-12
    mass[beyond_history] = 0.0
    mass[beyond_history, -1] = 1.0
    # rows are monotone in [0, 1]: offset row r by 2r to search all rows at once
    searchable = flat + np.repeat(np.arange(len(customers)) * 2.0, _GRID)
    q = {lvl: _quantile(searchable, c, f_age, left, lvl, due) for lvl in (0.1, 0.9)}
    expected = due + (tail_sums(cdf, c, age) / np.where(left > 0, left, 1.0)).round().astype(
        "timedelta64[D]")  # fmt: skip
    history_mass = left - _UNIFORM * np.clip(D_MAX - age, 0, None) / _GRID
    basis = np.where(history_mass < 0.02, "default", "history").astype(object)
    basis[shift != 0] = "adjusted"
    dates = {"expected": expected, "p10": q[0.1], "p90": q[0.9]}
    for k in dates:  # aged past the whole grid (two years overdue): no date to give
        dates[k] = np.where(beyond_history, np.datetime64("NaT"), dates[k])
    rows, run_mass, run_dates = run_day_forecast(c, due, run_day, run_dist, day, edges)
    mass[rows] = run_mass
    for k in dates:
        dates[k][rows] = run_dates[k]
    mass, dates, basis = mix_promises(items, promises, promise_keeping, day, mass, dates, basis,
                                      edges, pinned)  # fmt: skip
    disputed = items["disputed"].to_numpy()
    if disputed.any():
        mass, dates = _disputes(disputed, dispute_policy, day, mass, dates, fine)
        basis[disputed] = "disputed"
    out = pd.DataFrame({
        "company": items["company"], "invoice_id": items["invoice_id"],
        "customer_id": items["customer_id"], "open_amount_rc": items["open_amount_rc"],
        "due_date": items["due_date"],
        "expected_date": pd.to_datetime(dates["expected"]).astype("datetime64[us]"),
        "p10_date": pd.to_datetime(dates["p10"]).astype("datetime64[us]"),
        "p90_date": pd.to_datetime(dates["p90"]).astype("datetime64[us]"),
        "basis": basis.astype(str),
    })  # fmt: skip
    week_mass = _coarsen(mass, edges, buckets["start"])
    month_mass = _coarsen(mass, edges, [*windows["start"], windows["end"].iloc[-1]])
    by_month = _bucket_table(items, model.item_customer, month_mass[:, :-1], windows)
    weekly = _bucket_table(items, model.item_customer, week_mass, buckets)
    return Forecast(out.reset_index(drop=True), weekly,
                    by_month[["company", "month", "start", "end", "expected", "p10", "p90", "sd"]],
                    windows, month_mass)  # fmt: skip


def _fine_buckets(buckets: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """The intervals cut by every week, month and window edge (the last one open-ended)."""
    cuts = [*buckets["start"], *windows["start"], windows["end"].iloc[-1]]
    starts = pd.DatetimeIndex(sorted(set(cuts)), dtype="datetime64[us]")
    ends = [*starts[1:], _END_OF_TIME]
    return pd.DataFrame({"start": starts, "end": pd.DatetimeIndex(ends, dtype="datetime64[us]")})


def _coarsen(mass: np.ndarray, edges: np.ndarray, starts: list[pd.Timestamp] | pd.Series
             ) -> np.ndarray:  # fmt: skip
    """Sum fine-interval columns into the intervals that begin at ``starts`` (among ``edges``)."""
    at = np.searchsorted(edges, pd.DatetimeIndex(starts).to_numpy(dtype="datetime64[D]"))
    return np.add.reduceat(mass, at, axis=1) if len(mass) else np.zeros((0, len(at)))


def _quantile(searchable: np.ndarray, c: np.ndarray, f_age: np.ndarray, left: np.ndarray,
              level: float, due: np.ndarray) -> np.ndarray:  # fmt: skip
    """The date by which ``level`` of the conditional delay distribution is paid.

    ``searchable`` is the flattened CDF matrix with row r offset by 2r (monotone overall).
    """
    target = f_age + level * left
    pos = np.searchsorted(searchable, target + c * 2.0 - 1e-12, side="left")
    k = np.clip(pos - c * _GRID, 0, _GRID - 1)
    return due + (k + D_MIN).astype("timedelta64[D]")


def _disputes(disputed: np.ndarray, policy: str, day: pd.Timestamp, mass: np.ndarray,
              dates: dict[str, np.ndarray], buckets: pd.DataFrame
              ) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    mass = mass.copy()
    mass[disputed] = 0.0
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


def _bucket_table(items: pd.DataFrame, codes: np.ndarray, mass: np.ndarray,
                  buckets: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Expected amount and p10/p90 per company (and ``ALL``) and bucket.

    ``codes`` numbers each item's customer (``DelayModel.item_customer``); a customer
    belongs to one company. Customers are independent; within a customer, invoices
    are correlated by ``_WITHIN_CUSTOMER`` (1: they move together, 0: independent).
    """
    amount = items["open_amount_rc"].to_numpy()
    share = mass * amount[:, None]
    spread = np.sqrt(np.clip(mass * (1 - mass), 0.0, None)) * np.abs(amount)[:, None]
    company, names = pd.factorize(items["company"], sort=True)
    n_k, n_c, n_co = mass.shape[1], (int(codes.max()) + 1 if len(codes) else 0), len(names)

    def sums(groups: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
        """Column sums of ``values`` by group: one bincount per column, no row copies."""
        out = [np.bincount(groups, weights=values[:, k], minlength=size) for k in range(n_k)]
        return np.stack(out, axis=1) if out else np.zeros((size, 0))

    by_customer = sums(codes, n_c, spread)
    company_of_customer = np.zeros(n_c, dtype=np.int64)
    company_of_customer[codes] = company
    together = sums(company_of_customer, n_co, by_customer**2)
    apart = sums(company, n_co, spread**2)
    mean = sums(company, n_co, share)
    frames = []
    for i, name in [*enumerate(names), (None, "ALL")]:
        pick = slice(None) if i is None else slice(i, i + 1)
        t, a, m = (x[pick].sum(axis=0) for x in (together, apart, mean))
        sigma = np.sqrt(_WITHIN_CUSTOMER * t + (1 - _WITHIN_CUSTOMER) * a)
        frames.append(buckets.assign(company=name, expected=m,
                                     p10=np.clip(m - _Z90 * sigma, 0, None),
                                     p90=m + _Z90 * sigma, sd=sigma))  # fmt: skip
    table = pd.concat(frames, ignore_index=True)
    return table[["company", *buckets.columns, "expected", "p10", "p90", "sd"]]
