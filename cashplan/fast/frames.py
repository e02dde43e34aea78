"""Vectorised helpers for large frames (a million rows and more) of Arrow-backed strings.

pandas' own ``isin`` on Arrow strings walks the wanted values in Python, and grouping
on several string columns factorizes each of them through a MultiIndex; these go
through Arrow and integer codes instead.

Examples
--------
>>> a = pd.Series(["x", "y", "x", "z"])
>>> isin(a, pd.Series(["x", "z"])).tolist()
[True, False, True, True]
>>> groups, keys = group_codes(pd.DataFrame({"c": ["A", "A", "B"], "k": ["1", "2", "1"]}),
...                            ["c", "k"])
>>> groups.tolist(), keys.to_dict("list")
([0, 1, 2], {'c': ['A', 'A', 'B'], 'k': ['1', '2', '1']})
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cashplan.fast.grouping import first_appearance
from cashplan.fast.text import factorize_text, text_in, text_rows

__all__ = [
    "group_codes",
    "invoice_rows",
    "isin",
    "key_positions",
    "lookup",
    "pair_codes",
    "rows_at",
    "text_from_codes",
]


_LARGE = 100_000  # rows from which a text column is hashed by the compiled loops


def _plain_text(column: pd.Series) -> bool:
    """A text column with no missing value (what the compiled hashing reads)."""
    return pd.api.types.is_string_dtype(column.dtype) and not bool(column.isna().any())


def isin(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` as a boolean array: compiled for a large text column,
    through Arrow otherwise."""
    if len(values) >= _LARGE and _plain_text(values) and _plain_text(wanted):
        return text_in(values, wanted)
    found = pc.is_in(pa.array(values.astype(str)), value_set=pa.array(wanted.astype(str).unique()))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def pair_codes(a: pd.Series, b: pd.Series) -> np.ndarray:
    """One integer per distinct (a, b) pair (not dense, not sorted)."""
    codes_a, _ = pd.factorize(a)
    codes_b, uniques_b = pd.factorize(b)
    return codes_a.astype(np.int64) * (len(uniques_b) + 1) + codes_b


def group_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group numbers (0..n-1, in sorted key order) and the keys of each group.

    >>> codes, keys = group_codes(pd.DataFrame({"a": ["x", "x", "y", "x"],
    ...     "b": [1, 2, 1, 1], "c": ["u", "u", "u", "v"]}), ["a", "b", "c"])
    >>> codes.tolist(), len(keys)
    ([0, 2, 3, 1], 4)
    """
    if frame.empty:
        return np.zeros(0, dtype=np.int64), frame[keys].iloc[:0].reset_index(drop=True)
    raw, size = _key_codes(frame, keys)
    if size <= 4 * len(raw) + 1024:  # few possible tuples: number them by a lookup
        dense, first = first_appearance(raw, size)
    else:
        dense, _ = pd.factorize(raw)  # a hash, not a sort: linear in the rows
        # numbered by first appearance: a group starts where the running max grows
        top = np.maximum.accumulate(dense)
        first = np.flatnonzero(np.concatenate([[True], top[1:] > top[:-1]]))
    table = frame[keys].iloc[first].reset_index(drop=True)
    order = table.sort_values(keys, kind="stable").index.to_numpy()
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[dense], table.iloc[order].reset_index(drop=True)


def _factorize(column: pd.Series) -> tuple[np.ndarray, int]:
    """Codes (by first appearance; -1 for missing) and how many distinct values."""
    if len(column) >= _LARGE and _plain_text(column):
        codes, first = factorize_text(column)  # compiled, on both cores
        return codes, len(first)
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def _key_codes(
    frame: pd.DataFrame, keys: list[str], then: pd.DataFrame | None = None
) -> tuple[np.ndarray, int]:
    """One integer per distinct key tuple (not dense, not sorted), and their upper bound.

    With ``then``, the codes of ``frame``'s rows followed by ``then``'s (its key columns
    joined one by one: a frame of both is a fixed cost of a millisecond or so).
    """

    def column(key: str) -> pd.Series:
        if then is None:
            return frame[key]
        return pd.concat([frame[key], then[key]], ignore_index=True)

    raw, size = _factorize(column(keys[0]))
    for i, key in enumerate(keys[1:], start=2):  # fold in one key at a time
        codes, n = _factorize(column(key))
        raw, size = raw * (n + 1) + codes, size * (n + 1) + n
        if i < len(keys):  # re-densify before the next key, so the codes never overflow
            raw = np.unique(raw, return_inverse=True)[1].ravel()
            size = int(raw.max()) + 1 if len(raw) else 0
    return raw, size


def invoice_rows(
    invoices: pd.DataFrame, table: pd.DataFrame, among: np.ndarray | None = None
) -> np.ndarray:
    """For each ``table`` row, the position of the invoice it names (-1 if none).

    An invoice is named by (``company``, ``invoice_id``); ``among`` limits the
    invoices that count. Finds the invoices whose number the table names first
    (``cashplan.fast.text.text_rows``, compiled), then checks their company; when an invoice
    number is in two companies, ``isin`` and an exact lookup on both keys answer.

    >>> inv = pd.DataFrame({"company": ["A", "B", "A"], "invoice_id": ["1", "1", "2"]})
    >>> named = pd.DataFrame({"company": ["B", "A", "A"], "invoice_id": ["1", "3", "2"]})
    >>> invoice_rows(inv, named).tolist()
    [1, -1, 2]
    """
    keys = ["company", "invoice_id"]
    among = np.ones(len(invoices), dtype=bool) if among is None else among
    rows = text_rows(invoices["invoice_id"], table["invoice_id"], among)
    if rows is not None:  # the first invoice with that number: right if its company is
        found = np.flatnonzero(rows >= 0)
        theirs = invoices["company"].iloc[rows[found]].to_numpy(dtype=object)
        if (theirs == table["company"].iloc[found].to_numpy(dtype=object)).all():
            return rows
    hit = isin(invoices["invoice_id"], table["invoice_id"]) & among  # the general case
    rows = np.flatnonzero(hit)
    candidates = invoices[keys].iloc[rows].assign(_row=rows)
    found_rows = lookup(table, candidates, keys, ["_row"])["_row"]
    return found_rows.fillna(-1).to_numpy(dtype=np.int64)


def lookup(
    frame: pd.DataFrame, table: pd.DataFrame, keys: list[str], columns: list[str]
) -> pd.DataFrame:
    """``columns`` of the first ``table`` row with each ``frame`` row's ``keys`` (NaN if none).

    A hash join on integer codes: much faster than a MultiIndex ``reindex`` on text keys.

    >>> frame = pd.DataFrame({"c": ["A", "A", "B"], "k": ["x", "y", "x"]})
    >>> table = pd.DataFrame({"c": ["A", "B"], "k": ["x", "x"], "v": [1.0, 2.0]})
    >>> lookup(frame, table, ["c", "k"], ["v"])["v"].tolist()
    [1.0, nan, 2.0]
    """
    return rows_at(table, key_positions(frame, table, keys), columns)


def rows_at(table: pd.DataFrame, at: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``table``'s rows at positions ``at`` (-1: a row of NaN), as
    :func:`lookup` gives them: the types kept when every row is found, as ``reindex`` does.

    >>> table = pd.DataFrame({"v": [1, 2]}, index=[5, 9])
    >>> rows_at(table, np.array([1, 1]), ["v"])["v"].tolist()
    [2, 2]
    >>> rows_at(table, np.array([1, -1]), ["v"])["v"].tolist()
    [2.0, nan]
    """
    # a column at a time: ``table[columns]`` alone costs more than the lookup (pandas 3)
    if len(at) and at.min() >= 0:  # every row found: a take keeps the types, as reindex does
        found = {c: table[c].array.take(at) for c in columns}
    else:
        found = {c: table[c].reset_index(drop=True).reindex(at).array for c in columns}
    return pd.DataFrame(found, columns=pd.Index(columns, dtype=table.columns.dtype), copy=False)


def key_positions(frame: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each ``frame`` row, the position of the first ``table`` row with its ``keys``
    (-1 if none; a missing key matches a missing key): the join :func:`lookup` makes.

    >>> frame = pd.DataFrame({"c": ["A", "B", None], "k": ["x", "x", "y"]})
    >>> table = pd.DataFrame({"c": ["B", "A", "B", None], "k": ["x", "x", "x", "y"]})
    >>> key_positions(frame, table, ["c", "k"]).tolist()
    [1, 0, 3]
    """
    if len(frame) < _FEW and len(table) < _LARGE:
        return _few_positions(frame, table, keys)
    codes, _ = _key_codes(frame, keys, then=table)
    mine, theirs = codes[: len(frame)], codes[len(frame) :]
    unique, first = np.unique(theirs, return_index=True)
    found = pd.Index(unique).get_indexer(mine)
    return np.where(found >= 0, first[np.maximum(found, 0)], -1) if len(first) else found


_FEW = 2_000  # frame rows under which a join looks each row's keys up among the table's


def _few_positions(frame: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """``key_positions`` for a frame of a few rows (an edit's, a customer's invoices): each
    key column found among the table's distinct values, rather than both frames' keys
    hashed together (a fixed cost of a few ms, paid at every edit in the workbook).

    >>> frame = pd.DataFrame({"c": ["A", "B", None, "Z"], "k": ["x", "x", "y", "x"]})
    >>> table = pd.DataFrame({"c": ["B", "A", "B", None], "k": ["x", "x", "x", "y"]})
    >>> _few_positions(frame, table, ["c", "k"]).tolist()
    [1, 0, 3, -1]
    """
    if table.empty:
        return np.full(len(frame), -1, dtype=np.int64)
    theirs = np.zeros(len(table), dtype=np.int64)
    mine = np.zeros(len(frame), dtype=np.int64)
    known = np.ones(len(frame), dtype=bool)
    for key in keys:
        codes, values = pd.factorize(table[key], use_na_sentinel=False)
        found = pd.Index(values).get_indexer(frame[key])
        known &= found >= 0
        theirs = theirs * (len(values) + 1) + codes
        mine = mine * (len(values) + 1) + found
        if len(keys) > 2:  # re-densify, so the codes never overflow
            both = np.unique(np.concatenate([theirs, mine]), return_inverse=True)[1].ravel()
            theirs, mine = both[: len(table)], both[len(table) :]
    unique, first = np.unique(theirs, return_index=True)  # the first row of each key
    at = np.minimum(np.searchsorted(unique, mine), len(unique) - 1)
    return np.where(known & (unique[at] == mine), first[at], -1).astype(np.int64)


def text_from_codes(codes: np.ndarray, labels: tuple[str, ...] | list[str]) -> pd.Series:
    """The text column ``labels[codes]``, built by Arrow (not one Python string per row).

    >>> text_from_codes(np.array([1, 0, 1]), ["no", "yes"]).tolist()
    ['yes', 'no', 'yes']
    """
    coded = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(labels))
    return pd.Series(pd.array(pc.cast(coded, pa.large_string()), dtype="str"))
