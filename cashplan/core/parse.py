"""Vectorised parsing of raw cells into typed columns, collecting every bad cell.

A raw column is text as read from a CSV or an Excel sheet (or an already typed
Parquet column). :func:`parse_column` returns the typed values and one row per
cell that could not be read, with what was expected and the fix. Nothing is
guessed: a date such as ``03/04/2026`` in a comma-separated file is refused
because its day/month order is unknown. A number is read as the nearest double
to what is written; one of :data:`AMOUNT_LIMIT` or more (in absolute value) is
refused, because beyond it a double no longer keeps every cent.

Examples
--------
>>> raw = pd.Series(["1234,50", "1 234,56", ""])
>>> values, bad = parse_column(raw, "decimal", FRENCH)
>>> values.tolist()
[1234.5, nan, nan]
>>> bad["problem"].tolist()
['a thousands separator inside a number']
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from cashplan.core.schema import Kind

__all__ = ["AMOUNT_LIMIT", "FEW", "FRENCH", "STANDARD", "Dialect", "parse_column", "parse_few"]

DATE_DTYPE: Final = "datetime64[us]"
AMOUNT_LIMIT: Final = 10**13
"""Amounts must be below this in absolute value (ten thousand billion).

A double has 53 bits of precision: below 2**46 (about 7.0e13) two doubles are at most
1/128 apart, so the nearest double to a written amount is within 1/256 of it and
rounds back to its exact cents. 10**13 (where they are 1/512 apart) leaves a margin
of seven for totals of such amounts.
"""
_MIN_YEAR, _MAX_YEAR = 1970, 2100
FEW: Final = 16
"""Up to this many rows, :func:`parse_few` reads a column cell by cell (a row the workbook
saves: the vectorised parsers' fixed cost is tens of milliseconds for one row)."""


@dataclass(frozen=True)
class Dialect:
    """How numbers and dates are written in a file."""

    decimal: str
    day_first: bool
    label: str


STANDARD = Dialect(".", False, "comma-separated, dot decimals, ISO dates")
FRENCH = Dialect(",", True, "French Excel: ';' separator, decimal comma, DD/MM/YYYY dates")

_TRUE = {"true", "1", "yes", "y", "oui", "o", "vrai"}
_FALSE = {"false", "0", "no", "n", "non", "faux", ""}
# ASCII digits only: Python's and pandas' \d take other scripts' digits too (Arabic-Indic,
# full-width), which Arrow's casts refuse (a number was read as empty, a date crashed)
_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?"
_SLASHED = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"


def parse_column(raw: pd.Series, kind: Kind, dialect: Dialect) -> tuple[pd.Series, pd.DataFrame]:
    """Parse one raw column.

    Parameters
    ----------
    raw : Series
        Text cells (empty string = empty cell) or an already typed column.
    kind : str
        One of the :data:`cashplan.core.schema.Kind` values.
    dialect : Dialect
        How text numbers and dates are written.

    Returns
    -------
    values : Series
        Typed values, same index; empty or bad cells are missing (NA).
    bad : DataFrame
        One row per bad cell: ``row`` (index label), ``value``, ``problem``, ``fix``.
    """
    distinct = _distinct_cells(raw) if kind != "text" else None
    if distinct is not None:
        return _parse_distinct(raw, *distinct, kind, dialect)
    return _parse_rows(raw, kind, dialect)


def _parse_rows(raw: pd.Series, kind: Kind, dialect: Dialect) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`parse_column`, every row read."""
    parser = _PARSERS[kind]
    values, bad_mask, problem, fix = parser(raw, dialect)
    rows = raw.index[bad_mask.to_numpy()]
    bad = pd.DataFrame(
        {
            "row": rows,
            "value": _text(raw.loc[rows]).to_numpy(dtype=object) if len(rows) else [],
            "problem": _at(problem, rows),
            "fix": _at(fix, rows),
        }
    )
    return values, bad


DISTINCT_FROM: Final = 4_096
"""From this many rows, a text column of few distinct cells is parsed once per distinct
cell (:func:`_distinct_cells`)."""


def _distinct_cells(raw: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """The distinct cells of a large Arrow-backed text column (missing kept as a value) and
    each row's position among them, or None when it has more than a quarter as many
    distinct cells as rows (or is small, or not Arrow text).

    Every parser reads each cell on its own, and what it decides for the whole column
    (Arrow's cast refused, pandas' reading instead) depends only on which cells the
    column holds: parsing the distinct cells and spreading them back to their rows gives
    what parsing the rows gives, at a fraction of the cost for dates, flags, currencies
    and amounts (a thousand distinct dates among a million invoices). The distinct cells
    keep the column's dtype, so the same string functions (and regex engine) read them.
    """
    if len(raw) < DISTINCT_FROM or not _arrow_text(raw):
        return None
    cells = pa.array(raw, from_pandas=True)
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    encoded = pc.dictionary_encode(cells, null_encoding="encode")
    if len(encoded.dictionary) * 4 > len(raw):
        return None
    uniques = pd.Series(pd.array(encoded.dictionary, dtype=raw.dtype))
    return uniques, encoded.indices.to_numpy(zero_copy_only=False)


def _parse_distinct(
    raw: pd.Series, uniques: pd.Series, codes: np.ndarray, kind: Kind, dialect: Dialect
) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`parse_column` of ``raw`` from its distinct cells ``uniques`` (``codes``: each
    row's position among them)."""
    values, bad_mask, problem, fix = _PARSERS[kind](uniques, dialect)
    at = np.flatnonzero(bad_mask.to_numpy(dtype=bool)[codes])  # the bad rows' positions
    which = pd.Index(codes[at])  # their distinct cells
    bad = pd.DataFrame(
        {
            "row": raw.index[at],
            "value": _text(uniques).to_numpy(dtype=object)[codes[at]] if len(at) else [],
            "problem": _at(problem, which),
            "fix": _at(fix, which),
        }
    )
    return pd.Series(values.array.take(codes), index=raw.index), bad


def _at(said: str | pd.Series, rows: pd.Index) -> np.ndarray:
    """A problem or a fix at the bad rows: one text for all, or a Series holding them."""
    if isinstance(said, str):
        return np.full(len(rows), said, dtype=object)
    return said.loc[rows].to_numpy(dtype=object)


def is_empty(raw: pd.Series) -> pd.Series:
    """True where a raw cell is empty (NA, or blank text)."""
    cells = _plain_cells(raw)
    if cells is not None:  # a few plain cells: one by one
        return pd.Series([c == "" for c in cells], index=raw.index, dtype=bool)
    if _arrow_text(raw):  # what the strip below finds, without writing the stripped text
        cells = pa.array(raw, from_pandas=True)
        blank = pc.or_(pc.equal(pc.binary_length(cells), 0), pc.utf8_is_space(cells))
        found = pc.fill_null(blank, True).to_numpy(zero_copy_only=False)
        return pd.Series(np.asarray(found, dtype=bool), index=raw.index)
    if ptypes.is_string_dtype(raw) or raw.dtype == object:
        return raw.isna() | (raw.astype(str).str.strip() == "")
    return raw.isna()


def _arrow_text(raw: pd.Series) -> bool:
    """Whether ``raw`` is text held by Arrow (what the CSV reader gives)."""
    return isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow"


def _text(raw: pd.Series) -> pd.Series:
    if _arrow_text(raw) and _stripped(raw):  # a million ids: no stripped copy to make
        return raw
    if ptypes.is_string_dtype(raw) or raw.dtype == object:
        return raw.fillna("").astype(str).str.strip()
    return raw.astype(str).where(raw.notna(), "")


def _stripped(raw: pd.Series) -> bool:
    """Whether an Arrow text column has no missing cell and no white space at a cell's ends:
    each cell's first and last bytes are printable ASCII other than the space (any other
    white space starts with a byte below ``!`` or over ``~``, and ends with one)."""
    cells = pa.array(raw, from_pandas=True)
    for chunk in cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]:
        if chunk.null_count:
            return False
        chunk = chunk.cast(pa.large_string())
        _, offsets, data = chunk.buffers()
        if data is None:
            continue  # only empty cells
        bounds = np.frombuffer(offsets, dtype=np.int64)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        starts, ends = bounds[:-1], bounds[1:]
        filled = ends > starts
        edges = np.frombuffer(data, dtype=np.uint8)[
            np.concatenate([starts[filled], ends[filled] - 1])
        ]
        if ((edges < 0x21) | (edges > 0x7E)).any():
            return False
    return True


_Parsed = tuple[pd.Series, pd.Series, str | pd.Series, str | pd.Series]
"""Typed values, the mask of bad cells, and their problem and fix: one text for every bad
cell, or a Series holding at least the bad rows (built on the bad rows only: a million
copies of one sentence cost more than the parsing)."""


def _parse_text(raw: pd.Series, dialect: Dialect) -> _Parsed:
    values = _text(raw)
    no = pd.Series(False, index=raw.index)
    return values, no, "", ""


def _float(text: pd.Series) -> pd.Series:
    """Text numbers (dot decimals; missing where NA) as float64, the nearest double to each.

    Arrow's cast reads a million cells in a few hundredths of a second; pandas reads what
    Arrow refuses (hundreds of digits) as it always did.
    """
    try:
        floats = pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype("float64")
    values = pc.fill_null(floats, np.nan).to_numpy(zero_copy_only=False)
    return pd.Series(values, index=text.index, dtype="float64")


_TOO_LARGE = (
    f"a number of {AMOUNT_LIMIT:,} or more (in absolute value): beyond it cents are not "
    "kept exactly"
)
_TOO_LARGE_FIX = (
    f"check the cell (a misplaced decimal separator?): amounts stay below {AMOUNT_LIMIT:,}"
)


def _parse_decimal(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_numeric_dtype(raw) and not ptypes.is_bool_dtype(raw):
        return _typed_decimal(raw)
    s = _text(raw)
    d = re.escape(dialect.decimal)
    ok = s.str.fullmatch(rf"[+-]?(?:[0-9]+(?:{d}[0-9]*)?|{d}[0-9]+)").astype(bool)
    normalised = s.where(ok)
    if dialect.decimal != ".":
        normalised = normalised.str.replace(dialect.decimal, ".", regex=False)
    values = _float(normalised)
    huge = values.abs() >= AMOUNT_LIMIT  # inf too (hundreds of digits)
    values = values.where(~huge)
    bad = (~ok & (s != "")) | huge
    example = "1234" + dialect.decimal + "56"
    other = "," if dialect.decimal == "." else "."
    fix: str | pd.Series = (
        f"write it as {example}: decimal '{dialect.decimal}', no thousands separator, "
        "no currency sign"
    )
    if not bad.any():
        return values, bad, "not a number", fix
    # diagnose only the bad cells: these regexes are slow on millions of rows
    b, big = s[bad], huge[bad]
    thousands = b.str.contains(r"\d[\s\u00a0\u202f'’]\d", regex=True) | (
        b.str.contains(re.escape(other), regex=True) & b.str.contains(r"\d", regex=True)
    )
    problem = pd.Series("not a number", index=b.index, dtype=object)
    problem[thousands.to_numpy(dtype=bool)] = "a thousands separator inside a number"
    problem[big.to_numpy()] = _TOO_LARGE
    fix = pd.Series(fix, index=b.index, dtype=object).where(~big, _TOO_LARGE_FIX)
    return values, bad, problem, fix


def _typed_decimal(raw: pd.Series) -> _Parsed:
    values = raw.astype("float64")
    finite = values.fillna(0.0).to_numpy()
    infinite = pd.Series(~np.isfinite(finite), index=raw.index)
    huge = pd.Series(np.abs(finite) >= AMOUNT_LIMIT, index=raw.index) & ~infinite
    return (
        values.where(~infinite & ~huge),
        infinite | huge,
        pd.Series("not a finite number", index=raw.index, dtype=object).where(~huge, _TOO_LARGE),
        pd.Series("write a number", index=raw.index, dtype=object).where(~huge, _TOO_LARGE_FIX),
    )


def _parse_int(raw: pd.Series, dialect: Dialect) -> _Parsed:
    values, bad, problem, fix = _parse_decimal(raw, dialect)
    fractional = values.notna() & (values != values.round())
    problem = _full(problem, raw.index).where(~fractional, "not a whole number")
    fix = _full(fix, raw.index).where(~fractional, "write a whole number of days, like 30")
    return values.where(~fractional).astype("Int64"), bad | fractional, problem, fix


def _full(said: str | pd.Series, index: pd.Index) -> pd.Series:
    """A problem or a fix on every row (small tables only: the int columns)."""
    if isinstance(said, str):
        return pd.Series(said, index=index, dtype=object)
    return said.reindex(index)


def _parse_date(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_datetime64_any_dtype(raw):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        values = values.dt.normalize().astype(DATE_DTYPE)
        no = pd.Series(False, index=raw.index)
        return values, no, "", ""
    s = _text(raw)
    iso = s.str.fullmatch(_ISO).astype(bool)
    values = _iso_dates(s, iso)
    slashed = pd.Series(False, index=raw.index)
    if dialect.day_first:
        slashed = s.str.fullmatch(_SLASHED).astype(bool)
        if slashed.any():
            french = pd.to_datetime(s.where(slashed), format="%d/%m/%Y", errors="coerce")
            values = values.fillna(french.astype(DATE_DTYPE))
    years = values.dt.year
    implausible = values.notna() & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
    bad = (values.isna() & (s != "")) | implausible
    values = values.where(~implausible)
    accepted = "YYYY-MM-DD or DD/MM/YYYY" if dialect.day_first else "YYYY-MM-DD"
    fix = f"write the date as {accepted}"
    if not bad.any():
        return values, bad, "not a date", fix
    b = bad.to_numpy()
    slash = s[b].str.fullmatch(_SLASHED).to_numpy(dtype=bool)
    problem = np.select(  # on the bad cells only
        [
            implausible.to_numpy()[b],
            slash & (not dialect.day_first),
            iso.to_numpy()[b] | (slash & dialect.day_first),
        ],
        [
            f"a year outside {_MIN_YEAR}-{_MAX_YEAR}",
            "an ambiguous date: day/month order is unknown in this file",
            "no such calendar date",
        ],
        default="not a date",
    )
    return values, bad, pd.Series(problem, index=raw.index[b], dtype=object), fix


def _iso_dates(text: pd.Series, iso: pd.Series) -> pd.Series:
    """The dates of the ``iso`` cells of ``text`` (their first ten characters, ``YYYY-MM-DD``);
    missing elsewhere and where the date does not exist (``2026-02-30``, year 0).

    Arrow's cast reads a column of valid dates at once and refuses the whole column for
    one impossible date; such a column is read again by ``strptime``, which rolls a day past
    the month's end over (``2026-02-30`` becomes March 2nd): a date is kept there only when
    its day, month and year are the ones written, as :func:`pandas.to_datetime` keeps it.
    """
    heads = pc.utf8_slice_codeunits(pa.array(text, type=pa.string(), from_pandas=True), 0, 10)
    cells = pc.if_else(pa.array(iso.to_numpy(dtype=bool)), heads, None)
    try:
        days = pc.cast(cells, pa.date32())
        if pc.min(pc.year(days)).as_py() in (None, 0) and days.null_count < len(days):
            raise pa.ArrowInvalid("year 0")  # no such year: read again below
    except pa.ArrowInvalid:
        days = _checked_dates(cells)
    values = days.to_numpy(zero_copy_only=False)
    return pd.Series(values, index=text.index).astype(DATE_DTYPE)


def _checked_dates(cells: pa.Array) -> pa.Array:
    parsed = pc.strptime(cells, format="%Y-%m-%d", unit="us", error_is_null=True)
    same = pc.and_(
        pc.equal(pc.day(parsed), _number(cells, 8, 10)),
        pc.and_(
            pc.equal(pc.month(parsed), _number(cells, 5, 7)),
            pc.equal(pc.year(parsed), _number(cells, 0, 4)),
        ),
    )
    return pc.if_else(pc.and_(same, pc.greater(pc.year(parsed), 0)), parsed, None)


def _number(cells: pa.Array, start: int, stop: int) -> pa.Array:
    """The digits at ``start:stop`` of each cell as an integer (the cells are ISO dates)."""
    return pc.cast(pc.utf8_slice_codeunits(cells, start, stop), pa.int64())


def _parse_month(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_datetime64_any_dtype(raw):
        values, bad, problem, fix = _parse_date(raw, dialect)
        month_start = values - pd.to_timedelta(values.dt.day - 1, unit="D")
        return month_start, bad, problem, fix
    s = _text(raw)
    ok = s.str.fullmatch(r"[0-9]{4}-[0-9]{2}(?:-01)?")
    values = pd.to_datetime(s.str.slice(0, 7).where(ok), format="%Y-%m", errors="coerce")
    values = values.astype(DATE_DTYPE)
    bad = values.isna() & (s != "")
    return values, bad, "not a month", "write the month as YYYY-MM, like 2026-10"


def _parse_bool(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_bool_dtype(raw):
        no = pd.Series(False, index=raw.index)
        return raw.fillna(False).astype(bool), no, "", ""
    s = _text(raw).str.lower().str.replace(r"\.0+$", "", regex=True)
    true = s.isin(_TRUE)
    bad = ~true & ~s.isin(_FALSE)
    return true, bad, "not a yes/no value", "write true/false (also 1/0, yes/no, oui/non)"


def _parse_currency(raw: pd.Series, dialect: Dialect) -> _Parsed:
    s = _text(raw).str.upper()
    bad = ~s.str.fullmatch(r"[A-Z]{3}") & (s != "")
    return (
        s.where(~bad, ""),
        bad,
        "not an ISO 4217 currency code",
        "write a three-letter code such as EUR, GBP, USD",
    )


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PLAIN_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SLASHED_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_PLAIN_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})(?:-01)?")
_CURRENCY = re.compile(r"[A-Z]{3}")


class _NotPlain(Exception):
    """A cell :func:`parse_few` leaves to the vectorised parsers."""


def parse_few(raw: pd.Series, kind: Kind, dialect: Dialect) -> pd.Series | None:
    """:func:`parse_column`'s values for a column of at most :data:`FEW` text cells, read
    cell by cell, when every cell is plainly written and good (ASCII, a number like
    ``-1234.5`` in the dialect's decimal, an ISO date or the dialect's day-first one, a
    known yes/no word, a month ``YYYY-MM``); None otherwise, and for a typed column or a
    larger one: then :func:`parse_column` reads it and says what is wrong, as always.

    >>> parse_few(pd.Series(["1234,5", ""]), "decimal", FRENCH).tolist()
    [1234.5, nan]
    >>> parse_few(pd.Series(["2026-11-20"]), "date", STANDARD).tolist()
    [Timestamp('2026-11-20 00:00:00')]
    >>> parse_few(pd.Series(["1 234,56"]), "decimal", FRENCH) is None  # a problem to report
    True
    """
    text = _plain_cells(raw)
    if text is None:
        return None
    try:
        return _FEW[kind](text, dialect, raw.index)
    except (_NotPlain, ValueError):  # ValueError: no such calendar date
        return None


def _plain_cells(raw: pd.Series) -> list[str] | None:
    """The stripped cells of a column of at most :data:`FEW` ASCII text cells (NA: ""),
    None for a typed or larger column, or a cell with other white space at its ends."""
    if len(raw) > FEW or not (ptypes.is_string_dtype(raw) or raw.dtype == object):
        return None
    cells = ["" if pd.isna(v) else v for v in raw.tolist()]
    if not all(isinstance(v, str) and v.isascii() for v in cells):
        return None
    text = [v.strip(" \t") for v in cells]
    if any(v.strip() != t for v, t in zip(cells, text, strict=True)):
        return None  # other white space: stripped as the vectorised parsers strip it
    return text


def _few_text(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    return pd.Series(text, index=index, dtype="str")


def _few_currency(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    codes = [t.upper() for t in text]
    if not all(c == "" or _CURRENCY.fullmatch(c) for c in codes):
        raise _NotPlain
    return pd.Series(codes, index=index, dtype="str")


def _few_number(t: str, dialect: Dialect) -> float:
    if t == "":
        return np.nan
    plain = t.replace(dialect.decimal, ".") if dialect.decimal != "." else t
    if (dialect.decimal != "." and "." in t) or not _PLAIN_NUMBER.fullmatch(plain):
        raise _NotPlain
    value = float(plain)
    if abs(value) >= AMOUNT_LIMIT:
        raise _NotPlain
    return value


def _few_decimal(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    return pd.Series([_few_number(t, dialect) for t in text], index=index, dtype="float64")


def _few_int(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    values = [_few_number(t, dialect) for t in text]
    if any(not np.isnan(v) and v != round(v) for v in values):
        raise _NotPlain
    return pd.Series([None if np.isnan(v) else int(v) for v in values], index=index, dtype="Int64")


def _few_day(t: str, dialect: Dialect) -> np.datetime64:
    if t == "":
        return np.datetime64("NaT", "us")
    iso, slashed = _PLAIN_DATE.fullmatch(t), _SLASHED_DATE.fullmatch(t)
    if iso:
        y, m, d = (int(x) for x in iso.groups())
    elif slashed and dialect.day_first:
        d, m, y = (int(x) for x in slashed.groups())
    else:
        raise _NotPlain
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise _NotPlain
    return np.datetime64(dt.date(y, m, d), "us")  # ValueError: no such calendar date


def _few_date(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    days = np.array([_few_day(t, dialect) for t in text], dtype=DATE_DTYPE)
    return pd.Series(days, index=index, dtype=DATE_DTYPE)


def _few_month(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    months = []
    for t in text:
        found = _PLAIN_MONTH.fullmatch(t)
        if t and not found:
            raise _NotPlain
        y, m = (int(x) for x in found.groups()) if found else (0, 0)
        if found and not (1000 <= y <= 9999 and 1 <= m <= 12):
            raise _NotPlain
        months.append(np.datetime64(dt.date(y, m, 1), "us") if found else np.datetime64("NaT"))
    return pd.Series(np.array(months, dtype=DATE_DTYPE), index=index, dtype=DATE_DTYPE)


def _few_bool(text: list[str], dialect: Dialect, index: pd.Index) -> pd.Series:
    words = [re.sub(r"\.0+$", "", t.lower()) for t in text]
    if not all(w in _TRUE or w in _FALSE for w in words):
        raise _NotPlain
    return pd.Series([w in _TRUE for w in words], index=index, dtype=bool)


_FEW = {
    "text": _few_text,
    "currency": _few_currency,
    "decimal": _few_decimal,
    "int": _few_int,
    "date": _few_date,
    "month": _few_month,
    "bool": _few_bool,
}

_PARSERS = {
    "text": _parse_text,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "date": _parse_date,
    "month": _parse_month,
    "bool": _parse_bool,
    "currency": _parse_currency,
}
