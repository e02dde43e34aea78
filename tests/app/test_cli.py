"""The cashplan command: a summary, problems not tracebacks, checked arguments, no overwriting."""

from __future__ import annotations

import pytest

from cashplan.app.cli import main
from tests.conftest import HEADER, SAMPLE


def test_cli_summary_on_the_sample(capsys):
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "Cash need and targets",
        "Aged balance by company",
        "Aged balance by owner",
        "KPIs",
    ):
        assert heading in out
    assert "2027-04" in out and "ALL" in out


def test_cli_bad_book_prints_problems_not_a_traceback(book_dir, capsys):
    folder = book_dir(invoices=HEADER + "\nF1,C1,2026-01-10,2026-01-01,10\n")
    assert main(["summary", str(folder), "--as-of", "2026-10-31"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invoices.csv, line 2, column 'due_date'" in captured.err
    assert "Traceback" not in captured.err


def test_cli_unknown_company_and_bad_date(capsys):
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31", "--company", "XX"]) == 2
    assert "it has: FR01, UK01" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["summary", str(SAMPLE), "--as-of", "31/10/2026"])
    assert "write it as YYYY-MM-DD" in capsys.readouterr().err


def test_cli_sample_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "keep.csv").write_text("x")
    assert main(["sample", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err


def test_a_report_job_runs_the_installed_cashplan_not_one_in_the_working_folder(
    tmp_path, monkeypatch
):
    # the README's `pip install . && cashplan report ...` runs in a checkout: its
    # cashplan folder must not shadow the installed package in the job's process
    from cashplan.app.report import ReportJob, run_reports

    (tmp_path / "cashplan").mkdir()
    (tmp_path / "cashplan" / "__init__.py").write_text("raise ImportError('the checkout')\n")
    monkeypatch.chdir(tmp_path)
    job = ReportJob(tmp_path / "no-book", tmp_path / "out", "", None)
    result = run_reports([job], "2026-10-31", {}, workers=1)[job]
    assert isinstance(result, Exception)
    assert "the checkout" not in str(result) and "no-book" in str(result), result


def test_a_report_here_from_another_thread_reports_the_book_not_the_signal_handler(tmp_path):
    # SIGTERM's handler can be set from the main thread only: elsewhere the report runs without
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from cashplan.app.report import ReportJob, run_report_here
    from cashplan.core.errors import CashplanError

    job = ReportJob(tmp_path / "no-book", tmp_path / "out")
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_report_here, job, "2026-10-31", {}, False)
        with pytest.raises(CashplanError, match="no-book"):
            future.result()
    assert not (tmp_path / "out").exists()
