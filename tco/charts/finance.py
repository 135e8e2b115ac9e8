"""Plotly figures for the finance views (pure: results in, Figure out; no streamlit).

Amounts are shown in the scenario currency: USD x ``usd_to_currency`` (one rate), with the currency
code in every axis title.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go

from tco.analysis import AnnualView, BreakEvenSweep, MonteCarlo, Tornado, metric_label, option_series
from tco.charts import add_axis_line, axis, make_figure
from tco.core.percent import display_value
from tco.engine import Result

_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def currency_of(result: Result) -> tuple[str, float]:
    """(ISO currency code, units of it per USD) of a result."""
    fi = result.finance_inputs
    return (fi.get("currency") or result.scenario.finance.currency,
            float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency))


def _layout(title: str, x: str, y: str, *, xaxis: Optional[dict] = None, yaxis: Optional[dict] = None,
            **extra) -> dict:
    """The finance figures' layout; ``xaxis``/``yaxis``: more properties of that axis, ``extra``: more layout keys."""
    return {"title": {"text": title}, "xaxis": axis(x, **(xaxis or {})), "yaxis": axis(y, **(yaxis or {})),
            "legend": {"title": {"text": ""}}, "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
            "hovermode": "x unified", **extra}


def cumulative_chart(result: Result, basis: str = "cash") -> go.Figure:
    """Cumulative cost of each option over the horizon; basis "cash", "accrual" or "both" (accrual dashed)."""
    cur, rate = currency_of(result)
    data = []
    bases = ("cash", "accrual") if basis == "both" else (basis,)
    for b in bases:
        series = np.cumsum(option_series(result, b), axis=-1) * rate
        for n, o in enumerate(result.options):
            data.append({"type": "scatter", "x": list(result.months), "y": series[n], "mode": "lines",
                         "name": f"{o.name} ({b})" if basis == "both" else o.name,
                         "line": {"color": _PALETTE[n % len(_PALETTE)],
                                  "dash": "dash" if b == "accrual" and basis == "both" else "solid"}})
    label = "cash and accrual" if basis == "both" else basis
    return make_figure(data, _layout(f"Cumulative cost ({label})", "Month", f"Cumulative cost [{cur}]"))


def annual_chart(view: AnnualView, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Grouped bars: each option's cost per fiscal year (partial years marked with their month count)."""
    labels = [y if m == 12 else f"{y} ({m} mo)" for y, m in zip(view.years, view.months_in_year)]
    data = [{"type": "bar", "x": labels, "y": view.values[n] * rate, "name": name,
             "marker": {"color": _PALETTE[n % len(_PALETTE)]}} for n, name in enumerate(view.options)]
    title = f"Cost per fiscal year ({view.basis}; FY starts in month {view.fiscal_year_start_month})"
    return make_figure(data, _layout(title, "Fiscal year", f"Cost [{currency}]", barmode="group"))


def break_even_chart(sweep: BreakEvenSweep, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Total cost over the horizon vs requests/day (log x): API lines dashed, crossings marked with a diamond."""
    data = [{"type": "scatter", "x": sweep.volumes, "y": sweep.totals[:, n] * rate, "mode": "lines", "name": name,
             "line": {"color": _PALETTE[n % len(_PALETTE)], "dash": "dash" if sweep.kinds[n] == "api" else "solid",
                      "shape": "hv" if sweep.kinds[n] == "self_host" else "linear"}}
            for n, name in enumerate(sweep.options)]
    if sweep.crossings:
        xs, ys, text = [], [], []
        for c in sweep.crossings:
            api_pos = sweep.options.index(c.api)
            xs.append(c.requests_per_day)
            ys.append(float(np.interp(c.requests_per_day, sweep.volumes, sweep.totals[:, api_pos])) * rate)
            text.append(c.sentence)
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "markers", "name": "break-even", "text": text,
                     "hoverinfo": "text", "marker": {"symbol": "diamond", "size": 12, "color": "black"}})
    layout = _layout(f"Break-even volume: total {sweep.basis} cost over the horizon", "Requests per day (first month)",
                     f"Total cost [{currency}]", xaxis={"type": "log"}, hovermode="closest")
    add_axis_line(layout, {"color": "gray", "dash": "dot"}, x=sweep.base_volume, text="scenario")
    return make_figure(data, layout)


def tornado_chart(t: Tornado, currency: str = "USD", rate: float = 1.0, top: Optional[int] = None) -> go.Figure:
    """Horizontal bars from the base value to the low-input and high-input values, largest swing on top."""
    bars = t.bars[:top] if top else t.bars
    bars = list(reversed(bars))  # plotly draws the first category at the bottom
    labels = [f"{b.label} ({display_value(b.low_input, b.unit)} / {display_value(b.high_input, b.unit)})" for b in bars]
    base = t.base * rate
    data = [{"type": "bar", "y": labels, "x": xs, "base": base, "orientation": "h", "name": name, "marker": {"color": color}}
            for name, xs, color in (("input at low", [(b.low_value * rate) - base for b in bars], "#1f77b4"),
                                    ("input at high", [(b.high_value * rate) - base for b in bars], "#d62728"))]
    layout = _layout(f"Sensitivity: {metric_label(t.metric, t.options)}", f"Metric [{currency}]", "",
                     barmode="overlay", height=max(320, 40 * len(bars) + 120), hovermode="closest")
    add_axis_line(layout, {"color": "black"}, x=base)
    return make_figure(data, layout)


def s_curve_chart(mc: MonteCarlo, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Cumulative probability of each option's total cost (the S-curve), P10/P50/P90 gridlines."""
    data = [{"type": "scatter", "x": vals * rate, "y": q, "mode": "lines", "name": name,
             "line": {"color": _PALETTE[n % len(_PALETTE)]}}
            for n, (name, (vals, q)) in enumerate(mc.s_curve().items())]
    layout = _layout(f"Monte Carlo: total {mc.basis} cost, {mc.draws:,} draws", f"Total cost [{currency}]",
                     "Cumulative probability", yaxis={"range": [0, 1], "tickformat": ".0%"}, hovermode="closest")
    for p in (0.1, 0.5, 0.9):
        add_axis_line(layout, {"color": "gray", "dash": "dot"}, y=p, text=f"P{int(p * 100)}")
    return make_figure(data, layout)
