"""Disbursements by date: the monthly spending paid out on its days.

The ``spending`` table holds monthly amounts (``month``, ``category``, ``amount``,
``company``, ``currency``). The cash position needs *when* they leave the bank:

- **A row's day.** An optional ``day`` column (1-31) pays the row on that day of its
  month, as given (a day past the month's end is its last day: 31 = the last day).
  A row without a day takes the day last set for its company and category (the
  latest month that has one), else its category's default (:data:`DEFAULT_DAYS`),
  which always lands on a working day (Monday to Friday; public holidays are not
  known): ``salaries`` on the last working day of the month, ``taxes`` on the 15th,
  ``external`` (suppliers' payment run) on the 10th and ``loans`` on the 5th (each
  moved to the next working day), any other category on the last working day.
- **One-off rows.** A row with a ``date`` (and no month: a tax settlement, a capex
  payment) is paid on that date and converted at that date; it plays no part in the
  run rate.
- **Open months.** A month with spending on record pays what is recorded; a month
  without (after the last record) pays the run rate, the mean of the company's last
  three recorded months, category by category, as :func:`~cashplan.planning.targets.cash_need`
  fills the need, here per company and currency and per payment day, so that the
  month totals match the need. Monthly rows convert at the rate of the month's first
  day, as the need does. Payments on or before as-of are already in the bank: left out.

Examples
--------
>>> spe = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-10-01"]),
...     "category": ["salaries", "taxes"], "amount": [100.0, 30.0], "company": "A",
...     "currency": "EUR"})
>>> s = disbursement_schedule(spe, "2026-10-31", Fx.identity("EUR"), weeks=6)
>>> s[["date", "category", "amount_rc", "basis"]].astype(str).values.tolist()
[['2026-11-16', 'taxes', '30.0', 'run rate'], ['2026-11-30', 'salaries', '100.0', 'run rate']]
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.forecasting.collection import buckets_for

__all__ = [
    "DEFAULT_DAYS",
    "disbursement_schedule",
    "horizon",
    "payment_dates",
]

DEFAULT_DAYS: dict[str, tuple[int, str]] = {
    "salaries": (31, "backward"),
    "taxes": (15, "forward"),
    "external": (10, "forward"),
    "loans": (5, "forward"),
}
"""Category -> (day, roll): the day of the month (31 = its last day), then the working
day on or before it (``backward``) or on or after it (``forward``)."""
OTHER_DAY = (31, "backward")
"""The default of any other category: the last working day of the month."""

_COLUMNS = ["company", "date", "category", "amount_rc", "basis"]


@functools.lru_cache(maxsize=256)
def horizon(as_of: str | pd.Timestamp, weeks: int = 13) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first week's Monday and the (exclusive) end of ``weeks`` Monday-weeks after as-of,
    as the cash-in's weeks (:func:`~cashplan.forecasting.collection.buckets_for`); kept per
    date (immutable, asked for by every piece of the position).

    >>> [d.date().isoformat() for d in horizon("2026-10-31", 13)]
    ['2026-10-26', '2027-01-25']
    """
    weeks_ = buckets_for(as_of, weeks, 0)
    weeks_ = weeks_.loc[weeks_["kind"] == "week"]
    return pd.Timestamp(weeks_["start"].iloc[0]), pd.Timestamp(weeks_["end"].iloc[-1])


def payment_dates(
    month: pd.Series | np.ndarray, day: pd.Series | np.ndarray, category: pd.Series | np.ndarray
) -> np.ndarray:
    """The day each monthly row is paid: its ``day`` as given, else its category's default.

    Parameters
    ----------
    month : array of month starts
    day : array of float
        1-31 (a day past the month's end is its last day); NaN for the category default.
    category : array of str

    Returns
    -------
    ndarray of datetime64[D]

    Examples
    --------
    October 2026 ends on a Saturday; the 15th of November is a Sunday:

    >>> payment_dates(pd.to_datetime(["2026-10-01", "2026-11-01", "2026-02-01"]),
    ...     [np.nan, np.nan, 31.0], ["salaries", "taxes", "rent"]).astype(str).tolist()
    ['2026-10-30', '2026-11-16', '2026-02-28']
    """
    m = np.asarray(pd.to_datetime(month), dtype="datetime64[D]")
    last = (m.astype("datetime64[M]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    # each category's rule looked up once (code -1, a missing category: the last, other's)
    codes, names = pd.factorize(np.asarray(category, dtype=object))
    rules = [DEFAULT_DAYS.get(c, OTHER_DAY) if isinstance(c, str) else OTHER_DAY for c in names]
    rules.append(OTHER_DAY)
    rule_day = np.array([float(r[0]) for r in rules])[codes]
    forward = np.array([r[1] == "forward" for r in rules])[codes]
    given = np.asarray(day, dtype=float)
    default = np.isnan(given)
    d = np.where(default, rule_day, given).astype(np.int64)
    date = np.minimum(m + (d - 1).astype("timedelta64[D]"), last)
    ahead = np.busday_offset(date, 0, roll="forward")
    behind = np.busday_offset(date, 0, roll="backward")
    return np.where(default, np.where(forward, ahead, behind), date)


def _column(frame: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    """An optional column, or an empty one (NaN / NaT) when the frame has none."""
    if name in frame.columns:
        if dtype == "float":
            return pd.Series(frame[name].to_numpy(dtype=float, na_value=np.nan), index=frame.index)
        return pd.to_datetime(frame[name])
    return pd.Series(np.nan if dtype == "float" else pd.NaT, index=frame.index)


def _resolved_days(monthly: pd.DataFrame) -> np.ndarray:
    """Each row's day: its own, else the latest given for its company and category, else NaN."""
    day = _column(monthly, "day", "float")
    if not day.notna().any():  # no day given (the sample's book): every row's default
        return day.to_numpy()
    given = monthly.assign(day=day).loc[day.notna()].sort_values("month", kind="stable")
    usual = given.groupby(["company", "category"])["day"].last()
    carried = usual.reindex(pd.MultiIndex.from_frame(monthly[["company", "category"]]))
    return np.where(day.notna(), day.to_numpy(), carried.to_numpy(dtype=float))


def _planned_rows(monthly: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """The rows of ``months``: recorded months as recorded, the others at the run rate (the
    mean of the last three recorded months), per company, currency, category and day.

    One sum by key for the whole table, then a small month x (category, day) grid per
    company and currency on arrays (the sample's workbook redraws it on every spending
    change: no pivot or melt per company).
    """
    keyed = monthly.assign(day_key=np.nan_to_num(monthly["day"].to_numpy(dtype=float), nan=0.0))
    keys = ["company", "currency", "month", "category", "day_key"]
    sums = keyed.groupby(keys, sort=True)["amount"].sum()
    level = sums.index.get_level_values  # (no reset_index: it cost more than the sums)
    company, currency = level("company").to_numpy(), level("currency").to_numpy()
    month = level("month").to_numpy(dtype="datetime64[us]")
    category, day_key = level("category").to_numpy(dtype=object), level("day_key").to_numpy()
    amount = sums.to_numpy(dtype=float)
    wanted_all = months.to_numpy(dtype="datetime64[us]")
    starts = np.flatnonzero(
        np.r_[True, (company[1:] != company[:-1]) | (currency[1:] != currency[:-1])]
    )
    bounds = zip(starts, [*starts[1:], len(sums)], strict=True)
    grids = [
        (_grid_rows(month[a:b], category[a:b], day_key[a:b], amount[a:b], wanted_all), a)
        for a, b in bounds
        if b > a
    ]
    n = [len(grid[0]) for grid, _ in grids]

    def column(i: int, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([grid[i] for grid, _ in grids]) if grids else empty

    out = pd.DataFrame(
        {
            "month": column(0, wanted_all[:0]),
            "category": column(1, category[:0]),
            "day_key": column(2, day_key[:0]),
            "amount": column(3, amount[:0]),
            "basis": column(4, np.array([], dtype=object)),
            "company": np.repeat(company[[a for _, a in grids]].astype(str).astype(object), n),
            "currency": np.repeat(currency[[a for _, a in grids]].astype(str).astype(object), n),
        }
    )
    return out.assign(day=out["day_key"].astype(float).replace(0.0, np.nan))


def _grid_rows(
    month: np.ndarray,
    category: np.ndarray,
    day_key: np.ndarray,
    amount: np.ndarray,
    months: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """One company and currency's rows of ``months`` from its sums by (month, category,
    day), column by column as a melt of the month x (category, day) table (columns in
    the order they first come): month, category, day_key, amount and basis arrays."""
    recorded, row = np.unique(month, return_inverse=True)
    cats, cat_code = np.unique(category, return_inverse=True)
    days, day_code = np.unique(day_key, return_inverse=True)
    # the columns in the order the pairs first come (by month, category, day), as unstack
    codes, first, code = np.unique(
        cat_code * len(days) + day_code, return_index=True, return_inverse=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    pairs, col = codes[order], rank[code]
    table = np.zeros((len(recorded), len(pairs)))
    table[row, col] = amount
    wanted = months[months >= recorded[0]]
    at = np.searchsorted(recorded, wanted).clip(max=len(recorded) - 1)
    found = recorded[at] == wanted
    rate = table[-3:].sum(axis=0) / len(table[-3:])
    filled = np.where(found[:, None], table[at], rate[None, :])
    n_cols, n_rows = len(pairs), len(wanted)
    return (
        np.tile(wanted, n_cols),
        np.repeat(cats[pairs // len(days)], n_rows),
        np.repeat(days[pairs % len(days)], n_rows),
        filled.T.ravel(),
        np.tile(np.where(found, "recorded", "run rate").astype(object), n_cols),
    )


def disbursement_schedule(
    spending: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx, *, weeks: int = 13
) -> pd.DataFrame:
    """The spending paid on each day after ``as_of`` within ``weeks`` Monday-weeks.

    Parameters
    ----------
    spending : DataFrame
        The typed spending table, with the open months' plan (``Analysis.spending``: the
        book's table with the workbook's overrides); optional ``day`` (float or Int, NaN
        when empty) and ``date`` (NaT when empty; such a row has no month) columns.
    as_of : date
        Payments on or before it are in the bank already.
    fx : Fx
    weeks : int, default 13
        The horizon, in the cash-in's Monday-weeks (52 for the runway).

    Returns
    -------
    DataFrame
        ``company``, ``date``, ``category``, ``amount_rc`` (reporting currency, to the
        cent) and ``basis`` (``recorded``, ``run rate`` or ``one-off``), by company and date.
    """
    day = to_date(as_of)
    _, end = horizon(day, weeks)
    dated = _column(spending, "date", "date")
    monthly = spending.loc[dated.isna()]
    monthly = monthly.assign(day=_resolved_days(monthly))
    first = day.to_period("M").to_timestamp()
    last = (end - pd.Timedelta(days=1)).to_period("M").to_timestamp()
    months = pd.DatetimeIndex(pd.date_range(first, last, freq="MS"), dtype="datetime64[us]")
    rows = _planned_rows(monthly, months)
    if dated.notna().any():  # one-off rows: the frames joined as pandas joins them
        return _with_one_offs(rows, spending, dated, day, end, fx)
    # monthly rows alone (the sample's book): the columns worked out, filtered and sorted
    # as arrays, one frame built at the end (a concat, filters and a three-key sort of
    # frames cost a few ms at each spending change in the workbook)
    date = payment_dates(rows["month"], rows["day"], rows["category"]).astype("datetime64[us]")
    amount = fx.convert(rows["amount"], rows["currency"], rows["month"])
    keep = np.flatnonzero(
        (date > day.to_datetime64()) & (date < end.to_datetime64()) & (amount != 0)
    )
    if not len(keep):  # nothing to pay: the empty frame pandas' path types
        return _with_one_offs(rows, spending, dated, day, end, fx)
    company = rows["company"].to_numpy(dtype=object)[keep]
    category = rows["category"].to_numpy(dtype=object)[keep]
    date, amount = date[keep], amount[keep]
    order = np.lexsort(
        (
            np.unique(category, return_inverse=True)[1].ravel(),
            date,
            np.unique(company, return_inverse=True)[1].ravel(),
        )
    )  # stable, as a sort by company, date and category
    return pd.DataFrame(
        {
            "company": company[order],
            "date": date[order],
            "category": category[order],
            "amount_rc": amount[order].round(2),
            "basis": rows["basis"].to_numpy(dtype=object)[keep][order],
        }
    )


def _with_one_offs(
    rows: pd.DataFrame,
    spending: pd.DataFrame,
    dated: pd.Series,
    day: pd.Timestamp,
    end: pd.Timestamp,
    fx: Fx,
) -> pd.DataFrame:
    """``disbursement_schedule``'s table of the monthly ``rows`` and the one-off rows of
    ``spending`` (``dated``: their dates), joined, filtered and sorted as frames."""
    rows["date"] = payment_dates(rows["month"], rows["day"], rows["category"])
    rows["amount_rc"] = fx.convert(rows["amount"], rows["currency"], rows["month"])
    one_off = spending.loc[dated.notna()].assign(date=dated[dated.notna()], basis="one-off")
    one_off["amount_rc"] = fx.convert(one_off["amount"], one_off["currency"], one_off["date"])
    out = pd.concat([rows[_COLUMNS], one_off[_COLUMNS]], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    out = out.loc[(out["date"] > day) & (out["date"] < end) & (out["amount_rc"] != 0)]
    out = out.assign(amount_rc=out["amount_rc"].astype(float).round(2))
    return out.sort_values(["company", "date", "category"], kind="stable").reset_index(drop=True)
