"""Payers who settle on a fixed payment-run day of the month (the 10th, the 25th...).

A customer is a *run-day payer* when at least ``_SHARE`` of its paid amount (of at
least ``_MIN_INVOICES`` invoices) fell on one day of the month, in at least
``_MIN_MONTHS`` months and in ``_SHARE`` of the months it paid in: a habit, not one
large invoice or a few settled with one transfer (payers on random days are not
run-day payers: out of 200 such payers of 6-14 invoices, the amount rule alone
flagged 56). For such a payer the
payment date is modelled as the k-th run day on or after the due date (k = -1: the
run day just before it), with k distributed as in its history, and conditioned on
being after as-of. This places its cash on the run days instead of smearing it
over the weeks around them.

The compiled passes are in :mod:`cashplan.fast.runs`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.fast import runs as _runs
from cashplan.fast.arrays import LedgerArrays
from cashplan.fast.config import cores_for

__all__ = ["run_day_forecast", "run_day_payers"]

_SHARE = 0.5
_MIN_INVOICES = 6
_MIN_MONTHS = 6
_K_MIN, _K_MAX = -1, 23


def run_day_payers(
    arrays: LedgerArrays, day: np.int64, decay: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each customer: its run day (0 if not a run-day payer) and its k distribution.

    From the ledger's arrays (dates as day numbers) and the history at ``day`` (a day
    number), each invoice weighted by its amount times ``decay[age]``
    (``cashplan.fast.history.decay_table``).
    """
    return _runs.run_day_payers(
        arrays,
        day,
        decay,
        share=_SHARE,
        min_invoices=_MIN_INVOICES,
        min_months=_MIN_MONTHS,
        k_min=_K_MIN,
        k_max=_K_MAX,
    )


def run_day_forecast(
    c: np.ndarray,
    due: np.ndarray,
    run_day: np.ndarray,
    dist: np.ndarray,
    day: pd.Timestamp,
    edges: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """For invoices of run-day payers: which rows, their bucket masses and dates.

    Invoices whose run days all fall before as-of (in the history's reach) are left
    to the ordinary model.
    """
    rows = np.flatnonzero(run_day[c] > 0)
    slots = _K_MAX - _K_MIN + 1
    ks = np.arange(_K_MIN, _K_MAX + 1)
    # the run days depend on (due date, run day) only: work them out once per pair
    pair, inverse = np.unique(
        due[rows].astype(np.int64) * 32 + run_day[c[rows]], return_inverse=True
    )
    when = _runs.run_days(
        np.repeat(pair // 32, slots), np.repeat(pair % 32, slots), np.tile(ks, len(pair))
    )
    slots_of = np.clip(
        np.searchsorted(edges.astype(np.int64), when, side="right") - 1, 0, len(edges) - 1
    )
    when = when.reshape(len(pair), slots)
    today = np.int64(np.datetime64(day.date(), "D").astype(np.int64))
    with cores_for(len(rows) * slots * len(edges)):  # few rows: on this thread alone
        total = _runs.run_day_totals(rows, inverse, c, dist, when, today)
        ok = total > 0.02
        mass, expected, p10, p90 = _runs.run_day_masses(
            rows[ok],
            inverse[ok],
            total[ok],
            c,
            dist,
            when,
            slots_of.reshape(len(pair), slots),
            today,
            len(edges),
        )
    days = {"expected": expected, "p10": p10, "p90": p90}
    return rows[ok], mass, {k: v.astype("datetime64[D]") for k, v in days.items()}
