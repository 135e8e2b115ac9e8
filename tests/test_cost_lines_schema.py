"""Issue 18 scenario fields: cost lines, capital charge, reserved terms, availability, startup lead."""
from __future__ import annotations

import copy

import pytest

from tco.core.exceptions import ScenarioError
from tco.scenario import BUILTIN_LINE_ITEM_NAMES, parse_scenario

BASE = {
    "name": "t", "start": "2027-01", "months": 12,
    "workload": {"requests_per_day": 1000, "input_tokens": 100, "output_tokens": 50},
    "options": [
        {"name": "API", "prices": {"input": 1, "output": 2}},
        {"name": "Rented", "self_host": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1,
                                         "rent": {"usd_per_gpu_hour": 2.0}}},
    ],
}


def _with(**kw) -> dict:
    d = copy.deepcopy(BASE)
    d.update(kw)
    return d


def _err(doc) -> str:
    with pytest.raises(ScenarioError) as e:
        parse_scenario(doc, "s.yaml")
    return str(e.value)


def test_cost_lines_parse_with_defaults():
    s = parse_scenario(_with(costs=[{"name": "Licence", "kind": "per_gpu_year", "amount_usd": 4500},
                                    {"name": "Set-up", "kind": "one_off", "amount_usd": 10, "amortize_months": 6},
                                    {"name": "Audit", "kind": "monthly", "amount_usd": 1, "months": ["2027-03", "2028-06"],
                                     "applies_to": ["Rented"]}]))
    assert s.costs[0].applies_to == "all" and s.costs[0].month is None
    assert s.costs[2].months == ["2027-03", "2028-06"]
    assert not s.finance.include_capital_charge


def test_defaults_do_not_change_serialised_scenario():
    d = parse_scenario(BASE).to_dict()
    assert "costs" not in d and "include_capital_charge" not in d["finance"]
    d2 = parse_scenario(_with(costs=[{"name": "x", "kind": "monthly", "amount_usd": 1}])).to_dict()
    assert d2["costs"][0]["name"] == "x"
    assert parse_scenario(d2).costs == parse_scenario(d2).costs  # round-trips


@pytest.mark.parametrize("name", ["rent", "Capex", "capital_charge", "API"])
def test_name_colliding_with_builtin_item_is_an_error(name):
    assert name.lower() in BUILTIN_LINE_ITEM_NAMES
    msg = _err(_with(costs=[{"name": name, "kind": "monthly", "amount_usd": 1}]))
    assert "s.yaml: costs.0.name:" in msg and "built-in line item" in msg


@pytest.mark.parametrize("line, expect", [
    ({"name": "x", "kind": "weekly", "amount_usd": 1}, "costs.0.kind"),
    ({"name": "x", "kind": "monthly", "amount_usd": -1}, "must be >= 0"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "month": "2027-02"}, "month applies to kind one_off"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "amortize_months": 3}, "amortize_months applies to kind one_off"),
    ({"name": "x", "kind": "one_off", "amount_usd": 1, "months": ["2027-01", "2027-02"]}, "a one_off line uses month"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "months": ["2027-05", "2027-02"]}, "is after last month"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "months": ["2027-05"]}, "range [first, last]"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "months": ["2030-01", "2030-05"]}, "would never apply"),
    ({"name": "x", "kind": "one_off", "amount_usd": 1, "month": "2026-12"}, "outside the horizon"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "applies_to": "everyone"}, "must be one of all, api"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "applies_to": ["Nope"]}, "unknown option name(s) ['Nope']"),
    ({"name": "x", "kind": "per_gpu_month", "amount_usd": 1, "applies_to": "api"}, "applies_to api has none"),
    ({"name": "x", "kind": "monthly", "amount_usd": 1, "colour": "red"}, "costs.0.colour: unknown field"),
])
def test_bad_cost_lines_name_the_field(line, expect):
    assert expect in _err(_with(costs=[line]))


def test_duplicate_cost_line_names_are_an_error():
    msg = _err(_with(costs=[{"name": "Audit", "kind": "monthly", "amount_usd": 1},
                            {"name": "audit", "kind": "monthly", "amount_usd": 2}]))
    assert "costs[1] (audit): cost line names must be unique" in msg


def test_reserved_term_availability_startup_fields():
    d = copy.deepcopy(BASE)
    d["options"][1]["self_host"]["rent"].update(reserved_gpus=2, usd_per_gpu_hour_reserved=1.5,
                                               reserved_term={"term_months": 24, "upfront_share": 0.5, "start": "2027-03"})
    d["options"][1]["self_host"]["availability"] = {"mtbf_hours": 168, "repair_hours": 4}
    s = parse_scenario(d)
    t = s.options[1].self_host.rent.reserved_term
    assert (t.term_months, t.upfront_share, t.start) == (24, 0.5, "2027-03")
    assert s.options[1].self_host.availability.mtbf_hours == 168


@pytest.mark.parametrize("rent, expect", [
    ({"reserved_term": {"term_months": 12}}, "reserved_term needs reserved_gpus > 0"),
    ({"reserved_gpus": 1, "usd_per_gpu_hour_reserved": 1, "reserved_term": {"term_months": 0}}, "must be >= 1"),
    ({"reserved_gpus": 1, "usd_per_gpu_hour_reserved": 1, "reserved_term": {"term_months": 12, "upfront_share": 1.5}},
     "must be <= 1"),
    ({"reserved_gpus": 1, "usd_per_gpu_hour_reserved": 1, "reserved_term": {"term_months": 12, "start": "2028-01"}},
     "reserved_term.start 2028-01 is outside the horizon"),
    ({"startup_minutes": 5}, "startup_minutes needs autoscale: true"),
])
def test_bad_rent_fields(rent, expect):
    d = copy.deepcopy(BASE)
    d["options"][1]["self_host"]["rent"].update(rent)
    assert expect in _err(d)


def test_bad_availability():
    d = copy.deepcopy(BASE)
    d["options"][1]["self_host"]["availability"] = {"mtbf_hours": 0, "repair_hours": 4}
    assert "availability.mtbf_hours: must be > 0" in _err(d)


def test_egress_field():
    d = copy.deepcopy(BASE)
    d["workload"]["egress_gb_per_million_tokens"] = 0.004
    assert parse_scenario(d).workload.egress_gb_per_million_tokens == 0.004
    d["workload"]["egress_gb_per_million_tokens"] = -1
    assert "workload.egress_gb_per_million_tokens: must be >= 0" in _err(d)


def test_builtin_names_cover_the_registry():
    from tco.core.line_items import REGISTRY

    assert {n.lower() for n in REGISTRY} <= set(BUILTIN_LINE_ITEM_NAMES)
