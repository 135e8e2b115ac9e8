"""Plotly figures (and the headline sentence) built from a :class:`tco.engine.Result`.

Pure: a Result in, a ``plotly.graph_objects.Figure`` out; no Streamlit. The app, reports and tests
all draw through these functions, so a chart means the same thing everywhere.

Conventions
-----------
* Colours are per option *name* (:func:`option_colors`), assigned in scenario order so an option
  keeps its colour in every chart of a page, even when another option is skipped as infeasible.
* ``basis`` is ``"cash"`` (money leaves the bank: capex in the month of purchase) or ``"accrual"``
  (capex spread as depreciation). Break-even is defined on cash (see docs/methodology.md), so its
  markers are drawn only on the cash basis.
* Money on axes is USD; months are ``YYYY-MM`` labels; every axis title carries its unit.
"""
from __future__ import annotations

from typing import Iterable, Literal, Optional

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .constants import TOKENS_PER_MILLION
from .engine import OptionResult, Result

Basis = Literal["cash", "accrual"]

#: Plotly template set explicitly so the app's theme never restyles the figures.
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE  # once: a per-figure template= costs ~25 ms to validate


#: Okabe-Ito (colour-blind safe) followed by Tableau 10 for longer lists.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7",
    "#9C755F", "#BAB0AC",
)

#: Fixed colour per line item (stacked monthly chart).
LINE_ITEM_COLORS = {
    "api": "#4E79A7",
    "rent": "#F28E2B",
    "capex": "#E15759",
    "depreciation": "#FF9DA7",
    "power": "#EDC948",
    "colo": "#76B7B2",
    "maintenance": "#B07AA1",
    "staff": "#59A14F",
    "reserved_unused": "#9C755F",
    "api_overflow": "#86BCB6",
    "residual": "#BAB0AC",
}

_BASIS_LABEL = {"cash": "cash", "accrual": "accrual"}


def option_colors(names: Iterable[str]) -> dict[str, str]:
    """Colour per option name, in the order given (cycling the palette past 18 options)."""
    out: dict[str, str] = {}
    for name in names:
        if name not in out:
            out[name] = PALETTE[len(out) % len(PALETTE)]
    return out


def result_colors(result: Result) -> dict[str, str]:
    """Colours for every option of the scenario (evaluated or skipped), in scenario order."""
    return option_colors([o.name for o in result.scenario.options] + [o.name for o in result.options])


def _check_basis(basis: str) -> None:
    if basis not in _BASIS_LABEL:
        raise ValueError(f"basis must be 'cash' or 'accrual', got {basis!r}")


def _series(o: OptionResult, basis: Basis) -> np.ndarray:
    return o.cash_usd if basis == "cash" else o.accrual_usd


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, money: bool = True,
            height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0, "font": {"size": 11}},
        hovermode="x unified",
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    if money:
        fig.update_yaxes(tickprefix="$", tickformat="~s")
    return fig


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font={"size": 14, "color": "#666"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title={"text": title, "x": 0.0, "font": {"size": 15}}, height=380,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def cumulative_cost_figure(result: Result, basis: Basis = "cash") -> go.Figure:
    """Cumulative cost per option [USD] over the horizon, break-even months marked (cash basis).

    cumulative_m = sum of monthly cost [USD] from the first month to month m.
    """
    _check_basis(basis)
    title = f"Cumulative {_BASIS_LABEL[basis]} cost per option over {len(result.months)} months"
    if not result.options:
        return _empty(title, "No option could be evaluated")
    colors = result_colors(result)
    fig = go.Figure()
    for o in result.options:
        cum = np.cumsum(_series(o, basis))
        dash = "dot" if o.kind == "api" and o.name != result.reference else "solid"
        fig.add_trace(go.Scatter(
            x=result.months, y=cum, name=o.name, mode="lines",
            line={"color": colors[o.name], "width": 3 if o.name == result.reference else 2, "dash": dash},
            hovertemplate="%{y:$,.0f}<extra>" + o.name.replace("%", "%%") + "</extra>",
        ))
    if basis == "cash":
        xs, ys, texts, cols = [], [], [], []
        for o in result.options:
            if o.kind != "api" and o.break_even_index is not None and o.break_even_index >= 0:
                i = int(o.break_even_index)
                xs.append(result.months[i])
                ys.append(float(np.cumsum(o.cash_usd)[i]))
                texts.append(f"{o.name}: break-even {result.months[i]}")
                cols.append(colors[o.name])
        if xs:
            fig.add_trace(go.Scatter(
                x=xs, y=ys, name="break-even vs reference", mode="markers",
                marker={"symbol": "star", "size": 14, "color": cols, "line": {"width": 1, "color": "#222"}},
                text=texts, hovertemplate="%{text}<extra></extra>",
            ))
    return _layout(fig, title, "Month", f"Cumulative {basis} cost [USD]", height=440)


def monthly_stack_figure(result: Result, option: Optional[str] = None, basis: Basis = "cash") -> go.Figure:
    """Monthly cost of one option [USD/month], stacked by line item (api, rent, capex, power, ...)."""
    _check_basis(basis)
    if not result.options:
        return _empty("Monthly cost by line item", "No option could be evaluated")
    o = result.option(option) if option else result.options[0]
    fig = go.Figure()
    for li in o.line_items.values():
        y = li.cash_usd if basis == "cash" else li.accrual_usd
        if not np.any(y):
            continue
        fig.add_trace(go.Bar(
            x=result.months, y=y, name=li.name, marker_color=LINE_ITEM_COLORS.get(li.name, "#888"),
            hovertemplate="%{y:$,.0f}<extra>" + li.name + "</extra>",
        ))
    fig.update_layout(barmode="relative", bargap=0.1)  # relative: a negative residual stacks below 0
    return _layout(fig, f"Monthly {basis} cost by line item: {o.name}", "Month", f"{basis.capitalize()} cost [USD/month]")


def unit_cost_values(result: Result, basis: Basis = "accrual") -> dict[str, float]:
    """Cost per 1M tokens per option [USD / 1M tokens] = total cost [USD] / (input + output tokens) x 1e6."""
    _check_basis(basis)
    out = {}
    for o in result.options:
        tokens = float(np.sum(o.input_tokens + o.output_tokens))
        total = o.total_cash_usd if basis == "cash" else o.total_accrual_usd
        out[o.name] = total / tokens * TOKENS_PER_MILLION if tokens > 0 else float("nan")
    return out


def unit_cost_figure(result: Result, basis: Basis = "accrual") -> go.Figure:
    """Horizontal bar per option: cost per 1M tokens [USD / 1M tokens] over the whole horizon."""
    title = f"Cost per 1M tokens over {len(result.months)} months ({basis})"
    if not result.options:
        return _empty(title, "No option could be evaluated")
    values = unit_cost_values(result, basis)
    colors = result_colors(result)
    names = list(values)[::-1]  # first option on top
    xs = [values[n] for n in names]
    fig = go.Figure(go.Bar(
        y=names, x=xs, orientation="h", marker_color=[colors[n] for n in names],
        text=[f"${v:,.2f}" if np.isfinite(v) else "n/a" for v in xs], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:$,.3f} per 1M tokens<extra></extra>", showlegend=False,
    ))
    fig = _layout(fig, title, "Cost [USD / 1M tokens]", "", money=False)
    fig.update_xaxes(tickprefix="$", tickformat=",.2f", rangemode="tozero", tickangle=0, nticks=6)
    fig.update_yaxes(title_text=None, automargin=True)
    fig.update_layout(hovermode="closest", margin={"l": 10, "r": 40, "t": 50, "b": 10})
    return fig


def fleet_figure(result: Result) -> go.Figure:
    """GPUs over time for self-host options [count] (rented: solid, owned: dotted) and owned servers (dashed)."""
    title = "GPUs and servers over time (self-host options)"
    sh = [o for o in result.options if o.gpus is not None]
    if not sh:
        return _empty(title, "No self-host option in this comparison")
    colors = result_colors(result)
    fig = go.Figure()
    for o in sh:
        fig.add_trace(go.Scatter(
            x=result.months, y=o.gpus, name=f"{o.name}: GPUs", mode="lines", line_shape="hv",
            line={"color": colors[o.name], "width": 2, "dash": "dot" if o.servers is not None else "solid"},
            hovertemplate="%{y:,.0f} GPUs<extra>" + o.name.replace("%", "%%") + "</extra>",
        ))
        if o.servers is not None:
            fig.add_trace(go.Scatter(
                x=result.months, y=o.servers, name=f"{o.name}: servers owned", mode="lines", line_shape="hv",
                line={"color": colors[o.name], "width": 2, "dash": "dash"},
                hovertemplate="%{y:,.0f} servers<extra>" + o.name.replace("%", "%%") + "</extra>",
            ))
    return _layout(fig, title, "Month", "Count [GPUs or servers]", money=False)


# ----------------------------------------------------------------------------------------------
# The words beside the charts


def headline(result: Result) -> dict:
    """The answer in words and numbers (cash basis, whole horizon).

    Returns ``cheapest`` (name), ``cheapest_total_usd``, ``reference`` (name or None),
    ``reference_total_usd``, ``saving_usd`` = reference total - cheapest total [USD],
    ``saving_share`` = saving / reference total, ``break_even`` {self-host name: month label or None},
    and ``sentence`` (markdown).
    """
    from .export import fmt_usd

    months = len(result.months)
    c = result.cheapest
    if c is None:
        return {"cheapest": None, "cheapest_total_usd": None, "reference": result.reference,
                "reference_total_usd": None, "saving_usd": None, "saving_share": None, "break_even": {},
                "sentence": "No option could be evaluated."}
    ref = result.option(result.reference) if result.reference else None
    saving = ref.total_cash_usd - c.total_cash_usd if ref else None
    share = saving / ref.total_cash_usd if ref and ref.total_cash_usd > 0 else None
    words = f"**{c.name}** is the cheapest option over {months} months: **{fmt_usd(c.total_cash_usd)}** cash"
    if ref is None:
        words += " (no API option to compare against)."
    elif ref.name == c.name:
        words += f"; the reference API **{ref.name}** is itself the cheapest."
    else:
        words += f", saving **{fmt_usd(saving)}**" + (f" ({share:.0%})" if share is not None else "") + \
                 f" versus the reference API **{ref.name}** ({fmt_usd(ref.total_cash_usd)})."
    be = {o.name: o.break_even_month for o in result.options if o.kind != "api"}
    return {"cheapest": c.name, "cheapest_total_usd": c.total_cash_usd, "reference": result.reference,
            "reference_total_usd": ref.total_cash_usd if ref else None, "saving_usd": saving,
            "saving_share": share, "break_even": be, "sentence": words}


__all__ = ["TEMPLATE", "PALETTE", "LINE_ITEM_COLORS", "option_colors", "result_colors", "cumulative_cost_figure",
           "monthly_stack_figure", "unit_cost_values", "unit_cost_figure", "fleet_figure", "headline"]
