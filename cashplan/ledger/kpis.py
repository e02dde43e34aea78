"""DSO-family KPIs: DSO (standard and count-back), best possible DSO, ADD, CEI.

The scalar functions carry the worked examples of ``domain.md``; :func:`kpis`
computes them per company and consolidated from a ledger at a date.

Examples
--------
>>> dso_standard(15_000, 10_000, 30)
45.0
>>> round(dso_countback(212_000, [100_000, 80_000, 70_000], [30, 30, 30]), 1)
73.7
>>> best_possible_dso(4_000, 10_000, 30)
12.0
>>> dso_standard(15_000, 10_000, 30) - best_possible_dso(4_000, 10_000, 30)  # ADD
33.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.dates import ALL, to_date
from cashplan.core.fx import Fx
from cashplan.ledger.items import items_at, open_rows, sales

__all__ = ["best_possible_dso", "cei", "dso_countback", "dso_standard", "kpis"]


def dso_standard(receivables: float, credit_sales: float, days: float) -> float:
    """Receivables / credit sales of the period x days in the period (NaN without sales)."""
    return receivables / credit_sales * days if credit_sales > 0 else float("nan")


def best_possible_dso(current_receivables: float, credit_sales: float, days: float) -> float:
    """Not-yet-due receivables / credit sales x days (NaN without sales)."""
    return dso_standard(current_receivables, credit_sales, days)


def dso_countback(
    receivables: float, monthly_sales: Sequence[float], month_days: Sequence[float]
) -> float:
    """Count-back (exhaustion) DSO.

    Parameters
    ----------
    receivables : float
        Receivables at the end of the latest month.
    monthly_sales, month_days : sequences, latest month first
        Credit sales and number of days of each month going back.

    Returns
    -------
    float
        Days: whole months are added while the receivables left exceed the
        month's sales, then the fraction of the month that covers the rest. If
        the history runs out first, the rest is counted at the oldest month's
        pace (NaN if no month had sales).

    Examples
    --------
    212,000 of receivables; sales 100,000 / 80,000 / 70,000 in 30-day months:
    30 + 30 + 32,000 / 70,000 x 30 = 73.71 days.

    >>> round(dso_countback(212_000, [100_000, 80_000, 70_000], [30, 30, 30]), 2)
    73.71
    """
    left = float(receivables)
    if left <= 0:
        return 0.0
    total = 0.0
    pace = float("nan")
    for s, d in zip(monthly_sales, month_days, strict=True):
        if s > 0:
            pace = d / s
        if s > 0 and left <= s:
            return total + left / s * d
        left -= max(s, 0.0)
        total += d
    return total + left * pace


def cei(
    opening_ar: float, credit_sales: float, closing_ar: float, closing_current_ar: float
) -> float:
    """Collection effectiveness index, in percent.

    (opening AR + credit sales - closing AR) / (opening AR + credit sales -
    closing current AR) x 100.

    >>> round(cei(100.0, 50.0, 90.0, 60.0), 2)  # 60 / 90
    66.67
    """
    collectible = opening_ar + credit_sales - closing_current_ar
    if collectible <= 0:
        return float("nan")
    return (opening_ar + credit_sales - closing_ar) / collectible * 100.0


def kpis(
    invoices: pd.DataFrame, as_of: str | pd.Timestamp, fx: Fx, cei_months: int = 3
) -> pd.DataFrame:
    """The KPIs per company and consolidated (``ALL``) at ``as_of``.

    Conventions (French practice): DSO = receivables incl. VAT / sales incl. VAT
    of the last 365 days x 365; best possible DSO likewise with the not-yet-due
    receivables; ADD = DSO - best possible DSO; the count-back DSO uses the 12
    calendar-month periods ending on ``as_of``. CEI is over the ``cei_months``
    months ending on ``as_of``, with the total sales invoiced in that period,
    the opening receivables converted at the opening date. ``add_invoices`` is
    the invoice-level ADD: the amount-weighted days late of the invoices paid
    late in the last 365 days.

    Returns
    -------
    DataFrame
        ``company``, ``receivables``, ``current_receivables``, ``sales_12m``,
        ``dso``, ``dso_countback``, ``best_possible_dso``, ``add``,
        ``add_invoices``, ``cei``.
    """
    day = to_date(as_of)
    opening_day = day - pd.DateOffset(months=cei_months)
    sold = sales(invoices, fx)
    period, month_days = _countback_periods(sold["issue_date"], day)
    late, late_days, late_rc = _paid_late(invoices, day, fx)
    at = _Ledger(
        items=_open_amounts(invoices, day, fx),
        opening=_open_amounts(invoices, opening_day, fx),
        sold=sold,
        in_year=(sold["issue_date"] > day - pd.Timedelta(days=365)) & (sold["issue_date"] <= day),
        in_cei=(sold["issue_date"] > opening_day) & (sold["issue_date"] <= day),
        period=period,
        month_days=month_days,
        late=late,
        late_days=late_days,
        late_rc=late_rc,
    )
    companies = sorted(invoices["company"].unique().tolist())
    return pd.DataFrame([_kpi_row(at, company) for company in [*companies, ALL]])


@dataclass(frozen=True)
class _Ledger:
    """What ``kpis`` reads of a ledger at a date, for every company."""

    items: pd.DataFrame  # open at as-of
    opening: pd.DataFrame  # open at the start of the CEI period
    sold: pd.DataFrame  # every sale
    in_year: pd.Series  # sales of the 365 days ending on as-of
    in_cei: pd.Series  # sales of the CEI period
    period: np.ndarray  # each sale's count-back period (0-11; else outside)
    month_days: np.ndarray  # the days of each count-back period
    late: pd.DataFrame  # invoices paid late in the last 365 days
    late_days: np.ndarray  # their days late
    late_rc: np.ndarray  # their amounts in the reporting currency


def _countback_periods(issue: pd.Series, day: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Each sale's calendar-month period, and the days of each of the 12 periods.

    0 = the month ending on ``day``, ..., 11 = the oldest; issue dates in
    (bounds[i + 1], bounds[i]] fall in period i, anything else outside 0-11.
    """
    bounds = pd.DatetimeIndex([day - pd.DateOffset(months=i) for i in range(13)])
    month_days = np.asarray((bounds[:-1] - bounds[1:]).days, dtype=float)
    ascending = bounds[::-1].to_numpy(dtype="datetime64[us]")
    period = 12 - np.searchsorted(ascending, issue.to_numpy(), side="left")
    return period, month_days


def _open_amounts(invoices: pd.DataFrame, day: pd.Timestamp, fx: Fx) -> pd.DataFrame:
    """``open_items`` at ``day`` with only the columns the KPIs read (company, the open
    amount in the reporting currency, the days past due): the same figures, without
    copying every text column of a million-row ledger."""
    columns = ["company", "due_date", "paid_date", "amount", "open_amount", "currency"]
    return items_at(invoices[columns], open_rows(invoices, day), day, fx)


def _paid_late(
    invoices: pd.DataFrame, day: pd.Timestamp, fx: Fx
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The invoices paid late in the 365 days ending on ``day``, their days late and their
    amounts in the reporting currency (converted on their paid dates)."""
    late = invoices[["company", "due_date", "paid_date", "amount", "currency"]].loc[
        (
            invoices["paid_date"].notna()
            & (invoices["paid_date"] <= day)
            & (invoices["paid_date"] > day - pd.Timedelta(days=365))
            & (invoices["paid_date"] > invoices["due_date"])
        ).to_numpy()
    ]
    late_days = (late["paid_date"] - late["due_date"]).dt.days.to_numpy(dtype=float)
    late_rc = fx.convert(late["amount"], late["currency"], late["paid_date"])
    return late, late_days, late_rc


def _mask(frame: pd.DataFrame, company: str) -> np.ndarray:
    """The rows of ``company`` (all of them for ``ALL``)."""
    if company == ALL:
        return np.ones(len(frame), bool)
    return (frame["company"] == company).to_numpy()


def _kpi_row(at: _Ledger, company: str) -> dict[str, object]:
    """The KPIs of one company (or ``ALL``): a row of ``kpis``."""
    sold, period = at.sold, at.period
    it, sm = at.items.loc[_mask(at.items, company)], _mask(sold, company)
    ar = float(it["open_amount_rc"].sum())
    current = float(it.loc[it["days_past_due"] <= 0, "open_amount_rc"].sum())
    year_sales = float(sold.loc[sm & at.in_year, "amount_rc"].sum())
    by_month = np.bincount(
        period[sm & (period >= 0) & (period < 12)],
        weights=sold.loc[sm & (period >= 0) & (period < 12), "amount_rc"],
        minlength=12,
    )
    lm = _mask(at.late, company)
    w = at.late_rc[lm].clip(min=0)
    opening = float(at.opening.loc[_mask(at.opening, company), "open_amount_rc"].sum())
    return {
        "company": company,
        "receivables": ar,
        "current_receivables": current,
        "sales_12m": year_sales,
        "dso": dso_standard(ar, year_sales, 365),
        "dso_countback": dso_countback(ar, by_month.tolist(), at.month_days.tolist()),
        "best_possible_dso": best_possible_dso(current, year_sales, 365),
        "add": dso_standard(ar, year_sales, 365) - best_possible_dso(current, year_sales, 365),
        "add_invoices": float(np.average(at.late_days[lm], weights=w))
        if w.sum() > 0
        else float("nan"),
        "cei": cei(opening, float(sold.loc[sm & at.in_cei, "amount_rc"].sum()), ar, current),
    }
