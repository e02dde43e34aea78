"""The fast CSV path: the same cells, lines and problems as pandas' reader, or pandas' reader.

Each file is read twice: as ``read_book`` reads it (Arrow's reader where it may) and with
pandas' reader only; the raw tables and every problem must be the same (issue 18, item 2).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cashplan import BookError, read_book
from cashplan.io import arrow_csv
from cashplan.io import book as book_module
from cashplan.io.arrow_csv import read_cells
from tests.conftest import HEADER

ROW = "2026-01-10,2026-02-09"
FILES: dict[str, bytes] = {
    "plain": f"{HEADER}\nF1,C1,{ROW},10\nF2,C2,{ROW},20.5\n".encode(),
    "crlf": f"{HEADER}\r\nF1,C1,{ROW},10\r\nF2,C2,{ROW},x\r\n".encode(),
    "cr only": f"{HEADER}\rF1,C1,{ROW},10\rF2,C2,{ROW},1 000\r".encode(),
    "bom": b"\xef\xbb\xbf" + f"{HEADER}\nF1,C1,{ROW},10\n".encode(),
    "quoted cells": f'{HEADER},note\nF1,"C, 1",{ROW},10,"two\nlines"\nF2,C2,{ROW},-5,\n'.encode(),
    "quoted header": b'"invoice_id","customer_id",'
    + f"issue_date,due_date,amount\nF1,C1,{ROW},1\n".encode(),
    "header case and spaces": b" Invoice_ID ,customer_id,issue_date,due_date,AMOUNT\n"
    + f"F1,C1,{ROW},1\n".encode(),
    "rows of separators": f"{HEADER}\nF1,C1,{ROW},10\n,,,,\nF3,C3,{ROW},bad\n".encode(),
    "blank line inside": f"{HEADER}\nF1,C1,{ROW},10\n\nF3,C3,{ROW},bad\n".encode(),
    "blank lines at the end": f"{HEADER}\nF1,C1,{ROW},10\nF2,C2,{ROW},bad\n\n\n".encode(),
    "short row": f"{HEADER}\nF1,C1,{ROW}\nF2,C2,{ROW},bad\n".encode(),
    "long row": f"{HEADER}\nF1,C1,{ROW},1,2,3\nF2,C2,{ROW},2\n".encode(),
    "unterminated quote": f'{HEADER}\nF1,C1,{ROW},10\nF2,"C2,{ROW},20\n'.encode(),
    "quote inside a cell": f'{HEADER}\nF1,C"1,{ROW},10\nF2,"C2,{ROW},20\n'.encode(),
    "escaped quote": f'{HEADER}\nF1,"C ""1""",{ROW},10\nF2,C2,{ROW},bad\n'.encode(),
    "duplicate header": b"invoice_id,invoice_id,customer_id\nF1,F2,C1\n",
    "header only": f"{HEADER}\n".encode(),
    "french cp1252": (
        "invoice_id;customer_id;issue_date;due_date;amount;company\n"
        "F1;Crème;10/01/2026;09/02/2026;1234,50;FR01\n"
        "F2;C2;10/01/2026;31/02/2026;1.234,50;FR01\n"
    ).encode("cp1252"),
    "tabs": f"{HEADER}\nF1,C1,{ROW},10\n".replace(",", "\t").encode(),
    "spaces only line": f"{HEADER}\nF1,C1,{ROW},10\n   \nF3,C3,{ROW},bad\n".encode(),
}


def _read(folder: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None]:
    problems: list[dict[str, object]] = []
    located, _ = book_module.locate_sources(folder, problems)
    raws = book_module.read_raw_tables(located, problems)
    try:
        read_book(folder)
        found = None
    except BookError as err:
        found = err.to_frame()
    tables = {n: r.frame.assign(_line=r.lines) for n, r in raws.items()}
    return tables | {"_problems": pd.DataFrame(problems)}, found


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_file_reads_the_same_cells_lines_and_problems_as_with_pandas_reader(
    name, book_dir, monkeypatch
):
    folder = book_dir(invoices=FILES[name])
    fast, fast_problems = _read(folder)
    monkeypatch.setattr(book_module, "read_cells", lambda *args: None)
    slow, slow_problems = _read(folder)
    assert fast.keys() == slow.keys()
    for table in fast:
        pd.testing.assert_frame_equal(fast[table], slow[table])
    if slow_problems is None:
        assert fast_problems is None
    else:
        assert fast_problems is not None
        pd.testing.assert_frame_equal(fast_problems, slow_problems)


@pytest.mark.parametrize(
    ("name", "fast"),
    [
        ("plain", True),
        ("crlf", True),
        ("quoted cells", True),
        ("quoted header", True),
        ("rows of separators", True),
        ("blank lines at the end", True),
        ("header only", True),
        ("blank line inside", False),
        ("short row", False),
        ("long row", False),
        ("unterminated quote", False),
        ("quote inside a cell", False),
        ("escaped quote", False),
        ("duplicate header", False),
        ("spaces only line", False),
    ],
)
def test_the_files_arrow_reads_and_those_left_to_pandas(name, fast):
    data = FILES[name].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    header = book_module._header_cells(data.decode(), ",")
    assert (read_cells(data, ",", header) is not None) == fast


def test_a_blank_line_keeps_the_line_numbers_of_the_rows_after_it(book_dir):
    with pytest.raises(BookError) as info:
        read_book(book_dir(invoices=FILES["blank line inside"]))
    assert info.value.to_frame()[["line", "value"]].values.tolist() == [[4, "bad"]]


def test_text_columns_come_in_one_chunk_as_with_pandas_reader(monkeypatch):
    """Arrow reads a chunk per block; the analysis is much slower on many-chunk columns."""
    monkeypatch.setattr(arrow_csv, "_BLOCK", 64)  # a block per line or two
    data = (HEADER + "\n" + "".join(f"F{i},C{i},{ROW},{i}\n" for i in range(200))).encode()
    frame = read_cells(data, ",", HEADER.split(","))
    assert frame is not None and len(frame) == 200
    assert {frame[c].array._pa_array.num_chunks for c in frame} == {1}


_BOM = b"\xef\xbb\xbf"
ASCII_FILES = {
    **{n: f.removeprefix(_BOM) for n, f in FILES.items() if f.removeprefix(_BOM).isascii()},
    "blank only": b" \t\x1c\r\n\n",
    "header quote never closed": f'invoice_id,"customer_id\nF1,C1,{ROW},10\n'.encode(),
}


@pytest.mark.parametrize("name", sorted(ASCII_FILES))
def test_an_ascii_file_reads_as_the_same_file_decoded_first(name, book_dir, tmp_path):
    """An ASCII file is read from its bytes, its text made only for pandas' reader (issue
    18); the same file behind a UTF-8 BOM is decoded first: the same tables and problems."""
    data = ASCII_FILES[name]
    plain, plain_problems = _read(book_dir(invoices=data))
    book_dir(invoices=_BOM + data)
    decoded, decoded_problems = _read(tmp_path / "book")
    assert plain.keys() == decoded.keys()
    for table in plain:
        pd.testing.assert_frame_equal(plain[table], decoded[table])
    if decoded_problems is None:
        assert plain_problems is None
    else:
        assert plain_problems is not None
        pd.testing.assert_frame_equal(plain_problems, decoded_problems)
