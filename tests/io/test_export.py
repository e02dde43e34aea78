"""Writing files atomically and safely, the deterministic sample book, and the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from cashplan import make_book, read_book, write_book, write_csv
from cashplan.app.cli import main
from cashplan.io.export import atomic_path
from cashplan.sample import PROFILES
from tests.conftest import HEADER, SAMPLE


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


def test_sample_is_deterministic_and_realistic():
    a = make_book(n_invoices=5_000, n_customers=60, seed=3)
    b = make_book(n_invoices=5_000, n_customers=60, seed=3)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not make_book(n_invoices=5_000, n_customers=60, seed=4)["invoices"].equals(a["invoices"])


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    assert main(["sample", "--out", str(tmp_path / "s")]) == 0
    assert _digest(tmp_path / "s") == _digest(SAMPLE)


def test_sample_book_has_what_the_issue_asks(sample_book):
    inv = sample_book.invoices
    assert sample_book.companies == ["FR01", "UK01"]
    assert set(inv.groupby("company")["currency"].first()) == {"EUR", "GBP"}
    assert 230 <= len(sample_book.customers) <= 270
    assert inv["issue_date"].min() <= pd.Timestamp("2023-11-05")
    assert inv["issue_date"].max() <= pd.Timestamp("2026-10-31")
    year = inv.loc[inv["issue_date"] > pd.Timestamp("2025-10-31")]
    revenue = sample_book.fx.convert(year["amount"], year["currency"], year["issue_date"]).sum()
    assert 30e6 < revenue < 55e6  # a mid-size company, about EUR 40M
    assert inv["disputed"].any() and (inv["amount"] < 0).any()
    live = sample_book.promises.loc[sample_book.promises["promised_date"] > "2026-10-31"]
    assert 5 <= len(live) <= 30 and (live["invoice_id"] == "").sum() == 1
    assert set(sample_book.spending["category"]) == {"salaries", "external", "taxes", "loans"}
    assert sample_book.spending["month"].nunique() >= 12
    assert set(PROFILES) == {
        "punctual",
        "late",
        "erratic",
        "deteriorating",
        "payment_run",
        "disputer",
    }


def test_large_book_in_parquet_roundtrips(tmp_path):
    tables = make_book(n_invoices=20_000, n_customers=300, seed=5)
    write_book(tables, tmp_path, fmt="parquet")
    book = read_book(tmp_path)
    assert len(book.invoices) == 20_000
    assert book.invoices["open_amount"].sum() == pytest.approx(
        tables["invoices"]["open_amount"].sum()
    )


def test_cli_summary_on_the_sample(capsys):
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "Cash need and targets",
        "Aged balance by company",
        "Aged balance by owner",
        "KPIs",
    ):
        assert heading in out
    assert "2027-04" in out and "ALL" in out


def test_cli_bad_book_prints_problems_not_a_traceback(book_dir, capsys):
    folder = book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-01-01,10\n")
    assert main(["summary", str(folder), "--as-of", "2026-10-31"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invoices.csv, line 2, column 'due_date'" in captured.err
    assert "Traceback" not in captured.err


def test_cli_unknown_company_and_bad_date(capsys):
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31", "--company", "XX"]) == 2
    assert "it has: FR01, UK01" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["summary", str(SAMPLE), "--as-of", "31/10/2026"])
    assert "write it as YYYY-MM-DD" in capsys.readouterr().err


def test_cli_sample_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "keep.csv").write_text("x")
    assert main(["sample", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
