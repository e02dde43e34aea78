"""Targets start where the book starts (trust issue, item 16; domain.md, decision).

The seed's example on a book that starts inside the 12 months shown: spending of
100,000 a month from 2026-01, invoices from 2025-12; 80,000 collected in January,
110,000 in February and 110,000 in March; as-of 2026-03-31.

- January: need 100,000, nothing to catch up -> target 100,000; collected 80,000,
  shortfall 20,000.
- February: 100,000 + 20,000 = 120,000; collected 110,000, shortfall 10,000.
- March: 100,000 + 10,000 = 110,000; collected 110,000, caught up.
- April: 100,000.

The nine months shown before (2025-04 to 2025-12) come before the first spending
record: no need, no shortfall, a target of 0 (the report used to back-fill them with
the run rate and pile up their shortfalls: 1,000,000 / 1,020,000 / 1,010,000 /
1,000,000).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import Book, CashplanError, read_book
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.cli import main
from cashplan.planning.targets import cash_need, monthly_targets, target_months

SEED = [100_000.0, 120_000.0, 110_000.0, 100_000.0]
JAN_TO_APR = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]

INVOICES = """invoice_id,customer_id,issue_date,due_date,amount,paid_date
I1,C1,2025-12-05,2026-01-04,80000.00,2026-01-15
I2,C2,2026-01-10,2026-02-09,110000.00,2026-02-15
I3,C1,2026-02-10,2026-03-12,110000.00,2026-03-15
I4,C2,2026-03-10,2026-04-09,50000.00,
"""
SPENDING = "month,category,amount\n" + "".join(
    f"2026-{m:02d},salaries,100000.00\n" for m in (1, 2, 3)
)


@pytest.fixture
def book_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "invoices.csv").write_text(INVOICES)
    (folder / "spending.csv").write_text(SPENDING)
    return folder


def _targets(book: Book, as_of: str, **kw: int) -> pd.DataFrame:
    t = monthly_targets(book.invoices, book.spending, book.fx, as_of, **kw)
    return t.loc[t["company"] == "ALL"].set_index("month")


def test_the_seed_example_on_a_book_that_starts_inside_the_months_shown(book_folder):
    t = _targets(read_book(book_folder), "2026-03-31")
    assert t.loc[JAN_TO_APR, "target"].tolist() == SEED
    before = t.loc[t.index < "2026-01-01"]
    assert len(before) == 9
    assert (before[["cash_need", "carried", "target", "shortfall"]] == 0.0).all().all()


@pytest.mark.parametrize(
    ("as_of", "months_before"), [("2026-03-31", 3), ("2026-03-31", 24), ("2026-06-30", 12)]
)
def test_whatever_the_as_of_date_and_the_months_shown(book_folder, as_of, months_before):
    """Later months (April-June collected 100,000 each) leave January-April as they were."""
    later = "".join(
        f"L{m},C1,2026-{m:02d}-01,2026-{m:02d}-10,100000.00,2026-{m:02d}-05\n" for m in (4, 5, 6)
    )
    (book_folder / "invoices.csv").write_text(INVOICES + later)
    t = _targets(read_book(book_folder), as_of, months_before=months_before)
    assert t.loc[JAN_TO_APR, "target"].tolist() == SEED


def test_a_month_before_the_first_invoice_carries_no_shortfall(book_folder):
    """Spending from 2025-11, first invoice 2025-12: November's need is not a shortfall to
    catch up (no book of collections yet); December's is (need 100,000, nothing
    collected): January 200,000."""
    (book_folder / "spending.csv").write_text(
        SPENDING + "2025-11,salaries,100000.00\n2025-12,salaries,100000.00\n"
    )
    t = _targets(read_book(book_folder), "2026-03-31")
    assert t.loc["2025-11-01", ["cash_need", "target"]].tolist() == [0.0, 0.0]
    assert t.loc[["2025-12-01", "2026-01-01"], "target"].tolist() == [100_000.0, 200_000.0]


def test_cash_need_is_not_back_filled_before_the_first_spending_record(book_folder):
    book = read_book(book_folder)
    need = cash_need(book.spending, book.fx, target_months("2026-03-31"))
    by_month = need.set_index("month")
    assert (by_month.loc[by_month.index < "2026-01-01", "amount"] == 0.0).all()
    assert set(by_month.loc[by_month.index < "2026-01-01", "basis"]) == {"before the book"}
    after = by_month.loc[by_month.index > "2026-03-01"]
    assert (after["amount"] == 100_000.0).all() and set(after["basis"]) == {"run rate"}


def test_golden_report_monthly_targets(book_folder, tmp_path):
    """Through ``cashplan report``: monthly.csv's target column."""
    out = tmp_path / "report"
    assert main(["report", str(book_folder), "--as-of", "2026-03-31", "--out", str(out)]) == 0
    monthly = pd.read_csv(out / "monthly.csv")
    for company in ("ALL", "default"):
        rows = monthly.loc[monthly["company"] == company].set_index("month")
        assert rows.loc[[m[:7] for m in JAN_TO_APR], "target"].tolist() == SEED, company
        assert np.allclose(rows.loc[rows.index < "2026-01", "target"], 0.0), company


def test_a_report_as_of_before_the_first_invoice_is_refused_clearly(book_folder, tmp_path, capsys):
    """Item 11: an as-of before the first invoice (2025-12-05) used to stop the notebook
    with ``KeyError: 'avg_days_late'``; now a message says why and what to give, before
    the notebook runs, and nothing is written."""
    out = tmp_path / "report"
    assert main(["report", str(book_folder), "--as-of", "2025-11-30", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "before the book's first invoice" in err and "2025-12-05" in err
    assert "failed in cell" not in err  # refused before the notebook ran
    assert not out.exists()
    with pytest.raises(CashplanError, match="on or after 2025-12-05"):
        Analysis(read_book(book_folder), Settings(as_of="2025-12-04"))
    Analysis(read_book(book_folder), Settings(as_of="2025-12-05"))  # the first day is fine
