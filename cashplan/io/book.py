"""Reading a book folder (the I/O layer): files in, a validated :class:`Book` out.

A book is a folder with one file per table (``invoices.csv``, ``.xlsx`` or
``.parquet``), or a ``book.xlsx`` with one sheet per table. Every problem in
every file is collected first and raised together as a
:class:`~cashplan.core.errors.BookError`; a book with any problem yields nothing.

Examples
--------
>>> import pandas as pd
>>> book = Book.from_frames(invoices=pd.DataFrame({
...     "invoice_id": ["F1"], "customer_id": ["C1"], "issue_date": ["2026-01-10"],
...     "due_date": ["2026-02-09"], "amount": ["1200.50"]}))
>>> book.invoices[["company", "currency", "open_amount"]].to_dict("records")
[{'company': 'default', 'currency': 'EUR', 'open_amount': 1200.5}]
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cashplan.core.errors import BookError
from cashplan.core.fx import Fx, implied_base
from cashplan.core.parse import FRENCH, STANDARD, Dialect
from cashplan.core.problems import Collector, RawTable
from cashplan.core.rules import ROW_RULES, cross_rules
from cashplan.core.schema import TABLES
from cashplan.core.validate import _typed, validate_tables
from cashplan.io.arrow_csv import read_cells
from cashplan.io.snapshot import read_snapshot, write_snapshot

__all__ = [
    "Book",
    "Source",
    "file_sha256",
    "locate_sources",
    "read_appended",
    "read_book",
    "read_raw_tables",
    "read_table",
    "save_snapshot",
]

_SUFFIXES = (".csv", ".xlsx", ".parquet")
_WORKBOOK = "book.xlsx"


@dataclass(frozen=True)
class Source:
    """An input file and its sha256 (for the report's manifest)."""

    table: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Book:
    """A validated book: typed tables, the reporting currency and the files read."""

    invoices: pd.DataFrame
    customers: pd.DataFrame
    promises: pd.DataFrame
    spending: pd.DataFrame
    fx_rates: pd.DataFrame
    adjustments: pd.DataFrame
    sales_plan: pd.DataFrame
    bank: pd.DataFrame
    activity: pd.DataFrame  # what the team did (0.2): the review's actions done
    scenarios: pd.DataFrame
    reporting_currency: str = "EUR"
    sources: tuple[Source, ...] = field(default=())
    path: Path | None = None

    @classmethod
    def from_frames(cls, reporting_currency: str = "EUR", **frames: pd.DataFrame) -> Book:
        """Validate in-memory tables exactly as files are validated.

        Cells may be text (as in a CSV, dot decimals and ISO dates) or typed.
        """
        return cls.from_tables(frames, reporting_currency)

    @classmethod
    def from_tables(
        cls, tables: Mapping[str, pd.DataFrame], reporting_currency: str = "EUR"
    ) -> Book:
        """Like :meth:`from_frames`, from a mapping of table name to frame."""
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise TypeError(f"unknown table(s) {unknown}; expected some of {sorted(TABLES)}")
        raws = {name: RawTable.from_frame(name, df) for name, df in tables.items()}
        return _build(raws, reporting_currency, sources=(), path=None)

    @cached_property
    def fx(self) -> Fx:
        """The book's rates, converting into its reporting currency (found once per book:
        it reads every invoice's currency, and the analysis asks for it often)."""
        # the base is inferred from the invoices and spending only, as the rules infer it
        used = {c for t in (self.invoices, self.spending) for c in t["currency"].unique()}
        base = implied_base(used, self.fx_rates, self.reporting_currency)
        return Fx(self.fx_rates, self.reporting_currency, base)

    @property
    def companies(self) -> list[str]:
        """The companies of the book, sorted."""
        return sorted(self.invoices["company"].unique().tolist())

    def __repr__(self) -> str:
        where = f" from {self.path}" if self.path else ""
        return (
            f"Book({len(self.invoices):,} invoices, {len(self.companies)} companies, "
            f"reporting in {self.reporting_currency}{where})"
        )


def read_book(
    path: str | Path, reporting_currency: str = "EUR", *, snapshot: str | Path | None = None
) -> Book:
    """Read and validate a book folder (or a single ``book.xlsx``).

    Parameters
    ----------
    path : str or Path
        The book folder, or the path of a ``book.xlsx`` holding a sheet per table.
    reporting_currency : str, default "EUR"
        Currency of rows with no ``currency``, and of every aggregated figure.
    snapshot : str or Path, optional
        A folder written by :func:`save_snapshot` (the report's check before its
        notebook): its tables are used when it was saved from these very files (their
        sha256, hashed here) in this reporting currency; otherwise the book is read.

    Raises
    ------
    BookError
        With every problem found in every file.
    """
    path = Path(path)
    reporting_currency = reporting_currency.upper()
    problems: list[dict[str, object]] = []
    located, sources = locate_sources(path, problems)
    if snapshot is not None and not problems:
        saved = read_snapshot(Path(snapshot), _snapshot_key(sources, reporting_currency))
        if saved is not None and set(saved) == set(TABLES):
            return Book(reporting_currency=reporting_currency, sources=sources, path=path, **saved)
    raws = read_raw_tables(located, problems)
    if problems:
        raise BookError.from_rows(problems)
    return _build(raws, reporting_currency, sources, path)


def save_snapshot(book: Book, folder: str | Path) -> None:
    """Save ``book``'s typed tables in the new folder ``folder``, for :func:`read_book`'s
    ``snapshot`` (see :mod:`cashplan.io.snapshot`)."""
    tables = {name: getattr(book, name) for name in TABLES}
    write_snapshot(tables, _snapshot_key(book.sources, book.reporting_currency), Path(folder))


def _snapshot_key(sources: tuple[Source, ...], reporting_currency: str) -> dict[str, object]:
    return {
        "sources": [[s.table, s.path, s.sha256] for s in sources],
        "reporting_currency": reporting_currency,
    }


def locate_sources(
    path: Path, problems: list[dict[str, object]]
) -> tuple[list[tuple[str, Path, str | None]], tuple[Source, ...]]:
    """Each table's file (and sheet, in a ``book.xlsx``) in the book ``path``, and the
    sources: each table's file with its sha256. Problems (a missing invoices table, a
    file named like a table) are added to ``problems``."""
    located = _locate(path, problems)
    digests: dict[Path, str] = {}
    for _, file, _ in located:
        if file not in digests:
            digests[file] = file_sha256(file)
    return located, tuple(Source(t, str(f), digests[f]) for t, f, _ in located)


def read_raw_tables(
    located: list[tuple[str, Path, str | None]], problems: list[dict[str, object]]
) -> dict[str, RawTable]:
    """The located tables as raw text tables, before any check (their problems added to
    ``problems``: an unreadable file, a bad header, a malformed CSV)."""
    raws: dict[str, RawTable] = {}
    for table, file, sheet in located:
        raw = _read_raw(table, file, sheet, problems)
        if raw is not None:
            raws[table] = raw
    return raws


def file_sha256(file: Path) -> str:
    """The sha256 of a file's bytes (hex), read in blocks: a book's inputs, a report's files."""
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(book: Book, table: str, file: str | Path) -> Book:
    """``book`` with one table read again from ``file``, checked as :func:`read_book` checks
    it (against the book's other tables), and its :class:`Source` updated.

    The workbook's edits and refreshes use it: only that table is read and checked.

    Raises
    ------
    BookError
        With every problem found in the file.
    """
    file = Path(file)
    # hashed before it is read: a change in between shows as a change at the next look
    digest = file_sha256(file)
    problems: list[dict[str, object]] = []
    raw = _read_raw(table, file, None, problems)
    if problems or raw is None:
        raise BookError.from_rows(problems)
    return _with_table(book, table, _checked(book, raw), Source(table, str(file), digest))


def read_appended(book: Book, table: str, file: str | Path, before: bytes) -> Book:
    """``book`` with the rows appended to the CSV ``file`` since it held ``before`` read
    and checked; the rows ``book`` holds already (read from ``before``) are not read again.

    What an edit saves: the table's rules are row by row (:mod:`cashplan.core.rules`), so
    checking the new rows against the book checks the table. Whenever the file is not
    ``before`` plus rows that read cleanly (another kind of file, a file rewritten, a
    ``before`` the book was not read from, a new row with a problem), the whole file is
    read by :func:`read_table`, whose answer (or message) is then the one given.

    Raises
    ------
    BookError
        With every problem found in the file (from :func:`read_table`).
    """
    file = Path(file)
    data = file.read_bytes()
    old = getattr(book, table)
    seen = next((s.sha256 for s in book.sources if s.table == table), None)
    tail = None
    if (
        file.suffix.lower() == ".csv"
        and before.strip()
        and len(data) > len(before)
        and data.startswith(before)
        and seen == hashlib.sha256(before).hexdigest()
        and old.index.equals(pd.RangeIndex(len(old)))
    ):
        tail = _appended_rows(book, table, file.name, data, before)
    if tail is None:
        return read_table(book, table, file)
    source = Source(table, str(file), hashlib.sha256(data).hexdigest())
    return _with_table(book, table, pd.concat([old, tail], ignore_index=True), source)


def _appended_rows(
    book: Book, table: str, name: str, data: bytes, before: bytes
) -> pd.DataFrame | None:
    """The typed rows of ``data`` after ``before`` when they read and check cleanly, and hold
    the columns and types of the book's table; else None."""
    try:
        text, old = decode(data, file=name)[0], decode(before, file=name)[0]
    except BookError:
        return None
    text, old = (t.replace("\r\n", "\n").replace("\r", "\n") for t in (text, old))
    if not text.startswith(old):
        return None
    problems: list[dict[str, object]] = []
    raw = _csv_raw(table, name, _first_record(text) + "\n" + text[len(old) :], problems)
    if problems or raw is None or raw.frame.empty:
        return None
    try:
        typed = _checked(book, raw)
    except BookError:
        return None
    kept = getattr(book, table)
    same = list(typed.columns) == list(kept.columns) and (typed.dtypes == kept.dtypes).all()
    return typed if same else None


def _checked(book: Book, raw: RawTable) -> pd.DataFrame:
    """``raw`` typed and checked as the book's ``raw.table`` against its other tables."""
    table = raw.table
    col, cross = Collector(raw), Collector(raw)
    typed = _typed(col, book.reporting_currency)
    if typed is not None:
        ROW_RULES[table](typed, col)
        tables = {name: getattr(book, name) for name in TABLES} | {table: typed}
        cross_rules(tables, {table: cross}, book.reporting_currency)
    parts = col.parts + cross.parts
    if parts or typed is None:
        found = pd.concat(parts, ignore_index=True)
        found["line"] = found["line"].astype("Int64")
        raise BookError(found.sort_values("line", kind="stable", na_position="first"))
    return typed


def _with_table(book: Book, table: str, typed: pd.DataFrame, source: Source) -> Book:
    """``book`` with ``table`` and its source replaced (the source kept in its place)."""
    sources = [s for s in book.sources if s.table != table]
    at = next((i for i, s in enumerate(book.sources) if s.table == table), len(sources))
    changes: dict[str, Any] = {table: typed, "sources": (*sources[:at], source, *sources[at:])}
    return replace(book, **changes)


def _build(
    raws: dict[str, RawTable],
    reporting_currency: str,
    sources: tuple[Source, ...],
    path: Path | None,
) -> Book:
    tables, problems = validate_tables(raws, reporting_currency)
    if len(problems):
        raise BookError(problems)
    return Book(reporting_currency=reporting_currency, sources=sources, path=path, **tables)


def _problem(
    problems: list[dict[str, object]],
    file: str,
    problem: str,
    fix: str,
    line: int | None = None,
    column: str = "",
    value: str = "",
) -> None:
    problems.append(
        {
            "file": file,
            "line": line if line is not None else pd.NA,
            "column": column,
            "value": value,
            "problem": problem,
            "fix": fix,
        }
    )


def _locate(path: Path, problems: list[dict[str, object]]) -> list[tuple[str, Path, str | None]]:
    """Find each table's file (and sheet, in a book.xlsx)."""
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _locate_sheets(path, problems)
    if not path.is_dir():
        _problem(
            problems,
            str(path),
            "no such book folder",
            "give the folder holding invoices.csv (or book.xlsx)",
        )
        return []
    files = {f.name.lower(): f for f in sorted(path.iterdir()) if f.is_file()}
    found: list[tuple[str, Path, str | None]] = []
    if _WORKBOOK in files:
        found = _locate_sheets(files[_WORKBOOK], problems)
    names = {f"{t}{s}" for t in TABLES for s in _SUFFIXES}
    for table in TABLES:
        hits = [files[f"{table}{s}"] for s in _SUFFIXES if f"{table}{s}" in files]
        if len(hits) > 1 or (hits and any(t == table for t, _, _ in found)):
            _problem(
                problems,
                str(path),
                f"table '{table}' is given more than once: "
                + ", ".join(h.name for h in hits)
                + (f" and a sheet of {_WORKBOOK}" if _WORKBOOK in files else ""),
                "keep one file per table",
            )
        elif hits:
            found.append((table, hits[0], None))
    for lower, f in files.items():
        stem, suffix = Path(lower).stem, Path(lower).suffix
        if lower in names or lower == _WORKBOOK or suffix not in (*_SUFFIXES, ".xls"):
            continue
        close = difflib.get_close_matches(stem, list(TABLES), n=1, cutoff=0.75)
        if suffix == ".xls":
            _problem(
                problems,
                f.name,
                "the old Excel format .xls is not read",
                "save it as .xlsx (or export a CSV)",
            )
        elif close:
            _problem(
                problems,
                f.name,
                f"a file named like table '{close[0]}'",
                f"rename it {close[0]}{suffix}",
            )
    if not any(t == "invoices" for t, _, _ in found) and not problems:
        _problem(
            problems,
            str(path),
            "the book has no invoices table",
            "add invoices.csv (or .xlsx, .parquet, or a sheet 'invoices' in book.xlsx)",
        )
    return found


def _locate_sheets(
    file: Path, problems: list[dict[str, object]]
) -> list[tuple[str, Path, str | None]]:
    try:
        sheets = pd.ExcelFile(file, engine="openpyxl").sheet_names
    except Exception as exc:  # openpyxl raises several types for a corrupt file
        _problem(
            problems,
            file.name,
            f"not a readable Excel workbook ({exc})",
            "save it again as .xlsx from Excel",
        )
        return []
    by_name = {str(s).strip().lower(): str(s) for s in sheets}
    found: list[tuple[str, Path, str | None]] = [
        (t, file, by_name[t]) for t in TABLES if t in by_name
    ]
    for lower, sheet in by_name.items():
        if lower in TABLES:
            continue
        close = difflib.get_close_matches(lower, list(TABLES), n=1, cutoff=0.6)
        if close and close[0] not in by_name:
            _problem(
                problems,
                file.name,
                f"sheet '{sheet}' is not a table name",
                f"rename the sheet '{close[0]}'",
                column="",
                value=sheet,
            )
    if "invoices" not in by_name:
        _problem(
            problems,
            file.name,
            f"no sheet named 'invoices' (sheets: {', '.join(map(str, sheets))})",
            "name the invoices sheet 'invoices'; other sheets are named after their table",
        )
    return found


def _read_raw(
    table: str, file: Path, sheet: str | None, problems: list[dict[str, object]]
) -> RawTable | None:
    suffix = file.suffix.lower()
    label = f"{file.name}[{sheet}]" if sheet and file.name.lower() == _WORKBOOK else file.name
    if suffix == ".csv":
        return _read_csv(table, file, problems)
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            _problem(
                problems,
                label,
                f"not a readable Parquet file ({exc})",
                "write it again with pandas.DataFrame.to_parquet",
            )
            return None
        clean = _clean_header(frame, label, problems)
        if clean is None:
            return None
        lines = pd.Series(np.arange(1, len(clean) + 1), index=clean.index)  # row numbers
        return RawTable(table, label, clean, lines, STANDARD)
    try:
        frame = pd.read_excel(file, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises several types for a corrupt file
        _problem(
            problems,
            label,
            f"not a readable Excel workbook ({exc})",
            "save it again as .xlsx from Excel",
        )
        return None
    header = [str(c) for c in frame.columns]
    cells = frame.map(_excel_cell).astype(str)
    clean = _clean_header(cells, label, problems, names=[re.sub(r"\.\d+$", "", c) for c in header])
    if clean is None:
        return None
    frame = clean.loc[(clean != "").any(axis=1)]
    return RawTable(table, label, frame, pd.Series(frame.index + 2, index=frame.index), STANDARD)


def _excel_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_UTF8_SEQUENCE = re.compile(  # a multi-byte UTF-8 character
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode(data: bytes, fallback: str = "cp1252", file: str = "") -> tuple[str, bool]:
    """Text of a file, and whether it was UTF-8.

    UTF-8 (a BOM dropped) when the whole file decodes as UTF-8. A file that does not
    is read in ``fallback`` (else latin-1, which never fails) only when nothing in it
    is UTF-8: no BOM and no multi-byte UTF-8 sequence. A file with both UTF-8 and
    bytes that are not (a line pasted from another source) is refused, naming the
    line of the first bad byte: read in ``fallback``, its UTF-8 text would be
    silently changed (``Crème`` read as ``CrÃ¨me``).

    Raises
    ------
    BookError
        For a file mixing UTF-8 and another encoding; ``file`` names it.

    Examples
    --------
    >>> decode("é".encode("cp1252")), decode("\ufeffé".encode("utf-8"))
    (('é', False), ('é', True))
    >>> try:
    ...     decode("é\\n".encode() + "é".encode("cp1252"), file="x.csv")
    ... except BookError as err:
    ...     p = err.to_frame().loc[0]
    ...     int(p["line"]), p["problem"]
    (2, 'byte 0xE9 is not UTF-8, in a file that is UTF-8 elsewhere')
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError as exc:
        at = exc.start
    if bom or _UTF8_SEQUENCE.search(data):
        newline = b"\n" if b"\n" in data else b"\r"
        start = data.rfind(newline, 0, at) + 1
        end = data.find(newline, at)
        line = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
        raise BookError.from_rows(
            [
                {
                    "file": file,
                    "line": data.count(newline, 0, at) + 1,
                    "column": "",
                    "value": line.decode("utf-8", errors="replace")[:80],
                    "problem": f"byte 0x{data[at]:02X} is not UTF-8, in a file that is UTF-8 "
                    "elsewhere",
                    "fix": "save the whole file as UTF-8 (in Excel: 'CSV UTF-8'); this line was "
                    "probably pasted from a cp1252 or latin-1 text",
                }
            ]
        )
    try:
        return data.decode(fallback), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_LINE_BYTES = re.compile(rb"[^\n]*\n|[^\n]+")


_BLANK = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]*")  # the ASCII characters str.isspace() takes


def _read_csv(table: str, file: Path, problems: list[dict[str, object]]) -> RawTable | None:
    data = file.read_bytes()
    text: str | None = None
    utf8 = True
    if data.isascii():  # UTF-8 already: its text is made only if pandas' reader needs it
        data = _utf8_lines(data, "", utf8=True)
        empty = _BLANK.fullmatch(data) is not None
    else:
        try:
            text, utf8 = decode(data, file=file.name)
        except BookError as err:
            problems.extend(
                {str(k): v for k, v in row.items()} for row in err.problems.to_dict("records")
            )
            return None
        if "\r" in text:  # Windows (CR LF) and old Mac (CR) line endings, also inside quotes
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        empty = not text or text.isspace()  # what strip() would find, without a copy
    if empty:
        cols = ", ".join(c.name for c in TABLES[table] if c.required)
        _problem(
            problems,
            file.name,
            "the file is empty",
            f"export the table with its header line ({cols}) and its rows",
        )
        return None
    return _csv_raw(table, file.name, text, problems, data, utf8)


def _csv_raw(
    table: str,
    name: str,
    text: str | None,
    problems: list[dict[str, object]],
    data: bytes | None = None,
    utf8: bool = True,
) -> RawTable | None:
    """The raw table of a CSV's text (line endings already ``\\n``), separator from its header.

    ``data``: the file's bytes when ``text`` is the whole file (``utf8``: it was UTF-8), so
    that Arrow's reader takes them without encoding the text again. ``text`` None: ``data``
    is ASCII with ``\\n`` line endings, decoded only where pandas' reader needs it."""
    if text is None:
        assert data is not None
        raw = data
        header = _first_record(data[: 1 << 16].decode("ascii"))
    else:
        raw = text.encode("utf-8") if data is None else _utf8_lines(data, text, utf8)
        header = _first_record(text)
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    dialect: Dialect = FRENCH if sep == ";" else STANDARD
    header_cells = _header_cells(text if text is not None else raw, sep)
    frame = read_cells(raw, sep, header_cells)
    if frame is None:  # a file Arrow's reader could read otherwise: pandas' exact reading
        frame = _pandas_cells(raw.decode("ascii") if text is None else text, sep, name, problems)
        if frame is None:
            return None
    clean = _clean_header(frame, name, problems, names=header_cells)
    if clean is None:
        return None
    frame = clean.fillna("")
    if not _all_filled(frame):  # rows of empty cells dropped (a copy only when there are some)
        filled = (frame != "").any(axis=1)
        frame = frame.loc[filled]
    return RawTable(table, name, frame, pd.Series(frame.index + 2, index=frame.index), dialect)


def _all_filled(frame: pd.DataFrame) -> bool:
    """Whether no row of ``frame`` (text, no NA) is empty: true when one Arrow column has no
    empty cell (a length each, no cell compared); False when it cannot tell cheaply."""
    for _, column in frame.items():
        if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
            cells = pa.array(column, from_pandas=True)
            if len(cells) == 0 or pc.min(pc.binary_length(cells)).as_py() > 0:
                return True
    return frame.empty


def _header_cells(text: str | bytes, sep: str) -> list[str]:
    """The header's cells as :mod:`csv` reads them (quoted line breaks too); the lines are
    cut (and ASCII bytes decoded) lazily, so a large file is not copied."""
    if isinstance(text, bytes):
        lines = (m.group().decode("ascii") for m in _LINE_BYTES.finditer(text))
        return next(csv.reader(lines, delimiter=sep))
    return next(csv.reader((m.group() for m in _LINE.finditer(text)), delimiter=sep))


def _utf8_lines(data: bytes, text: str, utf8: bool) -> bytes:
    """The file as UTF-8 bytes with ``\n`` line endings (what :func:`read_cells` reads)."""
    if not utf8:
        return text.encode("utf-8")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def _pandas_cells(
    text: str, sep: str, label: str, problems: list[dict[str, object]]
) -> pd.DataFrame | None:
    fix = f"every line needs the same number of '{sep}'-separated cells as the header"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype="str",
                keep_default_na=False,
                skip_blank_lines=False,
                quoting=csv.QUOTE_MINIMAL,
                index_col=False,  # never the first column as the index, shifting the others
            )
    except (pd.errors.ParserError, ValueError) as exc:
        at = re.search(r"line (\d+)", str(exc))
        _problem(
            problems,
            label,
            f"not a well-formed CSV ({exc})",
            fix,
            line=int(at.group(1)) if at else None,
        )
        return None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        # pandas drops the cells beyond the header's: say where, drop nothing silently
        n = len(frame.columns)
        reader = csv.reader((m.group() for m in _LINE.finditer(text)), delimiter=sep)
        line = next((i for i, row in enumerate(reader, start=1) if len(row) > n), None)
        _problem(problems, label, "a line with more cells than the header", fix, line=line)
        return None
    return frame


def _first_record(text: str) -> str:
    """The header's text: its first line, and the next ones while a quote is open."""
    lines = text[: 1 << 16].split("\n", 20)[:20]  # a header spans a few lines at most
    header = lines[0]
    for line in lines[1:]:
        if header.count('"') % 2 == 0:
            break
        header += "\n" + line
    return header


def _clean_header(
    frame: pd.DataFrame,
    label: str,
    problems: list[dict[str, object]],
    names: list[str] | None = None,
) -> pd.DataFrame | None:
    given = [str(c) for c in (names or frame.columns)]
    broken = [n for n in given if "\n" in n or "\r" in n]
    for name in broken:
        _problem(
            problems,
            label,
            "a line break inside a header cell",
            "write the column name on one line (remove the line break inside the cell)",
            line=1,
            column=name,
            value=name,
        )
    if broken:
        return None
    names = [n.strip().lower() for n in given]
    seen: set[str] = set()
    dups = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dups:
        _problem(
            problems,
            label,
            f"column(s) {', '.join(dups)} appear more than once in the header",
            "keep one column of each name",
            line=1,
        )
        return None
    frame = frame.copy()
    frame.columns = pd.Index(names)
    return frame
