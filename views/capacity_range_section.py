"""Capacity you can trust (issue 16): the cost range of options whose capacity is estimated, on any page.

``render_capacity_range_section(result, catalog, where)`` (Compare) says in words whether the answer can change
within the estimated capacities' P10-P90 ranges, and shows per option what its capacity rests on
(measured, adjusted, inline, estimated; APIs: their price), the capacity, total cash and cost per 1M tokens
as "low-high" for estimated options and as a point for the others, the break-even month at both ends, and
the total-cost chart with error bars. ``render_range_caption`` (Finance) is the one-line version under a
totals table. Everything is computed by tco.analysis.capacity_range (two cached extra evaluations) and drawn
by tco.charts.cost_range; this file only lays it out.
"""
from __future__ import annotations

from typing import Any, Optional

import pandas as pd
import streamlit as st

from tco import charts
from tco.analysis.capacity_range import CostRanges, cost_ranges
from tco.charts.cost_range import capacity_words, cost_range_figure
from views import common, downloads


@st.cache_data(max_entries=32, show_spinner="Costing the capacity ranges...")
def _ranges_cached(scenario_yaml: str, catalog_version: str, _catalog: Any, _result: Any) -> CostRanges:
    # Keyed on primitives: the scenario the result was evaluated from and the catalog's content hash.
    return cost_ranges(_result.scenario, _catalog, _result)


def capacity_ranges(result: Any, catalog: Any) -> CostRanges:
    """The cost ranges of ``result`` (cached per scenario and catalog)."""
    return _ranges_cached(result.scenario.to_yaml(), common.catalog_version(), catalog, result)


def _rps(o) -> str:
    if o.capacity_rps is None:
        return "-"
    if o.ranged:
        return f"{o.capacity_rps:,.2f} ({o.capacity_rps_low:,.2f}-{o.capacity_rps_high:,.2f})"
    return f"{o.capacity_rps:,.2f}"


def _span(point: float, low: float, high: float, ranged: bool, fmt) -> str:
    return f"{fmt(low)}-{fmt(high)}" if ranged else fmt(point)


def range_rows(ranges: CostRanges) -> list[dict]:
    """The table rows (text) of the section: one per option."""
    ref = ranges.reference
    rows = []
    for o in ranges.options:
        if o.name == ref:
            be = "reference"
        elif not ref:
            be = "-"
        elif o.ranged and o.break_even_moves:
            be = f"{o.break_even_month_cheap_end or 'never'} to {o.break_even_month_dear_end or 'never'}"
        else:
            be = o.break_even_month or "never"
        rows.append({
            "Option": o.name,
            "Cost rests on": capacity_words(o),
            "Capacity [req/s/replica] (P10-P90)": _rps(o),
            "Total cash [USD]": _span(o.total_cash_usd, o.total_cash_usd_low, o.total_cash_usd_high, o.ranged,
                                      common.money),
            "Cost [USD/1M tokens]": _span(o.usd_per_million_tokens, o.usd_per_million_tokens_low,
                                          o.usd_per_million_tokens_high, o.ranged, lambda x: f"${x:,.3f}"),
            f"Break-even vs {ref or 'reference'}": be,
        })
    return rows


def render_capacity_range_section(result: Any, catalog: Any, where: Optional[Any] = None,
                                  key_prefix: str = "capacity_range") -> None:
    """Draw the section for ``result`` into ``where`` (a container; default: here)."""
    if not any(o.kind == "self_host" for o in result.options):
        return
    ranges = capacity_ranges(result, catalog)
    with (where if where is not None else st.container()):
        if ranges.any_ranged:
            changes = [n for n in ranges.may_be_cheapest if n != ranges.cheapest]
            (st.warning if changes else st.info)(ranges.sentence, icon=":material/straighten:")
        else:
            st.caption("Every self-hosted option's capacity is measured (or given): its cost is a point, with no "
                       "estimate range.")
        with st.expander("Measured or estimated: the cost range of each option's capacity", expanded=ranges.any_ranged):
            st.dataframe(pd.DataFrame(range_rows(ranges)), hide_index=True, width="stretch", key=f"{key_prefix}_table")
            if ranges.any_ranged:
                st.plotly_chart(cost_range_figure(ranges, "cash", charts.result_colors(result)), theme=None,
                                key=f"{key_prefix}_chart")
                downloads.chart(lambda r=ranges, c=charts.result_colors(result): cost_range_figure(r, "cash", c),
                                result.scenario.name, "cost-range", f"{key_prefix}_chart")
            st.caption("Measured capacity (a profile point within the SLO, possibly adjusted to your ISL/OSL) is a point. "
                       "Estimated capacity (no profile for the configuration: the performance estimator) has a range, "
                       "the P10-P90 of the estimator's leave-one-GPU-out error for its kind of configuration; the "
                       "low cost is at the high capacity (fewer replicas) and the high cost at the low capacity. "
                       "Monte Carlo on the Finance page draws the capacity from that range.")


def render_range_caption(result: Any, catalog: Any, basis: str = "cash", currency: str = "USD",
                         usd_to_currency: float = 1.0) -> None:
    """One caption under a totals table: the total of each estimated option as low-high (nothing when none is)."""
    if not any(o.kind == "self_host" for o in result.options):
        return
    ranges = capacity_ranges(result, catalog)
    ranged = [o for o in ranges.options if o.ranged]
    if not ranged:
        return
    k, sym = float(usd_to_currency), "$" if currency == "USD" else ""
    bits = []
    for o in ranged:
        lo, hi = (o.total_cash_usd_low, o.total_cash_usd_high) if basis == "cash" else (
            o.total_accrual_usd_low, o.total_accrual_usd_high)
        bits.append(f"{common.escape_markdown(o.name)} {common.money(lo * k).replace('$', sym)}-"
                    f"{common.money(hi * k).replace('$', sym)}")
    st.caption(f"Estimated capacity (P10-P90 of the estimator's error), total {basis} [{currency}]: "
               + "; ".join(bits) + ". Other capacities are measured (points).")
