"""The disbursements of monthly rows filtered, sorted and built as arrays are the frame the
pandas concat, filters and three-key sort made (the reference below, kept verbatim), value
for value and type for type; one-off rows still take the pandas path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.planning.disbursements import (
    _COLUMNS,
    DEFAULT_DAYS,
    OTHER_DAY,
    _column,
    _planned_rows,
    _resolved_days,
    disbursement_schedule,
    horizon,
    payment_dates,
)
from tests.conftest import no_spending

AS_OF = "2026-10-31"


def _schedule_by_pandas(
    spending: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx, *, weeks: int = 13
) -> pd.DataFrame:
    day = to_date(as_of)
    _, end = horizon(day, weeks)
    dated = _column(spending, "date", "date")
    monthly = spending.loc[dated.isna()]
    monthly = monthly.assign(day=_resolved_days(monthly))
    first = day.to_period("M").to_timestamp()
    last = (end - pd.Timedelta(days=1)).to_period("M").to_timestamp()
    months = pd.DatetimeIndex(pd.date_range(first, last, freq="MS"), dtype="datetime64[us]")
    rows = _planned_rows(monthly, months)
    rows["date"] = payment_dates(rows["month"], rows["day"], rows["category"])
    rows["amount_rc"] = fx.convert(rows["amount"], rows["currency"], rows["month"])
    one_off = spending.loc[dated.notna()].assign(date=dated[dated.notna()], basis="one-off")
    one_off["amount_rc"] = fx.convert(one_off["amount"], one_off["currency"], one_off["date"])
    out = pd.concat([rows[_COLUMNS], one_off[_COLUMNS]], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    out = out.loc[(out["date"] > day) & (out["date"] < end) & (out["amount_rc"] != 0)]
    out = out.assign(amount_rc=out["amount_rc"].astype(float).round(2))
    return out.sort_values(["company", "date", "category"], kind="stable").reset_index(drop=True)


def _dates_by_pandas(
    month: pd.Series | np.ndarray, day: pd.Series | np.ndarray, category: pd.Series | np.ndarray
) -> np.ndarray:
    m = np.asarray(pd.to_datetime(month), dtype="datetime64[D]")
    last = (m.astype("datetime64[M]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    cat = pd.Series(np.asarray(category, dtype=object))
    rule_day = cat.map({k: v[0] for k, v in DEFAULT_DAYS.items()}).fillna(OTHER_DAY[0])
    forward = (cat.map({k: v[1] for k, v in DEFAULT_DAYS.items()}) == "forward").to_numpy()
    given = np.asarray(day, dtype=float)
    default = np.isnan(given)
    d = np.where(default, rule_day.to_numpy(dtype=float), given).astype(np.int64)
    date = np.minimum(m + (d - 1).astype("timedelta64[D]"), last)
    ahead = np.busday_offset(date, 0, roll="forward")
    behind = np.busday_offset(date, 0, roll="backward")
    return np.where(default, np.where(forward, ahead, behind), date)


def test_payment_dates_looked_up_once_per_category_are_pandas_map_s():
    months = pd.date_range("2026-01-01", "2027-12-01", freq="MS")
    cats = ["salaries", "taxes", "external", "loans", "rent", None, "Salaries"]
    month = np.repeat(months.to_numpy(), len(cats))
    category = np.tile(np.array(cats, dtype=object), len(months))
    for day in (np.full(len(month), np.nan), np.where(np.arange(len(month)) % 3, np.nan, 31.0)):
        got = payment_dates(month, day, category)
        np.testing.assert_array_equal(got, _dates_by_pandas(month, day, category))
        assert got.dtype == _dates_by_pandas(month, day, category).dtype
    empty = np.array([], dtype="datetime64[us]")
    np.testing.assert_array_equal(
        payment_dates(empty, np.array([]), np.array([], dtype=object)),
        _dates_by_pandas(empty, np.array([]), np.array([], dtype=object)),
    )


@pytest.fixture(scope="module")
def books(sample_book) -> list[tuple[pd.DataFrame, Fx]]:
    """Spending tables of every kind, with the rates to convert them."""
    fx = sample_book.fx
    spending = sample_book.spending
    overridden = Analysis(
        sample_book, Settings(as_of=AS_OF, spending={"FR01/salaries": 2e6})
    ).spending
    days = spending.assign(day=np.where(spending["category"] == "taxes", 20.0, np.nan))
    one_off = pd.concat(
        [
            spending.assign(date=pd.Series(pd.NaT, index=spending.index, dtype="datetime64[us]")),
            spending.iloc[:2].assign(
                month=pd.NaT,
                date=pd.to_datetime(["2026-11-12", "2026-12-01"]).astype("datetime64[us]"),
            ),
        ],
        ignore_index=True,
    )
    zero = spending.assign(amount=np.where(spending["category"] == "loans", 0.0, 1.0))
    return [
        (spending, fx),
        (overridden, fx),
        (spending.loc[spending["company"] == "UK01"], fx),
        (days, fx),
        (one_off, fx),
        (zero, fx),
        (spending.iloc[::-1].reset_index(drop=True), fx),  # rows in another order
        (no_spending(), Fx.identity("EUR")),
        (spending.loc[spending["month"] < "2026-01-01"], fx),  # nothing recorded since: run rate
    ]


@pytest.mark.parametrize("weeks", [13, 52])
@pytest.mark.parametrize("as_of", [AS_OF, "2026-12-31"])
def test_schedule_on_arrays_is_the_pandas_one(books, weeks, as_of):
    compared = 0
    for spending, fx in books:
        got = disbursement_schedule(spending, as_of, fx, weeks=weeks)
        want = _schedule_by_pandas(spending, as_of, fx, weeks=weeks)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        compared += len(got)
    assert compared > 100


def test_a_schedule_with_nothing_left_in_the_horizon_is_the_pandas_one(sample_book):
    """Every monthly row filtered out (amounts of 0): an empty table of the same types."""
    spending = sample_book.spending.assign(amount=0.0)
    got = disbursement_schedule(spending, AS_OF, sample_book.fx)
    assert got.empty
    pd.testing.assert_frame_equal(
        got, _schedule_by_pandas(spending, AS_OF, sample_book.fx), check_exact=True
    )
