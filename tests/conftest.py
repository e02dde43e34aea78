"""Shared fixtures: small books written as files, and the bundled sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cashplan import Book, read_book

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"

HEADER = "invoice_id,customer_id,issue_date,due_date,amount"


@pytest.fixture
def book_dir(tmp_path: Path):
    """Write files into a fresh book folder: ``book_dir(invoices="csv text", ...)``."""

    def make(encoding: str = "utf-8", **tables: str | bytes) -> Path:
        folder = tmp_path / "book"
        folder.mkdir(exist_ok=True)
        for name, content in tables.items():
            path = folder / (name if "." in name else f"{name}.csv")
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding=encoding, newline="")
        return folder

    return make


@pytest.fixture(scope="session")
def sample_book() -> Book:
    return read_book(SAMPLE)


def invoices_frame(**columns: list[object]) -> pd.DataFrame:
    """A small invoices table with sensible defaults for the required columns."""
    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "invoice_id": [f"F{i}" for i in range(1, n + 1)],
        "customer_id": ["C1"] * n,
        "issue_date": ["2026-09-01"] * n,
        "due_date": ["2026-10-01"] * n,
        "amount": ["100"] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def no_spending() -> pd.DataFrame:
    """An empty spending table with only the required columns (no ``day``, no ``date``)."""
    return pd.DataFrame(
        {
            "month": pd.Series([], dtype="datetime64[us]"),
            "category": pd.Series([], dtype=object),
            "amount": pd.Series([], dtype=float),
            "company": pd.Series([], dtype=object),
            "currency": pd.Series([], dtype=object),
        }
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Let fixtures know whether their test failed (the browser tests name screenshots so)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.failed = report.failed  # type: ignore[attr-defined]
