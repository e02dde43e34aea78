"""The cash of invoices not yet issued, the total with the open book, its calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.forecasting import cash_in
from cashplan.forecasting.cash_in import (
    calibration_scale,
    new_sales,
    new_sales_forecast,
    total_cash_in,
    total_monthly,
)
from cashplan.forecasting.collection import buckets_for, month_windows
from cashplan.forecasting.issue_lag import IssueLagModel
from cashplan.forecasting.new_sales import InvoicingForecaster
from cashplan.sample import make_book


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


def _per_bucket_by_pandas(cash, table, timing, starts, ends, companies):  # type: ignore[no-untyped-def]
    """The per-bucket sums as first written, with pandas' grouping (the reference)."""
    s = starts.to_numpy(dtype="datetime64[D]")
    e = ends.to_numpy(dtype="datetime64[D]")
    date = cash["date"].to_numpy(dtype="datetime64[D]")
    b = np.searchsorted(s, date, side="right") - 1
    ok = (b >= 0) & (date < e[np.clip(b, 0, None)])
    cv_table = table.set_index(["company", "month"])
    cv = (cv_table["sd"] / cv_table["invoiced"].where(cv_table["invoiced"] > 0)).fillna(0.0)
    keys = pd.MultiIndex.from_frame(cash[["company", "month"]])
    level = cash["amount_rc"].to_numpy() * cv.reindex(keys).fillna(0.0).to_numpy()
    c = pd.DataFrame(
        {
            "company": cash["company"].to_numpy()[ok],
            "bucket": b[ok],
            "mean": cash["amount_rc"].to_numpy()[ok],
            "level": level[ok],
        }
    )
    full = pd.MultiIndex.from_product([companies, range(len(s))], names=["company", "bucket"])
    g = c.groupby(["company", "bucket"])[["mean", "level"]].sum().reindex(full, fill_value=0.0)
    g = g.reset_index()
    size = g["company"].map(timing).fillna(0.0).to_numpy()
    g["var"] = g["level"] ** 2 + size * g["mean"].clip(lower=0.0)
    group = g.groupby("bucket", as_index=False)[["mean", "var"]].sum().assign(company="ALL")
    out = pd.concat([g[["company", "bucket", "mean", "var"]], group], ignore_index=True)
    return out.assign(sd=np.sqrt(out["var"])).drop(columns="var")


@pytest.mark.parametrize("planned", [False, True])
def test_the_per_bucket_sums_equal_pandas_grouping(book, planned):  # type: ignore[no-untyped-def]
    """The sums by integer codes give pandas' grouped sums: every company's buckets (a
    month with nothing invoiced, a plan's month with no band included) then ALL's."""
    day = pd.Timestamp("2026-10-31")
    invoicing = InvoicingForecaster().fit(book.invoices, day, book.fx)
    lags = IssueLagModel().fit(book.invoices, day, book.fx)
    plan = None
    if planned:
        companies = sorted(book.invoices["company"].unique())
        plan = pd.DataFrame(
            {"company": companies[:1], "month": [pd.Timestamp("2026-12-01")], "amount_rc": [0.0]}
        )
    table = invoicing.predict(plan)
    cash = lags.cash(
        cash_in.daily_invoicing(table), day + pd.Timedelta(days=1), pd.Timestamp("2027-06-01")
    )
    timing = lags.summary_.set_index("company")["timing_size"]
    names = sorted(table["company"].unique())
    for rows in (buckets_for(day).iloc[:13], month_windows(day)):
        args = (cash, table, timing, rows["start"], rows["end"], names)
        got, want = cash_in._per_bucket(*args), _per_bucket_by_pandas(*args)
        assert got["company"].tolist() == want["company"].tolist()
        assert got["bucket"].tolist() == want["bucket"].tolist()
        for column in ("mean", "sd"):
            np.testing.assert_allclose(got[column], want[column], rtol=1e-12, atol=1e-9)


def test_sources_one_per_month_or_mixed():
    """The ALL row's source: the month's one source, else ``mixed`` (as a groupby with
    ``nunique`` gave); a company's row: its own."""
    from cashplan.forecasting.cash_in import _sources

    month = pd.to_datetime(["2026-11-01", "2026-11-01", "2026-12-01", "2026-12-01", "2027-01-01"])
    table = pd.DataFrame(
        {
            "company": ["A", "B", "A", "B", "A"],
            "month": month,
            "source": ["model", "sales_plan", "sales_plan", "sales_plan", "model"],
        }
    )
    monthly = pd.DataFrame(
        {
            "company": ["A", "ALL", "B", "ALL", "ALL", "B"],
            "month": pd.to_datetime(
                ["2026-11-01", "2026-11-01", "2026-12-01", "2026-12-01", "2027-01-01", "2026-11-01"]
            ),
        }
    )
    got = _sources(table, monthly).tolist()
    assert got == ["model", "mixed", "sales_plan", "sales_plan", "model", "sales_plan"]
    per = table.groupby("month")["source"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "mixed")
    assert [g for g, c in zip(got, monthly["company"], strict=True) if c == "ALL"] == per.tolist()
