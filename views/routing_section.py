"""Compare page: fine-tuning and routing (issue 19). Off by default; widgets only, the formulas live in
tco.model.fine_tuning and tco.model.routing (docs/methodology.md sections 14-15).

The section takes the evaluated scenario, adds a fine-tuning block and/or a two-member route as the
user asks, evaluates that scenario (cached like the page's own) and shows the new options next to the
others, the fine-tuning runs, and each route's saving against its largest part alone.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tco.charts import routing as charts_routing
from tco.io.safeyaml import dump_yaml
from tco.model import fine_tuning, routing
from views import common

_METHODS = {"lora": "LoRA (adapters on a frozen base)", "full": "Full (every weight)"}


def _can_fine_tune(o, catalog) -> bool:
    if o.self_host is not None:
        return True
    entry = catalog.apis.get(o.api) if o.api else None
    return entry is not None and entry.fine_tuning is not None


def render_routing_section(result: Any, catalog: Any, key_prefix: str = "routing") -> None:
    """Draw the section under the comparison for ``result`` (an engine Result)."""
    k = key_prefix
    scenario = result.scenario
    st.subheader("Fine-tuning and routing", anchor=False)
    st.caption("Two ways to cut cost without giving up quality: fine-tune a model on your data (training runs a few "
               "times a year), or send most requests to a cheap model and the rest to a better one. Both are off "
               "until you turn them on; formulas and sources on the Methodology page (sections 14-15).")
    plain = [o for o in scenario.options if o.route is None]
    names = [o.name for o in plain]
    c1, c2 = st.columns(2)
    ft_on = c1.toggle("Fine-tuning", value=False, key=f"{k}_ft_on",
                      help="Add training runs to the options you pick (self-hosted: GPU-hours; API: the provider's "
                           "price per 1M training tokens and the fine-tuned model's prices from the first run on).")
    route_on = c2.toggle("Route", value=False, key=f"{k}_route_on",
                         help="Add a route option over two of your options, with the share sent to the second.")
    doc = scenario.to_dict()
    if ft_on:
        with st.container(border=True):
            tunable = [o.name for o in plain if _can_fine_tune(o, catalog)]
            f1, f2, f3, f4 = st.columns(4)
            tokens_m = f1.number_input("Training tokens per run [M]", min_value=0.001, max_value=1e6, value=20.0,
                                       step=10.0, key=f"{k}_ft_tokens")
            epochs = f2.number_input("Epochs", min_value=0.1, max_value=100.0, value=3.0, step=1.0, key=f"{k}_ft_epochs")
            runs = f3.number_input("Runs per year", min_value=0.1, max_value=12.0, value=4.0, step=1.0,
                                   key=f"{k}_ft_runs")
            method = f4.selectbox("Method", list(_METHODS), format_func=_METHODS.get, key=f"{k}_ft_method")
            chosen = st.multiselect("Options to fine-tune", tunable, default=tunable[:2], key=f"{k}_ft_options",
                                    help="APIs without a fine-tuning offer in the catalog cannot be fine-tuned.")
            if chosen:
                doc = fine_tuning.with_fine_tuning(doc, {"training_tokens": tokens_m * 1e6, "epochs": epochs,
                                                         "runs_per_year": runs, "method": method}, chosen)
    if route_on and len(names) >= 2:
        with st.container(border=True):
            r1, r2, r3 = st.columns([1, 2, 2])
            mode = r1.segmented_control("Mode", ["split", "cascade"], default="cascade", key=f"{k}_mode") or "cascade"
            first = r2.selectbox("Cheap option (first)" if mode == "cascade" else "Part A", names, key=f"{k}_a")
            others = [n for n in names if n != first]
            second = r3.selectbox("Escalation option" if mode == "cascade" else "Part B", others, key=f"{k}_b")
            share = st.slider("Share sent to the second option" if mode == "split" else "Share of requests escalated",
                              min_value=0, max_value=100, value=20, step=5, format="%d%%", key=f"{k}_share") / 100.0
            router = st.number_input("Router price [USD / 1M tokens]", min_value=0.0, max_value=100.0, value=0.0,
                                     step=0.01, format="%.3f", key=f"{k}_router")
            label = f"Route: {first} + {share:.0%} {second}"
            existing = {o.get("name") for o in doc["options"]}
            while label in existing:
                label += " (new)"
            doc = routing.with_route(doc, label[:200], mode, first, second, share, router or None)
    elif route_on:
        st.info("A route needs at least two options (hosted or self-hosted) above.", icon=":material/info:")
    changed = doc != scenario.to_dict()
    shown = result
    if changed:
        shown, problems = common.evaluate_yaml(dump_yaml(doc))
        if shown is None:
            common.show_problems(problems, title="Fine-tuning / route inputs to fix:")
            return
        for name, reason in shown.skipped:
            st.warning(f"**{name}** left out: {reason}", icon=":material/block:")
    if not changed and not any(o.kind == "route" or o.fine_tuning_runs for o in result.options):
        return
    _tables(shown)
    if any(o.kind == "route" for o in shown.options):
        st.plotly_chart(charts_routing.route_saving_figure(shown, "cash"), theme=None, key=f"{k}_chart_saving")
        st.caption("Route quality (for the quality floor) is the share-weighted mean of its parts' Elo: an "
                   "approximation (a router that sends hard requests to the strong model does better).")


def _tables(result: Any) -> None:
    rows = []
    for o in result.options:
        kind = {"api": "API", "route": "route"}.get(o.kind, f"self-host ({o.payment})")
        ft = o.line_items.get("fine_tuning")
        rows.append({"Option": o.name, "Kind": kind, "Cash [USD]": common.money(o.total_cash_usd),
                     "Fine-tuning [USD]": common.money(float(ft.cash_usd.sum())) if ft is not None else "-",
                     "Cost [USD/1M tokens]": f"${o.usd_per_million_tokens:,.3f}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    runs = [{"Option": o.name, "Part": r.option or "-", "Month": r.month,
             "GPU-hours": "-" if r.gpu_hours is None else f"{r.gpu_hours:,.1f}",
             "GPUs": "-" if r.gpus is None else r.gpus,
             "Wall-clock hours": "-" if r.wall_hours is None else f"{r.wall_hours:,.1f}",
             "Cost [USD]": common.money(r.cost_usd)}
            for o in result.options for r in o.fine_tuning_runs]
    if runs:
        with st.expander(f"Fine-tuning runs ({len(runs)})"):
            st.dataframe(pd.DataFrame(runs).astype(str), hide_index=True, width="stretch")
