"""Capacity: measured throughput profiles, the SLO operating point, memory fit, the estimator, and
benchmark-file import. Reads widgets, calls tco, draws.

The page starts from the Compare scenario (its first self-hosted option's model, GPU, GPUs and
precision, its mean input/output tokens and its SLO) and follows it when it changes there. An
uploaded benchmark file becomes a profile that the chart shows at once next to the estimate;
"Use in Compare" adds it to this session's catalog (the Data page shows it as an unsaved change,
saved with one click) and adds a Compare option for that configuration.
"""
from __future__ import annotations

import hashlib
from typing import Optional

import pandas as pd
import streamlit as st

from tco.catalog import PRECISIONS, ProfileEntry
from tco.charts import capacity as cc
from tco.importers import profile_text
from tco.core.exceptions import ProblemsError
from tco.core.limits import MAX_UPLOAD_BYTES, check_upload_size
from tco.importers import TOOLS, build_profile, file_facts, parse_all, stated_facts, warnings_of
from tco.model.capacity import candidate_profiles, capacity_at_slo, capacity_from_profile
from tco.model.perf import memory_fit
from tco.scenario import parse_scenario
from tco.scenario.defaults import cheapest_offer, pick_server
from views import common
from views.catalog_session import add_entry

catalog = common.get_catalog()
ss = st.session_state
GPU_CHOICES = [1, 2, 4, 8]
TOOL_LABELS = {"vllm": "vLLM (bench serve, sweep, nightly table)", "llmperf": "LLMPerf",
               "genai-perf": "GenAI-Perf", "aiperf": "AIPerf"}


def _index(options, preferred) -> int:
    return options.index(preferred) if preferred in options else 0


def _seed_from_compare() -> None:
    """Set the widgets from the Compare scenario when it changed since the last seeding (user tweaks here stay)."""
    scen = common.session_scenario(catalog)
    sh = next((o.self_host for o in scen.options if o.self_host is not None), None)
    seed = {"cap_isl": int(round(scen.workload.input_tokens)) or 1, "cap_osl": int(round(scen.workload.output_tokens)) or 1,
            "cap_ttft": float(scen.slo.ttft_p95_ms or 0.0), "cap_tpot": float(scen.slo.tpot_p95_ms or 0.0)}
    if sh is not None and sh.model in catalog.models and sh.gpu in catalog.gpus:
        seed.update({"cap_model": sh.model, "cap_gpu": sh.gpu, "cap_gpus": sh.gpus_per_replica,
                     "cap_precision": sh.precision})
    sig = repr(sorted(seed.items()))
    if ss.get("cap_seed") != sig:
        ss["cap_seed"] = sig
        ss.update(seed)


def _upload_sig(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.getvalue())
    return h.hexdigest()


def _on_upload() -> None:
    """GPUs per replica from the uploaded file where it states them (callback: before the widgets render)."""
    files = ss.get("cap_upload") or []
    if not files:
        return
    try:
        facts = file_facts(ss.get("cap_tool", "vllm"), files[0].getvalue(), files[0].name)
    except ProblemsError:
        return  # the page shows the error when it imports
    if facts["gpus"]:
        ss["cap_gpus"] = facts["gpus"]


@st.cache_data(max_entries=16, show_spinner="Reading the benchmark file...")
def _import(tool: str, names: tuple[str, ...], sig: str, _data: tuple[bytes, ...], model: str, gpu: str,
            gpus: int, precision: str, model_name: str) -> tuple[Optional[dict], list[str]]:
    try:
        for name, data in zip(names, _data):
            check_upload_size(name, data)
        parsed = parse_all(tool, list(zip(_data, names)))
        stated = {x.gpus for x in parsed if x.gpus}
        prof = build_profile(parsed, list(names), tool=tool, model=model, gpu=gpu,
                             gpus=None if stated else gpus, precision=precision, model_name=model_name)
        ProfileEntry.model_validate({k: v for k, v in prof.items()})
        return prof, []
    except ProblemsError as exc:
        return None, [str(p) for p in exc.problems]
    except ValueError as exc:  # pydantic ValidationError
        return None, [str(exc).splitlines()[0]]


def profile_engine(profile: dict) -> str:
    """``self_host.engine`` that selects this profile's engine (tco.model.capacity.engine_matches): its engine name
    before any ``+`` (the ``+`` introduces a speculative method there), ``unknown`` when the file does not say,
    plus ``+<method>`` for a speculative profile. Without it the option would take the best measured engine."""
    name = (profile.get("engine") or "unknown").partition("+")[0].strip()[:90] or "unknown"
    return name + (f"+{profile['speculative']}" if profile.get("speculative") else "")


def add_profile_option(scenario, profile: dict):
    """The scenario with a self-hosted option for the profile's configuration (rented at the cheapest
    on-demand offer for the GPU, else owned on a catalog server); None when the catalog has neither."""
    base = {"model": profile["model"], "gpu": profile["gpu"], "gpus_per_replica": profile["gpus"],
            "precision": profile["precision"], "engine": profile_engine(profile)}
    offer = cheapest_offer(catalog, profile["gpu"])
    server = pick_server(catalog, profile["gpu"]) if offer is None else None
    if offer is None and server is None:
        return None
    how = {"rent": {"offer": offer, "pricing": "on_demand"}} if offer else {"own": {"server": server}}
    doc = scenario.to_dict()
    name = f"{catalog.models[profile['model']].name} {'rent' if offer else 'own'} {profile['gpus']}x " \
           f"{profile['gpu']} (measured: {profile['id']})"[:190]
    names, k, base_name = {o["name"] for o in doc["options"]}, 2, name
    while name in names:
        name, k = f"{base_name} ({k})", k + 1
    doc["options"].append({"name": name, "self_host": {**base, **how}})
    return parse_scenario(doc, "capacity")


def _use_in_compare(profile: dict) -> None:
    """Callback: the profile joins this session's catalog; a Compare option uses it."""
    problems = add_entry("profiles", profile)
    if problems:
        ss["cap_flash"] = ("error", "; ".join(str(p) for p in problems))
        return
    active = common.get_catalog()
    scen = add_profile_option(common.session_scenario(active), profile)
    if scen is None:
        ss["cap_flash"] = ("warning", f"Profile {profile['id']} added to this session's catalog, but no rental "
                                      f"offer or server for {profile['gpu']} exists to build a Compare option.")
        return
    common.commit_scenario(scen, source="page")  # the session's one scenario: Compare evaluates it
    ss["cap_flash"] = ("success", f"Added option '{scen.options[-1].name}' to Compare; profile "
                                  f"{profile['id']} is in this session's catalog (save it on the Data page).")


# ----------------------------------------------------------------------------------------------
st.title("Capacity")
st.caption("Requests per second one replica serves within the latency SLO: from measured profiles when they "
           "exist, else from the calibrated estimator (labelled *estimated*; method in docs/estimator.md). "
           "Starts from the Compare page's scenario (first self-hosted option, lengths and SLO).")
_seed_from_compare()
if "cap_flash" in ss:
    kind, msg = ss.pop("cap_flash")
    getattr(st, kind)(msg)

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
gpu_choices = sorted(set(GPU_CHOICES) | {int(ss.get("cap_gpus") or 4)})


def _d(key: str, **default) -> dict:
    """The widget's default only when session state does not hold its value (no Streamlit warning)."""
    return {} if key in ss else default


c1, c2, c3, c4 = st.columns(4)
model_id = c1.selectbox("Model", models, key="cap_model", **_d("cap_model", index=_index(models, "llama-3.1-70b")))
gpu_id = c2.selectbox("GPU", gpus, key="cap_gpu", **_d("cap_gpu", index=_index(gpus, "h100-sxm")))
n_gpus = c3.selectbox("GPUs per replica", gpu_choices, key="cap_gpus", **_d("cap_gpus", index=_index(gpu_choices, 4)))
precision = c4.selectbox("Precision", list(PRECISIONS), key="cap_precision",
                         **_d("cap_precision", index=_index(list(PRECISIONS), "bf16")))
c5, c6, c7, c8, c9 = st.columns(5)
isl = c5.number_input("Mean input tokens", 1, 1_000_000, key="cap_isl", **_d("cap_isl", value=1000))
osl = c6.number_input("Mean output tokens", 1, 100_000, key="cap_osl", **_d("cap_osl", value=300))
ttft_in = c7.number_input("TTFT p95 SLO [ms]", 0.0, 600_000.0, key="cap_ttft", help="0 = no limit",
                          **_d("cap_ttft", value=2000.0))
tpot_in = c8.number_input("TPOT p95 SLO [ms]", 0.0, 10_000.0, key="cap_tpot", help="0 = no limit",
                          **_d("cap_tpot", value=100.0))
kv_dtype = c9.selectbox("KV cache dtype", ["auto", "bf16", "fp8"], key="cap_kv")
ttft_slo: Optional[float] = ttft_in or None
tpot_slo: Optional[float] = tpot_in or None

model, gpu = catalog.models[model_id], catalog.gpus[gpu_id]
res = capacity_at_slo(catalog, model_id, gpu_id, n_gpus, precision, ttft_slo, tpot_slo, isl, osl)

# ---- upload (read first so the chart shows it at once)
with st.expander("Import a benchmark file: see it next to the estimate", expanded=True):
    st.caption(f"vLLM bench serve / sweep JSON, LLMPerf summaries, GenAI-Perf or AIPerf JSON/CSV; several files "
               f"of one run at once. Up to {MAX_UPLOAD_BYTES // 2**20} MB per file here (bigger files: "
               "`python -m tco import`, docs/data_workflow.md). The profile uses the model, GPU and precision "
               "above; GPUs per replica, ISL and OSL come from the file where it states them.")
    tool = st.radio("Tool", list(TOOLS), format_func=TOOL_LABELS.get, horizontal=True, key="cap_tool")
    uploads = st.file_uploader("Benchmark file(s)", type=["json", "csv"], accept_multiple_files=True,
                               key="cap_upload", on_change=_on_upload)
uploaded: Optional[dict] = None
if uploads:
    uploaded, errors = _import(tool, tuple(f.name for f in uploads), _upload_sig(uploads),
                               tuple(f.getvalue() for f in uploads), model_id, gpu_id, int(n_gpus), precision,
                               model.name)
    if errors:
        common.show_problems(errors, title="Not imported:")
    elif uploaded["gpus"] != n_gpus:
        st.warning(f"The file is for {uploaded['gpus']} GPUs per replica; the page shows {n_gpus}: choose "
                   f"{uploaded['gpus']} above to compare them.")
        uploaded = None

if uploaded:
    st.success(f"Imported {len(uploaded['points'])} point(s) as profile `{uploaded['id']}`: shown below next to "
               "the estimate.")
up_entry = ProfileEntry.model_validate(uploaded) if uploaded else None
up_res = capacity_from_profile(up_entry, ttft_slo, tpot_slo, isl, osl, model, gpu) if up_entry else None

m1, m2, m3 = st.columns(3)
m1.metric("Capacity per replica", f"{res.rps:.2f} req/s" if res.rps is not None else "cannot meet SLO")
if res.rps is not None and res.rps_low is not None:
    m1.caption(f"Estimate range {res.rps_low:.2f}-{res.rps_high:.2f} req/s (P10-P90 of the estimator's "
               "leave-one-GPU-out error, docs/estimator.md)")
m2.metric("Output tokens/s at capacity", f"{res.output_tokens_per_s:,.0f}" if res.output_tokens_per_s else "n/a")
m3.metric("Source", res.source)
if res.reason:
    st.warning(res.reason)
for note in res.notes:
    st.caption(f"- {note}")

if up_entry is not None:
    st.subheader(f"Uploaded: {up_entry.id}")
    u1, u2, u3 = st.columns(3)
    u1.metric("Uploaded: capacity per replica", f"{up_res.rps:.2f} req/s" if up_res.rps is not None else "cannot meet SLO")
    u2.metric("Uploaded: points", f"{len(up_entry.points)}")
    u3.metric("Uploaded: source", up_res.source)
    st.caption(f"Configuration the file states: {stated_facts(uploaded)}. A field the file does not state is left "
               "empty in the profile (never guessed) and listed in its missing.")
    for w in warnings_of(uploaded):
        st.warning(w)
    if up_res.reason:
        st.warning(up_res.reason)
    if up_entry.missing:
        st.info(f"The file lacks {', '.join(up_entry.missing)}: see the notes below.")
    for note in dict.fromkeys(list(up_res.notes) + (up_entry.notes or "").split("; ")):
        if note and not note.startswith("WARNING"):
            st.caption(f"- {note}")
    b1, b2 = st.columns(2)
    b1.button("Use in Compare", key="cap_use", type="primary", on_click=_use_in_compare,
              args=({k: v for k, v in uploaded.items() if v is not None and v != []},),
              help="Adds the profile to this session's catalog and a Compare option with its capacity")
    b2.download_button("Download profile YAML", lambda p=uploaded: profile_text(p, "yaml").encode("utf-8"),
                       file_name=f"{uploaded['id']}.yaml", mime="application/x-yaml", on_click="ignore",
                       key="cap_dl")

online, offline = candidate_profiles(catalog, model_id, gpu_id, n_gpus, precision)
profile = up_entry
if profile is None and online:
    ids = [p.id for p in online]
    pid = st.selectbox("Profile to plot", ids, index=_index(ids, res.profile_id), key="cap_profile")
    profile = catalog.profiles[pid]
elif profile is None and offline:
    st.info(f"{len(offline)} offline max-throughput profile(s) exist for this configuration; they have no latency "
            "bound and are not used for SLO capacity.")

measured = cc.measured_curve(profile) if profile is not None else None
estimated = cc.estimated_curve(model, gpu, n_gpus, precision, float(isl), float(osl))
op_rps = up_res.rps if up_res is not None else res.rps
st.plotly_chart(cc.latency_curve_figure(measured, estimated, ttft_slo, tpot_slo, op_rps,
                                        title=f"{model_id} on {n_gpus}x {gpu_id} ({precision})"
                                              + (" - uploaded file" if up_entry is not None else "")),
                theme=None, key="cap_chart")

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
    if up_entry is not None:
        st.dataframe(pd.json_normalize([p.model_dump(exclude_none=True) for p in up_entry.points]),
                     hide_index=True, width="stretch")
