"""The receivables ledger seen at a date: open items, sales and collections.

Every function takes the typed ``invoices`` table of a :class:`~cashplan.io.book.Book`
and returns a new frame; none mutates its input.

An invoice is open at ``as_of`` when it was issued on or before ``as_of`` and
not settled by then (``paid_date`` empty or later). Its open amount at a past
date is its full ``amount`` when it was settled later (partial payments have
no date in the book), and ``open_amount`` when it is still open today.

Examples
--------
>>> from cashplan.io.book import Book
>>> book = Book.from_frames(invoices=pd.DataFrame({
...     "invoice_id": ["F1", "F2", "F3"], "customer_id": ["C1", "C1", "C2"],
...     "issue_date": ["2026-09-01", "2026-09-15", "2026-10-20"],
...     "due_date": ["2026-10-01", "2026-10-15", "2026-11-19"],
...     "amount": ["100", "200", "300"], "paid_date": ["2026-10-05", "", ""]}))
>>> items = open_items(book.invoices, "2026-10-31", Fx.identity())
>>> print(items[["invoice_id", "open_amount_rc", "days_past_due"]].to_string(index=False))
invoice_id  open_amount_rc  days_past_due
        F2           200.0             16
        F3           300.0            -19
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.fast.arrays import UNPAID, LedgerArrays, day_number, days

__all__ = [
    "collections",
    "open_items",
    "open_rows",
    "sales",
    "settled_mask",
    "to_date",
]


def open_rows(invoices: pd.DataFrame, as_of: str | pd.Timestamp) -> np.ndarray:
    """Positions of the invoices open at ``as_of`` (see ``open_items``).

    >>> inv = pd.DataFrame({
    ...     "issue_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-03-01"]),
    ...     "paid_date": pd.to_datetime(["2026-01-20", "2026-02-20", None]),
    ...     "amount": [10.0, 10.0, 10.0], "open_amount": [0.0, 0.0, 10.0]})
    >>> open_rows(inv, "2026-01-31").tolist()
    [1]
    """
    issue, paid = (days(invoices[k]) for k in ("issue_date", "paid_date"))
    amount, open_amount = (invoices[k].to_numpy(dtype=float) for k in ("amount", "open_amount"))
    return _open(issue, paid, amount, open_amount, day_number(as_of))


def open_rows_of(arrays: LedgerArrays, as_of: str | pd.Timestamp) -> np.ndarray:
    """:func:`open_rows` from a ledger's arrays (its dates already day numbers)."""
    return _open(arrays.issue, arrays.paid, arrays.amount, arrays.open_amount, day_number(as_of))


def _open(
    issue: np.ndarray, paid: np.ndarray, amount: np.ndarray, open_amount: np.ndarray, day: np.int64
) -> np.ndarray:
    settled_later = (paid > day) & (paid != UNPAID)
    is_open = (issue <= day) & (paid > day)
    return np.flatnonzero(is_open & (np.where(settled_later, amount, open_amount) != 0))


def open_items(
    invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    fx: Fx,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The invoices open at ``as_of``, with their open amount in the reporting currency.

    Parameters
    ----------
    invoices : DataFrame
        The book's typed invoices.
    as_of : date
        The day the book is seen at.
    fx : Fx
        Rates; open amounts convert at the rate valid on ``as_of``.
    customers : DataFrame, optional
        When given, adds each invoice's ``owner`` ("unassigned" when unknown).

    Returns
    -------
    DataFrame
        The open invoices with ``open_amount`` (as of that day), ``open_amount_rc``
        and ``days_past_due`` (``as_of - due_date`` in days; 0 or less = not yet due).
    """
    return items_at(invoices, open_rows(invoices, as_of), as_of, fx, customers)


def items_at(
    invoices: pd.DataFrame,
    rows: np.ndarray,
    as_of: str | pd.Timestamp,
    fx: Fx,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The invoices at positions ``rows`` (open at ``as_of``) as :func:`open_items` shows them."""
    day = to_date(as_of)
    out = invoices.iloc[rows]  # a new frame (copy on write): changing it leaves invoices as is
    settled_later = out["paid_date"].notna() & (out["paid_date"] > day)
    out["open_amount"] = np.where(settled_later, out["amount"], out["open_amount"])
    out["open_amount_rc"] = fx.convert(
        out["open_amount"], out["currency"], np.full(len(out), day.to_datetime64())
    )
    out["days_past_due"] = (day - out["due_date"]).dt.days.astype("int64")
    if customers is not None:
        owners = customers.drop_duplicates(["company", "customer_id"]).set_index(
            ["company", "customer_id"]
        )["owner"]
        keys = pd.MultiIndex.from_frame(out[["company", "customer_id"]])
        out["owner"] = owners.reindex(keys).fillna("unassigned").to_numpy()
    return out.reset_index(drop=True)


def sales(invoices: pd.DataFrame, fx: Fx) -> pd.DataFrame:
    """Invoiced amounts (credit notes negative) in the reporting currency at the issue date.

    Returns the columns ``company``, ``issue_date`` and ``amount_rc``.
    """
    return pd.DataFrame(
        {
            "company": invoices["company"].array,  # as stored: no text copied per row
            "issue_date": invoices["issue_date"].to_numpy(),
            "amount_rc": fx.convert(
                invoices["amount"], invoices["currency"], invoices["issue_date"]
            ),
        }
    )


def collections(invoices: pd.DataFrame, fx: Fx) -> pd.DataFrame:
    """Cash collected from settled invoices, in the reporting currency at the paid date.

    Returns the columns ``company``, ``paid_date`` and ``amount_rc``. Partial
    payments on still-open invoices carry no date in the book and are not counted.
    """
    # the columns read, then the rows (not every column of a million-row table)
    columns = ["company", "paid_date", "amount", "currency"]
    settled = invoices[columns].loc[invoices["paid_date"].notna().to_numpy()]
    return pd.DataFrame(
        {
            "company": settled["company"].array,
            "paid_date": settled["paid_date"].to_numpy(),
            "amount_rc": fx.convert(settled["amount"], settled["currency"], settled["paid_date"]),
        }
    )


def settled_mask(invoices: pd.DataFrame, as_of: str | pd.Timestamp) -> np.ndarray:
    """The payment history at ``as_of``: invoices (not credit notes) settled by that day.

    >>> inv = pd.DataFrame({"amount": [10.0, -5.0, 10.0],
    ...                     "paid_date": pd.to_datetime(["2026-01-05", "2026-01-05", None])})
    >>> settled_mask(inv, "2026-01-31").tolist()
    [True, False, False]
    """
    day = to_date(as_of)
    paid = invoices["paid_date"]
    return (paid.notna() & (paid <= day) & (invoices["amount"] > 0)).to_numpy()
