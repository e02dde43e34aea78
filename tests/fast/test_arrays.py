"""LedgerArrays: computed once, shared by the scorer and the forecast, refused for another frame."""

from __future__ import annotations

import pandas as pd
import pytest

from cashplan import PayerScorer
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
