"""A report reads its book once: the kernel loads the book the report checked (issue 18)."""

from __future__ import annotations

import dataclasses
import json
import os

import pandas as pd

import cashplan.io.book as book_module
from cashplan.app import report
from cashplan.app.report import run_report
from cashplan.io.snapshot import SNAPSHOT_ENV
from tests.conftest import SAMPLE


def test_the_notebook_uses_the_checked_book_and_the_snapshot_leaves_no_trace(tmp_path, monkeypatch):
    saved = book_module.save_snapshot

    def marked(book, folder):  # only the snapshot has this owner: it shows where it was read
        customers = book.customers.assign(owner="Snapshot Owner")
        saved(dataclasses.replace(book, customers=customers), folder)

    monkeypatch.setattr(book_module, "save_snapshot", marked)
    # the snapshot alone: without the analysis the command hands over with it (which is
    # made from the same checked book; tests/app/test_notebook.py)
    monkeypatch.setattr(report, "_hand_over", lambda *args: None)
    out = run_report(SAMPLE, "2026-10-31", tmp_path / "report")
    actions = pd.read_csv(out / "actions.csv")
    owners = set(pd.read_csv(SAMPLE / "customers.csv")["owner"])
    assert "Snapshot Owner" in set(actions["owner"])
    assert not owners & set(actions["owner"])  # no owner read from the book's file
    files = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert not any("snapshot" in f for f in files)
    manifest = json.loads((out / "manifest.json").read_text())
    assert {o["file"] for o in manifest["outputs"]} | {"manifest.json"} == {
        f for f in files if (out / f).is_file()
    }
    assert [i["table"] for i in manifest["inputs"]] == [
        "invoices",
        "customers",
        "promises",
        "spending",
        "fx_rates",
        "scenarios",
    ]  # the original files, as the check read them
    notebook = (out / "report.ipynb").read_text()
    assert "snapshot" not in notebook and SNAPSHOT_ENV not in notebook
    assert str(tmp_path) not in notebook
    assert SNAPSHOT_ENV not in os.environ
