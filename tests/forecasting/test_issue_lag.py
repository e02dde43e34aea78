"""IssueLagModel: when invoices are paid after their issue, and the cash of invoicing to come."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.core.fx import Fx
from cashplan.forecasting.issue_lag import IssueLagModel
from cashplan.forecasting.new_sales import InvoicingForecaster, daily_invoicing

FX = Fx.identity()


def daily_invoices(
    days: pd.DatetimeIndex, lag: np.ndarray, customer: object = "C1", amount: float = 100.0
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company": "A",
            "customer_id": customer,
            "currency": "EUR",
            "issue_date": days,
            "amount": amount,
            "paid_date": days + pd.to_timedelta(lag, unit="D"),
        }
    )


def test_the_lag_is_not_biased_short_by_invoices_still_open():
    days = pd.date_range("2025-06-01", "2026-10-31", freq="D")
    lag = np.where(np.arange(len(days)) % 2 == 0, 10, 90)
    inv = daily_invoices(days, lag)
    as_of = pd.Timestamp("2026-10-31")
    inv.loc[inv["paid_date"] > as_of, "paid_date"] = pd.NaT  # not paid yet at as-of
    mean = IssueLagModel().fit(inv, as_of, FX).summary_.loc[0, "mean_lag"]
    settled = inv.dropna(subset=["paid_date"])
    naive = (settled["paid_date"] - settled["issue_date"]).dt.days.mean()
    assert mean == pytest.approx(50.0, abs=2.0)
    assert naive < 47.0  # what settled invoices alone would say


def test_the_recurring_customers_lags_count_as_much_as_they_invoice_now():
    old = daily_invoices(
        pd.date_range("2025-01-01", "2026-03-31", freq="D"),
        np.full(455, 60),
        customer="GONE",
        amount=300.0,
    )
    now = daily_invoices(
        pd.date_range("2025-01-01", "2026-08-31", freq="D"), np.full(608, 10), customer="REGULAR"
    )
    inv = pd.concat([old, now], ignore_index=True)
    lags = IssueLagModel().fit(inv, "2026-10-31", FX)
    assert lags.summary_.loc[0, "mean_lag"] < 15.0  # REGULAR is all of recent invoicing
    w = inv["amount"] * 0.5 ** ((pd.Timestamp("2026-10-31") - inv["issue_date"]).dt.days / 365)
    history_mean = np.average((inv["paid_date"] - inv["issue_date"]).dt.days, weights=w)
    assert history_mean > 35.0  # what the history's own mix would say


def test_payment_runs_come_back_on_their_day_of_the_month():
    days = pd.bdate_range("2024-11-01", "2026-10-31").repeat(10)  # 10 invoices a working day
    next_month = (days.to_period("M") + 1).to_timestamp()
    paid = next_month + pd.Timedelta(days=24)  # the 25th of the month after the invoice
    inv = daily_invoices(days, (paid - days).days.to_numpy())
    inv.loc[inv["paid_date"] > "2026-10-31", "paid_date"] = pd.NaT
    lags = IssueLagModel().fit(inv, "2026-10-31", FX)
    table = InvoicingForecaster(months=3).fit(inv, "2026-10-31", FX).predict()
    cash = lags.cash(daily_invoicing(table), "2026-11-01", "2027-06-01")
    near = (cash["date"].dt.day - 25).abs() <= 3  # month lengths differ by up to 3 days
    assert cash.loc[near, "amount_rc"].sum() > 0.75 * cash["amount_rc"].sum()
    pooled = IssueLagModel(prior_invoices=1e12).fit(inv, "2026-10-31", FX)  # one lag for all
    smeared = pooled.cash(daily_invoicing(table), "2026-11-01", "2027-06-01")
    near = (smeared["date"].dt.day - 25).abs() <= 3
    assert smeared.loc[near, "amount_rc"].sum() < 0.5 * smeared["amount_rc"].sum()


def test_cash_conserves_the_invoiced_amount_less_what_lands_beyond():
    days = pd.date_range("2025-06-01", "2026-10-31", freq="D")
    rng = np.random.default_rng(3)
    inv = daily_invoices(days, rng.integers(0, 120, len(days)))
    inv.loc[inv["paid_date"] > "2026-10-31", "paid_date"] = pd.NaT
    lags = IssueLagModel().fit(inv, "2026-10-31", FX)
    table = InvoicingForecaster(months=2).fit(inv, "2026-10-31", FX).predict()
    cash = lags.cash(daily_invoicing(table), "2026-11-01", "2028-12-31")
    kept = 1 - lags.summary_.loc[0, "beyond_share"]
    assert cash["amount_rc"].sum() == pytest.approx(table["invoiced"].sum() * kept, rel=1e-3)
    assert cash["date"].min() >= pd.Timestamp("2026-11-02")  # lags of 0 on the first workday


def _cash_by_frames(model, daily, start, end):  # type: ignore[no-untyped-def]
    """``IssueLagModel.cash`` as first written: a frame per company, joined (the reference)."""
    first, stop = np.datetime64(pd.Timestamp(start).date(), "D"), np.datetime64(end.date())
    n_out, n_lag = int((stop - first).astype(np.int64)), model.max_lag + 1
    frames = []
    for company, g in daily.groupby("company", sort=True):
        if company not in model.mass_ or n_out <= 0:
            continue
        months, m = np.unique(g["month"].to_numpy(dtype="datetime64[D]"), return_inverse=True)
        dates = g["date"].to_numpy(dtype="datetime64[D]")
        t = (dates - first).astype(np.int64)
        k = pd.DatetimeIndex(dates).day.to_numpy() - 1
        spread = g["amount_rc"].to_numpy(dtype=float)[:, None] * model.mass_[company][k]
        slot = t[:, None] + np.arange(n_lag)
        ok = (slot >= 0) & (slot < n_out)
        cell = (m[:, None] * n_out + slot)[ok]
        table = np.bincount(cell, spread[ok], len(months) * n_out).reshape(len(months), n_out)
        mm, dd = np.nonzero(table)
        frames.append(
            pd.DataFrame(
                {
                    "company": company,
                    "month": months[mm].astype("datetime64[us]"),
                    "date": (first + dd.astype("timedelta64[D]")).astype("datetime64[us]"),
                    "amount_rc": table[mm, dd],
                }
            )
        )
    cols = ["company", "month", "date", "amount_rc"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def test_the_cash_built_at_once_is_the_companies_frames_joined(sample_book):
    """The expected cash per day, built as one frame, is the one first built a frame per
    company and joined, exactly (and empty alike)."""
    from cashplan.forecasting.new_sales import InvoicingForecaster, daily_invoicing

    book, day = sample_book, pd.Timestamp("2026-10-31")
    lags = IssueLagModel().fit(book.invoices, day, book.fx)
    daily = daily_invoicing(InvoicingForecaster().fit(book.invoices, day, book.fx).predict())
    start, end = day + pd.Timedelta(days=1), pd.Timestamp("2027-05-01")
    got = lags.cash(daily, start, end)
    assert got["company"].nunique() == 2 and len(got) > 500
    pd.testing.assert_frame_equal(got, _cash_by_frames(lags, daily, start, end), check_exact=True)
    none = lags.cash(daily.iloc[:0], start, end)
    pd.testing.assert_frame_equal(none, _cash_by_frames(lags, daily.iloc[:0], start, end))
