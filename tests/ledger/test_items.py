"""Open items at a date; the ledger's functions leave their input as it was and ignore row order."""

from __future__ import annotations

import pandas as pd

from cashplan import (
    Book,
    Fx,
    aged_balance,
    kpis,
    open_items,
)
from tests.conftest import invoices_frame


def test_open_items_in_the_past_count_later_payments_as_open():
    book = Book.from_frames(
        invoices=invoices_frame(
            issue_date=["2026-08-01", "2026-09-15"],
            due_date=["2026-08-31", "2026-10-15"],
            amount=["1000", "2000"],
            paid_date=["2026-09-05", ""],
            open_amount=["", "500"],
        )
    )
    assert open_items(book.invoices, "2026-09-01", Fx.identity())["open_amount"].tolist() == [
        1000.0
    ]
    now = open_items(book.invoices, "2026-10-31", Fx.identity())
    assert now["open_amount"].tolist() == [500.0]  # partial payment: what is still due


def test_no_input_is_mutated_and_row_order_does_not_matter(sample_book):
    inv = sample_book.invoices
    before = inv.copy()
    items = open_items(inv, "2026-10-31", sample_book.fx, customers=sample_book.customers)
    aged = aged_balance(items, by=("company", "owner"))
    k = kpis(inv, "2026-10-31", sample_book.fx)
    pd.testing.assert_frame_equal(inv, before)

    shuffled = inv.sample(frac=1.0, random_state=3)
    items2 = open_items(shuffled, "2026-10-31", sample_book.fx, customers=sample_book.customers)
    pd.testing.assert_frame_equal(aged_balance(items2, by=("company", "owner")), aged)
    pd.testing.assert_frame_equal(
        kpis(shuffled, "2026-10-31", sample_book.fx), k, check_exact=False, rtol=1e-9
    )
