"""Books that used to pass validation and break the report, now refused (or read) at the
boundary with file, line, column, value and fix (trust issue, items 12, 13 and 15)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import Book, BookError, read_book
from cashplan.core.parse import AMOUNT_LIMIT, FRENCH, STANDARD, parse_column
from cashplan.io.fec import read_fec
from tests.conftest import HEADER
from tests.test_fec import HEAD, sale


def problems(folder: Path) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder)
    return info.value.to_frame()


# --- 12: ids that cannot become file names, sheet cells or CSV lines -----------------------


def test_ids_with_a_slash_control_characters_or_too_long_are_refused_each_with_its_line(book_dir):
    long = "C" * 300
    text = (
        HEADER + ",company\n"
        "F1,Durand/Fils,2026-01-10,2026-02-09,10,FR01\n"
        f"F2,{long},2026-01-10,2026-02-09,10,FR01\n"
        "F3,Bell\x07e,2026-01-10,2026-02-09,10,FR01\n"
        'F\\4,"Tab\there",2026-01-10,2026-02-09,10,FR01\n'
        "F5,C5,2026-01-10,2026-02-09,10,FR/01\n"
        '"F\r\n6",C6,2026-01-10,2026-02-09,10,FR01\n'
        "F7,C7,2026-01-10,2026-02-09,10,FR01\n"
    )
    found = problems(book_dir(invoices=text))
    got = found[["line", "column", "value"]].values.tolist()
    assert got == [
        [2, "customer_id", "Durand/Fils"],
        [3, "customer_id", long],
        [4, "customer_id", "Bell\x07e"],
        [5, "invoice_id", "F\\4"],
        [5, "customer_id", "Tab\there"],
        [6, "company", "FR/01"],
        [7, "invoice_id", "F\n6"],  # line endings are read as LF, inside quotes too
    ], found.to_string()
    assert (found["file"] == "invoices.csv").all()
    by_value = found.set_index("value")
    assert "'/'" in by_value.loc["Durand/Fils", "problem"]
    assert "300" in by_value.loc[long, "problem"] and "100" in by_value.loc[long, "fix"]
    assert "control character" in by_value.loc["Bell\x07e", "problem"]
    assert all(f for f in found["fix"])


def test_ids_up_to_the_limit_are_accepted_and_the_limit_counts_utf8_bytes():
    ok = "C" * 100
    accented = "é" * 50  # 100 bytes in UTF-8
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2", "F3"],
            "customer_id": [ok, accented, "é" * 51],
            "issue_date": ["2026-01-10"] * 3,
            "due_date": ["2026-02-09"] * 3,
            "amount": ["10"] * 3,
        }
    )
    with pytest.raises(BookError) as info:
        Book.from_frames(invoices=inv)
    found = info.value.to_frame()
    assert found[["line", "column"]].values.tolist() == [[4, "customer_id"]]
    assert Book.from_frames(invoices=inv.iloc[:2]).invoices["customer_id"].tolist() == [
        ok,
        accented,
    ]


def test_control_characters_in_free_text_are_refused_but_line_breaks_in_a_note_are_kept(book_dir):
    customers = "customer_id,name,owner\nC1,Durand\x01 SA,Léa\nC2,Martin SA,Hugo\n"
    promises = 'customer_id,promised_date,amount,note\nC1,2026-03-01,10,"called twice,\nwill pay"\n'
    found = problems(
        book_dir(
            invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n",
            customers=customers,
            promises=promises,
        )
    )
    assert found[["file", "line", "column"]].values.tolist() == [["customers.csv", 2, "name"]]


# --- 13: line endings, a header cell with a line break, a file of two encodings ------------


def test_cr_only_line_endings_are_read_with_their_line_numbers(book_dir):
    rows = [HEADER, "F1,C1,2026-01-10,2026-02-09,10", "F2,C1,2026-01-11,2026-02-10,20"]
    book = read_book(book_dir(invoices="\r".join(rows) + "\r"))
    assert book.invoices["invoice_id"].tolist() == ["F1", "F2"]
    assert book.invoices["amount"].tolist() == [10.0, 20.0]
    bad = "\r".join([*rows, "F3,C1,2026-13-01,2026-02-10,5"]) + "\r"
    found = problems(book_dir(invoices=bad))
    assert found[["line", "column"]].values.tolist() == [[4, "issue_date"]]


def test_a_header_cell_with_a_line_break_is_named(book_dir):
    text = '"invoice\n_id",customer_id,issue_date,due_date,amount\nF1,C1,2026-01-10,2026-02-09,10\n'
    found = problems(book_dir(invoices=text))
    p = found.iloc[0]
    assert len(found) == 1, found.to_string()
    assert (p["file"], p["line"], p["column"]) == ("invoices.csv", 1, "invoice\n_id")
    assert "line break" in p["problem"] and "one line" in p["fix"]


def test_a_utf8_file_with_one_cp1252_line_is_refused_naming_that_line(book_dir):
    data = (
        (HEADER + "\nF1,Crème1,2026-01-10,2026-02-09,10\n").encode("utf-8")
        + "F2,Crème1,2026-01-10,2026-02-09,10\n".encode("cp1252")
        + "F3,Crème1,2026-01-10,2026-02-09,10\n".encode()
    )
    found = problems(book_dir(**{"invoices.csv": data}))
    p = found.iloc[0]
    assert len(found) == 1, found.to_string()
    assert (p["file"], p["line"]) == ("invoices.csv", 3)
    assert "UTF-8" in p["problem"] and "UTF-8" in p["fix"]
    assert p["value"].startswith("F2,Cr")


def test_a_whole_cp1252_file_still_loads(book_dir):
    text = (
        "invoice_id;customer_id;issue_date;due_date;amount\nF1;Crème1;31/01/2026;02/03/2026;1,5\n"
    )
    book = read_book(book_dir(encoding="cp1252", invoices=text))
    assert book.invoices["customer_id"].tolist() == ["Crème1"]


def test_a_utf8_fec_with_one_latin9_line_is_refused_naming_that_line(tmp_path):
    rows = sale("1", "20260110", "C1", "Fé1", 100) + sale("2", "20260111", "C1", "Fé2", 100)
    head = (HEAD + "\n").encode("utf-8")
    body = [(r + "\n").encode("iso8859_15" if i == 2 else "utf-8") for i, r in enumerate(rows)]
    path = tmp_path / "FEC.txt"
    path.write_bytes(head + b"".join(body))
    with pytest.raises(BookError) as info:
        read_fec(path)
    assert info.value.to_frame()["line"].tolist() == [4]


# --- 15: amounts keep their cents up to a stated limit, and are refused beyond it ----------


def test_amounts_beyond_the_limit_are_refused_with_the_limit(book_dir):
    text = (
        HEADER + "\n"
        "F1,C1,2026-01-10,2026-02-09,999999999999999.99\n"
        "F2,C1,2026-01-10,2026-02-09,1000000000000000000000\n"
        "F3,C1,2026-01-10,2026-02-09,-10000000000000\n"
        "F4,C1,2026-01-10,2026-02-09,9999999999999.99\n"
    )
    found = problems(book_dir(invoices=text))
    assert found[["line", "column", "value"]].values.tolist() == [
        [2, "amount", "999999999999999.99"],
        [3, "amount", "1000000000000000000000"],
        [4, "amount", "-10000000000000"],
    ]
    assert found["problem"].str.contains("10,000,000,000,000").all()


def test_amounts_below_the_limit_keep_their_cents_exactly():
    rng = np.random.default_rng(7)
    cents = rng.integers(-(AMOUNT_LIMIT * 100) + 1, AMOUNT_LIMIT * 100, 200_000)
    cents = np.concatenate([cents, [AMOUNT_LIMIT * 100 - 1, -(AMOUNT_LIMIT * 100 - 1), 1, -1]])
    sign = np.where(cents < 0, "-", "")
    mag = np.abs(cents)
    written = pd.Series([f"{s}{m // 100}.{m % 100:02d}" for s, m in zip(sign, mag, strict=True)])
    values, bad = parse_column(written, "decimal", STANDARD)
    assert bad.empty
    assert (values.map("{:.2f}".format).str.replace("-0.00", "0.00") == written).all()
    assert (np.round(values.to_numpy() * 100) == cents).all()
    french, bad = parse_column(written.str.replace(".", ","), "decimal", FRENCH)
    assert bad.empty and french.equals(values)


def test_typed_amounts_beyond_the_limit_are_refused(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "customer_id": ["C1", "C1"],
            "issue_date": pd.to_datetime(["2026-01-10"] * 2),
            "due_date": pd.to_datetime(["2026-02-09"] * 2),
            "amount": [1e21, 12.5],
        }
    ).to_parquet(folder / "invoices.parquet")
    found = problems(folder)
    assert found[["line", "column"]].values.tolist() == [[1, "amount"]]


def test_fec_amounts_beyond_the_limit_are_refused(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 100)
    rows[0] = rows[0].replace("100,00", "999999999999999,99")
    path = tmp_path / "FEC.txt"
    path.write_text("\n".join([HEAD, *rows]) + "\n")
    with pytest.raises(BookError) as info:
        read_fec(path)
    found = info.value.to_frame()
    assert found[["line", "column"]].values.tolist() == [[2, "Debit"]]
