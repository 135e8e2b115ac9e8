"""Routes (tco/model/routing.py and the engine): golden equalities and what the JSON shows."""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.report import export
from tco.model import routing
from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.core.exceptions import ScenarioError
from tco.scenario import parse_scenario

BASE = {
    "name": "routes",
    "start": "2026-01",
    "months": 18,
    "workload": {"requests_per_day": 150000, "input_tokens": 700, "output_tokens": 250, "growth_per_month": 0.05,
                 "peak_to_average": 2.0},
}
SMALL = {"name": "8B rented", "self_host": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "capacity_rps_per_replica": 4,
                                            "rent": {"usd_per_gpu_hour": 2.5}}}
BIG_API = {"name": "GPT-4o", "api": "openai/gpt-4o"}
BIG_OWN = {"name": "70B owned", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 4,
                                              "capacity_rps_per_replica": 1.5, "own": {"server": "hgx-h100-8gpu"}}}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def scenario(options, **extra):
    return parse_scenario({**BASE, **extra, "options": options})


def cents(x):
    return np.round(np.asarray(x, dtype=float), 2)


def alone(catalog, option: dict, share: float, **extra):
    """The option evaluated separately on ``share`` of the traffic (every forecast field scaled by hand)."""
    w = dict(BASE["workload"], requests_per_day=BASE["workload"]["requests_per_day"] * share)
    s = parse_scenario({**BASE, **extra, "workload": w, "options": [option]})
    return evaluate(s, catalog).options[0]


def test_split_equals_sum_of_parts_to_the_cent(catalog):
    route = {"name": "split", "route": {"mode": "split", "parts": [{"option": "8B rented", "share": 0.7},
                                                                   {"option": "70B owned", "share": 0.3}]}}
    res = evaluate(scenario([SMALL, BIG_OWN, route]), catalog)
    r = res.option("split")
    a, b = alone(catalog, SMALL, 0.7), alone(catalog, BIG_OWN, 0.3)
    names = set(a.line_items) | set(b.line_items)
    assert set(r.line_items) == names
    for n in names:
        for basis in ("cash_usd", "accrual_usd"):
            expect = sum(getattr(o.line_items[n], basis) for o in (a, b) if n in o.line_items)
            assert np.array_equal(cents(getattr(r.line_items[n], basis)), cents(expect)), (n, basis)
    assert_allclose(r.total_cash_usd, a.total_cash_usd + b.total_cash_usd, atol=0.005)
    # each self-hosted part is sized for its own share: the 70B fleet of the route is the 30 % fleet
    assert np.array_equal(r.gpus, a.gpus + b.gpus)
    # the route sees all the traffic
    assert_allclose(r.requests, res.option("8B rented").requests)


def test_split_with_an_inline_api_part_and_a_router(catalog):
    route = {"name": "split", "route": {"mode": "split", "router_usd_per_million_tokens": 0.05, "parts": [
        {"option": "8B rented", "share": 0.8}, {"option": BIG_API, "share": 0.2}]}}
    res = evaluate(scenario([SMALL, route]), catalog)
    r = res.option("split")
    a, b = alone(catalog, SMALL, 0.8), alone(catalog, BIG_API, 0.2)
    assert np.array_equal(cents(r.line_items["api"].cash_usd), cents(b.line_items["api"].cash_usd))
    assert np.array_equal(cents(r.line_items["rent"].cash_usd), cents(a.line_items["rent"].cash_usd))
    # router by hand, month 0: 150,000 req/day x 30.4167 days x (700 + 250) tokens / 1e6 x 0.05 USD
    assert_allclose(r.line_items["router"].cash_usd[0], 150000 * 730 / 24 * 950 / 1e6 * 0.05)
    assert_allclose(r.total_cash_usd, a.total_cash_usd + b.total_cash_usd + r.line_items["router"].cash_usd.sum())
    assert [o.name for o in res.options] == ["8B rented", "split"]  # the inline part is not listed on its own


def test_cascade_share_0_is_the_first_option(catalog):
    route = {"name": "cascade", "route": {"mode": "cascade", "first": "8B rented", "escalate": "GPT-4o",
                                          "escalate_share": 0.0}}
    res = evaluate(scenario([SMALL, BIG_API, route]), catalog)
    r, first = res.option("cascade"), res.option("8B rented")
    assert set(r.line_items) == set(first.line_items)
    for n, li in first.line_items.items():
        assert np.array_equal(cents(r.line_items[n].cash_usd), cents(li.cash_usd))
        assert np.array_equal(cents(r.line_items[n].accrual_usd), cents(li.accrual_usd))
    assert_allclose(r.npv_usd, first.npv_usd)


def test_cascade_share_1_is_first_plus_escalation(catalog):
    route = {"name": "cascade", "route": {"mode": "cascade", "first": "8B rented", "escalate": "70B owned",
                                          "escalate_share": 1.0}}
    res = evaluate(scenario([SMALL, BIG_OWN, route]), catalog)
    r, first, esc = res.option("cascade"), res.option("8B rented"), res.option("70B owned")
    for n in set(first.line_items) | set(esc.line_items):
        expect = sum(o.line_items[n].cash_usd for o in (first, esc) if n in o.line_items)
        assert np.array_equal(cents(r.line_items[n].cash_usd), cents(expect)), n
    assert_allclose(r.total_accrual_usd, first.total_accrual_usd + esc.total_accrual_usd)


def test_cascade_escalated_requests_are_sent_in_full(catalog):
    route = {"name": "cascade", "route": {"mode": "cascade", "first": "GPT-4o", "escalate": {
        "name": "mini", "api": "openai/gpt-4o-mini"}, "escalate_share": 0.25}}
    r = evaluate(scenario([BIG_API, route]), catalog).option("cascade")
    # month 0 by hand: requests 150,000 x 730/24 = 4,562,500; tokens in 3.19375e9, out 1.140625e9
    # gpt-4o 2.5 / 10, gpt-4o-mini 0.15 / 0.6 USD per 1M; escalated: 25 % of the requests, full tokens
    full = 3193.75 * 2.5 + 1140.625 * 10.0
    esc = 0.25 * (3193.75 * 0.15 + 1140.625 * 0.6)
    assert_allclose(r.line_items["api"].cash_usd[0], full + esc)


def test_a_part_that_misses_the_slo_makes_the_route_miss_it(catalog):
    bad = {"name": "8B no profile", "self_host": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "rent": {"usd_per_gpu_hour": 2}}}
    route = {"name": "split", "route": {"mode": "split", "parts": [{"option": bad, "share": 0.5},
                                                                   {"option": "GPT-4o", "share": 0.5}]}}
    s = scenario([BIG_API, route], slo={"ttft_p95_ms": 1, "tpot_p95_ms": 0.01})
    res = evaluate(s, catalog, skip_infeasible=True)
    skipped = dict(res.skipped)  # GPT-4o misses a 1 ms TTFT too (the SLO binds APIs: its catalog latency)
    assert set(skipped) == {"split", "GPT-4o"}
    assert "8B no profile" in skipped["split"]
    with pytest.raises(ScenarioError, match="route part '8B no profile'"):
        evaluate(s, catalog)


def test_json_lists_kind_route_and_parts(catalog):
    route = {"name": "split", "route": {"mode": "split", "parts": [{"option": "8B rented", "share": 0.6},
                                                                   {"option": "GPT-4o", "share": 0.4}]}}
    doc = json.loads(export.to_json(evaluate(scenario([SMALL, BIG_API, route]), catalog)))
    opt = next(o for o in doc["options"] if o["name"] == "split")
    assert opt["kind"] == "route" and opt["mode"] == "split"
    assert [(p["name"], p["share"], p["kind"]) for p in opt["parts"]] == [("8B rented", 0.6, "self_host"),
                                                                          ("GPT-4o", 0.4, "api")]
    assert opt["quality_weights"] == {"8B rented": 0.6, "GPT-4o": 0.4}


def test_scaled_workload_scales_every_forecast_kind():
    from tco.model import workload

    for growth in ({"kind": "linear", "requests_per_day_added_per_month": 5000},
                   {"kind": "s_curve", "ceiling_requests_per_day": 1e6, "midpoint_month": 6, "steepness": 0.5},
                   {"kind": "compound", "rate_per_month": 0.03}):
        w = parse_scenario({**BASE, "workload": {**{k: v for k, v in BASE["workload"].items() if k != "growth_per_month"},
                                                 "growth": growth, "events": [{"month": "2026-05", "multiply": 1.5}]},
                            "options": [BIG_API]}).workload
        full = workload.requests_per_day_forecast(w, "2026-01", 18)
        part = workload.requests_per_day_forecast(routing.scaled_workload(w, 0.3), "2026-01", 18)
        assert_allclose(part, 0.3 * full, rtol=1e-12)
    w = parse_scenario({**BASE, "workload": {"input_tokens": 1, "output_tokens": 1,
                                             "growth": {"kind": "series", "requests_per_day": [10.0] * 18}},
                        "options": [BIG_API]}).workload
    assert_allclose(workload.requests_per_day_forecast(routing.scaled_workload(w, 0.5), "2026-01", 18), 5.0)


def test_route_quality_weights_and_mean():
    assert routing.route_elo([1200.0, 1300.0], [0.8, 0.2]) == pytest.approx(1220.0)
    assert routing.route_elo([1200.0, None], [1.0, 0.0]) == 1200.0  # a member with no weight does not matter
    assert routing.route_elo([1200.0, None], [0.9, 0.1]) is None
    s = scenario([BIG_API, {"name": "c", "route": {"mode": "cascade", "first": "GPT-4o",
                                                   "escalate": {"name": "m", "api": "openai/gpt-4o-mini"},
                                                   "escalate_share": 0.3}}])
    assert routing.quality_weights(s.options[1].route) == [0.7, 0.3]


@pytest.mark.parametrize("route, message", [
    ({"mode": "split", "parts": [{"option": "GPT-4o", "share": 0.5}, {"option": "GPT-4o", "share": 0.4}]},
     "shares must sum to 1"),
    ({"mode": "split", "parts": [{"option": "GPT-4o", "share": 1.0}]}, "at least two"),
    ({"mode": "cascade", "first": "GPT-4o"}, "needs escalate, escalate_share"),
    ({"mode": "cascade", "first": "GPT-4o", "escalate": "nope", "escalate_share": 0.1}, "no option named 'nope'"),
    ({"mode": "split", "first": "GPT-4o", "parts": []}, "does not use first"),
])
def test_route_validation_errors(route, message):
    with pytest.raises(ScenarioError, match=message):
        scenario([BIG_API, {"name": "r", "route": route}])


def test_routes_cannot_be_nested():
    r1 = {"name": "r1", "route": {"mode": "cascade", "first": "GPT-4o", "escalate": {"name": "m", "api": "openai/gpt-4o-mini"},
                                  "escalate_share": 0.1}}
    r2 = {"name": "r2", "route": {"mode": "cascade", "first": "GPT-4o", "escalate": "r1", "escalate_share": 0.1}}
    with pytest.raises(ScenarioError, match="cannot be nested"):
        scenario([BIG_API, r1, r2])


def test_batch_reproduces_evaluate_with_routes_and_fine_tuning(catalog):
    from tco import analysis

    route = {"name": "split", "route": {"mode": "split", "router_usd_per_million_tokens": 0.02, "parts": [
        {"option": "8B rented", "share": 0.7}, {"option": {"name": "mini ft", "api": "openai/gpt-4o-mini",
                                                           "fine_tuned": True}, "share": 0.3}]}}
    ft = {"training_tokens": 1e7, "runs_per_year": 2, "start": "2026-04"}
    res = evaluate(scenario([dict(SMALL, fine_tuned=True), {"name": "4o-mini ft", "api": "openai/gpt-4o-mini",
                                                             "fine_tuned": True}, route], fine_tuning=ft), catalog)
    b = analysis.evaluate_batch(res)
    for n, o in enumerate(res.options):
        assert_allclose(b.cash_usd[0, n], o.cash_usd, rtol=1e-12, atol=1e-9)
        assert_allclose(b.accrual_usd[0, n], o.accrual_usd, rtol=1e-12, atol=1e-9)
    # twice the traffic: the route's parts scale with it (the split re-evaluated on doubled shares)
    doubled = analysis.evaluate_batch(res, {"requests_per_day": np.array([2 * BASE["workload"]["requests_per_day"]])})
    again = evaluate(parse_scenario({**BASE, "fine_tuning": ft, "workload": dict(
        BASE["workload"], requests_per_day=2 * BASE["workload"]["requests_per_day"]), "options": [
        dict(SMALL, fine_tuned=True), {"name": "4o-mini ft", "api": "openai/gpt-4o-mini", "fine_tuned": True}, route]}),
        catalog)
    assert_allclose(doubled.totals("cash")[0], [o.total_cash_usd for o in again.options], rtol=1e-9)


def test_route_quality_for_the_floor_and_the_chart(catalog):
    from tco.model.quality import ROUTE_VIA, apply_floor, load_quality, option_quality, result_quality

    q = load_quality(catalog)
    route = {"name": "cascade", "route": {"mode": "cascade", "first": {"name": "mini", "api": "openai/gpt-4o-mini"},
                                          "escalate": "GPT-4o", "escalate_share": 0.25}}
    res = evaluate(scenario([BIG_API, route]), catalog)
    rows = {r.name: r for r in result_quality(res, catalog, q)}
    mini = option_quality({"name": "m", "kind": "api", "ref_id": "openai/gpt-4o-mini"}, catalog, q)
    big = rows["GPT-4o"]
    assert mini.elo is not None and big.elo is not None
    r = rows["cascade"]
    assert r.kind == "route" and r.via == ROUTE_VIA
    assert r.elo == pytest.approx(0.75 * mini.elo + 0.25 * big.elo)
    assert "approximation" in r.tier_text
    assert r.cost["total_cash_usd"] == pytest.approx(res.option("cascade").total_cash_usd)
    # a floor between the route's approximate Elo and GPT-4o's: the route is below it, GPT-4o is kept
    lo, hi = sorted((r.elo, big.elo))
    kept, excluded, unknown = apply_floor(res.options, (lo + hi) / 2, catalog, q)
    assert excluded == 1 and not unknown
    assert [o.name for o in kept] == (["GPT-4o"] if big.elo > r.elo else ["cascade"])


def test_cli_json_of_the_bundled_example(tmp_path):
    """`python -m tco evaluate --format json`: fine_tuning_runs, the fine_tuning line item, kind route with parts."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "out.json"
    subprocess.run([sys.executable, "-m", "tco", "evaluate", str(root / "data" / "scenarios" / "fine_tuning_and_routing.yaml"),
                    "--format", "json", "--out", str(out)], cwd=root, check=True, capture_output=True)
    doc = json.loads(out.read_text())
    by = {o["name"]: o for o in doc["options"]}
    tuned = by["Llama 3.1 8B fine-tuned, rented 1x H100 (Lambda)"]
    assert [r["month"] for r in tuned["fine_tuning_runs"]] == ["2027-01", "2027-04", "2027-07", "2027-10", "2028-01",
                                                             "2028-04", "2028-07", "2028-10"]
    assert set(tuned["fine_tuning_runs"][0]) >= {"month", "gpu_hours", "gpus", "wall_hours", "cost_usd"}
    assert tuned["months"][0]["line_items"]["fine_tuning"]["cash_usd"] == tuned["fine_tuning_runs"][0]["cost_usd"]
    route = by["80% tuned 8B, 20% GPT-4o"]
    assert route["kind"] == "route" and [p["name"] for p in route["parts"]] == [
        "Llama 3.1 8B fine-tuned, rented 1x H100 (Lambda)", "GPT-4o"]
    assert route["fine_tuning_runs"][0]["option"] == "Llama 3.1 8B fine-tuned, rented 1x H100 (Lambda)"
