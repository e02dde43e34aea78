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
        "e,sales_factor,0.9,XX01",  # 5: unknown company
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


def test_overlapping_spelt_otherwise_long_or_foreign_rows_are_refused(book_dir):
    """Found by a hostile tester: a lever for every company and again for one (which wins
    was a guess), two spellings of one name, a multi-line name, a category of another
    company only, and a category holding '/' (it separates company and category)."""
    rows = [
        "scenario,parameter,value,company",
        "both,spending.salaries,1000,FR01",  # 2, 3: every company and FR01 again
        "both,spending.salaries,500,",
        "x,sales_factor,0.5,FR01",  # 4, 5: the same for a company lever
        "x,sales_factor,0.7,",
        "Hire,catch_up,2,",  # 6, 7: two spellings of one scenario
        "hire ,safety_margin,0.1,",
        '"two\nlines",catch_up,2,',  # 8: a name on two lines
        "uk,spending.loyer,100,UK01",  # 9: FR01's category only
        "fr,spending.loyer,100,FR01",  # FR01's own: fine
        "all,spending.loyer,100,",  # every company that has it: fine
    ]
    folder = book_dir(
        invoices=INVOICES,
        spending="month,category,amount,company\n2026-09,loyer,10,FR01\n",
        scenarios="\n".join(rows) + "\n",
    )
    found = problems(folder)
    where = sorted(zip(found["line"].astype(int), found["column"], strict=True))
    assert where == [
        (2, "parameter"),
        (3, "parameter"),
        (4, "parameter"),
        (5, "parameter"),
        (6, "scenario"),
        (7, "scenario"),
        (8, "scenario"),
        (9, "parameter"),  # the record after the two-line one (records are counted)
    ]
    folder = book_dir(
        invoices=INVOICES,
        spending="month,category,amount,company\n2026-09,Rent/Lease,10,FR01\n",
        scenarios="scenario,parameter,value\n",  # none
    )
    found = problems(folder)
    assert found[["file", "line", "column"]].values.tolist() == [["spending.csv", 2, "category"]]
    assert "rename the category without '/'" in found.loc[0, "fix"]


def test_an_activity_without_company_is_its_customers(book_dir):
    folder = book_dir(
        invoices=INVOICES,
        activity="date,customer_id,lever,by\n2026-10-05,C2,call,Oliver\n",
    )
    assert read_book(folder).activity["company"].tolist() == ["UK01"]
