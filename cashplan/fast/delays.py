"""The collection forecast's compiled passes: delay distributions, then each open invoice's.

The forecast reads, for each open invoice, its customer's delay distribution at
a few dozen points. Written with numpy alone, that needs (invoices x grid) and
(customers x grid) temporaries of hundreds of megabytes at a group's size, and
as many passes over them as there are steps; these loops read each row once.
See :mod:`cashplan.forecasting.collection` for the model.

Examples
--------
>>> import pandas as pd
>>> from cashplan.fast.arrays import LedgerArrays
>>> day = np.int64(20)  # day numbers: due on day 10, paid 0, 2 and 1 days late
>>> arrays = LedgerArrays(codes=np.array([0, 0, 1]),
...     customers=pd.DataFrame({"company": ["A", "A"], "customer_id": ["C1", "C2"]}),
...     issue=np.zeros(3, dtype=np.int64), due=np.full(3, 10), paid=np.array([10, 12, 11]),
...     amount=np.ones(3), open_amount=np.zeros(3), disputed=np.zeros(3, dtype=bool))
>>> cdf = delay_cdfs(arrays, day, np.ones(21), d_min=0, d_max=2, uniform=0.0,
...                  prior_strength=0.0)
>>> cdf.round(2).tolist()
[[0.5, 0.5, 1.0], [0.0, 1.0, 1.0]]
>>> mass, left, mean, p10, p90 = conditional(np.array([0, 0]), np.array([10, 20]), 11,
...                                          np.array([11, 12]), cdf, 0)
>>> mass.tolist()  # one day past due, the delay of 2 is all that is left; not yet due
[[0.0, 1.0], [0.0, 1.0]]
>>> left.tolist(), mean.tolist(), p10.tolist(), p90.tolist()  # delays from the due date
([0.5, 1.0], [2, 1], [2, 0], [2, 2])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import prange

from cashplan.fast.arrays import LedgerArrays
from cashplan.fast.config import PARTS, cores_for, jit, threads
from cashplan.fast.grouping import by_customer
from cashplan.fast.history import settled_weight

__all__ = ["conditional", "delay_cdfs"]


@jit(parallel=True)
def _delay_cdfs(
    codes,
    issue,
    due,
    paid,
    amount,
    day,
    decay,
    n_c,
    company_of,
    n_co,
    d_min,
    d_max,
    uniform,
    prior_strength,
    parts,
    cdf,
):
    """Blended delay CDFs (``n_c`` x grid) into ``cdf``: see ``delay_cdfs``.

    The ``parts`` parts share the customers; each scans the ledger for its own
    customers' rows.
    """
    grid = d_max - d_min + 1
    w_sum = np.zeros(n_c)
    w2_sum = np.zeros(n_c)
    parts = max(parts, 1)
    for part in prange(parts):  # each part scans the ledger for its own customers' rows
        lo, hi = part * n_c // parts, (part + 1) * n_c // parts
        cdf[lo:hi] = 0.0  # zeroed here: each core touches its own part of the matrix first
        for i in range(len(codes)):
            g = codes[i]
            if g < lo or g >= hi:
                continue
            w = settled_weight(i, issue, paid, amount, day, decay)
            if w == 0.0:
                continue
            cdf[g, min(max(paid[i] - due[i], d_min), d_max) - d_min] += w
            w_sum[g] += w
            w2_sum[g] += w * w
    own = np.zeros(n_c)
    for c in prange(n_c):
        if w_sum[c] > 0:
            n_eff = w_sum[c] ** 2 / max(w2_sum[c], 1e-12)
            own[c] = n_eff / max(n_eff + prior_strength, 1e-12)
            total = cdf[c].sum()
            for k in range(grid):
                cdf[c, k] /= total
    pooled = np.zeros((n_co, grid))
    for c in range(n_c):
        if w_sum[c] > 0:
            pooled[company_of[c]] += cdf[c]
    for i in range(n_co):
        total = max(pooled[i].sum(), 1e-12)
        for k in range(grid):
            pooled[i, k] /= total
    spread = uniform / grid
    for c in prange(n_c):
        a, b = (1 - uniform) * own[c], (1 - uniform) * (1 - own[c])
        row, pool = cdf[c], pooled[company_of[c]]
        running = 0.0
        for k in range(grid):
            running += a * row[k] + b * pool[k] + spread
            row[k] = running
        for k in range(grid):  # a company without any history: the uniform part alone
            row[k] /= running
    return cdf


def delay_cdfs(
    arrays: LedgerArrays,
    day: np.int64,
    decay: np.ndarray,
    *,
    d_min: int,
    d_max: int,
    uniform: float,
    prior_strength: float,
) -> np.ndarray:
    """Blended delay CDFs, one row per customer of ``arrays``, from the history at ``day``.

    The grid holds the delays (paid - due, in days) ``d_min`` to ``d_max``; a
    delay outside counts at its end. Each settled invoice weighs its amount times
    ``decay[age]`` (``cashplan.fast.history.settled_weight``). A customer's own
    distribution weighs ``n_eff / (n_eff + prior_strength)`` against its company's
    pooled one, and ``uniform`` of the mass is spread over the grid.
    """
    n_c = len(arrays.customers)
    company_of, companies = pd.factorize(arrays.customers["company"])
    cdf = np.empty((n_c, d_max - d_min + 1))  # zeroed by the loop, part by part
    a = arrays
    return _delay_cdfs(
        a.codes,
        a.issue,
        a.due,
        a.paid,
        a.amount,
        day,
        decay,
        n_c,
        company_of,
        len(companies),
        d_min,
        d_max,
        uniform,
        prior_strength,
        threads(),
        cdf,
    )


@jit()
def _at(row, k):
    """F at grid index ``k``: 0 before the grid, 1 (the last value) after it."""
    if k < 0:
        return 0.0
    return row[min(k, len(row) - 1)]


@jit()
def _first_at_least(row, target, lo):
    """The first index from ``lo`` on whose value reaches ``target`` (the last index if none)."""
    hi = len(row)
    while lo < hi:
        mid = (lo + hi) // 2
        if row[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, len(row) - 1)


@jit(parallel=True)
def _conditional(c, due, day, edges, cdf, d_min, order, parts, mass, left, expected, p10, p90):
    """Each invoice's delay distribution given it is unpaid at ``day``: see ``conditional``.

    Invoices are visited customer by customer (``order``), so that each customer's
    row is read from memory once rather than once per invoice, and its first moment
    (for the conditional mean) is worked out once, in a scratch row; the cores share
    the invoices in ``parts`` consecutive runs.
    """
    n, n_k = len(c), len(edges)
    grid = cdf.shape[1]
    for run in prange(parts):
        moment = np.empty(grid)  # sum over delays up to index k of delay x P(delay)
        current = -1
        for i in order[run * n // parts : (run + 1) * n // parts]:
            row = cdf[c[i]]
            if c[i] != current:
                current, prev, m = c[i], 0.0, 0.0
                for k in range(grid):
                    m += (row[k] - prev) * (k + d_min)
                    prev = row[k]
                    moment[k] = m
            k_age = day - due[i] - d_min
            f_age = _at(row, k_age)
            rest = 1.0 - f_age
            left[i] = rest
            out = mass[i]
            if rest <= 1e-12:  # aged past the whole grid
                out[:] = 0.0
                out[n_k - 1] = 1.0
            else:
                prev = max(_at(row, edges[0] - due[i] - 1 - d_min), f_age)
                for j in range(1, n_k):
                    cur = max(_at(row, edges[j] - due[i] - 1 - d_min), f_age)
                    out[j - 1] = (cur - prev) / rest
                    prev = cur
                out[n_k - 1] = (1.0 - prev) / rest
            below = 0.0 if k_age < 0 else moment[min(k_age, grid - 1)]
            tail = 0.0 if k_age >= grid - 1 else moment[grid - 1] - below
            expected[i] = np.int64(np.rint(tail / (rest if rest > 0 else 1.0)))
            start = min(max(k_age, 0), grid - 1)  # the quantiles lie past the age
            k10 = _first_at_least(row, f_age + 0.1 * rest - 1e-12, start)
            p10[i] = k10 + d_min
            p90[i] = _first_at_least(row, f_age + 0.9 * rest - 1e-12, k10) + d_min
    return mass, left, expected, p10, p90


def conditional(
    c: np.ndarray,
    due: np.ndarray,
    day: np.int64,
    edges: np.ndarray,
    cdf: np.ndarray,
    d_min: int,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each invoice's delay distribution given it is unpaid at ``day`` (all dates in days).

    ``c``: each invoice's row of ``cdf``; ``order``: ``by_customer(c, len(cdf))``,
    when the caller has it. Returns ``mass`` (P(paid in [edge j, edge j+1)), the last
    column open-ended), ``left`` (P(unpaid at day) before conditioning), ``expected``
    (the conditional mean delay, rounded) and the delays ``p10`` and ``p90``.
    """
    n = len(c)
    out = (np.empty((n, len(edges))), np.empty(n), *(np.empty(n, dtype=np.int64) for _ in "abc"))
    order = by_customer(c, cdf.shape[0]) if order is None else order
    with cores_for(n * cdf.shape[1]):  # each item scans its customer's grid
        return _conditional(c, due, day, edges, cdf, d_min, order, PARTS, *out)
