"""Payers who settle on a fixed payment-run day of the month (the 10th, the 25th...).

A customer is a *run-day payer* when at least ``_SHARE`` of its paid amount (of at
least ``_MIN_INVOICES`` invoices) fell on one day of the month. For such a payer the
payment date is modelled as the k-th run day on or after the due date (k = -1: the
run day just before it), with k distributed as in its history, and conditioned on
being after as-of. This places its cash on the run days instead of smearing it
over the weeks around them.

Examples
--------
>>> due = np.array(["2026-11-03", "2026-11-26"], dtype="datetime64[D]")
>>> _run_days(due, np.array([25, 25]), np.array([0, 0])).astype(str).tolist()
['2026-11-25', '2026-12-25']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["run_day_forecast", "run_day_payers"]

_SHARE = 0.5
_MIN_INVOICES = 6
_K_MIN, _K_MAX = -1, 23


def _run_days(due: np.ndarray, day: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The k-th run day (day of month ``day``, or the month's last day) on or after ``due``."""
    month = due.astype("datetime64[M]")

    def on(m: np.ndarray) -> np.ndarray:
        last = ((m + 1).astype("datetime64[D]") - 1 - m.astype("datetime64[D]")).astype(int) + 1
        return m.astype("datetime64[D]") + (np.minimum(day, last) - 1)

    first = on(month)
    month = np.where(first < due, month + 1, month)
    return on(month + k)


def run_day_payers(paid: pd.DataFrame, groups: np.ndarray, n_customers: int,
                   weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For each customer: its run day (0 if not a run-day payer) and its k distribution.

    ``paid`` holds the settled history (``paid_date``, ``due_date``), ``groups`` each
    row's customer number, ``weights`` each row's weight.
    """
    dom = paid["paid_date"].dt.day.to_numpy()
    by_day = np.bincount(groups * 32 + dom, weights=weights,
                         minlength=n_customers * 32).reshape(n_customers, 32)  # fmt: skip
    total = by_day.sum(axis=1)
    top = by_day.argmax(axis=1)
    count = np.bincount(groups, minlength=n_customers)
    is_run = (by_day.max(axis=1) >= _SHARE * np.maximum(total, 1e-12)) & (count >= _MIN_INVOICES)
    run_day = np.where(is_run, top, 0)
    # k of each paid invoice of a run-day payer: months between its first run day >= due
    # (k = 0) and the run day it was paid on
    rows = is_run[groups] & (dom == run_day[groups])
    due = paid["due_date"].to_numpy(dtype="datetime64[D]")[rows]
    pay = paid["paid_date"].to_numpy(dtype="datetime64[D]")[rows]
    base = _run_days(due, run_day[groups][rows], np.zeros(int(rows.sum()), dtype=np.int64))
    k = (pay.astype("datetime64[M]") - base.astype("datetime64[M]")).astype(int)
    k = np.clip(k, _K_MIN, _K_MAX) - _K_MIN
    slots = _K_MAX - _K_MIN + 1
    dist = np.bincount(groups[rows] * slots + k, weights=weights[rows],
                       minlength=n_customers * slots).reshape(n_customers, slots)  # fmt: skip
    # (an empty history makes bincount return integers: divide into a new float array)
    dist = dist.astype(float) / np.maximum(dist.sum(axis=1, keepdims=True), 1e-12)
    return run_day, dist


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
    when = _run_days(np.repeat(due[rows], slots), np.repeat(run_day[c[rows]], slots),
                     np.tile(ks, len(rows))).reshape(len(rows), slots)  # fmt: skip
    p = dist[c[rows]] * (when > np.datetime64(day.date()))
    total = p.sum(axis=1)
    ok = total > 0.02
    rows, when, p = rows[ok], when[ok], p[ok] / total[ok, None]
    slot = np.clip(np.searchsorted(edges, when.ravel(), side="right") - 1, 0, len(edges) - 1)
    mass = np.zeros((len(rows), len(edges)))
    np.add.at(mass, (np.repeat(np.arange(len(rows)), slots), slot), p.ravel())
    cum = np.cumsum(p, axis=1)
    pick = {lvl: np.minimum((cum < lvl).sum(axis=1), slots - 1) for lvl in (0.1, 0.9)}
    base = when[:, 0]
    days = (when - base[:, None]).astype(int)
    expected = base + np.round((p * days).sum(axis=1)).astype("timedelta64[D]")
    r = np.arange(len(rows))
    dates = {"expected": expected, "p10": when[r, pick[0.1]], "p90": when[r, pick[0.9]]}
    return rows, mass, dates
