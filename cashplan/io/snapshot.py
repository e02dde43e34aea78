"""A book's validated tables kept for the report's notebook: a book is read once per report.

``cashplan report`` reads and checks the book before it starts the notebook (a bad
book stops there, with its problems); it saves the typed tables it read in the
report's temporary folder, and the notebook's kernel loads them instead of reading
the book again (:func:`cashplan.io.book.read_book` with ``snapshot=``). A snapshot is
a folder: one Arrow IPC file per table (its pandas types and index kept) and
``key.json``, written last. It is used only when its key is the one of the book being
read: the same files (path and sha256, hashed again by the reader), the same reporting
currency, the same snapshot format and cashplan version; anything else (a book changed
in between, a folder gone, a file that does not read) reads the book as usual.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "snap"
>>> tables = {"fx_rates": pd.DataFrame({"rate": [1.1, 1.2]}, index=[3, 5])}
>>> key = {"sources": [["fx_rates", "fx_rates.csv", "ab12"]], "reporting_currency": "EUR"}
>>> write_snapshot(tables, key, folder)
>>> read_snapshot(folder, key)["fx_rates"].equals(tables["fx_rates"])
True
>>> read_snapshot(folder, {**key, "reporting_currency": "GBP"}) is None  # another key
True
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = [
    "SNAPSHOT_ENV",
    "SNAPSHOT_FORMAT",
    "read_snapshot",
    "remove_snapshot",
    "write_snapshot",
]

SNAPSHOT_ENV = "CASHPLAN_BOOK_SNAPSHOT"
"""The environment variable naming the snapshot folder the report's kernel may load."""
SNAPSHOT_FORMAT = 1
_KEY = "key.json"


def _full_key(key: Mapping[str, Any], tables: list[str]) -> dict[str, Any]:
    from cashplan import __version__

    return {**key, "format": SNAPSHOT_FORMAT, "cashplan": __version__, "tables": tables}


def write_snapshot(
    tables: Mapping[str, pd.DataFrame], key: Mapping[str, Any], folder: Path
) -> None:
    """Save ``tables`` (typed frames) into the new folder ``folder`` under ``key`` (plain
    JSON values: what the reader must find again to use it)."""
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        arrow = pa.Table.from_pandas(frame, preserve_index=None)  # a RangeIndex as metadata
        with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink:
            with pa.ipc.new_file(sink, arrow.schema) as writer:
                writer.write_table(arrow)
    text = json.dumps(_full_key(key, sorted(tables)), sort_keys=True)
    (folder / _KEY).write_text(text, encoding="utf-8")  # last: a snapshot half written has none


def read_snapshot(folder: Path, key: Mapping[str, Any]) -> dict[str, pd.DataFrame] | None:
    """The tables saved in ``folder`` under ``key``, or ``None`` (another key, no snapshot,
    or one that does not read)."""
    try:
        found = json.loads((folder / _KEY).read_text(encoding="utf-8"))
        names = list(found["tables"])
        if found != json.loads(json.dumps(_full_key(key, names), sort_keys=True)):
            return None
        return {name: _read_table(folder / f"{name}.arrow") for name in names}
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def _read_table(file: Path) -> pd.DataFrame:
    with pa.memory_map(str(file)) as source:
        return pa.ipc.open_file(source).read_all().combine_chunks().to_pandas()


def remove_snapshot(folder: Path) -> None:
    """Remove a snapshot folder (nothing if it is gone)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)
