"""The DSO-family KPIs on the worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import (
    Book,
    best_possible_dso,
    cei,
    dso_countback,
    dso_standard,
    kpis,
)
from tests.conftest import invoices_frame


def test_dso_standard_worked_example():
    """AR 15,000, sales 10,000 over 30 days -> 45 days."""
    assert dso_standard(15_000, 10_000, 30) == 45.0


def test_dso_countback_worked_example():
    """AR 212,000; sales 100,000 / 80,000 / 70,000 latest first, 30-day months:
    30 + 30 + 32,000 / 70,000 x 30 = 73.7."""
    assert dso_countback(212_000, [100_000, 80_000, 70_000], [30, 30, 30]) == pytest.approx(
        73.714, abs=1e-3
    )


def test_best_possible_dso_and_add_worked_example():
    """Best possible: 4,000 / 10,000 x 30 = 12; ADD = 45 - 12 = 33."""
    assert best_possible_dso(4_000, 10_000, 30) == 12.0
    assert dso_standard(15_000, 10_000, 30) - best_possible_dso(4_000, 10_000, 30) == 33.0


def test_cei_hand_example():
    """Opening 100, sales 50, closing 90 of which 60 current: (150 - 90) / (150 - 60) = 66.7 %."""
    assert cei(100, 50, 90, 60) == pytest.approx(66.667, abs=1e-3)


def test_countback_edge_cases():
    assert dso_countback(0, [10], [30]) == 0.0
    assert dso_countback(50, [10, 10], [30, 31]) == pytest.approx(61 + 30 / 10 * 31)
    assert np.isnan(dso_countback(50, [0, 0], [30, 31]))


def test_kpis_on_a_small_ledger():
    """As of 2026-10-31. Sales of the last 365 days: 1,000 + 2,000 + 3,000 = 6,000.
    Open: F2 (2,000, due 10-15, overdue) and F3 (3,000, due 11-19, not due) = 5,000.
    DSO = 5,000 / 6,000 x 365 = 304.17; best = 3,000 / 6,000 x 365 = 182.5; ADD = 121.67.
    Count-back: October sales (10-01..10-31] = 3,000 < 5,000 -> 31 days, 2,000 left;
    September (09-01..09-30] 2,000 covers it exactly: + 30 days = 61.
    CEI over 3 months from 07-31: opening AR 0 (F1 issued 08-01), sales 6,000, closing 5,000,
    current 3,000: (6,000 - 5,000) / (6,000 - 3,000) = 33.3 %.
    Invoice-level ADD: F1 paid 5 days late -> 5."""
    book = Book.from_frames(
        invoices=invoices_frame(
            issue_date=["2026-08-01", "2026-09-15", "2026-10-20"],
            due_date=["2026-08-31", "2026-10-15", "2026-11-19"],
            amount=["1000", "2000", "3000"],
            paid_date=["2026-09-05", "", ""],
        )
    )
    k = kpis(book.invoices, "2026-10-31", book.fx).set_index("company")
    row = k.loc["default"]
    assert row["dso"] == pytest.approx(5000 / 6000 * 365)
    assert row["best_possible_dso"] == pytest.approx(182.5)
    assert row["add"] == pytest.approx(5000 / 6000 * 365 - 182.5)
    assert row["dso_countback"] == pytest.approx(61.0)
    assert row["cei"] == pytest.approx(100 / 3)
    assert row["add_invoices"] == pytest.approx(5.0)
    pd.testing.assert_series_equal(k.loc["ALL"], row, check_names=False)
