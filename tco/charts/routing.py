"""Route charts: the cumulative cost of each route against its largest part alone (pure: Result in,
Figure out; docs/methodology.md section 15)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from tco.charts import base_layout, empty_figure, make_figure, result_colors
from tco.engine import Result
from tco.model import routing


def route_saving_figure(result: Result, basis: str = "cash") -> go.Figure:
    """Cumulative cost [USD] of every route (solid) and of its largest part alone (dashed), the saving
    (part total - route total) in the legend. Routes whose parts are not options of the scenario are left out."""
    title = f"Routes vs their largest part alone ({basis})"
    savings = [x for x in (routing.route_saving(result, o.name, basis) for o in result.options if o.kind == "route") if x]
    if not savings:
        return empty_figure(title, "No route whose parts are also options of the scenario")
    colors = result_colors(result)
    months = list(result.months)
    data = []
    shown = set()
    for sv in savings:
        route, part = result.option(sv["route"]), result.option(sv["largest_part"])
        series = (lambda o: o.cash_usd if basis == "cash" else o.accrual_usd)
        share = f" ({sv['saving_share']:.0%})" if sv["saving_share"] is not None else ""
        data.append({"type": "scatter", "x": months, "y": np.cumsum(series(route)), "mode": "lines",
                     "name": f"{route.name}: saves ${sv['saving_usd']:,.0f}{share} vs {part.name}",
                     "line": {"color": colors[route.name], "width": 3},
                     "hovertemplate": "%{y:$,.0f}<extra>" + route.name.replace("%", "%%") + "</extra>"})
        if part.name not in shown:
            shown.add(part.name)
            data.append({"type": "scatter", "x": months, "y": np.cumsum(series(part)), "mode": "lines",
                         "name": f"{part.name} alone", "line": {"color": colors[part.name], "width": 2, "dash": "dash"},
                         "hovertemplate": "%{y:$,.0f}<extra>" + part.name.replace("%", "%%") + "</extra>"})
    return make_figure(data, base_layout(title, "Month", f"Cumulative {basis} cost [USD]", height=420))


__all__ = ["route_saving_figure"]
