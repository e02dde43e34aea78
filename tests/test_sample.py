"""The sample generator: deterministic, realistic; data/sample is what it writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from cashplan import make_book
from cashplan.app.cli import main
from cashplan.sample import PROFILES
from tests.conftest import SAMPLE


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
