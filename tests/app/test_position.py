"""The cash position wired into the book, Analysis, the report tables, the summary and the workbook.

The engine itself is tested in ``tests/test_cash_position.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import BookError, read_book
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.notebook import summary_markdown
from cashplan.app.outputs import report_tables
from cashplan.core.errors import CashplanError
from cashplan.io.export import write_book
from cashplan.sample import make_book

AS_OF = "2026-10-31"
BANK = (
    "company,date,balance,currency,account\n"
    "FR01,2026-10-30,1500000.00,EUR,main\n"
    "FR01,2026-10-31,1750000.50,EUR,main\n"
    "FR01,2026-11-02,9999999.00,EUR,main\n"  # after as-of: not known yet
    "UK01,2026-10-29,200000.00,GBP,ops\n"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "b"
    write_book(make_book(n_invoices=3_000, n_customers=20), path)
    (path / "bank.csv").write_text(BANK)
    return path


@pytest.fixture(scope="module")
def analysis(folder: Path) -> Analysis:
    return Analysis(read_book(folder), Settings(as_of=AS_OF, cash_floor=400_000.0))


def test_the_weekly_identity_and_chain_hold_to_the_cent(analysis: Analysis) -> None:
    pos = analysis.position
    assert np.allclose(
        pos["closing"], pos["opening"] + pos["collections"] - pos["disbursements"], atol=0.005
    )
    for _, g in pos.groupby("company"):
        assert np.allclose(g["opening"].iloc[1:], g["closing"].iloc[:-1].to_numpy(), atol=0.005)
    first = pos.groupby("company")["opening"].first()
    gbp = analysis.book.fx.convert(
        pd.Series([200_000.0]), pd.Series(["GBP"]), pd.Series([pd.Timestamp(AS_OF)])
    )[0]
    assert first["FR01"] == pytest.approx(1_750_000.50)  # the latest row by as-of, not after
    assert first["UK01"] == pytest.approx(gbp, abs=0.01)
    assert first["ALL"] == pytest.approx(first["FR01"] + first["UK01"], abs=0.01)
    assert (pos["below_floor"] == (pos["closing"] < pos["floor"])).all()
    # the collections are the whole cash-in
    cash_in = analysis.cash_in.set_index(["company", "week_start"])["total_expected"]
    got = pos.set_index(["company", "week_start"])["collections"]
    assert np.allclose(got, cash_in.reindex(got.index), atol=0.01)


def test_report_tables_and_summary_show_the_position(analysis: Analysis) -> None:
    tables = report_tables(analysis)
    position = tables["cash_position"]
    assert position.columns[:9].tolist() == [
        "company",
        "week_start",
        "opening",
        "collections",
        "disbursements",
        "closing",
        "closing_p10",
        "closing_p90",
        "below_floor",
    ]
    assert "closing_cash" in tables["monthly"].columns
    assert tables["monthly"]["closing_cash"].notna().any()
    text = summary_markdown(analysis)
    assert "Cash on hand EUR" in text and "lowest point" in text


def test_without_a_bank_table_the_opening_is_unknown(folder: Path, tmp_path: Path) -> None:
    book = tmp_path / "b"
    shutil.copytree(folder, book)
    (book / "bank.csv").unlink()
    a = Analysis(read_book(book), Settings(as_of=AS_OF))
    assert a.opening is None
    assert (a.position.groupby("company")["opening"].first() == 0).all()
    assert not a.position["opening_known"].any()
    assert "Cash on hand unknown" in summary_markdown(a)


def test_bad_bank_and_spending_rows_are_reported(folder: Path, tmp_path: Path) -> None:
    book = tmp_path / "b"
    shutil.copytree(folder, book)
    (book / "bank.csv").write_text(
        "company,date,balance,currency\nFR01,2026-10-30,lots,EUR\nNOPE,2026-10-30,5,EUR\n"
        "FR01,2026-10-30,5,JPY\n"
    )
    spending = (book / "spending.csv").read_text().splitlines()
    spending[0] += ",day"
    spending[1] += ",0"
    spending[2] += ",32"
    (book / "spending.csv").write_text("\n".join(spending) + "\n")
    with pytest.raises(BookError) as caught:
        read_book(book)
    found = set(
        zip(
            caught.value.problems["file"].map(lambda f: Path(f).name),
            caught.value.problems["line"],
            caught.value.problems["column"],
            strict=True,
        )
    )
    assert {
        ("bank.csv", 2, "balance"),
        ("bank.csv", 3, "company"),
        ("bank.csv", 4, "currency"),
        ("spending.csv", 2, "day"),
        ("spending.csv", 3, "day"),
    } <= found


def test_one_off_payments_count_in_their_month_not_in_the_run_rate(
    folder: Path, tmp_path: Path
) -> None:
    book = tmp_path / "b"
    shutil.copytree(folder, book)
    base = Analysis(read_book(book), Settings(as_of=AS_OF))
    spending = pd.read_csv(book / "spending.csv")
    extra = pd.DataFrame(
        {"category": ["taxes"], "amount": [300_000.0], "company": ["FR01"], "date": ["2026-09-15"]}
    )
    pd.concat([spending, extra]).to_csv(book / "spending.csv", index=False)
    a = Analysis(read_book(book), Settings(as_of=AS_OF))
    need = a.gap.set_index(["company", "month"])["cash_need"]
    before = base.gap.set_index(["company", "month"])["cash_need"]
    september, december = pd.Timestamp("2026-09-01"), pd.Timestamp("2026-12-01")
    assert need[("FR01", september)] == pytest.approx(before[("FR01", september)] + 300_000.0)
    assert need[("FR01", december)] == pytest.approx(before[("FR01", december)])


def test_cash_floor_parameter_one_amount_or_per_company() -> None:
    Settings(as_of=AS_OF, cash_floor={"FR01": 5e5, "UK01": 1e5})
    with pytest.raises(CashplanError, match="cash_floor"):
        Settings(as_of=AS_OF, cash_floor=float("nan"))
    with pytest.raises(CashplanError, match="cash_floor"):
        Settings(as_of=AS_OF, cash_floor={"FR01": "a lot"})  # type: ignore[dict-item]


def test_the_workbook_moves_the_curve_with_the_floor_the_opening_and_spending(
    folder: Path, tmp_path: Path
) -> None:
    from cashplan.app.workbook import Workbook

    book = tmp_path / "b"
    shutil.copytree(folder, book)
    wb = Workbook(book, AS_OF, user="cfo")

    def closing() -> np.ndarray:
        (trace,) = [t for t in wb.charts["position"].data if t.name == "closing cash (expected)"]
        return np.asarray(trace.y, dtype=float)

    start = closing()
    wb.opening_boxes["FR01"].value = "2,750,000.50"
    assert np.allclose(closing() - start, 1_000_000.0, atol=0.01)
    wb.floor.value = "99,000,000"
    assert wb.analysis.position["below_floor"].all()
    box = wb.spending["FR01/salaries"]
    before = closing()
    box.value = f"{float(box.value.replace(',', '')) + 500_000:,.2f}"
    assert closing()[-1] < before[-1] - 400_000


def test_a_bank_currency_without_rates_is_a_book_problem(folder: Path, tmp_path: Path) -> None:
    book = tmp_path / "b"
    shutil.copytree(folder, book)
    (book / "bank.csv").write_text("company,date,balance,currency\nUK01,2026-10-30,100,XXX\n")
    with pytest.raises(BookError) as caught:
        read_book(book)
    problems = caught.value.problems
    assert problems["file"].str.endswith("bank.csv").all()
    assert (problems["column"] == "currency").any()


def test_a_company_or_category_the_book_lacks_is_refused_by_name(folder: Path) -> None:
    book = read_book(folder)
    for settings in (
        Settings(as_of=AS_OF, spending={"salarie": 1_200_000.0}),
        Settings(as_of=AS_OF, spending={"ZZ99/taxes": 5.0}),
        Settings(as_of=AS_OF, cash_floor={"ZZ99": 5.0}),
    ):
        with pytest.raises(CashplanError, match="Fix:"):
            Analysis(book, settings)
    Analysis(book, Settings(as_of=AS_OF, spending={"FR01/salaries": 1e6}, cash_floor={"ALL": 1.0}))
