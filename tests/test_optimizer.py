"""The optimizer on a hand-built catalog (tests/fixtures/opt_data/): answers worked out by hand.

Workload (scenario.yaml): 864,000 requests/day = 10 req/s on average, peak_to_average 2 -> peak
20 req/s, flat, 12 months of H = 730 h. Defaults: target utilisation 1, no spare replicas, no staff,
discount rate 0, spot interruption overhead 0.5. SLO: TTFT p95 2000 ms, TPOT p95 60 ms.

Capacity at the SLO (measured profiles at the workload's ISL/OSL 1000/200, profiles.yaml):
  8B on 1x H100: TPOT 40 ms at 10 req/s, 80 ms at 15 -> 10 + (60-40)/(80-40) x 5 = 12.5 req/s
  8B on 1x L4:   TPOT 50 ms at 2 req/s, 70 ms at 3   -> 2 + (60-50)/(70-50) x 1 = 2.5 req/s
  8B on 1x A10G: TPOT 70 ms at the lightest point   -> cannot meet the SLO
  70B BF16 on one GPU: 141 GB of weights > 80 GB     -> does not fit in memory
Costs over 12 months (replicas = ceil(20 / capacity)):
  H100 reserved:  ceil(20/12.5) = 2 x $3.00 x 730 h x 12 = $52,560   <- cheapest
  L4 on-demand:   ceil(20/2.5)  = 8 x $0.80 x 730 x 12   = $56,064
  H100 on-demand: 2 x $4.00 x 730 x 12                   = $70,080
  H100 spot:      capacity 12.5 x (1 - 0.5) = 6.25 -> ceil(3.2) = 4 x $2.20 x 730 x 12 = $77,088
  H100 owned:     1 server: $240,000 + 12 x (10 kW x 0.5 x 1.5 x 730 x $0.1 + 10 x $200
                  + 240,000 x 0.12 / 12) = 240,000 + 12 x 4,947.5 = $299,370
  hosted 8B API:  26,280,000 requests/month x 1,200 tokens x $0.2/1M x 12 = $75,686.40
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from tco.analysis import optimizer as O
from tco.catalog import load_catalog
from tco.cli import main
from tco.engine import evaluate
from tco.scenario import load_scenario, parse_scenario

DATA = Path(__file__).parent / "fixtures" / "opt_data"
SMALL = O.SearchSpace(gpus_per_replica=(1,), precisions=("bf16",))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DATA)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(DATA / "scenario.yaml"))


@pytest.fixture(scope="module")
def small(scenario, catalog):
    return O.optimize(scenario, catalog, SMALL)


def _by_name(result, part: str):
    hits = [c for c in result.candidates if part in c.name]
    assert len(hits) == 1, [c.name for c in hits]
    return hits[0]


def test_hand_worked_best(small):
    best = small.best
    assert (best.model, best.gpu, best.gpus_per_replica, best.precision, best.payment, best.offer) == (
        "llama-3.1-8b", "h100-sxm", 1, "bf16", "reserved", "h100-1x")
    assert best.capacity_source == "measured"
    assert_allclose(best.capacity_rps, 12.5)
    assert_allclose(best.total_cash_usd, 2 * 3.0 * 730 * 12)
    assert_allclose(best.tpot_ms, 60.0)  # the operating point sits on the TPOT limit
    assert best.max_gpus == 2


@pytest.mark.parametrize("part, total", [
    ("8b 1x l4 bf16, rent l4-1x on-demand", 8 * 0.8 * 730 * 12),
    ("8b 1x h100-sxm bf16, rent h100-1x on-demand", 2 * 4.0 * 730 * 12),
    ("8b 1x h100-sxm bf16, rent h100-1x spot", 4 * 2.2 * 730 * 12),
    ("8b 1x h100-sxm bf16, own h100-server", 240_000 + 12 * (10 * 0.5 * 1.5 * 730 * 0.1 + 10 * 200 + 240_000 * 0.12 / 12)),
    ("test/llama-3.1-8b", 864_000 * 730 / 24 * 1200 * 0.2 / 1e6 * 12),
])
def test_hand_worked_others(small, part, total):
    assert_allclose(_by_name(small, part).total_cash_usd, total, rtol=1e-12)


def test_order_feasible_first_by_cost(small):
    flags = [c.feasible for c in small.candidates]
    assert flags == sorted(flags, reverse=True)
    costs = [c.total_cash_usd for c in small.feasible]
    assert costs == sorted(costs)


def test_infeasible_reasons(small):
    no_fit = _by_name(small, "llama-3.1-70b 1x h100-sxm bf16, rent h100-1x on-demand")
    assert not no_fit.feasible and no_fit.reason.startswith(O.REASON_NO_FIT)
    assert "141.1 GB" in no_fit.reason
    slo = _by_name(small, "llama-3.1-8b 1x a10g")
    assert not slo.feasible and slo.reason.startswith(O.REASON_SLO)
    assert "TPOT 70.0 ms > 60 ms" in slo.reason


def test_no_offer_reason(scenario, catalog):
    # a GPU with neither a rental offer nor a server: one infeasible row per configuration
    cat = load_catalog(DATA)
    offers = {k: v for k, v in cat.offers.items() if v.gpu != "l4"}
    from dataclasses import replace
    res = O.optimize(scenario, replace(cat, offers=offers), O.SearchSpace(models=("llama-3.1-8b",), gpus=("l4",),
                                                                         gpus_per_replica=(1,), precisions=("bf16",)))
    rows = [c for c in res.candidates if c.kind == "self_host"]
    assert len(rows) == 1 and rows[0].reason == O.REASON_NO_OFFER and rows[0].payment == "none"


def _evaluate_all(scenario, catalog, cands):
    """Every candidate through the normal engine, 40 options per scenario (capacity derived by the engine)."""
    doc = scenario.to_dict()
    out = {}
    for i in range(0, len(cands), 40):
        d = dict(doc)
        d["options"] = [O.candidate_option(c) for c in cands[i:i + 40]]
        res = evaluate(parse_scenario(d), catalog)
        out.update({o.name: o for o in res.options})
    return out


def test_full_search_agrees_with_engine(scenario, catalog):
    """No feasible candidate costs less than the reported best, each checked through evaluate()."""
    res = O.optimize(scenario, catalog)  # every GPU count and precision: estimated capacities too
    feasible = [c for c in res.feasible if c.kind == "self_host"]
    assert {c.capacity_source for c in feasible} >= {"measured", "estimated"}
    engine = _evaluate_all(scenario, catalog, feasible)
    for c in feasible:
        o = engine[c.name]
        assert_allclose(o.total_cash_usd, c.total_cash_usd, rtol=1e-9)
        assert_allclose(o.npv_usd, c.npv_usd, rtol=1e-9)
        assert_allclose(o.usd_per_million_tokens, c.usd_per_million_tokens, rtol=1e-9)
    assert min(o.total_cash_usd for o in engine.values()) >= res.best.total_cash_usd - 1e-6
    # the infeasible ones are rejected by the engine too
    infeasible = [c for c in res.candidates if not c.feasible and c.payment != "none"][:10]
    d = scenario.to_dict()
    d["options"] = [O.candidate_option(c) for c in infeasible]
    r = evaluate(parse_scenario(d), catalog, skip_infeasible=True)
    assert {n for n, _ in r.skipped} == {c.name for c in infeasible}


def test_estimated_capacities_match_scalar(catalog):
    from tco.model import perf
    configs = [("llama-3.1-8b", "h100-sxm", 2, "fp8"), ("llama-3.1-70b", "h100-sxm", 4, "bf16"),
               ("llama-3.1-70b", "l4", 8, "fp8"), ("llama-3.1-70b", "l4", 1, "bf16")]
    caps = O.estimated_capacities(catalog, configs, 1000, 200, 2000, 60)
    for (m, g, n, p), cap in zip(configs, caps):
        rps, reason, _ = perf.estimated_capacity_at_slo(catalog.models[m], catalog.gpus[g], n, p, 1000, 200, 2000, 60)
        if rps is None:
            assert cap.rps is None and cap.reason
        else:
            assert_allclose(cap.rps, rps, rtol=1e-12)


def test_use_this_adds_an_option(small, scenario, catalog):
    s2 = O.add_candidate_to_scenario(scenario, small.best)
    assert len(s2.options) == len(scenario.options) + 1
    res = evaluate(s2, catalog)
    assert_allclose(res.option(small.best.name).total_cash_usd, small.best.total_cash_usd)
    s3 = O.add_candidate_to_scenario(s2, small.best)  # same name again: made unique
    assert len({o.name for o in s3.options}) == len(s3.options)


def test_cheapest_per_size_and_pareto(small):
    per = O.cheapest_per_size(small)
    assert [O.size_label(c.params_b) for c in per] == ["8B"]
    assert per[0].name == small.best.name
    assert O.pareto_front([(1, 5), (2, 3), (3, 4), (0.5, 9)]) == [3, 0, 1]


def test_size_filter():
    assert O.parse_size_filter("Llama 8B-70B") == ("llama", 8.0, 71.0)
    assert O.parse_size_filter("llama") == ("llama", None, None)
    with pytest.raises(ValueError):
        O.parse_size_filter("8B to 70B!")


def test_mixed_fleet_beats_either_gpu_alone(catalog):
    """Buckets: half the requests 500/100 tokens, half 4000/400; 10 req/s each at peak.

    Capacities (measured profiles at the bucket lengths): H100 20 (short) and 2 (long) req/s,
    L4 5 and 0.4 req/s. Monthly cost per replica: H100 reserved 3.00 x 730 = 2,190; L4 0.80 x 730 = 584.
      all H100 (reserved): (ceil(10/20) + ceil(10/2)) = 6 x 2,190 = 13,140 / month
      all L4:              (ceil(10/5) + ceil(10/0.4)) = 27 x 584 = 15,768 / month
      mixed: short on L4 2 x 584 + long on H100 5 x 2,190  = 12,118 / month (saves 1,022 / month)
    """
    s = load_scenario(str(DATA / "scenario_mix.yaml"))
    res = O.optimize(s, catalog, SMALL)
    mx = res.mix
    assert mx is not None and mx.model == "llama-3.1-8b"
    assert_allclose(mx.total_usd, 12 * 12_118)
    assert "h100-1x reserved" in mx.best_single
    assert_allclose(mx.best_single_total_usd, 12 * 13_140)
    assert_allclose(mx.saving_usd, 12 * 1_022)
    alloc = {(a.bucket, a.replicas): a.candidate for a in mx.allocation}
    assert "l4-1x" in alloc[(0, 2)] and "h100-1x reserved" in alloc[(1, 5)]
    assert 12 * 15_768 > mx.total_usd


def test_cli_json(tmp_path, capsys):
    code = main(["optimize", str(DATA / "scenario.yaml"), "--data", str(DATA), "--format", "json", "--top", "0",
                 "--gpus-per-replica", "1", "--precisions", "bf16"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["candidates"]
    keys = {"model", "gpu", "gpus_per_replica", "precision", "payment", "capacity_source", "feasible", "reason",
            "total_cash_usd", "npv_usd", "usd_per_million_tokens", "tpot_ms"}
    assert keys <= set(rows[0])
    assert rows[0]["payment"] == "reserved" and rows[0]["total_cash_usd"] == pytest.approx(52_560)
    feas = [r["feasible"] for r in rows]
    assert feas == sorted(feas, reverse=True)
    costs = [r["total_cash_usd"] for r in rows if r["feasible"]]
    assert costs == sorted(costs)


def test_cli_errors(capsys):
    assert main(["optimize", str(DATA / "scenario.yaml"), "--data", str(DATA), "--gpus", "nope"]) == 2
    assert "unknown GPU" in capsys.readouterr().err
    assert main(["optimize", str(DATA / "missing.yaml"), "--data", str(DATA)]) == 2


def test_mix_shares_must_sum_to_one():
    from tco.core.exceptions import ScenarioError
    doc = load_scenario(str(DATA / "scenario_mix.yaml")).to_dict()
    doc["workload"]["mix"][0]["share"] = 0.3
    with pytest.raises(ScenarioError, match="sum to 1"):
        parse_scenario(doc)


def test_quality_floor_excludes_and_counts():
    """Issue 10: candidates below the floor are excluded and counted; those without a figure are kept."""
    from tco.model import quality as q
    cat = load_catalog()
    doc = load_scenario(str(Path(__file__).parent.parent / "data" / "scenarios" / "chat_assistant.yaml")).to_dict()
    doc["quality_floor"] = {"at_least_as_good_as": "openai/gpt-4o-mini"}
    s = parse_scenario(doc)
    space = O.SearchSpace(models=("llama-3.1-8b", "llama-3.1-70b"), gpus=("h100-sxm",), gpus_per_replica=(1, 4))
    res = O.optimize(s, cat, space)
    assert res.excluded_by_quality > 0 and "excluded" in res.quality_note
    qual = q.load_quality(cat)
    floor = q.resolve_floor(s.quality_floor, cat, qual)
    for c in res.candidates:
        elo = q.option_quality(c, cat, qual).elo
        assert elo is None or elo >= floor.elo
    plain = O.optimize(load_scenario(str(Path(__file__).parent.parent / "data" / "scenarios" / "chat_assistant.yaml")),
                       cat, space)
    assert len(plain.candidates) == len(res.candidates) + res.excluded_by_quality


# ---------------------------------------------------------------------------------------------
# What the optimizer never offers, and what it says


def _chat():
    return load_scenario(str(Path(__file__).parent.parent / "data" / "scenarios" / "chat_assistant.yaml"))


def _fits(c, cat) -> bool:
    unit = cat.offers[c.offer].gpus_per_instance if c.offer else cat.servers[c.server].gpus_per_server
    return c.gpus_per_replica <= unit and unit % c.gpus_per_replica == 0


def test_no_replica_spans_instances_and_no_suspect_without_flag():
    cat = load_catalog()
    space = O.SearchSpace(models=("llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b"), gpus=("h100-sxm", "a100-40gb"),
                          gpus_per_replica=(1, 2, 4, 8))
    res = O.optimize(_chat(), cat, space)
    sh = [c for c in res.candidates if c.kind == "self_host" and c.payment != "none"]
    assert sh and all(_fits(c, cat) for c in sh)
    assert res.excluded_spanning > 0  # e.g. 4-GPU replicas on 1-GPU Lambda instances
    # aws-p4d.24xlarge's spot price is marked SUSPECT in its notes: left out by default
    assert not any(c.offer == "aws-p4d.24xlarge" and c.payment == "spot" for c in res.candidates)
    assert all(c.suspect is None for c in res.candidates) and res.excluded_suspect > 0
    # spot candidates carry the interruption caveat
    spot = [c for c in res.candidates if c.payment == "spot"]
    assert spot and all(any("interrupt" in cv or "reclaim" in cv for cv in c.caveats) for c in spot)
    # the default quality floor is on, with its reason
    assert "GPT-3.5 Turbo" in res.quality_floor_reason and res.excluded_by_quality > 0
    assert not any(c.model == "llama-3.2-1b" for c in res.candidates)

    flagged = O.optimize(_chat(), cat, O.SearchSpace(**{**space.__dict__, "allow_suspect": True}))
    sus = [c for c in flagged.candidates if c.offer == "aws-p4d.24xlarge" and c.payment == "spot"]
    assert sus and all(c.suspect and any("suspect price" in cv for cv in c.caveats) for c in sus)
    assert all(_fits(c, cat) for c in flagged.candidates if c.kind == "self_host" and c.payment != "none")


def test_cli_allow_suspect_and_floor_visible(capsys):
    args = ["optimize", str(Path(__file__).parent.parent / "data" / "scenarios" / "chat_assistant.yaml"),
            "--models", "llama-3.1-8b", "--gpus", "a100-40gb", "--format", "json", "--top", "0", "--no-apis"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["excluded_suspect"] > 0 and not doc["allow_suspect"]
    assert "GPT-3.5 Turbo" in doc["quality_floor_reason"]
    assert not any(r["suspect"] for r in doc["candidates"])
    assert main(args + ["--allow-suspect"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["allow_suspect"] and any(r["suspect"] for r in doc["candidates"])
    table = [a for a in args if a not in ("--format", "json")]
    assert main(table) == 0
    out = capsys.readouterr().out
    assert "default quality floor" in out and "SUSPECT or low-confidence" in out
