"""The CFO's workbook driven from Python: set a widget, figures and plan follow (issue 5)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan.app.workbook import Workbook, parse_money
from cashplan.io.book import read_book
from cashplan.planning.targets import cash_need
from tests.conftest import SAMPLE

AS_OF = "2026-10-31"


@pytest.fixture
def wb(tmp_path: Path) -> Workbook:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    return Workbook(book, as_of=AS_OF, user="Test CFO")


def _trace(wb: Workbook, chart: str, name: str) -> np.ndarray:
    (trace,) = [t for t in wb.charts[chart].data if t.name == name]
    return np.asarray(trace.y, dtype=float)


def test_safety_margin_slider_moves_targets_gap_and_plan(wb: Workbook) -> None:
    target = _trace(wb, "gap", "target")
    plan = wb.plan.value
    wb.margin.value = 0.2
    assert np.allclose(_trace(wb, "gap", "target")[-6:], target[-6:] * 1.2)
    assert wb.plan.value != plan
    assert "20%" not in plan and wb.analysis.settings.safety_margin == 0.2


def test_spending_box_changes_the_need_of_its_company_only(wb: Workbook) -> None:
    before = wb.analysis.gap.set_index(["company", "month"])["cash_need"]
    box = wb.spending["FR01/salaries"]
    old = parse_money(box.value)
    box.value = f"{old + 100_000.0:,.2f}"  # typed as shown, with separators
    after = wb.analysis.gap.set_index(["company", "month"])["cash_need"]
    open_months = pd.DatetimeIndex(
        wb.analysis.gap.loc[wb.analysis.gap["status"] == "open", "month"].unique()
    )
    book = wb.analysis.book
    salaries = cash_need(book.spending, book.fx, open_months).query(
        "company == 'FR01' and category == 'salaries'"
    )
    expected = (old + 100_000.0) - salaries.set_index("month")["amount"]  # FR01 is in EUR
    assert (after - before).loc["FR01"].loc[open_months].to_numpy() == pytest.approx(
        expected.loc[open_months].to_numpy()
    )
    assert (after - before).loc["FR01"].drop(open_months).abs().max() == 0  # the past stays
    assert (after - before).loc["UK01"].abs().max() == 0
    assert wb.analysis.settings.spending == {"FR01/salaries": old + 100_000.0}
    box.value = f"{old:.2f}"  # back to the book's figure: no override left
    assert wb.analysis.settings.spending == {}
    assert box.value == f"{old:,.2f}"  # shown back with separators
    box.value = "lots"
    assert "is not an amount" in wb.status.value and box.value == f"{old:,.2f}"


def test_threshold_and_company_change_classes_and_scope(wb: Workbook) -> None:
    reliable = (wb.analysis.reliability["reliability"] == "reliable").sum()
    wb.threshold.value = 30.0
    assert (wb.analysis.reliability["reliability"] == "reliable").sum() > reliable
    wb.company.value = "UK01"
    assert set(wb.analysis.plan.actions["company"]) <= {"UK01"}
    assert wb.charts["gap"].data[0].x is not None


def test_promise_entered_through_the_widgets_is_saved_and_moves_the_forecast(
    wb: Workbook,
) -> None:
    fc = wb.analysis.forecast.invoices
    item = fc.loc[(fc["basis"] == "history") & (fc["expected_date"] > "2027-01-10")].iloc[0]
    weekly = _trace(wb, "weekly", "open book")
    form = wb.promise_widgets
    form["customer"].value = item["customer_id"]
    assert item["invoice_id"] in form["invoice"].options
    form["invoice"].value = item["invoice_id"]
    assert parse_money(form["amount"].value) == pytest.approx(float(item["open_amount_rc"]), abs=1)
    form["date"].value = dt.date(2026, 11, 12)
    form["note"].value = "phoned the accountant"
    form["save"].click()
    assert "Saved" in wb.status.value
    saved = read_book(wb.analysis.book.path).promises.iloc[-1]  # on disk: a restart keeps it
    assert saved["invoice_id"] == item["invoice_id"] and saved["recorded_by"] == "Test CFO"
    assert saved["recorded_on"] == pd.Timestamp(AS_OF)
    new = wb.analysis.forecast.invoices.set_index("invoice_id").loc[item["invoice_id"]]
    assert new["basis"] == "promise"
    assert not np.allclose(_trace(wb, "weekly", "open book"), weekly)
    assert wb.last_update_ms > 0
    again = Workbook(wb.analysis.book.path, as_of=AS_OF, user="Test CFO")  # kernel restart
    assert len(again.analysis.book.promises) == len(wb.analysis.book.promises)


def test_a_bad_promise_shows_a_message_and_writes_nothing(wb: Workbook) -> None:
    path = Path(wb.analysis.book.path) / "promises.csv"
    before = path.read_bytes()
    form = wb.promise_widgets
    form["customer"].value = wb.analysis.items["customer_id"].iloc[0]
    form["date"].value = dt.date(2026, 10, 1)  # before as-of
    form["amount"].value = "100.00"
    form["save"].click()
    assert "before the as-of date" in wb.status.value
    assert path.read_bytes() == before


def test_shift_a_customer_through_the_widgets(wb: Workbook) -> None:
    form = wb.adjust_widgets
    customer = wb.analysis.items["customer_id"].iloc[0]
    form["customer"].value = customer
    form["shift"].value = 30
    form["save"].click()
    assert "Saved" in wb.status.value
    adj = read_book(wb.analysis.book.path).adjustments
    assert adj.iloc[-1][["customer_id", "shift_days", "recorded_by"]].tolist() == [
        customer,
        30,
        "Test CFO",
    ]
    mine = wb.analysis.forecast.invoices
    assert (mine.loc[mine["customer_id"] == customer, "basis"] == "adjusted").all()


def test_done_on_a_plan_row_records_the_action_in_the_activity_table(wb: Workbook) -> None:
    first = wb.analysis.plan.actions.iloc[0]
    form = wb.done_widgets
    assert form["action"].options[0][1] == 1
    form["action"].value = 1
    form["note"].value = "called the CFO"
    form["save"].click()
    assert "Saved" in wb.status.value
    saved = read_book(wb.analysis.book.path).activity
    assert saved[["company", "customer_id", "lever", "by", "note"]].values.tolist() == [
        [first["company"], first["customer_id"], first["lever"], "Test CFO", "called the CFO"]
    ]
    assert saved["date"].iloc[0] == pd.Timestamp(AS_OF)
    assert len(wb.analysis.book.activity) == 1


def test_a_redraw_shows_what_updating_the_plotly_figure_showed(wb: Workbook) -> None:
    """The charts' JSON takes the new trace data without plotly's figure objects (a few ms a
    chart): what the browser gets is what updating the plotly figure used to give."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from cashplan.app.workbook import _DATA_KEYS

    figures = {name: go.Figure(wb._figure(name)) for name in wb.charts}  # as first drawn
    wb.margin.value = 0.2
    fc = wb.analysis.forecast.invoices
    item = fc.loc[fc["basis"] == "history"].iloc[0]
    wb.save_promise(item["customer_id"], "2026-11-20", 1000.0, item["invoice_id"])
    wb.company.value = "UK01"
    for name, figure in figures.items():  # updated as the workbook updated its figures
        for old, new in zip(figure.data, wb._figure(name)["data"], strict=True):
            old.update({k: v for k, v in new.items() if k in _DATA_KEYS})
        expected = json.loads(pio.to_json(figure, validate=False))
        assert json.loads(pio.to_json(wb._shown[name], validate=False)) == expected, name
        assert json.loads(pio.to_json(wb.charts[name], validate=False)) == expected, name
        (output,) = wb.chart_views[name].outputs
        shown = output["data"]["application/vnd.plotly.v1+json"]
        assert shown["data"] == expected["data"] and shown["layout"]["width"] == 440, name


def test_the_plan_table_is_the_styled_tables_html_byte_for_byte(wb: Workbook) -> None:
    """The workbook writes the plan's cells itself: the same HTML as ``styled`` gives, on
    the sample's plan and on rows with text to escape, missing amounts and big numbers."""
    from cashplan.app import workbook as module
    from cashplan.app.notebook import styled

    def as_styled(shown: pd.DataFrame) -> str:
        return styled(
            shown,
            money=["open", "brings", "cost"],
            pct=["probability", "of the gap"],
            uuid="plan",
            compact=True,
        ).to_html()

    html = wb.plan.value
    start, end = html.index("<style"), html.index("</table>") + len("</table>\n")
    actions = wb.analysis.plan.actions.head(25)
    who = actions["name"].where(actions["name"] != "", actions["customer_id"])
    shown = actions.assign(name=who + " (" + actions["company"] + ")")
    shown = shown[list(module._PLAN_COLUMNS)].rename(columns=module._PLAN_COLUMNS)
    assert len(shown) > 5 and html[start:end] == as_styled(shown)
    hostile = shown.head(3).copy()
    hostile["customer"] = ["<script>x</script> & 'Co'", 'say "hi"', "plain"]
    hostile["owner"] = ["ok", "<b>", "a&b"]
    hostile["open"] = [np.nan, 1_234_567.891, -5.5]
    hostile["days late"] = [1_000_000, 0, 7]
    hostile["probability"] = [np.nan, 0.12345, 1.0]
    assert module._plan_table(hostile) == as_styled(hostile)
    assert module._plan_table(hostile.head(0)) == as_styled(hostile.head(0))
