"""LedgerArrays: computed once, shared by the scorer and the forecast, refused for another frame."""

from __future__ import annotations

import pandas as pd
import pytest

from cashplan import Book, PayerScorer, make_book
from cashplan.fast.arrays import ledger_arrays
from cashplan.forecasting.collection import CollectionForecaster, forecast


@pytest.fixture(scope="module")
def sample(sample_book):
    return sample_book


def test_shared_arrays_give_the_same_scores_and_forecast(sample):
    inv, day = sample.invoices, "2026-10-31"
    arrays = ledger_arrays(inv)
    plain = PayerScorer().fit(inv, day, sample.promises).summary_
    shared = PayerScorer.from_arrays(arrays).fit(inv, day, sample.promises).summary_
    pd.testing.assert_frame_equal(plain, shared)
    a = forecast(inv, day, sample.fx, sample.promises)
    b = CollectionForecaster.from_arrays(arrays).fit(inv, day, sample.fx).predict(sample.promises)
    pd.testing.assert_frame_equal(a.invoices, b.invoices)
    pd.testing.assert_frame_equal(a.buckets, b.buckets)


def test_arrays_of_another_frame_are_refused(sample):
    arrays = ledger_arrays(sample.invoices.iloc[:100])
    with pytest.raises(ValueError, match="ledger_arrays"):
        PayerScorer.from_arrays(arrays).fit(sample.invoices, "2026-10-31")
    with pytest.raises(ValueError, match="ledger_arrays"):
        CollectionForecaster.from_arrays(arrays).fit(sample.invoices, "2026-10-31", sample.fx)


def test_the_amounts_reach_the_loops_as_one_kind_of_array_whatever_the_column_type() -> None:
    # a book with whole-number amounts (int64) or nullable columns gave writable copies,
    # float64 ones read-only views: numba compiled the forecast's loops once for each
    import numba

    frames = []
    for amount, disputed in (("float64", "bool"), ("int64", "boolean"), ("Float64", "bool")):
        book = Book.from_frames(**make_book(n_invoices=200, n_customers=5)).invoices
        book = book.assign(
            amount=book["amount"].round().astype(amount),
            open_amount=book["open_amount"].round().astype(amount),
            disputed=book["disputed"].astype(disputed),
        )
        frames.append(ledger_arrays(book))
    for name in ("amount", "open_amount", "disputed"):
        kinds = {numba.typeof(getattr(arrays, name)) for arrays in frames}
        assert len(kinds) == 1, (name, kinds)
