"""The charts: plotly figures from the analysis' tables (frames in, figure out, nothing shown).

Each chart is first a *spec*, a plain dict of traces and layout (``*_spec``),
then a figure (``go.Figure(spec)``). The report shows the figures; the workbook
builds its live charts once from the specs and afterwards sends only the new
trace data, without plotly's validation of a whole new figure. Amounts carry
thousands separators and the reporting currency in their hover text and axis. Text from
the book (ids in hover text and axis labels) is HTML-escaped: plotly draws a subset of
HTML in labels, and an id is shown as written, never as markup or a link.

Examples
--------
>>> weeks = pd.DataFrame({"week_start": pd.to_datetime(["2026-11-02", "2026-11-09"]),
...     "open_expected": [100.0, 50.0], "new_expected": [0.0, 20.0],
...     "total_expected": [100.0, 70.0], "total_p10": [80.0, 45.0], "total_p90": [120.0, 95.0]})
>>> fig = weekly_forecast(weeks, "EUR")
>>> [trace.name for trace in fig.data]
['open book', 'new sales']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "aged_balance_chart",
    "aged_balance_spec",
    "scenarios_chart",
    "scenarios_spec",
    "score_vs_open",
    "score_vs_open_spec",
    "target_vs_forecast",
    "target_vs_forecast_spec",
    "weekly_forecast",
    "weekly_forecast_spec",
]

Spec = dict[str, Any]
Trace = dict[str, Any]

_LAYOUT = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "separators": ".,",
    "hovermode": "x unified",
}
_BLUE, _GREY, _RED, _GREEN = "#1f77b4", "#9aa5b1", "#d62728", "#2ca02c"
_LIGHT = "#9ecae1"  # new sales: the blue of the open book, lighter
_MONEY = "%{y:,.0f}"


def _layout(title: str, currency: str, **extra: Any) -> dict[str, Any]:
    axis = {"tickformat": ",.0f", "title": {"text": currency}, "rangemode": "tozero"}
    return {**_LAYOUT, "title": {"text": title}, "yaxis": axis, **extra}


def _list(values: Any) -> list[Any]:
    """Plain values for the chart's JSON; amounts to the cent (the last float digits are noise
    that would make committed outputs differ after a harmless change of summation order)."""
    array = np.asarray(values)
    return (array.round(2) if array.dtype.kind == "f" else array).tolist()


def _labels(values: Any) -> list[str]:
    """Text from the book as plotly shows it literally (``&``, ``<``, ``>`` as entities).

    >>> _labels(["<b>A&B</b>"])
    ['&lt;b&gt;A&amp;B&lt;/b&gt;']
    """
    text = pd.Series(values, dtype=object).astype(str)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.str.replace(char, entity, regex=False)
    return text.tolist()


def target_vs_forecast_spec(gap: pd.DataFrame, currency: str, title: str = "") -> Spec:
    """Collected, then the open book and new sales stacked, against the target, with the gap.

    ``gap`` holds one company's rows of ``monthly_gap``. Closed months show what was
    collected; open months stack what was collected so far (the as-of month), the open
    book's forecast and the cash of invoices not issued yet, with the total's p10-p90.
    """
    month = gap["month"].dt.strftime("%Y-%m").to_numpy()
    closed = gap["status"].to_numpy() == "closed"
    collected = gap["collected"].fillna(0.0).to_numpy()
    total = (gap["total_forecast"].fillna(0.0) + gap["collected"].fillna(0.0)).to_numpy()
    short = gap["gap"].clip(lower=0.0).to_numpy()
    stack = {"type": "bar", "hovertemplate": _MONEY}
    data = [
        {
            **stack,
            "name": "collected",
            "x": _list(month),
            "y": _list(collected),
            "marker": {"color": _GREY},
        },
        {
            **stack,
            "name": "open book (forecast)",
            "x": _list(month[~closed]),
            "y": _list(gap["forecast"].to_numpy()[~closed]),
            "marker": {"color": _BLUE},
        },
        {
            "type": "scatter",
            "name": "target",
            "mode": "lines+markers",
            "x": _list(month),
            "y": _list(gap["target"]),
            "line": {"color": _RED, "width": 2},
            "hovertemplate": _MONEY,
        },
        {
            "type": "scatter",
            "name": "gap (shortfall)",
            "mode": "markers",
            "x": _list(month[~closed]),
            "y": _list(short[~closed]),
            "marker": {"symbol": "triangle-down", "size": 11, "color": _RED},
            "hovertemplate": _MONEY,
        },
        _new_sales_on_top(
            "new sales (forecast)",
            _list(month[~closed]),
            gap.loc[~closed, ["new_forecast", "total_forecast", "total_p10", "total_p90"]],
            shown=total[~closed],
        ),
    ]
    title = title or "Target against collected and forecast (open book + new sales), by month"
    return {"data": data, "layout": _layout(title, currency, barmode="stack")}


def _new_sales_on_top(name: str, x: list[Any], rows: pd.DataFrame, shown: np.ndarray) -> Trace:
    """The new-sales bar on top of the open book's: its hover shows the total (``shown``), its
    error bar the total's p10-p90. ``rows``: new, total, total_p10, total_p90 (in that order)."""
    new, total, p10, p90 = (rows[c].to_numpy() for c in rows.columns)
    return {
        "type": "bar",
        "name": name,
        "x": x,
        "y": _list(new),
        "marker": {"color": _LIGHT},
        "customdata": _list(shown),
        "hovertemplate": "%{y:,.0f} (total %{customdata:,.0f})<extra></extra>",
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": _list(p90 - total),
            "arrayminus": _list(total - p10),
            "color": "#444",
        },
    }


def weekly_forecast_spec(weeks: pd.DataFrame, currency: str, title: str = "") -> Spec:
    """The weekly cash-in: the open book and new sales stacked, the total's p10-p90.

    ``weeks`` holds one company's rows of ``total_cash_in`` (``week_start``,
    ``open_expected``, ``new_expected``, ``total_expected``, ``total_p10``, ``total_p90``).
    """
    start = _list(weeks["week_start"].dt.strftime("%Y-%m-%d"))
    data = [
        {
            "type": "bar",
            "name": "open book",
            "x": start,
            "y": _list(weeks["open_expected"]),
            "marker": {"color": _BLUE},
            "hovertemplate": _MONEY,
        },
        _new_sales_on_top(
            "new sales",
            start,
            weeks[["new_expected", "total_expected", "total_p10", "total_p90"]],
            shown=weeks["total_expected"].to_numpy(),
        ),
    ]
    title = title or "Cash-in forecast, week by week: open book + new sales, total p10-p90"
    layout = _layout(title, currency, barmode="stack", xaxis={"title": {"text": "week starting"}})
    return {"data": data, "layout": layout}


def cash_position_spec(position: pd.DataFrame, currency: str, title: str = "") -> Spec:
    """Closing cash week by week: the expected line in its p10-p90 fan, and the floor.

    ``position`` holds one company's rows of ``cash_position``.
    """
    end = position["week_start"] + pd.Timedelta(days=6)
    week = _list(end.dt.strftime("%Y-%m-%d"))
    data = [
        {
            "type": "scatter",
            "name": "p90",
            "mode": "lines",
            "x": week,
            "y": _list(position["closing_p90"]),
            "line": {"width": 0},
            "hovertemplate": _MONEY,
        },
        {
            "type": "scatter",
            "name": "p10-p90",
            "mode": "lines",
            "x": week,
            "y": _list(position["closing_p10"]),
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": "rgba(31,119,180,0.2)",
            "hovertemplate": _MONEY,
        },
        {
            "type": "scatter",
            "name": "closing cash (expected)",
            "mode": "lines+markers",
            "x": week,
            "y": _list(position["closing"]),
            "line": {"color": _BLUE, "width": 2},
            "hovertemplate": _MONEY,
        },
        {
            "type": "scatter",
            "name": "floor",
            "mode": "lines",
            "x": week,
            "y": _list(position["floor"]),
            "line": {"color": _RED, "dash": "dash"},
            "hovertemplate": _MONEY,
        },
    ]
    known = bool(position["opening_known"].all()) if len(position) else False
    title = title or (
        "Closing cash at each week's end, with its p10-p90 and the floor"
        if known
        else "Net cash flow from zero (opening balance unknown), with its p10-p90"
    )
    layout = _layout(title, currency, xaxis={"title": {"text": "week ending"}})
    layout["yaxis"] = {**layout["yaxis"], "rangemode": "normal"}
    return {"data": data, "layout": layout}


def cash_position_chart(position: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """The figure of :func:`cash_position_spec`."""
    return go.Figure(cash_position_spec(position, currency, title))


def aged_balance_spec(
    aged: pd.DataFrame, labels: list[str], currency: str, by: str = "company"
) -> Spec:
    """The aged balance as stacked bars, one bar per ``by`` value."""
    totals = aged.groupby(by, sort=True)[labels].sum()
    colours = [_GREEN, "#bcbd22", "#ff7f0e", "#e377c2", _RED]
    x = _labels(totals.index)
    data = [
        {
            "type": "bar",
            "name": label,
            "x": x,
            "y": _list(totals[label]),
            "marker": {"color": colour},
            "hovertemplate": _MONEY,
        }
        for label, colour in zip(labels, colours * 2, strict=False)
    ]
    return {
        "data": data,
        "layout": _layout("Aged balance (days past due)", currency, barmode="stack"),
    }


def score_vs_open_spec(customers: pd.DataFrame, currency: str, threshold: float) -> Spec:
    """Each customer's reliability score against its open amount."""
    data = []
    for label, colour in (("reliable", _GREEN), ("unreliable", _RED)):
        rows = customers.loc[customers["reliability"] == label]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "x": _list(rows["score"]),
                "y": _list(rows["open_amount_rc"]),
                "text": _labels(rows["customer_id"]),
                "marker": {"color": colour, "size": 7, "opacity": 0.7},
                "hovertemplate": "%{text}: score %{x:.0f}, open %{y:,.0f}<extra></extra>",
            }
        )
    top = float(np.nanmax([customers["open_amount_rc"].max(), 1.0]))
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "threshold",
            "x": [threshold, threshold],
            "y": [0.0, top],
            "line": {"color": _GREY, "dash": "dash"},
            "hoverinfo": "skip",
        }
    )
    title = "Reliability score against open amount, per customer"
    layout = _layout(
        title,
        currency,
        hovermode="closest",
        xaxis={"title": {"text": "score (0-100)"}, "range": [0, 100]},
    )
    return {"data": data, "layout": layout}


def target_vs_forecast(gap: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """The figure of :func:`target_vs_forecast_spec`."""
    return go.Figure(target_vs_forecast_spec(gap, currency, title))


def weekly_forecast(weeks: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """The figure of :func:`weekly_forecast_spec`."""
    return go.Figure(weekly_forecast_spec(weeks, currency, title))


def aged_balance_chart(
    aged: pd.DataFrame, labels: list[str], currency: str, by: str = "company"
) -> go.Figure:
    """The figure of :func:`aged_balance_spec`."""
    return go.Figure(aged_balance_spec(aged, labels, currency, by))


def score_vs_open(customers: pd.DataFrame, currency: str, threshold: float) -> go.Figure:
    """The figure of :func:`score_vs_open_spec`."""
    return go.Figure(score_vs_open_spec(customers, currency, threshold))


_SCENARIO_COLOURS = ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def scenarios_spec(rows: pd.DataFrame, currency: str, title: str = "") -> Spec:
    """The gap by open month, one bar per scenario beside the base (positive: short).

    ``rows`` holds one company's rows of ``Analysis.scenario_comparison`` (scenario, month,
    total_forecast, gap, probability, closing_cash); the hover adds the month's total
    cash-in, P(target met) and closing cash. Scenario names are the book's text: escaped.

    >>> rows = pd.DataFrame({"scenario": ["base", "base", "<i>x</i>", "<i>x</i>"],
    ...     "month": ["2026-11", "2026-12"] * 2, "total_forecast": [10.0, 12.0, 8.0, 9.0],
    ...     "gap": [-1.0, 2.0, 1.0, 5.0], "probability": [0.6, 0.3, 0.4, 0.1],
    ...     "closing_cash": [5.0, None, 3.0, None]})
    >>> spec = scenarios_spec(rows, "EUR")
    >>> [t["name"] for t in spec["data"]], spec["data"][1]["y"]
    (['base', '&lt;i&gt;x&lt;/i&gt;'], [1.0, 5.0])
    """
    data = []
    for i, (name, g) in enumerate(rows.groupby("scenario", sort=False)):
        extra = g[["total_forecast", "probability", "closing_cash"]].astype(float)
        data.append(
            {
                "type": "bar",
                "name": _labels([name])[0],
                "x": _list(g["month"]),
                "y": _list(g["gap"].astype(float)),
                "customdata": _list(extra.fillna(np.nan).to_numpy()),
                "marker": {"color": _SCENARIO_COLOURS[i % len(_SCENARIO_COLOURS)]},
                "hovertemplate": "gap %{y:,.0f}; cash-in %{customdata[0]:,.0f}; "
                "P(target met) %{customdata[1]:.0%}; closing %{customdata[2]:,.0f}",
            }
        )
    title = title or "Gap by month, each scenario beside the base (above 0: short)"
    layout = _layout(title, currency, barmode="group")
    layout["yaxis"] = {**layout["yaxis"], "rangemode": "normal"}
    return {"data": data, "layout": layout}


def scenarios_chart(rows: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """The figure of :func:`scenarios_spec`."""
    return go.Figure(scenarios_spec(rows, currency, title))
