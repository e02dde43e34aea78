"""The whole cash-in: new invoicing, payment lags, their cash, the total and its backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.core.fx import Fx
from cashplan.forecasting.backtest_cash_in import backtest_cash_in
from cashplan.forecasting.cash_in import (
    calibration_scale,
    new_sales,
    new_sales_forecast,
    total_cash_in,
    total_monthly,
)
from cashplan.forecasting.collection import buckets_for, month_windows
from cashplan.forecasting.issue_lag import IssueLagModel
from cashplan.forecasting.new_sales import InvoicingForecaster, daily_invoicing
from cashplan.sample import make_book

FX = Fx.identity()


def monthly_invoices(
    first: str, last: str, amount: float | np.ndarray, company: str = "A"
) -> pd.DataFrame:
    """One invoice on the 2nd of each month (amounts may vary), all paid 30 days later."""
    issue = pd.date_range(first, last, freq="MS") + pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "company": company,
            "customer_id": "C1",
            "currency": "EUR",
            "issue_date": issue,
            "amount": amount,
            "paid_date": issue + pd.Timedelta(days=30),
        }
    )


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


# --- new invoicing -----------------------------------------------------------------------------


def test_only_full_months_are_history_and_the_as_of_month_is_forecast_for_its_rest():
    inv = monthly_invoices("2025-06-01", "2026-10-01", 2100.0)
    model = InvoicingForecaster(months=3).fit(inv, "2026-10-15", FX)
    assert model.history_["month"].max() == pd.Timestamp("2026-09-01")
    table = model.predict()
    first = table.iloc[0]
    assert first["month"] == pd.Timestamp("2026-10-01")
    assert first["start"] == pd.Timestamp("2026-10-16")
    assert first["working_days"] == np.busday_count("2026-10-16", "2026-11-01")
    assert table["month"].tolist() == month_windows("2026-10-15", 3)["month"].tolist()
    assert model.summary_.loc[0, "so_far"] == 2100.0


def test_a_month_end_as_of_counts_its_month_as_history():
    inv = monthly_invoices("2025-06-01", "2026-10-01", 2100.0)
    model = InvoicingForecaster().fit(inv, "2026-10-31", FX)
    assert model.history_["month"].max() == pd.Timestamp("2026-10-01")
    assert model.predict()["month"].min() == pd.Timestamp("2026-11-01")


def test_the_level_is_per_working_day_and_robust_to_one_outlier_month():
    amounts = np.full(17, 2200.0)
    amounts[-2] = 50_000.0  # one exceptional month
    inv = monthly_invoices("2025-06-01", "2026-10-01", amounts)
    table = InvoicingForecaster().fit(inv, "2026-10-31", FX).predict()
    per_day = table["invoiced"] / table["working_days"]
    assert per_day.max() < 2200.0 / 20  # the outlier is not in the median
    assert np.allclose(per_day, per_day.iloc[0])  # the same rate, whatever the month's working days
    assert (table["method"] == "median").all()
    assert (table["p10"] < table["invoiced"]).all() and (table["invoiced"] < table["p90"]).all()


def test_two_years_of_history_bring_yearly_seasonality():
    months = pd.date_range("2023-11-01", "2026-10-01", freq="MS")
    amounts = np.where(months.month == 12, 6000.0, 2000.0) * (1 + 0.02 * np.sin(np.arange(36)))
    inv = monthly_invoices("2023-11-01", "2026-10-01", amounts)
    table = InvoicingForecaster().fit(inv, "2026-10-31", FX).predict().set_index("month")
    assert (table["method"] == "ets").all()
    assert table.loc["2026-12-01", "invoiced"] > 2 * table.loc["2026-11-01", "invoiced"]


def test_a_short_history_is_flat_wide_and_flagged():
    inv = pd.concat(
        [
            monthly_invoices("2025-01-01", "2026-10-01", 2100.0),
            monthly_invoices("2026-09-01", "2026-10-01", 500.0, company="NEW"),
        ]
    )
    model = InvoicingForecaster().fit(inv, "2026-10-31", FX)
    table = model.predict()
    new = table.loc[table["company"] == "NEW"]
    assert new["short_history"].all() and (new["method"] == "short_history").all()
    assert not table.loc[table["company"] == "A", "short_history"].any()
    rate = new["invoiced"] / new["working_days"]
    assert np.allclose(rate, rate.iloc[0]) and rate.iloc[0] > 0
    assert np.allclose(new["sd"], 0.5 * new["invoiced"])  # +-50 % as one sd


def test_the_plan_replaces_the_model_and_the_as_of_month_keeps_what_is_left():
    inv = monthly_invoices("2025-01-01", "2026-10-01", 2100.0)
    model = InvoicingForecaster(months=2).fit(inv, "2026-10-15", FX)
    plan = pd.DataFrame(
        {
            "company": ["A", "A"],
            "month": pd.to_datetime(["2026-10-01", "2026-12-01"]),
            "amount_rc": [5000.0, 9000.0],
        }
    )
    base, table = model.predict(), model.predict(plan).set_index("month")
    assert table["source"].tolist() == ["sales_plan", "model", "sales_plan"]
    assert table.loc["2026-10-01", "invoiced"] == 5000.0 - 2100.0  # 2,100 invoiced already
    assert table.loc["2026-12-01", "invoiced"] == 9000.0
    assert (
        table.loc["2026-11-01", "invoiced"] == base.set_index("month").loc["2026-11-01", "invoiced"]
    )
    assert table.loc["2026-12-01", "sd"] == pytest.approx(0.05 * 9000.0)


def test_invoices_after_as_of_change_nothing_and_the_input_is_left_as_is():
    inv = monthly_invoices("2025-01-01", "2026-10-01", 2100.0)
    later = pd.concat([inv, monthly_invoices("2026-11-01", "2027-03-01", 99_999.0)])
    copy = later.copy()
    a = InvoicingForecaster().fit(inv, "2026-10-31", FX).predict()
    b = InvoicingForecaster().fit(later, "2026-10-31", FX).predict()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(later, copy)


def test_daily_invoicing_uses_working_days_and_keeps_each_month_total():
    inv = monthly_invoices("2025-01-01", "2026-10-01", 2100.0)
    table = InvoicingForecaster().fit(inv, "2026-10-31", FX).predict()
    daily = daily_invoicing(table)
    assert (daily["date"].dt.day_of_week < 5).all()
    sums = daily.groupby("month")["amount_rc"].sum()
    assert np.allclose(sums.to_numpy(), table.set_index("month")["invoiced"].to_numpy())


# --- issue-to-payment lags -----------------------------------------------------------------------


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


# --- new sales' cash, the total, the calibration ----------------------------------------------


@pytest.fixture(scope="module")
def book() -> Book:
    return Book.from_tables(make_book(n_invoices=6_000, n_customers=60, seed=5))


def test_new_sales_weeks_and_months_match_the_open_book_forecast(book):
    ns = new_sales(book.invoices, "2026-10-31", book.fx)
    weeks = buckets_for("2026-10-31").iloc[:13]["start"].tolist()
    for company, g in ns.weekly.groupby("company"):
        assert g["week_start"].tolist() == weeks, company
    assert sorted(ns.weekly["company"].unique()) == ["ALL", "FR01", "UK01"]
    months = month_windows("2026-10-31", 6)["month"].tolist()
    assert ns.monthly.loc[ns.monthly["company"] == "ALL", "month"].tolist() == months
    parts = ns.weekly.loc[ns.weekly["company"] != "ALL"].groupby("week_start")["new_expected"]
    group = ns.weekly.loc[ns.weekly["company"] == "ALL"].set_index("week_start")["new_expected"]
    assert np.allclose(parts.sum().to_numpy(), group.to_numpy())
    w = ns.weekly
    assert (w["new_p10"] <= w["new_expected"]).all() and (w["new_expected"] <= w["new_p90"]).all()
    assert ns.weekly["new_expected"].iloc[1] < ns.weekly["new_expected"].iloc[10]  # ramps up


def test_the_plan_shows_as_the_source_and_moves_the_cash(book):
    invoicing = InvoicingForecaster().fit(book.invoices, "2026-10-31", book.fx)
    lags = IssueLagModel().fit(book.invoices, "2026-10-31", book.fx)
    plan = pd.DataFrame(
        {"company": ["FR01"], "month": [pd.Timestamp("2026-11-01")], "amount_rc": [0.0]}
    )
    base = new_sales_forecast(invoicing, lags).monthly.set_index(["company", "month"])
    planned = new_sales_forecast(invoicing, lags, plan=plan).monthly.set_index(["company", "month"])
    key = ("FR01", pd.Timestamp("2026-11-01"))
    assert planned.loc[key, "source"] == "sales_plan"
    assert planned.loc[("ALL", pd.Timestamp("2026-11-01")), "source"] == "mixed"
    assert planned.loc[key, "new_forecast"] < base.loc[key, "new_forecast"]
    assert planned.loc[("UK01", pd.Timestamp("2026-12-01")), "new_forecast"] == pytest.approx(
        base.loc[("UK01", pd.Timestamp("2026-12-01")), "new_forecast"]
    )


def test_models_of_different_dates_are_refused(book):
    invoicing = InvoicingForecaster().fit(book.invoices, "2026-10-31", book.fx)
    lags = IssueLagModel().fit(book.invoices, "2026-09-30", book.fx)
    with pytest.raises(ValueError, match="same as-of"):
        new_sales_forecast(invoicing, lags)


def test_the_total_adds_means_and_independent_spreads_times_the_scale():
    start = pd.Timestamp("2026-11-02")
    open_weeks = pd.DataFrame(
        {
            "company": ["ALL", "ALL"],
            "start": [start, start],
            "kind": ["week", "month"],
            "expected": [300.0, 1.0],
            "p10": [0.0, 0.0],
            "p90": [300.0 + 1.2815515655446004 * 30, 2.0],
        }
    )
    new = pd.DataFrame(
        {
            "company": ["ALL"],
            "week_start": [start],
            "new_expected": [100.0],
            "new_p10": [0.0],
            "new_p90": [100.0 + 1.2815515655446004 * 40],
        }
    )
    one = total_cash_in(open_weeks, new)
    two = total_cash_in(open_weeks, new, scale=2.0)
    assert len(one) == 1 and one.loc[0, "total_expected"] == 400.0
    assert one.loc[0, "total_sd"] == pytest.approx(50.0)  # sqrt(30^2 + 40^2)
    assert two.loc[0, "total_p90"] - 400.0 == pytest.approx(2 * (one.loc[0, "total_p90"] - 400))


def test_the_monthly_total_adds_the_open_books_months(book):
    from cashplan.forecasting.collection import forecast

    fc = forecast(book.invoices, "2026-10-31", book.fx)
    ns = new_sales(book.invoices, "2026-10-31", book.fx)
    total = total_monthly(fc.months, ns.monthly)
    assert len(total) == len(fc.months)
    assert np.allclose(total["total_forecast"], total["open_expected"] + total["new_forecast"])
    assert (total["total_p10"] <= total["total_forecast"]).all()
    assert (total["total_forecast"] <= total["total_p90"]).all()


def test_the_calibration_sees_only_weeks_over_by_as_of():
    weeks = pd.date_range("2025-01-06", periods=60, freq="7D")
    rows = pd.DataFrame(
        {
            "as_of": pd.Timestamp("2025-01-05"),
            "week_start": weeks,
            "actual": 100.0 + np.tile([-10.0, 10.0], 30),
            "total_expected": 100.0,
            "total_sd": 10.0,
        }
    )
    as_of = weeks[40] - pd.Timedelta(days=1)  # 40 weeks over
    base = calibration_scale(rows, as_of)
    wild = rows.assign(actual=np.where(rows["week_start"] >= weeks[40], 1e6, rows["actual"]))
    assert calibration_scale(wild, as_of) == base == pytest.approx(1 / 1.2815515655446004)
    assert calibration_scale(rows, weeks[10]) == 1.0  # too few weeks yet


# --- the backtest ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result(book):
    return backtest_cash_in(
        book.invoices, book.fx, book.promises, first="2026-03-31", last="2026-06-30"
    )


def test_actuals_are_every_collection_after_as_of_in_the_week(result, book):
    inv = book.invoices
    day = pd.Timestamp("2026-04-30")
    weeks = result.weekly.loc[result.weekly["as_of"] == day]
    first = weeks.iloc[0]
    paid = inv["paid_date"]
    mask = (paid > day) & (paid < first["week_start"] + pd.Timedelta(days=7))
    rc = book.fx.convert(inv.loc[mask, "amount"], inv.loc[mask, "currency"], paid[mask]).sum()
    assert first["actual"] == pytest.approx(rc)
    mask &= inv["issue_date"] > day
    rc = book.fx.convert(inv.loc[mask, "amount"], inv.loc[mask, "currency"], paid[mask]).sum()
    assert first["actual_new"] == pytest.approx(rc)


def test_the_backtest_does_not_look_ahead(result, book):
    day = pd.Timestamp("2026-04-30")
    inv = book.invoices
    later = inv.assign(  # what happens after the date changes: bigger sales, later payments
        amount=inv["amount"].where(inv["issue_date"] <= day, inv["amount"] * 3),
        paid_date=inv["paid_date"].where(
            inv["paid_date"] <= day, inv["paid_date"] + pd.Timedelta(days=2)
        ),
    )
    again = backtest_cash_in(later, book.fx, book.promises, first=day, last=day)
    mine = result.weekly.loc[result.weekly["as_of"] == day].reset_index(drop=True)
    cols = ["open_expected", "new_expected", "total_expected", "run_rate", "last_year", "ets"]
    pd.testing.assert_frame_equal(again.weekly[cols], mine[cols], rtol=1e-9)
    assert not np.allclose(again.weekly["actual"], mine["actual"])


def test_the_total_beats_every_baseline_and_new_sales_matter(result):
    s = result.summary.set_index("method")
    best = s.loc[["run_rate", "last_year", "ets"], "wape"].min()
    assert s.loc["total", "wape"] < best
    assert s.loc["total", "wape"] < 0.7 * s.loc["open_book", "wape"]
    assert 0.2 < s.loc["total", "new_share"] < 0.6
    assert 0.0 < s.loc["total", "raw_coverage"] <= 1.0
