"""When invoiced amounts become cash: the issue-to-payment lag, learned per company.

Model (decisions, also in the README):

- The lag is paid date - issue date in days, on a grid of 0 to ``max_lag`` days;
  what is paid later (or never) is the ``beyond`` share, collected after the grid.
- *Truncation*: an invoice issued 20 days before as-of and still open says only
  "lag > 20". Settled invoices alone would make the lag look short, so the
  distribution is a Kaplan-Meier estimate: open invoices are censored at their age.
- Each invoice (credit notes left out) weighs its amount in the reporting currency
  times a recency weight (half-life ``half_life_days`` on the issue date) times its
  customer's *mix factor*: the customers who invoiced in at least 3 of the last
  ``recent_months`` months get their share of recent invoicing, the others share
  the rest in proportion to their history. The new invoices come mostly from the
  recurring customers, so their payment habits count as much as they invoice now.
- *Payment runs*: the lag is estimated separately for each issue day of the month
  (1 to 31), shrunk toward the company's pooled lag by ``prior_invoices`` invoices'
  worth (Kish effective count). A customer that pays on the 25th has lags that
  depend on the issue day; convolving each day's invoicing with its own day's lags
  puts the cash back on the 25th.
- ``cash`` convolves a daily invoicing series with these distributions (numpy:
  one scatter-add per company, no loop per day or per invoice).

Examples
--------
>>> issue = pd.date_range("2026-01-01", periods=200, freq="D")
>>> inv = pd.DataFrame({"company": "A", "customer_id": "C1", "currency": "EUR",
...     "issue_date": issue, "amount": 100.0, "paid_date": issue + pd.Timedelta(days=30)})
>>> lags = IssueLagModel().fit(inv, "2026-08-31", Fx.identity())
>>> lags.summary_[["company", "mean_lag", "beyond_share"]].round(2).to_dict("records")
[{'company': 'A', 'mean_lag': 30.0, 'beyond_share': 0.0}]
>>> day = pd.DataFrame({"company": ["A"], "month": [pd.Timestamp("2026-09-01")],
...                     "date": [pd.Timestamp("2026-09-01")], "amount_rc": [500.0]})
>>> lags.cash(day, "2026-09-01", "2026-12-01")[["date", "amount_rc"]].to_dict("records")
[{'date': Timestamp('2026-10-01 00:00:00'), 'amount_rc': 500.0}]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.fx import Fx

__all__ = ["IssueLagModel"]

_DAYS_OF_MONTH = 31


class IssueLagModel:
    """Issue-to-payment lag distributions per company and issue day of the month.

    Parameters
    ----------
    max_lag : int
        Last lag of the grid, in days.
    half_life_days : float
        Recency weight's half-life, on the issue date.
    history_days : int
        Invoices issued this many days before as-of or later are used.
    recent_months : int
        The window that defines recurring customers and the recent mix (in months
        of 30.4 days): invoicing in at least 3 of them makes a customer recurring.
    prior_invoices : float
        Shrinkage of each issue day's distribution toward the company's pooled one.

    Attributes
    ----------
    as_of_ : Timestamp
        The date fitted at.
    mass_ : dict
        Per company, an array (31, max_lag + 1): the share of an amount issued on day
        ``k + 1`` of a month paid ``d`` days later. Each row sums to 1 - beyond.
    summary_ : DataFrame
        Per company: n_history, mean_lag (within the grid), median_lag, beyond_share,
        timing_size (sum of squared recent invoice amounts over their sum, used for the
        timing spread).
    """

    def __init__(
        self,
        *,
        max_lag: int = 365,
        half_life_days: float = 365.0,
        history_days: int = 730,
        recent_months: int = 6,
        prior_invoices: float = 30.0,
    ) -> None:
        self.max_lag = max_lag
        self.half_life_days = half_life_days
        self.history_days = history_days
        self.recent_months = recent_months
        self.prior_invoices = prior_invoices

    def __repr__(self) -> str:
        return (
            f"IssueLagModel(max_lag={self.max_lag}, half_life_days={self.half_life_days}, "
            f"history_days={self.history_days}, recent_months={self.recent_months}, "
            f"prior_invoices={self.prior_invoices})"
        )

    def fit(self, invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx) -> IssueLagModel:
        """Learn the lags from the invoices issued by ``as_of`` (payments after it unknown)."""
        day = to_date(as_of)
        issue = invoices["issue_date"]
        keep = (
            (issue <= day)
            & (issue > day - pd.Timedelta(days=self.history_days))
            & (invoices["amount"] > 0)
        ).to_numpy()
        # the columns read, then the rows (not every column of a million-row table)
        columns = ["company", "customer_id", "currency", "issue_date", "paid_date", "amount"]
        inv = invoices[columns].loc[keep]
        amount = fx.convert(inv["amount"], inv["currency"], inv["issue_date"])
        today = np.datetime64(day.date(), "D")
        issued = inv["issue_date"].to_numpy(dtype="datetime64[D]")
        paid = inv["paid_date"].to_numpy(dtype="datetime64[D]")
        age = (today - issued).astype(np.int64)
        known = ~np.isnat(paid) & (paid <= today)
        lag = np.where(known, (paid - issued).astype(np.int64).clip(0), age)
        day_k = pd.DatetimeIndex(issued).day.to_numpy() - 1
        weight = amount * 0.5 ** (age / self.half_life_days)
        self.as_of_, self.mass_, rows = day, {}, []
        # numbered once (hashing the text columns, never sorting a million strings)
        companies, names = pd.factorize(inv["company"], sort=True)
        customers = pd.factorize(inv["customer_id"])[0]
        for number, company in enumerate(names.tolist()):
            at = companies == number
            w = weight[at] * _mix(
                customers[at],
                amount[at],
                weight[at],
                age[at],
                self.recent_months,
            )
            self.mass_[company] = self._distribution(lag[at], known[at], day_k[at], w)
            recent = age[at] < self.recent_months * 30.4
            rows.append(
                _summary(
                    company, int(at.sum()), self.mass_[company], w, day_k[at], amount[at][recent]
                )
            )
        self.summary_ = pd.DataFrame(
            rows,
            columns=[
                "company",
                "n_history",
                "mean_lag",
                "median_lag",
                "beyond_share",
                "timing_size",
            ],
        )
        return self

    def _distribution(
        self, lag: np.ndarray, event: np.ndarray, day_k: np.ndarray, w: np.ndarray
    ) -> np.ndarray:
        """Kaplan-Meier lag mass per issue day (rows), shrunk toward the pooled one."""
        n = self.max_lag + 1
        event = event & (lag <= self.max_lag)
        time = np.minimum(lag, self.max_lag)
        cell = day_k * n + time
        size = _DAYS_OF_MONTH * n
        events = np.bincount(cell[event], w[event], size).reshape(_DAYS_OF_MONTH, n)
        leaving = np.bincount(cell, w, size).reshape(_DAYS_OF_MONTH, n)
        by_day = _km(events, leaving)
        pooled = _km(events.sum(axis=0, keepdims=True), leaving.sum(axis=0, keepdims=True))
        total = np.bincount(day_k, w, _DAYS_OF_MONTH)
        squares = np.bincount(day_k, w * w, _DAYS_OF_MONTH)
        n_eff = np.divide(total**2, squares, out=np.zeros(_DAYS_OF_MONTH), where=squares > 0)
        share = (n_eff / (n_eff + self.prior_invoices))[:, None]
        return share * by_day + (1 - share) * pooled

    def shifted(self, days: int | Mapping[str, int]) -> IssueLagModel:
        """A copy whose lags are ``days`` longer (shorter if negative), per company or for all
        (a what-if: the scenarios' ``delay_shift_days``); the fit is not repeated.

        Cash pushed past the grid joins the ``beyond`` share; a lag never goes below 0 (paid
        on the issue day at the earliest). ``summary_`` stays the fitted one.

        >>> issue = pd.date_range("2026-01-01", periods=200, freq="D")
        >>> inv = pd.DataFrame({"company": "A", "customer_id": "C1", "currency": "EUR",
        ...     "issue_date": issue, "amount": 100.0, "paid_date": issue + pd.Timedelta(days=30)})
        >>> lags = IssueLagModel().fit(inv, "2026-08-31", Fx.identity()).shifted(15)
        >>> day = pd.DataFrame({"company": ["A"], "month": [pd.Timestamp("2026-09-01")],
        ...                     "date": [pd.Timestamp("2026-09-01")], "amount_rc": [500.0]})
        >>> lags.cash(day, "2026-09-01", "2026-12-01")["date"].dt.strftime("%Y-%m-%d").tolist()
        ['2026-10-16']
        """
        out = copy.copy(self)
        out.mass_ = {}
        for company, mass in self.mass_.items():
            d = int(days.get(company, 0) if isinstance(days, Mapping) else days)
            moved = np.zeros_like(mass)
            if d >= 0:
                moved[:, d:] = mass[:, : mass.shape[1] - d]
            else:
                moved[:, : mass.shape[1] + d] = mass[:, -d:]
                moved[:, 0] += mass[:, :-d].sum(axis=1)
            out.mass_[company] = moved
        return out

    def cash(
        self, daily: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp
    ) -> pd.DataFrame:
        """Expected cash per day in ``[start, end)`` from a daily invoicing series.

        Parameters
        ----------
        daily : DataFrame
            company, month (the invoicing month), date, amount_rc (``daily_invoicing``).

        Returns
        -------
        DataFrame
            company, month (the invoicing month the cash comes from), date, amount_rc;
            a company without a lag model brings no cash.
        """
        first, stop = np.datetime64(to_date(start).date(), "D"), np.datetime64(to_date(end).date())
        n_out, n_lag = int((stop - first).astype(np.int64)), self.max_lag + 1
        parts: dict[str, list[np.ndarray]] = {"company": [], "month": [], "date": [], "amount": []}
        for company, g in daily.groupby("company", sort=True):
            if company not in self.mass_ or n_out <= 0:
                continue
            months, m = np.unique(g["month"].to_numpy(dtype="datetime64[D]"), return_inverse=True)
            dates = g["date"].to_numpy(dtype="datetime64[D]")
            t = (dates - first).astype(np.int64)
            k = pd.DatetimeIndex(dates).day.to_numpy() - 1
            spread = g["amount_rc"].to_numpy(dtype=float)[:, None] * self.mass_[company][k]
            slot = t[:, None] + np.arange(n_lag)
            ok = (slot >= 0) & (slot < n_out)
            cell = (m[:, None] * n_out + slot)[ok]
            table = np.bincount(cell, spread[ok], len(months) * n_out).reshape(len(months), n_out)
            mm, dd = np.nonzero(table)
            parts["company"].append(np.full(len(mm), company, dtype=object))
            parts["month"].append(months[mm].astype("datetime64[us]"))
            parts["date"].append((first + dd.astype("timedelta64[D]")).astype("datetime64[us]"))
            parts["amount"].append(table[mm, dd])
        cols = ["company", "month", "date", "amount_rc"]
        if not parts["company"]:
            return pd.DataFrame(columns=cols)
        # one frame built at the end (a frame per company joined: a few ms at each edit)
        return pd.DataFrame(
            {
                "company": pd.array(np.concatenate(parts["company"]), dtype="str"),
                "month": np.concatenate(parts["month"]),
                "date": np.concatenate(parts["date"]),
                "amount_rc": np.concatenate(parts["amount"]),
            }
        )


def _km(events: np.ndarray, leaving: np.ndarray) -> np.ndarray:
    """Kaplan-Meier mass per lag, rows independent: ``leaving`` = events + censored there."""
    at_risk = np.cumsum(leaving[:, ::-1], axis=1)[:, ::-1]
    hazard = np.divide(events, at_risk, out=np.zeros_like(events), where=at_risk > 0)
    survival = np.cumprod(1.0 - hazard, axis=1)
    before = np.hstack([np.ones((len(events), 1)), survival[:, :-1]])
    return before - survival


def _mix(
    customer: np.ndarray,
    amount: np.ndarray,
    weight: np.ndarray,
    age: np.ndarray,
    recent_months: int,
) -> np.ndarray:
    """Each invoice's customer mix factor (see the module doc)."""
    codes, uniques = pd.factorize(customer)
    n = len(uniques)
    recent = age < recent_months * 30.4
    month = (age // 30.4).astype(np.int64)
    pairs = np.unique(codes[recent] * (recent_months + 1) + month[recent])
    recurring = np.bincount(pairs // (recent_months + 1), minlength=n) >= 3
    now = np.bincount(codes[recent], amount[recent], n)
    hist = np.bincount(codes, weight, n)
    if now.sum() <= 0 or hist.sum() <= 0 or not recurring.any():
        return np.ones(len(customer))
    now, hist = now / now.sum(), hist / hist.sum()
    rest_now, rest_hist = 1.0 - now[recurring].sum(), 1.0 - hist[recurring].sum()
    other = rest_now / rest_hist if rest_hist > 1e-12 else 1.0
    factor = np.where(recurring, now / np.where(hist > 0, hist, 1.0), other)
    return np.clip(factor, 0.1, 10.0)[codes]


def _summary(
    company: str,
    n: int,
    mass: np.ndarray,
    w: np.ndarray,
    day_k: np.ndarray,
    recent_amount: np.ndarray,
) -> dict[str, object]:
    """One row of ``summary_``: the company's lag, weighted by its issue days."""
    per_day = np.bincount(day_k, w, _DAYS_OF_MONTH)
    pooled = (per_day / per_day.sum()) @ mass if per_day.sum() > 0 else mass.mean(axis=0)
    inside = pooled.sum()
    lags = np.arange(len(pooled))
    mean = float(pooled @ lags / inside) if inside > 0 else np.nan
    median = float(np.searchsorted(np.cumsum(pooled), 0.5 * inside)) if inside > 0 else np.nan
    pos = recent_amount[recent_amount > 0]
    size = float((pos**2).sum() / pos.sum()) if len(pos) else 0.0
    return {
        "company": company,
        "n_history": n,
        "mean_lag": mean,
        "median_lag": median,
        "beyond_share": float(1.0 - inside),
        "timing_size": size,
    }
