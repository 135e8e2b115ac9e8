"""Monte Carlo: zero-width distributions reproduce evaluate() exactly; P10 <= P50 <= P90; seeded and
reproducible; samplers follow their distributions; the CLI JSON shape."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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
def result(cat):
    return evaluate(load_scenario(str(SCEN)), cat)


def zero_width(result, cat):
    return [analysis.Uncertain(u.key, u.mode, u.mode, u.mode) for u in analysis.default_uncertainties(result, cat)]


def test_batch_without_draws_equals_evaluate(result):
    b = analysis.evaluate_batch(result)
    for n, o in enumerate(result.options):
        assert np.array_equal(b.cash_usd[0, n], o.cash_usd)
        assert np.array_equal(b.accrual_usd[0, n], o.accrual_usd)
        assert b.npv_usd[0, n] == o.npv_usd


def test_zero_width_reproduces_deterministic_exactly(result, cat):
    mc = analysis.monte_carlo(result, zero_width(result, cat), draws=50, seed=1)
    for n, o in enumerate(result.options):
        assert (mc.totals[:, n] == o.total_cash_usd).all()
        assert (mc.npv[:, n] == o.npv_usd).all()
    acc = analysis.monte_carlo(result, zero_width(result, cat), draws=5, seed=1, basis="accrual")
    assert (acc.totals[:, 2] == result.options[2].total_accrual_usd).all()


def test_zero_width_exact_with_traffic_features(cat):
    d = load_scenario(str(SCEN)).to_dict()
    d["workload"].pop("peak_to_average")
    d["workload"]["daily_profile"] = "business_hours"
    d["workload"]["events"] = [{"month": "2027-06", "multiply": 1.5}]
    d["options"][1]["self_host"]["rent"]["autoscale"] = True
    d["options"][2]["self_host"]["own"]["residual_share"] = 0.2
    d["options"].append({"name": "Hybrid", "self_host": {
        "model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1.5,
        "rent": {"usd_per_gpu_hour": 2.5}, "overflow": {"api": "openai/gpt-4o"}, "base_replicas": 1}})
    r = evaluate(parse_scenario(d), cat)
    mc = analysis.monte_carlo(r, zero_width(r, cat), draws=3, seed=0)
    for n, o in enumerate(r.options):
        assert (mc.totals[:, n] == o.total_cash_usd).all(), o.name
        assert (mc.npv[:, n] == o.npv_usd).all(), o.name


def test_percentiles_ordered_and_seeded(result, cat):
    unc = analysis.default_uncertainties(result, cat)
    a = analysis.monte_carlo(result, unc, draws=3000, seed=42)
    b = analysis.monte_carlo(result, unc, draws=3000, seed=42)
    c = analysis.monte_carlo(result, unc, draws=3000, seed=43)
    assert np.array_equal(a.totals, b.totals) and np.array_equal(a.npv, b.npv)
    assert not np.array_equal(a.totals, c.totals)
    for which in ("total", "npv"):
        for row in a.stats(which):
            assert row["p10"] <= row["p50"] <= row["p90"]
    pc = a.probability_cheapest()
    assert sum(pc.values()) == pytest.approx(1.0)
    assert a.to_dict() == b.to_dict()


def test_chunking_does_not_change_numbers(result, cat):
    unc = analysis.default_uncertainties(result, cat)
    a = analysis.monte_carlo(result, unc, draws=1000, seed=7, chunk=1000)
    b = analysis.monte_carlo(result, unc, draws=1000, seed=7, chunk=137)
    assert np.array_equal(a.totals, b.totals)


def test_each_draw_equals_a_direct_evaluation(result, cat):
    # draw 0 of a requests/day + discount-rate Monte Carlo, checked against evaluate() of that scenario
    unc = [analysis.Uncertain("requests_per_day", 30_000, 50_000, 80_000), analysis.Uncertain("discount_rate", 0.0, 0.08, 0.2)]
    mc = analysis.monte_carlo(result, unc, draws=4, seed=5)
    rng = np.random.default_rng(5)
    rpd = analysis.sample(unc[0], 4, rng)
    rate = analysis.sample(unc[1], 4, rng)
    d = result.scenario.to_dict()
    d["workload"]["requests_per_day"] = float(rpd[0])
    d["finance"]["discount_rate"] = float(rate[0])
    r0 = evaluate(parse_scenario(d), cat)
    for n, o in enumerate(r0.options):
        assert mc.totals[0, n] == pytest.approx(o.total_cash_usd, rel=1e-12)
        assert mc.npv[0, n] == pytest.approx(o.npv_usd, rel=1e-12)


def test_triangular_sampler_moments():
    # triangular(a, c, b): mean (a + b + c) / 3; median for c = a is b - (b - a) / sqrt(2)
    u = analysis.Uncertain("x", 0.0, 0.0, 1.0)
    x = analysis.sample(u, 200_000, np.random.default_rng(0))
    assert x.min() >= 0 and x.max() <= 1
    assert x.mean() == pytest.approx(1 / 3, abs=3e-3)
    assert np.median(x) == pytest.approx(1 - 1 / np.sqrt(2), abs=3e-3)


def test_lognormal_sampler_p5_p95():
    u = analysis.Uncertain("x", 1.0, 2.0, 4.0, "lognormal")
    x = analysis.sample(u, 200_000, np.random.default_rng(0))
    assert np.percentile(x, 5) == pytest.approx(1.0, rel=0.02)
    assert np.percentile(x, 95) == pytest.approx(4.0, rel=0.02)
    with pytest.raises(ValueError):
        analysis.sample(analysis.Uncertain("x", -1.0, 0.0, 1.0, "lognormal"), 3, np.random.default_rng(0))


def test_cli_montecarlo_json(capsys):
    args = ["montecarlo", str(SCEN), "--data", str(MINI), "--draws", "500", "--seed", "3", "--format", "json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["draws"] == 500
    assert [o["name"] for o in out["options"]] == ["GPT-4o", "Llama 70B rented", "Llama 70B owned"]
    assert all(o["p10"] <= o["p50"] <= o["p90"] for o in out["options"])
    assert set(out["probability_cheapest"]) == {"GPT-4o", "Llama 70B rented", "Llama 70B owned"}
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == out


def test_cli_montecarlo_bad_draws(capsys):
    assert main(["montecarlo", str(SCEN), "--data", str(MINI), "--draws", "0"]) == 2
    assert "--draws" in capsys.readouterr().err
