"""The workbook's edits to a book: promises to pay and forecast adjustments, saved atomically.

An edit is checked first (a known customer, its own open invoice, a sensible
date and amount); a bad one raises :class:`~cashplan.errors.CashplanError` with
the fix, and nothing is written. A good one is appended to the table, and the
whole table is written to a temporary file renamed over the book's file, so a
crash or a kernel restart never loses or half-writes it. The new row carries
who (``recorded_by``) and when (``recorded_on``: the as-of date the edit was
made at, so the forecast at that date takes it into account).

Examples
--------
>>> import tempfile, pathlib
>>> from cashplan.book import read_book
>>> from cashplan.export import write_book
>>> from cashplan.sample import make_book
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_book(make_book(n_invoices=600, n_customers=6), folder)
>>> book = read_book(folder)
>>> item = book.invoices.loc[book.invoices["paid_date"].isna()].iloc[0]
>>> book = add_promise(book, "2026-10-31", customer_id=item["customer_id"],
...     company=item["company"], invoice_id=item["invoice_id"], promised_date="2026-11-20",
...     amount=float(item["open_amount"]), user="cfo")
>>> read_book(folder).promises.iloc[-1][["invoice_id", "recorded_by"]].tolist() == [
...     item["invoice_id"], "cfo"]
True
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cashplan.book import Book
from cashplan.errors import CashplanError
from cashplan.export import atomic_path, write_csv
from cashplan.ledger import to_date

__all__ = ["add_adjustment", "add_promise"]


def _table_file(book: Book, table: str) -> Path:
    if book.path is None or book.path.suffix == ".xlsx":
        raise CashplanError(
            "edits are saved to a book folder of CSV or Parquet files; "
            f"{book.path or 'this in-memory book'} is not one. Save the book "
            "as CSV files (one per table) to edit it here."
        )
    for source in book.sources:
        if source.table == table:
            path = Path(source.path)
            if path.suffix == ".xlsx":
                raise CashplanError(
                    f"{path} is an Excel file: save {table} as {table}.csv "
                    "(and remove the .xlsx) to edit it from the workbook."
                )
            return path
    return book.path / f"{table}.csv"


def _write(book: Book, table: str, frame: pd.DataFrame) -> Book:
    path = _table_file(book, table)
    if path.suffix == ".parquet":
        with atomic_path(path, "wb") as handle:
            frame.to_parquet(handle, index=False)
    else:
        write_csv(frame, path)
    changes: dict[str, Any] = {table: frame.reset_index(drop=True)}
    return dataclasses.replace(book, **changes)


def _customer(book: Book, customer_id: str, company: str | None) -> str:
    inv = book.invoices
    rows = inv.loc[inv["customer_id"] == customer_id, "company"].unique().tolist()
    if not rows:
        raise CashplanError(f"no customer {customer_id!r} in the book: pick one from the list")
    if company is None:
        if len(rows) > 1:
            raise CashplanError(f"customer {customer_id!r} is in companies {rows}: say which")
        return str(rows[0])
    if company not in rows:
        raise CashplanError(f"customer {customer_id!r} has no invoice in company {company!r}")
    return company


def _open_invoice(
    book: Book, day: pd.Timestamp, company: str, customer_id: str, invoice_id: str
) -> None:
    if not invoice_id:
        return
    inv = book.invoices
    row = inv.loc[(inv["company"] == company) & (inv["invoice_id"] == invoice_id)]
    if row.empty or row["customer_id"].iloc[0] != customer_id:
        raise CashplanError(
            f"invoice {invoice_id!r} is not an invoice of {customer_id!r} in "
            f"{company}: pick one of its open invoices, or none for the account"
        )
    paid = row["paid_date"].iloc[0]
    if pd.notna(paid) and paid <= day:
        raise CashplanError(
            f"invoice {invoice_id!r} was paid on {paid:%Y-%m-%d}: nothing to promise or shift"
        )


def _subject(
    book: Book,
    as_of: str | pd.Timestamp,
    customer_id: str,
    invoice_id: str,
    company: str | None,
    user: str,
    what: str,
) -> tuple[pd.Timestamp, str]:
    """Check who records an edit and what it is about; the as-of day and the company."""
    if not user:
        raise CashplanError(f"say who records the {what} (the user's name)")
    day = to_date(as_of)
    company = _customer(book, customer_id, company)
    _open_invoice(book, day, company, customer_id, invoice_id)
    return day, company


def _append(table: pd.DataFrame, row: dict[str, Any]) -> pd.DataFrame:
    new = pd.DataFrame({c: [row.get(c)] for c in table.columns})
    new = new.astype({c: table[c].dtype for c in table.columns})
    return pd.concat([table, new], ignore_index=True)


def add_promise(
    book: Book,
    as_of: str | pd.Timestamp,
    *,
    customer_id: str,
    promised_date: str | pd.Timestamp,
    amount: float,
    invoice_id: str = "",
    company: str | None = None,
    user: str,
    note: str = "",
) -> Book:
    """Record a promise to pay (on an invoice, or on the account when ``invoice_id`` is empty).

    Returns the book with the new promise; the promises file is rewritten atomically.
    A later promise on the same invoice (or account) replaces the earlier one in
    the forecast; the earlier one stays on record.
    """
    day, company = _subject(book, as_of, customer_id, invoice_id, company, user, "promise")
    when = to_date(promised_date)
    if when < day:
        raise CashplanError(
            f"promised date {when:%Y-%m-%d} is before the as-of date "
            f"{day:%Y-%m-%d}: a promise is for a day still to come"
        )
    if not np.isfinite(amount) or amount <= 0:
        raise CashplanError(f"promised amount {amount!r}: give the amount promised, above 0")
    row = {
        "customer_id": customer_id,
        "promised_date": when,
        "amount": float(amount),
        "company": company,
        "invoice_id": invoice_id,
        "recorded_on": day,
        "recorded_by": user,
        "note": note,
    }
    return _write(book, "promises", _append(book.promises, row))


def add_adjustment(
    book: Book,
    as_of: str | pd.Timestamp,
    *,
    customer_id: str,
    invoice_id: str = "",
    shift_days: int = 0,
    to_date_: str | pd.Timestamp | None = None,
    company: str | None = None,
    user: str,
    note: str = "",
) -> Book:
    """Shift an invoice (or every open invoice of a customer) by days, or pin it to a date."""
    day, company = _subject(book, as_of, customer_id, invoice_id, company, user, "adjustment")
    pinned = None if to_date_ in (None, "") else to_date(to_date_)
    if (pinned is None) == (shift_days == 0):
        raise CashplanError("give either a shift in days (not 0) or a date, not both")
    if pinned is not None and pinned < day:
        raise CashplanError(f"{pinned:%Y-%m-%d} is before the as-of date: pick a later date")
    row = {
        "customer_id": customer_id,
        "company": company,
        "invoice_id": invoice_id,
        "shift_days": int(shift_days) if pinned is None else 0,
        "to_date": pinned,
        "recorded_on": day,
        "recorded_by": user,
        "note": note,
    }
    return _write(book, "adjustments", _append(book.adjustments, row))
