"""Writing tables (the I/O layer's other half): atomic, spreadsheet-safe CSV and Parquet.

Every file is written to a temporary file in the same folder, then renamed over
the target, so a reader never sees a half-written file and a crash loses
nothing. In the tables a person opens in a spreadsheet (the report folder), a
free-text cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-`` or ``@``: a name, a note) gets a leading ``'``. Ids (:data:`IDS`) are
never changed, and a book written for cashplan to read back (:func:`write_book`)
is written as it is, so ids and notes round-trip unchanged.

Large tables are written without a Python call per cell: the CSV text is built
column by column with Arrow (:func:`csv_bytes`, the same bytes as pandas' writer),
the XLSX rows are streamed by XlsxWriter, and many small files (the reminders) are
written together (:func:`write_texts`).

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(tmp.name)
>>> frame = pd.DataFrame({"name": ["=HYPERLINK()", "Durand SA"], "amount": [1234.5, -2.0],
...                       "day": pd.to_datetime(["2026-10-31", None]), "invoice_id": ["-1", "=2"]})
>>> path = write_csv(frame, folder / "t.csv")
>>> print(path.read_text())
name,amount,day,invoice_id
'=HYPERLINK(),1234.50,2026-10-31,-1
Durand SA,-2.00,,=2
<BLANKLINE>
>>> tmp.cleanup()
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "IDS",
    "atomic_path",
    "csv_bytes",
    "format_for_csv",
    "sheet_names",
    "write_book",
    "write_csv",
    "write_texts",
    "write_xlsx",
]

IDS = frozenset({"company", "customer_id", "invoice_id"})
"""Columns that identify a row: written exactly as they are (a script joins on them)."""
_FORMULA = ("=", "+", "-", "@")
_NO_CLOCK = datetime(1980, 1, 1, tzinfo=UTC)  # the workbook's creation date, fixed
_CELL_LIMIT = 32_767  # characters an Excel cell holds
_CUT = " ... (cut: Excel's cell limit)"
_PRECISE = {"rate", "probability", "cumulative_share", "prior", "posterior"}  # 6 decimals
_QUOTE = re.compile(r'[,"\r\n]')  # a cell holding one is quoted by the CSV writer
_LARGEST = 1e13  # cents printed from integers below it (see _cents_text)


@contextmanager
def atomic_path(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
    try:
        handle: IO[Any] = (
            os.fdopen(fd, mode)
            if "b" in mode
            else os.fdopen(fd, mode, encoding="utf-8", newline="")
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _neutralised(text: pd.Series) -> pd.Series:
    """Text cells that a spreadsheet would run as a formula get a leading ``'`` (not numbers)."""
    risky = text.str.startswith(_FORMULA).to_numpy(dtype=bool, copy=True)
    if not risky.any():
        return text
    number = text[risky].str.fullmatch(r"-?\d+(\.\d+)?").to_numpy(dtype=bool)
    risky[np.flatnonzero(risky)[number]] = False
    return text.where(~risky, "'" + text)


def write_texts(folder: str | Path, texts: Mapping[str, str]) -> list[Path]:
    """Write many small UTF-8 text files into ``folder``; return their paths.

    Each file appears whole: written in a private folder beside, then renamed into
    place, replacing a file or a link of that name rather than writing through it.
    When ``folder`` is empty (a report's new ``reminders/``), the private folder, once
    written, takes its place in one rename rather than one per file (7,400 renames
    cost about 0.4 s for the reminders of a 1M-invoice book). Unlike
    :func:`atomic_path`, the files are not flushed to disk one by one: an ``fsync``
    costs a journal commit each (about 6 ms here, 45 s for the 7,674 reminders of a
    1M-invoice book), and a global ``sync`` waits for every other program's writes.
    They are drafts inside a report folder that is rebuilt whole, whose
    ``report.html`` and ``manifest.json`` are not flushed either.

    Parameters
    ----------
    folder : str or Path
        An existing folder.
    texts : mapping of str to str
        File name (no folder part) -> its text, written as it is.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_texts(tmp, {"a.txt": "x", "b.txt": "y"})]
    ['a.txt', 'b.txt']
    """
    folder = Path(folder)
    seps = [sep for sep in (os.sep, os.altsep) if sep]
    bad = [n for n in texts if n in ("", ".", "..") or any(sep in n for sep in seps)]
    if bad:
        raise ValueError(f"not a plain file name: {bad[0]!r}")
    swap = not folder.is_symlink() and not any(os.scandir(folder))
    stage = _stage(folder, swap)
    try:
        _write_all(stage, texts, 0o666 & ~_umask())
        if not (swap and _swap_into(stage, folder)):
            for name in texts:  # plain string paths: pathlib costs more than the renames here
                os.replace(os.path.join(stage, name), os.path.join(folder, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [folder / name for name in texts]


def _stage(folder: Path, beside: bool) -> str:
    """A private folder for :func:`write_texts`: beside ``folder`` (to take its place) when
    ``beside`` and the parent allows it, else inside it."""
    if beside:
        try:
            return tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp")
        except OSError:
            pass
    return tempfile.mkdtemp(dir=folder, prefix=".texts.", suffix=".tmp")


def _write_all(stage: str, texts: Mapping[str, str], mode: int) -> None:
    for name, text in texts.items():
        fd = os.open(os.path.join(stage, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)


def _swap_into(stage: str, folder: Path) -> bool:
    """Rename the written ``stage`` (beside ``folder``) onto the empty ``folder``, with
    ``folder``'s permissions; False when it cannot (stage inside, or a file came)."""
    if Path(stage).parent != folder.parent:
        return False
    try:
        os.chmod(stage, stat.S_IMODE(os.stat(folder).st_mode))
        os.rename(stage, folder)  # replaces an empty folder; fails if one was written meanwhile
    except OSError:
        return False
    return True


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def format_for_csv(frame: pd.DataFrame, guard: bool = True) -> pd.DataFrame:
    """Text version of a frame: dates ISO text, amounts rounded to cents (rates to 6
    decimals) and, with ``guard``, free-text cells that look like formulas neutralised.

    Parameters
    ----------
    frame : DataFrame
        The table to write.
    guard : bool, default True
        Prepend ``'`` to a text cell starting with ``=``, ``+``, ``-`` or ``@`` (not
        a number), except in the id columns :data:`IDS`. False for a file that
        cashplan or a script reads back (a book), which must round-trip unchanged.

    Returns
    -------
    DataFrame
        The cells as they are written.
    """
    out = {}
    for name, col in frame.items():
        if ptypes.is_datetime64_any_dtype(col):
            out[name] = col.dt.strftime("%Y-%m-%d").fillna("")
        elif ptypes.is_bool_dtype(col):
            out[name] = col.map({True: "true", False: "false"})
        elif ptypes.is_float_dtype(col) and name in _PRECISE:
            out[name] = (col.round(6) + 0.0).map("{:.6f}".format).where(col.notna(), "")
        elif ptypes.is_float_dtype(col):
            # cents, no "-0.00"; the CSV writer prints them
            out[name] = col.round(2) + 0.0
        elif ptypes.is_numeric_dtype(col):
            out[name] = col.astype("str").where(col.notna(), "")
        else:
            text = col.astype("str").where(col.notna(), "")
            out[name] = _neutralised(text) if guard and name not in IDS else text
    return pd.DataFrame(out, index=frame.index)


def write_csv(frame: pd.DataFrame, path: str | Path, guard: bool = True) -> Path:
    """Write ``frame`` as UTF-8 comma-separated CSV, atomically. Returns the path.

    ``guard``: neutralise formula-like free text (see :func:`format_for_csv`).
    """
    path = Path(path)
    text = format_for_csv(frame, guard)
    body = csv_bytes(text)
    with atomic_path(path, "wb") as handle:
        if body is None:  # a cell to quote: Python's csv writer, which quotes as it always has
            handle.write(
                text.to_csv(index=False, lineterminator="\n", float_format="%.2f").encode("utf-8")
            )
        else:
            handle.write(body)
    return path


def csv_bytes(text: pd.DataFrame) -> bytes | None:
    """The CSV bytes of ``text`` (:func:`format_for_csv`), built column-wise by Arrow.

    The same bytes as ``text.to_csv(index=False, lineterminator="\\n",
    float_format="%.2f")``, without a Python call per cell. None when a name or a cell
    would need quotes (a comma, a quote or a line break in it): the caller then lets
    pandas' writer quote it. Arrow's own CSV writer cannot be used as it is: it quotes
    every text cell, and it prints floats in their shortest form, not with two decimals.

    >>> frame = pd.DataFrame({"id": ["A", "B"], "amount": [1234.5, float("nan")]})
    >>> csv_bytes(frame)
    b'id,amount\\nA,1234.50\\nB,\\n'
    >>> csv_bytes(pd.DataFrame({"name": ["Durand, Fils"]})) is None
    True
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [str(name) for name in text.columns]
    if len(names) < 2 or any(_QUOTE.search(name) for name in names):
        return None  # a lone empty cell is written '""'; a name to quote
    columns = []
    for _, col in text.items():
        if ptypes.is_float_dtype(col):
            cells = _cents_text(col.to_numpy(dtype=np.float64))
            if cells is None:
                return None
        else:
            if not (ptypes.is_string_dtype(col) or ptypes.is_object_dtype(col)):
                return None
            cells = pc.fill_null(pa.array(col, from_pandas=True).cast(pa.large_string()), "")
            data = _string_data(cells)
            if any(mark in data for mark in (b",", b'"', b"\r", b"\n")):
                return None
        columns.append(cells)
    head = (",".join(names) + "\n").encode("utf-8")
    if len(text) == 0:
        return head
    rows = _join(*columns, sep=",")
    return head + _string_data(_join(rows, _text("\n"), sep=""))


def _cents_text(values: np.ndarray) -> Any:
    """Floats rounded to cents as ``%.2f`` writes them ("" for NaN), or None past 1e13.

    Below 1e13 a double is within 0.001 of its cents, so the cents' digits are exactly
    what ``%.2f`` prints; larger or infinite values are left to the ``%.2f`` path.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = np.isnan(values)
    if (np.abs(values[~missing]) >= _LARGEST).any():
        return None
    cents = np.rint(np.where(missing, 0.0, values) * 100.0).astype(np.int64)
    size = np.abs(cents)
    whole = pc.cast(pa.array(size // 100), pa.large_string())
    frac = pc.utf8_lpad(pc.cast(pa.array(size % 100), pa.large_string()), 2, "0")
    sign = pa.array(np.where(cents < 0, "-", ""), type=pa.large_string())
    return pc.if_else(pa.array(missing), _text(""), _join(sign, whole, _text("."), frac, sep=""))


def _text(value: str) -> Any:
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _join(*columns: Any, sep: str) -> Any:
    """Text columns (or scalars) joined cell by cell with ``sep``."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*columns, _text(sep))


def _string_data(strings: Any) -> bytes:
    """The characters of a string array without nulls, end to end (its data buffer)."""
    import pyarrow as pa

    array = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    return array.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def write_book(
    tables: Mapping[str, pd.DataFrame], folder: str | Path, fmt: Literal["csv", "parquet"] = "csv"
) -> list[Path]:
    """Write a book folder: one file per table. Returns the paths written.

    The cells are written as they are (no formula guard): the book is for cashplan
    to read back, and an id such as ``-OUV0`` must stay the ledger's id.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            write_csv(frame, path, guard=False)
        else:
            with atomic_path(path, "wb") as handle:
                frame.to_parquet(handle, index=False)
        written.append(path)
    return written


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct Excel sheet names (31 characters, none of ``[]:*?/\\``).

    >>> sheet_names(["Léa Petit", "a/b", "a?b", "x" * 40])
    ['Léa Petit', 'a_b', 'a_b (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    out: list[str] = []
    for name in names:
        clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name)).strip("'")[:31]
        candidate, n = clean or "sheet", 1
        while candidate.lower() in {o.lower() for o in out}:
            n += 1
            candidate = f"{clean[: 31 - len(f' ({n})')]} ({n})"
        out.append(candidate)
    return out


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one sheet per frame to an XLSX workbook, atomically and reproducibly.

    Amounts keep their numbers with a thousands separator and cents; dates are
    dates; text is always text (a cell that looks like a formula gets a leading
    ``'`` and is never run). XlsxWriter streams the rows (``constant_memory``), and
    the workbook carries no clock: the same tables give the same bytes.
    """
    import xlsxwriter

    path = Path(path)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"created": _NO_CLOCK})  # else the time of the run
    formats = {
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "head": book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"}),
    }
    for name, frame in zip(sheet_names(list(sheets)), sheets.values(), strict=True):
        _write_sheet(book.add_worksheet(name), frame, formats)
    book.close()
    with atomic_path(path, "wb") as handle:
        handle.write(buffer.getvalue())
    return path


def _write_sheet(sheet: Any, frame: pd.DataFrame, formats: Mapping[str, Any]) -> None:
    """A header row, then the rows in order (what a streaming sheet takes), one typed cell
    at a time: numbers, dates as Excel day numbers, booleans, and text as text."""
    sheet.freeze_panes(1, 0)
    columns = []
    for j, (name, col) in enumerate(frame.items()):
        kind, values = _excel_cells(col)
        shown = pd.Series(values[:200], dtype="str") if kind == "text" else col.head(200)
        lengths = shown.astype("str").str.len().dropna()
        width = max(len(str(name)), int(lengths.max()) if len(lengths) else 0)
        sheet.set_column(j, j, min(max(width + 2, 8), 60))
        sheet.write_string(0, j, str(name), formats["head"])
        columns.append((kind, values, formats.get(kind)))
    writers = {
        "money": sheet.write_number,
        "date": sheet.write_number,
        "number": sheet.write_number,
        "bool": sheet.write_boolean,
        "text": sheet.write_string,
    }
    for i in range(len(frame)):
        for j, (kind, values, fmt) in enumerate(columns):
            value = values[i]
            if value is not None:
                writers[kind](i + 1, j, value, fmt)


def _excel_cells(col: pd.Series) -> tuple[str, list[Any]]:
    """A column's kind and its cells as XlsxWriter takes them (None: an empty cell)."""
    missing = col.isna().to_numpy()
    if ptypes.is_datetime64_any_dtype(col):
        days = (col - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)  # Excel's day 0
        return "date", [None if m else v for m, v in zip(missing, days.tolist(), strict=True)]
    if ptypes.is_bool_dtype(col):
        return "bool", col.tolist()
    if ptypes.is_float_dtype(col) or ptypes.is_integer_dtype(col):
        kind = "money" if ptypes.is_float_dtype(col) else "number"
        return kind, [None if m else v for m, v in zip(missing, col.tolist(), strict=True)]
    text = _neutralised(col.astype("str").where(~missing, ""))
    long = text.str.len() > _CELL_LIMIT
    if long.any():
        text = text.where(~long, text.str.slice(0, _CELL_LIMIT - len(_CUT)) + _CUT)
    return "text", [cell or None for cell in text.tolist()]  # "" as an empty cell
