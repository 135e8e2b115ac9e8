"""Memory fit and estimator: hand-checked memory cases and physical monotonicity."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tco.catalog import GpuEntry, ModelEntry
from tco.model.perf import (
    RUNTIME_OVERHEAD_GB,
    USABLE_MEMORY_FRACTION,
    config_arrays,
    estimate,
    estimate_arrays,
    estimated_capacity_at_slo,
    memory_fit,
    moe_split,
)

SRC = dict(source="test", as_of="2025-07-15", license="test")


def llama(pid, total, layers, hidden, heads, kv_heads=8, active=None, experts=None, k=None):
    return ModelEntry(id=pid, name=pid, family="llama", total_params_b=total, active_params_b=active or total,
                      layers=layers, hidden_size=hidden, attention_heads=heads, kv_heads=kv_heads, head_dim=128,
                      vocab_size=128256, max_context=131072, experts_total=experts, experts_per_token=k, **SRC)


L8B = llama("llama-3.1-8b", 8.030, 32, 4096, 32)
L70B = llama("llama-3.1-70b", 70.554, 80, 8192, 64)
L405B = llama("llama-3.1-405b", 405.853, 126, 16384, 128)
SCOUT = llama("llama-4-scout", 109.0, 48, 5120, 40, active=17.0, experts=16, k=1)
H100 = GpuEntry(id="h100-sxm", name="H100 SXM", vendor="nvidia", memory_gb=80, mem_bw_tbs=3.35, bf16_tflops=989,
                fp8_tflops=1978, source="test", as_of="2025-07")
A100_40 = GpuEntry(id="a100-40gb", name="A100 40GB", vendor="nvidia", memory_gb=40, mem_bw_tbs=1.555,
                   bf16_tflops=312, source="test", as_of="2025-07")
GIB = 2 ** 30 / 1e9  # [GB per catalog GB], HBM capacities are binary


def test_405b_bf16_does_not_fit_8x_h100():
    # memory 80 x 2^30 / 1e9 = 85.899 GB; weights/GPU = 405.853e9 x 2 B / 8 = 101.46 GB > 85.899 GB
    fit = memory_fit(L405B, H100, 8, "bf16", 4096)
    assert_allclose(fit.weights_gb, 405.853 * 2 / 8)
    assert_allclose(fit.usable_gb, 80 * GIB)  # nothing left for a KV cache: the whole memory
    assert not fit.fits and fit.max_concurrency == 0
    assert "does not fit in memory" in fit.reason


def test_405b_fp8_fits_8x_h100_hand_checked():
    # weights/GPU = 405.853 / 8 = 50.732 GB; free = 85.899 - 50.732 - 3 = 32.168 GB;
    # KV budget = 0.9 x 32.168 = 28.951 GB
    # KV bf16 per token = 2 x 126 x 8 x 128 x 2 B = 516,096 B; per GPU (8 shards) 64,512 B
    # 4096-token sequence = 0.26424 GB per GPU -> floor(28.951 / 0.26424) = 109
    fit = memory_fit(L405B, H100, 8, "fp8", 4096, kv_dtype="bf16")
    budget = (80 * GIB - 405.853 / 8 - RUNTIME_OVERHEAD_GB) * USABLE_MEMORY_FRACTION
    assert_allclose(fit.kv_budget_gb, budget)
    assert_allclose(fit.usable_gb, 80 * GIB - (1 - USABLE_MEMORY_FRACTION) * (80 * GIB - 405.853 / 8 - 3))
    assert_allclose(fit.kv_gb_per_sequence, 4096 * 516096 / 8 / 1e9)
    assert fit.max_concurrency == math.floor(budget / (4096 * 516096 / 8 / 1e9)) == 109


def test_fp8_kv_doubles_concurrency_roughly():
    a = memory_fit(L70B, H100, 2, "fp8", 2048, kv_dtype="bf16")
    b = memory_fit(L70B, H100, 2, "fp8", 2048, kv_dtype="fp8")
    assert b.max_concurrency in (2 * a.max_concurrency, 2 * a.max_concurrency + 1)


def test_8b_bf16_one_h100_hand_checked():
    # (85.899 - 16.06 - 3) x 0.9 = 60.155 GB; KV bf16 131,072 B/token x 2048 = 0.26844 GB -> 224
    fit = memory_fit(L8B, H100, 1, "bf16", 2048, concurrency=100, kv_dtype="bf16")
    assert fit.max_concurrency == 224
    assert fit.fits_at_concurrency
    assert_allclose(fit.kv_gb, 100 * 2048 * 131072 / 1e9)


def test_moe_memory_uses_total_params():
    fit = memory_fit(SCOUT, H100, 1, "bf16", 1024)
    assert_allclose(fit.weights_gb, 218.0)  # 109e9 x 2 B: all experts are stored
    assert not fit.fits


def test_moe_split_hand_checked():
    # Scout: per_expert = (109 - 17) / 15 = 6.1333; shared = 17 - 6.1333 = 10.8667
    shared, per = moe_split(109, 17, 16, 1)
    assert_allclose([shared, per], [17 - 92 / 15, 92 / 15])
    assert moe_split(70, 70, None, None) == (70.0, 0.0)


def test_estimate_is_labelled_and_fp8_fallback_note():
    e = estimate(L8B, A100_40, 1, "fp8", 500, 200, concurrency=8)
    assert e.kind == "estimated"
    assert any("weight-only" in n for n in e.notes)
    assert e.request_throughput_rps > 0 and e.tpot_ms > 0 and e.ttft_ms > 0


def test_estimate_not_fitting_returns_none():
    e = estimate(L405B, H100, 8, "bf16", 1000, 200)
    assert not e.fits and e.output_tokens_per_s is None
    assert any("does not fit" in n for n in e.notes)


def test_arrays_match_scalar():
    c = config_arrays([L8B, L70B], [H100], [1, 4], ["bf16", "fp8"], [500, 2000], [200, 300])
    out = estimate_arrays(c, [np.nan, 16], [2.0, np.nan])
    e0 = estimate(L8B, H100, 1, "bf16", 500, 200, request_rate=2.0)
    e1 = estimate(L70B, H100, 4, "fp8", 2000, 300, concurrency=16)
    assert_allclose(out["tpot_ms"], [e0.tpot_ms, e1.tpot_ms])
    assert_allclose(out["request_throughput_rps"], [2.0, e1.request_throughput_rps])


def test_calibrated_against_reference_row_within_35pct():
    # TRT-LLM v0.14 + Triton, Llama 3.1 70B BF16 TP4 on H100, ISL/OSL 467/256, QPS 8 -> 7 req/s,
    # mean TTFT 92 ms, mean ITL 32 ms (../shared/reference/throughput_measured_dev.csv)
    e = estimate(L70B, H100, 4, "bf16", 467, 256, request_rate=7.0, kv_dtype="bf16")
    assert abs(e.tpot_ms / 32 - 1) < 0.35
    assert abs(e.ttft_ms / 92 - 1) < 0.5


def test_estimated_capacity_infeasible_and_feasible():
    rps, reason, _ = estimated_capacity_at_slo(L70B, H100, 4, "fp8", 1000, 200, ttft_p95_ms=1.0, tpot_p95_ms=None)
    assert rps is None and "cannot meet the SLO" in reason
    rps, reason, est = estimated_capacity_at_slo(L70B, H100, 4, "fp8", 1000, 200, 2000, 60)
    assert rps > 0 and reason is None and est.kind == "estimated"


MODELS = [L8B, L70B, L405B, SCOUT]


@settings(max_examples=50, deadline=None)
@given(m=st.sampled_from(MODELS), prec=st.sampled_from(["bf16", "fp8"]), n=st.sampled_from([1, 2, 4]),
       isl=st.integers(16, 8000), osl=st.integers(16, 4000))
def test_more_gpus_never_fewer_tokens_per_s_at_max_batch(m, prec, n, isl, osl):
    a = estimate(m, H100, n, prec, isl, osl)
    b = estimate(m, H100, 2 * n, prec, isl, osl)
    if a.fits:
        assert b.fits
        assert b.max_output_tokens_per_s >= a.max_output_tokens_per_s * (1 - 1e-9)


@settings(max_examples=50, deadline=None)
@given(m=st.sampled_from(MODELS), n=st.sampled_from([1, 2, 4, 8]), isl=st.integers(16, 8000),
       osl=st.integers(16, 4000), extra=st.integers(1, 4000), load=st.floats(0.05, 0.9))
def test_longer_osl_never_lower_tpot_at_same_request_rate(m, n, isl, osl, extra, load):
    top = estimate(m, H100, n, "fp8", isl, osl + extra)
    if not top.fits:
        return
    rate = load * top.request_throughput_rps  # below saturation for both OSLs
    a = estimate(m, H100, n, "fp8", isl, osl, request_rate=rate)
    b = estimate(m, H100, n, "fp8", isl, osl + extra, request_rate=rate)
    assert b.tpot_ms >= a.tpot_ms * (1 - 1e-6)


# --------------------------------------------------------------------------------------------
# Calibration health, ranges, more monotonicity (issue 16)


def test_no_calibration_parameter_on_its_bound():
    # a fitted factor pinned to a fitting bound means the model misses a term (docs/estimator.md)
    from tco.model.perf import CALIBRATION, CALIBRATION_BOUNDS

    for name, (lo, hi) in CALIBRATION_BOUNDS.items():
        v = getattr(CALIBRATION, name)
        assert lo < v < hi, name
        assert abs(math.log(v / lo)) > 0.02 and abs(math.log(hi / v)) > 0.02, f"{name}={v} sits on a bound"


def test_range_on_a_hand_case(monkeypatch):
    from tco.model import perf

    monkeypatch.setitem(perf.ESTIMATE_RANGE, ("moe", "online"), (0.5, 2.0))
    monkeypatch.setitem(perf.ESTIMATE_RANGE, ("dense", "max"), (0.8, 1.25))
    # 1000 tokens/s estimated for an MoE model online: P10 0.5 x 1000 = 500, P90 2.0 x 1000 = 2000
    assert perf.estimate_range(1000.0, SCOUT, "online") == (500.0, 2000.0)
    # a dense model at max throughput: 0.8 x 1000 = 800, 1.25 x 1000 = 1250
    assert perf.estimate_range(1000.0, L8B, "max") == (800.0, 1250.0)
    assert perf.estimate_range(None, L8B, "max") == (None, None)
    e = estimate(SCOUT, H100, 2, "fp8", 1000, 200, concurrency=16)
    assert_allclose([e.output_tokens_per_s_low, e.output_tokens_per_s_high],
                    [0.5 * e.output_tokens_per_s, 2.0 * e.output_tokens_per_s])
    c = config_arrays([SCOUT, L8B], [H100], [2], ["fp8"], [1000], [200])
    lo, hi = perf.estimate_range_arrays(c, [1000.0, 1000.0], "online")
    assert_allclose(lo[0], 500.0) and assert_allclose(hi[0], 2000.0)


def _faster(g: GpuEntry, bw_mult: float) -> GpuEntry:
    return g.model_copy(update={"mem_bw_tbs": g.mem_bw_tbs * bw_mult})


@settings(max_examples=40, deadline=None)
@given(m=st.sampled_from(MODELS), n=st.sampled_from([1, 2, 4, 8]), isl=st.integers(16, 8000),
       osl=st.integers(16, 4000), mult=st.floats(1.0, 4.0), conc=st.sampled_from([None, 1, 8, 64]))
def test_more_bandwidth_never_lowers_throughput(m, n, isl, osl, mult, conc):
    a = estimate(m, H100, n, "fp8", isl, osl, concurrency=conc)
    b = estimate(m, _faster(H100, mult), n, "fp8", isl, osl, concurrency=conc)
    if a.fits:
        assert b.output_tokens_per_s >= a.output_tokens_per_s * (1 - 1e-9)
        assert b.max_output_tokens_per_s >= a.max_output_tokens_per_s * (1 - 1e-9)


@settings(max_examples=25, deadline=None)
@given(m=st.sampled_from([L8B, L70B, SCOUT]), n=st.sampled_from([1, 2, 4, 8]), isl=st.integers(64, 4000),
       osl=st.integers(16, 2000), ttft=st.floats(50, 5000), tpot=st.floats(5, 200),
       loosen=st.floats(1.0, 3.0))
def test_looser_slo_never_lowers_estimated_capacity(m, n, isl, osl, ttft, tpot, loosen):
    a, _, _ = estimated_capacity_at_slo(m, H100, n, "fp8", isl, osl, ttft, tpot)
    b, _, _ = estimated_capacity_at_slo(m, H100, n, "fp8", isl, osl, ttft * loosen, tpot * loosen)
    assert (b or 0.0) >= (a or 0.0) * (1 - 1e-9)


@settings(max_examples=60, deadline=None)
@given(pts=st.lists(st.tuples(st.floats(0.1, 50), st.floats(1, 1000), st.floats(1, 100)), min_size=1, max_size=8),
       ttft=st.floats(1, 1000), tpot=st.floats(1, 100), loosen=st.floats(1.0, 3.0))
def test_looser_slo_never_lowers_measured_capacity(pts, ttft, tpot, loosen):
    from tco.model.capacity import Sweep, capacity_from_sweep

    pts = sorted(pts)
    rps = np.maximum.accumulate(np.array([p[0] for p in pts]))
    sw = Sweep(rps, np.array([p[1] for p in pts]), np.array([p[2] for p in pts]), np.full(len(pts), np.nan))
    a = capacity_from_sweep(sw, ttft, tpot)[0]
    b = capacity_from_sweep(sw, ttft * loosen, tpot * loosen)[0]
    assert (b or 0.0) >= (a or 0.0) * (1 - 1e-9)


def test_every_catalog_gpu_is_accepted():
    from tco.catalog import load_catalog

    cat = load_catalog()
    for gid in ("b300", "gb300", "mi325x", "mi355x", "h20"):
        assert gid in cat.gpus
    gs = list(cat.gpus.values())
    c = config_arrays([cat.models["llama-3.1-8b"]], gs, [1], ["bf16"], [1000], [200])
    out = estimate_arrays(c, 8.0)
    assert out["fits"].shape == (len(gs),)
    assert np.isfinite(out["output_tokens_per_s"][out["fits"]]).all()


RTX = GpuEntry(id="rtx-pro-6000", name="RTX PRO 6000", vendor="nvidia", memory_gb=96, mem_bw_tbs=1.597,
               bf16_tflops=500, fp8_tflops=1000, fp4_tflops=2000, source="test", as_of="2025-07")


def test_pcie_replica_runs_as_a_pipeline_at_max_throughput():
    # 4 PCIe cards, 70B FP8: the pipeline is one stage = one card holding a quarter of the model
    # (params/4, layers/4, KV bytes per token/4); the replica's max throughput is that stage's.
    from tco.model import perf

    c = config_arrays([L70B], [RTX], [4], ["fp8"], [1000], [1000])
    assert c.domain[0] == 1  # PCIe only
    quarter = llama("q", 70.554 / 4, 20, 8192, 64)
    one = config_arrays([quarter], [RTX], [1], ["fp8"], [1000], [1000])
    stage_rps = perf.estimate_arrays(one, data_parallel=False)["max_request_throughput_rps"][0]
    assert_allclose(perf.pipeline_max_rps(c)[0], stage_rps, rtol=1e-9)
    out = perf.estimate_arrays(c, data_parallel=False)
    tp_only = perf.tp_max_rps(c, perf.CALIBRATION, perf.DEFAULT_MAX_BATCH, perf.USABLE_MEMORY_FRACTION,
                               perf.RUNTIME_OVERHEAD_GB)[0]
    assert out["max_request_throughput_rps"][0] == max(stage_rps, tp_only)
    assert stage_rps > tp_only  # over PCIe the all-reduces cost more than the compute they split
    # NVLink GPUs keep tensor parallelism: no pipeline figure
    assert perf.pipeline_max_rps(config_arrays([L70B], [H100], [4], ["fp8"], [1000], [1000]))[0] == 0.0


def test_fp4_factor_slows_fp4_gemms_only():
    from dataclasses import replace

    from tco.model import perf

    c = config_arrays([L70B, L70B], [RTX], [1], ["fp4", "fp8"], [128], [128])
    base = replace(perf.CALIBRATION, fp4_factor=1.0)
    slow = replace(perf.CALIBRATION, fp4_factor=2.0)
    a = perf.prefill_work_s(c, base)
    b = perf.prefill_work_s(c, slow)
    assert b[1] == a[1]  # fp8 row unchanged
    # fp4 row: the parameter FLOPs (2 x 70.554e9 x 128) take twice as long, attention FLOPs do not
    f = 2 * 70.554e9 * 128 / (2000e12 * perf.CALIBRATION.eff_prefill)
    assert_allclose(b[0] - a[0], f, rtol=1e-9)
