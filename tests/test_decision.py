"""Pure parts of the answer: break-even matrix and reference choice, SLO status (APIs and self-host),
unit-cost splits, GPUs billed, optimizer rules, Monte Carlo point percentile, tokens/day and names.

Every expected value is worked out by hand in the comments.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.model import finance
from tco.model.capacity import CapacityResult
from tco.catalog import ApiLatency
from tco.engine.decision import capacity_tokens_per_month, gpus_billed
from tco.core.exceptions import ScenarioError
from tco.analysis.optimizer_rules import replica_fits_unit, suspect_reason
from tco.scenario import default_option_name, parse_scenario
from tco.model.slo import (SloCheck, api_slo_check, hybrid_slo_check, median_vs_p95, self_host_slo_check,
                           tpot_ms_from_speed)
from tco.analysis.uncertainty import point_percentile, range_note

LABELS = ["2026-01", "2026-02", "2026-03", "2026-04"]
# A (API)   cash 10 10 10 10 -> cumulative 10 20 30 40
# B (own)   cash 25  0  0  5 -> cumulative 25 25 25 30
# C         cash  5  5 20 20 -> cumulative  5 10 30 50
CASH = np.array([[10, 10, 10, 10], [25, 0, 0, 5], [5, 5, 20, 20]], dtype=float)


def test_break_even_matrix_by_hand():
    m = finance.break_even_matrix(["A", "B", "C"], CASH, LABELS)
    # B <= A from month 2 on (25 <= 30, 30 <= 40), not before (25 > 20) -> 2026-03
    assert m["B"]["A"] == "2026-03"
    # A <= B holds in months 0-1 only (30 > 25 in month 2): never stays -> None
    assert m["A"]["B"] is None
    # C <= A: 5<=10, 10<=20, 30<=30 (equal counts), 50 > 40 in the last month -> None
    assert m["C"]["A"] is None
    # A <= C: 10 > 5, 20 > 10, 30 <= 30, 40 <= 50 -> 2026-03
    assert m["A"]["C"] == "2026-03"
    # B <= C: 25 > 5, 25 > 10, 25 <= 30, 30 <= 50 -> 2026-03; C <= B fails at month 2 (30 > 25)
    assert m["B"]["C"] == "2026-03" and m["C"]["B"] is None
    assert set(m["A"]) == {"B", "C"}  # no diagonal


def test_break_even_matrix_row_matches_break_even_index():
    m = finance.break_even_matrix(["A", "B", "C"], CASH, LABELS)
    idx = finance.break_even_index(CASH, CASH[0])
    for n, name in enumerate(["B", "C"], start=1):
        assert m[name]["A"] == finance.index_to_month(int(idx[n]), LABELS)


def test_reference_choice_rules():
    names, kinds = ["GPT-4o", "mini", "Llama own"], ["api", "api", "self_host"]
    tot = [400.0, 100.0, 50.0]
    # cheapest eligible API: mini (100 < 400); the self-host option is never the default reference
    assert finance.reference_choice(names, kinds, tot, [True, True, True])[0] == "mini"
    # mini misses the SLO -> GPT-4o
    assert finance.reference_choice(names, kinds, tot, [True, False, True])[0] == "GPT-4o"
    # no API eligible -> the cheapest API anyway, and the reason says so
    ref, why = finance.reference_choice(names, kinds, tot, [False, False, True])
    assert ref == "mini" and "no API option meets" in why
    # explicit reference wins
    assert finance.reference_choice(names, kinds, tot, [True] * 3, "Llama own") == ("Llama own", "chosen in the scenario (reference)")
    with pytest.raises(ValueError, match="not an option"):
        finance.reference_choice(names, kinds, tot, [True] * 3, "nope")
    # no API at all -> cheapest option
    assert finance.reference_choice(["x", "y"], ["self_host"] * 2, [5.0, 3.0], [True, True])[0] == "y"


def test_unit_cost_split_by_hand():
    # total 1,000 USD, 30 % of it from input; 100M input tokens, 10M output tokens
    # input: 1000 x 0.3 / 100e6 x 1e6 = 3.0 USD/1M; output: 1000 x 0.7 / 10e6 x 1e6 = 70.0 USD/1M
    p_in, p_out = finance.usd_per_million_by_token_type(1000.0, 0.3, 100e6, 10e6)
    assert_allclose([p_in, p_out], [3.0, 70.0])
    # prefill share: TTFT 200 ms, 100 output tokens x 18 ms = 1,800 ms -> 200 / 2,000 = 0.1
    assert_allclose(finance.prefill_share_of_gpu_time(200.0, 18.0, 100.0), 0.1)
    assert np.isnan(finance.prefill_share_of_gpu_time(np.nan, 18.0, 100.0))


def test_at_capacity_by_hand():
    # 8 GPUs billed, 2 GPUs per replica -> 4 replicas x 0.5 req/s x 3,600 x 730 s x 1,000 tokens
    # = 4 x 0.5 x 2,628,000 x 1,000 = 5.256e9 tokens/month
    cap = capacity_tokens_per_month(np.array([8.0]), 2, 0.5, 1000.0)
    assert_allclose(cap, [5.256e9])
    # 5,256 USD / 5.256e9 tokens x 1e6 = 1.0 USD/1M
    assert_allclose(finance.usd_per_million_tokens_at_capacity(5256.0, 5.256e9), 1.0)


def test_gpus_billed():
    gpus = np.array([3.0, 9.0, 2.0])
    # 8-GPU instances: ceil(3/8) x 8 = 8; ceil(9/8) x 8 = 16; 8
    assert_allclose(gpus_billed(gpus, {"payment": "rent", "rent_mode": "instance", "gpus_per_instance": 8}), [8, 16, 8])
    assert_allclose(gpus_billed(gpus, {"payment": "rent", "rent_mode": "gpu"}), [3, 9, 2])
    # own 8-GPU servers, fleet never shrinks: 1, 2, 2 servers -> 8, 16, 16 GPUs
    assert_allclose(gpus_billed(gpus, {"payment": "own", "gpus_per_server": 8}), [8, 16, 16])
    # 4 reserved GPUs + on-demand 8-GPU instances above them: 3 -> 4; 9 -> 4 + 8; 2 -> 4
    assert_allclose(gpus_billed(gpus, {"payment": "rent", "rent_mode": "instance", "gpus_per_instance": 8,
                                       "reserved_gpus": 4.0}), [4, 12, 4])


# ---------------------------------------------------------------------------------------------
# SLO


def _lat(ttft_ms=None, tps=None):
    return ApiLatency(ttft_median_ms=ttft_ms, output_tokens_per_s_median=tps, source="https://example.org/x",
                      as_of="2026-01-01")


def test_median_vs_p95_rule():
    # median 530 ms > SLO 50 ms -> missed
    assert median_vs_p95("TTFT", 530.0, 50.0, 1.71).status == "missed"
    # 530 x 1.71 = 906.3 <= 2,000 -> met
    assert median_vs_p95("TTFT", 530.0, 2000.0, 1.71).status == "met"
    # 530 <= 600 but 906.3 > 600 -> unknown (not confirmed)
    c = median_vs_p95("TTFT", 530.0, 600.0, 1.71)
    assert c.status == "unknown" and "not confirmed" in c.reason
    assert median_vs_p95("TTFT", None, 600.0, 1.71).status == "unknown"
    assert median_vs_p95("TTFT", 530.0, None, 1.71) is None


def test_api_slo_check():
    # 135 tok/s -> TPOT 7.41 ms; x 1.33 = 9.85 ms <= 60 -> met; TTFT 530 x 1.71 = 906 <= 2000 -> met
    assert tpot_ms_from_speed(135.0) == pytest.approx(7.4074, rel=1e-4)
    assert api_slo_check(2000.0, 60.0, _lat(530, 135), 1.71, 1.33).status == "met"
    # TTFT 50 ms: the median already misses
    c = api_slo_check(50.0, None, _lat(530, 135), 1.71, 1.33)
    assert c.status == "missed" and "TTFT median 530 ms" in c.reason and "https://example.org/x" in c.reason
    # no figure at all: latency not checked, never met
    c = api_slo_check(2000.0, None, None, 1.71, 1.33)
    assert c.status == "unknown" and "latency not checked" in c.reason
    # a TPOT limit with only a TTFT figure: unknown for TPOT wins over met for TTFT
    assert api_slo_check(2000.0, 60.0, _lat(530, None), 1.71, 1.33).status == "unknown"
    # no SLO set
    assert api_slo_check(None, None, None, 1.71, 1.33).status == "met"


def test_self_host_slo_check():
    assert self_host_slo_check(50.0, None, CapacityResult(rps=None, source="estimated", reason="cannot meet the SLO")).status == "missed"
    assert self_host_slo_check(50.0, None, CapacityResult(rps=1.0, source="inline")).status == "unknown"
    assert self_host_slo_check(2000.0, 60.0, CapacityResult(rps=1.0, source="measured", ttft_ms=300.0)).status == "met"


# ---------------------------------------------------------------------------------------------
# Optimizer rules


def test_hybrid_slo_check_worst_of_fleet_and_overflow_api():
    met, unknown, missed = SloCheck("met", "ok"), SloCheck("unknown", "latency not checked"), SloCheck("missed", "slow")
    assert hybrid_slo_check(met, met, 0.25, "x/api").status == "met"
    c = hybrid_slo_check(met, unknown, 0.25, "x/api")  # an API without a figure is never "met"
    assert c.status == "unknown" and c.reason == "overflow API x/api (25 % of requests): latency not checked"
    c = hybrid_slo_check(unknown, missed, 0.001, "x/api")
    assert c.status == "missed" and c.reason == "overflow API x/api (0.1 % of requests): slow"
    c = hybrid_slo_check(missed, met, 0.5, "x/api")
    assert c.status == "missed" and c.reason == "fleet: slow"
    c = hybrid_slo_check(met, missed, 0.0, "x/api")  # nothing overflows: the API serves no request
    assert c.status == "met" and c.reason == "ok; no request overflows to x/api over the horizon"


def test_replica_fits_unit():
    assert replica_fits_unit(2, 8) is None
    assert replica_fits_unit(1, 1) is None
    assert "span 2 separate 1-GPU instances" in replica_fits_unit(2, 1)
    assert "cannot hold whole" in replica_fits_unit(3, 8)
    assert replica_fits_unit(4, None) is None


def test_suspect_reason():
    e = SimpleNamespace(id="x", notes="SUSPECT spot: 2.4 is an outlier-low AZ", confidence=None)
    assert suspect_reason(e, "spot") and suspect_reason(e, "on_demand") is None
    assert suspect_reason(SimpleNamespace(id="y", notes="SUSPECT: input>output looks swapped"), None)
    assert suspect_reason(SimpleNamespace(id="z", notes="flags the alias row as suspect/stale")) is None
    assert "low confidence" in suspect_reason(SimpleNamespace(id="s", notes=None, confidence="low"))
    assert suspect_reason(SimpleNamespace(id="s", notes=None, confidence="medium")) is None


# ---------------------------------------------------------------------------------------------
# Monte Carlo


def test_point_percentile_and_note():
    draws = np.array([[1.0], [2.0], [3.0], [4.0]])
    # point 2.5: 2 of 4 below -> 50; point 2: 1 below + half of 1 equal -> 37.5; point 10 -> 100
    assert_allclose(point_percentile(draws, [2.5]), [50.0])
    assert_allclose(point_percentile(draws, [2.0]), [37.5])
    assert_allclose(point_percentile(draws, [10.0]), [100.0])
    u = SimpleNamespace(key="api_price_change_per_year", label="API price change", low=-0.5, mode=0.0, high=0.0)
    note = range_note(900.0, 1200.0, 1350.0, [u])
    assert "above P90" in note and "top of its range" in note
    assert range_note(900.0, 1200.0, 1000.0, [u]) is None


# ---------------------------------------------------------------------------------------------
# Scenario fields: tokens_per_day, reference; names from configuration


def _doc(**kw):
    d = {"start": "2026-01", "workload": {"requests_per_day": 1000, "input_tokens": 800, "output_tokens": 200},
         "options": [{"name": "a", "api": "openai/gpt-4o"}, {"name": "b", "api": "openai/gpt-4o-mini"}]}
    d.update(kw)
    return d


def test_tokens_per_day_derives_requests():
    # 2,000,000 tokens/day / (800 + 200) tokens/request = 2,000 requests/day
    s = parse_scenario(_doc(workload={"tokens_per_day": 2e6, "input_tokens": 800, "output_tokens": 200}))
    assert s.workload.requests_per_day == 2000.0
    d = s.to_dict()
    assert "requests_per_day" not in d["workload"] and d["workload"]["tokens_per_day"] == 2e6
    assert parse_scenario(d).workload.requests_per_day == 2000.0
    with pytest.raises(ScenarioError, match="not both"):
        parse_scenario(_doc(workload={"tokens_per_day": 2e6, "requests_per_day": 5, "input_tokens": 800,
                                      "output_tokens": 200}))


def test_reference_must_name_an_option():
    assert parse_scenario(_doc(reference="b")).reference == "b"
    with pytest.raises(ScenarioError, match="not the name of an option"):
        parse_scenario(_doc(reference="zz"))


def test_default_option_name_follows_configuration():
    opt = {"self_host": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus_per_replica": 4,
                         "rent": {"offer": "lambda-gpu-4x-h100-sxm5"}}}
    assert default_option_name(opt) == "llama-3.1-8b 4x h100-sxm bf16, rent lambda-gpu-4x-h100-sxm5 on-demand"
    opt["self_host"]["gpus_per_replica"] = 2
    assert default_option_name(opt).startswith("llama-3.1-8b 2x h100-sxm")
    assert default_option_name({"self_host": {"model": "m", "gpu": "g", "own": {"server": "hgx"}}}) == "m 1x g bf16, own hgx"
    assert default_option_name({"api": "openai/gpt-4o"}) == "openai/gpt-4o"
