"""Compiled grouping: numbering by first appearance, ordering by customer, bucket sums.

Examples
--------
>>> [x.tolist() for x in first_appearance(np.array([5, 2, 5, 0]), 6)]
[[0, 1, 0, 2], [0, 1, 3]]
>>> by_customer(np.array([1, 0, 1, 0]), 2).tolist()
[1, 3, 0, 2]
>>> coarsen(np.array([[0.1, 0.2, 0.3, 0.4]]), np.array([0, 1, 3])).round(2).tolist()
[[0.1, 0.5, 0.4]]
"""

from __future__ import annotations

import numpy as np
from numba import prange

from cashplan.fast.config import PARTS, cores_for, jit

__all__ = ["bucket_sums", "by_customer", "coarsen", "first_appearance"]


@jit()
def _first_appearance(raw, seen, dense, first):
    found = 0
    for i in range(len(raw)):
        c = seen[raw[i]]
        if c < 0:
            c = seen[raw[i]] = found
            first[found] = i
            found += 1
        dense[i] = c
    return found


def first_appearance(raw: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Number ``raw`` (integers in 0..size-1) by first appearance: codes, and first rows.

    >>> [x.tolist() for x in first_appearance(np.array([5, 2, 5, 0]), 6)]
    [[0, 1, 0, 2], [0, 1, 3]]
    """
    dense, first = np.empty(len(raw), dtype=np.int64), np.empty(len(raw), dtype=np.int64)
    found = _first_appearance(raw, np.full(size, -1, dtype=np.int64), dense, first)
    return dense, first[:found].copy()


@jit()
def _by_customer(c, n_c, order):
    """Fill ``order`` with the positions of ``c`` by customer, then position (a counting sort)."""
    start = np.zeros(n_c + 1, dtype=np.int64)
    for i in range(len(c)):
        start[c[i] + 1] += 1
    for k in range(n_c):
        start[k + 1] += start[k]
    for i in range(len(c)):
        order[start[c[i]]] = i
        start[c[i]] += 1
    return order


def by_customer(c: np.ndarray, n_c: int) -> np.ndarray:
    """The positions of ``c`` (customer numbers below ``n_c``) by customer, then position."""
    order = np.empty(len(c), dtype=np.int64)
    _by_customer(c, n_c, order)
    return order


@jit(parallel=True)
def _coarsen(mass, at, out):
    """Fill ``out`` with the columns of ``mass`` summed from each ``at[j]`` to the next (the
    last: to the end): ``np.add.reduceat(mass, at, axis=1)``, for a sorted ``at``, on the cores.
    """
    n, n_k = mass.shape
    for i in prange(n):
        for j in range(len(at)):
            end = at[j + 1] if j + 1 < len(at) else n_k
            total = 0.0
            for k in range(at[j], end):
                total += mass[i, k]
            out[i, j] = total
    return out


def coarsen(mass: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``np.add.reduceat(mass, at, axis=1)`` for a sorted ``at``, on the cores."""
    out = np.empty((mass.shape[0], len(at)))
    with cores_for(mass.size):
        _coarsen(mass, at, out)
    return out


@jit(parallel=True)
def _bucket_sums(codes, company, amount, mass, column, n_buckets, order, n_co, parts):
    """``bucket_sums``, the ``parts`` runs of customers shared by the cores."""
    n = len(codes)
    means = np.zeros((parts, n_co, n_buckets))
    aparts = np.zeros((parts, n_co, n_buckets))
    togethers = np.zeros((parts, n_co, n_buckets))
    for part in prange(parts):
        lo, hi = part * n // parts, (part + 1) * n // parts
        while 0 < lo < n and codes[order[lo]] == codes[order[lo - 1]]:
            lo += 1  # a customer belongs to the run where it starts
        while 0 < hi < n and codes[order[hi]] == codes[order[hi - 1]]:
            hi += 1
        m = np.empty(n_buckets)
        mine = np.zeros(n_buckets)  # the current customer's spreads
        for idx in range(lo, hi):
            i = order[idx]
            co = company[i]
            m[:] = 0.0
            for j in range(mass.shape[1]):
                m[column[j]] += mass[i, j]
            for b in range(n_buckets):
                s = np.sqrt(max(m[b] * (1.0 - m[b]), 0.0)) * abs(amount[i])
                means[part, co, b] += m[b] * amount[i]
                aparts[part, co, b] += s * s
                mine[b] += s
            if idx + 1 == hi or codes[order[idx + 1]] != codes[i]:  # the customer's last
                for b in range(n_buckets):
                    togethers[part, co, b] += mine[b] ** 2
                    mine[b] = 0.0
    mean = means.sum(axis=0)
    apart = aparts.sum(axis=0)
    together = togethers.sum(axis=0)
    return mean, apart, together


def bucket_sums(
    codes: np.ndarray,
    company: np.ndarray,
    amount: np.ndarray,
    mass: np.ndarray,
    column: np.ndarray,
    n_buckets: int,
    order: np.ndarray,
    n_co: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bucket sums for the bucket table, fine columns of ``mass`` summed into ``column[j]``.

    Returns, per company and bucket: the expected amount, the sum of squared
    per-invoice spreads, and the sum of squared per-customer spreads (a spread is
    sqrt(m (1 - m)) x |amount|; ``codes``: each invoice's customer, ``order``: the
    invoices by customer, ``by_customer``).

    >>> mean, apart, together = bucket_sums(np.array([0, 0]), np.array([0, 0]),
    ...     np.array([10.0, 10.0]), np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([0, 1]),
    ...     2, np.array([0, 1]), 1)
    >>> mean.tolist(), apart.tolist(), together.tolist()
    ([[10.0, 10.0]], [[50.0, 50.0]], [[100.0, 100.0]])
    """
    with cores_for(mass.size):
        return _bucket_sums(codes, company, amount, mass, column, n_buckets, order, n_co, PARTS)
