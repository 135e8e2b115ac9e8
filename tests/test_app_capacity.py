"""Capacity page: figure builders (pure) and the page itself through AppTest."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_perf import H100, L8B, L70B

from tco.catalog import ProfileEntry
from tco.charts import capacity as cc
from tco.importers import profile_text
from tco.importers import import_files
from tco.io.safeyaml import load_yaml_text
from tco.model.perf import memory_fit

PAGE = Path(__file__).resolve().parents[1] / "views" / "capacity.py"
FIX = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def _profile():
    return ProfileEntry(id="p", source="t", as_of="2025-01-01", kind="measured", model="llama-3.1-8b",
                        gpu="h100-sxm", gpus=1, precision="bf16", isl=500, osl=200,
                        points=[dict(request_rate=r, request_throughput_rps=r, ttft_ms={"mean": t, "p99": 2 * t},
                                     tpot_ms={"mean": i, "p99": 1.2 * i})
                                for r, t, i in [(1, 30, 8), (4, 40, 10), (16, 90, 20)]])


def test_latency_curve_figure_has_slo_and_operating_point():
    meas = cc.measured_curve(_profile())
    assert list(meas["rps"]) == [1, 4, 16] and meas["ttft_stat"].iloc[0] == "p99"
    est = cc.estimated_curve(L8B, H100, 1, "bf16", 500, 200, points=10)
    assert len(est) == 10 and (est["tpot_ms"].diff().dropna() >= -1e-9).all()
    fig = cc.latency_curve_figure(meas, est, 100, 25, 7.5)
    names = [t.name for t in fig.data]
    assert "measured (p99)" in names and "estimated (mean)" in names
    shapes = fig.layout.shapes
    assert {s.y0 for s in shapes if s.y0 == s.y1} == {100, 25}  # SLO lines
    assert any(s.x0 == 7.5 for s in shapes)  # operating point


def test_memory_figure_parts_add_up():
    fit = memory_fit(L70B, H100, 4, "bf16", 2048, concurrency=64, kv_dtype="bf16")
    fig = cc.memory_figure(fit)
    assert [round(t.x[0], 6) for t in fig.data] == [round(fit.weights_gb, 6), round(fit.kv_gb, 6), fit.overhead_gb]
    assert any(abs(s.x0 - fit.usable_gb) < 1e-9 for s in fig.layout.shapes)


def test_comparison_table_and_download_bytes():
    t = cc.comparison_table(_profile(), L8B, H100)
    assert len(t) == 3 and t["measured TPOT mean [ms]"].tolist() == [8, 10, 20]
    prof = import_files("vllm", [FIX / "vllm" / "qps_01.json"], model="llama-3.3-70b", gpu="a100-40gb", gpus=8,
                        precision="bf16")
    back = load_yaml_text(profile_text(prof, "yaml").encode())
    assert ProfileEntry.model_validate(back).points[0].request_throughput_rps == pytest.approx(0.974567)


def test_page_renders_and_reacts():
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception
    first = [m.value for m in at.metric]
    at.number_input(key="cap_tpot").set_value(15.0).run()
    assert not at.exception
    assert [m.value for m in at.metric] != first
    at.selectbox(key="cap_model").set_value("llama-3.1-405b").run()
    at.selectbox(key="cap_gpus").set_value(8).run()
    assert not at.exception
    assert any("does not fit" in e.value for e in at.error) or any("fit" in w.value for w in at.warning)


def test_page_starts_from_the_compare_scenario():
    scen = ("name: cap check\nstart: 2027-01\nmonths: 1\n"
            "workload: {requests_per_day: 1000, input_tokens: 512, output_tokens: 128}\n"
            "slo: {ttft_p95_ms: 800, tpot_p95_ms: 40}\n"
            "options:\n  - name: own\n    self_host: {model: llama-3.1-8b, gpu: h100-sxm, gpus_per_replica: 2, "
            "precision: fp8, rent: {usd_per_gpu_hour: 2.0}}\n")
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["compare_last_good_yaml"] = scen
    at.run()
    assert not at.exception
    assert at.number_input(key="cap_isl").value == 512 and at.number_input(key="cap_osl").value == 128
    assert at.number_input(key="cap_ttft").value == 800 and at.number_input(key="cap_tpot").value == 40
    assert at.selectbox(key="cap_model").value == "llama-3.1-8b" and at.selectbox(key="cap_gpus").value == 2
    assert at.selectbox(key="cap_precision").value == "fp8"
    # an estimated capacity shows its range (issue-16's CapacityResult.rps_low/high) under the metric
    source = next(m.value for m in at.metric if m.label == "Source")
    ranges = [c.value for c in at.caption if c.value.startswith("Estimate range ")]
    assert (source == "estimated") == bool(ranges), (source, ranges)
    # a tweak on the page stays while the Compare scenario does not change
    at.number_input(key="cap_isl").set_value(600).run()
    assert at.number_input(key="cap_isl").value == 600

