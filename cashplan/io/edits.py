"""The workbook's edits to a book: promises to pay and forecast adjustments, saved safely.

An edit is checked first (a known customer, its own open invoice, a sensible
date and amount); a bad one raises :class:`~cashplan.core.errors.CashplanError` with
the fix, and nothing is written. A good one is saved so that every edit lands,
even from several workbooks (browser tabs, kernels, people) at once:

1. a lock is taken on the table: ``filelock`` on ``.promises.csv.lock`` beside
   it. The lock file stays after the edit (``filelock`` removes it on Windows
   only: removing it on Unix would let two workbooks lock at once); it is empty
   and harmless, the book reader ignores it;
2. the table's file is read again as it is now, whatever other workbooks saved;
3. the new row is appended in the file's own form: a CSV keeps its bytes as they
   are (its columns, unknown ones included, its row order, separator, decimal
   mark, date format, encoding, BOM and line endings) and gains one line; a
   Parquet file keeps its columns and types and gains one row;
4. the file is replaced atomically (a temporary file renamed over it, so a crash
   never half-writes it), read back and checked as :func:`~cashplan.io.book.read_book`
   checks it; if that fails the file is put back as it was. When the book holds the
   file as it was before the edit (no other workbook saved meanwhile), only the new
   line is parsed and checked (:func:`~cashplan.io.book.read_appended`: the rules of
   these tables are row by row), so a save costs the same on a table of any length;
5. the lock is released.

The returned book holds the table as read back, with the rows other workbooks
saved. The new row carries who (``recorded_by``) and when (``recorded_on``: the
as-of date the edit was made at, so the forecast at that date takes it into account).

Examples
--------
>>> import tempfile, pathlib
>>> from cashplan.io.book import read_book
>>> from cashplan.io.export import write_book
>>> from cashplan.sample import make_book
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(tmp.name)
>>> _ = write_book(make_book(n_invoices=600, n_customers=6), folder)
>>> book = read_book(folder)
>>> item = book.invoices.loc[book.invoices["paid_date"].isna()].iloc[0]
>>> book = add_promise(book, "2026-10-31", customer_id=item["customer_id"],
...     company=item["company"], invoice_id=item["invoice_id"], promised_date="2026-11-20",
...     amount=float(item["open_amount"]), user="cfo")
>>> read_book(folder).promises.iloc[-1][["invoice_id", "recorded_by"]].tolist() == [
...     item["invoice_id"], "cfo"]
True
>>> (folder / "promises.csv").read_text().splitlines()[-1].endswith(",2026-10-31,cfo,")
True
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from cashplan.core.dates import to_date
from cashplan.core.errors import CashplanError
from cashplan.core.parse import FRENCH, STANDARD, Dialect
from cashplan.core.rules import rows_named
from cashplan.core.schema import DEFAULT_COMPANY, LEVER_NAMES, TABLES
from cashplan.io.book import Book, decode, read_appended, read_table
from cashplan.io.export import atomic_path, format_for_csv

__all__ = [
    "add_activity",
    "add_adjustment",
    "add_promise",
    "add_scenario",
    "reload_edits",
    "set_sales_plan",
]

EDITED = ("promises", "adjustments", "sales_plan", "activity", "scenarios")
_LOCK_TIMEOUT = 60.0  # seconds: a save takes milliseconds; this is a stuck process
_FREE_TEXT = ("recorded_by", "by", "note")  # guarded against formulas; ids are never altered
_BOM = b"\xef\xbb\xbf"


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


def reload_edits(book: Book) -> Book:
    """``book`` with its promises and adjustments read again where their files changed since
    they were read (saved by another workbook); ``book`` itself when none changed.

    Raises
    ------
    BookError
        When a changed file no longer reads.
    """
    for table in EDITED:
        try:
            path = _table_file(book, table)
        except CashplanError:  # not a folder of CSV or Parquet files: nothing is saved to it
            return book
        if not path.exists():
            continue
        seen = next((s.sha256 for s in book.sources if s.table == table), None)
        if seen != hashlib.sha256(path.read_bytes()).hexdigest():
            book = read_table(book, table, path)
    return book


def _save(book: Book, table: str, row: dict[str, Any]) -> Book:
    """Append ``row`` to the table's file under its lock; the book with the table read back."""
    return _save_rows(book, table, [row])


def _save_rows(book: Book, table: str, rows: list[dict[str, Any]]) -> Book:
    """Append ``rows`` to the table's file under its lock, all or none (one atomic replace)."""
    path = _table_file(book, table)
    lock = FileLock(path.with_name(f".{path.name}.lock"), timeout=_LOCK_TIMEOUT)
    try:
        with lock:
            old = path.read_bytes() if path.exists() else None
            new = old or b""
            for row in rows:
                if path.suffix == ".parquet":
                    new = _with_parquet_row(path, new, row)
                else:
                    new = _with_csv_row(path, new, table, row)
            with atomic_path(path, "wb") as handle:
                handle.write(new)
            try:  # the new row read back and checked (the rows before it only when changed)
                return read_appended(book, table, path, old or b"")
            except BaseException:  # the file does not read back: put it back as it was
                if old is None:
                    path.unlink()
                else:
                    with atomic_path(path, "wb") as handle:
                        handle.write(old)
                raise
    except Timeout:
        raise CashplanError(
            f"{path.name} has been locked by another workbook for {_LOCK_TIMEOUT:.0f} s: "
            "nothing was saved. Try again in a moment; if it lasts, close the other "
            "workbooks on this book."
        ) from None


# ---- CSV: the file's bytes kept, one line appended in its own form ------------------------


@dataclass(frozen=True)
class _CsvForm:
    """How a CSV file is written, as found in its bytes."""

    sep: str
    eol: str
    encoding: str
    dialect: Dialect
    header: list[str]  # the header cells as written
    text: str  # the decoded text, BOM dropped


def _csv_form(data: bytes) -> _CsvForm:
    """The form of an existing CSV, told as the book reader tells it (separator from the header)."""
    text, utf8 = decode(data)
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    dialect = FRENCH if sep == ";" else STANDARD
    if utf8 and (data.startswith(_BOM) or not text.isascii() or dialect is STANDARD):
        encoding = "utf-8"
    else:  # what the French Excel export writes (an all-ASCII ';' file included)
        encoding = "cp1252" if _encodes(data, "cp1252") else "latin-1"
    header = next(csv.reader([first.rstrip("\r")], delimiter=sep), [])
    eol = "\r\n" if first.endswith("\r") else "\n"
    return _CsvForm(sep, eol, encoding, dialect, header, text)


def _encodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _with_csv_row(path: Path, data: bytes, table: str, row: dict[str, Any]) -> bytes:
    """The file's bytes with the new row appended in the file's own form."""
    if not data.strip():  # a new table: the book's standard form
        form = _CsvForm(",", "\n", "utf-8", STANDARD, [c.name for c in TABLES[table]], "")
        data = _encoded(path, form, [form.header], form.header)
    else:
        form = _csv_form(data)
    names = [c.strip().lower() for c in form.header]
    added = [n for n in row if n not in names and _says_something(n, row[n])]
    cells = _csv_cells(row, [*names, *added], form.dialect)
    if added:  # a known column the file lacks: written again, the new column at the end
        return _rewritten(path, data, form, added, cells)
    if not data.endswith((b"\n", b"\r")):
        data += form.eol.encode(form.encoding)
    return data + _encoded(path, form, [cells], [*names, *added])


def _says_something(name: str, value: Any) -> bool:
    """Whether a value needs its column (an empty cell says the same otherwise)."""
    return (
        value is not None and value != "" and not (name == "company" and value == DEFAULT_COMPANY)
    )


def _csv_cells(row: dict[str, Any], names: list[str], dialect: Dialect) -> list[str]:
    """The new row's cells, in the file's order, written as the file writes them."""
    day = "%d/%m/%Y" if dialect.day_first else "%Y-%m-%d"
    cells = []
    for name in names:
        value = row.get(name)
        if value is None or value is pd.NaT:
            cells.append("")
        elif isinstance(value, pd.Timestamp):
            cells.append(value.strftime(day))
        elif isinstance(value, float):
            cells.append(f"{value:.2f}".replace(".", dialect.decimal))
        elif isinstance(value, Decimal):  # a scenario's value: every digit given
            cells.append(str(value).replace(".", dialect.decimal))
        else:
            cells.append(str(value).replace("\r\n", "\n").replace("\r", "\n"))
    free = [i for i, name in enumerate(names) if name in _FREE_TEXT]
    # the free texts guarded as one column (the same cells: the guard is cell by cell)
    text = pd.DataFrame({"text": [cells[i] for i in free]}, dtype="str")
    for i, cell in zip(free, format_for_csv(text)["text"].tolist(), strict=True):
        cells[i] = cell
    return cells


def _encoded(path: Path, form: _CsvForm, rows: list[list[str]], names: list[str]) -> bytes:
    """Rows as CSV lines in the file's separator, quoting, line ending and encoding."""
    out = io.StringIO()
    csv.writer(out, delimiter=form.sep, lineterminator=form.eol).writerows(rows)
    try:
        return out.getvalue().encode(form.encoding)
    except UnicodeEncodeError:
        name, value = next(
            (n, v)
            for r in rows
            for n, v in zip(names, r, strict=False)
            if not _encodes_text(v, form.encoding)
        )
        raise CashplanError(
            f"{path.name} is encoded in {form.encoding} (as the French Excel export writes it), "
            f"which cannot hold the {name} {value!r}: nothing was saved. Write it without "
            f"those characters, or save {path.name} as 'CSV UTF-8' to hold any text."
        ) from None


def _encodes_text(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _rewritten(
    path: Path, data: bytes, form: _CsvForm, added: list[str], cells: list[str]
) -> bytes:
    """The whole file written again in its own form, with the columns ``added`` at the end.

    Every cell keeps its text; only the quoting of cells may change (minimal quoting).
    """
    rows = list(csv.reader(io.StringIO(form.text, newline=""), delimiter=form.sep))
    width = len(form.header)
    grown = [
        [*form.header, *added],
        *([*r, *[""] * (width - len(r) + len(added))] if r else [] for r in rows[1:]),
        cells,
    ]
    names = [*form.header, *added]
    return (_BOM if data.startswith(_BOM) else b"") + _encoded(path, form, grown, names)


# ---- Parquet: the file's columns and types kept, one row appended -------------------------


def _with_parquet_row(path: Path, data: bytes, row: dict[str, Any]) -> bytes:
    """The Parquet file (``data``: its bytes) with the new row: its columns (unknown ones
    null) and types kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    old = pq.read_table(pa.BufferReader(data))
    names = [n.strip().lower() for n in old.column_names]
    arrays = [
        _arrow_cell(path, field, row.get(name))
        for field, name in zip(old.schema, names, strict=True)
    ]
    added = [n for n in row if n not in names and _says_something(n, row[n])]
    arrays += [_arrow_cell(path, pa.field(n, pa.null()), row[n]) for n in added]
    new = pa.Table.from_arrays(arrays, names=[*old.column_names, *added])
    both = pa.concat_tables([old, new], promote_options="default")
    sink = pa.BufferOutputStream()
    pq.write_table(both, sink)
    return bytes(sink.getvalue().to_pybytes())


def _arrow_cell(path: Path, field: Any, value: Any) -> Any:
    """A one-value Arrow array of the column's type (a null one for an empty value)."""
    import pyarrow as pa

    kind = field.type
    text_column = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if value is None or value is pd.NaT or (value == "" and not text_column):
        return pa.nulls(1, kind)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, Decimal) and not text_column:
        value = float(value)
    try:
        if pa.types.is_null(kind):  # a column with no value yet: the value's own type
            return pa.array([value])
        if text_column:
            text = (
                value.strftime("%Y-%m-%d")
                if hasattr(value, "strftime")
                else f"{value:.2f}"
                if isinstance(value, float)
                else str(value)
            )
            return pa.array([text], type=kind)
        if pa.types.is_date(kind):
            return pa.array([value.date()], type=kind)
        return pa.array([value]).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError, ValueError, AttributeError):
        raise CashplanError(
            f"{path.name}: column {field.name!r} holds {kind} values and cannot hold "
            f"{value!r}: write it again with that column as the book's data-format says"
        ) from None


def _customer(book: Book, customer_id: str, company: str | None) -> str:
    inv = book.invoices
    mine = rows_named(inv, "customer_id", [customer_id])  # in the ledger's order
    rows = inv["company"].iloc[mine].unique().tolist()
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
    named = rows_named(inv, "invoice_id", [invoice_id])
    row = inv.iloc[named[np.asarray(inv["company"].iloc[named] == company)]]
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
    _plain(user=user)
    day = _day(as_of, "as-of date")
    company = _customer(book, customer_id, company)
    _open_invoice(book, day, company, customer_id, invoice_id)
    return day, company


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_SHIFT = 3650  # days: a shift of ten years is a typo, not a forecast


def _day(value: Any, what: str) -> pd.Timestamp:
    """``value`` as a day, or a :class:`CashplanError` naming it (never a parser's traceback)."""
    refused = CashplanError(f"{what} {value!r} is not a date: write it as YYYY-MM-DD")
    try:
        day = to_date(value)
    except (ValueError, TypeError, OverflowError, AttributeError):  # None: NaT has no day
        raise refused from None
    if pd.isna(day):
        raise refused
    return day


def _number(value: Any, what: str) -> float:
    """``value`` as a finite number, or a :class:`CashplanError` naming it."""
    try:
        number = float(value)
    except (ValueError, TypeError):
        number = float("nan")
    if not np.isfinite(number):
        raise CashplanError(f"{what} {value!r} is not a number: write it like 1234.56")
    return number


def _plain(**texts: str) -> None:
    """Refuse text a book cannot hold (control characters, as pasted from a mail or a PDF):
    the edit would save, and the book would then no longer read."""
    for name, text in texts.items():
        if _CONTROL.search(str(text)):
            raise CashplanError(
                f"{name} {text!r} holds a control character (an invisible one, often pasted "
                "from a mail or a PDF): type the text again without it"
            )


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

    Returns the book with its promises as saved (those of other workbooks included).
    A later promise on the same invoice (or account) replaces the earlier one in
    the forecast; the earlier one stays on record.
    """
    day, company = _subject(book, as_of, customer_id, invoice_id, company, user, "promise")
    _plain(note=note)
    when = _day(promised_date, "promised date")
    amount = _number(amount, "promised amount")
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
    return _save(book, "promises", row)


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
    """Shift an invoice (or every open invoice of a customer) by days, or pin it to a date.

    Returns the book with its adjustments as saved (those of other workbooks included).
    """
    day, company = _subject(book, as_of, customer_id, invoice_id, company, user, "adjustment")
    _plain(note=note)
    pinned = None if to_date_ in (None, "") else _day(to_date_, "the date to pin to")
    shift = _number(shift_days, "shift in days")
    if shift != int(shift) or abs(shift) > _MAX_SHIFT:
        raise CashplanError(
            f"shift {shift_days!r}: give a whole number of days, at most {_MAX_SHIFT} either way"
        )
    shift_days = int(shift)
    if (pinned is None) == (shift_days == 0):
        raise CashplanError("give either a shift in days (not 0) or a date, not both")
    if pinned is not None and pinned < day:
        raise CashplanError(f"{pinned:%Y-%m-%d} is before the as-of date: pick a later date")
    row = {
        "customer_id": customer_id,
        "company": company,
        "invoice_id": invoice_id,
        "shift_days": shift_days if pinned is None else None,
        "to_date": pinned,
        "recorded_on": day,
        "recorded_by": user,
        "note": note,
    }
    return _save(book, "adjustments", row)


def set_sales_plan(
    book: Book,
    as_of: str | pd.Timestamp,
    *,
    company: str,
    month: str | pd.Timestamp,
    amount: float,
    currency: str = "",
    user: str,
    note: str = "",
) -> Book:
    """Set the invoicing the CFO expects for a company in a month (incl. VAT).

    The row is appended to ``sales_plan`` (under the table's lock, in the file's own
    form); the last row of a company-month replaces the model's invoicing of that month
    and the earlier ones stay on record. ``currency`` defaults to the reporting currency.
    Returns the book with its sales plan as saved (other workbooks' rows included).
    """
    if not user:
        raise CashplanError("say who records the sales plan (the user's name)")
    if company not in book.companies:
        raise CashplanError(
            f"no company {company!r} in the book: pick one of " + ", ".join(book.companies)
        )
    _plain(user=user, note=note)
    day = _day(as_of, "as-of date")
    first = _day(month, "month").to_period("M").to_timestamp()
    amount = _number(amount, "planned amount")
    if first < day.to_period("M").to_timestamp():
        raise CashplanError(
            f"{first:%Y-%m} is before the as-of month {day:%Y-%m}: plan a month still to come"
        )
    if not np.isfinite(amount) or amount < 0:
        raise CashplanError(f"planned amount {amount!r}: give the month's invoicing, 0 or more")
    row = {
        "company": company,
        "month": f"{first:%Y-%m}",
        "amount": float(amount),
        "currency": currency or book.reporting_currency,
        "recorded_on": day,
        "recorded_by": user,
        "note": note,
    }
    return _save(book, "sales_plan", row)


def add_activity(
    book: Book,
    as_of: str | pd.Timestamp,
    *,
    customer_id: str,
    lever: str,
    company: str | None = None,
    date: str | pd.Timestamp | None = None,
    user: str,
    note: str = "",
) -> Book:
    """Record that a battle-plan action was done: ``lever`` on ``customer_id``, by ``user``.

    ``date`` (the day it was done) defaults to the as-of date (no clock is read). The row is
    appended to ``activity`` (under the table's lock, in the file's own form); the monthly
    review counts an action as done when an activity of its customer and lever falls between
    the two reports' as-of dates. Returns the book with its activity as saved.

    Raises
    ------
    CashplanError
        For an unknown customer or lever, a date that does not parse, no user, or text a book
        cannot hold; nothing is written.
    """
    if not user:
        raise CashplanError("say who did the action (the user's name)")
    _plain(user=user, note=note)
    day = _day(as_of, "as-of date")
    when = day if date in (None, "") else _day(date, "date done")
    if lever not in LEVER_NAMES:
        raise CashplanError(f"unknown lever {lever!r}: use one of " + ", ".join(LEVER_NAMES))
    company = _customer(book, customer_id, company)
    row = {
        "date": when,
        "customer_id": customer_id,
        "lever": lever,
        "by": user,
        "company": company,
        "note": note,
    }
    return _save(book, "activity", row)


def add_scenario(
    book: Book,
    as_of: str | pd.Timestamp,
    *,
    name: str,
    rows: pd.DataFrame,
    user: str,
    note: str = "",
) -> Book:
    """Save a named scenario: ``rows`` (parameter, value, company) appended to ``scenarios``.

    All the rows are appended at once under the table's lock, then the table is read back
    and checked as :func:`~cashplan.io.book.read_book` checks it (an unknown parameter or a
    value out of range puts the file back as it was and raises the book's problems). A
    name the table already holds is refused: a scenario is saved once (rows of one
    scenario combine, so a second save would double it). Returns the book as saved.
    """
    if not user:
        raise CashplanError("say who saves the scenario (the user's name)")
    name = str(name).strip()
    if not name:
        raise CashplanError("give the scenario a name, e.g. 'downturn'")
    _plain(name=name, user=user, note=note)
    if rows.empty:
        raise CashplanError(
            "the settings are the base's: change a setting (sales factor, delay, spending, "
            "safety margin, catch-up) before saving it as a scenario"
        )
    if name in set(book.scenarios["scenario"]):
        raise CashplanError(f"a scenario {name!r} is already saved: give this one another name")
    day = _day(as_of, "as-of date")
    new = [
        {
            "scenario": name,
            "parameter": str(parameter),
            "value": Decimal(repr(float(value))),
            "company": str(company),
            "recorded_on": day,
            "recorded_by": user,
            "note": note,
        }
        for parameter, value, company in zip(
            rows["parameter"], rows["value"].astype(float), rows["company"], strict=True
        )
    ]
    return _save_rows(book, "scenarios", new)
