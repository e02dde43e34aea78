"""Cash need and smoothed targets: the seed's worked example and the catch-up invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import Book, Fx, monthly_targets, smoothed_targets
from tests.conftest import invoices_frame


def test_seed_example_k1():
    """Need 100,000; collected 80,000 (shortfall 20,000) then 110,000 (cumulative 10,000),
    then 110,000 (caught up): targets 100,000 / 120,000 / 110,000 / 100,000."""
    t = smoothed_targets([100_000] * 4, [80_000, 110_000, 110_000, None], k=1)
    assert t["target"].tolist() == [100_000, 120_000, 110_000, 100_000]
    assert t["shortfall"].tolist()[:3] == [20_000, 10_000, 0]


def test_k3_spreads_a_shortfall_over_three_months():
    """k = 3: the 20,000 shortfall of month 1 adds 6,666.67 to months 2, 3 and 4.
    Month 2 collects 106,666.67 (its target), so nothing more is carried from it."""
    t = smoothed_targets([100_000] * 5, [80_000, 106_666.67, None, None, None], k=3)
    assert t["target"].round(2).tolist() == [100_000, 106_666.67, 106_666.67, 106_666.67, 100_000]


def test_a_surplus_is_a_buffer_by_default_and_a_credit_when_asked():
    base = smoothed_targets([100.0] * 3, [150.0, None, None])
    assert base["target"].tolist() == [100.0, 100.0, 100.0]
    lowered = smoothed_targets([100.0] * 3, [150.0, None, None], surplus_lowers=True)
    assert lowered["target"].tolist() == [100.0, 50.0, 100.0]
    floored = smoothed_targets([100.0] * 2, [300.0, None], surplus_lowers=True)
    assert floored["target"].tolist() == [100.0, 0.0]  # never below zero


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="catch-up horizon"):
        smoothed_targets([1.0], [1.0], k=0)
    with pytest.raises(ValueError, match="has 2"):
        smoothed_targets([1.0], [1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=18),
    st.integers(1, 4),
)
def test_without_surplus_credit_what_is_owed_is_never_forgotten(months, k):
    """Targets of the closed months plus the catch-up still scheduled after them equal
    the cumulative need plus all shortfalls: carried amounts are conserved."""
    need = [m[0] for m in months]
    got = [m[1] for m in months]
    t = smoothed_targets(need + [0.0] * k, got + [None] * k, k=k)
    carried_in = t["carried"].sum()
    assert carried_in == pytest.approx(t["shortfall"].clip(lower=0).sum(), rel=1e-9, abs=1e-6)
    assert (t["target"] >= t["cash_need"] - 1e-9).all()


def _book() -> Book:
    inv = invoices_frame(
        invoice_id=["A1", "A2", "B1"],
        company=["A", "A", "B"],
        currency=["EUR", "EUR", "GBP"],
        issue_date=["2026-08-01", "2026-09-01", "2026-08-01"],
        due_date=["2026-08-31", "2026-09-30", "2026-08-31"],
        amount=["800", "1100", "100"],
        paid_date=["2026-08-20", "2026-09-25", "2026-09-05"],
    )
    spending = pd.DataFrame(
        {
            "month": ["2026-08", "2026-08", "2026-09", "2026-10", "2026-08", "2026-09", "2026-10"],
            "category": ["salaries", "taxes", "salaries", "salaries", "loans", "loans", "loans"],
            "amount": ["600", "400", "1000", "1000", "100", "100", "100"],
            "company": ["A", "A", "A", "A", "B", "B", "B"],
            "currency": ["EUR", "EUR", "EUR", "EUR", "GBP", "GBP", "GBP"],
        }
    )
    fx = pd.DataFrame({"date": ["2026-01-01"], "currency": ["GBP"], "rate": ["1.2"]})
    return Book.from_frames(invoices=inv, spending=spending, fx_rates=fx)


def test_monthly_targets_per_company_and_consolidated():
    """Company A: need 1,000 a month. August collected 800 -> September target 1,000 + 200
    = 1,200; collected 1,100 -> October 1,000 + 100 = 1,100; October (closed on the as-of
    day) collected 0 -> November 1,000 + 1,100 = 2,100.
    Company B, GBP 100 a month at 1.2 = EUR 120: August collected 0 -> September 240;
    collected 120 -> October 240; collected 0 -> November 360.
    ALL on the pooled figures (need 1,120): August collected 800 -> September 1,440;
    collected 1,220 -> October 1,340; collected 0 -> November 2,460."""
    book = _book()
    t = monthly_targets(
        book.invoices, book.spending, book.fx, "2026-10-31", months_before=3, months_after=1
    )
    got = t.pivot(index="month", columns="company", values="target").round(2)
    assert got["A"].tolist() == [1000.0, 1200.0, 1100.0, 2100.0]
    assert got["B"].tolist() == [120.0, 240.0, 240.0, 360.0]
    assert got["ALL"].tolist() == [1120.0, 1440.0, 1340.0, 2460.0]
    # November has no spending on record: the run rate of the last three months, flagged
    nov = t.loc[(t["company"] == "A") & (t["month"] == "2026-11-01")].iloc[0]
    assert nov["cash_need"] == pytest.approx((1000 + 1000 + 1000) / 3)
    assert bool(nov["closed"]) is False and np.isnan(nov["collected"])


def test_safety_margin_raises_the_need():
    book = _book()
    plain = monthly_targets(book.invoices, book.spending, book.fx, "2026-10-31")
    safe = monthly_targets(book.invoices, book.spending, book.fx, "2026-10-31", safety_margin=0.1)
    ahead = ~plain["closed"]
    assert safe.loc[ahead, "cash_need"].sum() == pytest.approx(
        plain.loc[ahead, "cash_need"].sum() * 1.1
    )
    # closed months keep their actual need, and so their shortfalls
    assert safe.loc[~ahead, "cash_need"].tolist() == plain.loc[~ahead, "cash_need"].tolist()
    assert safe.loc[~ahead, "shortfall"].tolist() == plain.loc[~ahead, "shortfall"].tolist()


def test_a_partial_month_carries_nothing_yet():
    book = _book()
    t = monthly_targets(
        book.invoices, book.spending, book.fx, "2026-10-15", months_before=3, months_after=1
    )
    a = t.loc[t["company"] == "A"]
    assert a["closed"].tolist() == [True, True, False, False]
    assert a["target"].tolist()[-1] == pytest.approx(1000.0)  # October's shortfall unknown


def test_inputs_are_not_mutated():
    book = _book()
    before = (book.invoices.copy(), book.spending.copy())
    monthly_targets(book.invoices, book.spending, Fx(book.fx_rates, "EUR"), "2026-10-31")
    pd.testing.assert_frame_equal(book.invoices, before[0])
    pd.testing.assert_frame_equal(book.spending, before[1])


def test_overrides_one_after_another_on_one_table_each_give_the_override_of_a_fresh_copy(
    sample_book,
):  # type: ignore[no-untyped-def]
    """The run rate written out for a table is kept beside it (the workbook's spending boxes
    move one after another): each override equals the one of a fresh copy of the table,
    the table is left as it was, and what was kept goes with the table."""
    import gc

    from cashplan.core import kept as kept_module
    from cashplan.planning import targets

    table = sample_book.spending.copy()
    before = table.copy()
    for overrides in (
        {"FR01/salaries": 10_000.0},
        {"salaries": 0.0, "UK01/loans": 5.0},
        {"FR01/salaries": 10_000.0},
    ):
        kept = targets.override_spending(table, overrides, "2026-10-31")
        fresh = targets.override_spending(table.copy(), overrides, "2026-10-31")
        pd.testing.assert_frame_equal(kept, fresh)
        pd.testing.assert_frame_equal(table, before)
    assert id(table) in kept_module._KEPT
    key = id(table)
    del table, kept
    gc.collect()
    assert key not in kept_module._KEPT
