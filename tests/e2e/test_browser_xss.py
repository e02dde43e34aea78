"""``report.html`` in headless Chromium: text from the book never runs (trust issue 6).

A small book whose names, owners, a customer id and a company id are HTML payloads goes
through ``run_report``; the page must run none of them (``window.__xss`` stays undefined),
give no element an event handler, and show every payload as text, in the tables, the
summary, the chart labels and a chart's hover label.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cashplan.app.report import run_report
from cashplan.io.export import write_book
from cashplan.sample import make_book
from tests.e2e import test_browser
from tests.e2e.test_browser import WAIT, _free_port, _server

browser = test_browser.browser  # the fixtures: Chromium (per module), a page with its screenshot
page = test_browser.page

AS_OF = "2026-10-31"
NAME = '<img src=x onerror="window.__xss=1">'
OWNER = "<script>window.__xss=2</script>"
ATTR = '"><svg onload=window.__xss=3>'
CUSTOMER = "<img src=x onerror=window.__xss=4>"  # no "/" in ids: validation refuses it
COMPANY = "<img src=x onerror=window.__xss=5>"
HANDLERS_JS = """() => Array.from(document.querySelectorAll('*')).flatMap(e =>
    Array.from(e.attributes).filter(a => a.name.toLowerCase().startsWith('on'))
        .map(a => `${e.tagName} ${a.name}`))"""
HOVER_JS = """(needle) => {
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        for (const [c, trace] of gd.data.entries()) {
            const i = (trace.text || []).findIndex(t => String(t).includes(needle));
            if (i >= 0) {
                Plotly.Fx.hover(gd, [{curveNumber: c, pointNumber: i}]);
                const layer = gd.querySelector('.hoverlayer');
                return {text: layer.textContent, tags: layer.querySelectorAll('img, a').length};
            }
        }
    }
    return null;
}"""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small book whose names, owners, one customer id and one company id are payloads."""
    frames = make_book(n_invoices=600, n_customers=6)
    customers = frames["customers"]
    first = customers["customer_id"].iloc[0]
    for table in ("customers", "invoices", "promises"):
        frames[table]["customer_id"] = frames[table]["customer_id"].replace(first, CUSTOMER)
    payloads = [NAME, OWNER, ATTR]
    customers["name"] = [payloads[i % 3] for i in range(len(customers))]
    customers["owner"] = [payloads[(i + 1) % 3] for i in range(len(customers))]
    for frame in frames.values():
        if "company" in frame:
            frame["company"] = frame["company"].replace("UK01", COMPANY)
    folder = tmp_path_factory.mktemp("xss") / "book"
    write_book(frames, folder)
    return folder


@pytest.fixture(scope="module")
def report(book: Path) -> Path:
    # a large need: every customer is in the battle plan, so every name and owner is shown
    big = {"spending": {"salaries": 1e9}}
    return run_report(book, AS_OF, book.parent / "report", parameters=big)


@pytest.fixture
def app(book: Path) -> Iterator[str]:
    """``cashplan app`` on the payload book: its URL, with its token."""
    port, token = _free_port(), "xss-test-token"
    command = [
        sys.executable,
        "-m",
        "cashplan",
        "app",
        str(book),
        "--as-of",
        AS_OF,
        "--user",
        "xss test",
        "--no-browser",
        "--port",
        str(port),
        f"--token={token}",  # a token may start with "-", which argparse would take for an option
    ]
    static = f"http://127.0.0.1:{port}/voila/static/voila.js"  # up, without starting a kernel
    with _server(command, book.parent, static, book.parent / "app.log"):
        yield f"http://127.0.0.1:{port}/?token={token}"


def _assert_nothing_ran(page: Any) -> None:
    page.wait_for_timeout(500)  # an onerror would fire once the broken image fails
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate(HANDLERS_JS) == []


def test_report_html_runs_no_script_from_the_book(report: Path, page: Any) -> None:
    page.goto((report / "report.html").as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 8", timeout=60_000
    )
    _assert_nothing_ran(page)
    assert page.locator("script:text('window.__xss')").count() == 0
    text = page.inner_text("body")
    for payload in (NAME, OWNER, ATTR, CUSTOMER, COMPANY):
        assert payload in text, payload  # tables, and the aged chart's company axis
    hover = page.evaluate(HOVER_JS, "onerror=window.__xss=4")
    assert hover is not None and CUSTOMER in hover["text"] and hover["tags"] == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert not page.errors, page.errors


# the server fixture comes before ``page``: the screenshot is taken while it still runs
def test_app_shows_the_book_as_text(app: str, page: Any) -> None:
    page.goto(app, timeout=WAIT)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 8", timeout=WAIT
    )
    page.locator(".widget-html", has_text="P(target met)").first.wait_for(timeout=WAIT)
    _assert_nothing_ran(page)
    plan = page.locator(
        ".widget-html", has_text="the cash the action is expected"
    ).first.inner_text()
    assert NAME in plan and OWNER in plan and COMPANY in plan
    page.locator(".widget-dropdown:has(label:text-is('Company')) select").select_option(
        label=COMPANY
    )
    page.locator(".widget-html", has_text=f"{COMPANY}, as of").first.wait_for(timeout=60_000)
    _assert_nothing_ran(page)
    assert not page.errors, page.errors
