"""The compiled calendar and numbering loops against numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.fast.arrays import UNPAID
from cashplan.fast.calendar import civil, day_numbers, day_of
from cashplan.fast.grouping import first_appearance


def test_first_appearance_numbers_by_first_row():
    raw = np.array([7, 3, 7, 0, 3, 9])
    codes, first = first_appearance(raw, 10)
    assert codes.tolist() == [0, 1, 0, 2, 1, 3] and first.tolist() == [0, 1, 3, 5]


def test_calendar_matches_numpy_over_four_centuries():
    days = np.arange(-150_000, 150_000, 7)
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    doms = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    got = np.array([civil(int(z)) for z in days])
    assert (got[:, 0] == years).all() and (got[:, 1] == months).all()
    assert (got[:, 2] == doms).all()
    assert all(day_of(*civil(int(z))) == z for z in days[::50])


def test_day_numbers_keep_empty_dates_apart():
    ticks = pd.Series(pd.to_datetime(["1969-12-31", "1970-01-02", None])).to_numpy()
    got = day_numbers(
        ticks.astype("datetime64[us]").view(np.int64), np.int64(86_400_000_000), UNPAID
    )
    assert got.tolist() == [-1, 1, UNPAID]
