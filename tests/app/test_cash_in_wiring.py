"""The whole cash-in wired into the book, the gap, the report tables and the workbook.

The models themselves (invoicing, lags, their combination, the backtest) are tested in
``tests/test_cash_in.py``; here: the ``sales_plan`` table, the gap on the total, the
report's 0.2 columns, the summary's sentence and the workbook's sales plan edit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import BookError, read_book
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.notebook import summary_markdown
from cashplan.app.outputs import report_tables
from cashplan.io.edits import set_sales_plan
from cashplan.io.export import write_book
from cashplan.sample import make_book

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "b"
    write_book(make_book(n_invoices=3_000, n_customers=20), path)
    return path


@pytest.fixture(scope="module")
def analysis(folder: Path) -> Analysis:
    return Analysis(read_book(folder), Settings(as_of=AS_OF))


def test_the_gap_counts_the_open_book_and_the_new_sales(analysis: Analysis) -> None:
    gap = analysis.gap.loc[analysis.gap["status"] == "open"]
    collected = gap["collected"].fillna(0.0)
    assert np.allclose(gap["total_forecast"], gap["forecast"] + gap["new_forecast"])
    assert np.allclose(gap["gap"], gap["target"] - collected - gap["total_forecast"])
    assert np.allclose(gap["gap_open_book"], gap["target"] - collected - gap["forecast"])
    assert (gap["new_forecast"].iloc[1:] > 0).all()  # from the month after as-of, new sales pay
    assert (gap["total_p10"] <= gap["total_forecast"]).all()
    assert (gap["total_forecast"] <= gap["total_p90"]).all()
    # the first short month of the plan is read on the total gap
    month = analysis.plan.month
    short = gap.loc[(gap["company"] == "ALL") & (gap["gap"] > 0.005), "month"]
    assert month == (short.min() if len(short) else None)


def test_report_tables_have_the_contract_0_2_columns(analysis: Analysis) -> None:
    tables = report_tables(analysis)
    weekly, monthly = tables["forecast_weekly"], tables["monthly"]
    assert {"new_expected", "total_expected", "total_p10", "total_p90"} <= set(weekly.columns)
    assert {"new_forecast", "total_forecast", "total_p10", "total_p90", "gap_open_book"} <= set(
        monthly.columns
    )
    assert len(weekly) == 13 * (len(analysis.book.companies) + 1)
    assert np.allclose(weekly["total_expected"], weekly["expected"] + weekly["new_expected"])


def test_the_summary_says_where_new_sales_come_from(analysis: Analysis) -> None:
    text = summary_markdown(analysis)
    assert "open invoices only" not in text.replace("chases open invoices only", "")
    assert "New sales come from the book's invoicing history" in text
    assert "sales plan" not in text.split("New sales come from")[1]


def test_a_sales_plan_replaces_the_model_for_its_company_month(
    folder: Path, tmp_path: Path
) -> None:
    book = read_book(folder)
    base = Analysis(book, Settings(as_of=AS_OF))
    model = base.invoicing.predict()
    december = model.loc[(model["company"] == "FR01") & (model["month"] == "2026-12-01")]
    planned = float(december["invoiced"].iloc[0]) * 3
    plan = pd.DataFrame({"company": ["FR01"], "month": ["2026-12"], "amount": [f"{planned:.2f}"]})
    tables = {
        name: getattr(book, name)
        for name in ("invoices", "customers", "promises", "spending", "fx_rates", "adjustments")
    }
    with_plan = Analysis(type(book).from_frames(**tables, sales_plan=plan), Settings(as_of=AS_OF))
    monthly = with_plan.new_sales.monthly.set_index(["company", "month"])
    assert monthly.loc[("FR01", pd.Timestamp("2026-12-01")), "source"] == "sales_plan"
    assert monthly.loc[("FR01", pd.Timestamp("2026-11-01")), "source"] == "model"
    before = base.gap.set_index(["company", "month"])["new_forecast"]
    after = with_plan.gap.set_index(["company", "month"])["new_forecast"]
    assert (
        after[("FR01", pd.Timestamp("2027-01-01"))] > before[("FR01", pd.Timestamp("2027-01-01"))]
    )
    assert after[("UK01", pd.Timestamp("2027-01-01"))] == pytest.approx(
        before[("UK01", pd.Timestamp("2027-01-01"))]
    )
    assert "sales plan for FR01 2026-12" in summary_markdown(with_plan)


def test_bad_sales_plan_rows_are_reported_with_file_line_column(
    folder: Path, tmp_path: Path
) -> None:
    book = tmp_path / "b"
    book.mkdir()
    for path in folder.iterdir():
        (book / path.name).write_bytes(path.read_bytes())
    (book / "sales_plan.csv").write_text(
        "company,month,amount\nFR01,2026-12,100000\nNOPE,2026-12,5\nFR01,12/2026,5\nUK01,2027-01,-3\n"
    )
    with pytest.raises(BookError) as caught:
        read_book(book)
    problems = caught.value.problems
    found = set(zip(problems["line"], problems["column"], strict=True))
    assert {(3, "company"), (4, "month"), (5, "amount")} <= found
    assert (problems["file"].str.endswith("sales_plan.csv")).all()
    assert problems["fix"].str.len().gt(0).all()


def test_the_workbook_saves_a_sales_plan_and_the_gap_follows(folder: Path, tmp_path: Path) -> None:
    from cashplan.app.workbook import Workbook

    book = tmp_path / "b"
    book.mkdir()
    for path in folder.iterdir():
        (book / path.name).write_bytes(path.read_bytes())
    wb = Workbook(book, AS_OF, user="cfo")
    before = wb.analysis.gap.set_index(["company", "month"])["total_forecast"]
    wb.save_sales_plan("FR01", "2026-12", 50_000_000.0, note="a big order")
    after = wb.analysis.gap.set_index(["company", "month"])["total_forecast"]
    key = ("FR01", pd.Timestamp("2027-01-01"))
    assert after[key] > before[key]
    saved = read_book(book).sales_plan
    assert saved.iloc[-1][["company", "recorded_by", "note"]].tolist() == [
        "FR01",
        "cfo",
        "a big order",
    ]
    assert "Saved: sales plan" in wb.status.value
    with pytest.raises(Exception, match="before the as-of month"):
        set_sales_plan(
            read_book(book), AS_OF, company="FR01", month="2026-09", amount=1.0, user="x"
        )
