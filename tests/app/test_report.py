"""The report's kernel (started before the book is checked, silent, always stopped) and its
HTML page's charts (issue 18: a warm report's fixed costs)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from typing import Any

import jupyter_client.manager
import nbformat
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from jupyter_core.utils import run_sync

from cashplan.app.report import run_report, to_html
from cashplan.core.errors import CashplanError
from cashplan.io.export import write_book
from cashplan.sample import make_book
from tests.conftest import HEADER, ROOT

_MIME = "application/vnd.plotly.v1+json"


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
    assert not _alive(kernels[0]) and not os.path.exists(kernels[0].connection_file)
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


def _charts(html: str) -> list[list[Any]]:
    """The data, layout and config of each ``Plotly.newPlot`` call of a page."""
    decoder, charts = json.JSONDecoder(), []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"chart-\d+",\s*', html):
        at, parts = match.end(), []
        for _ in range(3):
            value, at = decoder.raw_decode(html, at)
            parts.append(value)
            at += len(html[at:]) - len(html[at:].lstrip(", \n"))
        charts.append(parts)
    return charts


def test_the_page_draws_each_chart_as_plotly_builds_it(tmp_path) -> None:
    """The charts' JSON goes to the page as the notebook holds it (not rebuilt as a Figure):
    the same figure as plotly's own, plotly.js once, the config kept."""
    figure = go.Figure(
        [go.Bar(x=["2026-11", "2026-12"], y=[1.5, -2.0], name="<b>gap</b>"), go.Scatter(y=[1, 2])],
        layout={"template": "plotly_white", "title": "t", "separators": ".,"},
    )
    mime = json.loads(pio.to_json(figure))
    notebook = nbformat.v4.new_notebook()
    for _ in range(2):
        output = nbformat.v4.new_output("display_data", data={_MIME: mime})
        notebook.cells.append(nbformat.v4.new_code_cell("", outputs=[output]))
    nbformat.write(notebook, tmp_path / "report.ipynb")
    html = to_html(tmp_path / "report.ipynb")
    charts = _charts(html)
    expected = json.loads(pio.to_json(go.Figure(mime)))
    assert len(charts) == 2 and html.count("plotly.js v") == 1
    for data, layout, config in charts:
        assert {"data": data, "layout": layout} == expected
        assert config == {"displaylogo": False, "responsive": True}


def test_a_signal_during_the_import_of_the_kernels_client_takes_effect_after_it() -> None:
    # a Ctrl-C that landed in pyzmq's module set-up (the command's first second) segfaulted
    from cashplan.app.report import _signals_after

    done = []
    with pytest.raises(KeyboardInterrupt):
        with _signals_after():
            signal.raise_signal(signal.SIGINT)
            done.append("the import")  # not cut short
    assert done == ["the import"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with _signals_after():
        done.append("nothing held")
    assert done == ["the import", "nothing held"]


def test_the_cleanup_after_a_signal_imports_no_pandas() -> None:
    # SIGTERM while the command imported numpy for the check left it half-imported; the
    # cleanup then imported io.folders (pandas, through core.errors), which failed with
    # "Unable to import required dependency numpy": a traceback and exit 1 instead of 143,
    # and the kernel not killed. Here pandas cannot be imported at all.
    code = """
import contextlib, sys
from cashplan.app import report
sys.modules["pandas"] = None  # import pandas now raises ImportError

class Process:
    killed = False
    def poll(self): return None
    def kill(self): Process.killed = True
    def wait(self, timeout): return 0

class Km:
    provisioner = type("P", (), {"process": Process()})()
    def cleanup_connection_file(self): print("connection file removed")

report._stop(Km())
print("killed" if Process.killed else "alive")

@contextlib.contextmanager
def signalled():
    raise KeyboardInterrupt
    yield

report._kernel = signalled
try:
    report.run_report("book", "2026-10-31", "out")
except BaseException as exc:
    print(type(exc).__name__)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines() == [
        "connection file removed",
        "killed",
        "KeyboardInterrupt",
    ], done.stderr
