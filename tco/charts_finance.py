"""Plotly figures for the finance views (pure: results in, Figure out; no streamlit).

Amounts are shown in the scenario currency: USD x ``usd_to_currency`` (one rate), with the currency
code in every axis title.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .analysis import AnnualView, BreakEvenSweep, MonteCarlo, Tornado, metric_label, option_series
from .engine import Result

_TEMPLATE = "plotly_white"
pio.templates.default = _TEMPLATE  # once: a per-figure template= costs ~25 ms to validate

_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def currency_of(result: Result) -> tuple[str, float]:
    """(ISO currency code, units of it per USD) of a result."""
    fi = result.finance_inputs
    return (fi.get("currency") or result.scenario.finance.currency,
            float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency))


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, legend_title_text="",
                      margin=dict(l=60, r=20, t=60, b=50), hovermode="x unified")
    return fig


def cumulative_chart(result: Result, basis: str = "cash") -> go.Figure:
    """Cumulative cost of each option over the horizon; basis "cash", "accrual" or "both" (accrual dashed)."""
    cur, rate = currency_of(result)
    fig = go.Figure()
    bases = ("cash", "accrual") if basis == "both" else (basis,)
    for b in bases:
        series = np.cumsum(option_series(result, b), axis=-1) * rate
        for n, o in enumerate(result.options):
            fig.add_trace(go.Scatter(x=result.months, y=series[n], mode="lines", name=f"{o.name} ({b})" if basis == "both" else o.name,
                                     line=dict(color=_PALETTE[n % len(_PALETTE)], dash="dash" if b == "accrual" and basis == "both" else "solid")))
    label = "cash and accrual" if basis == "both" else basis
    return _layout(fig, f"Cumulative cost ({label})", "Month", f"Cumulative cost [{cur}]")


def annual_chart(view: AnnualView, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Grouped bars: each option's cost per fiscal year (partial years marked with their month count)."""
    fig = go.Figure()
    labels = [y if m == 12 else f"{y} ({m} mo)" for y, m in zip(view.years, view.months_in_year)]
    for n, name in enumerate(view.options):
        fig.add_trace(go.Bar(x=labels, y=view.values[n] * rate, name=name, marker_color=_PALETTE[n % len(_PALETTE)]))
    fig.update_layout(barmode="group")
    return _layout(fig, f"Cost per fiscal year ({view.basis}; FY starts in month {view.fiscal_year_start_month})",
                   "Fiscal year", f"Cost [{currency}]")


def break_even_chart(sweep: BreakEvenSweep, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Total cost over the horizon vs requests/day (log x): API lines dashed, crossings marked with a diamond."""
    fig = go.Figure()
    for n, name in enumerate(sweep.options):
        fig.add_trace(go.Scatter(x=sweep.volumes, y=sweep.totals[:, n] * rate, mode="lines", name=name,
                                 line=dict(color=_PALETTE[n % len(_PALETTE)], dash="dash" if sweep.kinds[n] == "api" else "solid",
                                           shape="hv" if sweep.kinds[n] == "self_host" else "linear")))
    if sweep.crossings:
        xs, ys, text = [], [], []
        for c in sweep.crossings:
            api_pos = sweep.options.index(c.api)
            xs.append(c.requests_per_day)
            ys.append(float(np.interp(c.requests_per_day, sweep.volumes, sweep.totals[:, api_pos])) * rate)
            text.append(c.sentence)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="break-even", text=text, hoverinfo="text",
                                 marker=dict(symbol="diamond", size=12, color="black")))
    fig.add_vline(x=sweep.base_volume, line=dict(color="gray", dash="dot"), annotation_text="scenario")
    fig.update_xaxes(type="log")
    fig = _layout(fig, f"Break-even volume: total {sweep.basis} cost over the horizon", "Requests per day (first month)",
                  f"Total cost [{currency}]")
    fig.update_layout(hovermode="closest")
    return fig


def tornado_chart(t: Tornado, currency: str = "USD", rate: float = 1.0, top: Optional[int] = None) -> go.Figure:
    """Horizontal bars from the base value to the low-input and high-input values, largest swing on top."""
    bars = t.bars[:top] if top else t.bars
    bars = list(reversed(bars))  # plotly draws the first category at the bottom
    labels = [f"{b.label} ({b.low_input:.4g} / {b.high_input:.4g} {b.unit})" for b in bars]
    base = t.base * rate
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=[(b.low_value * rate) - base for b in bars], base=base, orientation="h",
                         name="input at low", marker_color="#1f77b4"))
    fig.add_trace(go.Bar(y=labels, x=[(b.high_value * rate) - base for b in bars], base=base, orientation="h",
                         name="input at high", marker_color="#d62728"))
    fig.add_vline(x=base, line=dict(color="black"))
    fig.update_layout(barmode="overlay", height=max(320, 40 * len(bars) + 120))
    fig = _layout(fig, f"Sensitivity: {metric_label(t.metric, t.options)}", f"Metric [{currency}]", "")
    fig.update_layout(hovermode="closest")
    return fig


def s_curve_chart(mc: MonteCarlo, currency: str = "USD", rate: float = 1.0) -> go.Figure:
    """Cumulative probability of each option's total cost (the S-curve), P10/P50/P90 gridlines."""
    fig = go.Figure()
    for n, (name, (vals, q)) in enumerate(mc.s_curve().items()):
        fig.add_trace(go.Scatter(x=vals * rate, y=q, mode="lines", name=name, line=dict(color=_PALETTE[n % len(_PALETTE)])))
    for p in (0.1, 0.5, 0.9):
        fig.add_hline(y=p, line=dict(color="gray", dash="dot"), annotation_text=f"P{int(p * 100)}")
    fig = _layout(fig, f"Monte Carlo: total {mc.basis} cost, {mc.draws:,} draws", f"Total cost [{currency}]",
                  "Cumulative probability")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    fig.update_layout(hovermode="closest")
    return fig
