"""Optimizer: the cheapest configuration that serves the Compare page's workload within its SLO.

Reads the search-space controls, runs tco.analysis.optimizer.optimize with a progress bar, draws the ranked
table, the cheapest per model size and the Pareto chart (tco.charts.optimizer). "Use this" adds the
chosen candidate to the session scenario's options (views.common.commit_scenario). No formula here.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco.analysis import optimizer
from tco.charts import optimizer as charts_optimizer
from tco.core.exceptions import ProblemsError
from views import common, downloads

RESULT = "optimizer_result"

catalog = common.get_catalog()
ss = st.session_state


st.title("Optimizer: the cheapest way to meet the SLO", anchor=False)
scenario = common.session_scenario(catalog)  # the session's scenario (every page reads and writes it)
common.scenario_panel(catalog, scenario)
w, slo = scenario.workload, scenario.slo
st.caption(f"Workload of the scenario: {w.requests_per_day:,.0f} requests/day, {w.input_tokens:,.0f} in / "
           f"{w.output_tokens:,.0f} out tokens, {scenario.months} months; SLO TTFT p95 "
           f"{slo.ttft_p95_ms or '-'} ms, TPOT p95 {slo.tpot_p95_ms or '-'} ms.")

with st.form("optimizer_space", border=True):
    c1, c2, c3 = st.columns(3)
    with c1:
        models = st.multiselect("Models [ids or all]", sorted(catalog.models), key="opt_models",
                                placeholder="all models")
        size = st.text_input("Family and size filter", key="opt_size", placeholder="e.g. llama 8B-70B",
                             help="Family name and a range of total parameters [billions].")
    with c2:
        gpus = st.multiselect("GPUs", sorted(catalog.gpus), key="opt_gpus", placeholder="all GPUs")
        per_replica = st.multiselect("GPUs per replica", [1, 2, 4, 8], default=[1, 2, 4, 8], key="opt_gpr")
    with c3:
        precisions = st.multiselect("Precisions", list(optimizer.SEARCH_PRECISIONS),
                                    default=list(optimizer.SEARCH_PRECISIONS), key="opt_prec")
        payments = st.multiselect("Ways to pay", list(optimizer.PAYMENTS), default=list(optimizer.PAYMENTS),
                                  key="opt_pay")
        include_apis = st.checkbox("Include API offers", value=True, key="opt_apis")
    top_n = st.number_input("Rows in the ranked table", min_value=5, max_value=500, value=25, step=5, key="opt_top")
    run = st.form_submit_button("Search", type="primary", icon=":material/search:")

if run:
    fam = lo = hi = None
    problems = []
    if size.strip():
        try:
            fam, lo, hi = optimizer.parse_size_filter(size)
        except ValueError as exc:
            problems.append(str(exc))
    if not per_replica or not precisions or not payments:
        problems.append("choose at least one GPU count, precision and way to pay")
    if problems:
        common.show_problems(problems)
    else:
        space = optimizer.SearchSpace(models=tuple(models) + ((fam,) if fam else ()) or None,
                                      gpus=tuple(gpus) or None, gpus_per_replica=tuple(sorted(per_replica)),
                                      precisions=tuple(precisions), payments=tuple(payments), min_params_b=lo,
                                      max_params_b=hi, include_apis=include_apis)
        bar = st.progress(0.0, text="Searching...")
        try:
            ss[RESULT] = optimizer.optimize(scenario, catalog, space,
                                            progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        except ProblemsError as exc:
            common.show_problems(exc.problems)
            ss.pop(RESULT, None)
        bar.empty()

result = ss.get(RESULT)
if result is None:
    st.info("Choose the search space and press **Search**.", icon=":material/info:")
    st.stop()

best = result.best
m = st.columns(4)
m[0].metric("Candidates searched", f"{len(result.candidates) + result.excluded_by_quality:,}", border=True)
m[1].metric("Feasible", f"{len(result.feasible):,}", border=True)
m[2].metric("Cheapest total (cash)", common.money(best.total_cash_usd) if best else "none", border=True,
            help=best.name if best else None)
m[3].metric("Search time", f"{result.seconds:.2f} s", border=True)
if result.quality_note:
    st.caption(result.quality_note)
if best is not None:
    st.markdown(f"**Cheapest within the SLO:** {common.escape_markdown(best.name)}")


def frame(cands) -> pd.DataFrame:
    return pd.DataFrame([{
        "Candidate": c.name,
        "Size": optimizer.size_label(c.params_b) if c.kind == "self_host" or c.params_b else "API",
        "Pay": c.payment,
        "Capacity": c.capacity_source or "-",
        "Capacity [req/s/replica]": c.capacity_rps,
        "Total cash [USD]": c.total_cash_usd,
        "NPV [USD]": c.npv_usd,
        "Cost [USD/1M tokens]": c.usd_per_million_tokens,
        "TPOT p95 [ms]": c.tpot_ms,
        "Peak GPUs": c.max_gpus,
        "Feasible": c.feasible,
        "Reason": c.reason or "",
    } for c in cands])


money_cfg = {"Total cash [USD]": st.column_config.NumberColumn(format="$%,.0f"),
             "NPV [USD]": st.column_config.NumberColumn(format="$%,.0f"),
             "Cost [USD/1M tokens]": st.column_config.NumberColumn(format="$%.3f"),
             "Capacity [req/s/replica]": st.column_config.NumberColumn(format="%.2f"),
             "TPOT p95 [ms]": st.column_config.NumberColumn(format="%.1f")}
st.subheader("Ranked candidates", anchor=False)
st.dataframe(frame(result.top(int(top_n))), hide_index=True, width="stretch", column_config=money_cfg)
st.caption("Feasible first, by total cash over the horizon. Capacity: measured (a profile within the SLO), adjusted "
           "(a profile rescaled to your lengths) or estimated (the physics model, docs/estimator.md).")

c1, c2 = st.columns([1, 1.3])
with c1:
    st.subheader("Cheapest per model size", anchor=False)
    st.dataframe(frame(optimizer.cheapest_per_size(result))[["Candidate", "Size", "Total cash [USD]",
                                                             "Cost [USD/1M tokens]"]],
                 hide_index=True, width="stretch", column_config=money_cfg)
with c2:
    st.plotly_chart(charts_optimizer.pareto_figure(result), theme=None, key="chart_pareto")
    downloads.chart(lambda r=result: charts_optimizer.pareto_figure(r), "optimizer", "pareto", "chart_pareto")

if result.mix is not None:
    mx = result.mix
    st.subheader("Mixed fleet (workload.mix)", anchor=False)
    st.markdown(f"Each request-size bucket on its own configuration of **{mx.model}**: "
                f"**{common.money(mx.total_usd)}** versus **{common.money(mx.best_single_total_usd)}** for the best "
                f"single configuration ({common.escape_markdown(mx.best_single or '-')}): saving "
                f"**{common.money(mx.saving_usd)}**.")
    st.dataframe(pd.DataFrame([{"Bucket": a.bucket + 1, "Replicas (peak month)": a.replicas, "Configuration": a.candidate}
                               for a in mx.allocation]), hide_index=True)
    st.caption(mx.note)
elif result.mix_note:
    st.caption(result.mix_note)

st.subheader("Use a candidate", anchor=False)
feasible = result.feasible[: max(int(top_n), 50)]
if feasible:
    names = [c.name for c in feasible]
    chosen = st.selectbox("Candidate to add to the Compare page", names, key="opt_use_choice")
    if st.button("Use this", icon=":material/add:", key="opt_use"):
        cand = feasible[names.index(chosen)]
        try:
            common.commit_scenario(optimizer.add_candidate_to_scenario(scenario, cand))
            st.success(f"Added **{common.escape_markdown(chosen)}** to the scenario's options (Compare shows it).",
                       icon=":material/check:")
        except ProblemsError as exc:
            common.show_problems(exc.problems)
