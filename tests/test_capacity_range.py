"""Capacity ranges carried into cost (tco/analysis/uncertainty.py) and into evaluate's JSON."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from tco.model.capacity import CapacityResult
from tco.analysis.capacity_range import capacity_scale_bounds, capacity_scale_samples, cost_range, lognormal_from_p10_p90

ROOT = Path(__file__).resolve().parents[1]


def test_bounds_and_samples_hand_case():
    est = CapacityResult(rps=2.0, source="estimated", rps_low=1.0, rps_high=4.0)
    meas = CapacityResult(rps=3.0, source="measured")
    b = capacity_scale_bounds([est, meas, None])
    # estimated: 1/2 = 0.5, 4/2 = 2.0; measured and missing: points
    assert_allclose(b, [[0.5, 2.0], [1.0, 1.0], [1.0, 1.0]])
    # lognormal with P10 0.5, P90 2: mu = (ln 0.5 + ln 2)/2 = 0, sigma = ln 4 / (2 x 1.28155) = 0.54087
    mu, sigma = lognormal_from_p10_p90(0.5, 2.0)
    assert_allclose([mu, sigma], [0.0, np.log(4) / (2 * 1.2815515655446004)], atol=1e-12)
    s = capacity_scale_samples([est, meas], 20000, np.random.default_rng(1))
    assert s.shape == (20000, 2)
    assert (s[:, 1] == 1.0).all()  # measured capacity stays a point
    assert_allclose(np.percentile(s[:, 0], [10, 90]), [0.5, 2.0], rtol=0.05)


def test_cost_range_of_an_estimated_option():
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.report.export import to_json_dict
    from tco.scenario import load_scenario

    cat = load_catalog()
    s = load_scenario(ROOT / "data" / "scenarios" / "chat_assistant.yaml")
    # Qwen2.5 72B has no measured profile: the capacity is estimated and carries a range
    opt = s.options[3]
    assert opt.self_host.gpu == "h100-sxm" and opt.self_host.gpus_per_replica == 4
    opt.self_host.model = "qwen2.5-72b"
    res = evaluate(s, cat)
    o = res.option(opt.name)
    assert o.capacity.source == "estimated"
    assert o.capacity.rps_low < o.capacity.rps < o.capacity.rps_high
    rng = cost_range(s, cat, res)
    lo, hi = rng[opt.name]
    assert lo <= o.total_cash_usd <= hi and lo < hi  # fewer req/s per replica -> more GPUs -> dearer
    doc = to_json_dict(res, rng)
    j = next(x for x in doc["options"] if x["name"] == opt.name)
    assert j["capacity_rps_per_replica_low"] < j["capacity_rps_per_replica"] < j["capacity_rps_per_replica_high"]
    assert j["total_cash_usd_low"] <= j["total_cash_usd"] <= j["total_cash_usd_high"]
    api = next(x for x in doc["options"] if x["kind"] == "api")
    assert api["total_cash_usd_low"] == api["total_cash_usd"] == api["total_cash_usd_high"]


def test_monte_carlo_draws_estimated_capacity_only():
    from tco.analysis import evaluate_batch, monte_carlo
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.scenario import load_scenario

    cat = load_catalog()
    s = load_scenario(ROOT / "data" / "scenarios" / "chat_assistant.yaml")
    s.options[3].self_host.model = "qwen2.5-72b"  # estimated (range); options[4] stays adjusted (a point)
    res = evaluate(s, cat)
    # every multiplier at 1: the batch equals evaluate()
    ones = np.ones((1, len(res.options)))
    b = evaluate_batch(res, {"capacity_by_option": ones})
    assert_allclose(b.totals("cash")[0], [o.total_cash_usd for o in res.options], rtol=1e-9)
    mc = monte_carlo(res, [], draws=400, seed=3)
    names = [o.name for o in res.options]
    est, pt = names.index(s.options[3].name), names.index(s.options[4].name)
    assert mc.totals[:, est].std() > 0  # drawn from its range
    assert_allclose(mc.totals[:, pt], res.options[pt].total_cash_usd, rtol=1e-9)  # measured: a point
    lo, hi = np.percentile(mc.totals[:, est], [5, 95])
    assert lo < res.options[est].total_cash_usd < hi
