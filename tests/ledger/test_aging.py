"""The aged balance: buckets at their boundaries, and it always reconciles with the open amount."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import (
    aged_balance,
    bucket_labels,
    open_items,
)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-60, 400), st.floats(-1e5, 1e6), st.sampled_from("ABC")),
        min_size=0,
        max_size=60,
    ),
    st.sampled_from([(0, 30, 60, 90), (0, 15, 45), (0,), (0, 1, 2, 3, 7, 400)]),
)
def test_aged_balance_always_reconciles(rows, edges):
    items = pd.DataFrame(rows, columns=["days_past_due", "open_amount_rc", "customer_id"])
    items["company"] = "X"
    items["days_past_due"] = items["days_past_due"].astype("int64")
    aged = aged_balance(items, buckets=edges)
    labels = bucket_labels(edges)
    assert list(aged.columns) == ["company", "customer_id", *labels, "total"]
    assert aged[labels].sum(axis=1).to_numpy() == pytest.approx(aged["total"].to_numpy())
    assert aged["total"].sum() == pytest.approx(items["open_amount_rc"].sum(), abs=1e-6)
    assert len(aged) == items["customer_id"].nunique()


def test_bucket_boundaries():
    """0 days past due is not due; 30 is in 1-30; 31 in 31-60; 90 in 61-90; 91 in 90+."""
    items = pd.DataFrame(
        {
            "company": "A",
            "customer_id": ["C"] * 5,
            "days_past_due": [0, 30, 31, 90, 91],
            "open_amount_rc": [1.0, 2.0, 4.0, 8.0, 16.0],
        }
    )
    row = aged_balance(items).iloc[0]
    assert row[bucket_labels()].tolist() == [1.0, 2.0, 4.0, 8.0, 16.0]
    with pytest.raises(ValueError, match="start at 0"):
        bucket_labels((10, 20))


def test_sample_aging_by_customer_owner_company_reconciles(sample_book):
    items = open_items(
        sample_book.invoices, "2026-10-31", sample_book.fx, customers=sample_book.customers
    )
    total = items["open_amount_rc"].sum()
    for by in (("company", "customer_id"), ("company", "owner"), ("company",), ()):
        assert aged_balance(items, by=by)["total"].sum() == pytest.approx(total)
    assert "unassigned" not in set(items["owner"])  # every sample customer has an owner
