"""The payer scorer's pass over the ledger: per customer, the sums its metrics are made of.

:class:`~cashplan.forecasting.reliability.PayerScorer` turns these sums into
weighted means, spreads and trends; this loop reads each row of the ledger once.

Examples
--------
>>> import pandas as pd
>>> from cashplan.fast.arrays import day_number, ledger_arrays
>>> from cashplan.fast.history import decay_table
>>> inv = pd.DataFrame({"company": ["A"] * 3, "customer_id": ["C1", "C1", "C2"],
...     "issue_date": pd.to_datetime(["2026-01-01"] * 3),
...     "due_date": pd.to_datetime(["2026-01-31"] * 3),
...     "paid_date": pd.to_datetime(["2026-02-10", None, "2026-01-30"]),
...     "amount": [100.0, 50.0, 10.0], "open_amount": [0.0, 50.0, 0.0],
...     "disputed": [False, True, False]})
>>> arrays = ledger_arrays(inv)
>>> day = day_number("2026-02-10")
>>> sums, count, open_amount, in_dispute, has_open, present = payer_sums(
...     arrays, day, decay_table(arrays.paid, day, 365.0), tolerance=5.0)
>>> sums[:, 2].round(1).tolist(), count.tolist()  # weighted days late (C2: 11 days ago)
([1000.0, -9.8], [1, 1])
>>> open_amount.tolist(), in_dispute.tolist(), has_open.tolist()
([50.0, 0.0], [50.0, 0.0], [True, False])
"""

from __future__ import annotations

import numpy as np

from cashplan.fast.arrays import LedgerArrays
from cashplan.fast.config import jit
from cashplan.fast.history import settled_weight

__all__ = ["payer_sums"]


@jit()
def _payer_sums(codes, issue, due, paid, amount, disputed, day, decay, tolerance, n):
    """One pass over the ledger: per customer, the sums the payer scorer needs at ``day``."""
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
        w = settled_weight(i, issue, paid, amount, day, decay)
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


def payer_sums(
    arrays: LedgerArrays, day: np.int64, decay: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per customer of ``arrays``, the sums of its history at ``day`` (a day number).

    Returns ``sums`` (customers x 10: w, w2, w x late, w x late^2, w x (late >
    ``tolerance``), and over the last two years rw, rw x t, rw x t^2, rw x late,
    rw x t x late, with w an invoice's weight (``settled_weight``: amount x
    ``decay[age]``), late its days late and t its age in years, negative), the number
    of settled invoices, the open and the disputed open amounts, whether there is an
    open invoice, and who has an invoice issued by ``day``.
    """
    a = arrays
    return _payer_sums(
        a.codes,
        a.issue,
        a.due,
        a.paid,
        a.amount,
        a.disputed,
        day,
        decay,
        tolerance,
        len(a.customers),
    )
