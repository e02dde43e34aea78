"""The settled history's weights, shared by the scoring, delay and payment-run passes.

An invoice (not a credit note) issued and settled by the as-of day is part of the
payment history; it weighs its amount times its payment's decay, halved every
half-life. ``decay_table`` works the decay out once per age in days; each pass then
reads ``settled_weight`` for every row.

Examples
--------
>>> decay = decay_table(np.array([0, 10]), np.int64(20), 10.0)
>>> decay[[0, 10, 20]].tolist()
[1.0, 0.5, 0.25]
>>> issue, paid, amount = np.array([0, 0, 0]), np.array([10, 30, 10]), np.array([8.0, 8.0, -8.0])
>>> [settled_weight(i, issue, paid, amount, np.int64(20), decay) for i in range(3)]
[4.0, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from cashplan.fast.config import jit

__all__ = ["decay_table", "settled_weight"]


def decay_table(paid: np.ndarray, day: np.int64, half_life_days: float) -> np.ndarray:
    """The weight of a payment ``a`` days old at ``day``, for every age ``a`` the ledger holds.

    Halved every ``half_life_days``: ``0.5 ** (a / half_life_days)``.

    >>> decay_table(np.array([0, 365, 10**9]), np.int64(730), 365.0).tolist()[::365]
    [1.0, 0.5, 0.25]
    """
    oldest = int(paid.min()) if len(paid) else int(day)
    ages = np.arange(max(int(day) - oldest, 0) + 1, dtype=float)
    return 0.5 ** (ages / half_life_days)


@jit()
def settled_weight(i, issue, paid, amount, day, decay):
    """Row ``i``'s weight in the payment history at ``day`` (0: not in it).

    The history holds the invoices (not credit notes) issued and settled by
    ``day``; each weighs its amount times ``decay[age in days]`` (``decay_table``).
    """
    if issue[i] > day or paid[i] > day or amount[i] <= 0:
        return 0.0
    return amount[i] * decay[day - paid[i]]
