"""Tornado: each bar end equals evaluating the scenario with that one input moved (built here by hand)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tco import analysis
from tco.catalog import load_catalog
from tco.cli import main
from tco.engine import evaluate
from tco.scenario import load_scenario, parse_scenario

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini_data"
SCEN = HERE / "fixtures" / "finance_data" / "scenario.yaml"


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


@pytest.fixture(scope="module")
def doc():
    # per-GPU rent so that capacity and utilisation visibly move the answer
    d = load_scenario(str(SCEN)).to_dict()
    d["options"][1]["self_host"]["rent"] = {"usd_per_gpu_hour": 2.5}
    return d


@pytest.fixture(scope="module")
def result(cat, doc):
    return evaluate(parse_scenario(doc), cat)


@pytest.fixture(scope="module")
def tor(result, cat):
    return analysis.tornado(result, cat, "npv", ("Llama 70B owned", "GPT-4o"))


def npv_diff(res, a="Llama 70B owned", b="GPT-4o"):
    return res.option(a).npv_usd - res.option(b).npv_usd


def test_bars_sorted_by_swing(tor):
    swings = [b.swing for b in tor.bars]
    assert swings == sorted(swings, reverse=True)
    assert {b.key for b in tor.bars} >= {"requests_per_day", "growth_per_month", "tokens_scale", "capacity_scale",
                                         "gpu_price_scale", "server_price_scale", "usd_per_kwh_scale",
                                         "target_utilization_scale", "fte_cost_per_year", "api_price_change_per_year",
                                         "discount_rate"}


def test_base_is_the_scenario_value(tor, result):
    assert tor.base == npv_diff(result)


def test_requests_per_day_bar_equals_direct_evaluation(tor, doc, cat):
    bar = next(b for b in tor.bars if b.key == "requests_per_day")
    assert (bar.low_input, bar.high_input) == (50_000 * 0.75, 50_000 * 1.25)
    for value, got in ((bar.low_input, bar.low_value), (bar.high_input, bar.high_value)):
        d = json.loads(json.dumps(doc))
        d["workload"]["requests_per_day"] = value
        assert got == npv_diff(evaluate(parse_scenario(d), cat))


def test_server_price_and_discount_rate_bars_equal_direct_evaluation(tor, doc, cat):
    bar = next(b for b in tor.bars if b.key == "server_price_scale")
    for f, got in ((bar.low_input, bar.low_value), (bar.high_input, bar.high_value)):
        d = json.loads(json.dumps(doc))
        d["options"][2]["self_host"]["own"]["server_price_usd"] = 280_000 * f  # test-server price
        assert got == npv_diff(evaluate(parse_scenario(d), cat))
    bar = next(b for b in tor.bars if b.key == "discount_rate")
    assert (bar.low_input, bar.high_input) == pytest.approx((0.06, 0.10))
    for rate, got in ((bar.low_input, bar.low_value), (bar.high_input, bar.high_value)):
        d = json.loads(json.dumps(doc))
        d["finance"]["discount_rate"] = rate
        assert got == npv_diff(evaluate(parse_scenario(d), cat))


def test_every_bar_equals_evaluating_its_moved_scenario(tor, result, cat):
    for bar in tor.bars:
        for value, got in ((bar.low_input, bar.low_value), (bar.high_input, bar.high_value)):
            moved = evaluate(analysis.moved_scenario(result, bar.key, value), cat)
            assert got == npv_diff(moved), bar.key


def test_catalog_ranges_used_for_defaults(cat, doc):
    # fte cost from the scenario -> +/-25%; a scenario without it uses the catalog value, which has no low/high
    # in mini_data -> +/-25% of 120,000
    d = json.loads(json.dumps(doc))
    d.pop("ops")
    r = evaluate(parse_scenario(d), cat)
    rng = {x.key: x for x in analysis.input_ranges(r, cat)}
    assert (rng["fte_cost_per_year"].low, rng["fte_cost_per_year"].high) == (90_000, 150_000)


def test_catalog_low_high_on_bundled_data():
    real = load_catalog(None)
    r = evaluate(parse_scenario({"name": "x", "start": "2027-01", "months": 12,
                                 "workload": {"requests_per_day": 1000, "input_tokens": 100, "output_tokens": 10},
                                 "options": [{"name": "A", "prices": {"input": 1, "output": 1}}]}), real)
    rng = {x.key: x for x in analysis.input_ranges(r, real)}
    a = real.assumptions["discount_rate"]
    assert rng["discount_rate"].origin == "catalog range"
    assert (rng["discount_rate"].low, rng["discount_rate"].high) == (min(a.low, a.value), max(a.high, a.value))


def test_cli_sensitivity_json(capsys):
    rc = main(["sensitivity", str(SCEN), "--data", str(MINI), "--format", "json", "--options", "Llama 70B owned", "GPT-4o"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"metric", "base", "parameters"}
    p = out["parameters"]
    assert all(set(x) >= {"name", "low_input", "high_input", "low_value", "high_value"} for x in p)
    swings = [abs(x["high_value"] - x["low_value"]) for x in p]
    assert swings == sorted(swings, reverse=True)


def test_cli_sensitivity_bad_option(capsys):
    assert main(["sensitivity", str(SCEN), "--data", str(MINI), "--options", "nope"]) == 2
    assert "unknown option 'nope'" in capsys.readouterr().err
