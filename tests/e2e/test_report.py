"""``cashplan report`` end to end on the sample book, through the CLI (issue 5)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cashplan.app.cli import main
from cashplan.app.report import report_parameters
from tests.conftest import SAMPLE

AS_OF = "2026-10-31"
KEY_COLUMNS = {  # data-format.md: the report folder's key columns, in order
    "forecast_invoices": [
        "company",
        "invoice_id",
        "customer_id",
        "open_amount_rc",
        "due_date",
        "expected_date",
        "p10_date",
        "p90_date",
        "basis",
    ],
    "forecast_weekly": ["company", "week_start", "expected", "p10", "p90"],
    "monthly": ["company", "month", "cash_need", "target", "collected", "forecast", "gap"],
    "customers": [
        "company",
        "customer_id",
        "score",
        "reliability",
        "n_settled",
        "avg_days_late",
        "open_amount_rc",
        "overdue_rc",
    ],
    "aging": [
        "company",
        "customer_id",
        "not_due",
        "d1_30",
        "d31_60",
        "d61_90",
        "d90_plus",
        "total",
    ],
    "kpis": ["company", "dso", "best_possible_dso", "add", "cei"],
    "cash_position": [
        "company",
        "week_start",
        "opening",
        "collections",
        "disbursements",
        "closing",
        "closing_p10",
        "closing_p90",
        "below_floor",
    ],
    "actions": [
        "company",
        "rank",
        "customer_id",
        "owner",
        "lever",
        "amount_rc",
        "cumulative_rc",
        "cost_rc",
    ],
    "scenarios": [
        "scenario",
        "company",
        "month",
        "total_forecast",
        "gap",
        "probability",
        "closing_cash",
    ],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "sample"
    assert main(["report", str(SAMPLE), "--as-of", AS_OF, "--out", str(out)]) == 0
    return out


def test_report_folder_has_every_file_with_its_key_columns(report: Path) -> None:
    for name, columns in KEY_COLUMNS.items():
        frame = pd.read_csv(report / f"{name}.csv")
        assert frame.columns[: len(columns)].tolist() == columns, name
        assert len(frame) > 0, name
    weekly = pd.read_csv(report / "forecast_weekly.csv", parse_dates=["week_start"])
    assert (weekly["week_start"].dt.day_of_week == 0).all()
    assert set(weekly["company"]) == {"FR01", "UK01", "ALL"}
    monthly = pd.read_csv(report / "monthly.csv")
    assert monthly.groupby("company").size().tolist() == [18, 18, 18]  # 12 up to as-of + 6
    for path in ("battle-plan.xlsx", "report.ipynb", "report.html", "manifest.json"):
        assert (report / path).stat().st_size > 0
    assert len(list((report / "reminders").glob("*.fr.txt"))) > 10


def test_manifest_names_every_input_with_its_sha256(report: Path) -> None:
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["as_of"] == AS_OF and manifest["reporting_currency"] == "EUR"
    inputs = {Path(i["file"]).name: i["sha256"] for i in manifest["inputs"]}
    assert set(inputs) == {p.name for p in SAMPLE.iterdir()}
    for name, digest in inputs.items():
        assert hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest() == digest
    outputs = {o["file"]: o["sha256"] for o in manifest["outputs"]}
    assert (
        hashlib.sha256((report / "monthly.csv").read_bytes()).hexdigest() == outputs["monthly.csv"]
    )


def test_report_html_is_self_contained_and_the_notebook_is_small(report: Path) -> None:
    html = (report / "report.html").read_text()
    assert html.count('id="chart-') == 6  # six charts (the sixth: scenarios), by embedded plotly.js
    assert html.count("plotly.js v") >= 1  # embedded once, not fetched from a CDN
    assert not re.search(r"<script[^>]*src=\"[^\"]*plot", html)
    assert "nb.load(" not in html  # code hidden from the client
    assert "Battle plan" in html and "Data lineage" in html
    nb = nbformat.read(report / "report.ipynb", as_version=4)
    assert "widgets" not in nb.metadata
    assert (report / "report.ipynb").stat().st_size < 500_000
    # the executed notebook shows the same plan as actions.csv
    actions = pd.read_csv(report / "actions.csv")
    assert f"{actions['amount_rc'].iloc[0]:,.0f}" in html


def test_report_refuses_to_overwrite_and_rejects_unknown_parameters(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (report / "manifest.json").read_bytes()
    assert main(["report", str(SAMPLE), "--as-of", AS_OF, "--out", str(report)]) == 2
    assert "--force" in capsys.readouterr().err
    code = main(
        [
            "report",
            str(SAMPLE),
            "--as-of",
            AS_OF,
            "--out",
            str(report.parent / "x"),
            "--param",
            "catchup=3",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "catchup" in err and "catch_up" in err
    assert not (report.parent / "x").exists()
    assert (report / "manifest.json").read_bytes() == before
    assert {"catch_up", "threshold", "spending", "safety_margin"} <= set(report_parameters())


def test_several_reports_in_parallel_and_a_bad_book_does_not_stop_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    text = (bad / "invoices.csv").read_text().splitlines()
    text[5] = text[5].replace("2023-11-01", "2023-13-01", 1)  # line 6: an impossible date
    (bad / "invoices.csv").write_text("\n".join(text) + "\n")
    out = tmp_path / "reports"
    code = main(
        [
            "report",
            str(SAMPLE),
            str(bad),
            "--as-of",
            AS_OF,
            "--out",
            str(out),
            "--company",
            "UK01",
            "--param",
            "catch_up=3",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "FAILED" in err and "invoices.csv, line 6" in err
    assert (out / "sample_UK01" / "report.html").exists()
    assert not (out / "bad_UK01").exists()  # nothing half-written
    monthly = pd.read_csv(out / "sample_UK01" / "monthly.csv")
    assert set(monthly["company"]) == {"UK01"}
    manifest = json.loads((out / "sample_UK01" / "manifest.json").read_text())
    assert manifest["parameters"]["catch_up"] == 3 and manifest["company"] == "UK01"
