"""The book's snapshot: read once per report, used only for the very files it was saved from
(issue 18, item 1)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from cashplan import BookError, read_book
from cashplan.core.schema import TABLES
from cashplan.io.book import save_snapshot
from cashplan.io.snapshot import read_snapshot
from tests.conftest import HEADER, SAMPLE


def _marked(book):
    """The book with every customer's owner changed: what only the snapshot holds."""
    customers = book.customers.assign(owner="Snapshot Owner")
    return dataclasses.replace(book, customers=customers)


def test_a_snapshot_gives_back_every_table_with_its_types_and_index(tmp_path):
    book = read_book(SAMPLE)
    save_snapshot(book, tmp_path / "snap")
    again = read_book(SAMPLE, snapshot=tmp_path / "snap")
    for name in TABLES:
        before, after = getattr(book, name), getattr(again, name)
        pd.testing.assert_frame_equal(after, before, check_exact=True)
        assert type(after.index) is type(before.index)
        assert [type(after[c].array) for c in after] == [type(before[c].array) for c in before]
    assert again.sources == book.sources and again.reporting_currency == book.reporting_currency


def test_the_snapshot_is_used_for_the_files_it_was_saved_from(tmp_path):
    book = read_book(SAMPLE)
    save_snapshot(_marked(book), tmp_path / "snap")
    used = read_book(SAMPLE, snapshot=tmp_path / "snap")
    assert set(used.customers["owner"]) == {"Snapshot Owner"}


def _copy_of_sample(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_a_file_changed_since_the_snapshot_is_read_again(tmp_path):
    folder = _copy_of_sample(tmp_path)
    save_snapshot(_marked(read_book(folder)), tmp_path / "snap")
    with (folder / "customers.csv").open("a", encoding="utf-8") as f:
        f.write("FR-NEW,FR01,New SA,Someone,sme,1000,30,new@example.com\n")
    book = read_book(folder, snapshot=tmp_path / "snap")
    assert "Snapshot Owner" not in set(book.customers["owner"])
    assert "FR-NEW" in set(book.customers["customer_id"])


def test_another_currency_a_missing_or_half_written_snapshot_reads_the_book(tmp_path):
    book = read_book(SAMPLE)
    save_snapshot(_marked(book), tmp_path / "snap")
    gbp = read_book(SAMPLE, reporting_currency="GBP", snapshot=tmp_path / "snap")
    assert "Snapshot Owner" not in set(gbp.customers["owner"])
    missing = read_book(SAMPLE, snapshot=tmp_path / "nowhere")
    assert "Snapshot Owner" not in set(missing.customers["owner"])
    (tmp_path / "snap" / "key.json").unlink()  # the key is written last
    half = read_book(SAMPLE, snapshot=tmp_path / "snap")
    assert "Snapshot Owner" not in set(half.customers["owner"])


def test_a_snapshot_of_other_tables_or_a_broken_file_is_not_used(tmp_path, book_dir):
    folder = book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n")
    book = read_book(folder)
    save_snapshot(_marked(book), tmp_path / "snap")
    (tmp_path / "snap" / "invoices.arrow").write_bytes(b"not arrow")
    assert read_snapshot(tmp_path / "snap", {"sources": [], "reporting_currency": "EUR"}) is None
    again = read_book(folder, snapshot=tmp_path / "snap")
    assert again.invoices["invoice_id"].tolist() == ["F1"]


def test_a_bad_book_is_refused_even_with_a_snapshot(tmp_path, book_dir):
    folder = book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n")
    save_snapshot(read_book(folder), tmp_path / "snap")
    (folder / "invoices.csv").write_text(HEADER + "\nF1,C1,2026-01-10,2026-02-09,ten\n")
    with pytest.raises(BookError, match="not a number"):
        read_book(folder, snapshot=tmp_path / "snap")


def test_a_snapshot_gives_text_columns_in_one_chunk(tmp_path):
    book = read_book(SAMPLE)
    ids = pa.chunked_array([book.invoices["invoice_id"][:10], book.invoices["invoice_id"][10:]])
    chunked = book.invoices.assign(invoice_id=pd.Series(ids, dtype="str"))
    assert chunked["invoice_id"].array._pa_array.num_chunks == 2
    save_snapshot(dataclasses.replace(book, invoices=chunked), tmp_path / "snap")
    again = read_book(SAMPLE, snapshot=tmp_path / "snap")
    assert again.invoices["invoice_id"].array._pa_array.num_chunks == 1
    assert again.invoices["invoice_id"].equals(book.invoices["invoice_id"])
