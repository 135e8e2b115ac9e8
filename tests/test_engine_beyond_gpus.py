"""Issue 18 through the engine: cost lines, capital charge, economic $/GPU-hour, reserved terms, availability,
start-up lead; every figure worked by hand below. Uses tests/fixtures/mini_data (no network, no /work/shared)."""
from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from tco.model import costs
from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.report.export import to_json, to_long_csv
from tco.report.focus import to_focus_csv
from tco.scenario import parse_scenario

MINI = Path(__file__).resolve().parent / "fixtures" / "mini_data"
R = 1.01 ** 12 - 1  # a discount rate of exactly 1 % a month
SH = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1, "target_utilization": 1,
      "spare_replicas": 0, "staff_fte": 0}
DOC = {
    "name": "beyond GPUs", "start": "2027-01", "months": 12,
    # 1,000 req/day: 1,000 x 730 / 24 = 30,416.67 requests a month; 100 + 50 tokens each = 4.5625M tokens
    "workload": {"requests_per_day": 1000, "input_tokens": 100, "output_tokens": 50},
    "finance": {"discount_rate": R, "include_capital_charge": True},
    "ops": {"fte_cost_per_year": 100_000},
    "options": [
        {"name": "API", "prices": {"input": 1, "output": 2}},
        {"name": "Rented", "self_host": {**SH, "rent": {"usd_per_gpu_hour": 2}}},
        {"name": "Owned", "self_host": {**SH, "own": {
            "gpus_per_server": 8, "server_price_usd": 96_000, "server_power_kw": 1.0, "power_load_factor": 1, "pue": 1,
            "usd_per_kwh": 0.1, "colo_usd_per_kw_month": 0, "maintenance_share_per_year": 0, "depreciation_years": 1}}},
        {"name": "Reserved", "self_host": {**SH, "rent": {
            "usd_per_gpu_hour": 3, "reserved_gpus": 2, "usd_per_gpu_hour_reserved": 1.5,
            "reserved_term": {"term_months": 24, "upfront_share": 0.25, "start": "2027-07"}}}},
    ],
    "costs": [
        {"name": "Licence", "kind": "per_gpu_year", "amount_usd": 1200, "applies_to": "self_host"},
        {"name": "Audit", "kind": "monthly", "amount_usd": 500, "months": ["2027-04", "2027-06"]},
        {"name": "Burn-in", "kind": "one_off", "amount_usd": 1200, "month": "2027-01", "amortize_months": 6,
         "applies_to": ["Owned"]},
        {"name": "Gateway", "kind": "per_million_tokens", "amount_usd": 0.2, "applies_to": "api"},
        {"name": "Checks", "kind": "per_request", "amount_usd": 0.001, "applies_to": "rent"},
        {"name": "Net", "kind": "per_server_month", "amount_usd": 50, "applies_to": "own"},
    ],
}
REQ = 1000 * 730 / 24


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


@pytest.fixture(scope="module")
def res(cat):
    return evaluate(parse_scenario(DOC), cat)


def li(res, option, item):
    return res.option(option).line_items[item]


def test_cost_lines_per_option(res):
    # Licence 1,200 / 12 = 100 per GPU billed: rented 1 GPU -> 100; owned 8 GPUs (one server) -> 800
    assert_allclose(li(res, "Rented", "Licence").cash_usd, 100)
    assert_allclose(li(res, "Owned", "Licence").cash_usd, 800)
    # Reserved: 1 GPU on demand in months 0-5 (100); from 2027-07 2 reserved GPUs billed (1 used + 1 idle) -> 200
    assert_allclose(li(res, "Reserved", "Licence").cash_usd, [100] * 6 + [200] * 6)
    assert "Licence" not in res.option("API").line_items
    # Audit 500 a month in 2027-04 .. 2027-06 (months 3-5), every option
    for o in ("API", "Rented", "Owned", "Reserved"):
        assert_allclose(li(res, o, "Audit").cash_usd, [0, 0, 0, 500, 500, 500, 0, 0, 0, 0, 0, 0])
    # Burn-in: 1,200 cash in month 0, accrual 1,200 / 6 = 200 in months 0-5, owned option only
    assert_allclose(li(res, "Owned", "Burn-in").cash_usd, [1200] + [0] * 11)
    assert_allclose(li(res, "Owned", "Burn-in").accrual_usd, [200] * 6 + [0] * 6)
    assert [o.name for o in res.options if "Burn-in" in o.line_items] == ["Owned"]
    # Gateway 0.2 per 1M tokens x 4.5625M = 0.9125 a month, API only
    assert_allclose(li(res, "API", "Gateway").cash_usd, 0.2 * REQ * 150 / 1e6)
    # Checks 0.001 per request x 30,416.67 = 30.42 a month, rented options only
    assert_allclose(li(res, "Rented", "Checks").cash_usd, 0.001 * REQ)
    assert_allclose(li(res, "Reserved", "Checks").cash_usd, 0.001 * REQ)
    assert "Checks" not in res.option("Owned").line_items
    # Net 50 per server-month x 1 server
    assert_allclose(li(res, "Owned", "Net").cash_usd, 50)
    assert li(res, "Owned", "Net").unit == "server-months"


def test_capital_charge_and_totals(res):
    o = res.option("Owned")
    # book value 96,000 x (12 - m) / 12 at the start of month m (life 12 months); 1 % of it = 80 x (12 - m)
    cc = o.line_items["capital_charge"]
    assert_allclose(cc.accrual_usd, [80 * (12 - m) for m in range(12)])
    assert_allclose(cc.cash_usd, 0)
    # accrual: depreciation 96,000 + capital 80 x 78 = 6,240 + power 1 kW x 730 h x 0.1 x 12 = 876 + licence 9,600
    # + audit 1,500 + burn-in 1,200 + net 600 = 116,016; cash: capex 96,000 + 876 + 9,600 + 1,500 + 1,200 + 600
    assert o.total_accrual_usd == pytest.approx(116_016)
    assert o.total_cash_usd == pytest.approx(109_776)
    # economic $/GPU-h = (96,000 + 6,240 + 876) / (8 GPUs x 730 h x 12) = 103,116 / 70,080 (cost lines excluded)
    assert o.economic_usd_per_gpu_hour == pytest.approx(103_116 / 70_080)
    assert res.option("Rented").economic_usd_per_gpu_hour is None


def test_capital_charge_off_by_default_moves_nothing_but_the_economic_rate_stays(cat, res):
    doc = copy.deepcopy(DOC)
    doc["finance"]["include_capital_charge"] = False
    off = evaluate(parse_scenario(doc), cat).option("Owned")
    assert "capital_charge" not in off.line_items
    assert off.total_accrual_usd == pytest.approx(116_016 - 6_240)
    assert off.total_cash_usd == pytest.approx(109_776)
    assert off.economic_usd_per_gpu_hour == pytest.approx(res.option("Owned").economic_usd_per_gpu_hour)


def test_reserved_term_with_upfront_past_the_horizon(res):
    o = res.option("Reserved")
    # months 0-5: no commitment yet, 1 GPU on demand at 3 USD: 2,190 a month
    # months 6-11: 2 GPUs committed at 1.50 fixed, 75 % billed hourly: 1 used 730 x 1.125 = 821.25 (rent)
    # + 1 idle 821.25 (reserved_unused); upfront 25 % of 2 x 1.5 x 730 x 24 = 52,560 -> 13,140 in month 6,
    # accrued 13,140 / 24 = 547.50 a month over the term
    assert_allclose(o.line_items["rent"].cash_usd, [2190] * 6 + [821.25] * 6)
    assert_allclose(o.line_items["reserved_unused"].cash_usd, [0] * 6 + [821.25] * 6)
    assert_allclose(o.line_items["reserved_upfront"].cash_usd, [0] * 6 + [13_140] + [0] * 5)
    assert_allclose(o.line_items["reserved_upfront"].accrual_usd, [0] * 6 + [547.5] * 6)
    # 24 - 6 = 18 payments of 0.75 x 52,560 / 24 = 1,642.50 after the horizon
    assert o.commitment_after_horizon_usd == pytest.approx(29_565)
    # the term's cash inside the horizon (13,140 + 6 x 1,642.50 = 22,995) + after = 52,560
    term_cash = sum(o.line_items[k].cash_usd[6:].sum() for k in ("rent", "reserved_unused", "reserved_upfront"))
    assert term_cash + o.commitment_after_horizon_usd == pytest.approx(52_560)
    assert res.option("Rented").commitment_after_horizon_usd is None


def test_reserved_term_price_ignores_the_rent_trend(cat):
    doc = copy.deepcopy(DOC)
    doc["finance"]["rent_price_change_per_year"] = 0.5
    o = evaluate(parse_scenario(doc), cat).option("Reserved")
    assert_allclose(o.line_items["reserved_unused"].cash_usd[6:], 821.25)  # fixed for the term
    assert o.line_items["rent"].cash_usd[5] == pytest.approx(2190 * 1.5 ** (5 / 12))  # on demand follows it


def test_json_has_every_cost_line_in_every_month(res):
    doc = json.loads(to_json(res))
    by = {o["name"]: o for o in doc["options"]}
    for name, lines in (("Owned", {"Licence", "Audit", "Burn-in", "Net", "capital_charge"}), ("API", {"Audit", "Gateway"}),
                        ("Rented", {"Licence", "Audit", "Checks"})):
        for month in by[name]["months"]:
            assert lines <= set(month["line_items"])
            for n in lines:
                assert set(month["line_items"][n]) == {"cash_usd", "accrual_usd"}
    assert by["Owned"]["months"][0]["line_items"]["Burn-in"] == {"cash_usd": 1200.0, "accrual_usd": 200.0}
    assert by["Owned"]["economic_usd_per_gpu_hour"] == pytest.approx(103_116 / 70_080, abs=1e-6)
    assert by["Reserved"]["commitment_after_horizon_usd"] == pytest.approx(29_565)
    assert "economic_usd_per_gpu_hour" not in by["API"] and "commitment_after_horizon_usd" not in by["Rented"]
    # monthly totals still add up
    for o in doc["options"]:
        for m in o["months"]:
            assert m["cash_usd"] == pytest.approx(sum(v["cash_usd"] for v in m["line_items"].values()), abs=1e-5)


def test_csv_and_focus_carry_cost_lines(res):
    rows = list(csv.DictReader(io.StringIO(to_long_csv(res).decode("utf-8"))))
    assert {"Licence", "Audit", "Burn-in", "Gateway", "Checks", "Net"} <= {r["line_item"] for r in rows}
    focus = list(csv.DictReader(io.StringIO(to_focus_csv(res).decode("utf-8"))))
    burn = [r for r in focus if r["x_LineItem"] == "Burn-in"]
    assert burn and all(r["ChargeCategory"] == "Purchase" and r["ChargeFrequency"] == "One-Time" for r in burn)
    lic = [r for r in focus if r["x_LineItem"] == "Licence"]
    assert lic and all(r["ChargeCategory"] == "Usage" and r["PricingUnit"] == "GPU-Months" for r in lic)


def test_availability_adds_replicas_before_the_spares(cat):
    # peak 1,000 / 86,400 = 0.011574 req/s at 0.001 req/s per replica: 12 serving replicas; MTBF 96 h, repair 24 h:
    # available 0.8 -> 12 / 0.8 = 15; + 1 spare = 16
    doc = copy.deepcopy(DOC)
    doc.pop("costs")
    doc["options"] = [{"name": "Avail", "self_host": {**SH, "capacity_rps_per_replica": 0.001, "spare_replicas": 1,
                                                       "availability": {"mtbf_hours": 96, "repair_hours": 24},
                                                       "rent": {"usd_per_gpu_hour": 2}}}]
    o = evaluate(parse_scenario(doc), cat).option("Avail")
    assert_allclose(o.replicas, 16)
    doc["options"][0]["self_host"].pop("availability")
    assert_allclose(evaluate(parse_scenario(doc), cat).option("Avail").replicas, 13)


def test_startup_lead_is_billed(cat):
    profile = [1.0] * 12 + [3.0] * 12  # the day's second half carries 3x the load
    doc = copy.deepcopy(DOC)
    doc.pop("costs")
    doc["workload"] = {"requests_per_day": 100_000, "input_tokens": 100, "output_tokens": 50, "daily_profile": profile}
    doc["options"] = [{"name": "Auto", "self_host": {**SH, "capacity_rps_per_replica": 0.5, "gpus_per_replica": 2,
                                                      "rent": {"usd_per_gpu_hour": 2, "autoscale": True,
                                                               "startup_minutes": 30}}}]
    o = evaluate(parse_scenario(doc), cat).option("Auto")
    r = o.fleet.replicas_by_hour
    # hours 0-11: 100,000 x (1/48) / 3,600 = 0.5787 req/s -> 2 replicas; hours 12-23: 1.736 req/s -> 4 replicas
    assert_allclose(r[0], [2] * 12 + [4] * 12)
    # one ramp of +2 replicas a day: 2 x 2 GPUs x 0.5 h x 730/24 days = 60.83 GPU-h a month, at 2 USD
    assert_allclose(o.line_items["startup"].quantity, 2 * 2 * 0.5 * 730 / 24)
    assert_allclose(o.line_items["startup"].cash_usd, 2 * 2 * 0.5 * 730 / 24 * 2)
    assert_allclose(o.line_items["startup"].quantity, costs.startup_gpu_hours(r, 2, 30))


def test_cost_line_definitions_are_complete():
    from tco.core import line_items

    for kind, (category, frequency, unit) in line_items.COST_LINE_KINDS.items():
        d = line_items.get(f"cost_line:{kind}:My line: with colon")
        assert line_items.validate(d) == [] and d.name == "My line: with colon"
        assert (d.focus.charge_category, d.focus.charge_frequency, d.unit) == (category, frequency, unit)
        assert unit in line_items.PRICING_UNITS
    assert line_items.get("cost_line:per_server_month:N").unit_of(type("P", (), {"payment": "rent"})()) == "instance-months"


def test_availability_on_a_hybrid_fleet_keeps_the_overflow(cat):
    # base_replicas 10 serve within plan; MTBF 96 h / repair 24 h -> ceil(10 / 0.8) = 13 replicas (+ 0 spare) are
    # billed, while the API still takes only what 10 replicas cannot (expected available capacity)
    doc = copy.deepcopy(DOC)
    doc.pop("costs")
    doc["workload"] = {"requests_per_day": 100_000, "input_tokens": 100, "output_tokens": 50,
                       "daily_profile": [1.0] * 12 + [3.0] * 12}
    hyb = {**SH, "capacity_rps_per_replica": 0.1, "base_replicas": 10, "rent": {"usd_per_gpu_hour": 2},
           "overflow": {"prices": {"input": 1, "output": 2}}}
    doc["options"] = [{"name": "H", "self_host": {**hyb, "availability": {"mtbf_hours": 96, "repair_hours": 24}}},
                      {"name": "H0", "self_host": hyb}]
    r = evaluate(parse_scenario(doc), cat)
    assert_allclose(r.option("H").replicas, 13)
    assert_allclose(r.option("H0").replicas, 10)
    assert_allclose(r.option("H").line_items["api_overflow"].cash_usd, r.option("H0").line_items["api_overflow"].cash_usd)
    assert_allclose(r.option("H").line_items["rent"].cash_usd, 13 * 730 * 2)
