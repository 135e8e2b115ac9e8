"""Optimizer --routes (tco/analysis/route_search.py): the escalation share by hand and a small search."""
from __future__ import annotations

import pytest

from tco.analysis import optimizer as opt
from tco.catalog import load_catalog
from tco.analysis.route_search import escalate_share_for_floor
from tco.scenario import parse_scenario


def test_escalate_share_by_hand():
    # cheap 1193, strong 1381, floor 1300: S* = 107 / 188 = 0.569 -> 0.60 in steps of 0.05
    assert escalate_share_for_floor(1193, 1381, 1300) == pytest.approx(0.60)
    # exactly on a step stays there: (1250 - 1200) / (1300 - 1200) = 0.5
    assert escalate_share_for_floor(1200, 1300, 1250) == pytest.approx(0.5)
    assert escalate_share_for_floor(1310, 1381, 1300) is None  # the cheap model already meets the floor
    assert escalate_share_for_floor(1193, 1290, 1300) is None  # the strong one does not
    assert escalate_share_for_floor(1193, 1300, 1300) is None  # only the strong model alone (S = 1)


def test_optimizer_proposes_cheaper_cascades_that_meet_the_floor():
    s = parse_scenario({
        "name": "routes", "start": "2026-01", "months": 12,
        "workload": {"requests_per_day": 100000, "input_tokens": 600, "output_tokens": 250},
        "slo": {"ttft_p95_ms": 2000, "tpot_p95_ms": 60},
        "quality_floor": {"at_least": 1300},
        "options": [{"name": "GPT-4.1", "api": "openai/gpt-4.1"}],
    })
    space = opt.SearchSpace(models=("llama-3.1-8b",), gpus=("h100-sxm",), gpus_per_replica=(1,), precisions=("bf16",),
                            payments=("on_demand",))
    res = opt.optimize(s, load_catalog(), space, routes=True)
    assert res.routes, res.routes_note
    single = min(c.total_cash_usd for c in res.feasible)  # GPT-4.1 alone: the only single candidate kept
    for p in res.routes:
        assert p.escalate == "GPT-4.1"
        assert p.elo >= 1300 and p.saving_usd == pytest.approx(single - p.total_cash_usd)
        assert p.total_cash_usd < single
        assert p.option["route"]["mode"] == "cascade"
    assert [p.total_cash_usd for p in res.routes] == sorted(p.total_cash_usd for p in res.routes)
    doc = opt.to_json(res)
    assert doc["routes"][0]["escalate_share"] == res.routes[0].escalate_share and doc["routes_note"]


def test_routes_need_a_floor():
    s = parse_scenario({"start": "2026-01", "months": 3, "workload": {"requests_per_day": 10, "input_tokens": 1,
                                                                      "output_tokens": 1},
                        "options": [{"name": "GPT-4.1", "api": "openai/gpt-4.1"}]})
    res = opt.optimize(s, load_catalog(), opt.SearchSpace(models=("llama-3.1-8b",), gpus=("h100-sxm",),
                                                          gpus_per_replica=(1,), precisions=("bf16",),
                                                          payments=("on_demand",)), routes=True)
    assert res.routes == () and "quality_floor" in res.routes_note
