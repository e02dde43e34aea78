"""The scenarios table's checks: an unknown parameter, a bad value, a company, customer or
category the book lacks are each refused with file, line, column, value and fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cashplan import BookError, read_book
from tests.conftest import HEADER

INVOICES = (
    "invoice_id,customer_id,issue_date,due_date,amount,company\n"
    "F1,C1,2026-09-01,2026-10-01,100,FR01\n"
    "F2,C2,2026-09-01,2026-10-01,100,UK01\n"
)


def problems(folder: Path) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder)
    return info.value.to_frame()


def test_an_unknown_parameter_is_refused_with_its_line_value_and_the_known_ones(book_dir):
    folder = book_dir(
        invoices=INVOICES,
        scenarios="scenario,parameter,value\ndownturn,sales_factor,0.8\ndownturn,salesfactor,0.8\n",
    )
    found = problems(folder)
    assert found[["file", "line", "column", "value"]].values.tolist() == [
        ["scenarios.csv", 3, "parameter", "salesfactor"]
    ]
    problem, fix = found.loc[0, ["problem", "fix"]]
    for name in ("sales_factor", "delay_shift_days", "spending.<category>", "catch_up"):
        assert name in problem
    assert "customer_delay:<customer_id>" in problem and "safety_margin" in problem
    assert fix.startswith("write one of the known parameters")


def test_every_bad_row_is_reported_together(book_dir):
    rows = [
        "scenario,parameter,value,company",
        "a,sales_factor,abc,",  # 2: not a number
        "a,delay_shift_days,1.5,",  # 3: not whole
        "a,catch_up,3,FR01",  # 4: catch_up applies to every company
        "a,sales_factor,0.9,XX01",  # 5: unknown company
        "a,customer_delay:C9,30,",  # 6: unknown customer
        "a,customer_delay:C2,30,FR01",  # 7: C2 is UK01's
        "a,spending.salarie,10,",  # 8: unknown category
        "b,safety_margin,2,",  # 9: out of range
        "base,catch_up,2,",  # 10: the base's name
        "c,catch_up,2,",  # 11, 12: twice in one scenario
        "c,catch_up,3,",
        "d,spending.spare,-5,",  # 13: the book's own category is fine
        "d,spending,5,",  # 14: no category
        "d,customer_delay:,5,",  # 15: no customer
    ]
    folder = book_dir(
        invoices=INVOICES,
        spending="month,category,amount,company\n2026-09,spare,10,FR01\n",
        scenarios="\n".join(rows) + "\n",
    )
    found = problems(folder)
    where = sorted(zip(found["line"].astype(int), found["column"], strict=True))
    assert where == [
        (2, "value"),
        (3, "value"),
        (4, "company"),
        (5, "company"),
        (6, "parameter"),
        (7, "parameter"),
        (8, "parameter"),
        (9, "value"),
        (10, "scenario"),
        (11, "parameter"),
        (12, "parameter"),
        (14, "parameter"),
        (15, "parameter"),
    ]
    text = dict(zip(found["line"].astype(int), found["problem"], strict=False))
    assert "safety_margin must be a number from 0 to 1" in text[9]
    assert "for company 'FR01'" in text[7]


def test_a_good_table_reads_with_empty_company_meaning_every_company(book_dir):
    folder = book_dir(
        invoices=INVOICES,
        scenarios=(
            "scenario;parameter;value;company\n"
            "downturn;sales_factor;0,8;\n"
            "late;customer_delay:C1;30;FR01\n"
        ),
    )
    table = read_book(folder).scenarios
    assert table["company"].tolist() == ["", "FR01"]
    assert table["value"].tolist() == [0.8, 30.0]


def test_a_one_company_book_needs_no_company_column(book_dir):
    folder = book_dir(
        invoices=HEADER + "\nF1,C1,2026-09-01,2026-10-01,100\n",
        scenarios="scenario,parameter,value\nlate,customer_delay:C1,30\n",
    )
    assert read_book(folder).scenarios["company"].tolist() == [""]
