"""Plotly figures for traffic: the forecast, the 24-bar daily profile, and a typical day (load vs fleet
capacity with the overflow shaded).

Pure: data in, ``plotly.graph_objects.Figure`` out; no Streamlit. Every axis title carries its unit.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from tco.analysis.traffic import TypicalDay, relative_load
from tco.charts import add_axis_line, axis, make_figure

LOAD_COLOR = "#0072B2"
CAPACITY_COLOR = "#009E73"
OVERFLOW_COLOR = "#D55E00"
HOURS = list(range(24))


def _layout(title: str, x_title: str, y_title: str, height: int, *, xaxis: Optional[dict] = None,
            yaxis: Optional[dict] = None, **extra) -> dict:
    """The traffic figures' layout; ``xaxis``/``yaxis``: more properties of that axis, ``extra``: more layout keys."""
    return {"title": {"text": title}, "xaxis": axis(x_title, **(xaxis or {})), "yaxis": axis(y_title, **(yaxis or {})),
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "height": height, **extra}


def forecast_figure(months: Sequence[str], requests_per_day, events: Optional[Sequence[tuple[int, float]]] = None,
                    title: str = "Traffic forecast") -> go.Figure:
    """Requests per day [req/day] by month, with a dotted marker at each event (step change)."""
    y = [float(v) for v in requests_per_day]
    data = [{"type": "scatter", "x": list(months), "y": y, "mode": "lines+markers", "name": "requests/day",
             "line": {"color": LOAD_COLOR}, "hovertemplate": "%{x}: %{y:,.0f} req/day<extra></extra>"}]
    layout = _layout(title, "month", "requests per day [req/day]", 320, xaxis={"type": "category"},
                     yaxis={"rangemode": "tozero"})
    for idx, factor in events or ():
        # on a category axis a shape's x is the category's position
        add_axis_line(layout, {"color": "#888888", "dash": "dot"}, x=idx, text=f"x{factor:g} from {months[idx]}",
                      position="top left")
    return make_figure(data, layout)


def daily_profile_figure(weights, title: str = "Daily load profile") -> go.Figure:
    """24 bars: the load of each hour relative to the day's average [-] (w_h / mean(w)); 1 = average."""
    rel = relative_load(weights)
    data = [{"type": "bar", "x": HOURS, "y": rel, "name": "relative load", "marker": {"color": LOAD_COLOR},
             "hovertemplate": "%{x}:00: %{y:.2f} x average<extra></extra>"}]
    layout = _layout(f"{title} (peak = {max(rel):.2f} x average)", "hour of day", "load / average load [-]", 300,
                     xaxis={"tickmode": "linear", "dtick": 2})
    add_axis_line(layout, {"color": "#888888", "dash": "dot"}, y=1.0, text="average")
    return make_figure(data, layout)


def typical_day_figure(day: TypicalDay) -> go.Figure:
    """Load [req/s] vs fleet capacity [req/s] over a typical day; for hybrid options the load above the
    fleet (sent to the API) is shaded between the capacity line and the load.
    """
    load = np.asarray(day.load_rps, dtype=float)
    cap = np.asarray(day.capacity_rps, dtype=float)
    data = [{"type": "scatter", "x": HOURS, "y": cap, "name": "fleet capacity (x target utilisation)", "mode": "lines",
             "line": {"color": CAPACITY_COLOR, "shape": "hv"},
             "hovertemplate": "%{x}:00: %{y:.2f} req/s<extra>capacity</extra>"}]
    if day.hybrid:
        data.append({"type": "scatter", "x": HOURS, "y": np.maximum(load, cap), "name": "overflow to the API",
                     "mode": "lines", "line": {"width": 0, "shape": "hv"}, "fill": "tonexty",
                     "fillcolor": "rgba(213,94,0,0.35)", "hoverinfo": "skip"})
    data.append({"type": "scatter", "x": HOURS, "y": load, "name": "load", "mode": "lines+markers",
                 "line": {"color": LOAD_COLOR, "shape": "hv"},
                 "hovertemplate": "%{x}:00: %{y:.2f} req/s<extra>load</extra>"})
    note = "" if day.shaped else " (no daily profile: flat day)"
    return make_figure(data, _layout(f"Typical day, {day.month}: {day.option}{note}", "hour of day",
                                     "requests per second [req/s]", 340, xaxis={"tickmode": "linear", "dtick": 2},
                                     yaxis={"rangemode": "tozero"}, legend={"orientation": "h", "y": -0.25}))


__all__ = ["forecast_figure", "daily_profile_figure", "typical_day_figure"]
