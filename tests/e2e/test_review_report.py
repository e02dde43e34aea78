"""The monthly review end to end (issue 17, items 5, 6, 8): two reports of one generated ledger
a month apart, the second with ``--previous``; held against an independent pandas sum."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from cashplan.app.cli import main
from cashplan.app.outputs import write_review
from cashplan.io.book import read_book
from cashplan.io.edits import add_activity
from cashplan.io.export import write_book
from cashplan.io.previous import read_previous
from cashplan.planning.review import review
from cashplan.sample import make_book

BEFORE, AS_OF = "2026-09-30", "2026-10-31"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("review")
    book = root / "book"
    write_book(make_book(seed=11, n_invoices=4_000, n_customers=40), book)
    assert main(["report", str(book), "--as-of", BEFORE, "--out", str(root / "sep")]) == 0
    first = pd.read_csv(root / "sep" / "actions.csv", dtype=str, keep_default_na=False).iloc[0]
    add_activity(  # the team did last month's first action; the others were only planned
        read_book(book),
        BEFORE,
        customer_id=first["customer_id"],
        company=first["company"],
        lever=first["lever"],
        date="2026-10-05",
        user="Léa",
    )
    args = ["report", str(book), "--as-of", AS_OF, "--out", str(root / "oct")]
    assert main([*args, "--previous", str(root / "sep")]) == 0
    return {"book": book, "sep": root / "sep", "oct": root / "oct", "root": root}


def _collected_by_week(book: Path) -> pd.Series:
    """What was collected each Monday-week between the two as-of dates, in EUR at the paid
    date, per company and ALL: computed here from the files, without cashplan."""
    inv = pd.read_csv(book / "invoices.csv", parse_dates=["paid_date"], dtype={"company": str})
    fx = pd.read_csv(book / "fx_rates.csv", parse_dates=["date"]).sort_values("date")
    paid = inv.loc[(inv["paid_date"] > BEFORE) & (inv["paid_date"] <= AS_OF)].copy()
    paid = paid.sort_values("paid_date")
    rated = pd.merge_asof(
        paid, fx, left_on="paid_date", right_on="date", by="currency", direction="backward"
    )
    rated["eur"] = rated["amount"] * rated["rate"].where(rated["currency"] != "EUR", 1.0)
    rated["week_start"] = rated["paid_date"] - pd.to_timedelta(
        rated["paid_date"].dt.day_of_week, unit="D"
    )
    per = rated.groupby(["company", "week_start"])["eur"].sum()
    total = rated.groupby("week_start")["eur"].sum()
    total.index = pd.MultiIndex.from_product([["ALL"], total.index])
    return pd.concat([per, total])


def test_the_reviews_actual_is_what_was_collected_each_week(reports: dict[str, Path]) -> None:
    weekly = pd.read_csv(reports["oct"] / "review_weekly.csv", parse_dates=["week_start"])
    expected = _collected_by_week(reports["book"])
    got = weekly.set_index(["company", "week_start"])["actual"]
    assert len(got) == len(expected) and len(got) >= 10  # 5 weeks x (2 companies + ALL)
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, atol=0.011
    )
    assert (weekly["difference"] - (weekly["forecast"] - weekly["actual"])).abs().max() < 0.011
    before = pd.read_csv(reports["sep"] / "forecast_weekly.csv", parse_dates=["week_start"])
    whole = weekly.loc[weekly["days"] == 7].merge(before, on=["company", "week_start"])
    assert len(whole) and (whole["forecast"] - whole["total_expected"]).abs().max() < 0.011


def test_the_actions_reviewed_are_exactly_last_months(reports: dict[str, Path]) -> None:
    keys = ["company", "rank", "customer_id", "lever", "amount_rc"]
    before = pd.read_csv(reports["sep"] / "actions.csv", dtype=str, keep_default_na=False)
    after = pd.read_csv(reports["oct"] / "review_actions.csv", dtype=str, keep_default_na=False)
    assert len(before) > 5
    pd.testing.assert_frame_equal(before[keys], after[keys])
    assert after["done"].tolist() == ["true"] + ["false"] * (len(after) - 1)
    assert after.loc[0, "done_by"] == "Léa" and after.loc[0, "done_on"] == "2026-10-05"
    levers = pd.read_csv(reports["oct"] / "review_levers.csv").set_index("lever")
    assert levers["trials"].sum() == 1  # only the action done is evidence


def test_the_manifest_names_last_months_report_and_lists_the_review(
    reports: dict[str, Path],
) -> None:
    manifest = json.loads((reports["oct"] / "manifest.json").read_text())
    digest = hashlib.sha256((reports["sep"] / "manifest.json").read_bytes()).hexdigest()
    assert manifest["previous"]["manifest_sha256"] == digest
    assert manifest["previous"]["as_of"] == BEFORE
    assert manifest["parameters"]["previous"] == str(reports["sep"])
    files = {o["file"] for o in manifest["outputs"]}
    assert {"review_weekly.csv", "review_invoices.csv", "review_actions.csv"} <= files
    assert "review_weekly.csv" not in {p.name for p in reports["sep"].iterdir()}


def test_the_review_files_are_what_the_review_computes_byte_for_byte(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    book = read_book(reports["book"])
    for attempt in ("a", "b"):
        result = review(read_previous(reports["sep"]), book, AS_OF)
        for path in write_review(result, tmp_path / attempt):
            assert path.read_bytes() == (reports["oct"] / path.name).read_bytes(), path.name


@pytest.mark.parametrize(
    ("as_of", "previous", "expected"),
    [
        (AS_OF, "oct", "not before this report's as-of 2026-10-31"),
        (AS_OF, "book", "not a cashplan report"),
        ("2026-11-30", "other", "not this book"),
    ],
)
def test_refusals_say_what_the_previous_folder_was(
    reports: dict[str, Path], capsys: pytest.CaptureFixture[str], as_of, previous, expected
) -> None:
    if previous == "other":
        other = reports["root"] / "other"
        if not other.exists():
            write_book(make_book(seed=12, n_invoices=1_000, n_customers=10), other / "book")
            main(["report", str(other / "book"), "--as-of", BEFORE, "--out", str(other / "r")])
        folder = other / "r"
    else:
        folder = reports[previous]
    out = reports["root"] / "refused"
    args = ["report", str(reports["book"]), "--as-of", as_of, "--out", str(out)]
    assert main([*args, "--previous", str(folder)]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_last_months_folder_is_never_this_reports_even_through_a_link(
    reports: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """--out naming last month's folder through a link or '..' is refused, --force or not:
    the review would replace the report it reads."""
    root = reports["root"]
    link = root / "link"
    if not link.exists():
        link.symlink_to(root, target_is_directory=True)
    before = (reports["sep"] / "manifest.json").read_bytes()
    for out in (link / "sep", root / "refused" / ".." / "sep"):
        args = ["report", str(reports["book"]), "--as-of", AS_OF, "--out", str(out), "--force"]
        assert main([*args, "--previous", str(reports["sep"])]) == 2
        assert "is the folder this report is written to" in capsys.readouterr().err
    assert (reports["sep"] / "manifest.json").read_bytes() == before
