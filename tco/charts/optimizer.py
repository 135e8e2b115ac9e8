"""Optimizer figures (pure: an OptimizerResult in, a plotly Figure out).

Pareto chart: total cash over the horizon [USD] against the p95 TPOT at the operating point [ms]
for every feasible self-host candidate, the frontier (no candidate both cheaper and faster) as a
line, the SLO's TPOT limit as a vertical line, and API offers as horizontal reference lines (an API
has no TPOT we measure).
"""
from __future__ import annotations

import plotly.graph_objects as go

from tco.analysis.optimizer import OptimizerResult, pareto_front
from tco.charts import PALETTE, add_axis_line, base_layout, make_figure

SOURCE_COLORS = {"measured": PALETTE[0], "adjusted": PALETTE[2], "estimated": PALETTE[1]}


def pareto_figure(result: OptimizerResult, max_apis: int = 3) -> go.Figure:
    pts = [c for c in result.feasible if c.kind == "self_host" and c.tpot_ms is not None]
    data = []
    for source, color in SOURCE_COLORS.items():
        sel = [c for c in pts if c.capacity_source == source]
        if sel:
            data.append({
                "type": "scatter", "x": [c.tpot_ms for c in sel], "y": [c.total_cash_usd for c in sel], "mode": "markers",
                "name": f"self-host ({source} capacity)", "marker": {"color": color, "size": 7, "opacity": 0.7},
                "text": [c.name for c in sel], "hovertemplate": "%{text}<br>TPOT %{x:.1f} ms<br>%{y:$,.0f}<extra></extra>"})
    front = [pts[i] for i in pareto_front([(c.tpot_ms, c.total_cash_usd) for c in pts])]
    if front:
        data.append({"type": "scatter", "x": [c.tpot_ms for c in front], "y": [c.total_cash_usd for c in front],
                     "mode": "lines", "name": "Pareto frontier", "line": {"color": "#444", "shape": "hv"},
                     "hoverinfo": "skip"})
    layout = base_layout("Cost against latency: feasible candidates", "TPOT p95 at the operating point [ms]",
                         "Total cash over the horizon [USD]", height=460, hovermode="closest",
                         yaxis={"type": "log", "rangemode": "normal"})
    if result.tpot_slo_ms is not None:
        add_axis_line(layout, {"color": "#D55E00", "dash": "dash"}, x=result.tpot_slo_ms,
                      text=f"SLO TPOT p95 {result.tpot_slo_ms:g} ms", position="top left")
    for c in [c for c in result.feasible if c.kind == "api"][:max_apis]:
        add_axis_line(layout, {"color": "#999", "dash": "dot"}, y=c.total_cash_usd, text=f"API: {c.name}",
                      position="bottom right")
    return make_figure(data, layout)


__all__ = ["pareto_figure", "SOURCE_COLORS"]
