"""The fast CSV path: a CSV's cells as text through pyarrow's multi-threaded reader.

:func:`cashplan.io.book.read_book` reads a CSV file here first; this returns the
same cells pandas' reader gives (text, one row per record, the header's names kept
as written) or ``None`` when the file is one where the two readers could differ, and
the book falls back to pandas' reader and its exact messages. It falls back for a file:

- with a blank line before its last row (pandas keeps it as a row, so the line numbers
  of the rows after it count it; Arrow skips it);
- whose header has a quote, a repeated name, or names Arrow reads differently;
- with rows of another number of cells than the header (ragged rows: pandas pads or
  refuses them with its own message), or anything else Arrow refuses;
- with an odd number of quote characters, or a cell holding a quote character once
  read (a quote inside an unquoted cell, or an escaped one): what an unterminated
  quoted cell needs, and pandas refuses it where Arrow reads on to the end.

A file with quoted cells (a ``;`` or a line break inside a cell) stays on the fast
path. Every row is kept, empty rows too: the caller drops them as it does for pandas.

Examples
--------
>>> read_cells(b'a,b\\n1,"x, y"\\n2,z\\n', ",", ["a", "b"]).to_dict("list")
{'a': ['1', '2'], 'b': ['x, y', 'z']}
>>> read_cells(b"a,b\\n1,2\\n\\n3,4\\n", ",", ["a", "b"]) is None  # a blank line: pandas
True
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

__all__ = ["read_cells"]

_BLOCK = 1 << 30
"""The largest block Arrow parses at once. A file below it is one block, read on one thread:
its columns come in one chunk, with no copy to join chunks and no fresh memory for other
threads (parsing 4 MB blocks on both cores, then joining them, cost twice the time on a
1M-invoice file at load 3, most of it the kernel clearing the memory of the copies)."""


def read_cells(data: bytes, sep: str, header: list[str]) -> pd.DataFrame | None:
    """The cells of a UTF-8 CSV (line breaks ``\\n`` only) as a frame of text columns,
    or ``None`` when pandas' reader must read it (see the module doc).

    Parameters
    ----------
    data : bytes
        The whole file in UTF-8, without a BOM, every line ending already ``\\n``.
    sep : str
        The separator (one character).
    header : list of str
        The header's cells as Python's :mod:`csv` reads them.
    """
    quoted = b'"' in data
    if not _plain_header(header) or (quoted and not _plain(data)):
        return None
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(use_threads=len(data) >= _BLOCK, block_size=_BLOCK),
            parse_options=pcsv.ParseOptions(
                delimiter=sep, quote_char='"', double_quote=True, newlines_in_values=quoted
            ),
            convert_options=pcsv.ConvertOptions(  # large: what pandas keeps (no copy)
                column_types=dict.fromkeys(header, pa.large_string()), strings_can_be_null=False
            ),
            # the C allocator: Arrow's own (mimalloc) takes fresh huge pages for a file's
            # columns, which the kernel clears first (0.4-0.9 s of system time against 0.25 s
            # for a 1M-invoice file, ten runs at load 3)
            memory_pool=pa.system_memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.column_names != header or not all(t == pa.large_string() for t in table.schema.types):
        return None
    if not quoted and not _every_line_a_row(data, table.num_rows) and not _plain(data):
        return None
    if quoted and any(pc.any(pc.match_substring(c, '"')).as_py() for c in table.columns):
        return None
    # one chunk per column, as pandas' reader gives: the analysis slows down a lot on
    # columns of many chunks (one per block read; a file over _BLOCK)
    table = table.combine_chunks()
    text = pd.StringDtype(na_value=float("nan"))
    return table.to_pandas(types_mapper={pa.large_string(): text, pa.string(): text}.get)


def _plain_header(header: list[str]) -> bool:
    """Whether the header has no repeated name, quote or line break (pandas' reader reads
    those)."""
    return len(set(header)) == len(header) and not any('"' in h or "\n" in h for h in header)


def _plain(data: bytes) -> bool:
    """Whether the file has no blank line before its last row and an even number of
    quotes (else pandas' reader reads it)."""
    blank = data.find(b"\n\n")
    if data.startswith(b"\n") or (blank >= 0 and data[blank:].strip(b"\n")):
        return False  # a blank line before the last row (the ones at the end are harmless)
    return b'"' not in data or data.count(b'"') % 2 == 0


def _every_line_a_row(data: bytes, rows: int) -> bool:
    """Whether a file without quotes has no blank line at all: Arrow read a row from each
    line but the header (it skips blank lines). One count of the line breaks, cheaper than
    looking for two in a row; False leaves the question to :func:`_plain`."""
    return rows + 1 == data.count(b"\n") + (not data.endswith(b"\n"))
