"""Traffic: the forecast (growth curve, events, CSV series), the daily load shape, and what they do to
each option: autoscaled rental, hybrid fleets that overflow to an API, the typical day.

The page reads the session scenario (views.common.session_scenario) and writes its traffic fields
(workload.requests_per_day, growth, events, daily_profile) back to it as they change, so Compare, the
address bar and the downloads follow. Autoscaled and hybrid variants of the self-host options are a
labelled what-if until "Apply to the scenario". Formulas live in tco (workload, costs, traffic), figures
in tco.charts.traffic; this page only reads widgets and draws. Rates show as percent (tco.core.percent).
"""
from __future__ import annotations

import copy

import pandas as pd
import streamlit as st

from tco.analysis import traffic
from tco.charts.traffic import daily_profile_figure, forecast_figure, typical_day_figure
from tco.core.exceptions import ScenarioError
from tco.core.percent import from_percent, implausible, plain_number, to_percent
from tco.scenario import parse_scenario
from views import common, downloads

WEIGHTS = "traffic_weights"  # the 24 weights the profile editor starts from (list of floats)
EDITOR_VERSION = "traffic_editor_version"  # bumped when a preset replaces the weights (fresh editor)
SERIES = "traffic_series"  # (first month, values) of the last valid uploaded CSV
KINDS = ("compound", "linear", "s_curve", "series")
PROFILE_TOUCHED = "traffic_profile_touched"  # the user edited the profile: it goes into the scenario
KIND_LABELS = {"compound": "Compound (% per month)", "linear": "Linear (requests/day added per month)",
               "s_curve": "S-curve (adoption toward a ceiling)", "series": "Series (upload a CSV)"}

catalog = common.get_catalog()
ss = st.session_state
base = common.session_scenario(catalog)
w0 = base.workload

st.title("Traffic")
panel = st.container()
st.caption("The forecast, events and daily profile set here change the scenario: Compare, every page, the address "
           "bar and the downloads use them. The fleet variants further down are a what-if until you apply them.")

# ----------------------------------------------------------------------------------------------
# Forecast

st.subheader("Forecast")
g0 = w0.growth
kind = st.selectbox("Growth", KINDS, index=KINDS.index(g0.kind) if g0 else 0, format_func=KIND_LABELS.get,
                    key="traffic_growth_kind")
c1, c2, c3 = st.columns(3)
rpd0 = c1.number_input("Requests per day in the first month", min_value=0.0, max_value=1e12, step=1000.0,
                       value=float(w0.requests_per_day), format="%.0f", key="traffic_rpd",
                       disabled=kind == "series")
growth: dict = {"kind": kind}
months = base.months
problems: list[str] = []
if kind == "compound":
    rate = g0.rate_per_month if g0 is not None and g0.kind == "compound" else w0.growth_per_month
    rate_pct = c2.number_input("Growth per month [%]", min_value=-99.0, max_value=1000.0, step=0.5,
                               value=float(to_percent(rate)), format="%.2f", key="traffic_rate",
                               help="Percent: 8 = 8 %/month (the scenario file stores 0.08).")
    growth["rate_per_month"] = from_percent(rate_pct)
    reason = implausible("growth_per_month", growth["rate_per_month"])
    if reason:
        c3.warning(reason, icon=":material/warning:")
        if not c3.checkbox(f"Use {plain_number(rate_pct)} %/month anyway", key="traffic_confirm_rate"):
            problems.append(f"Growth per month: {reason} Not applied; tick the box to use it anyway.")
elif kind == "linear":
    growth["requests_per_day_added_per_month"] = c2.number_input(
        "Requests/day added per month", min_value=-1e12, max_value=1e12, step=1000.0, format="%.0f",
        value=float(g0.requests_per_day_added_per_month) if g0 is not None and g0.kind == "linear" else 0.1 * rpd0,
        key="traffic_added")
elif kind == "s_curve":
    same = g0 is not None and g0.kind == "s_curve"
    growth["ceiling_requests_per_day"] = c2.number_input(
        "Ceiling (requests/day)", min_value=0.0, max_value=1e12, step=1000.0, format="%.0f",
        value=float(g0.ceiling_requests_per_day) if same else 5 * rpd0, key="traffic_ceiling")
    growth["midpoint_month"] = c3.number_input("Midpoint (month index of fastest growth)", min_value=-100.0,
                                               max_value=1000.0, step=1.0, key="traffic_midpoint",
                                               value=float(g0.midpoint_month) if same else months / 3)
    growth["steepness"] = c3.number_input("Steepness (1/month)", min_value=0.01, max_value=100.0, step=0.05,
                                          value=float(g0.steepness) if same else 0.4, key="traffic_steepness")
else:
    up = c2.file_uploader("CSV with columns month,requests_per_day (one row per month from the start)",
                          type=["csv"], key="traffic_csv", help=f"At most {traffic.MAX_SERIES_CSV_BYTES // 1000} kB.")
    if up is not None:
        try:
            ss[SERIES] = traffic.parse_series_csv(up.getvalue(), start=base.start)
        except traffic.SeriesCsvError as exc:
            ss.pop(SERIES, None)
            st.error(f"{up.name}: {exc}", icon=":material/error:")
    if SERIES not in ss and g0 is not None and g0.kind == "series":
        ss[SERIES] = (base.start, list(g0.requests_per_day))
    if SERIES in ss:
        first, values = ss[SERIES]
        growth["requests_per_day"] = values
        if len(values) < months:
            months = len(values)
            st.info(f"The series has {len(values)} months: the horizon is shortened to {months} months here.")
    else:
        st.info("Upload a CSV to use a series; until then the forecast is flat.")
        growth = {"kind": "compound", "rate_per_month": 0.0}

events_df = st.data_editor(
    pd.DataFrame([{"month": e.month, "multiply": e.multiply} for e in w0.events], columns=["month", "multiply"]),
    num_rows="dynamic", key="traffic_events", hide_index=True,
    column_config={"month": st.column_config.TextColumn("Event month (YYYY-MM)", max_chars=7),
                   "multiply": st.column_config.NumberColumn("Multiply traffic from then on by", min_value=0.0,
                                                             max_value=1e6, step=0.1)})
events = [{"month": str(r["month"]).strip(), "multiply": float(r["multiply"])}
          for r in events_df.to_dict("records")
          if str(r.get("month") or "").strip() and r.get("multiply") is not None and r.get("multiply") == r.get("multiply")]
forecast_slot = st.container()  # the forecast chart, drawn once the inputs below are validated

# ----------------------------------------------------------------------------------------------
# Daily profile

st.subheader("Daily load profile")
preset_names = list(traffic.PRESETS)
base_profile = w0.daily_profile
if WEIGHTS not in ss:
    ss[WEIGHTS] = traffic.preset_weights(base_profile) if isinstance(base_profile, str) else (
        list(base_profile) if base_profile is not None else traffic.preset_weights("business_hours"))
    ss[EDITOR_VERSION] = 0


def _apply_preset() -> None:
    ss[WEIGHTS] = traffic.preset_weights(ss["traffic_preset"])
    ss[EDITOR_VERSION] = ss.get(EDITOR_VERSION, 0) + 1
    ss[PROFILE_TOUCHED] = True


def _profile_edited() -> None:
    ss[PROFILE_TOUCHED] = True


default_preset = base_profile if isinstance(base_profile, str) else "business_hours"
st.selectbox("Preset (replaces the weights below)", preset_names, index=preset_names.index(default_preset),
             key="traffic_preset", on_change=_apply_preset,
             help="Illustrative shapes (a judgement, not measurements): edit the weights from your own logs.")
profile_in_scenario = base_profile is not None or bool(ss.get(PROFILE_TOUCHED))
if not profile_in_scenario:
    st.caption(f"The scenario has no daily profile (peak / average {plain_number(w0.peak_to_average)}): the profile "
               "below is a what-if for the fleet variants. Choose a preset, edit a weight or press the button to "
               "put it in the scenario (its largest hour becomes the peak).")
    if st.button("Use this profile in the scenario", key="traffic_use_profile"):
        ss[PROFILE_TOUCHED] = profile_in_scenario = True
pc1, pc2 = st.columns([1, 2])
edited = pc1.data_editor(pd.DataFrame({"hour": list(range(24)), "weight": [float(x) for x in ss[WEIGHTS]]}),
                         key=f"traffic_profile_editor_{ss.get(EDITOR_VERSION, 0)}", hide_index=True, height=420,
                         disabled=["hour"], on_change=_profile_edited,
                         column_config={"hour": st.column_config.NumberColumn("Hour", format="%d:00"),
                                        "weight": st.column_config.NumberColumn("Weight", min_value=0.0, step=0.1)})
weights = [float(x) if x == x else -1.0 for x in pd.to_numeric(edited["weight"], errors="coerce").tolist()]
if len(weights) != 24 or min(weights) < 0 or sum(weights) <= 0:
    pc2.error("The profile needs 24 weights >= 0, at least one above 0.", icon=":material/error:")
    weights = [float(x) for x in ss[WEIGHTS]]
pc2.plotly_chart(daily_profile_figure(weights), theme=None, key="traffic_profile_chart")
downloads.chart(lambda w=tuple(weights): daily_profile_figure(list(w)), "traffic", "daily-profile", "traffic_profile_chart", pc2)

# ----------------------------------------------------------------------------------------------
# The scenario with this page's traffic settings (written to the session scenario when it changed)


def traffic_document(with_profile: bool) -> dict:
    doc = base.to_dict()
    doc["months"] = months
    wl = doc["workload"]
    if kind == "compound" and g0 is None:  # keep the file's shorthand
        wl["growth_per_month"] = growth["rate_per_month"]
        wl.pop("growth", None)
    else:
        wl.pop("growth_per_month", None)
        wl["growth"] = growth
    if kind == "series" and "requests_per_day" in growth:
        wl.pop("requests_per_day", None)
    else:
        wl["requests_per_day"] = rpd0
    wl["events"] = events
    if with_profile:
        wl.pop("peak_to_average", None)
        wl["daily_profile"] = weights
    return doc


if problems:  # the scenario stays as it is; show it, not the refused value
    common.show_problems(problems, title="Not applied to the scenario:")
    with panel:
        common.scenario_panel(catalog, base)
    labels, rpd = traffic.forecast(base)
    forecast_slot.plotly_chart(forecast_figure(labels, rpd, traffic.event_month_indices(base)), theme=None,
                               key="traffic_forecast_chart")
    st.stop()
try:
    scenario = parse_scenario(traffic_document(profile_in_scenario), "traffic")
except ScenarioError as exc:
    common.show_problems(exc.problems, title="These traffic inputs are not valid (the scenario is unchanged):")
    st.stop()
if not problems and scenario.to_yaml() != ss.get(common.SCENARIO_YAML):
    common.commit_scenario(scenario, source="page")
    base = scenario
with panel:
    common.scenario_panel(catalog, base)

# ----------------------------------------------------------------------------------------------
# What-if variants of the self-host options (not in the scenario until applied)

st.subheader("Fleets that follow the load (what-if)")
st.caption("These variants are evaluated beside the scenario's options, marked (what-if), and change nothing until "
           "you press **Apply to the scenario**.")
self_hosted = [o for o in base.options if o.self_host is not None]
api_options = [o for o in base.options if o.self_host is None]
v1, v2, v3 = st.columns(3)
autoscale = v1.toggle("Add an autoscaled variant of each rented option", value=True, key="traffic_autoscale")
hybrid = v2.toggle("Add a hybrid variant (fleet for the base, overflow to an API)", value=bool(api_options),
                   key="traffic_hybrid", disabled=not api_options)
percentile_pct = v3.slider("Hybrid fleet sized for this hour percentile [%]", min_value=5, max_value=100, value=75,
                           step=5, key="traffic_percentile", disabled=not hybrid)
percentile = from_percent(percentile_pct)
# default overflow: the first API option hosting an open model (the same family as the fleet), else the first
hosted = [i for i, o in enumerate(api_options) if o.api and getattr(catalog.apis.get(o.api), "serves_model", None)]
overflow_api = v2.selectbox("Overflow API", [o.name for o in api_options], index=hosted[0] if hosted else 0,
                            key="traffic_overflow_api", disabled=not (hybrid and api_options)) if api_options else None

whatif_doc = traffic_document(True)
opts = whatif_doc["options"]
existing = {o["name"] for o in opts}
variants: list[dict] = []
for o in list(base.options):
    sh = o.self_host
    if sh is None or sh.overflow is not None:
        continue
    if autoscale and sh.rent is not None and not sh.rent.autoscale:
        v = copy.deepcopy(next(x for x in opts if x["name"] == o.name))
        v["name"] = f"{o.name} (autoscaled)"
        v["self_host"]["rent"]["autoscale"] = True
        variants.append(v)
    if hybrid and overflow_api and not (sh.rent is not None and sh.rent.autoscale):
        target = next(x for x in api_options if x.name == overflow_api)
        v = copy.deepcopy(next(x for x in opts if x["name"] == o.name))
        v["name"] = f"{o.name} (hybrid p{round(percentile_pct)})"
        v["self_host"]["size_for_hour_percentile"] = percentile
        v["self_host"]["overflow"] = {k: val for k, val in (("api", target.api),
                                                             ("prices", target.prices.model_dump(exclude_none=True)
                                                              if target.prices else None)) if val}
        variants.append(v)
variants = [v for v in variants if v["name"] not in existing]
opts.extend(variants)
whatif_names = {v["name"] for v in variants}
try:
    whatif = parse_scenario(whatif_doc, "traffic what-if")
except ScenarioError as exc:
    common.show_problems(exc.problems, title="The what-if variants are not valid:")
    st.stop()


def _apply_variants() -> None:
    doc = scenario.to_dict()
    doc["options"].extend(copy.deepcopy(variants))
    wl = doc["workload"]
    if wl.get("daily_profile") is None:  # hybrid and autoscaled fleets follow the hourly shape
        wl.pop("peak_to_average", None)
        wl["daily_profile"] = weights
    common.commit_scenario(parse_scenario(doc, "traffic"))


if variants:
    st.button(f"Apply to the scenario ({len(variants)} variant(s)"
              + ("" if profile_in_scenario else " and this daily profile") + ")",
              key="traffic_apply_variants", icon=":material/playlist_add:", on_click=_apply_variants)

labels, rpd = traffic.forecast(scenario)
forecast_slot.plotly_chart(forecast_figure(labels, rpd, traffic.event_month_indices(scenario)), theme=None,
                           key="traffic_forecast_chart")
downloads.chart(lambda s_=scenario, l=labels, r=rpd: forecast_figure(l, r, traffic.event_month_indices(s_)), scenario.name, "forecast", "traffic_forecast_chart")

result, problems_found = common.evaluate_yaml(whatif.to_yaml())
if result is None:
    common.show_problems(problems_found, title="The scenario cannot be evaluated:")
    st.stop()
for name, reason in result.skipped:
    st.warning(f"{name}: skipped ({reason})")

# ----------------------------------------------------------------------------------------------
# Results: served shares, totals, typical day

shares = {s.option: s for s in traffic.served_shares(result)}
rows = []
for o in result.options:
    sh_ = shares[o.name]
    gpu_hours = o.extra_monthly.get("gpu_hours")
    rows.append({"option": o.name, "what-if": o.name in whatif_names, "total cash": common.money(o.total_cash_usd),
                 "USD / 1M tokens": round(o.usd_per_million_tokens, 3) if o.usd_per_million_tokens == o.usd_per_million_tokens else None,
                 "served by the fleet": sh_.fleet_share, "served by an API": sh_.api_share,
                 "GPU-hours (horizon)": float(gpu_hours.sum()) if gpu_hours is not None else None,
                 "idle reserved (USD)": common.money(float(o.line_items["reserved_unused"].cash_usd.sum()))
                 if "reserved_unused" in o.line_items else ""})
st.dataframe(pd.DataFrame(rows), hide_index=True, key="traffic_shares",
             column_config={"served by the fleet": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                            "served by an API": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                            "GPU-hours (horizon)": st.column_config.NumberColumn(format="%.0f")})
for o in result.options:
    for note in o.notes:
        if "spot" in note:
            st.warning(f"{o.name}: {note}", icon=":material/warning:")
            break

sh_names = [o.name for o in result.options if o.kind == "self_host"]
if sh_names:
    t1, t2 = st.columns([2, 1])
    default_day = next((n for n in sh_names if "hybrid" in n), sh_names[0])
    chosen = t1.selectbox("Typical day of", sh_names, index=sh_names.index(default_day), key="traffic_day_option")
    month_label = t2.select_slider("Month", options=result.months, value=result.months[-1], key="traffic_day_month")
    day = traffic.typical_day(result, chosen, result.months.index(month_label))
    st.plotly_chart(typical_day_figure(day), theme=None, key="traffic_day_chart")
    downloads.chart(lambda d=day: typical_day_figure(d), result.scenario.name, "typical-day", "traffic_day_chart")
    if day.hybrid:
        st.caption(f"The shaded band is the load above the fleet, sent to the API: "
                   f"{day.overflow_rps.sum() * 3600 / max(day.load_rps.sum() * 3600, 1e-12):.0%} of this day's requests.")
else:
    st.info("The scenario has no self-host option: add one on the Compare page to see its typical day.")

st.download_button("Scenario (YAML)", lambda s=scenario: s.to_yaml().encode("utf-8"),
                   "traffic_scenario.yaml", "application/x-yaml", on_click="ignore", key="traffic_download",
                   help="The session scenario with these traffic settings (what-if variants only once applied): the "
                        "same file as Compare's YAML download.")
