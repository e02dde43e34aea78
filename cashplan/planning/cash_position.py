"""The 13-week cash position: opening cash + collections - disbursements = closing cash.

- **Opening cash** (:func:`opening_cash`) comes from the optional ``bank`` table: per
  account (company, account; no account = one account), the latest balance on or before
  as-of (a later row is not known yet: counted, ignored); two rows of an account on one
  day: the later row wins. Each account converts at the as-of date, to the cent; accounts
  add up per company, companies into ``ALL``.
- **Weeks** are the cash-in's (:func:`~cashplan.forecasting.collection.buckets_for`): the
  first starts on the Monday of the week holding the day after as-of and counts only the
  days after as-of, for collections and disbursements alike. Week N+1 opens at week N's
  close; every figure is to the cent and ``closing = opening + collections -
  disbursements`` exactly; ``ALL`` is the sum of the companies.
- **Collections** are the whole cash-in's ``total_expected``; **disbursements** the
  schedule of :func:`~cashplan.planning.disbursements.disbursement_schedule`, taken as known.
- **Uncertainty** of the closing is the cumulated cash-in's: the sd of a sum of weeks whose
  errors correlate by ``week_correlation`` (:data:`WEEK_CORRELATION`, 0.1), so
  ``var = (1 - r) * sum(sd_i**2) + r * (sum(sd_i))**2``; p10/p90 = closing -/+ 1.2816 sd.
  On the sample's cash-in backtest (21 month-ends) the weekly errors' mean cross-product was
  0.07; with r = 0.1 the cumulative band held 81-95 % of weeks 10-13 (r = 0: 57-76 %).
- **No bank table**: the position starts from 0 (the cumulative net cash flow) and
  ``opening_known`` is False.
- **Floor** (``cash_floor``): one amount for every company, or a mapping company -> amount
  (missing companies: 0); ``ALL`` is the sum of the companies' floors unless the mapping
  gives it. Below the floor means strictly under it, at a week's close.

Examples
--------
Opening 1,000; two weeks collect 300 and 200 and pay 500 and 100:

>>> cash_in = pd.DataFrame({"company": "A", "week_start": pd.to_datetime(["2026-10-26",
...     "2026-11-02"]), "total_expected": [300.0, 200.0], "total_sd": [0.0, 0.0]})
>>> paid = pd.DataFrame({"company": "A", "date": pd.to_datetime(["2026-11-02", "2026-11-06"]),
...     "category": "salaries", "amount_rc": [500.0, 100.0]})
>>> bank = pd.DataFrame({"company": "A", "date": pd.to_datetime(["2026-10-31"]),
...     "balance": [1000.0], "currency": "EUR"})
>>> opening = opening_cash(bank, "2026-10-31", Fx.identity("EUR"))
>>> p = cash_position(cash_in, paid, "2026-10-31", opening=opening, weeks=2, cash_floor=700)
>>> p.loc[p["company"] == "A", ["opening", "closing", "below_floor"]].values.tolist()
[[1000.0, 1300.0, False], [1300.0, 900.0, False]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cashplan.core.dates import ALL, to_date
from cashplan.core.fx import Fx
from cashplan.core.kept import kept
from cashplan.planning.disbursements import horizon

__all__ = [
    "WEEK_CORRELATION",
    "cash_position",
    "floor_summary",
    "month_end_cash",
    "opening_cash",
    "position_sentence",
]

WEEK_CORRELATION = 0.1
_Z90 = 1.2815515655446004


def _accounts(bank: pd.DataFrame) -> pd.Series:
    """Each row's account ("" when the table has no account column or the cell is empty)."""
    if "account" not in bank.columns:
        return pd.Series("", index=bank.index, dtype="str")
    return bank["account"].fillna("").astype("str")


def opening_cash(bank: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx) -> pd.DataFrame:
    """Cash at the end of ``as_of`` per company and ``ALL``, from the latest balance of each
    account on or before it, converted at the as-of date.

    Returns
    -------
    DataFrame
        ``company``, ``opening_rc`` (to the cent), ``n_accounts`` (with a balance by as-of),
        ``latest_balance_date`` and ``oldest_balance_date`` (of those balances),
        ``ignored_later_rows`` (rows dated after as-of).

    Examples
    --------
    Account 1's row of 2 Nov is not known on 31 Oct; GBP 100 at 1.15:

    >>> bank = pd.DataFrame({"company": "A", "account": ["1", "1", "2", "1"],
    ...     "date": pd.to_datetime(["2026-10-30", "2026-10-31", "2026-10-29", "2026-11-02"]),
    ...     "balance": [10.0, 20.0, 100.0, 99.0], "currency": ["EUR", "EUR", "GBP", "EUR"]})
    >>> rates = pd.DataFrame({"date": pd.to_datetime(["2026-10-01"]), "currency": ["GBP"],
    ...     "rate": [1.15]})
    >>> o = opening_cash(bank, "2026-10-31", Fx(rates, "EUR"))
    >>> o[["company", "opening_rc", "n_accounts", "ignored_later_rows"]].values.tolist()
    [['A', 135.0, 2, 1], ['ALL', 135.0, 2, 1]]
    """
    day = to_date(as_of)
    b = bank.assign(account=_accounts(bank), row_=np.arange(len(bank)))
    later = (b["date"] > day).to_numpy()
    known = b.loc[~later].sort_values(["company", "account", "date", "row_"], kind="stable")
    latest = known.drop_duplicates(["company", "account"], keep="last")
    dates = np.full(len(latest), np.datetime64(day.date(), "D"))
    value = fx.convert(latest["balance"], latest["currency"], dates).round(2)
    per = (
        latest.assign(value=value)
        .groupby("company")
        .agg(
            opening_rc=("value", "sum"),
            n_accounts=("value", "size"),
            latest_balance_date=("date", "max"),
            oldest_balance_date=("date", "min"),
        )
    )
    companies = sorted(set(b["company"].astype("str")))
    out = per.reindex(companies).rename_axis("company").reset_index()
    out["ignored_later_rows"] = (
        b.loc[later].groupby("company").size().reindex(companies, fill_value=0).to_numpy()
    )
    total = {
        "company": ALL,
        "opening_rc": out["opening_rc"].sum(),
        "n_accounts": out["n_accounts"].sum(),
        "latest_balance_date": out["latest_balance_date"].max(),
        "oldest_balance_date": out["oldest_balance_date"].min(),
        "ignored_later_rows": out["ignored_later_rows"].sum(),
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["opening_rc"] = out["opening_rc"].fillna(0.0).round(2)
    out["n_accounts"] = out["n_accounts"].fillna(0).astype(np.int64)
    out["ignored_later_rows"] = out["ignored_later_rows"].astype(np.int64)
    return out


def _floors(cash_floor: float | Mapping[str, float], companies: list[str]) -> np.ndarray:
    """The floor of each company, then of ``ALL`` (the sum unless the mapping gives it)."""
    if isinstance(cash_floor, Mapping):
        own = np.array([float(cash_floor.get(c, 0.0)) for c in companies])
        group = float(cash_floor.get(ALL, own.sum()))
    else:
        own = np.full(len(companies), float(cash_floor))
        group = float(own.sum())
    return np.append(own, group)


def _grid(
    frame: pd.DataFrame, column: str, companies: list[str], starts: pd.DatetimeIndex
) -> np.ndarray:
    """``column`` as a (company, week) array, summed; 0 where missing."""
    rows = pd.Index(companies).get_indexer(pd.Index(frame["company"]))
    cols = starts.get_indexer(pd.DatetimeIndex(frame["week_start"]))
    keep = (rows >= 0) & (cols >= 0)
    out = np.zeros((len(companies), len(starts)))
    np.add.at(out, (rows[keep], cols[keep]), frame[column].to_numpy(dtype=float)[keep])
    return out


def _weekly_paid(
    disbursements: pd.DataFrame,
    companies: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: pd.Timestamp,
    weeks: int,
) -> np.ndarray:
    """Disbursements after as-of summed per (company, week) of the horizon: kept beside
    ``disbursements`` (:func:`~cashplan.core.kept.kept`; the workbook's edits of promises
    or sales leave them as they were). Read-only."""
    memo = kept(disbursements)
    key = ("weekly_paid", tuple(companies), start, end, as_of, weeks)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _summed_weekly(disbursements, companies, start, end, as_of, weeks)
        found.setflags(write=False)
    return found


def _summed_weekly(
    disbursements: pd.DataFrame,
    companies: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: pd.Timestamp,
    weeks: int,
) -> np.ndarray:
    """``_weekly_paid`` worked out."""
    d = disbursements.loc[(disbursements["date"] > as_of) & (disbursements["date"] < end)]
    week = ((d["date"] - start).dt.days // 7).to_numpy()
    row = pd.Index(companies).get_indexer(pd.Index(d["company"]))
    keep = row >= 0
    out = np.zeros((len(companies), weeks))
    np.add.at(out, (row[keep], week[keep]), d["amount_rc"].to_numpy(dtype=float)[keep])
    return out.round(2)


def cash_position(
    cash_in: pd.DataFrame,
    disbursements: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    opening: pd.DataFrame | None = None,
    cash_floor: float | Mapping[str, float] = 0.0,
    weeks: int = 13,
    week_correlation: float = WEEK_CORRELATION,
) -> pd.DataFrame:
    """The weekly cash position per company and ``ALL`` (see the module doc).

    Parameters
    ----------
    cash_in : DataFrame
        ``Analysis.cash_in``: company (with ``ALL``), week_start, total_expected, total_sd.
    disbursements : DataFrame
        :func:`~cashplan.planning.disbursements.disbursement_schedule` (company, date,
        amount_rc).
    as_of : date
    opening : DataFrame, optional
        :func:`opening_cash`; None when the book has no bank table (start from 0). An
        ``opening_known`` column, when present, says which openings are known (else: a
        company with a balance on some account).
    cash_floor : float or mapping, default 0
    weeks : int, default 13
    week_correlation : float, default :data:`WEEK_CORRELATION`
        The correlation of the cash-in's errors between two weeks (0 = independent).

    Returns
    -------
    DataFrame
        ``company``, ``week_start``, ``opening``, ``collections``, ``disbursements``,
        ``closing``, ``closing_sd``, ``closing_p10``, ``closing_p90``, ``floor``,
        ``below_floor``, ``below_floor_p10``, ``opening_known``; companies sorted, ``ALL`` last.
    """
    if not 0.0 <= week_correlation <= 1.0:
        raise ValueError(f"week_correlation must be between 0 and 1. Got {week_correlation}.")
    day = to_date(as_of)
    start, end = horizon(day, weeks)
    starts = pd.DatetimeIndex(
        pd.date_range(start, periods=weeks, freq="7D"), dtype="datetime64[us]"
    )
    names = set(cash_in["company"]) | set(disbursements["company"])
    names |= set(opening["company"]) if opening is not None else set()
    companies = sorted(str(c) for c in names - {ALL})
    got = _grid(cash_in, "total_expected", companies, starts).round(2)
    paid = _weekly_paid(disbursements, companies, start, end, day, weeks)
    first = np.zeros(len(companies))
    known = np.zeros(len(companies) + 1, dtype=bool)
    if opening is not None:
        o = opening.set_index("company")
        first = o["opening_rc"].reindex(companies, fill_value=0.0).to_numpy(dtype=float)
        stated = o["opening_known"] if "opening_known" in o else o["n_accounts"] > 0
        known = stated.reindex([*companies, ALL], fill_value=False).to_numpy(dtype=bool, copy=True)
        known[-1] = bool(known[:-1].all())
    got, paid = np.vstack([got, got.sum(axis=0)]), np.vstack([paid, paid.sum(axis=0)])
    first = np.append(first, first.sum())
    closing = (first[:, None] + np.cumsum(got - paid, axis=1)).round(2)
    sd = _cumulative_sd(_sds(cash_in, companies, starts), week_correlation)
    floors = _floors(cash_floor, companies)
    n = len(companies) + 1
    out = pd.DataFrame(
        {
            "company": np.repeat([*companies, ALL], weeks),
            "week_start": np.tile(starts, n),
            "opening": np.hstack([first[:, None], closing[:, :-1]]).ravel(),
            "collections": got.ravel(),
            "disbursements": paid.ravel(),
            "closing": closing.ravel(),
            "closing_sd": sd.ravel(),
            "closing_p10": (closing - _Z90 * sd).round(2).ravel(),
            "closing_p90": (closing + _Z90 * sd).round(2).ravel(),
            "floor": np.repeat(floors, weeks),
            "opening_known": np.repeat(known, weeks),
        }
    )
    out["below_floor"] = out["closing"] < out["floor"]
    out["below_floor_p10"] = out["closing_p10"] < out["floor"]
    return out


def _sds(cash_in: pd.DataFrame, companies: list[str], starts: pd.DatetimeIndex) -> np.ndarray:
    """The weekly sd of each company's cash-in, then ``ALL``'s (its own rows when the cash-in
    has them, else the companies' as independent)."""
    sd = _grid(cash_in, "total_sd", companies, starts)
    if (cash_in["company"] == ALL).any():
        group = _grid(cash_in, "total_sd", [ALL], starts)
    else:
        group = np.sqrt((sd**2).sum(axis=0, keepdims=True))
    return np.vstack([sd, group])


def _cumulative_sd(sd: np.ndarray, r: float) -> np.ndarray:
    """The sd of the running sum of weeks whose errors correlate by ``r``.

    >>> _cumulative_sd(np.array([[3.0, 4.0]]), 0.0).tolist(), _cumulative_sd(
    ...     np.array([[3.0, 4.0]]), 1.0).tolist()
    ([[3.0, 5.0]], [[3.0, 7.0]])
    """
    var = (1.0 - r) * np.cumsum(sd**2, axis=1) + r * np.cumsum(sd, axis=1) ** 2
    return np.sqrt(var)


def month_end_cash(
    position: pd.DataFrame, disbursements: pd.DataFrame, as_of: str | pd.Timestamp
) -> pd.DataFrame:
    """The cash at each month end after as-of within the position's weeks (for monthly.csv).

    The week holding the month end contributes its disbursements dated up to it and its
    collections pro rata of its days up to it (of its days after as-of, in the first week);
    the sd is interpolated the same way between the week's opening and closing.

    Returns
    -------
    DataFrame
        ``company``, ``month`` (month start), ``month_end``, ``closing_cash``,
        ``closing_p10``, ``closing_p90``, ``floor``, ``below_floor``.

    Examples
    --------
    The week of 30 Nov 2026 collects 700 (100 a day) and pays 50 on 30 Nov and 20 on
    1 Dec: at 30 Nov, 1,000 + 100 - 50 = 1,050.

    >>> p = pd.DataFrame({"company": "A", "week_start": pd.to_datetime(["2026-11-30"]),
    ...     "opening": [1000.0], "collections": [700.0], "closing_sd": [0.0], "floor": [0.0]})
    >>> paid = pd.DataFrame({"company": "A", "date": pd.to_datetime(["2026-11-30",
    ...     "2026-12-01"]), "amount_rc": [50.0, 20.0]})
    >>> month_end_cash(p, paid, "2026-11-29")[["month_end", "closing_cash"]].astype(str).values
    array([['2026-11-30', '1050.0']], dtype=object)
    """
    day = to_date(as_of)
    weeks = position.assign(week_end=position["week_start"] + pd.Timedelta(days=7))
    ends = pd.date_range(day + pd.Timedelta(days=1), weeks["week_end"].max(), freq="ME")
    ends = ends[ends < weeks["week_end"].max()].normalize()
    frames = []
    for end in ends:  # a loop over month ends (3 in 13 weeks), vectorised over companies
        w = weeks.loc[(weeks["week_start"] <= end) & (end < weeks["week_end"])]
        first = w["week_start"].where(w["week_start"] > day, day + pd.Timedelta(days=1))
        share = ((end - first).dt.days + 1) / (w["week_end"] - first).dt.days
        d = disbursements.loc[(disbursements["date"] > day) & (disbursements["date"] <= end)]
        d = d.loc[d["date"] >= w["week_start"].min()]
        paid = d.groupby("company")["amount_rc"].sum()
        paid[ALL] = d["amount_rc"].sum()
        cash = (
            w["opening"]
            + (share * w["collections"]).round(2)
            - paid.reindex(w["company"], fill_value=0.0).to_numpy()
        ).round(2)
        before = _opening_sd(w, weeks)
        sd = before + share * (w["closing_sd"] - before)
        frames.append(
            pd.DataFrame(
                {
                    "company": w["company"].to_numpy(),
                    "month": end.to_period("M").to_timestamp(),
                    "month_end": end,
                    "closing_cash": cash.to_numpy(),
                    "closing_p10": (cash - _Z90 * sd).round(2).to_numpy(),
                    "closing_p90": (cash + _Z90 * sd).round(2).to_numpy(),
                    "floor": w["floor"].to_numpy(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "company",
                "month",
                "month_end",
                "closing_cash",
                "closing_p10",
                "closing_p90",
                "floor",
                "below_floor",
            ]
        )
    out = pd.concat(frames, ignore_index=True)
    out["below_floor"] = out["closing_cash"] < out["floor"]
    return out.astype({"month": "datetime64[us]", "month_end": "datetime64[us]"})


def _opening_sd(w: pd.DataFrame, weeks: pd.DataFrame) -> pd.Series:
    """The cumulative sd at the opening of each row's week (0 for the first week)."""
    prior = weeks.assign(week_start=weeks["week_end"]).set_index(["company", "week_start"])
    keys = pd.MultiIndex.from_frame(w[["company", "week_start"]])
    return pd.Series(prior["closing_sd"].reindex(keys).fillna(0.0).to_numpy(), index=w.index)


def floor_summary(
    position: pd.DataFrame,
    disbursements: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    horizon_weeks: int = 52,
) -> pd.DataFrame:
    """Per company and ``ALL``: the lowest closing, the first weeks under the floor, the runway.

    The runway is the number of whole weeks before the first week whose expected closing is
    under the floor: the position's weeks, then weeks collecting the mean of the position's
    weekly collections and paying ``disbursements`` (build it with ``weeks=horizon_weeks``),
    up to ``horizon_weeks``; ``inf`` when the floor holds that long.

    Returns
    -------
    DataFrame
        ``company``, ``opening``, ``opening_known``, ``floor``, ``weeks``, ``lowest_closing``,
        ``lowest_week`` (1 = the first week), ``lowest_week_start``, ``below_floor_week`` and
        ``below_floor_p10_week`` (nullable), their ``..._start``, ``run_rate`` (the weekly
        collections beyond the position) and ``runway_weeks``.

    Examples
    --------
    1,000 collected and 1,500 paid each week from 3,000 with a floor of 1,000: under it
    at the 5th close (3,000 - 5 x 500 = 500), so the runway is 4 weeks.

    >>> p = pd.DataFrame({"company": "A", "week_start": pd.date_range("2026-11-02",
    ...     periods=2, freq="7D"), "opening": [3000.0, 2500.0], "collections": 1000.0,
    ...     "closing": [2500.0, 2000.0], "closing_p10": [2500.0, 900.0], "floor": 1000.0,
    ...     "opening_known": True})
    >>> paid = pd.DataFrame({"company": "A", "date": pd.date_range("2026-11-02",
    ...     periods=10, freq="7D"), "amount_rc": 1500.0})
    >>> s = floor_summary(p, paid, "2026-11-01", horizon_weeks=10)
    >>> s.loc[0, "below_floor_week"], s.loc[0, "below_floor_p10_week"], s.loc[0, "runway_weeks"]
    (<NA>, np.int64(2), np.float64(4.0))
    """
    day = to_date(as_of)
    names = list(dict.fromkeys(position["company"]))
    n, weeks = len(names), len(position) // len(names)
    grid = {
        c: position[c].to_numpy().reshape(n, weeks)
        for c in ("closing", "closing_p10", "collections", "opening", "floor", "opening_known")
    }
    starts = pd.DatetimeIndex(position["week_start"].iloc[:weeks])
    own = [c for c in names if c != ALL]
    rate = grid["collections"][:, :weeks].mean(axis=1).round(2)
    if ALL in names:
        rate[names.index(ALL)] = rate[[names.index(c) for c in own]].sum().round(2)
    path = grid["closing"]
    if horizon_weeks > weeks:
        start, end = horizon(day, horizon_weeks)
        paid = _weekly_paid(disbursements, own, start, end, day, horizon_weeks)[:, weeks:]
        rows = {c: paid[i] for i, c in enumerate(own)} | {ALL: paid.sum(axis=0)}
        paid = np.vstack([rows[c] for c in names])
        path = np.hstack([path, path[:, -1:] + np.cumsum(rate[:, None] - paid, axis=1)])
    floor = grid["floor"][:, 0]
    below = path < floor[:, None]
    low = grid["closing"].argmin(axis=1)
    columns: dict[str, Any] = {
        "company": names,
        "opening": grid["opening"][:, 0],
        "opening_known": grid["opening_known"][:, 0].astype(bool),
        "floor": floor,
        "weeks": weeks,
        "lowest_closing": grid["closing"].min(axis=1),
        "lowest_week": low + 1,
        "lowest_week_start": starts[low],
    }
    week_starts = starts.to_numpy()
    for name, hit in (
        ("below_floor", below[:, :weeks]),
        ("below_floor_p10", grid["closing_p10"] < floor[:, None]),
    ):
        k, found = hit.argmax(axis=1), hit.any(axis=1)
        missing = np.asarray(~found, dtype=bool)
        columns[f"{name}_week"] = pd.arrays.IntegerArray((k + 1).astype(np.int64), missing)
        columns[f"{name}_week_start"] = np.where(found, week_starts[k], np.datetime64("NaT"))
    out = pd.DataFrame(columns)  # one frame built at once (columns added one by one: 2 ms)
    out["run_rate"] = rate
    out["runway_weeks"] = np.where(below.any(axis=1), below.argmax(axis=1), math.inf)
    return out


def _money(amount: float, currency: str) -> str:
    """``EUR 1,234,567`` (whole units: a sentence, not a ledger)."""
    return f"{currency} {amount:,.0f}"


def position_sentence(summary: pd.DataFrame, *, company: str = ALL, currency: str = "EUR") -> str:
    """The report's first line about cash, from :func:`floor_summary`.

    Examples
    --------
    >>> s = pd.DataFrame({"company": ["ALL"], "opening": [1_250_000.0], "opening_known": [True],
    ...     "floor": [500_000.0], "weeks": [13], "lowest_closing": [420_000.0],
    ...     "lowest_week": [6], "lowest_week_start": pd.to_datetime(["2026-11-30"]),
    ...     "below_floor_week": pd.array([5], dtype="Int64"),
    ...     "below_floor_week_start": pd.to_datetime(["2026-11-23"]), "runway_weeks": [4.0]})
    >>> position_sentence(s)
    'Cash on hand EUR 1,250,000; lowest point EUR 420,000 in week 6 (from 2026-11-30); floor EUR 500,000 crossed in week 5 (from 2026-11-23).'
    """  # noqa: E501
    row = summary.loc[summary["company"] == company].iloc[0]
    lowest = (
        f"lowest point {_money(row['lowest_closing'], currency)} in week "
        f"{int(row['lowest_week'])} (from {row['lowest_week_start']:%Y-%m-%d})"
    )
    floor = _money(row["floor"], currency)
    if not row["opening_known"]:
        return (
            f"Cash on hand unknown (no bank balance in the book): counted from zero, the "
            f"net cash flow's {lowest}; the floor {floor} cannot be checked without it."
        )
    if pd.notna(row["below_floor_week"]):
        crossed = (
            f"floor {floor} crossed in week {int(row['below_floor_week'])} "
            f"(from {row['below_floor_week_start']:%Y-%m-%d})"
        )
    else:
        runway = row["runway_weeks"]
        later = (
            "not within 52 weeks either at the run rate"
            if math.isinf(runway)
            else f"at the run rate, after {int(runway)} weeks"
        )
        crossed = f"floor {floor} not crossed within {int(row['weeks'])} weeks ({later})"
    opening = _money(row["opening"], currency)
    return f"Cash on hand {opening}; {lowest}; {crossed}."
