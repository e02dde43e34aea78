"""Last month's report read back for the review, and refused when it cannot be reviewed
(issue 17, item 6): not a report, half-written, changed, too old, another book, scope or
currency, or not before this month's as-of. Each message says what the folder was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from cashplan import Book
from cashplan.core.errors import CashplanError
from cashplan.io.previous import check_previous, read_previous

WEEKS = pd.date_range("2026-09-28", periods=13, freq="7D").strftime("%Y-%m-%d")
WEEKLY = "company,week_start,expected,p10,p90,new_expected,total_expected,total_p10,total_p90\n" + (
    "".join(f"{c},{w},10,8,12,0,10,8,12\n" for w in WEEKS for c in ("A", "ALL"))
)  # the 13 weeks a report forecasts
INVOICES = (
    "company,invoice_id,customer_id,open_amount_rc,due_date,expected_date,p10_date,p90_date,basis\n"
    "A,F1,C1,100.00,2026-09-20,2026-10-20,2026-10-10,2026-11-01,history\n"
    "A,F2,C1,50.00,2026-09-20,,,,disputed\n"
)
ACTIONS = (
    "company,rank,customer_id,owner,lever,amount_rc,cumulative_rc,cost_rc,name,invoices\n"
    "A,1,C1,'-Léa,call,40.00,40.00,10.00,'=Un,F1 F2\n"
)


def _report(folder: Path, as_of: str = "2026-09-30", **overrides: object) -> Path:
    """A report folder as cashplan writes it: the tables and a manifest with their sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "forecast_weekly.csv": WEEKLY,
        "forecast_invoices.csv": INVOICES,
        "actions.csv": ACTIONS,
    }
    files.update({k: v for k, v in overrides.items() if k.endswith(".csv")})  # type: ignore[misc]
    outputs = []
    for name, text in files.items():
        (folder / name).write_text(str(text), encoding="utf-8")
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        outputs.append({"file": name, "sha256": digest})
    manifest = {
        "cashplan": "0.1.0",
        "as_of": as_of,
        "company": overrides.get("company", "ALL"),
        "reporting_currency": overrides.get("currency", "EUR"),
        "parameters": {"book": "/books/acme"},
        "outputs": outputs,
        "companies": ["A"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _book(ids: tuple[str, ...] = ("F1", "F2"), currency: str = "EUR") -> Book:
    n = len(ids)
    invoices = pd.DataFrame(
        {
            "invoice_id": list(ids),
            "customer_id": ["C1"] * n,
            "issue_date": ["2026-09-01"] * n,
            "due_date": ["2026-09-20"] * n,
            "amount": ["100"] * n,
            "company": ["A"] * n,
        }
    )
    return Book.from_frames(reporting_currency=currency, invoices=invoices)


def test_a_report_reads_back_typed_with_its_text_as_written(tmp_path: Path) -> None:
    last = read_previous(_report(tmp_path / "sep"))
    assert last.as_of == pd.Timestamp("2026-09-30") and last.scope == "ALL"
    assert last.companies == ("A",) and last.levers is None
    assert last.weekly["total_expected"].tolist() == [10.0] * 26
    assert pd.isna(last.invoices.loc[1, "expected_date"])
    acts = last.actions
    assert acts.loc[0, ["owner", "name", "invoices"]].tolist() == ["-Léa", "=Un", "F1 F2"]
    digest = hashlib.sha256((tmp_path / "sep" / "manifest.json").read_bytes()).hexdigest()
    assert last.manifest_sha256 == digest
    check_previous(last, _book(), "2026-10-31")  # the same book, a month later: accepted


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda f: (f / "manifest.json").unlink(), r"not a cashplan report \(no manifest.json"),
        (lambda f: (f / "manifest.json").write_text("{}"), "is not a cashplan report's manifest"),
        (lambda f: (f / "actions.csv").unlink(), "actions.csv is missing"),
        (lambda f: (f / "actions.csv").write_text("changed"), "actions.csv was changed after"),
    ],
)
def test_a_folder_that_is_not_a_whole_report_is_refused(tmp_path: Path, damage, expected) -> None:
    folder = _report(tmp_path / "sep")
    damage(folder)
    with pytest.raises(CashplanError, match=expected):
        read_previous(folder)


def test_a_report_from_before_the_whole_cash_in_is_refused_by_version(tmp_path: Path) -> None:
    old = WEEKLY.replace(",new_expected,total_expected,total_p10,total_p90", "").replace(
        ",0,10,8,12\n", "\n"
    )
    folder = _report(tmp_path / "old", **{"forecast_weekly.csv": old})
    with pytest.raises(CashplanError, match=r"no column\(s\) total_expected.*cashplan 0\.1\.0"):
        read_previous(folder)


@pytest.mark.parametrize(
    ("report", "book", "as_of", "company", "expected"),
    [
        ({"as_of": "2026-11-30"}, {}, "2026-10-31", "", "not before this report's as-of"),
        ({"as_of": "2026-10-31"}, {}, "2026-10-31", "", "not before"),
        ({"currency": "GBP"}, {}, "2026-10-31", "", "in GBP, not EUR. Fix: .*--param currency=GBP"),
        ({"company": "A"}, {}, "2026-10-31", "", "scope A.*, not ALL"),
        ({}, {}, "2027-01-01", "", "covers the weeks up to 2026-12-27, before this report's"),
        ({}, {"ids": ("X1", "X2", "X3")}, "2026-10-31", "", "only 0% of the 2 invoices"),
    ],
)
def test_a_report_of_another_book_scope_currency_or_date_is_refused_saying_what_it_was(
    tmp_path: Path, report: dict, book: dict, as_of: str, company: str, expected: str
) -> None:
    last = read_previous(_report(tmp_path / "last", **report))
    with pytest.raises(CashplanError, match=expected) as info:
        check_previous(last, _book(**book), as_of, company)
    assert "a report of /books/acme (A; scope" in str(info.value)


def test_a_missing_folder_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CashplanError, match=r"no such folder\. Fix: give last month's report"):
        read_previous(tmp_path / "nothing")
