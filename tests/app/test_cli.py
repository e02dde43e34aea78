"""The cashplan command: a summary, problems not tracebacks, checked arguments, no overwriting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cashplan.app.cli import main
from tests.conftest import HEADER, ROOT, SAMPLE


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


def test_importing_cashplan_and_its_command_imports_neither_pandas_nor_the_rest():
    # what lets `cashplan report` start its kernel about 0.2 s after the process starts
    code = (
        "import sys, cashplan, cashplan.app.cli, cashplan.app.report, cashplan.app._job\n"
        "heavy = ('pandas', 'numpy', 'numba', 'papermill', 'cashplan.io.book')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()
    )
    assert done.stdout.strip() == "[]"


def test_every_public_name_of_cashplan_is_there_when_used():
    import importlib

    import cashplan

    for name in cashplan.__all__:
        value = getattr(cashplan, name)
        assert value is getattr(importlib.import_module(cashplan._HOME[name]), name)
    assert set(cashplan.__all__) <= set(dir(cashplan))
    namespace: dict[str, object] = {}
    exec("from cashplan import *", namespace)
    assert set(cashplan.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cashplan.nothing  # noqa: B018


def test_the_report_starts_its_kernel_before_importing_pandas_and_ctrl_c_prints_one_line(
    tmp_path,
):
    # the kernel's start is what the report waits for: nothing heavy comes before it; a
    # Ctrl-C that early (the command's first second) prints one line, not a traceback
    argv = ["report", str(SAMPLE), "--as-of", "2026-10-31", "--out", str(tmp_path / "r")]
    code = f"""
import sys
from cashplan.app import cli, report

def interrupted():
    print("pandas" in sys.modules, flush=True)
    raise KeyboardInterrupt

report._kernel = interrupted
sys.exit(cli.main({argv!r}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert done.stdout.strip() == "False"
    assert done.stderr.splitlines() == [
        "cashplan report: interrupted; nothing half-written is left"
    ]
    assert done.returncode == 130 and list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_arguments_are_read_prints_one_line(monkeypatch, capsys):
    import argparse

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", interrupted)
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31"]) == 130
    assert capsys.readouterr().err == "cashplan: interrupted; nothing half-written is left\n"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_the_command_leaves_its_objects_to_the_exit_not_to_the_collector():
    # run as the command (no argv given), main freezes what the process holds: its exit
    # does not walk every object of pandas, numba, papermill... again; called with
    # arguments (a test, a notebook), it leaves the collector alone
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, flush=True))\n"
        "from cashplan.app.cli import main\n"
        "sys.argv = ['cashplan', 'summary', 'no-book', '--as-of', '2026-10-31']\n"
        "main(['summary', 'no-book', '--as-of', '2026-10-31'])\n"
        "print('after a call', gc.get_freeze_count() > 0, flush=True)\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert done.stdout.split("\n")[:2] == ["after a call False", "frozen True"]
    assert done.returncode == 2 and "no-book" in done.stderr


def test_an_app_token_starting_with_a_dash_is_taken_when_written_with_an_equals_sign() -> None:
    # secrets.token_urlsafe starts with "-" one time in 64: the browser tests passed
    # "--token", token, and argparse refused it as a missing value (a flaky CI error)
    from cashplan.app.cli import _parser

    args = _parser().parse_args(["app", "book", "--as-of", "2026-10-31", "--token=-Ab_9"])
    assert args.token == "-Ab_9"
    with pytest.raises(SystemExit):
        _parser().parse_args(["app", "book", "--as-of", "2026-10-31", "--token", "-Ab_9"])
