"""Cost against quality: one plotly figure from options already linked to their quality tier.

Pure: a list of :class:`tco.model.quality.OptionQuality` (each carrying its cost) in, a Figure out; no
Streamlit. The Compare page and tests draw through :func:`cost_quality_figure`.

Conventions
-----------
* x = LMArena text Elo [Elo points] of the one snapshot (the axis title carries the snapshot date);
  y = the chosen cost metric: ``usd_per_million_tokens`` (accrual, USD per 1M tokens, default),
  ``total_cash_usd`` or ``total_accrual_usd`` [USD]. Log y when costs span more than 20x.
* The Pareto frontier (cheapest option at each quality level) is a staircase: for a floor q between
  two frontier points, the cheapest option meeting q is the next point to the right.
* Options without a figure are never plotted at zero: they are listed in an annotation.
* A floor draws a vertical dashed line; options below it get hollow grey markers.
"""
from __future__ import annotations

from typing import Literal, Optional, Sequence

import plotly.graph_objects as go

from tco.model.quality import NO_FIGURE, OptionQuality, floor_status, pareto_frontier
from tco.charts import axis, make_figure, option_colors

Metric = Literal["usd_per_million_tokens", "total_cash_usd", "total_accrual_usd"]

METRIC_LABELS = {
    "usd_per_million_tokens": "Cost per 1M tokens, accrual [USD / 1M tokens]",
    "total_cash_usd": "Total cost over the horizon, cash [USD]",
    "total_accrual_usd": "Total cost over the horizon, accrual [USD]",
}

FRONTIER_COLOR = "#555555"
BELOW_COLOR = "#BBBBBB"
FLOOR_COLOR = "#D55E00"


def _fmt_cost(v: float, metric: str) -> str:
    if metric == "usd_per_million_tokens":
        return f"${v:,.2f} / 1M tokens"
    return f"${v:,.0f}"


def cost_quality_points(rows: Sequence[OptionQuality], metric: Metric = "usd_per_million_tokens"
                        ) -> list[tuple[str, Optional[float], Optional[float]]]:
    """(name, elo or None, cost or None) per option, the input of :func:`tco.model.quality.pareto_frontier`."""
    return [(r.name, r.elo, r.cost.get(metric)) for r in rows]


def cost_quality_figure(rows: Sequence[OptionQuality], metric: Metric = "usd_per_million_tokens",
                        floor_elo: Optional[float] = None, floor_label: str = "",
                        elo_label: str = "LMArena text Elo", colors: Optional[dict[str, str]] = None,
                        log_y: Optional[bool] = None, height: int = 420) -> go.Figure:
    """Scatter of cost [metric] against Elo with the Pareto frontier, the floor, and the unplotted.

    ``rows``: options with ``elo`` (None = no comparable figure) and ``cost[metric]``.
    ``floor_elo`` [Elo points]: draw the floor and mark options below it. ``colors``: per option name.
    """
    if metric not in METRIC_LABELS:
        raise ValueError(f"metric must be one of {sorted(METRIC_LABELS)}, got {metric!r}")
    colors = colors or option_colors([r.name for r in rows])
    plotted = [r for r in rows if r.elo is not None and r.cost.get(metric) is not None]
    missing = [r for r in rows if r not in plotted]
    frontier = pareto_frontier(cost_quality_points(plotted, metric))
    on_frontier = set(frontier)

    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    by_name = {r.name: r for r in plotted}
    if len(frontier) >= 1:
        fx = [by_name[n].elo for n in frontier]
        fy = [by_name[n].cost[metric] for n in frontier]
        lowest = min(r.elo for r in plotted)
        if lowest < fx[0]:  # below the first frontier point its option is still the cheapest
            fx, fy = [lowest] + fx, [fy[0]] + fy
        data.append({"type": "scatter", "x": fx, "y": fy, "mode": "lines",
                     "name": "Frontier: cheapest at each quality level",
                     "line": {"color": FRONTIER_COLOR, "width": 1.5, "shape": "vh", "dash": "dot"},
                     "hoverinfo": "skip"})
    for r in plotted:
        status = floor_status(r.elo, floor_elo)
        below = status == "below"
        cost = r.cost[metric]
        color = colors.get(r.name, "#0072B2")
        marker = {"size": 13 if r.name in on_frontier else 10,
                  "color": "rgba(0,0,0,0)" if below else color,
                  "line": {"color": BELOW_COLOR if below else color, "width": 2},
                  "symbol": {"self_host": "diamond", "route": "square"}.get(r.kind, "circle")}
        ci = r.tier_text
        tags = []
        if r.name in on_frontier:
            tags.append("on the frontier")
        if status in ("meets", "below"):
            tags.append("meets the floor" if status == "meets" else "below the floor")
        hover = (f"<b>{r.name}</b><br>Elo {ci}<br>{_fmt_cost(cost, metric)}"
                 + (f"<br>{', '.join(tags)}" if tags else "") + "<extra></extra>")
        data.append({"type": "scatter", "x": [r.elo], "y": [cost], "mode": "markers+text", "name": r.name,
                     "marker": marker, "text": [r.name], "textposition": "top center",
                     "textfont": {"size": 11, "color": BELOW_COLOR if below else "#333333"},
                     "hovertemplate": hover, "showlegend": False})
    if floor_elo is not None:
        # The floor is named in the legend (an in-plot label would cover the option names near it).
        floor_line = {"color": FLOOR_COLOR, "width": 1.5, "dash": "dash"}
        shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": floor_elo, "x1": floor_elo,
                       "y0": 0, "y1": 1, "line": floor_line})
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                     "name": f"Floor: {floor_label or f'Elo >= {floor_elo:.0f}'}", "line": floor_line,
                     "hoverinfo": "skip"})
    if missing:
        names = ", ".join(r.name for r in missing)
        annotations.append({"text": f"Not plotted ({NO_FIGURE}): {names}", "xref": "paper", "yref": "paper",
                            "x": 0.0, "y": -0.2, "xanchor": "left", "yanchor": "top", "showarrow": False,
                            "font": {"size": 11, "color": "#555555"}, "align": "left"})
    costs = [r.cost[metric] for r in plotted if r.cost[metric] > 0]
    if log_y is None:
        log_y = bool(costs) and min(costs) > 0 and max(costs) / min(costs) > 20
    xaxis = axis(f"{elo_label} [Elo points], higher is better")
    xs = [r.elo for r in plotted] + ([floor_elo] if floor_elo is not None else [])
    if xs:  # room for the option names at both ends
        pad = max(10.0, 0.12 * (max(xs) - min(xs)))
        xaxis["range"] = [min(xs) - pad, max(xs) + pad]
    if not plotted:
        annotations.append({"text": f"No option has a comparable quality figure ({elo_label}).",
                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False})
    layout = {
        "height": height,
        "title": {"text": "Cost against quality", "x": 0.0, "xanchor": "left", "font": {"size": 15}},
        "xaxis": xaxis,
        "yaxis": axis(METRIC_LABELS[metric], type="log" if log_y else "linear", tickprefix="$",
                      separatethousands=True),
        "margin": {"l": 60, "r": 20, "t": 50, "b": 110 if missing else 60},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1.0, "xanchor": "right"},
        "hovermode": "closest",
    }
    if shapes:
        layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    return make_figure(data, layout)


__all__ = ["cost_quality_figure", "cost_quality_points", "METRIC_LABELS"]
