"""The CFO's workbook: widgets over the same analysis the report runs.

``Workbook`` holds an :class:`~cashplan.app.analysis.Analysis` and the widgets.
Moving a widget makes the analysis after that change (``Analysis.replace``,
which recomputes only what the change touches) and redraws the charts whose data
changed (plotly JSON in output widgets) and the battle plan. Promises, adjustments
and the sales plan are saved to the book's files at once (``cashplan.io.edits``:
checked, locked, appended), so a kernel restart loses nothing. Every action is
also a method (``set``, ``save_promise``, ``save_adjustment``, ``save_sales_plan``,
``mark_done``) that tests and scripts call directly. "Done" on a battle-plan row records
an ``activity`` row (the monthly review tells actions done from actions only planned).

Examples
--------
>>> import tempfile, pathlib
>>> from cashplan.io.export import write_book
>>> from cashplan.sample import make_book
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(tmp.name)
>>> _ = write_book(make_book(n_invoices=1_500, n_customers=12), folder)
>>> wb = Workbook(folder, as_of="2026-10-31", user="cfo")
>>> before = wb.analysis.view(wb.analysis.gap)["target"].sum()
>>> wb.set(safety_margin=0.1)
>>> bool(wb.analysis.view(wb.analysis.gap)["target"].sum() > before)
True
>>> tmp.cleanup()
"""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w
import markupsafe
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from cashplan.app import charts
from cashplan.app.analysis import Analysis, Settings, setting_default
from cashplan.app.notebook import styled, summary_markdown
from cashplan.app.scenarios import comparison, scenario_overview, settings_rows
from cashplan.core.errors import CashplanError
from cashplan.io.book import read_book
from cashplan.io.edits import (
    add_activity,
    add_adjustment,
    add_promise,
    add_scenario,
    reload_edits,
    set_sales_plan,
)
from cashplan.planning.targets import CATEGORIES, planned_spending

__all__ = ["Workbook", "parse_money"]

_ACCOUNT = "(whole account)"
_DATA_KEYS = {"x", "y", "base", "text", "error_y", "customdata"}
_CHARTS = ("position", "gap", "weekly", "aged", "scores")

_PLAN_ROWS = 25
_PLAN_COLUMNS = {  # the plan as the CFO reads it: short headers
    "rank": "rank",
    "name": "customer",
    "owner": "owner",
    "lever": "lever",
    "n_invoices": "invoices",
    "days_overdue": "days late",
    "open_rc": "open",
    "amount_rc": "brings",
    "probability": "probability",
    "cost_rc": "cost",
    "cumulative_share": "of the gap",
}
_SCENARIO_SETTINGS = (  # what a saved scenario may set; the comparison's base resets them
    "sales_factor",
    "delay_shift_days",
    "customer_delay",
    "spending_add",
    "spending",
    "safety_margin",
    "k",
)
_WIDE = w.Layout(width="auto")
_LABEL = {"description_width": "initial"}


class Workbook:
    """The interactive workbook on ``book_path`` at ``as_of`` for ``user`` (see the module doc)."""

    def __init__(self, book_path: str | Path, as_of: str, user: str, currency: str = "EUR") -> None:
        self.user = user
        book = read_book(book_path, reporting_currency=currency)
        self.analysis = Analysis(book, Settings(as_of=as_of))
        self.last_update_ms = 0.0
        self._drawn: dict[str, tuple[Any, ...]] = {}
        self._build()
        self._redraw()

    # ---- actions (the widgets call these) ----------------------------------------------------
    def set(self, **changes: Any) -> None:
        """Change settings: ``company``, ``k``, ``safety_margin``, ``threshold``, ``spending``...

        Promises and adjustments saved meanwhile by other workbooks are taken in too.
        """
        a = self.analysis
        self._update(a.replace(book=reload_edits(a.book), **changes))

    def refresh(self) -> None:
        """Take in the promises and adjustments other workbooks saved (tabs, kernels, people).

        Only the files that changed since they were read are read again; when none did,
        nothing is recomputed.
        """
        book = reload_edits(self.analysis.book)
        if book is not self.analysis.book:
            self._update(self.analysis.replace(book=book))

    def save_promise(
        self,
        customer_id: str,
        promised_date: str,
        amount: float,
        invoice_id: str = "",
        note: str = "",
    ) -> None:
        """Record a promise to pay and re-forecast."""
        self._record(
            add_promise,
            f"promise of {amount:,.2f} by {customer_id} for {promised_date}",
            customer_id=customer_id,
            promised_date=promised_date,
            amount=amount,
            invoice_id=invoice_id,
            note=note,
        )

    def save_adjustment(
        self,
        customer_id: str,
        invoice_id: str = "",
        shift_days: int = 0,
        to_date: str | None = None,
        note: str = "",
    ) -> None:
        """Shift an invoice or a whole customer by days, or pin it to a date, and re-forecast."""
        self._record(
            add_adjustment,
            f"adjustment of {invoice_id or customer_id}",
            customer_id=customer_id,
            invoice_id=invoice_id,
            shift_days=shift_days,
            to_date_=to_date,
            note=note,
        )

    def save_sales_plan(self, company: str, month: str, amount: float, note: str = "") -> None:
        """Set the invoicing expected for a company in a month (incl. VAT, in the company's
        invoicing currency), and re-forecast the new sales, the gap and the plan."""
        a = self.analysis
        invoices = a.book.invoices
        currency = str(invoices.loc[invoices["company"] == company, "currency"].mode().iloc[0])
        book = set_sales_plan(
            a.book,
            a.day,
            company=company,
            month=month,
            amount=amount,
            currency=currency,
            user=self.user,
            note=note,
        )
        self._update(a.replace(book=reload_edits(book)))
        self._say(f"Saved: sales plan of {amount:,.2f} {currency} for {company} in {month}.")

    def mark_done(self, rank: int, note: str = "", date: str | None = None) -> None:
        """Record that the plan's action ``rank`` was done (its customer and lever), on
        ``date`` (default the as-of date), in the book's ``activity`` table."""
        acts = self.analysis.plan.actions
        row = acts.loc[acts["rank"] == rank]
        if row.empty:
            raise CashplanError(f"no action ranked {rank} in the battle plan")
        a, act = self.analysis, row.iloc[0]
        book = add_activity(
            a.book,
            a.day,
            customer_id=str(act["customer_id"]),
            lever=str(act["lever"]),
            company=str(act["company"]),
            date=date,
            user=self.user,
            note=note,
        )
        self._update(a.replace(book=reload_edits(book)))
        self._say(f"Saved: {act['lever']} of {act['customer_id']} ({act['company']}) done.")

    def save_scenario(self, name: str, note: str = "") -> None:
        """Save the current settings as a named scenario in the book (what differs from the
        base: sales factor, delay, spending, safety margin, catch-up), then compare."""
        a = self.analysis
        rows = settings_rows(a.settings, Settings(as_of=a.settings.as_of), self._book_spending)
        book = add_scenario(a.book, a.day, name=name, rows=rows, user=self.user, note=note)
        self.analysis = a.replace(book=reload_edits(book))
        self.compare_scenarios()
        self._say(f"Saved: scenario {name.strip()} ({len(rows)} settings).")

    def compare_scenarios(self) -> pd.DataFrame:
        """The base, the book's saved scenarios and the current settings side by side (the
        scope's rows); shown in the Scenarios tab and returned."""
        a = self.analysis
        base = a.replace(**{k: setting_default(k) for k in _SCENARIO_SETTINGS})
        analyses = {**base.scenarios, "current settings": a}
        rows = a.view(comparison(analyses))
        overview = a.view(scenario_overview(analyses)).drop(columns="company")
        self.scenario_table.value = styled(
            overview, money=["total_forecast", "gap", "lowest_cash"], uuid="scenarios"
        ).to_html()
        figure = go.Figure(charts.scenarios_spec(rows, a.book.reporting_currency))
        _show(figure.to_dict(), self.scenario_chart)
        return overview

    def _record(self, edit: Any, what: str, **fields: Any) -> None:
        """Save an edit to the book (``cashplan.io.edits``), then update the workbook.

        The book comes back with the edited table as saved, other workbooks' rows included;
        the other edited table is taken in too if it changed.
        """
        a = self.analysis
        book = edit(a.book, a.day, company=a.settings.company, user=self.user, **fields)
        self._update(a.replace(book=reload_edits(book)))
        self._say(f"Saved: {what}.")

    def show(self) -> w.Widget:
        """The workbook's widget tree (display it in a notebook cell)."""
        return self.root

    # ---- internals --------------------------------------------------------------------------
    def _update(self, analysis: Analysis) -> None:
        start = time.perf_counter()
        self.analysis = analysis
        self._redraw()
        self.last_update_ms = (time.perf_counter() - start) * 1000

    def _say(self, text: str, error: bool = False) -> None:
        """Show ``text`` (it may quote the book: escaped) as the status line."""
        colour = "#b00020" if error else "#1b5e20"
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    def _guard(self, action: Any) -> Any:
        """Run a widget's action; a user's mistake shows as a message, never a traceback."""

        def run(*_: Any) -> None:
            try:
                action()
            except (CashplanError, ValueError) as err:
                self._say(str(err), error=True)

        return run

    def _build(self) -> None:
        controls = w.VBox(
            [
                w.HTML("<b>Settings</b>"),
                *self._setting_widgets(),
                w.HTML("<b>Monthly spending, open months</b> (prefilled from the book)"),
                w.GridBox(
                    self._spending_boxes(),
                    layout=w.Layout(grid_template_columns="repeat(2, 335px)"),
                ),
            ],
            layout=w.Layout(margin="0 24px 0 0"),
        )
        self.status = w.HTML()
        self.promise = self._promise_form()
        self.adjust = self._adjust_form()
        self.plan_form = self._sales_plan_form()
        self.scenario_form = self._scenario_form()
        edits = w.Tab(children=[self.promise, self.adjust, self.plan_form, self.scenario_form])
        for i, title in enumerate(("Promise to pay", "Shift or pin", "Sales plan", "Scenarios")):
            edits.set_title(i, title)
        # what each chart shows (a plotly figure's JSON, validated once, here), the outputs
        # showing them in the browser, and the figures as plotly objects (made when asked for)
        self._shown = {name: go.Figure(self._figure(name)).to_dict() for name in _CHARTS}
        self.charts = _Figures(self._shown)
        self.chart_views = {name: _chart_view(name) for name in _CHARTS}
        for name in _CHARTS:
            _show(self._shown[name], self.chart_views[name])
        self._drawn = self._chart_inputs()
        self.plan = w.HTML(layout=w.Layout(width="100%", overflow="auto"))
        self.done_form = self._done_form()
        self.summary = w.HTML()
        views = self.chart_views
        rows = [
            [controls, w.VBox([w.HTML("<b>Edits</b>"), edits, self.status])],
            [self._cash_controls(), views["position"]],
            [views["gap"], views["weekly"]],
            [views["aged"], views["scores"]],
        ]
        wrap = w.Layout(flex_flow="row wrap")
        self.root = w.VBox(
            [
                w.HBox(rows[0], layout=wrap),
                self.summary,
                *[w.HBox(row, layout=wrap) for row in rows[1:]],
                w.HTML("<b>Battle plan</b>"),
                self.plan,
                self.done_form,
            ]
        )

    def _setting_widgets(self) -> list[w.Widget]:
        """The scope and the planning settings, each calling :meth:`set` when moved."""
        companies = self.analysis.book.companies
        settings = self.analysis.settings  # the widgets start from the settings' defaults
        self.company = w.Dropdown(
            options=[("All (consolidated)", ""), *[(c, c) for c in companies]],
            value="",
            description="Company",
            style=_LABEL,
        )
        self.margin = w.FloatSlider(
            value=settings.safety_margin,
            min=0.0,
            max=0.5,
            step=0.01,
            description="Safety margin",
            readout_format=".0%",
            continuous_update=False,
            style=_LABEL,
        )
        self.catch_up = w.IntSlider(
            value=settings.k,
            min=1,
            max=6,
            description="Catch-up (months)",
            continuous_update=False,
            style=_LABEL,
        )
        self.threshold = w.FloatSlider(
            value=settings.threshold,
            min=0.0,
            max=100.0,
            step=1.0,
            description="Reliable from score",
            readout_format=".0f",
            continuous_update=False,
            style=_LABEL,
        )
        self.company.observe(
            self._guard(lambda: self.set(company=self.company.value or None)), "value"
        )
        self.margin.observe(self._guard(lambda: self.set(safety_margin=self.margin.value)), "value")
        self.catch_up.observe(self._guard(lambda: self.set(k=self.catch_up.value)), "value")
        self.threshold.observe(
            self._guard(lambda: self.set(threshold=self.threshold.value)), "value"
        )
        return [self.company, self.margin, self.catch_up, self.threshold]

    def _spending_boxes(self) -> list[w.Text]:
        """One box per company and category: the mean monthly spending of the open months."""
        a = self.analysis
        self.spending: dict[str, w.Text] = {}
        self._book_spending: dict[str, float] = {}  # what each box shows until changed
        planned = planned_spending(a.book.spending, a.day).sort_values(["company", "category"])
        for company, category, currency, amount in planned.itertuples(index=False, name=None):
            if category not in CATEGORIES:
                continue
            box = _money_box(f"{company} {category} ({currency}/month)", float(amount), "330px")
            box.observe(self._guard(self._spending_changed), "value")
            self.spending[f"{company}/{category}"] = box
            self._book_spending[f"{company}/{category}"] = round(float(amount), 2)
        return list(self.spending.values())

    def _cash_controls(self) -> w.VBox:
        """Cash on hand per company (the bank table's, else empty) and the floor, as boxes."""
        a = self.analysis
        cur = a.book.reporting_currency
        opening = a.opening
        found = {} if opening is None else opening.set_index("company")["opening_rc"].to_dict()
        self._book_opening = {c: round(float(found.get(c, 0.0)), 2) for c in a.book.companies}
        self.opening_boxes: dict[str, w.Text] = {}
        for company, amount in self._book_opening.items():
            box = _money_box(f"{company} cash on hand ({cur})", amount, "330px")
            box.observe(self._guard(self._cash_changed), "value")
            self.opening_boxes[company] = box
        self.floor = _money_box(f"Cash floor, each company ({cur})", 0.0, "330px")
        self.floor.observe(self._guard(self._cash_changed), "value")
        known = "from the book's bank table" if a.opening is not None else "not in the book"
        title = w.HTML(f"<b>Cash position</b> (cash on hand {known})")
        return w.VBox([title, *self.opening_boxes.values(), self.floor])

    def _cash_changed(self) -> None:
        """A changed cash-on-hand box overrides its company's opening; the floor applies to all."""
        typed = {c: parse_money(box.value) for c, box in self.opening_boxes.items()}
        changed = {c: v for c, v in typed.items() if abs(v - self._book_opening[c]) > 0.004}
        self.set(opening_cash=changed, cash_floor=parse_money(self.floor.value))

    def _spending_changed(self) -> None:
        base = self._book_spending
        values = {}
        for k, box in self.spending.items():
            try:
                values[k] = parse_money(box.value)
            except ValueError:
                box.value = _fmt(self.analysis.settings.spending.get(k, base[k]))
                raise
            box.value = _fmt(values[k])  # shown back with separators
        overrides = {k: v for k, v in values.items() if abs(v - base[k]) > 0.004}
        self.set(spending=overrides)

    def _customers(self) -> list[str]:
        items = self.analysis.scoped(self.analysis.items)
        return sorted(items["customer_id"].unique().tolist())

    def _invoices(self, customer: str) -> list[str]:
        items = self.analysis.scoped(self.analysis.items)
        return [_ACCOUNT, *sorted(items.loc[items["customer_id"] == customer, "invoice_id"])]

    def _customer_pickers(self) -> tuple[w.Combobox, w.Dropdown]:
        customer = w.Combobox(
            options=self._customers(),
            placeholder="customer id",
            description="Customer",
            ensure_option=True,
            style=_LABEL,
        )
        invoice = w.Dropdown(options=[_ACCOUNT], description="Invoice", style=_LABEL)

        def follow(_: Any) -> None:
            if customer.value in customer.options:
                invoice.options = self._invoices(customer.value)

        customer.observe(follow, "value")
        return customer, invoice

    def _promise_form(self) -> w.VBox:
        customer, invoice = self._customer_pickers()
        day = w.DatePicker(description="Promised for", style=_LABEL)
        amount = _money_box("Amount", 0.0)
        note = w.Text(description="Note", style=_LABEL)
        save = w.Button(description="Save promise", button_style="primary")

        def fill(_: Any) -> None:  # an invoice's promise defaults to its open amount
            items = self.analysis.items
            row = items.loc[items["invoice_id"] == invoice.value, "open_amount"]
            if len(row):
                amount.value = _fmt(float(row.iloc[0]))

        invoice.observe(fill, "value")

        def act() -> None:
            if day.value is None:
                raise CashplanError("pick the promised date")
            self.save_promise(
                customer.value,
                str(day.value),
                parse_money(amount.value),
                "" if invoice.value == _ACCOUNT else invoice.value,
                note.value,
            )

        save.on_click(self._guard(act))
        self.promise_widgets = {
            "customer": customer,
            "invoice": invoice,
            "date": day,
            "amount": amount,
            "note": note,
            "save": save,
        }
        return w.VBox([customer, invoice, day, amount, note, save])

    def _adjust_form(self) -> w.VBox:
        customer, invoice = self._customer_pickers()
        shift = w.IntText(value=0, description="Shift (days)", style=_LABEL)
        day = w.DatePicker(description="or pin to", style=_LABEL)
        note = w.Text(description="Note", style=_LABEL)
        save = w.Button(description="Save adjustment", button_style="primary")

        def act() -> None:
            self.save_adjustment(
                customer.value,
                "" if invoice.value == _ACCOUNT else invoice.value,
                int(shift.value),
                None if day.value is None else str(day.value),
                note.value,
            )

        save.on_click(self._guard(act))
        self.adjust_widgets = {
            "customer": customer,
            "invoice": invoice,
            "shift": shift,
            "date": day,
            "note": note,
            "save": save,
        }
        return w.VBox([customer, invoice, shift, day, note, save])

    def _sales_plan_form(self) -> w.VBox:
        companies = self.analysis.book.companies
        company = w.Dropdown(options=companies, value=companies[0], description="Invoicing of")
        company.style = _LABEL
        month = w.Text(
            value=f"{self.analysis.day + pd.offsets.MonthBegin(1):%Y-%m}",
            description="Month (YYYY-MM)",
            style=_LABEL,
        )
        amount = _money_box("Invoicing incl. VAT (its currency)", 0.0)
        note = w.Text(description="Note", style=_LABEL)
        save = w.Button(description="Save sales plan", button_style="primary")

        def act() -> None:
            self.save_sales_plan(company.value, month.value, parse_money(amount.value), note.value)

        save.on_click(self._guard(act))
        self.plan_widgets = {
            "company": company,
            "month": month,
            "amount": amount,
            "note": note,
            "save": save,
        }
        return w.VBox([company, month, amount, note, save])

    def _done_form(self) -> w.HBox:
        """A plan row picker and a "Done" button: the action is recorded as done."""
        pick = w.Dropdown(description="Action", style=_LABEL, layout=w.Layout(width="420px"))
        note = w.Text(description="Note", style=_LABEL)
        save = w.Button(description="Done", button_style="success")

        def act() -> None:
            if pick.value is None:
                raise CashplanError("pick the action done")
            self.mark_done(int(pick.value), note.value)

        save.on_click(self._guard(act))
        self.done_widgets = {"action": pick, "note": note, "save": save}
        return w.HBox([pick, note, save])

    def _done_options(self) -> list[tuple[str, int]]:
        """The plan's rows as the picker shows them: rank, customer (company), lever."""
        acts = self.analysis.plan.actions.head(_PLAN_ROWS)
        who = acts["name"].where(acts["name"] != "", acts["customer_id"])
        return [
            (f"{r}. {n} ({c}): {lever}", int(r))
            for r, n, c, lever in zip(
                acts["rank"], who, acts["company"], acts["lever"], strict=True
            )
        ]

    def _scenario_form(self) -> w.VBox:
        """The scenario levers (they move the analysis like any setting), saving the current
        settings as a named scenario, and the comparison of the saved ones."""
        factor = w.BoundedFloatText(
            value=1.0, min=0.0, max=10.0, step=0.05, description="Sales factor", style=_LABEL
        )
        delay = w.BoundedIntText(
            value=0, min=0, max=365, description="Everyone pays later (days)", style=_LABEL
        )
        factor.observe(self._guard(lambda: self.set(sales_factor=factor.value)), "value")
        delay.observe(self._guard(lambda: self.set(delay_shift_days=delay.value)), "value")
        name = w.Text(description="Scenario name", style=_LABEL)
        note = w.Text(description="Note", style=_LABEL)
        save = w.Button(description="Save as scenario", button_style="primary")
        compare = w.Button(description="Compare scenarios")
        save.on_click(self._guard(lambda: self.save_scenario(name.value, note.value)))
        compare.on_click(self._guard(self.compare_scenarios))
        self.scenario_table = w.HTML(layout=w.Layout(overflow="auto"))
        self.scenario_chart = _chart_view("scenarios")
        self.scenario_widgets = {
            "sales_factor": factor,
            "delay": delay,
            "name": name,
            "note": note,
            "save": save,
            "compare": compare,
        }
        return w.VBox(
            [
                factor,
                delay,
                name,
                note,
                w.HBox([save, compare]),
                self.scenario_table,
                self.scenario_chart,
            ]
        )

    def _redraw(self) -> None:
        a = self.analysis
        # a chart is redrawn only when what it shows changed (the analysis keeps unchanged parts)
        for name, key in self._chart_inputs().items():
            drawn = self._drawn.get(name)
            if drawn is not None and all(map(_same, drawn, key)):
                continue
            self._drawn[name] = key
            self._draw(name, self._figure(name))
        self.summary.value = _markdown_html(summary_markdown(a))
        actions = a.plan.actions.head(_PLAN_ROWS)
        who = actions["name"].where(actions["name"] != "", actions["customer_id"])
        shown = actions.assign(name=who + " (" + actions["company"] + ")")
        shown = shown[list(_PLAN_COLUMNS)].rename(columns=_PLAN_COLUMNS)
        table = _plan_table(shown)
        month = "" if a.plan.month is None else f" into {a.plan.month:%Y-%m}"
        caption = (
            f"<p>Amounts in {html.escape(a.book.reporting_currency)}; <i>brings</i>: the cash the "
            f"action is expected to bring{month}.</p>"
        )
        more = len(a.plan.actions) - len(actions)
        note = f"<p>... and {more} more actions (all in the report's actions.csv).</p>"
        if hasattr(self, "done_widgets"):
            self.done_widgets["action"].options = self._done_options()
        self.plan.value = (
            caption + f"<div style='overflow-x:auto'>{table}</div>" + (note if more else "")
        )

    def _chart_inputs(self) -> dict[str, tuple[Any, ...]]:
        a = self.analysis
        scope = a.settings.company or "ALL"
        return {
            "position": (a.position, scope),
            "gap": (a.gap, scope),
            "weekly": (a.cash_in, scope),
            "aged": (a.aged, scope),
            "scores": (a.customer_table, scope, a.settings.threshold),
        }

    def _figure(self, name: str) -> charts.Spec:
        a = self.analysis
        cur = a.book.reporting_currency
        if name == "position":
            return charts.cash_position_spec(a.view(a.position), cur)
        if name == "gap":
            return charts.target_vs_forecast_spec(a.view(a.gap), cur)
        if name == "weekly":
            return charts.weekly_forecast_spec(a.view(a.cash_in), cur)
        if name == "aged":
            return charts.aged_balance_spec(a.scoped(a.aged), a.aged_labels, cur)
        return charts.score_vs_open_spec(a.scoped(a.customer_table), cur, a.settings.threshold)

    def _draw(self, name: str, spec: charts.Spec) -> None:
        """Show ``spec``'s trace data in chart ``name``; the rest of the figure stays.

        What updating the plotly figure did, on its JSON: the specs are plain data, so the
        figure is not validated again, nor copied whole to be sent (a few ms per chart).
        """
        shown, traces = self._shown[name], spec["data"]
        if len(shown["data"]) != len(traces):  # never with our charts; kept correct anyway
            data = go.Figure({"data": traces}).to_dict()["data"]
        else:
            data = [
                _merged(old, {k: v for k, v in new.items() if k in _DATA_KEYS})
                for old, new in zip(shown["data"], traces, strict=True)
            ]
        self._shown[name] = {**shown, "data": data}
        _show(self._shown[name], self.chart_views[name])


class _Figures(Mapping[str, go.Figure]):
    """The workbook's charts as plotly figures, made from what each shows when asked for
    (by a script or a test: the browser gets the JSON, so a redraw never builds one)."""

    def __init__(self, shown: dict[str, dict[str, Any]]) -> None:
        self._shown = shown
        self._made: dict[str, tuple[dict[str, Any], go.Figure]] = {}

    def __getitem__(self, name: str) -> go.Figure:
        spec = self._shown[name]
        made = self._made.get(name)
        if made is None or made[0] is not spec:  # drawn again since: a new figure
            made = self._made[name] = (spec, go.Figure(spec))
        return made[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._shown)

    def __len__(self) -> int:
        return len(self._shown)


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` updated with ``new`` as plotly updates a trace: a nested property by its keys."""
    out = dict(old)
    for key, value in new.items():
        both = isinstance(value, dict) and isinstance(old.get(key), dict)
        out[key] = _merged(old[key], value) if both else value
    return out


def parse_money(text: str) -> float:
    """An amount as typed: ``1,234,567.89``, ``1 234 567.89`` or ``1234567.89``.

    >>> parse_money("1,234,567.89"), parse_money(" 2 500 ")
    (1234567.89, 2500.0)
    """
    cleaned = str(text).replace(",", "").replace(" ", "").replace("\u202f", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an amount: type digits, e.g. 1,250,000.00") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{text!r}: give an amount of 0 or more")
    return value


def _fmt(value: float) -> str:
    return f"{value:,.2f}"


def _money_box(description: str, value: float, width: str = "auto") -> w.Text:
    """A text box showing an amount with thousands separators (committed on Enter or Tab)."""
    return w.Text(
        value=_fmt(value),
        description=description,
        style=_LABEL,
        continuous_update=False,
        layout=w.Layout(width=width),
    )


_WIDTH = 440  # px: two side by side in JupyterLab with its file browser open


def _chart_view(name: str) -> w.Output:
    """The output a chart is shown in (class ``cashplan-chart-NAME``, for tests and styles)."""
    view = w.Output(layout=w.Layout(width=f"{_WIDTH + 10}px", min_height="370px"))
    view.add_class(f"cashplan-chart-{name}")
    return view


def _show(figure: dict[str, Any], view: w.Output) -> None:
    """Show ``figure`` (a figure's JSON) in ``view``: the whole figure, as plotly's JSON output,
    in the view's state.

    The browser draws the figure from the output widget's state, as JupyterLab draws a
    notebook's plotly outputs: nothing depends on an earlier message having been applied.
    A ``go.FigureWidget`` (an anywidget) would only get edits as messages, and the browser
    drops every message to one whose module took over 2 s to load (anywidget 0.11's
    ``_handle_comm_msg`` awaits a model-ready promise rejected after 2 s; each FigureWidget
    loads plotly's 5 MB bundle on its own): on a loaded machine such a chart never changed.
    """
    spec = {**figure, "layout": {**figure["layout"], "width": _WIDTH}}
    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(spec)
    bundle["text/plain"] = "<chart>"
    view.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def _same(old: Any, new: Any) -> bool:
    """The same input: the very same table (the analysis keeps unchanged ones), or equal value."""
    return old is new or (isinstance(old, str | int | float) and old == new)


_MONEY, _PCT = ("open", "brings", "cost"), ("probability", "of the gap")


def _plan_table(shown: pd.DataFrame) -> str:
    """The plan's rows as :func:`~cashplan.app.notebook.styled` shows them (money, percent,
    the rest as pandas shows it, every text HTML-escaped), the same HTML, the cells written
    here: the styler's templates took about 15 ms for 25 rows after every change."""
    empty = _plan_frame(tuple(shown.columns), tuple(map(str, shown.dtypes)))
    head, _, tail = empty.rpartition("  </tbody>")
    width = len(shown.columns)
    cells = [_plan_cells(shown[c], str(c)) for c in shown.columns]
    rows = [
        "    <tr>\n"
        + "".join(
            f'      <td id="T_plan_row{r}_col{c}" class="data row{r} col{c}" >{cells[c][r]}</td>\n'
            for c in range(width)
        )
        + "    </tr>\n"
        for r in range(len(shown))
    ]
    return head + "".join(rows) + "  </tbody>" + tail


@functools.cache
def _plan_frame(columns: tuple[str, ...], dtypes: tuple[str, ...]) -> str:
    """The styled plan table without rows: its style and header, made once."""
    frame = pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(columns, dtypes, strict=True)})
    money = [c for c in _MONEY if c in columns]
    pct = [c for c in _PCT if c in columns]
    return str(styled(frame, money=money, pct=pct, uuid="plan", compact=True).to_html())


def _plan_cells(column: pd.Series, name: str) -> list[str]:
    """A column's cells as the styler writes them (``styled``'s formats, pandas' default
    display with 6 decimals elsewhere, text escaped)."""
    values = column.tolist()
    if name in _MONEY:
        return ["" if pd.isna(v) else f"{v:,.0f}" for v in values]
    if name in _PCT:
        return ["" if pd.isna(v) else f"{v:.1%}" for v in values]
    return [
        str(markupsafe.escape(v))
        if isinstance(v, str)
        else f"{v:.6f}"
        if isinstance(v, float)
        else str(v)
        for v in values
    ]


def _markdown_html(text: str) -> str:
    """The summary's markdown as HTML for an ``HTML`` widget (mistune, as nbconvert uses).

    Raw HTML in ``text`` is escaped too (the book's text is already escaped by
    :func:`~cashplan.app.notebook.summary_markdown`).
    """
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table"])
    style = (
        "<style>.cashplan-summary td, .cashplan-summary th {padding: 2px 10px; "
        "text-align: right; white-space: nowrap}</style>"
    )
    return f"{style}<div class='cashplan-summary'>{render(text)}</div>"
