"""Cell parsing: amounts keep their cents up to a stated limit and are refused beyond it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import BookError, read_book
from cashplan.core.parse import (
    AMOUNT_LIMIT,
    FEW,
    FRENCH,
    STANDARD,
    is_empty,
    parse_column,
    parse_few,
)
from tests.conftest import HEADER


def problems(folder: Path) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder)
    return info.value.to_frame()


def test_amounts_beyond_the_limit_are_refused_with_the_limit(book_dir):
    text = (
        HEADER + "\n"
        "F1,C1,2026-01-10,2026-02-09,999999999999999.99\n"
        "F2,C1,2026-01-10,2026-02-09,1000000000000000000000\n"
        "F3,C1,2026-01-10,2026-02-09,-10000000000000\n"
        "F4,C1,2026-01-10,2026-02-09,9999999999999.99\n"
    )
    found = problems(book_dir(invoices=text))
    assert found[["line", "column", "value"]].values.tolist() == [
        [2, "amount", "999999999999999.99"],
        [3, "amount", "1000000000000000000000"],
        [4, "amount", "-10000000000000"],
    ]
    assert found["problem"].str.contains("10,000,000,000,000").all()


def test_amounts_below_the_limit_keep_their_cents_exactly():
    rng = np.random.default_rng(7)
    cents = rng.integers(-(AMOUNT_LIMIT * 100) + 1, AMOUNT_LIMIT * 100, 200_000)
    cents = np.concatenate([cents, [AMOUNT_LIMIT * 100 - 1, -(AMOUNT_LIMIT * 100 - 1), 1, -1]])
    sign = np.where(cents < 0, "-", "")
    mag = np.abs(cents)
    written = pd.Series([f"{s}{m // 100}.{m % 100:02d}" for s, m in zip(sign, mag, strict=True)])
    values, bad = parse_column(written, "decimal", STANDARD)
    assert bad.empty
    assert (values.map("{:.2f}".format).str.replace("-0.00", "0.00") == written).all()
    assert (np.round(values.to_numpy() * 100) == cents).all()
    french, bad = parse_column(written.str.replace(".", ","), "decimal", FRENCH)
    assert bad.empty and french.equals(values)


def test_typed_amounts_beyond_the_limit_are_refused(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "customer_id": ["C1", "C1"],
            "issue_date": pd.to_datetime(["2026-01-10"] * 2),
            "due_date": pd.to_datetime(["2026-02-09"] * 2),
            "amount": [1e21, 12.5],
        }
    ).to_parquet(folder / "invoices.parquet")
    found = problems(folder)
    assert found[["line", "column"]].values.tolist() == [[1, "amount"]]


_DATES = [
    "2026-02-28",
    "2024-02-29",
    "2026-02-29",
    "2026-02-30",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "0000-01-01",
    "0001-01-01",
    "1969-12-31",
    "1970-01-01",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
    "2026-01-05 00:00",
    "2026-01-05T00:00:00.000",
    "2026-01-05 12:00",
    "",
    " 2026-01-05 ",
    "2026-1-05",
    "05/01/2026",
    "31/02/2026",
    "x",
]


@pytest.mark.parametrize("dialect", [STANDARD, FRENCH])
def test_dates_are_read_as_pandas_reads_them_impossible_days_refused(dialect):
    """Arrow's strptime rolls 2026-02-30 over to March 2nd: the day must be kept as written.

    The reference is pandas' ``to_datetime`` (what the parser called before Arrow's).
    """
    raw = pd.Series(_DATES * 3)  # a default RangeIndex, three times over
    values, bad = parse_column(raw, "date", dialect)
    text = raw.str.strip()
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?")
    expected = pd.to_datetime(text.str.slice(0, 10).where(iso), format="%Y-%m-%d", errors="coerce")
    if dialect.day_first:
        slashed = text.where(text.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}"))
        expected = expected.fillna(pd.to_datetime(slashed, format="%d/%m/%Y", errors="coerce"))
    expected = expected.where(expected.dt.year.between(1970, 2100)).astype("datetime64[us]")
    pd.testing.assert_series_equal(values, expected, check_names=False)
    assert bad["row"].tolist() == [i for i in raw.index if text[i] and pd.isna(expected[i])]
    said = dict(zip(bad["value"], bad["problem"], strict=False))
    assert said["2026-02-30"] == said["2026-04-31"] == "no such calendar date"
    assert said["0001-01-01"] == said["2101-01-01"] == "a year outside 1970-2100"
    assert said["2026-01-05 12:00"] == said["2026-1-05"] == "not a date"
    assert said["31/02/2026"] == (
        "no such calendar date"
        if dialect.day_first
        else "an ambiguous date: day/month order is unknown in this file"
    )


def test_numbers_in_every_written_form_are_the_nearest_double():
    written = pd.Series(
        [
            "+1",
            "-0.5",
            ".5",
            "5.",
            "007",
            "0",
            "-0",
            "1" + "0" * 400,
            "12.345678901234567891",
            "1e5",
            "1 234.5",
            "1,234.50",
            "",
            "12a",
            "--1",
            "9999999999999.99",
        ]
    )
    values, bad = parse_column(written, "decimal", STANDARD)
    reference = pd.to_numeric(
        written.where(~written.isin(["1e5", "1 234.5", "1,234.50", "", "12a", "--1"])),
        errors="coerce",
    )
    assert values[:7].tolist() == reference[:7].tolist()
    assert values[8] == float("12.345678901234567891") and values[15] == 9999999999999.99
    assert bad["value"].tolist() == ["1" + "0" * 400, "1e5", "1 234.5", "1,234.50", "12a", "--1"]
    assert bad["problem"].tolist()[2:4] == ["a thousands separator inside a number"] * 2
    assert "10,000,000,000,000" in bad["problem"].iloc[0]


def test_a_column_of_possible_dates_and_year_zero_is_read_cell_by_cell():
    """Arrow's cast reads year 0 (pandas does not): such a column is read cell by cell."""
    values, bad = parse_column(pd.Series(["2026-01-05", "0000-01-01", ""]), "date", STANDARD)
    assert values[0] == pd.Timestamp("2026-01-05") and values[1:].isna().all()
    assert bad[["row", "problem"]].values.tolist() == [[1, "no such calendar date"]]


# cells as a saved row writes them, and many a person would type instead
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "12",
            "-12",
            "12.5",
            "12,5",
            "1 234,56",
            "1,234.56",
            "+3",
            ".5",
            "5.",
            "1e3",
            "99999999999999",
            "2026-11-20",
            "2026-11-20 00:00",
            "20/11/2026",
            "2/3/2026",
            "2026-02-30",
            "1969-12-31",
            "2101-01-01",
            "2026-11",
            "2026-11-01",
            "2026-13",
            "0999-01",
            "EUR",
            "eur",
            "EURO",
            "true",
            "oui",
            "1.0",
            "maybe",
            " FR01 ",
            "\tC1",
            "C1\n",
            "\x1cC1",
            "caf\u00e9",
            "\u0661\u0662",
            "nan",
        ]
    ),
    st.text(alphabet="0123456789-/,. abcEUR\t", max_size=12),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    cells=st.lists(CELLS, min_size=1, max_size=FEW),
    kind=st.sampled_from(["text", "currency", "decimal", "int", "date", "month", "bool"]),
    dialect=st.sampled_from([STANDARD, FRENCH]),
)
def test_a_few_cells_read_one_by_one_as_the_column_reads_them(cells, kind, dialect):
    """``parse_few`` (a saved row) gives ``parse_column``'s values, types included, or
    leaves the column to it: never when it finds a bad cell, whose message it then gives;
    ``is_empty`` says the same of a few cells as of many."""
    raw = pd.Series(cells, dtype="str")
    values, bad = parse_column(raw, kind, dialect)
    few = parse_few(raw, kind, dialect)
    if few is not None:
        assert bad.empty
        pd.testing.assert_series_equal(few, values)
    many = pd.Series(cells * (FEW + 1), dtype="str")
    assert is_empty(raw).tolist() == is_empty(many).tolist()[: len(cells)]


# --- a large column is parsed once per distinct cell (issue 18) ----------------------------

_TRICKY = {
    "date": ["2026-01-10", " 2026-01-10 ", "2026-02-30", "0000-01-01", "1969-12-31",
             "2101-01-01", "03/04/2026", "3/4/2026", "31/12/2026", "2026-01-10 00:00",
             "2026-01-10T00:00:00.000", "2026-1-10", "x", "", None, "٢٠٢٦-٠١-١٠"],
    "decimal": ["12.5", "1 234,56", "1,234.56", "-0", "+1", ".5", "5.", "1e5", "inf", "nan",
                "99999999999999", "", None, " 7 ", "1,5", "１２", "1" * 400],
    "int": ["30", "30.0", "30.5", "-1", "", None, "x", "1e2", "45,0"],
    "bool": ["true", "False", "1", "0.0", "oui", "Non", "", None, "maybe", "YES", "1.00"],
    "currency": ["EUR", "eur", " gbp ", "EURO", "", None, "€", "US$", "ÉUR"],
    "month": ["2026-10", "2026-10-01", "2026-13", "2026-10-02", "", None, "10/2026", "0000-01"],
}  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(sorted(_TRICKY)),
    french=st.booleans(),
    cells=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_large_column_read_by_its_distinct_cells_reads_as_row_by_row(kind, french, cells, seed):
    from cashplan.core.parse import DISTINCT_FROM, _distinct_cells, _parse_rows

    pool = cells.draw(
        st.lists(
            st.sampled_from(_TRICKY[kind]) | st.text("0123456789-/., eEtrufals", max_size=12),
            min_size=1,
            max_size=30,
        )
    )
    rng = np.random.default_rng(seed)
    rows = [pool[i] for i in rng.integers(0, len(pool), DISTINCT_FROM + 7)]
    raw = pd.Series(rows, dtype="str", index=np.arange(len(rows)) * 3 + 5)  # labels != positions
    dialect = FRENCH if french else STANDARD
    assert _distinct_cells(raw) is not None  # the by-value path is the one tested
    values, bad = parse_column(raw, kind, dialect)
    expected_values, expected_bad = _parse_rows(raw, kind, dialect)
    pd.testing.assert_series_equal(values, expected_values, check_names=False)
    pd.testing.assert_frame_equal(bad, expected_bad)


def test_a_column_of_mostly_distinct_cells_is_read_row_by_row():
    from cashplan.core.parse import DISTINCT_FROM, _distinct_cells

    many = pd.Series([f"{i}.5" for i in range(DISTINCT_FROM)], dtype="str")
    assert _distinct_cells(many) is None
    assert _distinct_cells(pd.Series(["1.5"] * 10, dtype="str")) is None  # small
    assert _distinct_cells(pd.Series(["1.5"] * DISTINCT_FROM, dtype=object)) is None


def test_empty_arrow_cells_are_the_ones_strip_leaves_empty():
    # every code point alone, and a few mixes: Arrow's test and str.strip() agree
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    text = pd.Series([*chars, "", None, " \u00a0\u3000", " a ", "\t\n"], dtype="str")
    assert is_empty(text).tolist() == is_empty(text.astype(object)).tolist()


def test_numbers_and_dates_in_other_digits_are_refused_with_their_line(book_dir):
    # Arabic-Indic and full-width digits: an amount was read as empty without a word, a
    # date stopped the reading with a traceback
    text = (
        HEADER + "\n"
        "F1,C1,2026-01-10,2026-02-09,１２\n"
        "F2,C1,٢٠٢٦-٠١-١٠,2026-02-09,10\n"
        "F3,C1,2026-01-10,2026-02-09,١٢.٥\n"
    )
    found = problems(book_dir(invoices=text))
    assert found[["line", "column", "value", "problem"]].values.tolist() == [
        [2, "amount", "１２", "not a number"],
        [3, "issue_date", "٢٠٢٦-٠١-١٠", "not a date"],
        [4, "amount", "١٢.٥", "not a number"],
    ]
    assert found["fix"].str.startswith("write ").all()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.text(st.characters(max_codepoint=0x3100), max_size=8)
        | st.sampled_from(["F1", " F1", "F1\t", "\u00a0F1", "F1\u3000", "é", "", "\x85x", "x\x1c"]),
        max_size=12,
    ),
    st.booleans(),
)
def test_text_already_stripped_is_kept_as_it_is_and_other_text_is_stripped(cells, chunked):
    """A column of ids without white space at their ends is not copied (issue 18)."""
    from cashplan.core.parse import _text

    raw = pd.Series(cells, dtype="str")
    if chunked and len(cells) > 1:  # as a Parquet file gives it: a chunk per row group
        half = len(cells) // 2
        array = pa.chunked_array([pa.array(cells[:half]), pa.array(cells[half:])])
        raw = pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string())), dtype="str")
    expected = raw.fillna("").astype(str).str.strip()  # what it did before
    got = _text(raw)
    assert got.tolist() == expected.tolist()
    assert got.dtype == raw.dtype
