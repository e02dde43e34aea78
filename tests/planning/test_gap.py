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
