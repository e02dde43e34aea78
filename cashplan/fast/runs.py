"""Payment runs, compiled: who pays on a fixed day of the month, and when their invoices fall.

See :mod:`cashplan.forecasting.payment_runs` for the model: a run-day payer's
payment is the k-th run day on or after the due date, k distributed as in its
history. ``run_days`` places the run days; ``run_day_payers`` finds the payers
and their k distributions in one pass over the ledger; ``run_day_totals`` and
``run_day_masses`` condition each open invoice's k on being after as-of.

Examples
--------
>>> due = np.array([day_of(2026, 11, 3), day_of(2026, 11, 26)])
>>> [civil(d) for d in run_days(due, np.array([25, 25]), np.array([0, 0]))]
[(2026, 11, 25), (2026, 12, 25)]
>>> civil(run_days(due[:1], np.array([31]), np.array([0]))[0])  # a short month's last day
(2026, 11, 30)
"""

from __future__ import annotations

import numpy as np
from numba import prange

from cashplan.fast.arrays import LedgerArrays
from cashplan.fast.calendar import civil, day_of, month_calendar
from cashplan.fast.config import jit, threads, zeros
from cashplan.fast.history import settled_weight

__all__ = ["run_day_masses", "run_day_payers", "run_day_totals", "run_days"]


@jit()
def _on(month, run_day):
    """The run day of month number ``month`` (year x 12 + month - 1), or the month's last day."""
    y, m = month // 12, month % 12 + 1
    first = day_of(y, m, 1)
    last = day_of(y + (1 if m == 12 else 0), 1 if m == 12 else m + 1, 1) - first
    return first + min(run_day, last) - 1


@jit()
def _first_run_month(month, due, run_day):
    """The month (number) of the first run day on or after ``due``, in month ``month`` or
    the next one (``month``: the due date's)."""
    return month + 1 if _on(month, run_day) < due else month


@jit()
def run_days(due, run_day, k):
    """The ``k``-th run day (day of month ``run_day``, or the month's last day) on or after
    ``due``, all as day numbers (k = -1: the run day just before the first)."""
    out = np.empty(len(due), dtype=np.int64)
    for i in range(len(due)):
        y, m, _ = civil(due[i])
        out[i] = _on(_first_run_month(y * 12 + m - 1, due[i], run_day[i]) + k[i], run_day[i])
    return out


@jit(parallel=True)
def _run_day_payers(
    codes,
    issue,
    due,
    paid,
    amount,
    day,
    decay,
    n_c,
    share,
    min_invoices,
    min_months,
    k_min,
    k_max,
    lo,
    hi,
    parts,
    by_day,
    dist,
    paid_in,
    run_in,
):
    """``run_day_payers``: ``lo``..``hi``, the day numbers the history's due and paid dates
    span; the ``parts`` parts share the customers. ``by_day`` (``n_c`` x 32), ``dist``
    (``n_c`` x k values), ``paid_in`` and ``run_in`` (``n_c`` x months from ``lo``'s):
    zeroed arrays to fill (the months with a payment, with one on the run day).
    """
    dom, month_of = month_calendar(lo, hi)
    m0 = month_of[0]
    count = np.zeros(n_c, dtype=np.int64)
    run_day = np.zeros(n_c, dtype=np.int64)
    slots = k_max - k_min + 1
    parts = max(parts, 1)
    for part in prange(parts):  # each part scans the ledger for its own customers' rows
        first, last = part * n_c // parts, (part + 1) * n_c // parts
        for i in range(len(codes)):
            c = codes[i]
            if c < first or c >= last:
                continue
            w = settled_weight(i, issue, paid, amount, day, decay)
            if w > 0.0:
                by_day[c, dom[paid[i] - lo]] += w
                count[c] += 1
                paid_in[c, month_of[paid[i] - lo] - m0] = 1
        for c in range(first, last):
            top = np.argmax(by_day[c])
            if by_day[c, top] >= share * max(by_day[c].sum(), 1e-12) and count[c] >= min_invoices:
                run_day[c] = top
        for i in range(len(codes)):
            c = codes[i]
            if c < first or c >= last or run_day[c] == 0:
                continue
            w = settled_weight(i, issue, paid, amount, day, decay)
            if w == 0.0 or dom[paid[i] - lo] != run_day[c]:
                continue
            month = _first_run_month(month_of[due[i] - lo], due[i], run_day[c])
            k = month_of[paid[i] - lo] - month
            dist[c, min(max(k, k_min), k_max) - k_min] += w
            run_in[c, month_of[paid[i] - lo] - m0] = 1
        for c in range(first, last):
            # a run is a habit: the run day in enough months, and in half the months paid in
            on_run = run_in[c].sum()
            if on_run < min_months or on_run < share * paid_in[c].sum():
                run_day[c] = 0
            total = max(dist[c].sum(), 1e-12)
            for k in range(slots):
                dist[c, k] /= total
    return run_day, dist


def run_day_payers(
    arrays: LedgerArrays,
    day: np.int64,
    decay: np.ndarray,
    *,
    share: float,
    min_invoices: int,
    min_months: int,
    k_min: int,
    k_max: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's payment-run day (0: none) and its distribution of k (``k_min``..``k_max``).

    A run-day payer paid ``share`` of its history at ``day`` (of at least
    ``min_invoices`` invoices, each weighing its amount times ``decay[age]``) on one
    day of the month, and paid on that day in at least ``min_months`` months and in
    ``share`` of the months it paid in at all (so that one large invoice, or several
    settled with one transfer, does not make a run); k counts the run days from the
    first one on or after the due date to the one it paid on.
    """
    a = arrays
    lo = int(min(a.due.min(initial=day), a.paid.min(initial=day)))  # the calendar spans the
    hi = int(max(a.due.max(initial=day), day))  # history's due and paid dates
    n_c = len(a.customers)
    months = _month_number(hi) - _month_number(lo) + 1
    return _run_day_payers(
        a.codes,
        a.issue,
        a.due,
        a.paid,
        a.amount,
        day,
        decay,
        n_c,
        share,
        min_invoices,
        min_months,
        k_min,
        k_max,
        lo,
        hi,
        threads(),
        zeros((n_c, 32)),
        zeros((n_c, k_max - k_min + 1)),
        zeros((n_c, months), np.uint8),
        zeros((n_c, months), np.uint8),
    )


def _month_number(day: int) -> int:
    """Year x 12 + month - 1 of a day number."""
    y, m, _ = civil(np.int64(day))
    return int(y) * 12 + int(m) - 1


@jit(parallel=True)
def run_day_totals(rows, pair, c, dist, when, day):
    """For each invoice ``rows[r]`` of a run-day payer: the chance left of its k after ``day``.

    ``when[pair[r], k]``: the day number of its k-th run day.
    """
    total = np.zeros(len(rows))
    for r in prange(len(rows)):
        p = dist[c[rows[r]]]
        for k in range(when.shape[1]):
            if when[pair[r], k] > day:
                total[r] += p[k]
    return total


@jit(parallel=True)
def run_day_masses(rows, pair, total, c, dist, when, slot, day, n_k):
    """Bucket masses (``slot[pair[r], k]``: run day k's bucket) and the expected, p10 and
    p90 day numbers of run-day payers' invoices, from their k distributions after ``day``."""
    n, slots = len(rows), when.shape[1]
    mass = np.zeros((n, n_k))
    expected = np.empty(n, dtype=np.int64)
    p10 = np.empty(n, dtype=np.int64)
    p90 = np.empty(n, dtype=np.int64)
    for r in prange(n):
        dist_r, when_r, slot_r = dist[c[rows[r]]], when[pair[r]], slot[pair[r]]
        cum, mean, below10, below90 = 0.0, 0.0, 0, 0
        for k in range(slots):
            p = dist_r[k] / total[r] if when_r[k] > day else 0.0
            mass[r, slot_r[k]] += p
            mean += p * (when_r[k] - when_r[0])
            cum += p
            below10 += 1 if cum < 0.1 else 0
            below90 += 1 if cum < 0.9 else 0
        expected[r] = when_r[0] + np.int64(np.rint(mean))
        p10[r] = when_r[min(below10, slots - 1)]
        p90[r] = when_r[min(below90, slots - 1)]
    return mass, expected, p10, p90
