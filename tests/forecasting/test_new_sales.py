"""InvoicingForecaster and daily_invoicing: each company's invoicing still to come."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.core.fx import Fx
from cashplan.forecasting.collection import month_windows
from cashplan.forecasting.new_sales import InvoicingForecaster, daily_invoicing

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


def test_plans_in_turn_give_what_a_fresh_model_gives(sample_book):
    """The model's table is kept between predictions: plan after plan (and none) on one
    fitted model give what a model fitted for each gives, and no plan leaks into the next."""
    fx, day = sample_book.fx, "2026-10-31"
    kept = InvoicingForecaster().fit(sample_book.invoices, day, fx)
    plans = [
        None,
        pd.DataFrame(
            {"company": ["FR01"], "month": [pd.Timestamp("2026-12-01")], "amount_rc": [1e6]}
        ),
        pd.DataFrame(
            {
                "company": ["FR01", "UK01"],
                "month": [pd.Timestamp("2026-11-01"), pd.Timestamp("2027-01-01")],
                "amount_rc": [5e5, 2e5],
            }
        ),
        None,
    ]
    for plan in plans:
        fresh = InvoicingForecaster().fit(sample_book.invoices, day, fx).predict(plan)
        got = kept.predict(plan)
        pd.testing.assert_frame_equal(got, fresh, check_exact=True)
        assert (got["source"] == "sales_plan").sum() == (0 if plan is None else len(plan))


@pytest.mark.parametrize("kind", ["one row each", "rows summed", "a missing amount"])
def test_the_plan_joined_on_key_positions_is_the_grouped_sum(sample_book, kind):
    """The plan's amounts per company and month, joined on key positions when the plan has
    one row each (the workbook's), are pandas' grouped sums reindexed, exactly; any other
    plan (several rows, a missing amount) is summed by pandas."""
    from cashplan.forecasting import new_sales

    model = InvoicingForecaster().fit(sample_book.invoices, "2026-10-31", sample_book.fx)
    out = model._modelled_
    months = out["month"].drop_duplicates().iloc[1:4].tolist()
    plan = pd.DataFrame(
        {
            "company": ["FR01", "UK01", "FR01", "XX99"],
            "month": [months[0], months[1], months[2], months[0]],
            "amount_rc": [1.0e6 / 3, 2.5e5 + 0.1, 7.0, 3.0],
        }
    )
    if kind == "rows summed":
        plan = pd.concat([plan, plan.iloc[[0, 0]].assign(amount_rc=[0.1, 0.2])])
    if kind == "a missing amount":
        plan.loc[1, "amount_rc"] = np.nan
    grouped = plan.groupby(["company", "month"])["amount_rc"].sum()
    keys = pd.MultiIndex.from_frame(out[["company", "month"]])
    expected = grouped.reindex(keys).to_numpy(dtype=float)
    got = new_sales._planned(out, plan)
    np.testing.assert_array_equal(got, expected)
    assert np.isfinite(got).sum() == 3


def test_each_month_source_is_the_one_the_indexed_table_gives(sample_book):
    """The new sales' monthly ``source`` (model, sales_plan, or mixed for ALL) is the one
    read from the invoicing table indexed by company and month (the first way), exactly."""
    from cashplan.forecasting import cash_in
    from cashplan.forecasting.issue_lag import IssueLagModel

    book, day = sample_book, "2026-10-31"
    model = InvoicingForecaster().fit(book.invoices, day, book.fx)
    lags = IssueLagModel().fit(book.invoices, day, book.fx)
    month = model._modelled_["month"].iloc[2]
    plan = pd.DataFrame({"company": ["FR01"], "month": [month], "amount_rc": [5.0e5]})
    ns = cash_in.new_sales_forecast(model, lags, plan=plan)
    table, monthly = ns.invoicing, ns.monthly
    first, at = np.unique(table["month"].to_numpy(), return_index=True, return_inverse=True)[1:]
    source = table["source"].to_numpy(dtype=object)
    differs = np.bincount(at, weights=source != source[first][at]) > 0
    per = pd.Series(np.where(differs, "mixed", source[first]).astype(object), index=first)
    per.index = np.unique(table["month"].to_numpy())
    own = table.set_index(["company", "month"])["source"]
    keys = pd.MultiIndex.from_frame(monthly[["company", "month"]])
    group = monthly["month"].map(per).to_numpy(dtype=object)
    expected = np.where(
        monthly["company"] == "ALL", group, own.reindex(keys).to_numpy(dtype=object)
    ).astype(str)
    assert set(expected) == {"model", "sales_plan", "mixed"}
    np.testing.assert_array_equal(monthly["source"].to_numpy(dtype=str), expected)
