"""The charts: plotly figures from the analysis' tables (frames in, figure out, nothing shown).

The same functions draw the report's charts and the workbook's live ones
(``go.FigureWidget(figure)``). Amounts carry thousands separators and the
reporting currency in their hover text and axis.

Examples
--------
>>> weeks = pd.DataFrame({"start": pd.to_datetime(["2026-11-02", "2026-11-09"]),
...     "expected": [100.0, 50.0], "p10": [80.0, 30.0], "p90": [120.0, 70.0]})
>>> fig = weekly_forecast(weeks, "EUR")
>>> [trace.name for trace in fig.data]
['p10-p90', 'expected']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["aged_balance_chart", "score_vs_open", "target_vs_forecast", "weekly_forecast"]

_LAYOUT = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "separators": ".,",
    "hovermode": "x unified",
}
_BLUE, _GREY, _RED, _GREEN = "#1f77b4", "#9aa5b1", "#d62728", "#2ca02c"


def _money_axis(fig: go.Figure, currency: str) -> go.Figure:
    fig.update_yaxes(tickformat=",.0f", title_text=currency, rangemode="tozero")
    return fig


def target_vs_forecast(gap: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """Collected (closed months) or forecast (open months) against the target, with the gap.

    ``gap`` holds one company's rows of ``monthly_gap``.
    """
    month = gap["month"].dt.strftime("%Y-%m")
    closed = gap["status"].to_numpy() == "closed"
    fig = go.Figure()
    fig.add_bar(
        x=month[closed],
        y=gap["collected"][closed],
        name="collected",
        marker_color=_GREY,
        hovertemplate="%{y:,.0f}",
    )
    forecast = gap["forecast"].fillna(0.0) + gap["collected"].fillna(0.0)
    fig.add_bar(
        x=month[~closed],
        y=forecast[~closed],
        name="forecast (expected)",
        marker_color=_BLUE,
        hovertemplate="%{y:,.0f}",
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (gap["forecast_p90"] - gap["forecast"])[~closed],
            "arrayminus": (gap["forecast"] - gap["forecast_p10"])[~closed],
        },
    )
    fig.add_scatter(
        x=month,
        y=gap["target"],
        name="target",
        mode="lines+markers",
        line={"color": _RED, "width": 2},
        hovertemplate="%{y:,.0f}",
    )
    short = gap["gap"].clip(lower=0.0)
    fig.add_scatter(
        x=month[~closed],
        y=short[~closed],
        name="gap (shortfall)",
        mode="markers",
        marker={"symbol": "triangle-down", "size": 11, "color": _RED},
        hovertemplate="%{y:,.0f}",
    )
    fig.update_layout(
        title=title or "Target against collected and forecast, by month",
        barmode="overlay",
        **_LAYOUT,
    )
    return _money_axis(fig, currency)


def weekly_forecast(weeks: pd.DataFrame, currency: str, title: str = "") -> go.Figure:
    """The weekly forecast: expected collections and their p10-p90 band."""
    start = weeks["start"].dt.strftime("%Y-%m-%d")
    fig = go.Figure()
    fig.add_bar(
        x=start,
        y=weeks["p90"] - weeks["p10"],
        base=weeks["p10"],
        name="p10-p90",
        marker_color="rgba(31,119,180,0.25)",
        hovertemplate="%{base:,.0f} - %{y:,.0f}",
    )
    fig.add_scatter(
        x=start,
        y=weeks["expected"],
        name="expected",
        mode="lines+markers",
        line={"color": _BLUE},
        hovertemplate="%{y:,.0f}",
    )
    fig.update_layout(
        title=title or "Collections forecast, week by week (weeks from Monday)", **_LAYOUT
    )
    fig.update_xaxes(title_text="week starting")
    return _money_axis(fig, currency)


def aged_balance_chart(
    aged: pd.DataFrame, labels: list[str], currency: str, by: str = "company"
) -> go.Figure:
    """The aged balance as stacked bars, one bar per ``by`` value."""
    totals = aged.groupby(by, sort=True)[labels].sum()
    colours = [_GREEN, "#bcbd22", "#ff7f0e", "#e377c2", _RED]
    fig = go.Figure()
    for label, colour in zip(labels, colours * 2, strict=False):
        fig.add_bar(
            x=totals.index.astype(str),
            y=totals[label],
            name=label,
            marker_color=colour,
            hovertemplate="%{y:,.0f}",
        )
    fig.update_layout(title="Aged balance (days past due)", barmode="stack", **_LAYOUT)
    return _money_axis(fig, currency)


def score_vs_open(customers: pd.DataFrame, currency: str, threshold: float) -> go.Figure:
    """Each customer's reliability score against its open amount."""
    fig = go.Figure()
    for label, colour in (("reliable", _GREEN), ("unreliable", _RED)):
        rows = customers.loc[customers["reliability"] == label]
        fig.add_scatter(
            x=rows["score"],
            y=rows["open_amount_rc"],
            mode="markers",
            name=label,
            marker={"color": colour, "size": 7, "opacity": 0.7},
            text=rows["customer_id"],
            hovertemplate="%{text}: score %{x:.0f}, open %{y:,.0f}<extra></extra>",
        )
    top = float(np.nanmax([customers["open_amount_rc"].max(), 1.0]))
    fig.add_scatter(
        x=[threshold, threshold],
        y=[0, top],
        mode="lines",
        name="threshold",
        line={"color": _GREY, "dash": "dash"},
        hoverinfo="skip",
    )
    layout = {**_LAYOUT, "hovermode": "closest"}
    fig.update_layout(title="Reliability score against open amount, per customer", **layout)
    fig.update_xaxes(title_text="score (0-100)", range=[0, 100])
    return _money_axis(fig, currency)
