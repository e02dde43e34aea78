"""The spreadsheet formula guard: on free text a person opens, never on ids or books (issue 18)."""

from __future__ import annotations

import pandas as pd

from cashplan import read_book, write_book, write_csv
from cashplan.app.cli import main
from tests.io.test_fec import fec, pay, sale

RISKY = ["-OUV0", "=F1", "+F2", "@F3", "--REV1"]


def test_a_book_round_trips_ids_starting_like_a_formula(tmp_path):
    """write_book + read_book give back the very ids (and notes) that were written."""
    invoices = pd.DataFrame(
        {
            "invoice_id": RISKY,
            "customer_id": ["-C1", "=C2", "+C3", "@C4", "C5"],
            "issue_date": ["2026-01-10"] * 5,
            "due_date": ["2026-02-09"] * 5,
            "amount": ["100"] * 5,
            "company": ["-FR", "-FR", "=UK", "=UK", "@DE"],
        }
    )
    promises = pd.DataFrame(
        {
            "customer_id": ["-C1"],
            "company": ["-FR"],
            "invoice_id": ["-OUV0"],
            "promised_date": ["2026-03-01"],
            "amount": ["50"],
            "note": ["-will pay half"],
        }
    )
    write_book({"invoices": invoices, "promises": promises}, tmp_path / "book")
    book = read_book(tmp_path / "book")
    assert book.invoices["invoice_id"].tolist() == RISKY
    assert book.invoices["customer_id"].tolist() == ["-C1", "=C2", "+C3", "@C4", "C5"]
    assert book.invoices["company"].tolist() == ["-FR", "-FR", "=UK", "=UK", "@DE"]
    assert book.promises[["invoice_id", "note"]].values.tolist() == [["-OUV0", "-will pay half"]]


def test_report_csv_keeps_ids_and_guards_free_text(tmp_path):
    """In a report table (write_csv), ids are written as they are; a name or note is guarded."""
    frame = pd.DataFrame(
        {"company": ["-FR"], "customer_id": ["=C2"], "invoice_id": ["--OUV0"], "name": ["=cmd()"]}
    )
    text = write_csv(frame, tmp_path / "t.csv").read_text()
    assert text.splitlines()[1] == "-FR,=C2,--OUV0,'=cmd()"


def test_fec_with_dash_piece_refs_imports_ids_that_match_the_ledger(tmp_path):
    """Tryton writes PieceRef '-': the ids made of it ('--VT1', ...) reach the book unchanged."""
    rows = (
        sale("1", "20260110", "C1", "-", 100, "AA", "20260120")
        + sale("2", "20260111", "C1", "-", 200)
        + pay("3", "20260120", "C1", 100, "AA", "20260120")
    )
    out = tmp_path / "book"
    assert main(["import-fec", str(fec(tmp_path, rows)), "--out", str(out)]) == 0
    ids = sorted(read_book(out).invoices["invoice_id"])
    assert ids == ["--VT1", "--VT2"]
    assert not any(i.startswith("'") for i in ids)
