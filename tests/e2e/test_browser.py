"""The workbook in a real browser: JupyterLab and the code-free app, in headless Chromium (issue 7).

Each test starts its server on 127.0.0.1 (JupyterLab with a token; ``cashplan app``)
in a copy of the notebooks and the sample book, drives Debian's Chromium with
Playwright as a user would (typing, clicking), and stops every process it started.
Screenshots at a laptop's size (1366x768) go to ``test-artifacts/``: on failure, to
see what broke, and on success, to check the layout by eye.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.app.workbook import parse_money
from cashplan.io.book import read_book
from tests.conftest import ROOT, SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
AS_OF = "2026-10-31"
SPENDING_LABEL = "FR01 salaries (EUR/month)"
CHARTS = ("gap", "weekly", "aged", "scores")
# each chart's traces' y by name (null while its output is being drawn again)
CHARTS_JS = f"""() => Object.fromEntries({list(CHARTS)}.map(name => {{
    const plot = document.querySelector(`.cashplan-chart-${{name}} .js-plotly-plot`);
    return [name, plot && plot.data ? plot.data.map(t => t.y) : null];
}}))"""
WAIT = 180_000  # ms: a cold JupyterLab on a 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(command: list[str], cwd: Path, url: str, log: Path) -> Iterator[None]:
    """Run a server in its own process group until the test ends, then stop all of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHPLAN_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + WAIT / 1000
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"server stopped: {log.read_text()[-2000:]}")
                try:
                    urllib.request.urlopen(url, timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"server not up: {log.read_text()[-2000:]}") from None
                    time.sleep(0.5)
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=15)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
            assert proc.poll() is not None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The notebooks and the sample book, copied: the test's edits never touch the repository."""
    (tmp_path / "notebooks").mkdir()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copyfile(nb.resolve(), tmp_path / "notebooks" / nb.name)
    shutil.copytree(SAMPLE, tmp_path / "data" / "sample")
    return tmp_path


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.errors = errors
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    failed = getattr(request.node, "failed", True)  # set by conftest's report hook
    for old in ARTIFACTS.glob(f"{request.node.name}*.png"):
        old.unlink()
    name = f"{request.node.name}{'-FAILED' if failed else ''}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.close()


def _charts(page: Any) -> dict[str, list[list[float]] | None]:
    return page.evaluate(CHARTS_JS)


def _wait_for(page: Any, found: Any, what: str) -> Any:
    """Wait until ``found()`` gives something (not None), with the loaded machine's deadline."""
    deadline = time.monotonic() + WAIT / 1000
    while time.monotonic() < deadline:
        result = found()
        if result is not None:
            return result
        page.wait_for_timeout(250)
    raise AssertionError(what)


def _wait_for_change(page: Any, before: dict[str, Any], name: str) -> list[list[float]]:
    """Wait for a chart's data to change (a chart being drawn again is not yet a change)."""

    def changed() -> list[list[float]] | None:
        now = _charts(page)[name]
        return now if now is not None and now != before[name] else None

    return _wait_for(page, changed, f"the {name} chart did not change")


def _promise_target() -> pd.Series:
    """An open invoice the forecast places in January or later, from its own history."""
    a = Analysis(read_book(SAMPLE), Settings(as_of=AS_OF))
    fc = a.forecast.invoices
    late = fc.loc[(fc["basis"] == "history") & (fc["expected_date"] > "2027-01-10")]
    return late.sort_values("invoice_id").iloc[0]


def _check_workbook(page: Any, book: Path) -> None:
    """What a CFO does: change a spending, enter a promise; the figures follow."""
    page.wait_for_function(
        f"() => Object.values(({CHARTS_JS})()).every(y => y !== null)", timeout=WAIT
    )
    assert "Error displaying widget" not in page.inner_text("body")
    assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    before = _charts(page)
    summary = page.locator(".widget-html", has_text="P(target met)").first
    shown = summary.inner_text()
    box = page.locator(f".widget-text:has(label:text-is('{SPENDING_LABEL}')) input")
    old = parse_money(box.input_value())
    box.fill(f"{old + 250_000:,.2f}")
    box.press("Enter")
    targets = _wait_for_change(page, before, "gap")
    assert targets[2][-1] > before["gap"][2][-1]  # the last month's target went up
    # the summary is its own widget: its new text may come after the chart's
    _wait_for(page, lambda: summary.inner_text() != shown or None, "the summary did not change")
    # a promise to pay, typed in as a user would
    item = _promise_target()
    original = (book / "promises.csv").read_bytes()
    try:
        customer = page.locator("input[placeholder='customer id']").first
        customer.click()
        customer.type(item["customer_id"], delay=20)
        customer.press("Tab")
        invoice = page.locator(".widget-dropdown:has(label:text-is('Invoice')) select").first
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('option')).some(o => o.value === "
            f"'{item['invoice_id']}' || o.textContent === '{item['invoice_id']}')",
            timeout=WAIT,
        )
        invoice.select_option(label=item["invoice_id"])
        page.locator(".widget-datepicker:has(label:text-is('Promised for')) input").first.fill(
            "2026-11-12"
        )
        weekly = _charts(page)
        page.get_by_role("button", name="Save promise").click()
        page.get_by_text("Saved: promise").wait_for(timeout=WAIT)
        _wait_for_change(page, weekly, "weekly")
        saved = read_book(book).promises.iloc[-1]
        assert saved["invoice_id"] == item["invoice_id"] and saved["recorded_on"] == pd.Timestamp(
            AS_OF
        )
    finally:
        (book / "promises.csv").write_bytes(original)  # clean the promise it wrote
    assert (book / "promises.csv").read_bytes() == original
    assert not page.errors, page.errors


@pytest.fixture
def lab(workspace: Path) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 with a token, serving the copied notebooks: its URL."""
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={workspace / 'notebooks'}",
    ]
    base = f"http://127.0.0.1:{port}"
    with _server(command, workspace, f"{base}/api/status?token={token}", workspace / "lab.log"):
        yield f"{base}/lab/tree/01-cash-workbook.ipynb?reset&token={token}"


@pytest.fixture
def app(workspace: Path) -> Iterator[str]:
    """``cashplan app`` on the copied sample book: its URL, with its token."""
    port, token = _free_port(), secrets.token_urlsafe(16)
    book = workspace / "data" / "sample"
    command = [
        sys.executable,
        "-m",
        "cashplan",
        "app",
        str(book),
        "--as-of",
        AS_OF,
        "--user",
        "Browser test",
        "--no-browser",
        "--port",
        str(port),
        f"--token={token}",  # a token may start with "-", which argparse would take for an option
    ]
    url = f"http://127.0.0.1:{port}/?token={token}"
    with _server(
        command, workspace, f"http://127.0.0.1:{port}/voila/static/voila.js", workspace / "app.log"
    ):
        yield url


def _status(url: str, host: str | None = None) -> int:
    """The HTTP status of a GET, redirects not followed."""

    class _Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.build_opener(_Stay).open(request, timeout=WAIT / 1000) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_the_app_needs_its_token_and_a_local_host_name(app: str) -> None:
    without = app.split("?")[0]
    assert _status(without) in (302, 403)  # to the login page, never the workbook
    assert _status(app, host="attacker.example.com") == 403  # DNS rebinding
    assert _status(app) == 200


def test_the_report_makes_no_network_request(browser: Any, tmp_path: Path) -> None:
    from cashplan.app.report import run_report
    from cashplan.io.export import write_book
    from cashplan.sample import make_book

    write_book(make_book(n_invoices=600, n_customers=6), tmp_path / "book")
    out = run_report(tmp_path / "book", AS_OF, tmp_path / "report")
    page = browser.new_page()
    outside: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto((out / "report.html").as_uri(), wait_until="load", timeout=WAIT)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=WAIT
    )
    page.wait_for_load_state("networkidle", timeout=WAIT)
    page.close()
    assert outside == []


# the server fixtures come before ``page``: the screenshot is taken while they still run
def test_workbook_in_jupyterlab(lab: str, page: Any, workspace: Path) -> None:
    page.goto(lab, timeout=WAIT)
    page.locator(".jp-Notebook").first.wait_for(timeout=WAIT)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=WAIT)  # kernel connected
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
        ".every(p => /\\[\\d+\\]/.test(p.textContent))",
        timeout=WAIT,
    )
    _check_workbook(page, workspace / "data" / "sample")


def test_code_free_app(app: str, page: Any, workspace: Path) -> None:
    page.goto(app, timeout=WAIT)
    assert page.locator(".jp-InputArea-editor").count() == 0  # no code shown
    _check_workbook(page, workspace / "data" / "sample")
    assert "import os" not in page.inner_text("body")
