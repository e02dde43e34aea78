"""Dates as day numbers (days since 1970-01-01), and back, inside compiled loops.

The ledger's dates are day numbers (:mod:`cashplan.fast.arrays`); the loops that need a
date's year, month or day of the month (payment runs) convert with H. Hinnant's
integer formulas, exact over the whole proleptic Gregorian calendar.

Examples
--------
>>> civil(day_of(2026, 2, 28) + 1)
(2026, 3, 1)
>>> dom, month = month_calendar(day_of(2026, 1, 31), day_of(2026, 2, 1))
>>> dom.tolist(), (month % 12 + 1).tolist()
([31, 1], [1, 2])
"""

from __future__ import annotations

import numpy as np
from numba import prange

from cashplan.fast.config import cores_for, jit

__all__ = ["civil", "day_numbers", "day_of", "month_calendar"]


@jit()
def civil(z):
    """Year, month and day of day number ``z`` (days since 1970-01-01; H. Hinnant's method)."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


@jit()
def day_of(y, m, d):
    """The day number of year ``y``, month ``m``, day ``d`` (the inverse of ``civil``)."""
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@jit()
def month_calendar(lo, hi):
    """Day of month and month number (year x 12 + month - 1) of each day ``lo``..``hi``."""
    dom = np.empty(hi - lo + 1, dtype=np.int64)
    month = np.empty(hi - lo + 1, dtype=np.int64)
    for z in range(lo, hi + 1):
        y, m, d = civil(z)
        dom[z - lo], month[z - lo] = d, y * 12 + m - 1
    return dom, month


@jit(parallel=True)
def _day_numbers(ticks, per_day, missing, out):
    """Fill ``out`` with the day numbers of ``ticks`` since 1970 (NaT: ``missing``)."""
    nat = np.iinfo(np.int64).min
    for i in prange(len(ticks)):
        out[i] = missing if ticks[i] == nat else ticks[i] // per_day
    return out


def day_numbers(ticks: np.ndarray, per_day: np.int64, missing: np.int64) -> np.ndarray:
    """Day numbers of ``ticks`` since 1970 (NaT: ``missing``).

    >>> day_numbers(np.array([86_400, np.iinfo(np.int64).min]), np.int64(86_400),
    ...             np.int64(-1)).tolist()
    [1, -1]
    """
    out = np.empty(len(ticks), dtype=np.int64)
    with cores_for(len(ticks)):
        _day_numbers(ticks, per_day, missing, out)
    return out
