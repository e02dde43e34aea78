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

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from cashplan.core.schema import Kind

__all__ = ["AMOUNT_LIMIT", "FRENCH", "STANDARD", "Dialect", "parse_column"]

DATE_DTYPE: Final = "datetime64[us]"
AMOUNT_LIMIT: Final = 10**13
"""Amounts must be below this in absolute value (ten thousand billion).

A double has 53 bits of precision: below 2**46 (about 7.0e13) two doubles are at most
1/128 apart, so the nearest double to a written amount is within 1/256 of it and
rounds back to its exact cents. 10**13 (where they are 1/512 apart) leaves a margin
of seven for totals of such amounts.
"""
_MIN_YEAR, _MAX_YEAR = 1970, 2100


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
_ISO = r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?"


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
    parser = _PARSERS[kind]
    values, bad_mask, problem, fix = parser(raw, dialect)
    bad = pd.DataFrame(
        {
            "row": raw.index[bad_mask],
            "value": _text(raw[bad_mask]).to_numpy(dtype=object),
            "problem": problem[bad_mask].to_numpy(dtype=object),
            "fix": fix[bad_mask].to_numpy(dtype=object),
        }
    )
    return values, bad


def is_empty(raw: pd.Series) -> pd.Series:
    """True where a raw cell is empty (NA, or blank text)."""
    if ptypes.is_string_dtype(raw) or raw.dtype == object:
        return raw.isna() | (raw.astype(str).str.strip() == "")
    return raw.isna()


def _text(raw: pd.Series) -> pd.Series:
    if ptypes.is_string_dtype(raw) or raw.dtype == object:
        return raw.fillna("").astype(str).str.strip()
    return raw.astype(str).where(raw.notna(), "")


_Parsed = tuple[pd.Series, pd.Series, pd.Series, pd.Series]


def _const(index: pd.Index, value: str) -> pd.Series:
    return pd.Series(value, index=index, dtype=object)


def _parse_text(raw: pd.Series, dialect: Dialect) -> _Parsed:
    values = _text(raw)
    no = pd.Series(False, index=raw.index)
    return values, no, _const(raw.index, ""), _const(raw.index, "")


_TOO_LARGE = (
    f"a number of {AMOUNT_LIMIT:,} or more (in absolute value): beyond it cents are not "
    "kept exactly"
)
_TOO_LARGE_FIX = (
    f"check the cell (a misplaced decimal separator?): amounts stay below {AMOUNT_LIMIT:,}"
)


def _parse_decimal(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_numeric_dtype(raw) and not ptypes.is_bool_dtype(raw):
        values = raw.astype("float64")
        finite = values.fillna(0.0).to_numpy()
        infinite = pd.Series(~np.isfinite(finite), index=raw.index)
        huge = pd.Series(np.abs(finite) >= AMOUNT_LIMIT, index=raw.index) & ~infinite
        return (
            values.where(~infinite & ~huge),
            infinite | huge,
            _const(raw.index, "not a finite number").where(~huge, _TOO_LARGE),
            _const(raw.index, "write a number").where(~huge, _TOO_LARGE_FIX),
        )
    s = _text(raw)
    d = re.escape(dialect.decimal)
    ok = s.str.fullmatch(rf"[+-]?(?:\d+(?:{d}\d*)?|{d}\d+)")
    normalised = s.where(ok, "").str.replace(dialect.decimal, ".", regex=False)
    values = pd.to_numeric(normalised.where(ok), errors="coerce").astype("float64")
    huge = values.abs() >= AMOUNT_LIMIT  # inf too (hundreds of digits)
    values = values.where(~huge)
    bad = (~ok & (s != "")) | huge
    example = "1234" + dialect.decimal + "56"
    other = "," if dialect.decimal == "." else "."
    problem = _const(raw.index, "not a number").where(~huge, _TOO_LARGE)
    if bad.any():  # diagnose only the bad cells: these regexes are slow on millions of rows
        b = s[bad]
        thousands = b.str.contains(r"\d[\s\u00a0\u202f'’]\d", regex=True) | (
            b.str.contains(re.escape(other), regex=True) & b.str.contains(r"\d", regex=True)
        )
        problem[b.index[thousands.to_numpy()]] = "a thousands separator inside a number"
    fix = _const(
        raw.index,
        f"write it as {example}: decimal '{dialect.decimal}', no thousands separator, "
        "no currency sign",
    ).where(~huge, _TOO_LARGE_FIX)
    return values, bad, problem, fix


def _parse_int(raw: pd.Series, dialect: Dialect) -> _Parsed:
    values, bad, problem, fix = _parse_decimal(raw, dialect)
    fractional = values.notna() & (values != values.round())
    problem = problem.where(~fractional, "not a whole number")
    fix = fix.where(~fractional, "write a whole number of days, like 30")
    return values.where(~fractional).astype("Int64"), bad | fractional, problem, fix


def _parse_date(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_datetime64_any_dtype(raw):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        values = values.dt.normalize().astype(DATE_DTYPE)
        no = pd.Series(False, index=raw.index)
        return values, no, _const(raw.index, ""), _const(raw.index, "")
    s = _text(raw)
    iso = s.str.fullmatch(_ISO)
    values = pd.to_datetime(s.str.slice(0, 10).where(iso), format="%Y-%m-%d", errors="coerce")
    slashed = s.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}")
    if dialect.day_first:
        french = pd.to_datetime(s.where(slashed), format="%d/%m/%Y", errors="coerce")
        values = values.fillna(french)
    values = values.astype(DATE_DTYPE)
    years = values.dt.year
    implausible = values.notna() & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
    bad = (values.isna() & (s != "")) | implausible
    values = values.where(~implausible)
    accepted = "YYYY-MM-DD or DD/MM/YYYY" if dialect.day_first else "YYYY-MM-DD"
    problem = np.select(
        [
            implausible,
            slashed & ~dialect.day_first,
            iso | (slashed & dialect.day_first),
        ],
        [
            f"a year outside {_MIN_YEAR}-{_MAX_YEAR}",
            "an ambiguous date: day/month order is unknown in this file",
            "no such calendar date",
        ],
        default="not a date",
    )
    fix = _const(raw.index, f"write the date as {accepted}")
    return values, bad, pd.Series(problem, index=raw.index, dtype=object), fix


def _parse_month(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_datetime64_any_dtype(raw):
        values, bad, problem, fix = _parse_date(raw, dialect)
        month_start = values - pd.to_timedelta(values.dt.day - 1, unit="D")
        return month_start, bad, problem, fix
    s = _text(raw)
    ok = s.str.fullmatch(r"\d{4}-\d{2}(?:-01)?")
    values = pd.to_datetime(s.str.slice(0, 7).where(ok), format="%Y-%m", errors="coerce")
    values = values.astype(DATE_DTYPE)
    bad = values.isna() & (s != "")
    return (
        values,
        bad,
        _const(raw.index, "not a month"),
        _const(raw.index, "write the month as YYYY-MM, like 2026-10"),
    )


def _parse_bool(raw: pd.Series, dialect: Dialect) -> _Parsed:
    if ptypes.is_bool_dtype(raw):
        no = pd.Series(False, index=raw.index)
        return raw.fillna(False).astype(bool), no, _const(raw.index, ""), _const(raw.index, "")
    s = _text(raw).str.lower().str.replace(r"\.0+$", "", regex=True)
    true = s.isin(_TRUE)
    bad = ~true & ~s.isin(_FALSE)
    return (
        true,
        bad,
        _const(raw.index, "not a yes/no value"),
        _const(raw.index, "write true/false (also 1/0, yes/no, oui/non)"),
    )


def _parse_currency(raw: pd.Series, dialect: Dialect) -> _Parsed:
    s = _text(raw).str.upper()
    bad = ~s.str.fullmatch(r"[A-Z]{3}") & (s != "")
    return (
        s.where(~bad, ""),
        bad,
        _const(raw.index, "not an ISO 4217 currency code"),
        _const(raw.index, "write a three-letter code such as EUR, GBP, USD"),
    )


_PARSERS = {
    "text": _parse_text,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "date": _parse_date,
    "month": _parse_month,
    "bool": _parse_bool,
    "currency": _parse_currency,
}
