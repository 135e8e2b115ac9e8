"""Rules that must always hold (hypothesis), on the tiny catalog in tests/fixtures/mini_data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.scenario import parse_scenario

CAT = load_catalog(Path(__file__).parent / "fixtures" / "mini_data")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

workloads = st.fixed_dictionaries({
    "requests_per_day": st.floats(0, 5e6),
    "input_tokens": st.floats(0, 8000),
    "output_tokens": st.floats(0, 2000),
    "growth_per_month": st.floats(-0.3, 0.3),
    "peak_to_average": st.floats(1, 5),
    "cached_input_share": st.floats(0, 1),
    "batch_share": st.floats(0, 1),
})
self_host = st.fixed_dictionaries({
    "gpus_per_replica": st.sampled_from([1, 2, 4, 8]),
    "capacity_rps_per_replica": st.floats(0.05, 50),
    "target_utilization": st.floats(0.3, 1.0),
    "spare_replicas": st.integers(0, 3),
    "staff_fte": st.floats(0, 2),
})
payment = st.sampled_from([
    {"rent": {"usd_per_gpu_hour": 2.49}},
    {"rent": {"offer": "test-8x-h100"}},
    {"own": {"server": "test-server"}},
    {"own": {"server": "test-server", "depreciation_years": 0.5}},
])


def build(w: dict, sh: dict, pay: dict, months: int = 24, rate: float = 0.08):
    return parse_scenario({
        "name": "prop", "start": "2027-01", "months": months, "workload": w, "finance": {"discount_rate": rate},
        "options": [
            {"name": "api", "api": "openai/gpt-4o"},
            {"name": "api2", "api": "test/no-cache"},
            {"name": "sh", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", **sh, **pay}},
        ]})


@SETTINGS
@given(workloads, self_host, payment, st.floats(1.0, 3.0))
def test_more_requests_never_lower_any_cost(w, sh, pay, factor):
    a = evaluate(build(w, sh, pay), CAT)
    b = evaluate(build({**w, "requests_per_day": w["requests_per_day"] * factor}, sh, pay), CAT)
    for oa, ob in zip(a.options, b.options):
        assert ob.total_cash_usd >= oa.total_cash_usd - 1e-6 * max(1, oa.total_cash_usd)
        assert ob.total_accrual_usd >= oa.total_accrual_usd - 1e-6 * max(1, oa.total_accrual_usd)
        # (not per month: an owned fleet bought earlier moves capex between months)


@SETTINGS
@given(workloads, self_host, payment, st.floats(1.0, 4.0))
def test_more_capacity_never_raises_cost(w, sh, pay, factor):
    a = evaluate(build(w, sh, pay), CAT).option("sh")
    b = evaluate(build(w, {**sh, "capacity_rps_per_replica": sh["capacity_rps_per_replica"] * factor}, pay), CAT).option("sh")
    assert b.total_cash_usd <= a.total_cash_usd + 1e-6 * max(1, a.total_cash_usd)
    assert b.total_accrual_usd <= a.total_accrual_usd + 1e-6 * max(1, a.total_accrual_usd)


@SETTINGS
@given(workloads, self_host, payment)
def test_cash_minus_accrual_is_capex_minus_depreciation(w, sh, pay):
    for o in evaluate(build(w, sh, pay), CAT).options:
        capex = o.line_items["capex"].cash_usd.sum() if "capex" in o.line_items else 0.0
        dep = o.line_items["depreciation"].accrual_usd.sum() if "depreciation" in o.line_items else 0.0
        assert o.total_cash_usd - o.total_accrual_usd == pytest.approx(capex - dep, rel=1e-9, abs=1e-6)


@SETTINGS
@given(workloads, self_host, payment)
def test_npv_at_rate_zero_equals_cash_total(w, sh, pay):
    for o in evaluate(build(w, sh, pay, rate=0.0), CAT).options:
        assert o.npv_usd == pytest.approx(o.total_cash_usd, rel=1e-9, abs=1e-6)


@SETTINGS
@given(workloads, self_host, payment, st.floats(0.01, 0.5))
def test_npv_positive_rate_never_exceeds_cash_for_nonnegative_flows(w, sh, pay, rate):
    for o in evaluate(build(w, sh, pay, rate=rate), CAT).options:
        assert o.npv_usd <= o.total_cash_usd + 1e-6


@SETTINGS
@given(workloads, self_host, payment)
def test_depreciation_never_exceeds_capex_and_fleet_never_shrinks(w, sh, pay):
    o = evaluate(build(w, sh, pay), CAT).option("sh")
    if o.servers is not None:
        assert np.all(np.diff(o.servers) >= 0)
        assert o.line_items["depreciation"].accrual_usd.sum() <= o.line_items["capex"].cash_usd.sum() + 1e-6
    assert np.all(o.replicas >= 1)
