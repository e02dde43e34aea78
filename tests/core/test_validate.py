"""The one validation layer, called directly: raw tables in, typed tables and every problem out.

The rules themselves are tested in test_rules.py; here: parsing cells, missing and unknown
columns, empty and absent tables, defaults, line numbers, the order of the problems table,
and that the raw input is left as it was.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cashplan.core.errors import PROBLEM_COLUMNS
from cashplan.core.schema import TABLES
from cashplan.core.validate import RawTable, empty_table, validate_tables


def _invoices(**columns: list[str]) -> pd.DataFrame:
    n = len(next(iter(columns.values()))) if columns else 2
    base = {
        "invoice_id": [f"F{i}" for i in range(1, n + 1)],
        "customer_id": ["C1"] * n,
        "issue_date": ["2026-01-10"] * n,
        "due_date": ["2026-02-09"] * n,
        "amount": ["100"] * n,
    }
    return pd.DataFrame({**base, **columns})


def _check(reporting_currency: str = "EUR", **frames: pd.DataFrame):  # type: ignore[no-untyped-def]
    raws = {name: RawTable.from_frame(name, f, file=f"{name}.csv") for name, f in frames.items()}
    return validate_tables(raws, reporting_currency=reporting_currency)


def test_a_good_table_comes_out_typed_with_its_defaults_and_absent_tables_empty():
    tables, problems = _check("GBP", invoices=_invoices(company=["", "FR01"], currency=["", "GBP"]))
    assert problems.empty and list(problems.columns) == PROBLEM_COLUMNS
    inv = tables["invoices"]
    assert list(inv.columns) == [c.name for c in TABLES["invoices"]]
    assert inv["company"].tolist() == ["default", "FR01"]
    assert inv["currency"].tolist() == ["GBP", "GBP"]  # empty: the reporting currency
    assert inv["amount"].dtype == "float64" and inv["disputed"].tolist() == [False, False]
    assert str(inv["issue_date"].dtype) == "datetime64[us]"
    for name in ("customers", "promises", "spending", "fx_rates", "adjustments"):
        pd.testing.assert_frame_equal(tables[name], empty_table(name))


def test_cells_that_do_not_parse_or_are_empty_are_named_each_with_line_column_and_value():
    raw = _invoices(
        issue_date=["2026-13-01", "2026-01-10", "2026-01-10"],
        amount=["100", "12abc", "100"],
        customer_id=["C1", "C1", ""],
    )
    _, problems = _check(invoices=raw)
    assert problems[["file", "line", "column", "value"]].values.tolist() == [
        ["invoices.csv", 2, "issue_date", "2026-13-01"],
        ["invoices.csv", 3, "amount", "12abc"],
        ["invoices.csv", 4, "customer_id", ""],
    ]
    assert problems["problem"].iloc[2] == "a required value is empty"
    assert problems["fix"].iloc[2] == "fill in 'customer_id' on this line"
    assert problems["problem"].str.len().gt(0).all() and problems["fix"].str.len().gt(0).all()


def test_a_missing_column_is_named_with_a_rename_hint_and_an_unknown_one_with_its_near_name():
    raw = _invoices().rename(columns={"due_date": "due_dat"}).assign(opne_amount="")
    tables, problems = _check(invoices=raw)
    rows = problems.set_index("column")
    assert problems["line"].isna().all()  # about the whole file
    assert "'due_date' is missing" in rows.loc["due_date", "problem"]
    assert rows.loc["due_date", "fix"] == "rename column 'due_dat' to 'due_date'"
    assert (
        rows.loc["opne_amount", "problem"] == "unknown column 'opne_amount', close to 'open_amount'"
    )
    assert tables["invoices"].empty  # nothing typed from a table missing a required column


def test_a_required_table_with_only_a_header_is_refused_an_optional_one_is_empty():
    _, problems = _check(invoices=_invoices().iloc[:0])
    assert problems[["file", "column"]].values.tolist() == [["invoices.csv", ""]]
    assert "header but no rows" in problems.loc[0, "problem"]
    promises = pd.DataFrame(columns=["customer_id", "promised_date", "amount"])
    tables, problems = _check(invoices=_invoices(), promises=promises)
    assert problems.empty and tables["promises"].empty


def test_every_problem_of_every_table_comes_in_one_table_by_file_then_line():
    customers = pd.DataFrame({"customer_id": ["C1", "C1"], "payment_terms_days": ["x", "30"]})
    raw = _invoices(amount=["1", "2", "zz"], opne_amount=["", "", ""], extra=["", "", ""])
    _, problems = _check(invoices=raw, customers=customers)
    assert problems[["file", "line", "column"]].astype(object).values.tolist() == [
        ["customers.csv", 2, "payment_terms_days"],  # a cell, then the rules, line by line
        ["customers.csv", 2, "customer_id"],
        ["customers.csv", 3, "customer_id"],
        ["invoices.csv", pd.NA, "opne_amount"],  # a column near a known one; "extra" is kept
        ["invoices.csv", 4, "amount"],
    ]


def test_line_numbers_are_the_raw_tables_own():
    frame = _invoices(amount=["1", "x"])
    raw = RawTable("invoices", "book.xlsx", frame, pd.Series([7, 9], index=frame.index))
    _, problems = validate_tables({"invoices": raw})
    assert problems[["file", "line"]].values.tolist() == [["book.xlsx", 9]]


@pytest.mark.parametrize("currency", ["EUR", "USD"])
def test_the_raw_tables_are_left_as_they_were(currency):
    raw = _invoices(company=["", "A"], open_amount=["", "50"], paid_date=["", ""])
    customers = pd.DataFrame({"customer_id": ["C1"], "owner": [""]})
    before = raw.copy(), customers.copy()
    _check(currency, invoices=raw, customers=customers)
    pd.testing.assert_frame_equal(raw, before[0])
    pd.testing.assert_frame_equal(customers, before[1])
