"""Capacity: measured throughput profiles, the SLO operating point, memory fit, the estimator, and
benchmark-file import. Reads widgets, calls tco, draws."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco import charts_capacity as cc
from tco.capacity import candidate_profiles, capacity_at_slo, capacity_from_profile
from tco.catalog import PRECISIONS
from tco.cli_capacity import profile_text
from tco.exceptions import ProblemsError
from tco.importers import import_bytes
from tco.limits import MAX_UPLOAD_BYTES, check_upload_size
from tco.perf import memory_fit
from tco.scenario import parse_scenario

try:
    from views import common

    catalog = common.get_catalog()
except ImportError:  # pragma: no cover - page run before views/common.py existed
    from tco.catalog import load_catalog

    catalog = st.cache_resource(load_catalog)()


def _index(options, preferred) -> int:
    return options.index(preferred) if preferred in options else 0


st.title("Capacity")
st.caption("Requests per second one replica serves within the latency SLO: from measured profiles when they "
           "exist, else from the calibrated estimator (labelled *estimated*; method in docs/estimator.md).")

# ----------------------------------------------------------------------------------------------
# The session scenario: choose the profile an option's capacity comes from (writes the scenario)

scenario = common.session_scenario(catalog)
common.scenario_panel(catalog, scenario)
sh_options = [o for o in scenario.options if o.self_host is not None and o.self_host.overflow is None]
with st.expander("Use a throughput profile for an option of the scenario", expanded=False):
    if not sh_options:
        st.info("The scenario has no self-hosted option: add one on the Compare page.")
    else:
        use_name = st.selectbox("Option", [o.name for o in sh_options], key="cap_use_option")
        target = next(o for o in sh_options if o.name == use_name).self_host
        w_, slo_ = scenario.workload, scenario.slo
        on_, _off = candidate_profiles(catalog, target.model, target.gpu, target.gpus_per_replica, target.precision)
        st.caption(f"{target.model} on {target.gpus_per_replica}x {target.gpu} ({target.precision}), at the scenario's "
                   f"SLO and {w_.input_tokens:,.0f} / {w_.output_tokens:,.0f} tokens per request. "
                   + ("Capacity now: override "
                      f"{target.capacity_rps_per_replica:,.3f} req/s per replica." if target.capacity_rps_per_replica
                      else "Capacity now: derived (nearest profile, else the estimator)."))
        if not on_:
            st.info("No online throughput profile exists for this configuration: its capacity comes from the "
                    "estimator (import a benchmark file below, or change the configuration on Compare).")
        else:
            use_pid = st.selectbox("Profile (engine, lengths)", [p.id for p in on_], key="cap_use_profile",
                                   format_func=lambda i: f"{i} ({catalog.profiles[i].engine}, ISL/OSL "
                                                         f"{catalog.profiles[i].isl or '?'}/{catalog.profiles[i].osl or '?'})")
            chosen_cap = capacity_from_profile(catalog.profiles[use_pid], slo_.ttft_p95_ms, slo_.tpot_p95_ms,
                                               w_.input_tokens, w_.output_tokens, catalog.models.get(target.model),
                                               catalog.gpus.get(target.gpu))
            if chosen_cap.rps is None:
                st.warning(f"{use_pid} cannot meet the scenario's SLO: {chosen_cap.reason}")
            else:
                st.markdown(f"**{chosen_cap.rps:,.3f} req/s per replica** from {use_pid} ({chosen_cap.source}).")

                def _use_profile(name=use_name, rps=chosen_cap.rps) -> None:
                    doc = scenario.to_dict()
                    for opt in doc["options"]:
                        if opt["name"] == name:
                            opt["self_host"]["capacity_rps_per_replica"] = round(rps, 6)
                    common.commit_scenario(parse_scenario(doc, "capacity"))

                st.button(f"Use it for {use_name}", key="cap_use_apply", on_click=_use_profile,
                          icon=":material/check:", help="Sets the option's capacity per replica in the scenario "
                                                         "(shown as 'inline' on Compare).")
        if target.capacity_rps_per_replica:
            def _clear_override(name=use_name) -> None:
                doc = scenario.to_dict()
                for opt in doc["options"]:
                    if opt["name"] == name:
                        opt["self_host"].pop("capacity_rps_per_replica", None)
                common.commit_scenario(parse_scenario(doc, "capacity"))

            st.button("Back to the derived capacity", key="cap_use_clear", on_click=_clear_override)

models, gpus = sorted(catalog.models), sorted(catalog.gpus)
c1, c2, c3, c4 = st.columns(4)
model_id = c1.selectbox("Model", models, index=_index(models, "llama-3.1-70b"), key="cap_model")
gpu_id = c2.selectbox("GPU", gpus, index=_index(gpus, "h100-sxm"), key="cap_gpu")
n_gpus = c3.selectbox("GPUs per replica", [1, 2, 4, 8], index=2, key="cap_gpus")
precision = c4.selectbox("Precision", list(PRECISIONS), index=_index(list(PRECISIONS), "bf16"), key="cap_precision")
c5, c6, c7, c8, c9 = st.columns(5)
isl = c5.number_input("Mean input tokens", 1, 1_000_000, 467, key="cap_isl")
osl = c6.number_input("Mean output tokens", 1, 100_000, 256, key="cap_osl")
ttft_slo = c7.number_input("TTFT p95 SLO [ms]", 1.0, 600_000.0, 500.0, key="cap_ttft")
tpot_slo = c8.number_input("TPOT p95 SLO [ms]", 1.0, 10_000.0, 50.0, key="cap_tpot")
kv_dtype = c9.selectbox("KV cache dtype", ["auto", "bf16", "fp8"], key="cap_kv")

model, gpu = catalog.models[model_id], catalog.gpus[gpu_id]
res = capacity_at_slo(catalog, model_id, gpu_id, n_gpus, precision, ttft_slo, tpot_slo, isl, osl)

m1, m2, m3 = st.columns(3)
m1.metric("Capacity per replica", f"{res.rps:.2f} req/s" if res.rps is not None else "cannot meet SLO")
m2.metric("Output tokens/s at capacity", f"{res.output_tokens_per_s:,.0f}" if res.output_tokens_per_s else "n/a")
m3.metric("Source", res.source)
if res.reason:
    st.warning(res.reason)
for note in res.notes:
    st.caption(f"- {note}")

online, offline = candidate_profiles(catalog, model_id, gpu_id, n_gpus, precision)
profile = None
if online:
    ids = [p.id for p in online]
    pid = st.selectbox("Profile to plot", ids, index=_index(ids, res.profile_id), key="cap_profile")
    profile = catalog.profiles[pid]
elif offline:
    st.info(f"{len(offline)} offline max-throughput profile(s) exist for this configuration; they have no latency "
            "bound and are not used for SLO capacity.")

measured = cc.measured_curve(profile) if profile is not None else None
estimated = cc.estimated_curve(model, gpu, n_gpus, precision, float(isl), float(osl))
st.plotly_chart(cc.latency_curve_figure(measured, estimated, ttft_slo, tpot_slo, res.rps,
                                        title=f"{model_id} on {n_gpus}x {gpu_id} ({precision})"), theme=None)

fit = memory_fit(model, gpu, n_gpus, precision, isl + osl, kv_dtype=kv_dtype)
st.plotly_chart(cc.memory_figure(fit, f"Memory per GPU at {fit.max_concurrency} concurrent {isl + osl}-token "
                                      f"sequences (KV {fit.kv_dtype})"), theme=None)
if fit.reason:
    st.error(fit.reason)
else:
    st.caption(f"Largest concurrency that fits: {fit.max_concurrency} sequences of {isl + osl} tokens.")

if profile is not None:
    st.subheader("Measured vs estimated")
    table = cc.comparison_table(profile, model, gpu)
    if len(table):
        st.dataframe(table, hide_index=True, width="stretch")
    else:
        st.caption("This profile has no ISL/OSL or request throughput to compare with.")

st.subheader("Import a benchmark file")
st.caption(f"vLLM --save-result JSON, LLMPerf *_summary.json, GenAI-Perf *_genai_perf.json/.csv; up to "
           f"{MAX_UPLOAD_BYTES // 2**20} MB. The profile uses the model, GPU, GPUs and precision chosen above.")
tool = st.radio("Tool", ["vllm", "llmperf", "genai-perf"], horizontal=True, key="cap_tool")
upload = st.file_uploader("Benchmark file", type=["json", "csv"], key="cap_upload")
if upload is not None:
    data = upload.getvalue()
    prof = None
    try:
        check_upload_size(upload.name, data)
        prof = import_bytes(tool, data, upload.name, model=model_id, gpu=gpu_id, gpus=n_gpus, precision=precision)
    except ProblemsError as exc:
        st.error(str(exc))
    if prof is not None:
        st.success(f"Imported {len(prof['points'])} point(s) as profile `{prof['id']}`.")
        st.dataframe(pd.json_normalize(prof["points"]), hide_index=True, width="stretch")
        st.download_button("Download profile YAML", lambda p=prof: profile_text(p, "yaml").encode("utf-8"),
                           file_name=f"{prof['id']}.yaml", mime="application/x-yaml", on_click="ignore")
