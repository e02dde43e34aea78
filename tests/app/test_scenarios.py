"""Scenarios: each lever moves what it says and only that, the fitted models are reused,
the comparison and scenarios.csv hold every scenario beside the base, and the workbook
saves its settings as a scenario (locked append) and compares the saved ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.app.outputs import report_tables
from cashplan.app.scenarios import COMPARISON_COLUMNS, scenario_changes
from cashplan.app.workbook import Workbook
from cashplan.core.errors import CashplanError
from cashplan.io.book import Book, read_book
from cashplan.io.export import write_book
from cashplan.sample import make_book

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return make_book(n_invoices=4_000, n_customers=40)


@pytest.fixture(scope="module")
def base(tables) -> Analysis:
    a = Analysis(Book.from_frames(**tables), Settings(as_of=AS_OF))
    a.gap, a.runway, a.month_end  # noqa: B018 - computed once, reused by every scenario
    return a


def test_rows_of_a_scenario_combine_and_a_company_row_scopes_a_lever():
    rows = pd.DataFrame(
        {
            "scenario": ["d", "d", "d", "h", "h", "h"],
            "parameter": [
                "sales_factor",
                "sales_factor",
                "delay_shift_days",
                "spending.Salaries",
                "customer_delay:C1",
                "catch_up",
            ],
            "value": [0.8, 0.5, 10.0, 100.0, 30.0, 3.0],
            "company": ["", "UK01", "", "FR01", "", ""],
        }
    )
    assert scenario_changes(rows, ["FR01", "UK01"]) == {
        "d": {"sales_factor": {"FR01": 0.8, "UK01": 0.5}, "delay_shift_days": 10},
        "h": {"spending_add": {"FR01/salaries": 100.0}, "customer_delay": {"C1": 30}, "k": 3},
    }


def test_a_scenario_reuses_the_fitted_models(base):
    s = base.replace(sales_factor=0.8, delay_shift_days=15, spending_add={"salaries": 10.0})
    assert s.forecaster is base.forecaster and s.scorer is base.scorer
    assert s.invoicing is base.invoicing and s.lags is base.lags
    assert s.forecast is not base.forecast and s.new_sales is not base.new_sales


def test_sales_factor_scales_the_new_sales_only(base):
    s = base.replace(sales_factor={"FR01": 0.5, "UK01": 1.0})
    new, old = s.new_sales.monthly, base.new_sales.monthly
    fr, uk = (new["company"] == "FR01").to_numpy(), (new["company"] == "UK01").to_numpy()
    assert np.allclose(new["new_forecast"][fr], 0.5 * old["new_forecast"][fr])
    assert np.allclose(new["new_forecast"][uk], old["new_forecast"][uk])
    assert s.forecast is base.forecast  # the open book is not touched


def test_delay_shift_moves_the_open_book_later_and_keeps_its_amount(base):
    s = base.replace(delay_shift_days=30)
    new, old = s.forecast.invoices, base.forecast.invoices
    moved = (new["expected_date"] - old["expected_date"]).dt.days
    history = (old["basis"] == "history").to_numpy()
    assert (moved[history] > 0).mean() > 0.9  # the (conditioned) dates move later
    ours, theirs = (f.buckets.query("company == 'ALL'") for f in (s.forecast, base.forecast))
    assert ours["expected"].sum() == pytest.approx(theirs["expected"].sum())
    assert ours["expected"].iloc[0] < theirs["expected"].iloc[0]
    # the new sales' cash comes later too: less of it within the 13 weeks
    assert s.new_sales.weekly["new_expected"].sum() < base.new_sales.weekly["new_expected"].sum()


def test_customer_delay_moves_that_customer_only(base):
    items = base.forecast.invoices
    who = items.loc[items["basis"] == "history"].iloc[0]
    key = f"{who['company']}/{who['customer_id']}"
    s = base.replace(customer_delay={key: 30})
    new = s.forecast.invoices
    mine = (items["company"] == who["company"]) & (items["customer_id"] == who["customer_id"])
    pd.testing.assert_series_equal(
        new.loc[~mine, "expected_date"], items.loc[~mine, "expected_date"]
    )
    assert (new.loc[mine, "expected_date"] > items.loc[mine, "expected_date"]).any()
    assert s.new_sales is base.new_sales


def test_a_customer_delay_moves_each_payment_date_that_many_days(base):
    items = base.forecaster.predict().invoices  # no promise: the history alone
    who = items.loc[items["basis"] == "history"].iloc[0]
    keys = pd.MultiIndex.from_tuples([(who["company"], who["customer_id"])])
    delayed = base.forecaster.predict(delay_days=pd.Series([12], index=keys)).invoices
    mine = (items["customer_id"] == who["customer_id"]) & (items["company"] == who["company"])
    mine = (mine & (items["basis"] == "history")).to_numpy()
    for col in ("expected_date", "p10_date", "p90_date"):
        moved = (delayed.loc[mine, col] - items.loc[mine, col]).dt.days
        assert set(moved) == {12}
    assert delayed["basis"].equals(items["basis"])  # a what-if keeps the basis


def test_spending_added_each_open_month_to_the_scoped_company(base):
    s = base.replace(spending_add={"FR01/salaries": 30_000.0})
    new, old = (x.gap.query("status == 'open'") for x in (s, base))
    diff = (new["cash_need"].to_numpy() - old["cash_need"].to_numpy()).round(2)
    company = new["company"].to_numpy()
    assert set(diff[company == "FR01"]) == {30_000.0} and set(diff[company == "UK01"]) == {0.0}
    assert s.forecast is base.forecast and s.new_sales is base.new_sales


def test_a_spending_cut_never_takes_a_month_below_zero(base):
    s = base.replace(spending_add={"loans": -1e12})
    sums = s.spending.groupby(["company", "category", "month"])["amount"].sum()
    assert (sums >= -1e-6).all()
    open_months = sums.loc[:, "loans", :].loc[lambda x: x.index.get_level_values("month") > AS_OF]
    assert (open_months.abs() < 1e-6).all() and len(open_months) >= 6


def test_the_comparison_holds_every_scenario_beside_the_base(tables):
    biggest = tables["scenarios"]["parameter"].iloc[3]
    a = Analysis(Book.from_frames(**tables), Settings(as_of=AS_OF, company="FR01"))
    assert list(a.scenarios) == ["base", "downturn", "hire", "big client late"]
    assert biggest.startswith("customer_delay:")
    table = report_tables(a)["scenarios"]
    assert table.columns.tolist() == COMPARISON_COLUMNS
    assert set(table["company"]) == {"FR01"}  # the report's scope
    by = a.scenario_comparison.set_index(["scenario", "company", "month"])
    gap = by["gap"].unstack("scenario")
    assert (gap["hire"] - gap["base"]).loc["FR01"].round(2).eq(30_000.0).all()
    assert (gap["downturn"] > gap["base"]).any()
    overview = a.scenario_overview.set_index(["scenario", "company"])
    assert (
        overview.loc[("hire", "FR01"), "lowest_cash"]
        < overview.loc[("base", "FR01"), "lowest_cash"]
    )


def test_unknown_companies_and_categories_in_the_levers_are_refused(base):
    with pytest.raises(CashplanError, match="sales_factor"):
        base.replace(sales_factor={"XX": 0.5})
    with pytest.raises(CashplanError, match="spending_add"):
        base.replace(spending_add={"salarie": 5.0})
    with pytest.raises(CashplanError, match="delay_shift_days"):
        Settings(as_of=AS_OF, delay_shift_days=2.5)  # type: ignore[arg-type]


def test_the_workbook_saves_its_settings_as_a_scenario_and_compares(tmp_path: Path, tables):
    write_book({k: v for k, v in tables.items() if k != "scenarios"}, tmp_path)
    wb = Workbook(tmp_path, as_of=AS_OF, user="cfo")
    with pytest.raises(CashplanError, match="the settings are the base's"):
        wb.save_scenario("nothing")
    wb.set(sales_factor=0.9, k=2)
    key = next(iter(wb._book_spending))
    wb.set(spending={key: wb._book_spending[key] + 1_000.0})
    wb.save_scenario("plan B", note="what if")
    saved = read_book(tmp_path).scenarios
    assert saved[["scenario", "parameter", "value", "company"]].values.tolist() == [
        ["plan B", "sales_factor", 0.9, ""],
        ["plan B", "catch_up", 2.0, ""],
        ["plan B", f"spending.{key.split('/')[1]}", 1000.0, key.split("/")[0]],
    ]
    assert set(saved["recorded_by"]) == {"cfo"}
    with pytest.raises(CashplanError, match="already saved"):
        wb.save_scenario("plan B")
    overview = wb.compare_scenarios()
    assert overview["scenario"].tolist() == ["base", "plan B", "current settings"]
    values = overview.set_index("scenario")["gap"]
    assert values["plan B"] == pytest.approx(values["current settings"], rel=1e-6)
