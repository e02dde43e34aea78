"""Payers who settle on a fixed payment-run day of the month (the 10th, the 25th...).

A customer is a *run-day payer* when at least ``_SHARE`` of its paid amount (of at
least ``_MIN_INVOICES`` invoices) fell on one day of the month. For such a payer the
payment date is modelled as the k-th run day on or after the due date (k = -1: the
run day just before it), with k distributed as in its history, and conditioned on
being after as-of. This places its cash on the run days instead of smearing it
over the weeks around them.

The run days themselves are ``cashplan.fast.kernels.run_days``.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from cashplan.fast import kernels as _kernels

__all__ = ["run_day_forecast", "run_day_payers"]

_SHARE = 0.5
_MIN_INVOICES = 6
_K_MIN, _K_MAX = -1, 23


def run_day_payers(codes: np.ndarray, issue: np.ndarray, due: np.ndarray, paid: np.ndarray,
                   amount: np.ndarray, day: np.int64, decay: np.ndarray,
                   n_customers: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For each customer: its run day (0 if not a run-day payer) and its k distribution.

    From the ledger's arrays (``cashplan.fast.arrays.LedgerArrays``, dates as day
    numbers) and the history at ``day``, each invoice weighted by its amount times
    ``decay[age]`` (``cashplan.fast.kernels.decay_table``).
    """
    lo = int(min(due.min(initial=day), paid.min(initial=day)))  # the calendar spans the
    hi = int(max(due.max(initial=day), day))  # history's due and paid dates
    return _kernels.run_day_payers(codes, issue, due, paid, amount, day, decay, n_customers,
                                   _SHARE, _MIN_INVOICES, _K_MIN, _K_MAX, lo, hi,
                                   numba.get_num_threads())  # fmt: skip


def run_day_forecast(c: np.ndarray, due: np.ndarray, run_day: np.ndarray, dist: np.ndarray,
                     day: pd.Timestamp, edges: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    """For invoices of run-day payers: which rows, their bucket masses and dates.

    Invoices whose run days all fall before as-of (in the history's reach) are left
    to the ordinary model.
    """
    rows = np.flatnonzero(run_day[c] > 0)
    slots = _K_MAX - _K_MIN + 1
    ks = np.arange(_K_MIN, _K_MAX + 1)
    # the run days depend on (due date, run day) only: work them out once per pair
    pair, inverse = np.unique(due[rows].astype(np.int64) * 32 + run_day[c[rows]],
                              return_inverse=True)  # fmt: skip
    when = _kernels.run_days(np.repeat(pair // 32, slots), np.repeat(pair % 32, slots),
                             np.tile(ks, len(pair)))  # fmt: skip
    slots_of = np.clip(np.searchsorted(edges.astype(np.int64), when, side="right") - 1, 0,
                       len(edges) - 1)  # fmt: skip
    when = when.reshape(len(pair), slots)
    today = np.int64(np.datetime64(day.date(), "D").astype(np.int64))
    total = _kernels.run_day_totals(rows, inverse, c, dist, when, today)
    ok = total > 0.02
    mass, expected, p10, p90 = _kernels.run_day_masses(
        rows[ok], inverse[ok], total[ok], c, dist, when, slots_of.reshape(len(pair), slots),
        today, len(edges))  # fmt: skip
    days = {"expected": expected, "p10": p10, "p90": p90}
    return rows[ok], mass, {k: v.astype("datetime64[D]") for k, v in days.items()}
