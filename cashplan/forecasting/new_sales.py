"""New invoicing: what each company will invoice after the as-of date, from its own history.

Model (decisions, also in the README):

- The history is the company's invoices issued on or before as-of, *net of credit
  notes* (a credit note lowers what its customer pays), incl. VAT, converted into
  the reporting currency at the issue date. Only *full* calendar months count: the
  months whose last day is on or before as-of, from the first month the company
  invoiced in its first week (a book that starts mid-month loses that month).
- Each month is modelled as an amount *per working day* (Mon-Fri; public holidays
  are not known), so that a 23-working-day month is not read as growth.
- 24 full months or more: statsforecast's ``AutoETS`` with ``season_length=12``
  (trend and yearly seasonality if the data support them), its 80 % interval as
  p10/p90. From 3 to 23 months: the median of the last ``recent_months`` months,
  its band from their spread (1.4826 x MAD, at least 5 % of the level). Under 3
  full months: the average per working day so far, with a band of +-50 % x 1.28
  sd, flagged ``short_history``.
- The as-of month, when as-of is not its last day, is forecast for its remaining
  working days only (what is not invoiced yet).
- A CFO's ``plan`` (company, month, amount_rc) replaces the model's mean for its
  company-months (``source = "sales_plan"``), with a band of ``plan_cv`` (5 %): a
  plan is the order book the CFO knows, its error is timing at month-end more than
  volume. In the as-of month the plan counts for what is left:
  ``max(plan - invoiced so far, 0)``.
- The daily series spreads each month evenly over its working days.

Examples
--------
>>> months = pd.date_range("2025-01-01", "2026-09-01", freq="MS")
>>> inv = pd.DataFrame({"company": "A", "currency": "EUR", "issue_date": months,
...                     "amount": 2100.0})
>>> model = InvoicingForecaster(months=2).fit(inv, "2026-10-15", Fx.identity())
>>> table = model.predict()
>>> print(table[["month", "working_days", "invoiced", "method"]].round({"invoiced": 1})
...       .to_string(index=False))
     month  working_days  invoiced method
2026-10-01            11    1050.0 median
2026-11-01            21    2004.5 median
2026-12-01            23    2195.5 median
>>> len(daily_invoicing(table)) == int(table["working_days"].sum())
True
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx
from cashplan.fast.frames import key_positions
from cashplan.forecasting.collection import month_windows
from cashplan.ledger.items import sales

__all__ = ["InvoicingForecaster", "daily_invoicing"]

_Z90 = 1.2815515655446004
_COLUMNS = [
    "company",
    "month",
    "start",
    "end",
    "working_days",
    "invoiced",
    "p10",
    "p90",
    "sd",
    "source",
    "method",
    "short_history",
]


def _working_days(start: npt.ArrayLike, end: npt.ArrayLike) -> np.ndarray:
    """Mon-Fri days in ``[start, end)``, elementwise."""
    return np.busday_count(
        np.asarray(start, dtype="datetime64[D]"), np.asarray(end, dtype="datetime64[D]")
    )


class InvoicingForecaster:
    """Monthly invoicing per company after ``as_of``, with p10/p90 (see the module doc).

    Parameters
    ----------
    months : int
        Months forecast after the as-of month (the windows of ``month_windows``).
    min_months : int
        Fewer full months of history: a flat level, flagged ``short_history``.
    seasonal_months : int
        From this many full months on, AutoETS with yearly seasonality.
    recent_months : int
        Months the robust level (median) is taken over.
    plan_cv : float
        Relative standard deviation of a month taken from the sales plan.

    Attributes
    ----------
    as_of_ : Timestamp
        The date fitted at.
    history_ : DataFrame
        The full months: company, month, amount_rc, working_days, rate (per working day).
    summary_ : DataFrame
        Per company: method (``ets``, ``median`` or ``short_history``), n_months, level
        (amount per working day in the first forecast month), so_far (invoiced in the
        as-of month by as-of).
    rates_ : dict
        Per company, the forecast rate per working day and its sd for each window.
    """

    def __init__(
        self,
        *,
        months: int = 6,
        min_months: int = 3,
        seasonal_months: int = 24,
        recent_months: int = 6,
        plan_cv: float = 0.05,
    ) -> None:
        self.months = months
        self.min_months = min_months
        self.seasonal_months = seasonal_months
        self.recent_months = recent_months
        self.plan_cv = plan_cv

    def __repr__(self) -> str:
        return (
            f"InvoicingForecaster(months={self.months}, min_months={self.min_months}, "
            f"seasonal_months={self.seasonal_months}, recent_months={self.recent_months}, "
            f"plan_cv={self.plan_cv})"
        )

    def fit(self, invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx) -> InvoicingForecaster:
        """Learn each company's invoicing from the invoices issued by ``as_of``."""
        day = to_date(as_of)
        known = invoices.loc[invoices["issue_date"] <= day]
        s = sales(known, fx)
        s["month"] = s["issue_date"].dt.to_period("M").dt.to_timestamp()
        windows = month_windows(day, self.months)
        self.as_of_, self.windows_ = day, windows
        history, rows, self.rates_ = [], [], {}
        for company, g in s.groupby("company", sort=True):
            table = _full_months(g, day)
            history.append(table.assign(company=company))
            rate, sd, method = self._rates(table["rate"].to_numpy(), g, day, len(windows))
            so_far = float(
                g.loc[g["month"] == day.to_period("M").to_timestamp(), "amount_rc"].sum()
            )
            self.rates_[company] = (rate, sd)
            rows.append(
                {
                    "company": company,
                    "method": method,
                    "n_months": len(table),
                    "level": float(rate[0]) if len(rate) else 0.0,
                    "so_far": so_far,
                }
            )
        cols = ["company", "month", "amount_rc", "working_days", "rate"]
        self.history_ = (
            pd.concat(history, ignore_index=True)[cols] if history else pd.DataFrame(columns=cols)
        )
        self.summary_ = pd.DataFrame(
            rows, columns=["company", "method", "n_months", "level", "so_far"]
        )
        self._modelled_ = self._modelled()  # predict's table before a plan
        return self

    def _rates(
        self, y: np.ndarray, g: pd.DataFrame, day: pd.Timestamp, h: int
    ) -> tuple[np.ndarray, np.ndarray, str]:
        """Rate per working day and its sd for the next ``h`` months, and the method."""
        if len(y) >= self.seasonal_months:
            from statsforecast.models import AutoETS  # heavy: imported when used

            fc = AutoETS(season_length=12).fit(y.astype(float)).predict(h, level=[80])
            mean = np.clip(fc["mean"], 0.0, None)
            return mean, (fc["hi-80"] - fc["lo-80"]) / (2 * _Z90), "ets"
        if len(y) >= self.min_months:
            recent = y[-self.recent_months :]
            level = float(np.median(recent))
            mad = 1.4826 * float(np.median(np.abs(recent - level)))
            sd = max(mad, 0.05 * abs(level)) * np.sqrt(1.0 + 1.0 / len(recent))
            return np.full(h, max(level, 0.0)), np.full(h, sd), "median"
        first = np.datetime64(g["issue_date"].min().date(), "D")
        span = max(int(np.busday_count(first, np.datetime64(day.date(), "D") + 1)), 1)
        level = max(float(g["amount_rc"].sum()) / span, 0.0)
        return np.full(h, level), np.full(h, 0.5 * level), "short_history"

    def predict(self, plan: pd.DataFrame | None = None) -> pd.DataFrame:
        """Invoicing per company and month window (the as-of month's rest, then ``months``).

        Parameters
        ----------
        plan : DataFrame, optional
            ``company``, ``month`` (month start), ``amount_rc``: replaces the model there.

        Returns
        -------
        DataFrame
            company, month, start, end (exclusive), working_days, invoiced, p10, p90, sd,
            source (``model`` or ``sales_plan``), method, short_history.
        """
        out = self._modelled_.copy()  # the plan's rows are written over a copy
        if plan is not None and len(plan):
            out = self._apply_plan(out, plan)
        out["short_history"] = out["method"] == "short_history"
        out["p10"] = np.clip(out["invoiced"] - _Z90 * out["sd"], 0.0, None)
        out["p90"] = out["invoiced"] + _Z90 * out["sd"]
        out["working_days"] = out["working_days"].astype("int64")
        return out[_COLUMNS].reset_index(drop=True)

    def _modelled(self) -> pd.DataFrame:
        """The model's invoicing per company and window, before any plan (worked out by
        ``fit``: every change of the sales plan in the workbook starts from it)."""
        w = self.windows_
        wd = _working_days(w["start"], w["end"])
        frames = []
        for company, (rate, sd) in self.rates_.items():
            frames.append(
                w.assign(company=company, working_days=wd, invoiced=rate * wd, sd=sd * wd)
            )
        empty = w.assign(company="", working_days=0, invoiced=0.0, sd=0.0).iloc[:0]
        out = pd.concat(frames, ignore_index=True) if frames else empty
        out = out.merge(self.summary_[["company", "method", "so_far"]], on="company", how="left")
        out["source"] = "model"
        return out

    def _apply_plan(self, out: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
        planned = _planned(out, plan)
        has = ~np.isnan(planned)
        month0 = self.as_of_.to_period("M").to_timestamp()
        so_far = np.where(out["month"] == month0, out["so_far"].fillna(0.0), 0.0)
        left = np.clip(planned - so_far, 0.0, None)
        out["invoiced"] = np.where(has, left, out["invoiced"])
        out["sd"] = np.where(has, self.plan_cv * left, out["sd"])
        out["source"] = np.where(has, "sales_plan", "model")
        return out


def _full_months(g: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The company's full months up to ``day`` with amount, working days and rate."""
    first = g["issue_date"].min()
    start = first.to_period("M").to_timestamp()
    if first.day > 7:  # the book starts within the month: that month is partial
        start = start + pd.offsets.MonthBegin(1)
    last = (day + pd.Timedelta(days=1)).to_period("M").to_timestamp()  # exclusive
    months = pd.date_range(start, last, freq="MS", inclusive="left")
    amount = g.groupby("month")["amount_rc"].sum().reindex(months, fill_value=0.0)
    wd = _working_days(months, months + pd.offsets.MonthBegin(1))
    return pd.DataFrame(
        {
            "month": months,
            "amount_rc": amount.to_numpy(),
            "working_days": wd,
            "rate": amount.to_numpy() / np.maximum(wd, 1),
        }
    )


def _planned(out: pd.DataFrame, plan: pd.DataFrame) -> np.ndarray:
    """The plan's amount of each ``out`` row's company and month (its rows summed), NaN where
    it has none. A plan of one row per company and month (the workbook's, at each edit) is
    joined on key positions; pandas' grouping sums any other."""
    keys = ["company", "month"]
    at = key_positions(plan, out, keys)  # each plan row's row of ``out``
    found = at[at >= 0]
    if len(np.unique(found)) == len(found) and not plan["amount_rc"].isna().any():
        planned = np.full(len(out), np.nan)
        planned[found] = plan["amount_rc"].to_numpy(dtype=float)[at >= 0]
        return planned
    amounts = plan.groupby(keys)["amount_rc"].sum()
    return amounts.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy(dtype=float)


def daily_invoicing(monthly: pd.DataFrame) -> pd.DataFrame:
    """Spread each row of ``InvoicingForecaster.predict`` evenly over its working days.

    Returns
    -------
    DataFrame
        company, month, date (a working day), amount_rc.

    >>> row = pd.DataFrame({"company": ["A"], "month": [pd.Timestamp("2026-11-01")],
    ...     "start": [pd.Timestamp("2026-11-01")], "end": [pd.Timestamp("2026-12-01")],
    ...     "invoiced": [2100.0]})
    >>> daily_invoicing(row)["amount_rc"].agg(["count", "sum"]).tolist()
    [21.0, 2100.0]
    """
    start = monthly["start"].to_numpy(dtype="datetime64[D]")
    n_days = (monthly["end"].to_numpy(dtype="datetime64[D]") - start).astype(np.int64)
    row = np.repeat(np.arange(len(monthly)), n_days)
    first = np.repeat(np.cumsum(n_days) - n_days, n_days)
    date = start[row] + (np.arange(len(row)) - first).astype("timedelta64[D]")
    work = np.is_busday(date)
    row, date = row[work], date[work]
    count = np.bincount(row, minlength=len(monthly))
    amount = monthly["invoiced"].to_numpy(dtype=float)[row] / count[row]
    return pd.DataFrame(
        {
            "company": monthly["company"].to_numpy()[row],
            "month": monthly["month"].to_numpy()[row],
            "date": date.astype("datetime64[us]"),
            "amount_rc": amount,
        }
    )
