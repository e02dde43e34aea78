"""The analysis ``cashplan report`` hands over to its kernel (issue 18: a warm report under
6 s): used only for the same book files and settings, never stale, never in the report."""

from __future__ import annotations

import ast
import pickle
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cashplan.app.notebook as nb
from cashplan.app import report
from cashplan.io.book import read_book
from cashplan.io.export import write_book
from cashplan.sample import make_book

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hand-over") / "book"
    write_book(make_book(n_invoices=600, n_customers=6), folder)
    return folder


def _parameters(book: Path, **given: Any) -> dict[str, Any]:
    """What the report notebook's parameters cell holds: its defaults, then the command's."""
    defaults = {n: ast.literal_eval(p["default"]) for n, p in report.report_parameters().items()}
    return {**defaults, "book": str(book), "as_of": AS_OF, "company": "", **given}


def _load(parameters: dict[str, Any]) -> Any:
    """``nb.load`` called as the notebook's first cell calls it."""
    taken = ("company", "currency", "spending", "catch_up", "threshold", "safety_margin")
    taken += ("dispute_policy", "discount_rate", "cost_of_funds", "cash_floor")
    return nb.load(parameters["book"], parameters["as_of"], **{k: parameters[k] for k in taken})


@pytest.fixture
def handed(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The analysis of ``book`` with the notebook's defaults, handed over as the report does."""
    path = tmp_path / "analysis.pickle"
    report._hand_over(read_book(book), path, _parameters(book))
    monkeypatch.setenv(nb.ANALYSIS_ENV, str(path))
    return path


def test_load_takes_the_analysis_handed_over_for_the_same_book_and_settings(
    book: Path, handed: Path
) -> None:
    a = _load(_parameters(book))
    shown = ("forecast", "gap", "plan", "scenario_comparison", "customer_table", "_reminders")
    assert all(name in a.__dict__ for name in shown)  # computed by the command, not here
    fresh = nb.Analysis(read_book(book), a.settings)
    pd.testing.assert_frame_equal(a.gap, fresh.gap)
    pd.testing.assert_frame_equal(a.plan.actions, fresh.plan.actions)
    pd.testing.assert_frame_equal(a.reminders(), fresh.reminders())


def test_load_computes_afresh_for_other_settings(book: Path, handed: Path) -> None:
    a = _load(_parameters(book, threshold=55.0))
    assert "forecast" not in a.__dict__ and a.settings.threshold == 55.0
    assert "forecast" not in _load(_parameters(book, currency="GBP")).__dict__


def test_load_computes_afresh_for_another_book_or_a_changed_file(
    book: Path, handed: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(book, other)  # the same files at another path
    assert "forecast" not in _load(_parameters(other)).__dict__
    customers = book / "customers.csv"
    original = customers.read_bytes()
    try:  # a file changed after the command handed the analysis over
        customers.write_bytes(original + b"\n")
        assert "forecast" not in _load(_parameters(book)).__dict__
    finally:
        customers.write_bytes(original)
    assert "forecast" in _load(_parameters(book)).__dict__  # the same files again


def test_load_computes_afresh_without_one_or_from_a_file_that_does_not_load(
    book: Path, handed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed.write_bytes(b"not a pickle")
    assert "forecast" not in _load(_parameters(book)).__dict__
    handed.unlink()
    assert "forecast" not in _load(_parameters(book)).__dict__
    monkeypatch.delenv(nb.ANALYSIS_ENV)
    assert "forecast" not in _load(_parameters(book)).__dict__


def test_a_hand_over_that_fails_leaves_no_file(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "analysis.pickle"
    data = read_book(book)
    report._hand_over(data, path, _parameters(book, threshold=-5))  # the notebook says why
    assert list(tmp_path.iterdir()) == []

    def cut_short(*args: Any, **kwargs: Any) -> None:
        args[1].write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pickle, "dump", cut_short)
    report._hand_over(data, path, _parameters(book))
    assert list(tmp_path.iterdir()) == []


def test_no_hand_over_for_a_book_over_the_limit(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "_HAND_OVER_MAX", 599)
    report._hand_over(read_book(book), tmp_path / "analysis.pickle", _parameters(book))
    assert list(tmp_path.iterdir()) == []


def test_the_report_kernel_shows_the_analysis_handed_over_and_leaves_no_trace(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a marked analysis under the right key: the report's figures must be the marked ones
    real = report._hand_over

    def marked(data: Any, path: Path, values: Any) -> None:
        real(data, path, values)
        key, a = pickle.loads(path.read_bytes())
        a.__dict__["kpis"] = a.kpis.assign(cei=0.25)
        path.write_bytes(pickle.dumps((key, a)))

    monkeypatch.setattr(report, "_hand_over", marked)
    out = report.run_report(book, AS_OF, tmp_path / "report")
    kpis = pd.read_csv(out / "kpis.csv")
    assert (kpis["cei"] == 0.25).all()  # the book's own CEIs are not
    names = {p.name for p in out.rglob("*")} | {p.name for p in tmp_path.iterdir()}
    assert not [n for n in names if "analysis" in n or "snapshot" in n]
