"""Acceptance of the single compute core: for every bundled scenario and for random scenarios (hypothesis),
evaluate(), the batch analysis at the base draw and the optimizer's costing agree to the cent, line item by
line item (they all call tco.engine.compute_line_items)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco import analysis
from tco.analysis import optimizer as O
from tco.catalog import load_catalog
from tco.engine import Result, evaluate
from tco.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
MINI = load_catalog(Path(__file__).parent / "fixtures" / "mini_data")
CENT = 0.005


@pytest.fixture(scope="module")
def data_catalog():
    return load_catalog(ROOT / "data")


def _items_of(core, n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for name in core.items:
        row = core.item_row(name, n)
        if row is not None:
            out[name] = (np.asarray(row[0]).reshape(-1), np.asarray(row[1]).reshape(-1))
    return out


def assert_same_items(result: Result, core, label: str) -> None:
    """Every line item of every option of ``result`` equals the core's to the cent (missing items are zero there).
    Route options are not in the core (their parts are evaluated apart): core rows follow the other options."""
    for n, o in enumerate(o for o in result.options if o.kind != "route"):
        theirs = _items_of(core, n)
        for name, li in o.line_items.items():
            c, a = theirs[name]
            np.testing.assert_allclose(c, li.cash_usd, rtol=0, atol=CENT, err_msg=f"{label}: {o.name} {name} cash")
            np.testing.assert_allclose(a, li.accrual_usd, rtol=0, atol=CENT, err_msg=f"{label}: {o.name} {name} accrual")
        for name, (c, a) in theirs.items():
            if name not in o.line_items:  # an item the option does not have is an exact zero in the core
                assert not np.any(c) and not np.any(a), (label, o.name, name)
        np.testing.assert_allclose(np.asarray(core.cash)[..., n, :].reshape(-1), o.cash_usd, rtol=0, atol=CENT)
        np.testing.assert_allclose(np.asarray(core.accrual)[..., n, :].reshape(-1), o.accrual_usd, rtol=0, atol=CENT)


def check_three_ways(result: Result, catalog) -> None:
    # 1. the batch analysis at the base draw: totals bit for bit, line items to the cent
    b = analysis.evaluate_batch(result)
    for n, o in enumerate(result.options):
        assert np.array_equal(b.cash_usd[0, n], o.cash_usd), o.name
        assert np.array_equal(b.accrual_usd[0, n], o.accrual_usd), o.name
        assert b.npv_usd[0, n] == o.npv_usd
    core, _, _ = analysis.batch_core(result, {}, 1, quantities=True)
    assert_same_items(result, core, "batch")
    # 2. the optimizer's costing of the same resolved options
    ctx = O.search_context(result.scenario, catalog)
    plain = [o for o in result.options if o.kind != "route"]
    core, tot = O.cost_options(ctx, [o.params for o in plain], quantities=True)
    assert_same_items(result, core, "optimizer")
    for n, o in enumerate(plain):
        assert abs(tot.cash_usd[n] - o.total_cash_usd) <= CENT and abs(tot.npv_usd[n] - o.npv_usd) <= CENT


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenarios_agree_three_ways(path, data_catalog):
    s = load_scenario(str(path))
    result = evaluate(s, data_catalog, skip_infeasible=True)
    assert result.options
    check_three_ways(result, data_catalog)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenarios_optimizer_candidates_agree_with_evaluate(path, data_catalog):
    """The optimizer's candidates (its own resolution of each configuration) cost what evaluate() gives when
    the candidate is added to the scenario: totals and every line item to the cent."""
    s = load_scenario(str(path))
    space = O.SearchSpace(models=("llama-3.1-8b",), gpus=("h100-sxm", "l4"), gpus_per_replica=(1, 2))
    res = O.optimize(s, data_catalog, space)
    picked = [c for c in res.feasible if c.kind == "self_host"]
    # one of each way to pay, plus the cheapest few, plus the APIs
    by_pay = {c.payment: c for c in picked}
    chosen = list({c.name: c for c in picked[:3] + list(by_pay.values())}.values())
    chosen += [c for c in res.feasible if c.kind == "api"][:3]
    assert chosen
    d = s.to_dict()
    d["options"] = [O.candidate_option(c) for c in chosen]
    engine = evaluate(parse_scenario(d), data_catalog)
    ctx = O.search_context(s, data_catalog)
    templates: dict = {}
    params = []
    for c in chosen:
        o = engine.option(c.name)
        assert abs(o.total_cash_usd - c.total_cash_usd) <= CENT, c.name
        assert abs(o.total_accrual_usd - c.total_accrual_usd) <= CENT, c.name
        assert abs(o.npv_usd - c.npv_usd) <= CENT, c.name
        params.append(O.candidate_params(ctx, templates, c, c.capacity_rps) if c.kind == "self_host" else o.params)
    core, _ = O.cost_options(ctx, params, quantities=True)
    assert_same_items(engine, core, "optimizer candidates")


# ---------------------------------------------------------------------------------------------
# Random scenarios

TWO_LEVEL = [1.0] * 12 + [3.0] * 12

workloads = st.fixed_dictionaries({
    "requests_per_day": st.floats(0, 5e6),
    "input_tokens": st.floats(0, 8000),
    "output_tokens": st.floats(0, 2000),
    "growth_per_month": st.floats(-0.2, 0.2),
    "cached_input_share": st.floats(0, 0.6),
    "cache_write_share": st.floats(0, 0.4),
    "batch_share": st.floats(0, 1),
})
self_host = st.fixed_dictionaries({
    "model": st.just("llama-3.1-70b"), "gpu": st.just("h100-sxm"),
    "gpus_per_replica": st.sampled_from([1, 2, 4, 8]),
    "capacity_rps_per_replica": st.floats(0.05, 50),
    "target_utilization": st.floats(0.3, 1.0),
    "spare_replicas": st.integers(0, 3),
    "staff_fte": st.floats(0, 2),
})
payments = st.sampled_from([
    {"rent": {"usd_per_gpu_hour": 2.49}},
    {"rent": {"offer": "test-8x-h100"}},
    {"rent": {"usd_per_gpu_hour": 2.5, "reserved_gpus": 4, "usd_per_gpu_hour_reserved": 1.7}},
    {"rent": {"usd_per_gpu_hour": 2.0, "autoscale": True, "min_replicas": 2}},
    {"own": {"server": "test-server"}},
    {"own": {"server": "test-server", "depreciation_years": 1.3, "residual_share": 0.3, "lead_time_months": 2}},
    {"own": {"server": "test-server", "depreciation_years": 0.5, "refresh": True, "residual_share": 0.2}},
    {"rent": {"usd_per_gpu_hour": 2.0}, "base_replicas": 2, "overflow": {"prices": {"input": 1, "output": 2}}},
    {"rent": {"usd_per_gpu_hour": 2.0}, "size_for_hour_percentile": 0.5, "overflow": {"api": "openai/gpt-4o"}},
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads, self_host, payments, payments, st.booleans(), st.floats(-0.3, 0.2), st.floats(0, 0.15))
def test_random_scenarios_agree_three_ways(w, sh, pay_a, pay_b, profile, trend, rate):
    w = dict(w)
    if w["cached_input_share"] + w["cache_write_share"] > 1:
        w["cache_write_share"] = 0.0
    needs_profile = any(p.get("overflow") or p.get("rent", {}).get("autoscale") for p in (pay_a, pay_b))
    if profile or needs_profile:
        w["daily_profile"] = TWO_LEVEL
    s = parse_scenario({
        "name": "random", "start": "2027-01", "months": 30, "workload": w,
        "finance": {"discount_rate": rate, "api_price_change_per_year": trend, "rent_price_change_per_year": trend / 2,
                    "electricity_price_change_per_year": 0.03},
        "ops": {"fte_cost_per_year": 150_000},
        "options": [
            {"name": "api", "api": "openai/gpt-4o"},
            {"name": "inline", "prices": {"input": 3, "output": 15, "cached_input": 0.3, "cache_write": 3.75}},
            {"name": "a", "self_host": {**sh, **pay_a}},
            {"name": "b", "self_host": {**sh, **pay_b}},
        ]})
    check_three_ways(evaluate(s, MINI), MINI)


def test_monte_carlo_with_autoscaled_options(data_catalog):
    """Draws on an autoscaled scenario (the batch used to index its stacked inputs on the draws axis and
    failed to broadcast): zero-width draws reproduce evaluate() exactly, real draws run."""
    r = evaluate(load_scenario(str(ROOT / "data" / "scenarios" / "diurnal_autoscale.yaml")), data_catalog,
                 skip_infeasible=True)
    assert any(o.kind == "self_host" and o.params.autoscale for o in r.options)
    flat = [analysis.Uncertain(u.key, u.mode, u.mode, u.mode) for u in analysis.default_uncertainties(r, data_catalog)]
    mc = analysis.monte_carlo(r, flat, draws=50, seed=0)
    for n, o in enumerate(r.options):
        assert (mc.totals[:, n] == o.total_cash_usd).all(), o.name
    mc = analysis.monte_carlo(r, analysis.default_uncertainties(r, data_catalog), draws=200, seed=0)
    assert np.isfinite(mc.totals).all() and mc.totals.std(axis=0).max() > 0
