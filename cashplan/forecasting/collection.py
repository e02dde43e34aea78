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
- Disputed invoices (:mod:`cashplan.forecasting.disputes`): by default (``"auto"``)
  they follow the delays of the company's settled disputed invoices, shrunk per
  customer and conditioned on age, where the history holds enough of them
  (``"learned"`` wherever it holds any); else ``"exclude"`` puts them beyond the
  horizon; ``"long_delay"`` spreads them evenly from 60 to 240 days after as-of.
  The ordinary delays are learned from the undisputed history.
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
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.core.kept import kept
from cashplan.fast.arrays import (
    LedgerArrays,
    arrays_for,
    customer_numbers,
    day_number,
    read_only,
)
from cashplan.fast.delays import conditional, delay_cdfs
from cashplan.fast.frames import isin, text_from_codes
from cashplan.fast.grouping import bucket_sums, by_customer, coarsen
from cashplan.fast.history import decay_table
from cashplan.forecasting.disputes import applied_policies, check_policy, dispute_history
from cashplan.forecasting.payment_runs import run_day_forecast, run_day_payers
from cashplan.forecasting.promises import (
    BASES,
    D_MAX,
    D_MIN,
    apply_adjustments,
    mix_promises,
    promised_dates,
)
from cashplan.forecasting.promises import GRID as _GRID
from cashplan.ledger.items import items_at, open_rows_of

__all__ = ["CollectionForecaster", "Forecast", "buckets_for", "forecast", "month_windows"]

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
    paid in each row of ``month_windows`` (the last column: after them). ``disputes``:
    per company, the dispute policy that applied (``policy``), the settled disputed
    invoices it could learn from (``settled_disputes``) and the open disputed ones
    (``open_disputed``, ``open_disputed_rc``). ``fine_mass``: as ``month_mass``, in the
    intervals cut by every week and month edge, from which
    :meth:`CollectionForecaster.update` re-forecasts a few customers without the others.
    ``customer``: the number of each row of ``invoices``' customer among ``customers``
    (company, customer_id; sorted by both), so that what reads the forecast customer by
    customer need not hash the text keys again (empty when not known).
    """

    invoices: pd.DataFrame
    buckets: pd.DataFrame
    months: pd.DataFrame
    month_windows: pd.DataFrame
    month_mass: np.ndarray
    disputes: pd.DataFrame = field(default_factory=pd.DataFrame)
    fine_mass: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))
    customer: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    customers: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


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


class CollectionForecaster:
    """Forecast the collection of every invoice open at a date (see the module doc).

    Scikit-learn shaped: ``fit`` learns, from the ledger at ``as_of``, what
    promises and adjustments do not change (the open book, each customer's delay
    distribution, the payment-run payers); ``predict`` adds the promises, the
    adjustments and the dispute policy, so that a new promise re-forecasts
    without refitting.

    Parameters
    ----------
    half_life_days : float, default 365
        Age at which a settled invoice's weight in its customer's history halves.
    prior_strength : float, default 5
        How many invoices' worth the company's delays weigh against a customer's own.
    weeks : int, default 13
        Monday-weeks forecast (``buckets_for``).
    months : int, default 6
        Calendar months forecast after as-of (``buckets_for``, ``month_windows``).

    Attributes
    ----------
    as_of_ : Timestamp
        The date fitted at: history settled by then, the invoices open then.
    arrays_ : LedgerArrays
        The invoices' columns as arrays (``ledger_arrays``), given to
        ``from_arrays`` or computed by ``fit``.
    items_ : DataFrame
        The invoices open at ``as_of_`` (``open_items``).
    customers_ : DataFrame
        company, customer_id: customer number ``i`` is row ``i``.
    item_customer_ : ndarray
        Each row of ``items_``, its customer number.
    cdf_ : ndarray
        Each customer's blended delay CDF (one row per customer, over the delay grid).
    runs_ : tuple of ndarray
        Each customer's payment-run day (-1: none) and its distribution.
    settled_disputes_ : Series
        Per company, the settled disputed invoices in the history (what a learned
        dispute policy learns from).
    dispute_cdf_ : ndarray or None
        Each customer's blended delay CDF of disputed invoices (None: no settled dispute,
        or no open invoice in dispute).

    Examples
    --------
    >>> from cashplan.io.book import Book
    >>> book = Book.from_frames(invoices=pd.DataFrame({
    ...     "invoice_id": ["H1", "F1"], "customer_id": ["C1", "C1"],
    ...     "issue_date": ["2026-07-01", "2026-10-20"], "due_date": ["2026-07-31", "2026-11-19"],
    ...     "amount": ["100", "500"], "paid_date": ["2026-08-10", ""]}))
    >>> model = CollectionForecaster().fit(book.invoices, "2026-10-31", book.fx)
    >>> model
    CollectionForecaster(half_life_days=365.0, prior_strength=5.0, weeks=13, months=6, \
as of 2026-10-31, open invoices: 1)
    >>> model.predict().invoices["expected_date"].dt.strftime("%Y-%m-%d").tolist()
    ['2026-11-30']

    After a promise of customer C1, only C1's invoices are forecast again:

    >>> promise = pd.DataFrame({"company": ["default"], "customer_id": ["C1"],
    ...     "invoice_id": ["F1"], "promised_date": [pd.Timestamp("2026-11-13")],
    ...     "amount": [500.0], "recorded_on": [pd.Timestamp("2026-10-31")]})
    >>> later = model.update(model.predict(), promise[["company", "customer_id"]], promise)
    >>> later.invoices[["expected_date", "basis"]].astype(str).values.tolist()
    [['2026-11-16', 'promise']]
    """

    def __init__(
        self,
        *,
        half_life_days: float = 365.0,
        prior_strength: float = 5.0,
        weeks: int = 13,
        months: int = 6,
    ) -> None:
        self.half_life_days = half_life_days
        self.prior_strength = prior_strength
        self.weeks = weeks
        self.months = months
        self._arrays: LedgerArrays | None = None
        self._grid_at: tuple[pd.DataFrame, ...] = ()  # buckets, windows, fine: by ``fit``

    @classmethod
    def from_arrays(cls, arrays: LedgerArrays, **params: Any) -> CollectionForecaster:
        """A forecaster that fits on the ledger ``arrays`` were computed from (``ledger_arrays``).

        The arrays do not depend on the date: computed once, they serve every fit
        (and ``PayerScorer.from_arrays``). ``fit`` refuses another ledger's arrays.
        """
        model = cls(**params)
        model._arrays = arrays
        return model

    def __repr__(self) -> str:
        fitted = (
            f", as of {self.as_of_:%Y-%m-%d}, open invoices: {len(self.items_):,}"
            if hasattr(self, "as_of_")
            else ""
        )
        return (
            f"CollectionForecaster(half_life_days={self.half_life_days}, prior_strength="
            f"{self.prior_strength}, weeks={self.weeks}, months={self.months}{fitted})"
        )

    def fit(
        self, invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx
    ) -> CollectionForecaster:
        """Learn the open book and the customers' delay distributions at ``as_of``.

        Parameters
        ----------
        invoices : DataFrame
            The book's typed invoices.
        as_of : date
            What is known: history settled by then, invoices open then.
        fx : Fx
            Open amounts convert at the as-of rate.

        Returns
        -------
        CollectionForecaster
            Itself, fitted.
        """
        day = to_date(as_of)
        arrays = arrays_for(invoices, self._arrays)
        rows = open_rows_of(arrays, day)
        when = day_number(day)
        decay = decay_table(arrays.paid, when, self.half_life_days)
        regular, self.settled_disputes_, self.dispute_cdf_ = dispute_history(
            arrays,
            when,
            decay,
            d_min=D_MIN,
            d_max=D_MAX,
            uniform=_UNIFORM,
            prior_strength=self.prior_strength,
            learn=bool(arrays.disputed[rows].any()),
        )
        self.cdf_ = delay_cdfs(
            regular,
            when,
            decay,
            d_min=D_MIN,
            d_max=D_MAX,
            uniform=_UNIFORM,
            prior_strength=self.prior_strength,
        )
        self.runs_ = run_day_payers(arrays, when, decay)
        self.as_of_, self.arrays_ = day, arrays
        buckets, windows = (
            buckets_for(day, self.weeks, self.months),
            month_windows(day, self.months),
        )
        self._grid_at = (buckets, windows, _fine_buckets(buckets, windows))
        self.items_ = items_at(invoices, rows, day, fx)
        self.customers_, self.item_customer_ = arrays.customers, arrays.codes[rows]
        return self

    def predict(
        self,
        promises: pd.DataFrame | None = None,
        adjustments: pd.DataFrame | None = None,
        promise_keeping: pd.Series | None = None,
        dispute_policy: Literal["auto", "learned", "exclude", "long_delay"] = "auto",
        delay_days: pd.Series | None = None,
    ) -> Forecast:
        """The forecast of the open book with the promises and adjustments known at as-of.

        Parameters
        ----------
        promises, adjustments : DataFrame, optional
            The book's typed tables (only what was recorded by as-of counts).
        promise_keeping : Series, optional
            Probability that a customer keeps a promise, indexed by (company,
            customer_id), e.g. ``1 - PayerScorer.summary_.broken_promise_share``;
            0.8 where absent.
        dispute_policy : {"auto", "learned", "exclude", "long_delay"}
            What happens to disputed invoices (:mod:`cashplan.forecasting.disputes`);
            ``Forecast.disputes`` says what applied in each company.
        delay_days : Series, optional
            A what-if (scenarios): days each customer pays later (0 or more),
            indexed by (company, customer_id); 0 where absent. Each of its open invoices'
            payment distribution (history or payment runs, as forecast without it) moves
            that many days, so nothing of it is paid in the first days after as-of;
            promised, pinned and disputed dates stay, and so does the basis.

        Returns
        -------
        Forecast
            ``invoices``: company, invoice_id, customer_id, open_amount_rc, due_date,
            expected_date, p10_date, p90_date, basis. ``buckets``: company (and
            ``ALL``) x bucket: start, end, kind, expected, p10, p90.
        """
        check_policy(dispute_policy)
        if not hasattr(self, "as_of_"):
            raise ValueError("this CollectionForecaster is not fitted yet: call fit first")
        rows = np.arange(len(self.items_))
        moved = self._moved(
            rows, promises, adjustments, promise_keeping, dispute_policy, delay_days
        )
        return self._forecast(*moved, dispute_policy)

    def update(
        self,
        previous: Forecast,
        customers: pd.DataFrame,
        promises: pd.DataFrame | None = None,
        adjustments: pd.DataFrame | None = None,
        promise_keeping: pd.Series | None = None,
        dispute_policy: Literal["auto", "learned", "exclude", "long_delay"] = "auto",
        delay_days: pd.Series | None = None,
    ) -> Forecast:
        """``predict(promises, adjustments, promise_keeping, dispute_policy, delay_days)`` when
        only the promises and adjustments of ``customers`` (company, customer_id) differ from those
        ``previous`` was predicted with (by this forecaster, with the same other arguments):
        only those customers' open invoices are forecast again, the others' are taken from
        ``previous``. The same forecast as ``predict``'s, for a fraction of the work after
        one promise.
        """
        c, items = self.item_customer_, self.items_
        if previous.fine_mass.shape[0] != len(items):  # not a forecast of this open book
            return self.predict(promises, adjustments, promise_keeping, dispute_policy, delay_days)
        numbers = customer_numbers(customers, self.customers_)
        wanted = np.zeros(len(self.customers_), dtype=bool)
        wanted[numbers[numbers >= 0]] = True
        rows = np.flatnonzero(wanted[c])
        mass = previous.fine_mass.copy()
        old = previous.invoices
        dates = {
            k: old[f"{k}_date"].to_numpy().astype("datetime64[D]")
            for k in ("expected", "p10", "p90")
        }
        basis = pd.Index(BASES).get_indexer(pd.Index(old["basis"])).astype(np.int64)  # -1: none
        if len(rows) and len(items):
            # their rows only (any of another company with the same id names none of them)
            promises, adjustments = (
                t if t is None else t.loc[isin(t["customer_id"], customers["customer_id"])]
                for t in (promises, adjustments)
            )
            r_mass, r_dates, r_basis = self._moved(
                rows, promises, adjustments, promise_keeping, dispute_policy, delay_days
            )
            mass[rows], basis[rows] = r_mass, r_basis
            for k in dates:
                dates[k][rows] = r_dates[k]
        # the dispute table depends on the open book and the policy alone: previous's
        return self._forecast(mass, dates, basis, dispute_policy, previous.disputes)

    def _grid(self) -> tuple[pd.DataFrame, ...]:
        """The report's buckets, the month windows and the fine intervals cut by both
        (worked out by ``fit``: they depend on the date alone)."""
        return self._grid_at

    def _moved(
        self,
        rows: np.ndarray,
        promises: pd.DataFrame | None,
        adjustments: pd.DataFrame | None,
        promise_keeping: pd.Series | None,
        dispute_policy: str,
        delay_days: pd.Series | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """The fine mass, the dates and the basis of the open items at positions ``rows``
        (history, adjustments, promises, disputes): each item's own, whatever the others."""
        every = len(rows) == len(self.items_)  # predict: no copy of the open book
        day, c = self.as_of_, self.item_customer_[rows]
        items = self.items_ if every else self.items_.iloc[rows]
        due = items["due_date"].to_numpy(dtype="datetime64[D]")
        who = (c, self.customers_)
        if every:  # the whole book: what the tables say, shared by the what-ifs
            shift, pinned, promised = self._edits(promises, adjustments)
        else:
            shift, pinned = apply_adjustments(items, adjustments, day, who)
            promised = promised_dates(items, promises, day, who)
        due = due + shift.astype("timedelta64[D]")
        fine = self._grid()[2]
        edges = fine["start"].to_numpy(dtype="datetime64[D]")
        order = by_customer(c, len(self.customers_))  # the items, customer by customer
        disputed = items["disputed"].to_numpy()
        policies = applied_policies(dispute_policy, self.settled_disputes_)
        policy = policies.reindex(items["company"]).to_numpy()
        learned = disputed & (policy == "learned")
        later = _what_if(delay_days, self.customers_)[c]
        if not later.any():
            mass, dates, basis = self._from_history(c, due, edges, order, learned)
        else:
            mass, dates, basis = self._delayed(c, due, edges, learned, later)
        basis[shift != 0] = BASES.index("adjusted")
        mix_promises(
            items, promises, promise_keeping, day, mass, dates, basis, edges, pinned, who, promised
        )
        for name in ("exclude", "long_delay"):  # disputes that are not learned
            moved = disputed & (policy == name)
            if moved.any():
                _disputes(moved, name, day, mass, dates, fine)
                basis[moved] = BASES.index("disputed")
        return mass, dates, basis

    def _forecast(
        self,
        mass: np.ndarray,
        dates: dict[str, np.ndarray],
        basis: np.ndarray,
        dispute_policy: str,
        disputes: pd.DataFrame | None = None,
    ) -> Forecast:
        """The forecast of the open book from every item's fine mass, dates and basis
        (``disputes``: the dispute table under ``dispute_policy`` when known)."""
        items, c = self.items_, self.item_customer_
        buckets, windows, fine = self._grid()
        edges = fine["start"].to_numpy(dtype="datetime64[D]")
        order = by_customer(c, len(self.customers_))
        if disputes is None:
            policies = applied_policies(dispute_policy, self.settled_disputes_)
            disputed = items["disputed"].to_numpy()
            disputes = _dispute_table(items, disputed, policies, self.settled_disputes_)
        out = _invoice_table(items, dates, basis)
        month_mass = _coarsen(mass, edges, [*windows["start"], windows["end"].iloc[-1]])
        weekly = self._bucket_table(mass, _columns(edges, buckets["start"]), buckets, order)
        by_month = self._bucket_table(month_mass, np.arange(month_mass.shape[1]), windows, order)
        return Forecast(
            out,
            weekly,
            by_month[["company", "month", "start", "end", "expected", "p10", "p90", "sd"]],
            windows,
            month_mass,
            disputes,
            mass,
            read_only(self.item_customer_),
            self.customers_,
        )

    def _bucket_table(
        self, mass: np.ndarray, column: np.ndarray, buckets: pd.DataFrame, order: np.ndarray
    ) -> pd.DataFrame:
        """``_bucket_table`` of the fitted open book."""
        return _bucket_table(
            self.items_, self.item_customer_, order, self.customers_, mass, column, buckets
        )

    def _edits(
        self, promises: pd.DataFrame | None, adjustments: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The open book's adjustment shifts, pinned dates and promised dates under these
        tables (``apply_adjustments``, ``promised_dates``): kept for the last tables given
        (the same objects; beside the fitted state, in ``_EDITS_OF``), so that the what-ifs
        forecasting the same book again (other delays, the same promises) do not read them
        again. Read-only arrays."""
        memo = _EDITS_OF.get(self)
        if memo is not None and memo[0] is promises and memo[1] is adjustments:
            return memo[2]
        items, day = self.items_, self.as_of_
        who = (self.item_customer_, self.customers_)
        shift, pinned = apply_adjustments(items, adjustments, day, who)
        found = (shift, pinned, promised_dates(items, promises, day, who))
        for array in found:
            array.setflags(write=False)
        _EDITS_OF[self] = (promises, adjustments, found)
        return found

    def _delayed(
        self,
        c: np.ndarray,
        due: np.ndarray,
        edges: np.ndarray,
        learned: np.ndarray,
        later: np.ndarray,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """``_from_history`` when the items pay ``later`` days later (a what-if): one pass per
        distinct delay (a few), over the items with that delay alone, on the grid moved
        back by it (an item's history is its own, whatever the others'). The basis is the
        one without the delay: it does not depend on the grid."""
        n_customers = len(self.customers_)
        mass = np.empty((len(c), len(edges)))
        dates = {k: np.empty(len(c), dtype="datetime64[D]") for k in ("expected", "p10", "p90")}
        basis = np.empty(len(c), dtype=np.int64)
        for days in np.unique(later):
            rows = np.flatnonzero(later == days)
            mine = c[rows]
            moved, moved_dates, moved_basis = self._from_history(
                mine, due[rows], edges - days, by_customer(mine, n_customers), learned[rows]
            )
            mass[rows], basis[rows] = moved, moved_basis
            for k in dates:
                dates[k][rows] = moved_dates[k] + np.timedelta64(int(days), "D")
        return mass, dates, basis

    def _from_history(
        self,
        c: np.ndarray,
        due: np.ndarray,
        edges: np.ndarray,
        order: np.ndarray,
        learned: np.ndarray,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Each item's mass in the fine intervals starting at ``edges``, its dates and its
        basis, from its customer's history (or payment runs) alone, given it is unpaid at as-of.

        ``c``: the items' customer numbers; ``due``: their due dates (shifted by the
        adjustments); ``order``: the items by customer (``by_customer``); ``learned``: the
        disputed items that follow the customers' dispute history (``dispute_cdf_``).
        """
        day = self.as_of_
        today = np.datetime64(day.date(), "D")
        age = (today - due).astype(np.int64)  # days past the (shifted) due date
        mass, left, mean, p10, p90 = conditional(
            c,
            due.astype(np.int64),
            today.astype(np.int64),
            edges.astype(np.int64),
            self.cdf_,
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
        run_day, run_dist = self.runs_
        rows, run_mass, run_dates = run_day_forecast(c, due, run_day, run_dist, day, edges)
        mass[rows] = run_mass
        for k in dates:
            dates[k][rows] = run_dates[k]
        if learned.any() and self.dispute_cdf_ is not None:
            self._learned_disputes(c, np.flatnonzero(learned), due, edges, mass, dates, basis)
        return mass, dates, basis

    def _learned_disputes(
        self,
        c: np.ndarray,
        rows: np.ndarray,
        due: np.ndarray,
        edges: np.ndarray,
        mass: np.ndarray,
        dates: dict[str, np.ndarray],
        basis: np.ndarray,
    ) -> None:
        """Give the disputed items at ``rows`` their customers' dispute delays, given they
        are unpaid at as-of (in place)."""
        today = np.datetime64(self.as_of_.date(), "D")
        cdf = self.dispute_cdf_
        assert cdf is not None
        d_mass, left, mean, p10, p90 = conditional(
            c[rows],
            due[rows].astype(np.int64),
            today.astype(np.int64),
            edges.astype(np.int64),
            cdf,
            D_MIN,
        )
        mass[rows] = d_mass
        gone = left <= 1e-12
        for k, v in (("expected", mean), ("p10", p10), ("p90", p90)):
            dates[k][rows] = np.where(
                gone, np.datetime64("NaT"), due[rows] + v.astype("timedelta64[D]")
            )
        basis[rows] = BASES.index("disputed")


def forecast(
    invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    fx: Fx,
    promises: pd.DataFrame | None = None,
    adjustments: pd.DataFrame | None = None,
    promise_keeping: pd.Series | None = None,
    dispute_policy: Literal["auto", "learned", "exclude", "long_delay"] = "auto",
    half_life_days: float = 365.0,
    prior_strength: float = 5.0,
    weeks: int = 13,
    months: int = 6,
) -> Forecast:
    """Forecast the collection of every invoice open at ``as_of`` in one call.

    ``CollectionForecaster(half_life_days=..., prior_strength=..., weeks=..., months=...)
    .fit(invoices, as_of, fx).predict(promises, adjustments, promise_keeping,
    dispute_policy)``: see :class:`CollectionForecaster` for the parameters and what
    is returned. Keep the fitted forecaster instead to forecast again after a promise.
    """
    model = CollectionForecaster(
        half_life_days=half_life_days, prior_strength=prior_strength, weeks=weeks, months=months
    )
    return model.fit(invoices, as_of, fx).predict(
        promises, adjustments, promise_keeping, dispute_policy
    )


# forecaster -> (promises, adjustments, what ``_edits`` found for them): the last tables each
# forecaster read, kept while it lives (weakly: a cache, not part of the fitted state)
_EDITS_OF: weakref.WeakKeyDictionary[
    CollectionForecaster, tuple[Any, Any, tuple[np.ndarray, np.ndarray, np.ndarray]]
] = weakref.WeakKeyDictionary()


def _what_if(delay_days: pd.Series | None, customers: pd.DataFrame) -> np.ndarray:
    """Each customer's days of ``delay_days`` (0 where absent), customer by customer."""
    if delay_days is None or delay_days.empty:
        return np.zeros(len(customers), dtype=np.int64)
    keys = pd.MultiIndex.from_frame(customers[["company", "customer_id"]])
    return delay_days.reindex(keys).fillna(0).to_numpy(dtype=np.int64)


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
) -> None:
    """Move the disputed items' ``mass`` and ``dates`` by ``policy``, in place."""
    mass[disputed] = 0.0
    base = np.datetime64(day.date())
    if policy == "exclude":
        mass[disputed, -1] = 1.0
        for k in dates:
            dates[k] = np.where(disputed, np.datetime64("NaT"), dates[k])
        return
    lo, hi = base + np.timedelta64(60, "D"), base + np.timedelta64(240, "D")
    starts = buckets["start"].to_numpy(dtype="datetime64[D]")
    ends = buckets["end"].to_numpy(dtype="datetime64[D]")
    overlap = (np.minimum(ends, hi) - np.maximum(starts, lo)).astype(int).clip(min=0)
    mass[disputed] = overlap / (hi - lo).astype(int)
    for k, frac in (("expected", 0.5), ("p10", 0.1), ("p90", 0.9)):
        when = lo + np.timedelta64(round(frac * 180), "D")
        dates[k] = np.where(disputed, when, dates[k])


_INVOICE_COLUMNS = ("company", "invoice_id", "customer_id", "open_amount_rc", "due_date")


def _invoice_table(
    items: pd.DataFrame, dates: dict[str, np.ndarray], basis: np.ndarray
) -> pd.DataFrame:
    """``Forecast.invoices``: the open items' keys, amount and due date, their dates and
    basis; one frame built from the columns (the items' own arrays, not copied: pandas
    copies on write), rather than columns added one by one to a selection."""
    columns: dict[str, Any] = {c: items[c].array for c in _INVOICE_COLUMNS}
    for name, key in (("expected_date", "expected"), ("p10_date", "p10"), ("p90_date", "p90")):
        columns[name] = dates[key].astype("datetime64[us]")
    columns["basis"] = text_from_codes(basis, BASES).array
    return pd.DataFrame(columns, copy=False)


def _dispute_table(
    items: pd.DataFrame, disputed: np.ndarray, policies: pd.Series, settled: pd.Series
) -> pd.DataFrame:
    """Per company: the policy applied, the settled disputes, the open disputed items."""
    open_ = items.loc[disputed].groupby("company")["open_amount_rc"].agg(["size", "sum"])
    table = pd.DataFrame(
        {
            "company": policies.index,
            "policy": policies.to_numpy(),
            "settled_disputes": settled.reindex(policies.index).to_numpy(),
            "open_disputed": open_["size"].reindex(policies.index, fill_value=0).to_numpy(),
            "open_disputed_rc": open_["sum"].reindex(policies.index, fill_value=0.0).to_numpy(),
        }
    )
    return table.astype({"open_disputed": "int64", "settled_disputes": "int64"})


def _bucket_rows(buckets: pd.DataFrame, names: tuple[str, ...]) -> dict[str, pd.Series]:
    """The columns ``company`` (each of ``names``, then ``ALL``) and ``buckets``' own, a row
    per company and bucket: the same at every forecast of a fitted open book, so kept beside
    its ``buckets`` (:func:`~cashplan.core.kept.kept`; pandas copies on write)."""
    memo = kept(buckets)
    found = memo.get(("rows", names))
    if found is None:
        n = len(names) + 1
        rows = buckets.take(np.tile(np.arange(len(buckets)), n)).reset_index(drop=True)
        labels = pd.Series([*names, "ALL"]).repeat(len(buckets)).reset_index(drop=True)
        found = memo["rows", names] = {"company": labels, **{c: rows[c] for c in buckets.columns}}
    return found


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
    among ``customers`` (``CollectionForecaster.customers_``), ``order`` the items by
    customer; a customer belongs to one company. Customers are independent; within a
    customer, invoices are correlated by ``_WITHIN_CUSTOMER`` (1: they move together, 0:
    independent).
    """
    amount = items["open_amount_rc"].to_numpy(dtype=float)
    names, company_of = np.unique(customers["company"].to_numpy(dtype=object), return_inverse=True)
    used = np.bincount(company_of[codes], minlength=len(names)) > 0  # companies with items
    names, company = names[used], (np.cumsum(used) - 1)[company_of[codes]]
    n_b = int(column.max()) + 1 if len(column) else 0
    mean, apart, together = bucket_sums(
        codes, company, amount, np.ascontiguousarray(mass), column, n_b, order, len(names)
    )
    sums = []  # each company's, then ALL's: (together, apart, mean) over the buckets
    for i in [*range(len(names)), None]:
        pick = slice(None) if i is None else slice(i, i + 1)
        sums.append([x[pick, : len(buckets)].sum(axis=0) for x in (together, apart, mean)])
    t, a, m = (np.concatenate(x) for x in zip(*sums, strict=True))
    sigma = np.sqrt(_WITHIN_CUSTOMER * t + (1 - _WITHIN_CUSTOMER) * a)
    # one frame built at once (a frame per company joined: several times slower)
    columns: dict[str, Any] = dict(_bucket_rows(buckets, tuple(names.tolist())))
    columns |= {"expected": m, "p10": np.clip(m - _Z90 * sigma, 0, None), "p90": m + _Z90 * sigma}
    return pd.DataFrame(columns | {"sd": sigma})
