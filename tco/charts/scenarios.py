"""Side-by-side comparison of 2-4 evaluated scenarios: a table of key results and one cost chart.

Pure: Results in, rows and a plotly Figure out. Money in USD, cash basis (the headline basis).
"""
from __future__ import annotations

from typing import Mapping, Optional

import numpy as np
import plotly.graph_objects as go

from tco.charts import PALETTE, base_layout, headline, make_figure
from tco.engine import Result

#: Line dash per option within one scenario (colour = scenario).
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def compare_rows(results: Mapping[str, Result]) -> list[dict]:
    """One row per scenario: cheapest option and its total, reference API total, saving, cheapest NPV,
    cheapest USD per 1M tokens, the break-even month of the cheapest self-host option; plus the
    difference of each money column from the first scenario [USD]."""
    rows = []
    for label, r in results.items():
        h = headline(r)
        c = r.cheapest
        sh = [o for o in r.options if o.kind != "api"]
        best_sh = min(sh, key=lambda o: o.total_cash_usd) if sh else None
        rows.append({
            "scenario": label,
            "cheapest_option": h["cheapest"],
            "cheapest_total_cash_usd": h["cheapest_total_usd"],
            "cheapest_npv_usd": c.npv_usd if c else None,
            "cheapest_usd_per_million_tokens": c.usd_per_million_tokens if c else None,
            "reference": h["reference"],
            "reference_total_cash_usd": h["reference_total_usd"],
            "saving_vs_reference_usd": h["saving_usd"],
            "best_self_host": best_sh.name if best_sh else None,
            "best_self_host_break_even": best_sh.break_even_month if best_sh else None,
            "months": len(r.months),
        })
    if rows:
        first = rows[0]
        for row in rows:
            for key in ("cheapest_total_cash_usd", "cheapest_npv_usd", "reference_total_cash_usd"):
                a, b = row[key], first[key]
                row[f"{key}_diff"] = None if a is None or b is None else a - b
    return rows


def cumulative_curves_figure(results: Mapping[str, Result], options: Optional[str] = "all") -> go.Figure:
    """Cumulative cash per option for every scenario on one chart: colour = scenario, dash = option.

    ``options="cheapest"`` draws only each scenario's cheapest option.
    """
    data = []
    for k, (label, r) in enumerate(results.items()):
        color = PALETTE[k % len(PALETTE)]
        opts = r.options if options == "all" else [r.cheapest] if r.cheapest else []
        for j, o in enumerate(opts):
            data.append({
                "type": "scatter", "x": list(r.months), "y": np.cumsum(o.cash_usd), "mode": "lines",
                "name": f"{label}: {o.name}", "legendgroup": label,
                "line": {"color": color, "dash": DASHES[j % len(DASHES)], "width": 2},
                "hovertemplate": "%{y:$,.0f}<extra>" + f"{label}: {o.name}".replace("%", "%%") + "</extra>"})
    return make_figure(data, base_layout("Cumulative cost per scenario and option (cash)", "Month",
                                         "Cumulative cost [USD]", height=460))


__all__ = ["compare_rows", "cumulative_curves_figure"]
