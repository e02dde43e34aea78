"""The business rules of each table and across tables: each fires with file, line, column,
value, problem and fix, and every problem is reported together. Ids that cannot become file
names, sheet cells or CSV lines are refused (trust issue, item 12)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import Book, BookError, read_book
from cashplan.core.problems import Collector, RawTable
from cashplan.core.rules import ROW_RULES
from cashplan.core.validate import validate_tables
from tests.conftest import HEADER


def problems(folder: Path) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder)
    return info.value.to_frame()


# --- 12: ids that cannot become file names, sheet cells or CSV lines -----------------------


def test_ids_with_a_slash_control_characters_or_too_long_are_refused_each_with_its_line(book_dir):
    long = "C" * 300
    text = (
        HEADER + ",company\n"
        "F1,Durand/Fils,2026-01-10,2026-02-09,10,FR01\n"
        f"F2,{long},2026-01-10,2026-02-09,10,FR01\n"
        "F3,Bell\x07e,2026-01-10,2026-02-09,10,FR01\n"
        'F\\4,"Tab\there",2026-01-10,2026-02-09,10,FR01\n'
        "F5,C5,2026-01-10,2026-02-09,10,FR/01\n"
        '"F\r\n6",C6,2026-01-10,2026-02-09,10,FR01\n'
        "F7,C7,2026-01-10,2026-02-09,10,FR01\n"
    )
    found = problems(book_dir(invoices=text))
    got = found[["line", "column", "value"]].values.tolist()
    assert got == [
        [2, "customer_id", "Durand/Fils"],
        [3, "customer_id", long],
        [4, "customer_id", "Bell\x07e"],
        [5, "invoice_id", "F\\4"],
        [5, "customer_id", "Tab\there"],
        [6, "company", "FR/01"],
        [7, "invoice_id", "F\n6"],  # line endings are read as LF, inside quotes too
    ], found.to_string()
    assert (found["file"] == "invoices.csv").all()
    by_value = found.set_index("value")
    assert "'/'" in by_value.loc["Durand/Fils", "problem"]
    assert "300" in by_value.loc[long, "problem"] and "100" in by_value.loc[long, "fix"]
    assert "control character" in by_value.loc["Bell\x07e", "problem"]
    assert all(f for f in found["fix"])


def test_ids_up_to_the_limit_are_accepted_and_the_limit_counts_utf8_bytes():
    ok = "C" * 100
    accented = "é" * 50  # 100 bytes in UTF-8
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2", "F3"],
            "customer_id": [ok, accented, "é" * 51],
            "issue_date": ["2026-01-10"] * 3,
            "due_date": ["2026-02-09"] * 3,
            "amount": ["10"] * 3,
        }
    )
    with pytest.raises(BookError) as info:
        Book.from_frames(invoices=inv)
    found = info.value.to_frame()
    assert found[["line", "column"]].values.tolist() == [[4, "customer_id"]]
    assert Book.from_frames(invoices=inv.iloc[:2]).invoices["customer_id"].tolist() == [
        ok,
        accented,
    ]


def test_control_characters_in_free_text_are_refused_but_line_breaks_in_a_note_are_kept(book_dir):
    customers = "customer_id,name,owner\nC1,Durand\x01 SA,Léa\nC2,Martin SA,Hugo\n"
    promises = 'customer_id,promised_date,amount,note\nC1,2026-03-01,10,"called twice,\nwill pay"\n'
    found = problems(
        book_dir(
            invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n",
            customers=customers,
            promises=promises,
        )
    )
    assert found[["file", "line", "column"]].values.tolist() == [["customers.csv", 2, "name"]]


# --- each rule, called directly: file, line, column, value, problem and fix ----------------


def _tables() -> dict[str, pd.DataFrame]:
    """A small book that passes every rule (text cells, as read from files)."""
    return {
        "invoices": pd.DataFrame(
            {
                "invoice_id": ["F1", "F2", "F3"],
                "customer_id": ["C1", "C1", "C2"],
                "issue_date": ["2026-01-10", "2026-01-12", "2026-01-15"],
                "due_date": ["2026-02-09", "2026-02-11", "2026-02-14"],
                "amount": ["100", "200", "300"],
                "company": ["A", "A", "A"],
                "currency": ["EUR", "EUR", "USD"],
                "paid_date": ["", "2026-02-01", ""],
                "open_amount": ["", "", ""],
            }
        ),
        "customers": pd.DataFrame(
            {
                "customer_id": ["C1", "C2"],
                "company": ["A", "A"],
                "name": ["Durand", "Martin"],
                "owner": ["Léa", ""],
                "payment_terms_days": ["30", "45"],
                "credit_limit": ["1000", ""],
            }
        ),
        "promises": pd.DataFrame(
            {
                "customer_id": ["C1"],
                "company": ["A"],
                "invoice_id": ["F1"],
                "promised_date": ["2026-03-01"],
                "amount": ["50"],
            }
        ),
        "spending": pd.DataFrame(
            {"month": ["2026-01"], "category": ["Payroll"], "amount": ["1000"], "company": ["A"]}
        ),
        "fx_rates": pd.DataFrame({"date": ["2026-01-01"], "currency": ["USD"], "rate": ["0.9"]}),
        "adjustments": pd.DataFrame(
            {
                "customer_id": ["C1"],
                "company": ["A"],
                "invoice_id": ["F1"],
                "shift_days": ["7"],
                "to_date": [""],
            }
        ),
    }


def _validate(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    raws = {
        name: RawTable.from_frame(name, frame, file=f"{name}.csv") for name, frame in tables.items()
    }
    return validate_tables(raws, reporting_currency="EUR")


def _changed(*edits: tuple[str, int, str, str]) -> dict[str, pd.DataFrame]:
    """The good book with cells changed: (table, spreadsheet line, column, new text)."""
    tables = _tables()
    for table, line, column, value in edits:
        frame = tables[table]
        if line - 2 == len(frame):  # the line after the last: a new row copying the last
            tables[table] = frame = pd.concat([frame, frame.tail(1)], ignore_index=True)
        frame.loc[line - 2, column] = value
    return tables


# (what, edits, expected problems: file, line, column, value, words of the problem, of the fix)
RULES = [
    (
        "duplicate invoice",
        [("invoices", 3, "invoice_id", "F1")],
        [
            (
                "invoices.csv",
                2,
                "invoice_id",
                "F1",
                "more than once in company 'A': lines 2, 3",
                "keep one row",
            ),
            (
                "invoices.csv",
                3,
                "invoice_id",
                "F1",
                "more than once in company 'A': lines 2, 3",
                "keep one row",
            ),
        ],
    ),
    (
        "due before issue",
        [("invoices", 2, "due_date", "2026-01-01")],
        [("invoices.csv", 2, "due_date", "2026-01-01", "before issue_date", "on or after")],
    ),
    (
        "negative open amount",
        [("invoices", 2, "open_amount", "-5")],
        [("invoices.csv", 2, "open_amount", "-5", "negative", "credit note")],
    ),
    (
        "credit note left positive",
        [("invoices", 2, "amount", "-100"), ("invoices", 2, "open_amount", "10")],
        [("invoices.csv", 2, "open_amount", "10", "credit note with a positive", "negative or 0")],
    ),
    (
        "open above amount",
        [("invoices", 2, "open_amount", "150")],
        [("invoices.csv", 2, "open_amount", "150", "larger than amount", "cannot exceed")],
    ),
    (
        "paid but open",
        [("invoices", 3, "open_amount", "50")],
        [("invoices.csv", 3, "paid_date", "2026-02-01", "settled but open_amount", "leave paid")],
    ),
    (
        "id with a slash",
        [("invoices", 4, "invoice_id", "F/3")],
        [("invoices.csv", 4, "invoice_id", "F/3", "'/'", "replace '/'")],
    ),
    (
        "currency without a rate",
        [("invoices", 4, "currency", "GBP")],
        [("invoices.csv", 4, "currency", "GBP", "no FX rate into EUR", "fx_rates")],
    ),
    (
        "rates starting after the invoice",
        [("fx_rates", 2, "date", "2026-01-20")],
        [
            (
                "invoices.csv",
                4,
                "issue_date",
                "2026-01-15",
                "USD on 2026-01-15 (first rate on 2026-01-20)",
                "dated on or before",
            )
        ],
    ),
    (
        "duplicate customer",
        [("customers", 3, "customer_id", "C1")],
        [
            ("customers.csv", 2, "customer_id", "C1", "lines 2, 3", "one row per customer_id"),
            ("customers.csv", 3, "customer_id", "C1", "lines 2, 3", "one row per customer_id"),
        ],
    ),
    (
        "negative terms",
        [("customers", 2, "payment_terms_days", "-1")],
        [("customers.csv", 2, "payment_terms_days", "-1", "negative payment terms", "0 or more")],
    ),
    (
        "negative credit limit",
        [("customers", 3, "credit_limit", "-1")],
        [("customers.csv", 3, "credit_limit", "-1", "negative credit limit", "positive")],
    ),
    (
        "control character in a name",
        [("customers", 2, "name", "Dur\x01and")],
        [("customers.csv", 2, "name", "Dur\x01and", "control character", "retype")],
    ),
    (
        "promise of nothing",
        [("promises", 2, "amount", "0")],
        [("promises.csv", 2, "amount", "0", "zero or a negative", "above 0")],
    ),
    (
        "promise on an unknown invoice",
        [("promises", 2, "invoice_id", "F9")],
        [("promises.csv", 2, "invoice_id", "F9", "no such invoice", "leave it empty")],
    ),
    (
        "promise on another customer's invoice",
        [("promises", 2, "invoice_id", "F3")],
        [("promises.csv", 2, "customer_id", "C1", "another customer", "check the customer_id")],
    ),
    (
        "spending in a currency without a rate",
        [("spending", 2, "currency", "GBP")],
        [("spending.csv", 2, "currency", "GBP", "no FX rate into EUR", "fx_rates")],
    ),
    (
        "rate of zero",
        [("fx_rates", 2, "rate", "0")],
        [("fx_rates.csv", 2, "rate", "0", "zero or below", "above 0")],
    ),
    (
        "two rates on one date",
        [("fx_rates", 3, "rate", "0.95")],
        [
            ("fx_rates.csv", 2, "date", "2026-01-01", "FX rate date", "one row per FX rate date"),
            ("fx_rates.csv", 3, "date", "2026-01-01", "FX rate date", "one row per FX rate date"),
        ],
    ),
    (
        "adjustment with both a shift and a date",
        [("adjustments", 2, "to_date", "2026-03-01")],
        [("adjustments.csv", 2, "shift_days", "7", "exactly one", "not both")],
    ),
    (
        "adjustment with neither",
        [("adjustments", 2, "shift_days", "")],
        [("adjustments.csv", 2, "shift_days", "", "exactly one", "not both")],
    ),
    (
        "adjustment on an unknown invoice",
        [("adjustments", 2, "invoice_id", "F9")],
        [("adjustments.csv", 2, "invoice_id", "F9", "no such invoice", "leave it empty")],
    ),
]


def test_the_good_book_passes_and_the_rules_fill_their_defaults():
    tables, found = _validate(_tables())
    assert found.empty, found.to_string()
    assert tables["invoices"]["open_amount"].tolist() == [100.0, 0.0, 300.0]  # 0 once paid
    assert tables["customers"]["owner"].tolist() == ["Léa", "unassigned"]
    assert tables["spending"]["category"].tolist() == ["payroll"]


@pytest.mark.parametrize(("edits", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_names_file_line_column_value_and_fix(edits, expected):
    _, found = _validate(_changed(*edits))
    got = found[["file", "line", "column", "value"]].values.tolist()
    assert got == [list(e[:4]) for e in expected], found.to_string()
    for (*_, problem, fix), row in zip(expected, found.itertuples(), strict=True):
        assert problem in row.problem, row.problem
        assert fix in row.fix, row.fix


def test_every_rule_broken_at_once_is_reported_together():
    # cells of rules that do not touch each other: one problem each, all in one table
    disjoint = [r for r in RULES if r[0] in _TOGETHER]
    edits = [e for _, rule_edits, _ in disjoint for e in rule_edits]
    _, found = _validate(_changed(*edits))
    expected = sorted((e[0], e[1], e[2]) for _, _, rule_expected in disjoint for e in rule_expected)
    got = sorted(found[["file", "line", "column"]].itertuples(index=False, name=None))
    assert got == expected, found.to_string()
    assert found["fix"].str.len().gt(0).all()


_TOGETHER = {
    "due before issue",
    "paid but open",
    "id with a slash",
    "negative terms",
    "negative credit limit",
    "promise of nothing",
    "spending in a currency without a rate",
    "rate of zero",
    "adjustment with both a shift and a date",
}


def test_a_second_pass_of_the_rules_finds_nothing_and_changes_nothing():
    tables, _ = _validate(_tables())
    before = {name: frame.copy() for name, frame in tables.items()}
    raws = _tables()
    for name, rule in ROW_RULES.items():
        col = Collector(RawTable.from_frame(name, raws.get(name, tables[name])))
        rule(tables[name], col)
        assert col.parts == [], name
        pd.testing.assert_frame_equal(tables[name], before[name])  # defaults already filled


# --- 0.2: the activity table (what the team did; the review's actions done) ---------------


def test_activity_rows_are_checked_lever_company_customer_and_date_each_with_its_line(
    book_dir,
) -> None:
    invoices = HEADER + ",company\nF1,C1,2026-01-10,2026-02-09,10,FR01\n"
    activity = (
        "date,customer_id,lever,by,company,note\n"
        "2026-10-02,C1,Call,Léa,FR01,reached the accountant\n"  # a lever's case is forgiven
        "2026-10-02,C1,email,Léa,FR01,\n"
        "2026-10-02,C1,call,Léa,UK01,\n"
        "2026-10-02,C9,call,Léa,FR01,\n"
        "02/10/2026,C1,call,Léa,FR01,\n"
        "2026-10-02,C1,call,,FR01,\n"
    )
    found = problems(book_dir(invoices=invoices, activity=activity))
    rows = found.loc[found["file"] == "activity.csv"]
    assert rows[["line", "column"]].values.tolist() == [
        [3, "lever"],
        [4, "company"],
        [5, "customer_id"],
        [6, "date"],
        [7, "by"],
    ]
    lever = rows.loc[rows["line"] == 3].iloc[0]
    assert lever["value"] == "email" and "call, sales_rep, escalate" in lever["fix"]


def test_a_good_activity_table_reads_with_its_levers_lower_case(book_dir) -> None:
    invoices = HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n"
    activity = "date,customer_id,lever,by\n2026-10-02,C1,Dunning,Léa\n"
    folder = book_dir(invoices=invoices, activity=activity)
    book = read_book(folder)
    assert book.activity[["company", "lever", "by"]].values.tolist() == [
        ["default", "dunning", "Léa"]
    ]
    (folder / "activity.csv").unlink()
    assert read_book(folder).activity.empty  # optional


def test_the_activity_levers_are_the_battle_plans() -> None:
    from cashplan.core.schema import LEVER_NAMES
    from cashplan.planning.plan import LEVERS

    assert list(LEVER_NAMES) == LEVERS["lever"].tolist()


def test_a_settled_invoice_with_an_open_amount_shows_its_paid_date(book_dir):
    text = (
        HEADER + ",paid_date,open_amount\n"
        "F1,C1,2026-01-10,2026-02-09,100,2026-02-01,0\n"
        "F2,C1,2026-01-10,2026-02-09,100,2026-02-03,40\n"
    )
    found = problems(book_dir(invoices=text))
    assert found[["line", "column", "value"]].values.tolist() == [[3, "paid_date", "2026-02-03"]]
    assert found.loc[0, "problem"] == "paid_date says settled but open_amount is not 0"


# --- the checks of a million rows, cheaper (issue 18): same problems ----------------------


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.text(st.characters(max_codepoint=0x3000), max_size=40)
        | st.sampled_from(["F/1", "F\\1", "F\t1", "é" * 13, "x" * 26, "A\x7f", "A\x0b"]),
        max_size=12,
    ),
    is_id=st.booleans(),
)
def test_text_found_plain_by_its_bytes_holds_nothing_the_rules_refuse(cells, is_id):
    from cashplan.core.rules import _ID_BAD, _SHEET_BAD, ID_LIMIT, _plain_text

    s = pd.Series(cells, dtype="str")
    if is_id:
        suspect = s.str.contains(_ID_BAD, regex=True) | (s.str.len() > ID_LIMIT // 4)
    else:
        suspect = s.str.contains(_SHEET_BAD, regex=True)
    if _plain_text(s, is_id):
        assert not suspect.any()
    elif not is_id:  # free text: the byte test is exact
        assert suspect.any()


def test_each_currency_without_a_rate_is_named_once_and_early_rows_at_their_earliest_date():
    inv = pd.DataFrame(
        {
            "invoice_id": [f"F{i}" for i in range(1, 8)],
            "customer_id": ["C1"] * 7,
            "issue_date": [
                "2026-01-10",
                "2026-01-11",
                "2025-12-01",
                "2026-01-12",
                "2026-01-13",
                "2025-11-20",
                "2026-02-01",
            ],
            "due_date": ["2026-03-10"] * 7,
            "amount": ["10"] * 7,
            "currency": ["EUR", "usd", "GBP", "USD", "CHF", "GBP", "GBP"],
            "paid_date": ["", "", "", "", "", "", "2025-10-01"],  # paid before its rates
        }
    )
    fx = pd.DataFrame({"date": ["2026-01-01"], "currency": ["GBP"], "rate": ["1.15"]})
    raws = {
        "invoices": RawTable.from_frame("invoices", inv),
        "fx_rates": RawTable.from_frame("fx_rates", fx),
    }
    found = validate_tables(raws, "EUR")[1]
    assert found[["line", "column", "value", "problem"]].values.tolist() == [
        [3, "currency", "usd", "currency 'USD' has no FX rate into EUR"],
        [6, "currency", "CHF", "currency 'CHF' has no FX rate into EUR"],
        [
            8,
            "issue_date",
            "2026-02-01",
            "no FX rate for GBP on 2025-10-01 (first rate on 2026-01-01)",
        ],
    ]
