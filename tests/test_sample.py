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


def test_small_book_is_shaped_like_a_small_real_company():
    from cashplan import Book
    from cashplan.fast.arrays import day_number, ledger_arrays
    from cashplan.fast.history import decay_table
    from cashplan.forecasting.payment_runs import run_day_payers
    from cashplan.sample import make_small_book

    tables = make_small_book()
    pd.testing.assert_frame_equal(tables["invoices"], make_small_book()["invoices"])
    book = Book.from_tables(tables)  # a valid book
    inv = book.invoices
    per_customer = inv.groupby("customer_id").size()
    assert len(per_customer) == 100 and 20 <= per_customer.mean() <= 30
    assert set(book.customers["payment_terms_days"]) == {30}
    assert (inv["issue_date"].max() - inv["issue_date"].min()).days > 700
    settled = inv.loc[inv["paid_date"].notna()]
    late = (settled["paid_date"] - settled["due_date"]).dt.days
    by_customer = late.groupby(settled["customer_id"]).mean()
    assert by_customer.quantile(0.9) - by_customer.quantile(0.1) > 15  # heterogeneous payers
    extra = late[settled["disputed"]].mean() - late[~settled["disputed"]].mean()
    assert 8 <= extra <= 20  # disputes paid about two weeks later
    assert (late[settled["disputed"]] < 91).mean() > 0.9  # mostly within 13 weeks
    shares = []
    for day in pd.date_range("2025-10-31", "2026-07-31", freq="ME"):
        was_open = (inv["issue_date"] <= day) & ~(inv["paid_date"] <= day)
        shares.append(
            inv.loc[was_open & inv["disputed"], "amount"].sum() / inv.loc[was_open, "amount"].sum()
        )
    assert 0.25 <= sum(shares) / len(shares) <= 0.45  # about a third of the open book
    arrays = ledger_arrays(inv)
    when = day_number(pd.Timestamp("2026-10-31"))
    run_day, _ = run_day_payers(arrays, when, decay_table(arrays.paid, when, 365.0))
    assert (run_day > 0).sum() == 0  # nobody pays on a fixed day of the month
    assert len(book.promises) < 0.03 * len(inv)
    assert set(book.spending["category"]) == {"salaries", "external", "taxes", "loans"}
