"""Writing tables (the I/O layer's other half): atomic, spreadsheet-safe CSV and Parquet.

Every file is written to a temporary file in the same folder, then renamed over
the target, so a reader never sees a half-written file and a crash loses
nothing. Text cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-`` or ``@``) get a leading ``'``.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> frame = pd.DataFrame({"name": ["=HYPERLINK()", "Durand SA"], "amount": [1234.5, -2.0],
...                       "day": pd.to_datetime(["2026-10-31", None])})
>>> path = write_csv(frame, folder / "t.csv")
>>> print(path.read_text())
name,amount,day
'=HYPERLINK(),1234.50,2026-10-31
Durand SA,-2.00,
<BLANKLINE>
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import pandas as pd
from pandas.api import types as ptypes

__all__ = ["atomic_path", "format_for_csv", "write_book", "write_csv"]

_FORMULA = ("=", "+", "-", "@")
_PRECISE = {"rate"}  # columns written with more than cents


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


def format_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Spreadsheet-safe version of a frame: dates ISO text, amounts rounded to cents (rates
    to 6 decimals), text cells that look like formulas neutralised."""
    out = {}
    for name, col in frame.items():
        if ptypes.is_datetime64_any_dtype(col):
            out[name] = col.dt.strftime("%Y-%m-%d").fillna("")
        elif ptypes.is_bool_dtype(col):
            out[name] = col.map({True: "true", False: "false"})
        elif ptypes.is_float_dtype(col):
            # cents (6 decimals for rates), no "-0.00"; the CSV writer prints them
            out[name] = col.round(6 if name in _PRECISE else 2) + 0.0
        elif ptypes.is_numeric_dtype(col):
            out[name] = col.astype("str").where(col.notna(), "")
        else:
            text = col.astype("str").where(col.notna(), "")
            risky = text.str.startswith(_FORMULA) & ~text.str.fullmatch(r"-?\d+(\.\d+)?")
            out[name] = text.where(~risky, "'" + text)
    return pd.DataFrame(out, index=frame.index)


def _float_format(frame: pd.DataFrame) -> str:
    return "%.6f" if any(c in _PRECISE for c in frame.columns) else "%.2f"


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 comma-separated CSV, atomically. Returns the path."""
    path = Path(path)
    text = format_for_csv(frame)
    with atomic_path(path) as handle:
        text.to_csv(handle, index=False, lineterminator="\n", float_format=_float_format(frame))
    return path


def write_book(
    tables: Mapping[str, pd.DataFrame], folder: str | Path, fmt: Literal["csv", "parquet"] = "csv"
) -> list[Path]:
    """Write a book folder: one file per table. Returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            write_csv(frame, path)
        else:
            with atomic_path(path, "wb") as handle:
                frame.to_parquet(handle, index=False)
        written.append(path)
    return written
