"""The floor for benchmarks/ui_latency.py: the Compare page's widgets and charts with no computation.

Same layout, input labels, editors, metrics, table and plotly charts of the same shape
(7 options x 36 months: 8 scatter traces, 7 bars, 5 stacked bars, 6 fleet lines, the quality scatter) as
views/compare.py, drawn the same way: three charts on the page, the options editors in lazy tabs (only the
open tab's is built), the monthly breakdown and the quality section in expanders built only when opened
(issue 21), built the cheapest way the stack allows (plain dicts, no plotly validation, the same
trimmed template), but every number is a line of numpy on the inputs: no catalog, no engine, no tco import. What this
page costs to rerun and draw is what Streamlit + plotly + the browser impose on any page like ours.

    streamlit run benchmarks/floor_app.py
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

_FULL = pio.templates["plotly_white"].to_plotly_json()
#: the app's template, trimmed the same way (scatter and bar defaults; no polar/3-D/map defaults)
TEMPLATE = {"data": {k: v for k, v in _FULL["data"].items() if k in ("scatter", "bar")},
            "layout": {k: v for k, v in _FULL["layout"].items()
                       if k not in ("polar", "ternary", "scene", "geo", "mapbox", "map", "smith")}}
OPTIONS = ["GPT-4o API", "GPT-4o mini API", "Llama 3.1 70B API (Together AI)", "Llama 3.1 70B rent 4x H100",
           "Llama 3.1 70B own 4x H100", "Llama 3.1 8B rent 1x H100", "Llama 3.1 8B own 1x H100"]
COLORS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
RATE = np.array([5.0, 0.3, 0.9, 1.2, 0.8, 0.4, 0.3])  # [USD per request x 1e-3] fixed shape factors
LINES = ["rent", "capex", "power", "colocation", "staff"]

st.set_page_config(page_title="floor", layout="wide")
ss = st.session_state
for key, value in {"requests_per_day": 50_000.0, "input_tokens": 1_000.0, "output_tokens": 300.0, "growth_pct": 3.0,
                   "peak_to_average": 2.5, "cached_input_pct": 20.0, "batch_pct": 0.0, "months": 36,
                   "start": "2026-01", "ttft_p95_ms": 2000.0, "tpot_p95_ms": 60.0, "scenario_name": "floor"}.items():
    ss.setdefault(key, value)


def figure(data: list[dict], title: str, height: int = 380, **extra) -> go.Figure:
    """The cheapest figure this stack allows: plain dicts, no plotly validation (as the app builds them)."""
    layout = {"title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}}, "height": height,
              "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "hovermode": "x unified",
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0, "font": {"size": 11}},
              "yaxis": {"rangemode": "tozero", "tickprefix": "$", "tickformat": "~s"}, "template": TEMPLATE, **extra}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


st.title("Self-host Llama or pay per token?", anchor=False)
st.caption("Floor page: the same widgets and charts as the Compare page, no computation.")
answer = st.container()
inputs_col, charts_col = st.columns([1.15, 2.5], gap="medium")
with inputs_col.container(border=True):
    st.subheader("Workload", anchor=False)
    st.number_input("Requests per day [req/day]", step=50_000.0, format="%.0f", key="requests_per_day")
    c1, c2 = st.columns(2)
    c1.number_input("Input [tokens/request]", step=50.0, format="%.0f", key="input_tokens")
    c2.number_input("Output [tokens/request]", step=50.0, format="%.0f", key="output_tokens")
    c1, c2 = st.columns(2)
    c1.number_input("Growth [%/month]", step=0.5, format="%.1f", key="growth_pct")
    c2.number_input("Peak / average [ratio]", step=0.1, format="%.2f", key="peak_to_average")
    c1, c2 = st.columns(2)
    c1.number_input("Cached input [% of input]", step=5.0, format="%.0f", key="cached_input_pct")
    c2.number_input("Batch [% of requests]", step=5.0, format="%.0f", key="batch_pct")
    c1, c2 = st.columns(2)
    c1.number_input("Horizon [months]", step=1, format="%d", key="months")
    c2.text_input("Start [YYYY-MM]", key="start")
    st.subheader("Latency SLO", anchor=False)
    c1, c2 = st.columns(2)
    c1.number_input("TTFT p95 [ms]", step=100.0, format="%.0f", key="ttft_p95_ms")
    c2.number_input("TPOT p95 [ms]", step=5.0, format="%.0f", key="tpot_p95_ms")
    st.text_input("Scenario name", key="scenario_name")

with st.container(border=True):
    st.subheader("Options to compare", anchor=False)
    tab_api, tab_sh = st.tabs(["Hosted APIs", "Self-hosted (rent or own GPUs)"], key="floor_tab", on_change="rerun")
    if tab_api.open:
        tab_api.data_editor(pd.DataFrame({"name": OPTIONS[:3], "api": ["openai/gpt-4o", "openai/gpt-4o-mini",
                                                                  "together/llama-3.1-70b"]}),
                       key="floor_api", num_rows="dynamic", hide_index=True, width="stretch")
    if tab_sh.open:
        tab_sh.data_editor(pd.DataFrame({"name": OPTIONS[3:], "model": ["llama-3.1-70b"] * 2 + ["llama-3.1-8b"] * 2,
                                     "gpu": ["h100-sxm"] * 4, "gpus_per_replica": [4.0, 4.0, 1.0, 1.0]}),
                       key="floor_sh", num_rows="dynamic", hide_index=True, width="stretch")

months = int(max(1, min(240, ss.months or 36)))
growth = (1 + (ss.growth_pct or 0.0) / 100.0) ** np.arange(months)
monthly = np.outer(RATE, growth) * (ss.requests_per_day or 0.0) * 30.4 / 1000.0  # [USD] per option x month
cumulative = monthly.cumsum(axis=1)
labels = [f"m{m + 1}" for m in range(months)]

with answer:
    st.markdown(f"**{OPTIONS[int(cumulative[:, -1].argmin())]}** is cheapest over {months} months.")
    m = st.columns(4)
    for col, (label, value) in zip(m, [("Cheapest", cumulative[:, -1].min()), ("Saving", cumulative[0, -1]),
                                       ("Reference", cumulative[0, -1]), ("Per 1M tokens", RATE.min())]):
        col.metric(label, f"${value:,.0f}", border=True)

cum_traces = [{"type": "scatter", "x": labels, "y": cumulative[i], "name": n, "mode": "lines",
               "line": {"color": COLORS[i]}} for i, n in enumerate(OPTIONS)]
cum_traces.append({"type": "scatter", "x": labels[:4], "y": cumulative[3:, -1], "mode": "markers", "name": "break-even"})
with charts_col:
    st.segmented_control("Cost basis", ["cash", "accrual"], default="cash", key="basis")
    st.plotly_chart(figure(cum_traces, "Cumulative cost (cash)", 440), theme=None, key="chart_cumulative")
    st.plotly_chart(figure([{"type": "bar", "y": OPTIONS, "x": cumulative[:, -1] / 1e3, "orientation": "h",
                             "marker": {"color": COLORS}}], "Cost per 1M tokens"), theme=None, key="chart_unit_cost")
    with st.expander("Monthly cost by line item, one option at a time", key="stack_open", on_change="rerun") as box:
        if box.open:
            st.selectbox("Option for the monthly breakdown", OPTIONS, index=3, key="stack_option")
            st.plotly_chart(figure([{"type": "bar", "x": labels, "y": monthly[3] * (k + 1) / 15, "name": li}
                                    for k, li in enumerate(LINES)], "Monthly cost breakdown", barmode="relative"),
                            theme=None, key="chart_stack")
    st.plotly_chart(figure([{"type": "scatter", "x": labels, "y": np.ceil(monthly[i] / 5e3), "name": OPTIONS[i],
                             "mode": "lines"} for i in range(1, 7)], "GPUs in service"), theme=None, key="chart_fleet")

st.subheader("Totals per option", anchor=False)
st.dataframe(pd.DataFrame({"Option": OPTIONS, "Cash [USD]": [f"${v:,.0f}" for v in cumulative[:, -1]]}),
             hide_index=True, width="stretch")
d1, d2, d3 = st.columns(3)
d1.download_button("Monthly costs (long CSV)", b"a,b\n", "floor.csv", "text/csv", on_click="ignore")
d2.download_button("Scenario (YAML)", b"name: floor\n", "floor.yaml", on_click="ignore")
d3.download_button("Assumptions used (CSV)", b"a\n", "floor-assumptions.csv", on_click="ignore")

st.subheader("Quality next to cost", anchor=False)
with st.expander("Quality tiers, quality floor and cost against quality", key="quality_open", on_change="rerun") as box:
    if box.open:  # drawn only while open
        st.radio("Floor", ["No floor", "Elo at least", "At least as good as"], horizontal=True, key="floor_mode")
        elo = 1200.0 + 15.0 * np.arange(len(OPTIONS))
        st.dataframe(pd.DataFrame({"option": OPTIONS, "Elo": elo, "USD / 1M tokens": cumulative[:, -1] / 1e3}),
                     hide_index=True, width="stretch")
        st.radio("Cost axis", ["USD / 1M tokens", "total cash"], horizontal=True, key="cost_axis")
        st.plotly_chart(figure([{"type": "scatter", "x": [e], "y": [c], "mode": "markers+text", "text": [n],
                                 "marker": {"size": 10, "color": COLORS[i]}, "showlegend": False}
                                for i, (n, e, c) in enumerate(zip(OPTIONS, elo, cumulative[:, -1] / 1e3))],
                               "Cost against quality", 420, hovermode="closest"), theme=None, key="chart_quality")
st.subheader("Save, load and share", anchor=False)
s1, s2, s3 = st.columns(3)
s1.button("Share link", key="share_link")
s2.file_uploader("Load a scenario (YAML)", type=["yaml", "yml"], key="floor_upload")
s3.selectbox("Examples and saved scenarios", ["chat assistant", "batch summarisation"], index=None, key="example")
