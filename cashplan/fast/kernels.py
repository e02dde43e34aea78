"""Compiled loops of the forecast (numba): one pass per customer row or per invoice.

The forecast reads, for each open invoice, its customer's delay distribution at
a few dozen points. Written with numpy alone, that needs (invoices x grid) and
(customers x grid) temporaries of hundreds of megabytes at a group's size, and
as many passes over them as there are steps; these loops read each row once.
They are compiled on first use and cached on disk (``cache=True``), take and
return numpy arrays only, and have no side effects.

Examples
--------
>>> import numpy as np
>>> day = np.int64(20)  # day numbers: due on day 10, paid 0, 2 and 1 days late
>>> ledger = (np.array([0, 0, 1]), np.zeros(3, dtype=np.int64), np.full(3, 10),
...           np.array([10, 12, 11]), np.ones(3))
>>> cdf = delay_cdfs(*ledger, day, np.ones(21), 2, np.array([0, 0]), 1, 0, 2, 0.0, 0.0, 1)
>>> cdf.round(2).tolist()
[[0.5, 0.5, 1.0], [0.0, 1.0, 1.0]]
>>> mass, left, mean, p10, p90 = conditional(np.array([0, 0]), np.array([10, 20]), 11,
...                                          np.array([11, 12]), cdf, 0)
>>> mass.tolist()  # one day past due, the delay of 2 is all that is left; not yet due
[[0.0, 1.0], [0.0, 1.0]]
>>> left.tolist(), mean.tolist(), p10.tolist(), p90.tolist()  # delays from the due date
([0.5, 1.0], [2, 1], [2, 0], [2, 2])
>>> civil(day_of(2026, 2, 28) + 1)
(2026, 3, 1)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def zeros(shape: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A zeroed array for a kernel to fill, allocated by numpy.

    Large arrays allocated by numpy are backed by huge pages where the system allows
    it; allocated inside a compiled loop (``np.zeros``), they fault in page by page,
    which on a virtual machine costs more than the loop itself.
    """
    out: np.ndarray = np.empty(shape, dtype=dtype)
    out.fill(0)
    return out


__all__ = [
    "bucket_sums",
    "by_customer",
    "civil",
    "coarsen",
    "conditional",
    "day_numbers",
    "day_of",
    "decay_table",
    "delay_cdfs",
    "first_appearance",
    "payer_sums",
    "run_day_masses",
    "run_day_payers",
    "run_day_totals",
    "run_days",
    "zeros",
]


def decay_table(paid: np.ndarray, day: np.int64, half_life_days: float) -> np.ndarray:
    """The weight of a payment ``a`` days old at ``day``, for every age ``a`` the ledger holds.

    Halved every ``half_life_days``: ``0.5 ** (a / half_life_days)``.

    >>> decay_table(np.array([0, 365, 10**9]), np.int64(730), 365.0).tolist()[::365]
    [1.0, 0.5, 0.25]
    """
    oldest = int(paid.min()) if len(paid) else int(day)
    ages = np.arange(max(int(day) - oldest, 0) + 1, dtype=float)
    return 0.5 ** (ages / half_life_days)


@njit(cache=True, nogil=True)
def _settled_weight(i, issue, paid, amount, day, decay):
    """Row ``i``'s weight in the payment history at ``day`` (0: not in it).

    The history holds the invoices (not credit notes) issued and settled by
    ``day``; each weighs its amount times ``decay[age in days]`` (``decay_table``).
    """
    if issue[i] > day or paid[i] > day or amount[i] <= 0:
        return 0.0
    return amount[i] * decay[day - paid[i]]


@njit(cache=True, nogil=True)
def payer_sums(codes, issue, due, paid, amount, disputed, day, decay, tolerance,
               n):  # fmt: skip
    """One pass over the ledger: per customer, the sums the payer scorer needs at ``day``.

    Returns ``sums`` (``n`` x 10: w, w2, w x late, w x late^2, w x (late >
    tolerance), and over the last two years rw, rw x t, rw x t^2, rw x late,
    rw x t x late, with t the age in years, negative), the number of settled
    invoices, the open and the disputed open amounts, and who has an invoice
    issued by ``day``.
    """
    sums = np.zeros((n, 10))
    count = np.zeros(n, dtype=np.int64)
    open_amount = np.zeros(n)
    in_dispute = np.zeros(n)
    has_open = np.zeros(n, dtype=np.bool_)
    present = np.zeros(n, dtype=np.bool_)
    for i in range(len(codes)):
        if issue[i] > day:
            continue
        c = codes[i]
        present[c] = True
        if amount[i] <= 0:
            continue
        if paid[i] > day:  # open at day
            has_open[c] = True
            open_amount[c] += amount[i]
            in_dispute[c] += amount[i] if disputed[i] else 0.0
            continue
        w = _settled_weight(i, issue, paid, amount, day, decay)
        late = float(paid[i] - due[i])
        age = float(day - paid[i])
        years = -age / 365.25
        rw = w if age <= 730 else 0.0
        row = sums[c]
        row[0] += w
        row[1] += w * w
        row[2] += w * late
        row[3] += w * (late * late)
        row[4] += w * (1.0 if late > tolerance else 0.0)
        row[5] += rw
        row[6] += rw * years
        row[7] += rw * (years * years)
        row[8] += rw * late
        row[9] += rw * years * late
        count[c] += 1
    return sums, count, open_amount, in_dispute, has_open, present


@njit(cache=True, nogil=True, parallel=True)
def _delay_cdfs(codes, issue, due, paid, amount, day, decay, n_c, company_of, n_co,
               d_min, d_max, uniform, prior_strength, n_threads, cdf):  # fmt: skip
    """Blended delay CDFs (``n_c`` x grid), one row per customer, from the history at ``day``.

    The grid holds the delays (paid - due, in days) ``d_min`` to ``d_max``; a
    delay outside counts at its end. A customer's own distribution weighs
    ``n_eff / (n_eff + prior_strength)`` against its company's pooled one
    (``company_of``: each customer's company), and ``uniform`` of the mass is
    spread over the grid. The ``n_threads`` cores share the customers. ``cdf``: an
    (``n_c`` x grid) array (``np.empty``), filled and returned (see ``zeros``).
    """
    grid = d_max - d_min + 1
    w_sum = np.zeros(n_c)
    w2_sum = np.zeros(n_c)
    parts = max(n_threads, 1)
    for part in prange(parts):  # each part scans the ledger for its own customers' rows
        lo, hi = part * n_c // parts, (part + 1) * n_c // parts
        cdf[lo:hi] = 0.0  # zeroed here: each core touches its own part of the matrix first
        for i in range(len(codes)):
            g = codes[i]
            if g < lo or g >= hi:
                continue
            w = _settled_weight(i, issue, paid, amount, day, decay)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def day_of(y, m, d):
    """The day number of year ``y``, month ``m``, day ``d`` (the inverse of ``civil``)."""
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@njit(cache=True, nogil=True)
def _first_run_month(month, due, run_day):
    """The month (number) of the first run day on or after ``due``, in month ``month`` or
    the next one (``month``: the due date's)."""
    return month + 1 if _on(month, run_day) < due else month


@njit(cache=True, nogil=True)
def run_days(due, run_day, k):
    """The ``k``-th run day (day of month ``run_day``, or the month's last day) on or after
    ``due``, all as day numbers (k = -1: the run day just before the first).

    >>> due = np.array([day_of(2026, 11, 3), day_of(2026, 11, 26)])
    >>> [civil(d) for d in run_days(due, np.array([25, 25]), np.array([0, 0]))]
    [(2026, 11, 25), (2026, 12, 25)]
    """
    out = np.empty(len(due), dtype=np.int64)
    for i in range(len(due)):
        y, m, _ = civil(due[i])
        out[i] = _on(_first_run_month(y * 12 + m - 1, due[i], run_day[i]) + k[i], run_day[i])
    return out


@njit(cache=True, nogil=True)
def _on(month, run_day):
    """The run day of month number ``month`` (year x 12 + month - 1), or the month's last day."""
    y, m = month // 12, month % 12 + 1
    first = day_of(y, m, 1)
    last = day_of(y + (1 if m == 12 else 0), 1 if m == 12 else m + 1, 1) - first
    return first + min(run_day, last) - 1


@njit(cache=True, nogil=True)
def _calendar(lo, hi):
    """Day of month and month number (year x 12 + month - 1) of each day ``lo``..``hi``."""
    dom = np.empty(hi - lo + 1, dtype=np.int64)
    month = np.empty(hi - lo + 1, dtype=np.int64)
    for z in range(lo, hi + 1):
        y, m, d = civil(z)
        dom[z - lo], month[z - lo] = d, y * 12 + m - 1
    return dom, month


@njit(cache=True, nogil=True, parallel=True)
def _run_day_payers(codes, issue, due, paid, amount, day, decay, n_c, share, min_invoices,
                   k_min, k_max, lo, hi, n_threads, by_day, dist):  # fmt: skip
    """Each customer's payment-run day (0: none) and its distribution of k (``k_min``..``k_max``).

    See :mod:`cashplan.forecasting.payment_runs`: a run-day payer paid ``share`` of its
    history (of at least ``min_invoices`` invoices) on one day of the month; k
    counts the run days from the first one on or after the due date to the one
    it paid on. ``lo``..``hi``: the day numbers the history's due and paid dates
    span; the ``n_threads`` cores share the customers. ``by_day`` (``n_c`` x 32) and
    ``dist`` (``n_c`` x k values): zeroed arrays to fill.
    """
    dom, month_of = _calendar(lo, hi)
    count = np.zeros(n_c, dtype=np.int64)
    run_day = np.zeros(n_c, dtype=np.int64)
    slots = k_max - k_min + 1
    parts = max(n_threads, 1)
    for part in prange(parts):  # each part scans the ledger for its own customers' rows
        first, last = part * n_c // parts, (part + 1) * n_c // parts
        for i in range(len(codes)):
            c = codes[i]
            if c < first or c >= last:
                continue
            w = _settled_weight(i, issue, paid, amount, day, decay)
            if w > 0.0:
                by_day[c, dom[paid[i] - lo]] += w
                count[c] += 1
        for c in range(first, last):
            top = np.argmax(by_day[c])
            if by_day[c, top] >= share * max(by_day[c].sum(), 1e-12) and count[c] >= min_invoices:
                run_day[c] = top
        for i in range(len(codes)):
            c = codes[i]
            if c < first or c >= last or run_day[c] == 0:
                continue
            w = _settled_weight(i, issue, paid, amount, day, decay)
            if w == 0.0 or dom[paid[i] - lo] != run_day[c]:
                continue
            month = _first_run_month(month_of[due[i] - lo], due[i], run_day[c])
            k = month_of[paid[i] - lo] - month
            dist[c, min(max(k, k_min), k_max) - k_min] += w
        for c in range(first, last):
            total = max(dist[c].sum(), 1e-12)
            for k in range(slots):
                dist[c, k] /= total
    return run_day, dist


@njit(cache=True, nogil=True, parallel=True)
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


@njit(cache=True, nogil=True, parallel=True)
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


@njit(cache=True, nogil=True)
def _at(row, k):
    """F at grid index ``k``: 0 before the grid, 1 (the last value) after it."""
    if k < 0:
        return 0.0
    return row[min(k, len(row) - 1)]


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, parallel=True)
def _conditional(c, due, day, edges, cdf, d_min, order, mass, left, expected, p10, p90):
    """Each invoice's delay distribution given it is unpaid at ``day`` (all dates in days).

    Invoices are visited customer by customer, so that each customer's row is read
    from memory once rather than once per invoice, and its first moment (for the
    conditional mean) is worked out once, in a scratch row; the cores share the
    invoices in consecutive runs.

    ``order``: the invoices by customer (``by_customer``). Fills and returns
    ``mass`` (P(paid in [edge j, edge j+1)), the last column open-ended),
    ``left`` (P(unpaid at day) before conditioning), ``expected`` (the
    conditional mean delay, rounded) and the delays ``p10`` and ``p90``.
    """
    n, n_k = len(c), len(edges)
    grid = cdf.shape[1]
    runs = 8
    for run in prange(runs):
        moment = np.empty(grid)  # sum over delays up to index k of delay x P(delay)
        current = -1
        for i in order[run * n // runs : (run + 1) * n // runs]:
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


@njit(cache=True, nogil=True, parallel=True)
def _day_numbers(ticks, per_day, missing, out):
    """Fill ``out`` with the day numbers of ``ticks`` since 1970 (NaT: ``missing``)."""
    nat = np.iinfo(np.int64).min
    for i in prange(len(ticks)):
        out[i] = missing if ticks[i] == nat else ticks[i] // per_day
    return out


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, parallel=True)
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


@njit(cache=True, nogil=True, parallel=True)
def bucket_sums(codes, company, amount, mass, column, n_buckets, order, n_co):  # fmt: skip
    """Per-bucket sums for the bucket table, fine columns summed into ``column[j]``.

    Returns, per company and bucket: the expected amount, the sum of squared
    per-invoice spreads, and the sum of squared per-customer spreads (a spread is
    sqrt(m (1 - m)) x |amount|; ``codes``: each invoice's customer, ``order``: the
    invoices by customer, ``by_customer``). The cores take runs of customers.
    """
    n, parts = len(codes), 8
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


def by_customer(c: np.ndarray, n_c: int) -> np.ndarray:
    """The positions of ``c`` (customer numbers below ``n_c``) by customer, then position."""
    order = np.empty(len(c), dtype=np.int64)
    _by_customer(c, n_c, order)
    return order


def conditional(c: np.ndarray, due: np.ndarray, day: np.int64, edges: np.ndarray,
                cdf: np.ndarray, d_min: int, order: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """``_conditional`` with its arrays allocated by numpy (see ``zeros``); ``order``:
    ``by_customer(c, len(cdf))`` when the caller has it."""
    n = len(c)
    out = (np.empty((n, len(edges))), np.empty(n), *(np.empty(n, dtype=np.int64) for _ in "abc"))
    order = by_customer(c, cdf.shape[0]) if order is None else order
    return _conditional(c, due, day, edges, cdf, d_min, order, *out)


def coarsen(mass: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``np.add.reduceat(mass, at, axis=1)`` for a sorted ``at``, on the cores."""
    out = np.empty((mass.shape[0], len(at)))
    _coarsen(mass, at, out)
    return out


def day_numbers(ticks: np.ndarray, per_day: np.int64, missing: np.int64) -> np.ndarray:
    """Day numbers of ``ticks`` since 1970 (NaT: ``missing``).

    >>> day_numbers(np.array([86_400, np.iinfo(np.int64).min]), np.int64(86_400),
    ...             np.int64(-1)).tolist()
    [1, -1]
    """
    out = np.empty(len(ticks), dtype=np.int64)
    _day_numbers(ticks, per_day, missing, out)
    return out


def delay_cdfs(codes: np.ndarray, issue: np.ndarray, due: np.ndarray, paid: np.ndarray,
               amount: np.ndarray, day: np.int64, decay: np.ndarray, n_c: int,
               company_of: np.ndarray, n_co: int, d_min: int, d_max: int, uniform: float,
               prior_strength: float, n_threads: int) -> np.ndarray:  # fmt: skip
    """``_delay_cdfs`` into a numpy-allocated matrix (see ``zeros``)."""
    cdf = np.empty((n_c, d_max - d_min + 1))
    return _delay_cdfs(codes, issue, due, paid, amount, day, decay, n_c, company_of, n_co,
                       d_min, d_max, uniform, prior_strength, n_threads, cdf)  # fmt: skip


def run_day_payers(codes: np.ndarray, issue: np.ndarray, due: np.ndarray, paid: np.ndarray,
                   amount: np.ndarray, day: np.int64, decay: np.ndarray, n_c: int,
                   share: float, min_invoices: int, k_min: int, k_max: int, lo: int, hi: int,
                   n_threads: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``_run_day_payers`` into numpy-allocated arrays (see ``zeros``)."""
    return _run_day_payers(codes, issue, due, paid, amount, day, decay, n_c, share,
                           min_invoices, k_min, k_max, lo, hi, n_threads, zeros((n_c, 32)),
                           zeros((n_c, k_max - k_min + 1)))  # fmt: skip


def first_appearance(raw: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Number ``raw`` (integers in 0..size-1) by first appearance: codes, and first rows.

    >>> [x.tolist() for x in first_appearance(np.array([5, 2, 5, 0]), 6)]
    [[0, 1, 0, 2], [0, 1, 3]]
    """
    dense, first = np.empty(len(raw), dtype=np.int64), np.empty(len(raw), dtype=np.int64)
    found = _first_appearance(raw, np.full(size, -1, dtype=np.int64), dense, first)
    return dense, first[:found].copy()
