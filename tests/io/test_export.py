"""Writing: spreadsheet-safe CSV, atomic files, large books through Parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from cashplan import make_book, read_book, write_book, write_csv
from cashplan.io.export import atomic_path


def test_formula_cells_are_neutralised_but_negative_numbers_are_not(tmp_path):
    frame = pd.DataFrame(
        {
            "note": ["=1+1", "+33 6", "@SUM(A1)", "-cmd", "plain", "-12.5"],
            "amount": [1.0, -2.0, 0.0, -0.001, 3.456, None],
        }
    )
    text = write_csv(frame, tmp_path / "x.csv").read_text()
    assert text.splitlines()[1:] == [
        "'=1+1,1.00",
        "'+33 6,-2.00",
        "'@SUM(A1),0.00",
        "'-cmd,0.00",
        "plain,3.46",
        "-12.5,",
    ]


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "promises.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as handle:
        handle.write("half written")
        raise RuntimeError("crash")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_large_book_in_parquet_roundtrips(tmp_path):
    tables = make_book(n_invoices=20_000, n_customers=300, seed=5)
    write_book(tables, tmp_path, fmt="parquet")
    book = read_book(tmp_path)
    assert len(book.invoices) == 20_000
    assert book.invoices["open_amount"].sum() == pytest.approx(
        tables["invoices"]["open_amount"].sum()
    )
