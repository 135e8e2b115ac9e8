"""Plotly figures for traffic: the forecast, the 24-bar daily profile, and a typical day (load vs fleet
capacity with the overflow shaded).

Pure: data in, ``plotly.graph_objects.Figure`` out; no Streamlit. Every axis title carries its unit.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .traffic import TypicalDay, relative_load

TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE  # once: a per-figure template= costs ~25 ms to validate

LOAD_COLOR = "#0072B2"
CAPACITY_COLOR = "#009E73"
OVERFLOW_COLOR = "#D55E00"
HOURS = list(range(24))


def forecast_figure(months: Sequence[str], requests_per_day, events: Optional[Sequence[tuple[int, float]]] = None,
                    title: str = "Traffic forecast") -> go.Figure:
    """Requests per day [req/day] by month, with a dotted marker at each event (step change)."""
    y = [float(v) for v in requests_per_day]
    fig = go.Figure(go.Scatter(x=list(months), y=y, mode="lines+markers", name="requests/day",
                               line=dict(color=LOAD_COLOR), hovertemplate="%{x}: %{y:,.0f} req/day<extra></extra>"))
    for idx, factor in events or ():
        # on a category axis a shape's x is the category's position
        fig.add_vline(x=idx, line_dash="dot", line_color="#888888",
                      annotation_text=f"x{factor:g} from {months[idx]}", annotation_position="top left")
    fig.update_layout(title=title, xaxis_title="month", yaxis_title="requests per day [req/day]",
                      margin=dict(l=10, r=10, t=50, b=10), height=320)
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    return fig


def daily_profile_figure(weights, title: str = "Daily load profile") -> go.Figure:
    """24 bars: the load of each hour relative to the day's average [-] (w_h / mean(w)); 1 = average."""
    rel = relative_load(weights)
    fig = go.Figure(go.Bar(x=HOURS, y=rel, name="relative load", marker_color=LOAD_COLOR,
                           hovertemplate="%{x}:00: %{y:.2f} x average<extra></extra>"))
    fig.add_hline(y=1.0, line_dash="dot", line_color="#888888", annotation_text="average")
    fig.update_layout(title=f"{title} (peak = {max(rel):.2f} x average)",
                      xaxis_title="hour of day", yaxis_title="load / average load [-]",
                      margin=dict(l=10, r=10, t=50, b=10), height=300)
    fig.update_xaxes(tickmode="linear", dtick=2)
    return fig


def typical_day_figure(day: TypicalDay) -> go.Figure:
    """Load [req/s] vs fleet capacity [req/s] over a typical day; for hybrid options the load above the
    fleet (sent to the API) is shaded between the capacity line and the load.
    """
    load = np.asarray(day.load_rps, dtype=float)
    cap = np.asarray(day.capacity_rps, dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=HOURS, y=cap, name="fleet capacity (x target utilisation)", mode="lines",
                             line=dict(color=CAPACITY_COLOR, shape="hv"),
                             hovertemplate="%{x}:00: %{y:.2f} req/s<extra>capacity</extra>"))
    if day.hybrid:
        fig.add_trace(go.Scatter(x=HOURS, y=np.maximum(load, cap), name="overflow to the API", mode="lines",
                                 line=dict(width=0, shape="hv"), fill="tonexty", fillcolor="rgba(213,94,0,0.35)",
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=HOURS, y=load, name="load", mode="lines+markers", line=dict(color=LOAD_COLOR, shape="hv"),
                             hovertemplate="%{x}:00: %{y:.2f} req/s<extra>load</extra>"))
    note = "" if day.shaped else " (no daily profile: flat day)"
    fig.update_layout(title=f"Typical day, {day.month}: {day.option}{note}",
                      xaxis_title="hour of day", yaxis_title="requests per second [req/s]",
                      margin=dict(l=10, r=10, t=50, b=10), height=340, legend=dict(orientation="h", y=-0.25))
    fig.update_xaxes(tickmode="linear", dtick=2)
    fig.update_yaxes(rangemode="tozero")
    return fig


__all__ = ["forecast_figure", "daily_profile_figure", "typical_day_figure"]
