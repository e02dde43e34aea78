"""Reading a book: both CSV dialects, XLSX, Parquet, and every bad input reported clearly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cashplan import Book, BookError, read_book
from tests.conftest import HEADER


def problems(folder: Path, **kw: str) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder, **kw)
    found = info.value.to_frame()
    assert len(found) > 0
    return found


def only(found: pd.DataFrame) -> pd.Series:
    assert len(found) == 1, found.to_string()
    return found.iloc[0]


def test_standard_csv_loads_typed(book_dir):
    folder = book_dir(
        invoices=HEADER + ",paid_date,disputed,company\n"
        "F1,C1,2026-01-10,2026-02-09,1200.50,,oui,FR01\n"
        "F2,C1,2026-01-11,2026-02-10,-20,2026-01-20,false,FR01\n"
    )
    book = read_book(folder)
    inv = book.invoices
    assert inv["amount"].tolist() == [1200.5, -20.0]
    assert inv["open_amount"].tolist() == [1200.5, 0.0]  # default: amount if open, 0 if settled
    assert inv["disputed"].tolist() == [True, False]
    assert inv["currency"].tolist() == ["EUR", "EUR"]
    assert str(inv["issue_date"].dtype) == "datetime64[us]"
    assert book.sources[0].table == "invoices" and len(book.sources[0].sha256) == 64


def test_french_excel_csv_loads(book_dir):
    text = (
        "invoice_id;customer_id;issue_date;due_date;amount;company\n"
        "F1;Société Générale;31/01/2026;02/03/2026;1234,56;FR01\n"
        "F2;Crédit Agricole;2026-02-01;2026-03-03;-12,5;FR01\n"
    )
    book = read_book(book_dir(encoding="cp1252", invoices=text))
    inv = book.invoices
    assert inv["customer_id"].tolist() == ["Société Générale", "Crédit Agricole"]
    assert inv["amount"].tolist() == [1234.56, -12.5]
    assert inv["issue_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-31", "2026-02-01"]
    assert inv["due_date"].iloc[0] == pd.Timestamp("2026-03-02")


def test_utf8_bom_is_not_part_of_the_first_column(book_dir):
    folder = book_dir(invoices=("\ufeff" + HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n"))
    assert read_book(folder).invoices["invoice_id"].tolist() == ["F1"]


def test_missing_required_column_names_it_and_suggests(book_dir):
    folder = book_dir(
        invoices="invoice_id,customer_id,issue_date,duedate,amount\n"
        "F1,C1,2026-01-10,2026-02-09,10\n"
    )
    p = only(problems(folder))
    assert p["file"] == "invoices.csv" and p["column"] == "due_date"
    assert "missing" in p["problem"] and "duedate" in p["fix"]


def test_duplicate_invoice_id_within_a_company_lists_both_lines(book_dir):
    folder = book_dir(
        invoices=HEADER + ",company\n"
        "F1,C1,2026-01-10,2026-02-09,10,A\n"
        "F1,C2,2026-01-10,2026-02-09,10,B\n"  # same id, other company: fine
        "F1,C3,2026-01-10,2026-02-09,10,A\n"
    )
    found = problems(folder)
    assert found["line"].tolist() == [2, 4]
    assert (found["column"] == "invoice_id").all()
    assert found["problem"].str.contains("lines 2, 4").all()


def test_due_date_before_issue_date(book_dir):
    p = only(problems(book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-01-09,10\n")))
    assert (p["line"], p["column"], p["value"]) == (2, "due_date", "2026-01-09")
    assert "before issue_date" in p["problem"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-02-30", "no such calendar date"),
        ("yesterday", "not a date"),
        ("03/04/2026", "ambiguous"),
        ("26-01-10", "not a date"),
        ("2206-01-10", "a year outside"),
    ],
)
def test_bad_dates_are_errors_never_guesses(book_dir, cell, expected):
    p = only(problems(book_dir(invoices=HEADER + f"\nF1,C1,{cell},2026-05-09,10\n")))
    assert (p["line"], p["column"], p["value"]) == (2, "issue_date", cell)
    assert expected in p["problem"] and "YYYY-MM-DD" in p["fix"]


def test_thousands_separator_in_a_comma_decimal_file(book_dir):
    text = (
        "invoice_id;customer_id;issue_date;due_date;amount\nF1;C1;10/01/2026;09/02/2026;1 234,56\n"
    )
    p = only(problems(book_dir(invoices=text)))
    assert (p["line"], p["column"], p["value"]) == (2, "amount", "1 234,56")
    assert "thousands separator" in p["problem"] and "1234,56" in p["fix"]


def test_thousands_separator_in_a_dot_decimal_file(book_dir):
    p = only(problems(book_dir(invoices=HEADER + '\nF1,C1,2026-01-10,2026-02-09,"1,234.56"\n')))
    assert (p["value"], p["problem"]) == ("1,234.56", "a thousands separator inside a number")


def test_text_in_a_numeric_column(book_dir):
    p = only(problems(book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,about 10\n")))
    assert (p["column"], p["problem"]) == ("amount", "not a number")


def test_unknown_currency_without_fx_rate(book_dir):
    folder = book_dir(
        invoices=HEADER + ",currency\nF1,C1,2026-01-10,2026-02-09,10,XYZ\n"
        "F2,C1,2026-01-10,2026-02-09,10,XYZ\n"
    )
    p = only(problems(folder))  # once per currency, at its first line
    assert (p["line"], p["column"], p["value"]) == (2, "currency", "XYZ")
    assert "no FX rate into EUR" in p["problem"]


def test_fx_rate_starting_after_the_first_invoice_names_currency_and_date(book_dir):
    folder = book_dir(
        invoices=HEADER + ",currency\nF1,C1,2026-01-10,2026-02-09,10,GBP\n",
        fx_rates="date,currency,rate\n2026-02-01,GBP,1.15\n",
    )
    p = only(problems(folder))
    assert "GBP on 2026-01-10" in p["problem"]


def test_empty_file(book_dir):
    p = only(problems(book_dir(invoices="")))
    assert p["problem"] == "the file is empty" and "invoice_id" in p["fix"]


def test_header_only_invoices_is_an_error_but_header_only_promises_is_empty(book_dir):
    p = only(problems(book_dir(invoices=HEADER + "\n")))
    assert "no rows" in p["problem"]
    folder = book_dir(
        invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n",
        promises="customer_id,promised_date,amount\n",
    )
    assert read_book(folder).promises.empty


def test_negative_open_amount(book_dir):
    folder = book_dir(invoices=HEADER + ",open_amount\nF1,C1,2026-01-10,2026-02-09,10,-5\n")
    p = only(problems(folder))
    assert (p["column"], p["value"], p["problem"]) == (
        "open_amount",
        "-5",
        "open_amount is negative",
    )


def test_every_problem_of_every_file_is_reported_together(book_dir):
    folder = book_dir(
        invoices=HEADER + "\nF1,C1,2026-01-10,2026-01-01,x\n\nF3,,2026-01-10,2026-02-09,1\n",
        customers="customer_id,payment_terms_days\nC1,30.5\n",
    )
    found = problems(folder)
    assert set(found["file"]) == {"invoices.csv", "customers.csv"}
    # the blank line 3 still counts: the empty customer is on line 4, as a spreadsheet shows
    assert ("invoices.csv", 4, "customer_id") in set(
        zip(found["file"], found["line"], found["column"], strict=True)
    )
    assert len(found) == 4
    assert str(BookError(found)).startswith("4 problems found; nothing was written.")


def test_promise_on_unknown_invoice(book_dir):
    folder = book_dir(
        invoices=HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n",
        promises="customer_id,promised_date,amount,invoice_id\n"
        "C1,2026-03-01,10,F9\nC2,2026-03-01,10,F1\n",
    )
    found = problems(folder)
    assert found["problem"].tolist() == [
        "no such invoice in the invoices table",
        "the invoice belongs to another customer",
    ]


def test_xlsx_book_with_a_sheet_per_table(tmp_path):
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "customer_id": ["C1", "C2"],
            "issue_date": pd.to_datetime(["2026-01-10", "2026-01-11"]),
            "due_date": pd.to_datetime(["2026-02-09", "2026-02-10"]),
            "amount": [10.5, 20],
        }
    )
    cus = pd.DataFrame({"customer_id": ["C1"], "owner": ["Claire"]})
    with pd.ExcelWriter(tmp_path / "book.xlsx") as xl:
        inv.to_excel(xl, sheet_name="invoices", index=False)
        cus.to_excel(xl, sheet_name="customers", index=False)
    book = read_book(tmp_path)
    assert book.invoices["amount"].tolist() == [10.5, 20.0]
    assert book.customers["owner"].tolist() == ["Claire"]
    assert read_book(tmp_path / "book.xlsx").invoices["invoice_id"].tolist() == ["F1", "F2"]


def test_xlsx_with_a_misnamed_sheet(tmp_path):
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1"],
            "customer_id": ["C1"],
            "issue_date": ["2026-01-10"],
            "due_date": ["2026-02-09"],
            "amount": [10],
        }
    )
    with pd.ExcelWriter(tmp_path / "book.xlsx") as xl:
        inv.to_excel(xl, sheet_name="Invoice", index=False)
    found = problems(tmp_path)
    assert found["fix"].str.contains("rename the sheet 'invoices'").any()
    assert found["problem"].str.contains("no sheet named 'invoices'").any()


def test_xlsx_file_per_table_reports_excel_line_numbers(tmp_path):
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "customer_id": ["C1", "C1"],
            "issue_date": ["2026-01-10", "2026-01-10"],
            "due_date": ["2026-02-09", "2026-01-01"],
            "amount": [10, 20],
        }
    )
    inv.to_excel(tmp_path / "invoices.xlsx", index=False)
    p = only(problems(tmp_path))
    assert (p["file"], p["line"], p["column"]) == ("invoices.xlsx", 3, "due_date")


def test_parquet_table(tmp_path):
    inv = pd.DataFrame(
        {
            "invoice_id": ["F1"],
            "customer_id": ["C1"],
            "issue_date": pd.to_datetime(["2026-01-10"]),
            "due_date": pd.to_datetime(["2026-02-09"]),
            "amount": [10.0],
            "paid_date": pd.to_datetime([None]),
        }
    )
    inv.to_parquet(tmp_path / "invoices.parquet")
    book = read_book(tmp_path)
    assert book.invoices["open_amount"].tolist() == [10.0]


def test_a_table_given_twice_and_a_misnamed_file(book_dir, tmp_path):
    row = HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\n"
    folder = book_dir(invoices=row, **{"invoices.parquet": b"x", "promise.csv": "a\n"})
    found = problems(folder)
    assert found["problem"].str.contains("given more than once").any()
    assert found["fix"].str.contains("rename it promises.csv").any()


def test_from_frames_validates_like_files():
    with pytest.raises(BookError, match="due_date is before issue_date"):
        Book.from_frames(
            invoices=pd.DataFrame(
                {
                    "invoice_id": ["F1"],
                    "customer_id": ["C1"],
                    "issue_date": ["2026-01-10"],
                    "due_date": ["2026-01-01"],
                    "amount": ["1"],
                }
            )
        )


def test_cr_only_line_endings_are_read_with_their_line_numbers(book_dir):
    rows = [HEADER, "F1,C1,2026-01-10,2026-02-09,10", "F2,C1,2026-01-11,2026-02-10,20"]
    book = read_book(book_dir(invoices="\r".join(rows) + "\r"))
    assert book.invoices["invoice_id"].tolist() == ["F1", "F2"]
    assert book.invoices["amount"].tolist() == [10.0, 20.0]
    bad = "\r".join([*rows, "F3,C1,2026-13-01,2026-02-10,5"]) + "\r"
    found = problems(book_dir(invoices=bad))
    assert found[["line", "column"]].values.tolist() == [[4, "issue_date"]]


def test_a_header_cell_with_a_line_break_is_named(book_dir):
    text = '"invoice\n_id",customer_id,issue_date,due_date,amount\nF1,C1,2026-01-10,2026-02-09,10\n'
    found = problems(book_dir(invoices=text))
    p = found.iloc[0]
    assert len(found) == 1, found.to_string()
    assert (p["file"], p["line"], p["column"]) == ("invoices.csv", 1, "invoice\n_id")
    assert "line break" in p["problem"] and "one line" in p["fix"]


def test_a_utf8_file_with_one_cp1252_line_is_refused_naming_that_line(book_dir):
    data = (
        (HEADER + "\nF1,Crème1,2026-01-10,2026-02-09,10\n").encode("utf-8")
        + "F2,Crème1,2026-01-10,2026-02-09,10\n".encode("cp1252")
        + "F3,Crème1,2026-01-10,2026-02-09,10\n".encode()
    )
    found = problems(book_dir(**{"invoices.csv": data}))
    p = found.iloc[0]
    assert len(found) == 1, found.to_string()
    assert (p["file"], p["line"]) == ("invoices.csv", 3)
    assert "UTF-8" in p["problem"] and "UTF-8" in p["fix"]
    assert p["value"].startswith("F2,Cr")


def test_a_whole_cp1252_file_still_loads(book_dir):
    text = (
        "invoice_id;customer_id;issue_date;due_date;amount\nF1;Crème1;31/01/2026;02/03/2026;1,5\n"
    )
    book = read_book(book_dir(encoding="cp1252", invoices=text))
    assert book.invoices["customer_id"].tolist() == ["Crème1"]


def test_a_line_with_more_cells_than_the_header_is_refused_never_shifted(book_dir):
    """pandas took the first column as the index when lines had more cells than the header:
    every column shifted by one (or a traceback); now the line is named."""
    trailing = HEADER + "\nF1,C1,2026-01-10,2026-02-09,10,\nF2,C2,2026-01-10,2026-02-09,20,\n"
    found = only(problems(book_dir(invoices=trailing)))
    assert (found["line"], found["problem"]) == (2, "a line with more cells than the header")
    assert "same number of ','-separated cells" in found["fix"]
    one_long = HEADER + "\nF1,C1,2026-01-10,2026-02-09,10\nF2,C2,2026-01-10,2026-02-09,20,x,y\n"
    found = only(problems(book_dir(invoices=one_long)))
    assert found["line"] == 3 and "Expected 5 fields in line 3, saw 7" in found["problem"]


@pytest.mark.parametrize("all_unknown", [False, True])
def test_a_promise_names_its_invoice_in_its_own_company(book_dir, all_unknown):
    """An invoice number used in two companies: a promise is checked against its own
    company's invoice (its customer), and only the lines with a problem are named."""
    invoices = (
        "company,invoice_id,customer_id,issue_date,due_date,amount\n"
        "A,F1,C1,2026-01-10,2026-02-09,10\nB,F1,C2,2026-01-10,2026-02-09,10\n"
        "A,F2,C2,2026-01-10,2026-02-09,10\n"
    )
    rows = (
        ["A,C1,F9", "B,C2,F8"]
        if all_unknown
        else ["A,C1,F1", "B,C1,F1", "B,C2,F1", "A,C1,F9", "A,C1,F2", "A,C2,F2"]
    )
    promises = "company,customer_id,invoice_id,promised_date,amount\n" + "".join(
        f"{r},2026-03-01,10\n" for r in rows
    )
    folder = book_dir(invoices=invoices, promises=promises)
    found = problems(folder)
    got = list(zip(found["line"], found["column"], found["problem"], strict=True))
    unknown, other = (
        "no such invoice in the invoices table",
        "the invoice belongs to another customer",
    )
    if all_unknown:
        assert got == [(2, "invoice_id", unknown), (3, "invoice_id", unknown)]
    else:
        assert got == [
            (3, "customer_id", other),
            (5, "invoice_id", unknown),
            (6, "customer_id", other),
        ]
