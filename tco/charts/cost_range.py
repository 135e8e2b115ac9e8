"""The cost of every option with the range its estimated capacity carries (Compare's capacity-range section).

Pure: a :class:`tco.analysis.capacity_range.CostRanges` in, a figure out. One horizontal bar per option
(total over the horizon, cheapest on top); an option whose capacity is estimated has an error bar from the
cost at its high capacity (P90) to the cost at its low capacity (P10); measured, adjusted and inline
capacities and APIs are points, and each bar says which.

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
    bar = {
        "type": "bar", "orientation": "h", "y": [o.name for o in rows], "x": point,
        "marker": {"color": [colors.get(o.name, PALETTE[i % len(PALETTE)]) for i, o in enumerate(rows)],
                   "opacity": [0.65 if o.ranged else 1.0 for o in rows]},
        "error_x": {"type": "data", "symmetric": False, "array": [h - p for h, p in zip(high, point)],
                    "arrayminus": [p - lo for p, lo in zip(point, low)], "color": "#333", "thickness": 2, "width": 8},
        "text": text, "textposition": "outside", "cliponaxis": False, "name": f"total {basis}",
        "hovertemplate": "%{y}<br>%{text}<extra></extra>",
    }
    x_title = f"Total {basis} over the horizon [{currency}]"
    layout = base_layout(title, x_title, None, money=False, height=max(260, 70 + 42 * len(rows)),
                         hovermode="closest", showlegend=False,
                         xaxis=axis(x_title, rangemode="tozero", tickprefix=sym, tickformat="~s",
                                    range=[0, max(high) * 1.45 if max(high) > 0 else 1]),
                         yaxis={"autorange": "reversed", "title": {"text": None}, "automargin": True})
    layout["margin"] = {"l": 10, "r": 10, "t": 50, "b": 10}
    return make_figure([bar], layout)


__all__ = ["cost_range_figure", "capacity_words", "SOURCE_WORDS"]
