"""Books that used to pass validation and break the report, now refused (or read) at the
boundary with file, line, column, value and fix (trust issue, items 12, 13 and 15)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cashplan import Book, BookError, read_book
from tests.conftest import HEADER


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
