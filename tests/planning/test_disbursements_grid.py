"""The disbursements' month grid on arrays against the pandas pivot it replaced.

``_pivot_rows`` below is the former ``_planned_rows`` (a groupby, unstack, reindex and
melt per company and currency), kept here as the reference: the array version must give
the same frame, value for value and type for type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.core.fx import Fx
from cashplan.planning.disbursements import _planned_rows, _resolved_days, disbursement_schedule
from tests.conftest import no_spending


def _pivot_rows(monthly: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    frames = []
    keyed = monthly.assign(day_key=np.nan_to_num(monthly["day"].to_numpy(dtype=float), nan=0.0))
    for (company, currency), g in keyed.groupby(["company", "currency"], sort=True):
        sums = g.groupby(["month", "category", "day_key"])["amount"].sum()
        table = sums.unstack(["category", "day_key"]).fillna(0.0)
        wanted = months[months >= table.index.min()]
        recorded = table.reindex(wanted.rename("month"))
        is_rate = recorded.isna().all(axis=1)
        filled = recorded.fillna(table.tail(3).mean())
        long = filled.melt(value_name="amount", ignore_index=False).reset_index()
        long["basis"] = np.where(is_rate.reindex(long["month"]).to_numpy(), "run rate", "recorded")
        frames.append(long.assign(company=str(company), currency=str(currency)))
    out = pd.concat(frames, ignore_index=True)
    return out.assign(day=out["day_key"].astype(float).replace(0.0, np.nan))


MONTHS = pd.DatetimeIndex(
    pd.date_range("2026-10-01", "2027-10-01", freq="MS"), dtype="datetime64[us]"
)


OVERRIDE = {"FR01/salaries": 2e6}


def _monthly(spending: pd.DataFrame) -> pd.DataFrame:
    monthly = spending.loc[spending["date"].isna()] if "date" in spending else spending
    return monthly.assign(day=_resolved_days(monthly))


def test_grid_matches_the_pivot_on_the_sample(sample_book) -> None:
    for spending in (
        sample_book.spending,
        Analysis(
            sample_book, Settings(as_of="2026-10-31", spending={"FR01/salaries": 2e6})
        ).spending,
    ):
        m = _monthly(spending)
        pd.testing.assert_frame_equal(
            _planned_rows(m, MONTHS), _pivot_rows(m, MONTHS), check_exact=True
        )


def test_grid_matches_the_pivot_with_days_currencies_gaps_and_duplicates() -> None:
    rows = [
        ("2026-06-01", "salaries", 100.0, "B", "EUR", np.nan),
        ("2026-06-01", "salaries", 0.1, "B", "EUR", np.nan),  # summed with the row above
        ("2026-06-01", "salaries", 0.2, "B", "EUR", np.nan),
        ("2026-08-01", "rent", 33.3, "B", "EUR", 3.0),
        ("2026-11-01", "taxes", 7.7, "B", "EUR", 20.0),  # a recorded month among run-rate ones
        ("2026-09-01", "external", 50.0, "A", "GBP", np.nan),
        ("2026-10-01", "external", 51.0, "A", "GBP", 12.0),
        ("2026-10-01", "loans", 9.0, "A", "EUR", 5.0),
        ("2027-12-01", "loans", 9.0, "C", "EUR", np.nan),  # starts after the months: no row
    ]
    frame = pd.DataFrame(
        rows, columns=["month", "category", "amount", "company", "currency", "day"]
    )
    frame = frame.assign(month=pd.to_datetime(frame["month"]).astype("datetime64[us]"))
    got, want = _planned_rows(frame, MONTHS), _pivot_rows(frame, MONTHS)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert set(got["basis"]) == {"recorded", "run rate"}
    assert got.loc[got["category"] == "salaries", "amount"].iloc[0] == pytest.approx(100.3 / 3)


def test_no_spending_pays_nothing() -> None:
    """An empty spending table (the pivot version failed on it: no ``day`` column)."""
    spe = no_spending()
    out = disbursement_schedule(spe, "2026-10-31", Fx.identity("EUR"))
    assert out.empty
    assert list(out.columns) == ["company", "date", "category", "amount_rc", "basis"]


def test_no_day_given_resolves_to_the_defaults(sample_book) -> None:
    """No row gives a day: every row takes its category's default (NaN), as the carried
    lookup finds none; one given day is carried to its company and category's rows."""
    spending = sample_book.spending
    for frame in (spending.drop(columns=["day"], errors="ignore"), spending.assign(day=np.nan)):
        days = _resolved_days(frame)
        assert days.dtype == float and len(days) == len(frame) and np.isnan(days).all()
    first = spending.index[0]
    one = spending.assign(day=np.nan)
    one.loc[first, "day"] = 12.0
    same = (one["company"] == one.loc[first, "company"]) & (
        one["category"] == one.loc[first, "category"]
    )
    days = _resolved_days(one)
    assert (days[same.to_numpy()] == 12.0).all() and np.isnan(days[~same.to_numpy()]).all()
