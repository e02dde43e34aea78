"""The Arrow/integer-code helpers of large frames against pandas' small path."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan.fast import frames as _fast


def as_str(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def test_group_codes_of_a_large_frame_match_the_small_path(monkeypatch):
    rng = np.random.default_rng(3)
    n = 150_000  # above the size from which text keys are hashed by the compiled loops
    frame = pd.DataFrame(
        {
            "company": as_str(rng.choice(["FR01", "UK01", "DE01"], n).tolist()),
            "customer_id": as_str([f"C{i}" for i in rng.integers(0, 5_000, n)]),
        }
    )
    codes, table = _fast.group_codes(frame, ["company", "customer_id"])
    monkeypatch.setattr(_fast, "_LARGE", 10**12)  # pandas' factorize everywhere
    small_codes, small_table = _fast.group_codes(frame, ["company", "customer_id"])
    assert codes.tolist() == small_codes.tolist()
    pd.testing.assert_frame_equal(table, small_table)
    rebuilt = table.iloc[codes].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt, frame.reset_index(drop=True))


def _lookup_by_merge(frame, table, keys, columns):
    """The first ``table`` row of each ``frame`` row's keys, by pandas' merge (the reference)."""
    first = table.drop_duplicates(keys, keep="first")[[*keys, *columns]]
    return frame[keys].merge(first, on=keys, how="left")[columns]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("AB"), st.sampled_from("xyz")), max_size=12),
    st.lists(
        st.tuples(st.sampled_from("ABC"), st.sampled_from("xyw"), st.integers(0, 9)),
        max_size=8,
    ),
)
def test_lookup_matches_a_merge_found_or_not(rows, table_rows):
    # every frame row found (the take) or some missing (the reindex, NaN): the same as a merge,
    # types included (an int column stays int when every row is found)
    frame = pd.DataFrame(rows, columns=["c", "k"]).astype("str")
    table = pd.DataFrame(table_rows, columns=["c", "k", "v"]).astype({"c": "str", "k": "str"})
    table.index = table.index * 3 + 7  # an index that is not 0..n-1
    got = _fast.lookup(frame, table, ["c", "k"], ["v"])
    want = _lookup_by_merge(frame, table, ["c", "k"], ["v"])
    if len(frame) and want["v"].notna().all():
        want = want.astype({"v": table["v"].dtype})
    pd.testing.assert_frame_equal(got, want, check_dtype=len(frame) > 0)


_KEY = st.sampled_from(["A", "B", "x", None])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(_KEY, _KEY, _KEY), max_size=10),
    st.lists(st.tuples(_KEY, _KEY, _KEY), max_size=10),
    st.integers(1, 3),
)
def test_few_rows_are_joined_as_the_hashed_keys_join_them(rows, table_rows, n_keys):
    # the small frames' path (each key found among the table's values) against the hash join
    # of both frames' keys: the same first row, missing keys matching missing keys
    import pytest

    keys = ["a", "b", "c"][:n_keys]
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype="str")
    table = pd.DataFrame(table_rows, columns=["a", "b", "c"], dtype="str").assign(
        v=np.arange(len(table_rows))
    )
    assert len(frame) < _fast._FEW  # the small path
    few = _fast.key_positions(frame, table, keys)
    few_lookup = _fast.lookup(frame, table, keys, ["v"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "_FEW", 0)  # the hash join
        hashed = _fast.key_positions(frame, table, keys)
        hashed_lookup = _fast.lookup(frame, table, keys, ["v"])
    assert few.dtype == np.int64 and few.tolist() == hashed.tolist()
    pd.testing.assert_frame_equal(few_lookup, hashed_lookup, check_exact=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["A", "B", "ALL"]), st.integers(0, 5)), max_size=12),
    st.sets(st.tuples(st.sampled_from(["A", "B", "ALL", "C"]), st.integers(0, 5)), max_size=12),
    st.sampled_from(["datetime64[us]", "datetime64[ns]", "datetime64[s]"]),
)
def test_positions_on_company_and_month_are_the_multiindex_join(rows, table_rows, unit):
    # what the gap and the cash-in join on (company, month), each table's keys unique: the
    # positions a MultiIndex get_indexer gives, whatever the months' units
    def frame(pairs, dtype):
        months = pd.to_datetime([f"2026-{m + 1:02d}-01" for _, m in pairs]).astype(dtype)
        return pd.DataFrame(
            {"company": pd.Series([c for c, _ in pairs], dtype="str"), "month": months}
        )

    left = frame(rows, "datetime64[us]")
    right = frame(sorted(table_rows), unit)
    keys = ["company", "month"]
    joined = pd.MultiIndex.from_frame(right[keys]).get_indexer(pd.MultiIndex.from_frame(left[keys]))
    assert _fast.key_positions(left, right, keys).tolist() == joined.tolist()


def _rows_at_by_frame(table, at, columns):  # type: ignore[no-untyped-def]
    """``rows_at`` as first written: the columns selected as a frame, then taken or
    reindexed (the reference)."""
    wanted = table[columns]
    if len(at) and at.min() >= 0:
        return wanted.take(at).reset_index(drop=True)
    return wanted.reset_index(drop=True).reindex(at).reset_index(drop=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 4), max_size=8), st.booleans())
def test_rows_at_a_column_at_a_time_are_the_frame_taken_or_reindexed(at, object_columns):
    # every kind of column the lookups read (numbers, flags, text, dates, nullable integers),
    # every row found (a take: the types kept) or some missing (NaN, the types widened)
    table = pd.DataFrame(
        {
            "i": [1, 2, 3, 4, 5],
            "f": [0.5, np.nan, 1.5, 2.5, 3.5],
            "b": [True, False, True, True, False],
            "s": pd.Series(["a", "b", None, "d", "e"], dtype="str"),
            "o": pd.Series(["x", 1, None, "y", 2.0], dtype=object),
            "d": pd.to_datetime(["2026-01-01", None, "2026-03-01", "2026-04-01", "2026-05-01"]),
            "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        },
        index=[10, 11, 12, 13, 14],
    )
    if object_columns:
        table.columns = pd.Index(list(table.columns), dtype=object)
    positions = np.array(at, dtype=np.int64)
    for columns in (["i", "f", "b"], ["s", "o", "d", "n"], ["n", "i"]):
        got = _fast.rows_at(table, positions, columns)
        want = _rows_at_by_frame(table, positions, columns)
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_column_type=True)
