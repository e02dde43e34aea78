"""The Arrow/integer-code helpers of large frames against pandas' small path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.fast import frames as _fast


def as_str(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def test_group_codes_of_a_large_frame_match_the_small_path(monkeypatch):
    rng = np.random.default_rng(3)
    n = 150_000  # above the size from which text keys are hashed by the compiled loops
    frame = pd.DataFrame(
        {
            "company": as_str(rng.choice(["FR01", "UK01", "DE01"], n).tolist()),
            "customer_id": as_str([f"C{i}" for i in rng.integers(0, 5_000, n)]),
        }
    )
    codes, table = _fast.group_codes(frame, ["company", "customer_id"])
    monkeypatch.setattr(_fast, "_LARGE", 10**12)  # pandas' factorize everywhere
    small_codes, small_table = _fast.group_codes(frame, ["company", "customer_id"])
    assert codes.tolist() == small_codes.tolist()
    pd.testing.assert_frame_equal(table, small_table)
    rebuilt = table.iloc[codes].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt, frame.reset_index(drop=True))
