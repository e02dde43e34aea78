"""The compiled helpers against the pandas and numpy code they stand in for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import PayerScorer, read_book
from cashplan.fast import frames as _fast
from cashplan.fast import text as _text
from cashplan.fast.arrays import UNPAID, ledger_arrays
from cashplan.fast.kernels import civil, day_numbers, day_of, first_appearance
from cashplan.forecasting.collection import forecast

texts = st.lists(st.text(max_size=12), min_size=0, max_size=60)


def as_str(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


@settings(max_examples=60, deadline=None)
@given(texts)
def test_factorize_text_numbers_like_pandas(values):
    codes, first = _text.factorize_text(as_str(values))
    expected, uniques = pd.factorize(as_str(values))
    assert codes.tolist() == expected.tolist()  # both by first appearance
    assert [values[i] for i in first] == list(uniques)


@settings(max_examples=60, deadline=None)
@given(texts, texts)
def test_text_in_is_isin(values, wanted):
    found = _text.text_in(as_str(values), as_str(wanted))
    assert found.tolist() == [v in set(wanted) for v in values]


def test_texts_sharing_a_hash_are_never_taken_for_one(monkeypatch):
    """Every text hashes to 0 here: the byte check catches it and pandas answers."""
    monkeypatch.setattr(_text, "_hashes", lambda off, data: np.zeros(len(off) - 1, np.uint64))
    values = as_str(["FR-C1", "FR-C2", "FR-C1", "UK-C1"])
    codes, first = _text.factorize_text(values)
    assert codes.tolist() == [0, 1, 0, 2] and first.tolist() == [0, 1, 3]
    assert _text.text_in(values, as_str(["UK-C1"])).tolist() == [False, False, False, True]


def test_group_codes_of_a_large_frame_match_the_small_path(monkeypatch):
    rng = np.random.default_rng(3)
    n = 150_000  # above the size from which text keys are hashed by the compiled loops
    frame = pd.DataFrame({
        "company": as_str(rng.choice(["FR01", "UK01", "DE01"], n).tolist()),
        "customer_id": as_str([f"C{i}" for i in rng.integers(0, 5_000, n)]),
    })  # fmt: skip
    codes, table = _fast.group_codes(frame, ["company", "customer_id"])
    monkeypatch.setattr(_fast, "_LARGE", 10**12)  # pandas' factorize everywhere
    small_codes, small_table = _fast.group_codes(frame, ["company", "customer_id"])
    assert codes.tolist() == small_codes.tolist()
    pd.testing.assert_frame_equal(table, small_table)
    rebuilt = table.iloc[codes].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt, frame.reset_index(drop=True))


def test_first_appearance_numbers_by_first_row():
    raw = np.array([7, 3, 7, 0, 3, 9])
    codes, first = first_appearance(raw, 10)
    assert codes.tolist() == [0, 1, 0, 2, 1, 3] and first.tolist() == [0, 1, 3, 5]


def test_calendar_matches_numpy_over_four_centuries():
    days = np.arange(-150_000, 150_000, 7)
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    doms = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    got = np.array([civil(int(z)) for z in days])
    assert (got[:, 0] == years).all() and (got[:, 1] == months).all()
    assert (got[:, 2] == doms).all()
    assert all(day_of(*civil(int(z))) == z for z in days[::50])


def test_day_numbers_keep_empty_dates_apart():
    ticks = pd.Series(pd.to_datetime(["1969-12-31", "1970-01-02", None])).to_numpy()
    got = day_numbers(ticks.astype("datetime64[us]").view(np.int64), np.int64(86_400_000_000),
                      UNPAID)  # fmt: skip
    assert got.tolist() == [-1, 1, UNPAID]


@pytest.fixture(scope="module")
def sample():
    return read_book("data/sample")


def test_shared_arrays_give_the_same_scores_and_forecast(sample):
    inv, day = sample.invoices, "2026-10-31"
    arrays = ledger_arrays(inv)
    plain = PayerScorer().fit(inv, day, sample.promises).summary_
    shared = PayerScorer().fit(inv, day, sample.promises, arrays=arrays).summary_
    pd.testing.assert_frame_equal(plain, shared)
    a = forecast(inv, day, sample.fx, sample.promises)
    b = forecast(inv, day, sample.fx, sample.promises, arrays=arrays)
    pd.testing.assert_frame_equal(a.invoices, b.invoices)
    pd.testing.assert_frame_equal(a.buckets, b.buckets)


def test_arrays_of_another_frame_are_refused(sample):
    arrays = ledger_arrays(sample.invoices.iloc[:100])
    with pytest.raises(ValueError, match="ledger_arrays"):
        PayerScorer().fit(sample.invoices, "2026-10-31", arrays=arrays)
    with pytest.raises(ValueError, match="ledger_arrays"):
        forecast(sample.invoices, "2026-10-31", sample.fx, arrays=arrays)
