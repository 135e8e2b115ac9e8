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

import os
from typing import Iterable, Literal, Optional

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from tco.core import line_items
from tco.core.format import fmt_usd
from tco.engine import OptionResult, Result
from tco.model.finance import usd_per_million_tokens

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

#: Fixed colour per line item (stacked monthly chart), from the line-item registry.
LINE_ITEM_COLORS = {name: d.color for name, d in line_items.REGISTRY.items() if d.color}


def line_item_color(name: str) -> str:
    """The registry's colour of a line item; for an item without one (e.g. a dynamic, scenario-named item) a
    palette colour picked from its name (the same name always gets the same colour)."""
    try:
        color = line_items.get(name).color
    except KeyError:
        color = ""
    return color or PALETTE[sum(name.encode("utf-8")) % len(PALETTE)]


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


#: Validate every figure's properties (plotly's checks, ~30-40 ms per figure). Off in the app; the test
#: suite turns it on (tests/conftest.py, or TCO_VALIDATE_FIGURES=1), so every figure any test builds is
#: checked and a misspelt property fails a test instead of costing time on every rerun.
VALIDATE_FIGURES = os.environ.get("TCO_VALIDATE_FIGURES") == "1"


def make_figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain trace and layout dicts, without plotly's per-property validation.

    Validating costs ~30-40 ms per figure (most of an app rerun's server time with several charts);
    building from dicts costs ~2 ms. The dicts are written by this package only and validated in the
    test suite (:data:`VALIDATE_FIGURES`). The template (plotly_white) is set in the layout unless
    ``layout`` names one.
    """
    if VALIDATE_FIGURES:
        unknown = {t.get("type", "scatter") for t in data} - set(TEMPLATE_TRACE_TYPES)
        if unknown and "template" not in layout:
            raise ValueError(f"trace type(s) {sorted(unknown)} missing from TEMPLATE_TRACE_TYPES: add them there")
    if "template" not in layout:
        layout = {**layout, "template": _template()}
    return go.Figure({"data": data, "layout": layout}, _validate=VALIDATE_FIGURES)


_TEMPLATE_JSON: Optional[dict] = None


#: Trace types our figures use; the template keeps its defaults for these only.
TEMPLATE_TRACE_TYPES = ("scatter", "bar")
#: Subplot kinds none of our figures has (their template defaults are left out).
_UNUSED_SUBPLOTS = ("polar", "ternary", "scene", "geo", "mapbox", "map", "smith")


def _template() -> dict:
    """The plotly_white template as a dict, given explicitly in every figure (the process-wide default
    can be changed by other code: importing Streamlit sets its own theme).

    Trimmed to what our figures can use: the defaults of :data:`TEMPLATE_TRACE_TYPES` and no polar,
    ternary, 3-D or map defaults. The template travels with every chart on every rerun (copied, sent,
    parsed by the browser): trimmed it is ~2 KB instead of ~7 KB, and draws the same figures.
    tests/test_charts.py checks that every trace type our figures use is in the template.
    """
    global _TEMPLATE_JSON
    if _TEMPLATE_JSON is None:
        full = pio.templates[TEMPLATE].to_plotly_json()
        _TEMPLATE_JSON = {
            "data": {k: v for k, v in full.get("data", {}).items() if k in TEMPLATE_TRACE_TYPES},
            "layout": {k: v for k, v in full.get("layout", {}).items() if k not in _UNUSED_SUBPLOTS},
        }
    return _TEMPLATE_JSON


def axis(title: Optional[str], **props) -> dict:
    """An axis dict with a title (None: no title)."""
    return {"title": {"text": title}, **props} if title is not None else dict(props)


def base_layout(title: str, x_title: Optional[str], y_title: Optional[str], *, money: bool = True,
                height: int = 380, **extra) -> dict:
    """The shared layout: title top left, legend under the plot, unified hover, y from zero.

    ``money``: the y axis shows $ with SI suffixes. ``extra`` entries override or add layout keys
    (``xaxis``/``yaxis`` dicts are merged into the defaults).
    """
    yaxis = axis(y_title, rangemode="tozero", **({"tickprefix": "$", "tickformat": "~s"} if money else {}))
    layout = {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0, "font": {"size": 11}},
        "hovermode": "x unified",
        "xaxis": axis(x_title),
        "yaxis": yaxis,
    }
    for key, value in extra.items():
        if key in ("xaxis", "yaxis") and isinstance(value, dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def add_axis_line(layout: dict, line: dict, *, x: Optional[float] = None, y: Optional[float] = None,
                  text: Optional[str] = None, position: str = "top right", xaxis: str = "x",
                  yaxis: str = "y") -> dict:
    """Append to ``layout`` a line across the plot at data ``x`` (vertical) or ``y`` (horizontal), labelled
    ``text``: the shape and annotation ``fig.add_vline`` / ``fig.add_hline`` would add, without validation.

    ``position`` of the label: "top right" (default), "top left", "bottom right" or "bottom left".
    ``xaxis``/``yaxis``: the axes of the subplot ("x2", "y2", ...). Returns ``layout``.
    """
    if (x is None) == (y is None) or position not in ("top right", "top left", "bottom right", "bottom left"):
        raise ValueError(f"give exactly one of x, y and a corner position, got x={x!r}, y={y!r}, {position!r}")
    top, right = position.startswith("top"), position.endswith("right")
    if x is not None:  # vertical: spans the y axis's domain, label beside the line
        refs = {"xref": xaxis, "yref": f"{yaxis} domain"}
        shape = {"x0": x, "x1": x, "y0": 0, "y1": 1}
        label = {"x": x, "y": 1 if top else 0, "xanchor": "left" if right else "right",
                 "yanchor": "top" if top else "bottom"}
    else:  # horizontal: spans the x axis's domain, label above or below the line
        refs = {"xref": f"{xaxis} domain", "yref": yaxis}
        shape = {"x0": 0, "x1": 1, "y0": y, "y1": y}
        label = {"x": 1 if right else 0, "y": y, "xanchor": "right" if right else "left",
                 "yanchor": "bottom" if top else "top"}
    layout.setdefault("shapes", []).append({"type": "line", **refs, **shape, "line": line})
    if text is not None:
        layout.setdefault("annotations", []).append({"text": text, "showarrow": False, **refs, **label})
    return layout


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure with no data and ``message`` in the middle (nothing to draw)."""
    return make_figure([], {
        "annotations": [{"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                         "font": {"size": 14, "color": "#666"}}],
        "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "title": {"text": title, "x": 0.0, "font": {"size": 15}}, "height": 380,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
    })


def cumulative_cost_figure(result: Result, basis: Basis = "cash") -> go.Figure:
    """Cumulative cost per option [USD] over the horizon, break-even months marked (cash basis).

    cumulative_m = sum of monthly cost [USD] from the first month to month m.
    """
    _check_basis(basis)
    title = f"Cumulative {_BASIS_LABEL[basis]} cost per option over {len(result.months)} months"
    if not result.options:
        return empty_figure(title, "No option could be evaluated")
    colors = result_colors(result)
    months = list(result.months)
    data = []
    for o in result.options:
        cum = np.cumsum(_series(o, basis))
        dash = "dot" if o.kind == "api" and o.name != result.reference else "solid"
        data.append({
            "type": "scatter", "x": months, "y": cum, "name": o.name, "mode": "lines",
            "line": {"color": colors[o.name], "width": 3 if o.name == result.reference else 2, "dash": dash},
            "hovertemplate": "%{y:$,.0f}<extra>" + o.name.replace("%", "%%") + "</extra>",
        })
    if basis == "cash":
        xs, ys, texts, cols = [], [], [], []
        for o in result.options:
            if o.kind != "api" and o.break_even_index is not None and o.break_even_index >= 0:
                i = int(o.break_even_index)
                xs.append(months[i])
                ys.append(float(np.cumsum(o.cash_usd)[i]))
                texts.append(f"{o.name}: break-even {months[i]}")
                cols.append(colors[o.name])
        if xs:
            data.append({
                "type": "scatter", "x": xs, "y": ys, "name": "break-even vs reference", "mode": "markers",
                "marker": {"symbol": "star", "size": 14, "color": cols, "line": {"width": 1, "color": "#222"}},
                "text": texts, "hovertemplate": "%{text}<extra></extra>",
            })
    return make_figure(data, base_layout(title, "Month", f"Cumulative {basis} cost [USD]", height=440))


def monthly_stack_figure(result: Result, option: Optional[str] = None, basis: Basis = "cash") -> go.Figure:
    """Monthly cost of one option [USD/month], stacked by line item (api, rent, capex, power, ...)."""
    _check_basis(basis)
    if not result.options:
        return empty_figure("Monthly cost by line item", "No option could be evaluated")
    o = result.option(option) if option else result.options[0]
    months = list(result.months)
    data = []
    for li in o.line_items.values():
        y = li.cash_usd if basis == "cash" else li.accrual_usd
        if not np.any(y):
            continue
        data.append({
            "type": "bar", "x": months, "y": y, "name": li.name,
            "marker": {"color": line_item_color(li.name)},
            "hovertemplate": "%{y:$,.0f}<extra>" + li.name + "</extra>",
        })
    # relative: a negative residual stacks below 0
    return make_figure(data, base_layout(f"Monthly {basis} cost by line item: {o.name}", "Month",
                                         f"{basis.capitalize()} cost [USD/month]", barmode="relative", bargap=0.1))


def unit_cost_values(result: Result, basis: Basis = "accrual") -> dict[str, float]:
    """Cost per 1M tokens per option [USD / 1M tokens] = total cost [USD] / (input + output tokens) x 1e6."""
    _check_basis(basis)
    if basis == "accrual":  # the engine's own figure (tco.model.finance.usd_per_million_tokens of the accrual total)
        return {o.name: o.usd_per_million_tokens for o in result.options}
    return {o.name: float(usd_per_million_tokens(o.total_cash_usd, float(np.sum(o.input_tokens + o.output_tokens))))
            for o in result.options}


def unit_cost_figure(result: Result, basis: Basis = "accrual") -> go.Figure:
    """Horizontal bar per option: cost per 1M tokens [USD / 1M tokens] over the whole horizon."""
    title = f"Cost per 1M tokens over {len(result.months)} months ({basis})"
    if not result.options:
        return empty_figure(title, "No option could be evaluated")
    values = unit_cost_values(result, basis)
    colors = result_colors(result)
    names = list(values)[::-1]  # first option on top
    xs = [values[n] for n in names]
    data = [{
        "type": "bar", "y": names, "x": xs, "orientation": "h", "marker": {"color": [colors[n] for n in names]},
        "text": [f"${v:,.2f}" if np.isfinite(v) else "n/a" for v in xs], "textposition": "outside",
        "cliponaxis": False, "hovertemplate": "%{y}: %{x:$,.3f} per 1M tokens<extra></extra>", "showlegend": False,
    }]
    layout = base_layout(title, "Cost [USD / 1M tokens]", None, money=False, hovermode="closest",
                         margin={"l": 10, "r": 40, "t": 50, "b": 10},
                         xaxis={"tickprefix": "$", "tickformat": ",.2f", "rangemode": "tozero", "tickangle": 0,
                                "nticks": 6},
                         yaxis={"automargin": True})
    return make_figure(data, layout)


def fleet_figure(result: Result) -> go.Figure:
    """GPUs over time for self-host options [count] (rented: solid, owned: dotted) and owned servers (dashed)."""
    title = "GPUs and servers over time (self-host options)"
    sh = [o for o in result.options if o.gpus is not None]
    if not sh:
        return empty_figure(title, "No self-host option in this comparison")
    colors = result_colors(result)
    months = list(result.months)
    data = []
    for o in sh:
        data.append({
            "type": "scatter", "x": months, "y": o.gpus, "name": f"{o.name}: GPUs", "mode": "lines",
            "line": {"color": colors[o.name], "width": 2, "dash": "dot" if o.servers is not None else "solid",
                     "shape": "hv"},
            "hovertemplate": "%{y:,.0f} GPUs<extra>" + o.name.replace("%", "%%") + "</extra>",
        })
        if o.servers is not None:
            data.append({
                "type": "scatter", "x": months, "y": o.servers, "name": f"{o.name}: servers owned", "mode": "lines",
                "line": {"color": colors[o.name], "width": 2, "dash": "dash", "shape": "hv"},
                "hovertemplate": "%{y:,.0f} servers<extra>" + o.name.replace("%", "%%") + "</extra>",
            })
    return make_figure(data, base_layout(title, "Month", "Count [GPUs or servers]", money=False))


# ----------------------------------------------------------------------------------------------
# The words beside the charts


def headline(result: Result) -> dict:
    """The answer in words and numbers (cash basis, whole horizon).

    Returns ``cheapest`` (name), ``cheapest_total_usd``, ``reference`` (name or None),
    ``reference_total_usd``, ``saving_usd`` = reference total - cheapest total [USD],
    ``saving_share`` = saving / reference total, ``break_even`` {option other than the reference: month
    label or None}, ``reference_reason`` (why this reference) and ``sentence`` (markdown).
    """
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
        words += f"; the reference **{ref.name}** is itself the cheapest."
    else:
        words += f", saving **{fmt_usd(saving)}**" + (f" ({share:.0%})" if share is not None else "") + \
                 f" versus the reference **{ref.name}** ({fmt_usd(ref.total_cash_usd)})."
    if ref is not None and result.reference_reason:
        words += f" Reference: {result.reference_reason}."
    be = {o.name: o.break_even_month for o in result.options if o.name != result.reference}
    return {"cheapest": c.name, "cheapest_total_usd": c.total_cash_usd, "reference": result.reference,
            "reference_total_usd": ref.total_cash_usd if ref else None, "saving_usd": saving,
            "saving_share": share, "break_even": be, "reference_reason": result.reference_reason, "sentence": words}


__all__ = ["TEMPLATE", "make_figure", "axis", "base_layout", "add_axis_line", "empty_figure", "PALETTE", "LINE_ITEM_COLORS", "line_item_color", "option_colors", "result_colors", "cumulative_cost_figure",
           "monthly_stack_figure", "unit_cost_values", "unit_cost_figure", "fleet_figure", "headline"]
