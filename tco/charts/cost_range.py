"""The cost of every option with the range its estimated capacity carries (Compare's capacity-range section).

Pure: a :class:`tco.analysis.capacity_range.CostRanges` in, a figure out. One horizontal bar per option
(total over the horizon, cheapest on top; trace 0); an option whose capacity is estimated has an error bar
from the cost at its high capacity (P90) to the cost at its low capacity (P10) (trace 1, estimated options
only); measured, adjusted and inline capacities and APIs are points, and each label says which (trace 2).

Money is USD (``usd_to_currency`` converts to the scenario's currency at one rate).
"""
from __future__ import annotations

from typing import Optional

import plotly.graph_objects as go

from tco.analysis.capacity_range import CostRanges, OptionCostRange
from tco.charts import PALETTE, axis, base_layout, empty_figure, make_figure
from tco.core.format import fmt_usd

#: How each capacity source is named next to the cost (what the number rests on).
SOURCE_WORDS = {
    "measured": "measured capacity",
    "adjusted": "measured capacity, adjusted to your ISL/OSL",
    "inline": "capacity given in the scenario",
    "estimated": "estimated capacity",
    None: "API price",
}


def capacity_words(o: OptionCostRange) -> str:
    """What an option's cost rests on, in words ("measured capacity", "estimated capacity", "API price", ...)."""
    if o.kind == "api":
        return SOURCE_WORDS[None]
    return SOURCE_WORDS.get(o.capacity_source, o.capacity_source or "capacity unknown")


def _ends(o: OptionCostRange, basis: str) -> tuple[float, float, float]:
    if basis == "cash":
        return o.total_cash_usd, o.total_cash_usd_low, o.total_cash_usd_high
    return o.total_accrual_usd, o.total_accrual_usd_low, o.total_accrual_usd_high


def cost_range_figure(ranges: CostRanges, basis: str = "cash", colors: Optional[dict[str, str]] = None,
                      usd_to_currency: float = 1.0, currency: str = "USD") -> go.Figure:
    """Total cost per option [USD, or ``currency`` at ``usd_to_currency``] with the capacity range as an error bar.

    Bar length = total at the point capacity; error bar = [total at the high capacity end, total at the
    low capacity end] (estimated capacities only; points have none). ``basis``: "cash" or "accrual".
    """
    if basis not in ("cash", "accrual"):
        raise ValueError(f"basis must be 'cash' or 'accrual', got {basis!r}")
    title = f"Total {basis} cost over the horizon, with the capacity range of estimated options"
    if not ranges.options:
        return empty_figure(title, "No option could be evaluated.")
    colors = colors or {}
    rows = sorted(ranges.options, key=lambda o: _ends(o, basis)[0])
    k = float(usd_to_currency)
    point = [_ends(o, basis)[0] * k for o in rows]
    low = [_ends(o, basis)[1] * k for o in rows]
    high = [_ends(o, basis)[2] * k for o in rows]
    sym = "$" if currency == "USD" else ""
    text = []
    for o, p, lo, hi in zip(rows, point, low, high):
        if o.ranged:
            text.append(f"{fmt_usd(lo)}-{fmt_usd(hi)} ({capacity_words(o)})".replace("$", sym))
        else:
            text.append(f"{fmt_usd(p)} ({capacity_words(o)})".replace("$", sym))
    names = [o.name for o in rows]
    bar = {
        "type": "bar", "orientation": "h", "y": names, "x": point, "name": f"total {basis}",
        "marker": {"color": [colors.get(o.name, PALETTE[i % len(PALETTE)]) for i, o in enumerate(rows)],
                   "opacity": [0.65 if o.ranged else 1.0 for o in rows]},
        "customdata": text, "hovertemplate": "%{y}<br>%{customdata}<extra></extra>",
    }
    ranged = [i for i, o in enumerate(rows) if o.ranged]
    # the range: error bars on invisible markers at the point, for estimated options only (points get none)
    whiskers = {
        "type": "scatter", "mode": "markers", "y": [names[i] for i in ranged], "x": [point[i] for i in ranged],
        "marker": {"size": 1, "color": "rgba(0,0,0,0)"}, "name": "P10-P90 capacity range", "hoverinfo": "skip",
        "error_x": {"type": "data", "symmetric": False, "array": [high[i] - point[i] for i in ranged],
                    "arrayminus": [point[i] - low[i] for i in ranged], "color": "#333", "thickness": 2, "width": 8},
    }
    # the label right of the bar or of its range
    labels = {
        "type": "scatter", "mode": "text", "y": names, "x": high, "text": text, "textposition": "middle right",
        "textfont": {"size": 11}, "hoverinfo": "skip", "cliponaxis": False, "name": "labels",
    }
    x_title = f"Total {basis} over the horizon [{currency}]"
    layout = base_layout(title, x_title, None, money=False, height=max(260, 70 + 42 * len(rows)),
                         hovermode="closest", showlegend=False,
                         xaxis=axis(x_title, rangemode="tozero", tickprefix=sym, tickformat="~s",
                                    range=[0, max(high) * 1.6 if max(high) > 0 else 1]),
                         yaxis={"autorange": "reversed", "title": {"text": None}, "automargin": True})
    layout["margin"] = {"l": 10, "r": 10, "t": 50, "b": 10}
    return make_figure([bar, whiskers, labels], layout)


__all__ = ["cost_range_figure", "capacity_words", "SOURCE_WORDS"]
