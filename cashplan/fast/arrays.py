"""A ledger's invoices as plain arrays, computed once and shared.

Scoring and forecasting read the same columns of the same ledger: who the
customer is, the issue, due and paid dates, the amounts. Numbering the customers
of a million-row ledger hashes every text key, and each date column converts to
days; none of it depends on the as-of date. ``ledger_arrays`` does it once, and
:class:`~cashplan.forecasting.reliability.PayerScorer` and
:class:`~cashplan.forecasting.collection.CollectionForecaster` are built on the result
(``from_arrays``) instead of doing it again, at every as-of date.

Examples
--------
>>> inv = pd.DataFrame({"company": ["B", "A", "B"], "customer_id": ["C2", "C9", "C2"],
...     "issue_date": pd.to_datetime(["2026-01-01"] * 3),
...     "due_date": pd.to_datetime(["2026-01-31"] * 3),
...     "paid_date": pd.to_datetime(["2026-02-02", None, None]),
...     "amount": [10.0, 20.0, 30.0], "open_amount": [0.0, 20.0, 30.0],
...     "disputed": [False, False, True]})
>>> arrays = ledger_arrays(inv)
>>> arrays.codes.tolist(), arrays.customers.to_dict("list")
([1, 0, 1], {'company': ['A', 'B'], 'customer_id': ['C9', 'C2']})
>>> (arrays.paid - arrays.due)[0].item(), bool(arrays.paid[1] == UNPAID)
(2, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.fast.calendar import day_numbers
from cashplan.fast.frames import group_codes, key_positions

__all__ = [
    "KEYS",
    "UNPAID",
    "LedgerArrays",
    "arrays_for",
    "customer_numbers",
    "day_number",
    "days",
    "ledger_arrays",
    "read_only",
]

KEYS = ["company", "customer_id"]
UNPAID = np.int64(2**62)  # the paid "day" of an unpaid invoice: after any as-of date


def day_number(value: str | pd.Timestamp) -> np.int64:
    """A date as a day number (days since 1970-01-01), as the arrays hold dates.

    >>> int(day_number("1970-01-11"))
    10
    """
    return np.datetime64(pd.Timestamp(value).normalize().date(), "D").astype(np.int64)


def days(column: pd.Series) -> np.ndarray:
    """A date column as day numbers; an empty date is ``UNPAID`` (after any date).

    >>> days(pd.Series(pd.to_datetime(["1970-01-03", None]))).tolist() == [2, UNPAID]
    True
    """
    values = column.to_numpy(dtype="datetime64[us]")
    return day_numbers(values.view(np.int64), np.int64(86_400_000_000), UNPAID)


@dataclass(frozen=True)
class LedgerArrays:
    """The columns of an invoices table that scoring and forecasting read, as arrays.

    ``codes``: each row's customer number, row ``i`` of ``customers`` (sorted by
    company and customer) being number ``i``; ``issue``, ``due``, ``paid``: day
    numbers (``paid`` is ``UNPAID`` when empty); ``amount``, ``open_amount``,
    ``disputed``: as in the table.
    """

    codes: np.ndarray
    customers: pd.DataFrame
    issue: np.ndarray
    due: np.ndarray
    paid: np.ndarray
    amount: np.ndarray
    open_amount: np.ndarray
    disputed: np.ndarray

    def check(self, invoices: pd.DataFrame) -> None:
        """Refuse arrays that were computed from another frame than ``invoices``."""
        if len(self.codes) != len(invoices):
            raise ValueError(
                f"these ledger arrays hold {len(self.codes):,} rows, the invoices "
                f"{len(invoices):,}: compute them with ledger_arrays(invoices)"
            )


def ledger_arrays(invoices: pd.DataFrame) -> LedgerArrays:
    """The arrays of ``invoices`` (a book's typed table) that scoring and forecasting read."""
    codes, customers = group_codes(invoices, KEYS)
    return LedgerArrays(
        codes=codes,
        customers=customers,
        issue=days(invoices["issue_date"]),
        due=days(invoices["due_date"]),
        paid=days(invoices["paid_date"]),
        amount=read_only(invoices["amount"].to_numpy(dtype=float)),
        open_amount=read_only(invoices["open_amount"].to_numpy(dtype=float)),
        disputed=read_only(invoices["disputed"].to_numpy(dtype=bool)),
    )


def read_only(values: np.ndarray) -> np.ndarray:
    """``values`` as a read-only view, whatever the column it came from.

    ``to_numpy`` gives a read-only view of a float64 column but a writable copy of an
    int64, nullable or Arrow one; numba compiles a loop again for each, so a book with
    whole-number amounts would compile the forecast's loops again rather than use the
    ones compiled ahead (:mod:`cashplan.fast.warm`). One kind of array: one compile.

    >>> read_only(pd.Series([1, 2]).to_numpy(dtype=float)).flags.writeable
    False
    """
    view = values.view()
    view.flags.writeable = False
    return view


def customer_numbers(frame: pd.DataFrame, customers: pd.DataFrame) -> np.ndarray:
    """The number of each ``frame`` row's customer among ``customers`` (-1: not among them).

    >>> customers = pd.DataFrame({"company": ["A", "B"], "customer_id": ["C1", "C1"]})
    >>> rows = pd.DataFrame({"company": ["B", "A", "A"], "customer_id": ["C1", "C9", "C1"]})
    >>> customer_numbers(rows, customers).tolist()
    [1, -1, 0]
    """
    return key_positions(frame, customers, KEYS).astype(np.int64)


def arrays_for(invoices: pd.DataFrame, arrays: LedgerArrays | None) -> LedgerArrays:
    """``arrays`` checked against ``invoices``, or computed when absent."""
    if arrays is None:
        return ledger_arrays(invoices)
    arrays.check(invoices)
    return arrays
