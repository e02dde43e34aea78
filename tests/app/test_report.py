"""The report's kernel: started before the book is checked, silent, always stopped (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import jupyter_client.manager
import pytest
from jupyter_core.utils import run_sync

from cashplan.app.report import run_report
from cashplan.core.errors import CashplanError
from cashplan.io.export import write_book
from cashplan.sample import make_book
from tests.conftest import HEADER, ROOT


@pytest.fixture
def kernels(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every kernel manager the report creates, kept to ask afterwards whether it is alive."""
    made: list[Any] = []

    class Recorded(jupyter_client.manager.AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(jupyter_client.manager, "AsyncKernelManager", Recorded)
    return made


def _alive(km: Any) -> bool:
    async def ask() -> bool:
        return bool(await km.is_alive())

    return run_sync(ask)()


def test_a_bad_book_stops_the_kernel_started_for_it(book_dir, tmp_path, kernels) -> None:
    book = book_dir(invoices=f"{HEADER}\nF1,C1,2026-13-40,2026-02-09,10\n")
    with pytest.raises(CashplanError, match="issue_date"):
        run_report(book, "2026-10-31", tmp_path / "report")
    assert len(kernels) == 1  # started before the book was read, for the overlap
    assert not kernels[0].has_kernel and not _alive(kernels[0])
    assert not (tmp_path / "report").exists()


def test_the_report_runs_in_that_kernel_silently_and_stops_it(tmp_path, kernels) -> None:
    book = tmp_path / "book"
    write_book(make_book(n_invoices=600, n_customers=6), book)
    out = run_report(book, "2026-10-31", tmp_path / "report")
    assert len(kernels) == 1 and not _alive(kernels[0])  # the one kernel, stopped
    cells = json.loads((out / "report.ipynb").read_text())["cells"]
    counts = [c["execution_count"] for c in cells if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))  # the set-up and the imports: silent
    assert (out / "actions.csv").is_file()  # written in the report folder (``out = "."``)


def test_ipython_is_imported_before_the_export_thread_starts() -> None:
    """Both threads import IPython (the kernel's start, nbconvert): imported by two threads
    at once, pygments' lexers broke the report with "cannot import name 'PythonLexer'"."""
    code = """
import sys, threading
from cashplan.app import report
seen = []
threading.Thread.start = lambda self: seen.append("IPython" in sys.modules)
report._prepare_export()
print(seen)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    assert done.stdout.strip() == "[True]"
