"""The monthly gap: target against collected and forecast, its probability, cumulated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.planning.gap import monthly_gap

AS_OF = "2026-10-31"


def test_monthly_gap_probability_and_cumulative() -> None:
    targets = pd.DataFrame(
        {
            "company": "A",
            "month": pd.to_datetime(["2026-10-01", "2026-11-01", "2026-12-01"]),
            "cash_need": 100.0,
            "carried": [0.0, 20.0, 0.0],
            "target": [100.0, 120.0, 100.0],
            "collected": [80.0, np.nan, np.nan],
            "closed": [True, False, False],
        }
    )
    months = pd.DataFrame(
        {
            "company": "A",
            "month": pd.to_datetime(["2026-11-01", "2026-12-01"]),
            "expected": [120.0, 90.0],
            "p10": 0.0,
            "p90": 0.0,
            "sd": [10.0, 0.0],
        }
    )
    gap = monthly_gap(targets, months)
    assert gap["gap"].tolist() == [20.0, 0.0, 10.0]
    assert gap["cumulative_gap"].iloc[1:].tolist() == [0.0, 10.0]
    assert gap["probability"].iloc[1:].tolist() == pytest.approx([0.5, 0.0])


def test_the_cumulative_gap_runs_within_each_company_in_month_order_whatever_the_row_order():
    """Rows of two companies interleaved, a month missing from the forecast (its forecast is 0)
    and a month with no target: each company's open months cumulate their own gaps, a month
    without a gap leaves the running sum as it was, closed months have none."""
    targets = pd.DataFrame(
        {
            "company": ["A", "B", "A", "B", "A"],
            "month": pd.to_datetime(
                ["2026-10-01", "2026-11-01", "2026-11-01", "2026-12-01", "2026-12-01"]
            ),
            "cash_need": 100.0,
            "carried": 0.0,
            "target": [100.0, 50.0, 100.0, np.nan, 100.0],
            "collected": [70.0, np.nan, np.nan, np.nan, np.nan],
            "closed": [True, False, False, False, False],
        }
    )
    months = pd.DataFrame(
        {
            "company": ["A", "A", "B"],
            "month": pd.to_datetime(["2026-11-01", "2026-12-01", "2026-11-01"]),
            "expected": [90.0, 95.0, 20.0],
            "p10": 0.0,
            "p90": 0.0,
            "sd": [0.0, np.nan, 5.0],
        }
    )
    gap = monthly_gap(targets, months)
    assert gap["gap"].tolist()[:3] == [30.0, 30.0, 10.0] and np.isnan(gap["gap"].iloc[3])
    assert gap["gap"].iloc[4] == 5.0
    cumulative = gap["cumulative_gap"].tolist()
    assert np.isnan(cumulative[0]) and np.isnan(cumulative[3])  # closed; no target
    assert cumulative[1] == 30.0 and cumulative[2] == 10.0 and cumulative[4] == 15.0
    assert gap["probability"].iloc[4] == 0.0  # no spread, short: not met
    assert gap["status"].tolist() == ["closed", "open", "open", "open", "open"]
    assert gap["company"].tolist() == ["A", "B", "A", "B", "A"]
