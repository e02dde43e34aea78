"""The compiled hashing of text columns against pandas (factorize, isin), byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan.fast import text as _text

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
