"""Hashing text columns of millions of rows (customer and invoice numbers), compiled.

pandas and Arrow hash a text column on one core, about 50 ns a row here; a ledger
of four million rows pays that on every key it groups or joins by. These loops
read the Arrow buffers of the column (offsets and bytes) directly and hash each
value once (eight bytes at a time, then a 64-bit finaliser) on both cores. Rows
are grouped by hash, then every row's bytes are compared with its group's text:
if two different texts ever shared a hash, the answer comes from pandas instead,
so two different values are never taken for one. Why not a library: pandas' and
Arrow's own factorize and ``is_in`` are those single-core hashes; this is the
same work on both cores, without their per-row overhead.

Examples
--------
>>> codes, first = factorize_text(pd.Series(["b", "a", "b", "c", "a"]))
>>> codes.tolist(), first.tolist()
([0, 1, 0, 2, 1], [0, 1, 3])
>>> text_in(pd.Series(["x", "y", "z"]), pd.Series(["z", "x", "x"])).tolist()
[True, False, True]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from numba import prange

from cashplan.fast.config import cores_for, jit

__all__ = ["factorize_text", "text_buffers", "text_in", "text_rows"]

_EMPTY = -1


def text_buffers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The Arrow offsets (``int64``, one more than the values) and bytes of a text column.

    A missing value reads as the empty text.
    """
    array = pa.array(values.astype(str))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    start = array.offset
    off = np.frombuffer(offsets, dtype=np.int64)[start : start + len(array) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return off, raw


@jit(inline="always")
def _hash(data, lo, hi):
    """A 64-bit hash of ``data[lo:hi]``, eight bytes at a time (then a finaliser)."""
    prime = np.uint64(0x100000001B3)
    h = np.uint64(14695981039346656037) ^ np.uint64(hi - lo)
    k = lo
    while k < hi:
        word = np.uint64(0)
        for j in range(min(8, hi - k)):
            word |= np.uint64(data[k + j]) << np.uint64(8 * j)
        h = (h ^ word) * prime
        h ^= h >> np.uint64(29)
        k += 8
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return h


@jit(parallel=True)
def _fill_hashes(off, data, out):
    for i in prange(len(off) - 1):
        out[i] = _hash(data, off[i], off[i + 1])


def _hashes(off: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Each text's hash (arrays allocated by numpy: see ``cashplan.fast.config.zeros``)."""
    out = np.empty(len(off) - 1, dtype=np.uint64)
    _fill_hashes(off, data, out)
    return out


@jit()
def _insert_all(hashes, n, cap):
    table = np.full(cap, _EMPTY, dtype=np.int64)
    mask = np.uint64(cap - 1)
    for c in range(n):
        slot = hashes[c] & mask
        while table[slot] != _EMPTY:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = c
    return table


@jit()
def _fill_by_hash(row_hash, codes, first, hashes):
    """Number the rows by their hash, by first appearance: fill the codes, each code's first
    row and hash; return how many codes."""
    n = len(row_hash)
    cap = 1024
    mask = np.uint64(cap - 1)
    table = np.full(cap, _EMPTY, dtype=np.int64)
    found = 0
    for i in range(n):
        h = row_hash[i]
        slot = h & mask
        while True:
            c = table[slot]
            if c == _EMPTY:
                table[slot] = found
                first[found], hashes[found], codes[i] = i, h, found
                found += 1
                if 2 * found > cap:  # keep the table at most half full
                    cap *= 2
                    mask = np.uint64(cap - 1)
                    table = _insert_all(hashes, found, cap)
                break
            if hashes[c] == h:
                codes[i] = c
                break
            slot = (slot + np.uint64(1)) & mask
    return found


def _by_hash(row_hash: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes by first appearance of each hash, each code's first row and its hash."""
    n = len(row_hash)
    codes, first = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    hashes = np.empty(n, dtype=np.uint64)
    found = _fill_by_hash(row_hash, codes, first, hashes)
    return codes, first[:found].copy(), hashes[:found].copy()


@jit(inline="always")
def _differ(off, data, i, other_off, other_data, j):
    a, b = off[i], other_off[j]
    n = off[i + 1] - a
    if n != other_off[j + 1] - b:
        return 1
    for k in range(n):
        if data[a + k] != other_data[b + k]:
            return 1
    return 0


@jit(parallel=True)
def _all_same(off, data, rows, other_off, other_data, other_rows):
    """Whether text ``rows[i]`` equals text ``other_rows[i]`` of the other column, for all i."""
    bad = 0
    for i in prange(len(rows)):
        bad += _differ(off, data, rows[i], other_off, other_data, other_rows[i])
    return bad == 0


@jit()
def _pack(off, data, rows, k_off):
    """The texts of ``rows`` packed one after the other (``k_off``: filled, their offsets)."""
    k_off[0] = 0
    for r in range(len(rows)):
        k_off[r + 1] = k_off[r] + off[rows[r] + 1] - off[rows[r]]
    k_data = np.empty(max(k_off[len(rows)], 1), dtype=np.uint8)
    for r in range(len(rows)):
        k_data[k_off[r] : k_off[r + 1]] = data[off[rows[r]] : off[rows[r] + 1]]
    return k_data


@jit(parallel=True)
def _all_as_first(off, data, codes, k_off, k_data):
    """Whether every row's text equals the packed text of its code (``_pack``)."""
    bad = 0
    for i in prange(len(codes)):
        bad += _differ(off, data, i, k_off, k_data, codes[i])
    return bad == 0


def _packed(off: np.ndarray, data: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The texts of ``rows`` packed together (small enough to stay in cache): offsets, bytes."""
    k_off = np.empty(len(rows) + 1, dtype=np.int64)
    return k_off, _pack(off, data, rows, k_off)


def factorize_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Number each value by first appearance: the codes, and the first row of each number."""
    off, data = text_buffers(values)
    codes, first, _ = _by_hash(_hashes(off, data))
    if _all_as_first(off, data, codes, *_packed(off, data, first)):
        return codes, first
    codes, uniques = pd.factorize(values)  # two texts share a 64-bit hash: the slow, sure way
    return codes.astype(np.int64), _first_rows(codes, len(uniques))


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    first = np.full(n, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


@jit(parallel=True)
def _probe(row_hash, hashes, table, match):
    """Fill ``match``: for each row, the wanted value with the same hash (-1: none)."""
    mask = np.uint64(len(table) - 1)
    for i in prange(len(row_hash)):
        h = row_hash[i]
        slot = h & mask
        match[i] = -1
        while table[slot] != _EMPTY:
            c = table[slot]
            if hashes[c] == h:
                match[i] = c
                break
            slot = (slot + np.uint64(1)) & mask


def _matches(values: pd.Series, wanted: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """For each row of ``values``, the number of the equal distinct ``wanted`` text (-1: none),
    and each ``wanted`` row's number; None if two different texts shared a hash."""
    with cores_for(len(values) * 16 + len(wanted) * 16):  # a hash and a probe per text
        return _matched(values, wanted)


def _matched(values: pd.Series, wanted: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``_matches``, on the threads it chose."""
    w_off, w_data = text_buffers(wanted)
    w_codes, w_first, w_hashes = _by_hash(_hashes(w_off, w_data))
    if not _all_as_first(w_off, w_data, w_codes, *_packed(w_off, w_data, w_first)):
        return None
    table = _insert_all(w_hashes, len(w_hashes), 1 << max((2 * len(w_hashes)).bit_length(), 4))
    off, data = text_buffers(values)
    match = np.empty(len(off) - 1, dtype=np.int64)
    _probe(_hashes(off, data), w_hashes, table, match)
    rows = np.flatnonzero(match >= 0)
    if not _all_same(off, data, rows, w_off, w_data, w_first[match[rows]]):
        return None
    return match, w_codes


def text_in(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` for text, as a boolean array."""
    found = _matches(values, wanted)
    if found is None:  # a shared 64-bit hash: the sure way
        return values.isin(wanted).to_numpy(dtype=bool)
    return found[0] >= 0


@jit()
def _first_of(match, among, n_codes):
    first = np.full(n_codes, -1, dtype=np.int64)
    for i in range(len(match)):
        if match[i] >= 0 and among[i] and first[match[i]] < 0:
            first[match[i]] = i
    return first


def text_rows(values: pd.Series, wanted: pd.Series, among: np.ndarray) -> np.ndarray | None:
    """For each ``wanted`` row, the first row of ``values`` (where ``among``) with the same
    text (-1: none); None if two different texts shared a hash (ask pandas instead)."""
    found = _matches(values, wanted)
    if found is None:
        return None
    match, w_codes = found
    n_codes = int(w_codes.max()) + 1 if len(w_codes) else 0
    return _first_of(match, among, n_codes)[w_codes]
