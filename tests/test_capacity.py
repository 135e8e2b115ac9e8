"""Capacity at the SLO from hand-made profiles (values worked out in the comments)."""
from __future__ import annotations

from numpy.testing import assert_allclose
from test_perf import H100, L8B, L70B

from tco.catalog import Catalog, ProfileEntry, Stats
from tco.model.capacity import capacity_at_slo, capacity_from_profile, pick_statistic

BASE = dict(source="test", as_of="2025-01-01", kind="measured", model="llama-3.1-8b", gpu="h100-sxm", gpus=1,
            precision="bf16", isl=500, osl=200)


def prof(pid="p1", points=None, **kw):
    return ProfileEntry(id=pid, points=points or SWEEP, **{**BASE, **kw})


def pt(rate, rps, ttft95, tpot95, **kw):
    return dict(request_rate=rate, request_throughput_rps=rps, ttft_ms={"p95": ttft95, **kw.get("ttft", {})},
                tpot_ms={"p95": tpot95, **kw.get("tpot", {})})


SWEEP = [pt(1, 1.0, 50, 10), pt(2, 2.0, 60, 12), pt(4, 4.0, 100, 16), pt(8, 6.0, 300, 30)]


def catalog(*profiles):
    return Catalog(models={"llama-3.1-8b": L8B, "llama-3.1-70b": L70B}, gpus={"h100-sxm": H100}, offers={},
                   servers={}, apis={}, profiles={p.id: p for p in profiles}, assumptions={})


def test_interpolation_between_points():
    # TPOT limit 20 ms: 16 ms at 4 req/s, 30 ms at 6 req/s -> f = (20-16)/(30-16) = 2/7
    # TTFT limit 200 ms: 100 at 4, 300 at 6 -> f = 0.5; binding f = 2/7 -> 4 + 2/7 x 2 = 4.5714
    r = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", 200, 20, 500, 200)
    assert r.source == "measured" and r.profile_id == "p1"
    assert_allclose(r.rps, 4 + 2 / 7 * 2)
    assert_allclose(r.tpot_ms, 20.0)
    assert_allclose(r.output_tokens_per_s, r.rps * 200)


def test_exact_point_and_no_limit():
    r = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 16, 500, 200)
    assert_allclose(r.rps, 4.0)
    r = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, None, 500, 200)
    assert_allclose(r.rps, 6.0)
    assert any("every measured point" in n for n in r.notes)


def test_no_feasible_point():
    r = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", 40, 50, 500, 200)
    assert r.rps is None and not r.feasible
    assert "cannot meet the SLO" in r.reason and "TTFT 50.0 ms > 40 ms" in r.reason


def test_mean_only_profile_says_so():
    pts = [dict(request_rate=r, request_throughput_rps=r, ttft_ms={"mean": t}, itl_ms={"mean": i})
           for r, t, i in [(2, 48, 20), (4, 51, 22), (8, 57, 25), (16, 74, 32)]]
    # ITL limit 30: 25 at 8, 32 at 16 -> f = 5/7 -> 8 + 5/7 x 8 = 13.714
    r = capacity_from_profile(prof(points=pts), None, 30, 500, 200)
    assert_allclose(r.rps, 8 + 5 / 7 * 8)
    text = " ".join(r.notes)
    assert "means only" in text and "inter-token latency" in text


def test_p99_stand_in_is_noted():
    s, note = pick_statistic([Stats(p99=10, mean=5), Stats(p99=12, mean=6)], "TTFT")
    assert s == "p99" and "conservative" in note
    s, note = pick_statistic([Stats(p95=1, p99=2)], "TTFT")
    assert s == "p95" and note is None


def test_load_order_and_running_max():
    # points given out of order; the heaviest completed fewer requests than the one before
    pts = [pt(None, 5.5, 900, 50), pt(1, 1.0, 50, 10), pt(8, 6.0, 300, 30)]
    r = capacity_from_profile(prof(points=pts), None, None, 500, 200)
    assert_allclose(r.rps, 6.0)


def test_offline_profiles_are_not_slo_capacity():
    off = prof("off", scenario="offline_throughput", points=[dict(request_throughput_rps=40.0, output_tokens_per_s=8000)])
    r = capacity_at_slo(catalog(off), "llama-3.1-8b", "h100-sxm", 1, "bf16", 2000, 50, 500, 200)
    assert r.source == "estimated"
    assert any("ignored" in n for n in r.notes)
    assert r.rps is not None and r.rps < 40.0


def test_nearest_profile_is_preferred():
    near = prof("near", isl=480, osl=210)
    far = prof("far", isl=4000, osl=100, points=[pt(1, 1.0, 10, 1)])
    r = capacity_at_slo(catalog(near, far), "llama-3.1-8b", "h100-sxm", 1, "bf16", 200, 20, 500, 200)
    assert r.profile_id == "near" and r.source == "measured"  # within 10 %: no adjustment


def test_adjusted_longer_output_lowers_capacity():
    base = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", 200, 20, 500, 200)
    longer = capacity_at_slo(catalog(prof()), "llama-3.1-8b", "h100-sxm", 1, "bf16", 200, 20, 500, 800)
    assert longer.source == "adjusted" and any("adjusted from" in n for n in longer.notes)
    assert longer.rps < base.rps


def test_estimator_fallback_and_memory():
    r = capacity_at_slo(catalog(), "llama-3.1-70b", "h100-sxm", 4, "fp8", 1000, 50, 1000, 200)
    assert r.source == "estimated" and r.feasible
    bad = capacity_at_slo(catalog(), "llama-3.1-70b", "h100-sxm", 1, "bf16", 1000, 50, 1000, 200)
    assert bad.rps is None and "does not fit in memory" in bad.reason
    unknown = capacity_at_slo(catalog(), "nope", "h100-sxm", 1, "bf16", 1000, 50, 1000, 200)
    assert unknown.rps is None and "unknown model" in unknown.reason


# --------------------------------------------------------------------------------------------
# Closed-loop sweeps with median and p99 only (InferenceX-style), engines


def test_p95_from_median_and_p99_hand_case():
    from tco.model.capacity import p95_from_median_p99

    # lognormal: p95 = p50 x (p99/p50)^(1.6449/2.3263) = 100 x 4^0.70711 = 100 x 2.6647 = 266.47
    assert_allclose(p95_from_median_p99(100.0, 400.0), 266.47, rtol=1e-4)
    assert_allclose(p95_from_median_p99(10.0, 10.0), 10.0)  # no tail
    assert_allclose(p95_from_median_p99(10.0, 5.0), 5.0)  # inconsistent p99 < p50: p99 kept


def cpt(conc, rps, ttft_med, ttft_p99, tpot_med, tpot_p99):
    return dict(concurrency=conc, request_throughput_rps=rps, ttft_ms={"median": ttft_med, "p99": ttft_p99},
                tpot_ms={"median": tpot_med, "p99": tpot_p99})


MED_P99 = [cpt(4, 1.0, 40, 40, 10, 10), cpt(8, 2.0, 50, 50, 10, 40), cpt(16, 3.0, 60, 60, 20, 80)]


def test_slo_interpolation_with_median_and_p99():
    # derived p95 TPOT per point (exponent 0.70711):
    #   conc 4:  10 x 1^e = 10
    #   conc 8:  10 x 4^e = 26.647
    #   conc 16: 20 x 4^e = 53.294
    # TPOT limit 40 ms: between conc 8 (26.647 at 2 req/s) and 16 (53.294 at 3 req/s):
    #   f = (40 - 26.647) / (53.294 - 26.647) = 0.50109 -> rps = 2 + 0.50109 = 2.50109
    r = capacity_from_profile(prof(points=MED_P99), None, 40, 500, 200)
    assert_allclose(r.rps, 2.50109, rtol=1e-4)
    assert_allclose(r.tpot_ms, 40.0)
    assert any("p95 derived from median and p99" in n for n in r.notes)
    assert r.rps_low is None and r.low == r.rps == r.high  # measured capacity stays a point


def test_engine_choice_default_best_and_named():
    slow = prof("slow", points=[cpt(4, 1.0, 40, 40, 10, 10), cpt(8, 1.5, 50, 50, 30, 30)], engine="vllm")
    fast = prof("fast", points=[cpt(4, 2.0, 40, 40, 10, 10), cpt(8, 3.0, 50, 50, 30, 30)], engine="sglang")
    mtp = prof("mtp", points=[cpt(4, 9.0, 40, 40, 5, 5)], engine="sglang", speculative="mtp")
    cat = catalog(slow, fast, mtp)
    # TPOT limit 20: f = (20-10)/(30-10) = 0.5 -> slow 1.25, fast 2.5 req/s; MTP never by default
    r = capacity_at_slo(cat, "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200)
    assert r.profile_id == "fast" and r.engine == "sglang"
    assert_allclose(r.rps, 2.5)
    r = capacity_at_slo(cat, "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200, engine="vLLM")
    assert r.profile_id == "slow"
    assert_allclose(r.rps, 1.25)
    r = capacity_at_slo(cat, "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200, engine="sglang+mtp")
    assert r.profile_id == "mtp"
    r = capacity_at_slo(cat, "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200, engine="trt-llm")
    assert r.source == "estimated" and any("no measured profile for engine 'trt-llm'" in n for n in r.notes)
    assert r.rps_low is not None and r.rps_low < r.rps < r.rps_high  # estimates carry a range


def test_unknown_engine_is_not_preferred_over_a_named_one():
    # An imported profile whose source does not name the engine (engine: None -> "unknown") that looks
    # faster is not picked by default when a named engine's profile is as near; alone it is used.
    named = prof("named", points=[cpt(4, 1.0, 40, 40, 10, 10), cpt(8, 1.5, 50, 50, 30, 30)], engine="vllm")
    unknown = prof("unk", points=[cpt(4, 2.0, 40, 40, 10, 10), cpt(8, 3.0, 50, 50, 30, 30)], engine=None)
    assert unknown.engine == "unknown"
    r = capacity_at_slo(catalog(named, unknown), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200)
    assert r.profile_id == "named" and r.engine == "vllm"
    assert_allclose(r.rps, 1.25)  # f = (20-10)/(30-10) = 0.5 -> 1.0 + 0.5 x 0.5
    assert any("unknown engine not used (unk)" in n for n in r.notes)
    r = capacity_at_slo(catalog(unknown), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200)
    assert r.profile_id == "unk" and r.engine == "unknown"
    assert_allclose(r.rps, 2.5)
    r = capacity_at_slo(catalog(named, unknown), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200,
                        engine="vllm")
    assert r.profile_id == "named"
    # the Capacity page's "Use in Compare" option names the uploaded profile's engine ("unknown" here)
    r = capacity_at_slo(catalog(named, unknown), "llama-3.1-8b", "h100-sxm", 1, "bf16", None, 20, 500, 200,
                        engine="unknown")
    assert r.profile_id == "unk"
