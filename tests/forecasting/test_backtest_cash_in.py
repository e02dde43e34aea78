"""The total cash-in's backtest: actuals, no look-ahead, and the baselines it beats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.forecasting.backtest_cash_in import backtest_cash_in
from cashplan.sample import make_book


@pytest.fixture(scope="module")
def book() -> Book:
    return Book.from_tables(make_book(n_invoices=6_000, n_customers=60, seed=5))


@pytest.fixture(scope="module")
def result(book):
    return backtest_cash_in(
        book.invoices, book.fx, book.promises, first="2026-03-31", last="2026-06-30"
    )


def test_actuals_are_every_collection_after_as_of_in_the_week(result, book):
    inv = book.invoices
    day = pd.Timestamp("2026-04-30")
    weeks = result.weekly.loc[result.weekly["as_of"] == day]
    first = weeks.iloc[0]
    paid = inv["paid_date"]
    mask = (paid > day) & (paid < first["week_start"] + pd.Timedelta(days=7))
    rc = book.fx.convert(inv.loc[mask, "amount"], inv.loc[mask, "currency"], paid[mask]).sum()
    assert first["actual"] == pytest.approx(rc)
    mask &= inv["issue_date"] > day
    rc = book.fx.convert(inv.loc[mask, "amount"], inv.loc[mask, "currency"], paid[mask]).sum()
    assert first["actual_new"] == pytest.approx(rc)


def test_the_backtest_does_not_look_ahead(result, book):
    day = pd.Timestamp("2026-04-30")
    inv = book.invoices
    later = inv.assign(  # what happens after the date changes: bigger sales, later payments
        amount=inv["amount"].where(inv["issue_date"] <= day, inv["amount"] * 3),
        paid_date=inv["paid_date"].where(
            inv["paid_date"] <= day, inv["paid_date"] + pd.Timedelta(days=2)
        ),
    )
    again = backtest_cash_in(later, book.fx, book.promises, first=day, last=day)
    mine = result.weekly.loc[result.weekly["as_of"] == day].reset_index(drop=True)
    cols = ["open_expected", "new_expected", "total_expected", "run_rate", "last_year", "ets"]
    pd.testing.assert_frame_equal(again.weekly[cols], mine[cols], rtol=1e-9)
    assert not np.allclose(again.weekly["actual"], mine["actual"])


def test_the_total_beats_every_baseline_and_new_sales_matter(result):
    s = result.summary.set_index("method")
    best = s.loc[["run_rate", "last_year", "ets"], "wape"].min()
    assert s.loc["total", "wape"] < best
    assert s.loc["total", "wape"] < 0.7 * s.loc["open_book", "wape"]
    assert 0.2 < s.loc["total", "new_share"] < 0.6
    assert 0.0 < s.loc["total", "raw_coverage"] <= 1.0
