"""Writing tables (the I/O layer's other half): atomic, spreadsheet-safe CSV and Parquet.

Every file is written to a temporary file in the same folder, then renamed over
the target, so a reader never sees a half-written file and a crash loses
nothing. In the tables a person opens in a spreadsheet (the report folder), a
free-text cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-`` or ``@``: a name, a note) gets a leading ``'``. Ids (:data:`IDS`) are
never changed, and a book written for cashplan to read back (:func:`write_book`)
is written as it is, so ids and notes round-trip unchanged.

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
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "IDS",
    "atomic_path",
    "format_for_csv",
    "sheet_names",
    "write_book",
    "write_csv",
    "write_xlsx",
]

IDS = frozenset({"company", "customer_id", "invoice_id"})
"""Columns that identify a row: written exactly as they are (a script joins on them)."""
_FORMULA = ("=", "+", "-", "@")
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
_PRECISE = {"rate", "probability", "cumulative_share", "prior", "posterior"}  # 6 decimals


@contextmanager
def atomic_path(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
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
    with atomic_path(path) as handle:
        text.to_csv(handle, index=False, lineterminator="\n", float_format="%.2f")
    return path


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
    """Write one sheet per frame to an XLSX workbook, atomically.

    Amounts keep their numbers with a thousands separator and cents; dates are
    dates; text that looks like a formula is written as text, never run.
    """
    path = Path(path)
    names = sheet_names(list(sheets))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        for name, frame in zip(names, sheets.values(), strict=True):
            safe = frame.copy()
            for col in safe.columns:
                if ptypes.is_object_dtype(safe[col]) or ptypes.is_string_dtype(safe[col]):
                    safe[col] = _neutralised(safe[col].astype("str").where(safe[col].notna(), ""))
            safe.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            sheet.freeze_panes = "A2"
            for j, col in enumerate(safe.columns, start=1):
                letter = sheet.cell(row=1, column=j).column_letter
                width = max([len(str(col)), *safe[col].astype(str).str.len().head(200)])
                sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
                fmt = (
                    "#,##0.00"
                    if ptypes.is_float_dtype(safe[col])
                    else "yyyy-mm-dd"
                    if ptypes.is_datetime64_any_dtype(safe[col])
                    else None
                )
                if fmt:
                    for cell in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell[0].number_format = fmt
    with atomic_path(path, "wb") as handle:
        handle.write(_reproducible_zip(buffer.getvalue()))
    return path


def _reproducible_zip(data: bytes) -> bytes:
    """The same workbook without the clock: fixed entry times and document dates.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry;
    the same tables must give the same bytes (an auditor compares hashes).
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "docProps/core.xml":
                body = _CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<3>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, body)
    return out.getvalue()
