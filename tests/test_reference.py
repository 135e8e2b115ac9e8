"""Through evaluate() and the CLI: one reference, break-even against it and the matrix, the SLO
for APIs, GPUs billed next to GPUs used, unit costs, tokens per day.

Golden scenario (tests/fixtures/mini_data; no SLO, staff 0, discount 0), 4 months from 2027-01:
2,400 req/day x 30.41666 d = 73,000 requests/month; 73M input and 36.5M output tokens a month.

* cheap  (inline prices 1 / 2 USD per 1M):  73 x 1 + 36.5 x 2  = 146.0 USD/month -> cum 146, 292, 438, 584
* dear   (inline prices 2.5 / 10):          73 x 2.5 + 36.5 x 10 = 547.5 USD/month -> cum 547.5, 1095, 1642.5, 2190
* own    1 server of 1 GPU at 1,000 USD, 0 kW, no maintenance: cash 1000, 0, 0, 0 -> cum 1000 each month
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from tco.catalog import load_catalog
from tco.core.percent import display_value
from tco.cli import main
from tco.engine import evaluate
from tco.core.exceptions import ScenarioError
from tco.report.export import to_json_dict
from tco.scenario import dump_yaml, parse_scenario

MINI = Path(__file__).parent / "fixtures" / "mini_data"

OPTIONS = [
    {"name": "cheap", "prices": {"input": 1.0, "output": 2.0}},
    {"name": "dear", "prices": {"input": 2.5, "output": 10.0}},
    {"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1.0,
                                  "own": {"gpus_per_server": 1, "server_price_usd": 1000, "server_power_kw": 0,
                                          "maintenance_share_per_year": 0}}},
]


def _doc(**kw) -> dict:
    d = {"name": "golden", "start": "2027-01", "months": 4,
         "workload": {"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500}, "options": OPTIONS}
    d.update(kw)
    return d


@pytest.fixture(scope="module")
def mini():
    return load_catalog(MINI)


@pytest.fixture(scope="module")
def bundled():
    return load_catalog()


def test_default_reference_is_cheapest_api(mini):
    r = evaluate(parse_scenario(_doc()), mini)
    assert_allclose(r.option("cheap").cash_usd, [146.0] * 4)
    assert_allclose(r.option("own").cash_usd, [1000, 0, 0, 0])
    assert r.reference == "cheap" and "cheapest API option" in r.reference_reason
    # own (1000) never stays at or below cheap's cumulative (584 at the end); dear never either
    assert r.option("own").break_even_month is None
    assert r.option("dear").break_even_month is None
    assert r.option("cheap").break_even_month is None  # the reference itself


def test_reference_moves_break_even(mini):
    r = evaluate(parse_scenario(_doc(reference="dear")), mini)
    assert r.reference == "dear" and r.reference_reason.startswith("chosen")
    # own: 1000 > 547.5 in month 0, 1000 <= 1095 from month 1 on -> 2027-02
    assert r.option("own").break_even_month == "2027-02"
    # an API option gets its break-even too: cheap is below dear from the first month
    assert r.option("cheap").break_even_month == "2027-01"


def test_break_even_matrix_in_result(mini):
    m = evaluate(parse_scenario(_doc()), mini).break_even_matrix
    assert m["own"]["dear"] == "2027-02" and m["own"]["cheap"] is None
    assert m["cheap"]["dear"] == "2027-01" and m["cheap"]["own"] == "2027-01"  # 146 <= 1000, ..., 584 <= 1000
    assert m["dear"]["own"] is None  # 1095 > 1000 from month 1 on
    assert set(m) == {"cheap", "dear", "own"}


def test_tokens_per_day_same_as_requests(mini):
    # 2,400 req/day x 1,500 tokens = 3,600,000 tokens/day
    a = evaluate(parse_scenario(_doc()), mini)
    b = evaluate(parse_scenario(_doc(workload={"tokens_per_day": 3.6e6, "input_tokens": 1000, "output_tokens": 500})), mini)
    assert_allclose(b.requests_per_day, a.requests_per_day)
    assert_allclose(b.option("dear").cash_usd, a.option("dear").cash_usd)
    doc = to_json_dict(b)
    assert doc["workload"] == {"requests_per_day": 2400.0, "tokens_per_day": 3.6e6,
                               "requests_per_day_derived_from_tokens_per_day": True}


def test_unit_costs_api_split(mini):
    o = evaluate(parse_scenario(_doc()), mini).option("dear")
    # input share of the bill: 182.5 / 547.5 = 1/3; input: 547.5 x 4 / 3 / 292M x 1e6 = 2.5 USD/1M (its price)
    assert o.usd_per_million_input_tokens == pytest.approx(2.5)
    assert o.usd_per_million_output_tokens == pytest.approx(10.0)
    assert o.usd_per_million_tokens_at_capacity == pytest.approx(o.usd_per_million_tokens)


def test_gpus_billed_whole_instance_and_unit_cost_on_billed(bundled):
    # 1 GPU used, rented as an 8-GPU aws-p5.48xlarge: 8 GPUs billed, the bill is the whole instance
    offer = bundled.offers["aws-p5.48xlarge"]
    doc = _doc(options=[{"name": "8B on 1x H100", "self_host": {
        "model": "llama-3.1-8b", "gpu": offer.gpu, "capacity_rps_per_replica": 1.0, "staff_fte": 0, "spare_replicas": 0,
        "rent": {"offer": offer.id}}}, {"name": "api", "prices": {"input": 1.0, "output": 2.0}}])
    o = evaluate(parse_scenario(doc), bundled).option("8B on 1x H100")
    assert_allclose(o.gpus, [1] * 4)
    assert_allclose(o.gpus_billed, [8] * 4)
    assert_allclose(o.cash_usd, [offer.usd_per_instance_hour_on_demand * 730] * 4)
    # at capacity: 8 GPUs billed / 1 per replica x 1 req/s x 2,628,000 s x 1,500 tokens = 3.1536e10 tokens/month
    assert o.usd_per_million_tokens_at_capacity == pytest.approx(offer.usd_per_instance_hour_on_demand * 730 / 3.1536e10 * 1e6)
    month = to_json_dict(evaluate(parse_scenario(doc), bundled))["options"][0]["months"][0]
    assert month["gpus"] == 1 and month["gpus_billed"] == 8


# ---------------------------------------------------------------------------------------------
# The SLO binds APIs


def _strict(ttft_ms: float) -> dict:
    return _doc(slo={"ttft_p95_ms": ttft_ms},
                options=[{"name": "GPT-4o", "api": "openai/gpt-4o"}, {"name": "inline", "prices": {"input": 1, "output": 2}}])


def test_api_infeasible_under_strict_ttft(bundled):
    # catalog: GPT-4o median TTFT 530 ms > the 50 ms SLO p95
    with pytest.raises(ScenarioError, match=r"GPT-4o.*SLO missed: TTFT median 530 ms"):
        evaluate(parse_scenario(_strict(50)), bundled)
    r = evaluate(parse_scenario(_strict(50)), bundled, skip_infeasible=True)
    assert [n for n, _ in r.skipped] == ["GPT-4o"]
    assert r.slo_checks["GPT-4o"][0] == "missed"
    inline = r.option("inline")
    assert inline.slo_status == "unknown" and "latency not checked" in inline.slo_reason
    # no API meets the SLO for sure: the cheapest API is the reference, and the reason says so
    assert r.reference == "inline" and "no API option meets" in r.reference_reason


def test_api_meets_a_loose_slo(bundled):
    # 530 ms x 1.71 (api_ttft_p95_over_median) = 906 ms <= 2,000 ms
    r = evaluate(parse_scenario(_strict(2000)), bundled)
    assert r.option("GPT-4o").slo_status == "met"
    assert r.reference == "GPT-4o"  # the only API whose SLO is met (inline is unknown)


def _hybrid(overflow_api: str, base_replicas: int = 8) -> dict:
    """The bundled hybrid example's rented option (8 replicas of Llama 3.1 70B on 4x H100, business-hours load)
    at its SLO (TTFT p95 2,000 ms, TPOT p95 60 ms): the fleet meets it (capacity measured at the SLO)."""
    return {"name": "golden-hybrid", "start": "2027-01", "months": 12,
            "workload": {"requests_per_day": 3_000_000, "input_tokens": 1500, "output_tokens": 300,
                         "daily_profile": "business_hours"},
            "slo": {"ttft_p95_ms": 2000, "tpot_p95_ms": 60},
            "options": [{"name": "hybrid", "self_host": {
                "model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 4,
                "rent": {"offer": "lambda-gpu-4x-h100-sxm5"}, "base_replicas": base_replicas,
                "overflow": {"api": overflow_api}}}]}


def _share_text(option) -> str:
    sent = option.extra_monthly["overflow_requests"].sum() / option.requests.sum()
    return display_value(sent, "fraction")


def test_a_hybrid_option_is_checked_against_its_overflow_api_by_hand(bundled):
    """Issue 15 leftover: the requests a hybrid fleet overflows are served by its API, so that API's latency counts.

    Catalog latency (data/api_offers.yaml) and p95/median ratios 1.71 (TTFT), 1.33 (TPOT) (data/assumptions.yaml):
    * openai/gpt-4o: TTFT 530 ms x 1.71 = 906.3 ms <= 2,000; TPOT 1000 / 135 tok/s = 7.41 ms x 1.33 = 9.85 ms <= 60
      -> met, and the fleet meets it -> met;
    * azure/llama-3.1-405b: TTFT median 2,010 ms > 2,000 ms -> missed, whatever the fleet -> the option is infeasible;
    * together/llama-3.1-70b: no latency figure -> "latency not checked" (unknown), never met.
    """
    r = evaluate(parse_scenario(_hybrid("openai/gpt-4o")), bundled)
    o = r.option("hybrid")
    assert o.extra_monthly["overflow_requests"].sum() > 0  # 8 replicas do not carry the business-hours peak
    assert o.slo_status == "met"
    assert f"overflow API openai/gpt-4o ({_share_text(o)} of requests): TTFT p95 estimated 906 ms" in o.slo_reason
    assert "fleet: sized at the" in o.slo_reason

    with pytest.raises(ScenarioError, match=r"hybrid.*SLO missed: overflow API azure/llama-3.1-405b .*TTFT median "
                                            r"2,010 ms already exceeds the SLO p95 2,000 ms"):
        evaluate(parse_scenario(_hybrid("azure/llama-3.1-405b")), bundled)
    r = evaluate(parse_scenario(_hybrid("azure/llama-3.1-405b")), bundled, skip_infeasible=True)
    assert r.slo_checks["hybrid"][0] == "missed" and [n for n, _ in r.skipped] == ["hybrid"]

    o = evaluate(parse_scenario(_hybrid("together/llama-3.1-70b")), bundled).option("hybrid")
    assert o.slo_status == "unknown"
    assert "overflow API together/llama-3.1-70b" in o.slo_reason and "latency not checked" in o.slo_reason


def test_a_hybrid_fleet_that_never_overflows_answers_for_itself(bundled):
    # 1,000 replicas carry every hour: the slow API serves no request, so its latency does not count
    o = evaluate(parse_scenario(_hybrid("azure/llama-3.1-405b", base_replicas=1000)), bundled).option("hybrid")
    assert o.extra_monthly["overflow_requests"].sum() == 0
    assert o.slo_status == "met" and "no request overflows to azure/llama-3.1-405b" in o.slo_reason


# ---------------------------------------------------------------------------------------------
# CLI


def _write(tmp_path: Path, doc: dict) -> str:
    p = tmp_path / "s.yaml"
    p.write_text(dump_yaml(doc), encoding="utf-8")
    return str(p)


def test_cli_reference_moves_break_even_and_json_keys(tmp_path, capsys):
    data = str(MINI)
    assert main(["evaluate", _write(tmp_path, _doc()), "--data", data, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reference"] == "cheap"
    own = next(o for o in doc["options"] if o["name"] == "own")
    assert own["break_even_month"] is None
    assert doc["break_even_matrix"]["own"] == {"cheap": None, "dear": "2027-02"}
    for o in doc["options"]:
        assert o["slo_status"] in ("met", "missed", "unknown") and o["slo_reason"]
        for k in ("usd_per_million_input_tokens", "usd_per_million_output_tokens", "usd_per_million_tokens_at_capacity"):
            assert k in o
    assert main(["evaluate", _write(tmp_path, _doc(reference="dear")), "--data", data, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reference"] == "dear"
    assert next(o for o in doc["options"] if o["name"] == "own")["break_even_month"] == "2027-02"
    assert main(["evaluate", _write(tmp_path, _doc(reference="dear")), "--data", data]) == 0
    out = capsys.readouterr().out
    assert "Reference: dear (chosen in the scenario" in out and "GPUs used/billed" in out


def test_cli_strict_slo(tmp_path, capsys):
    path = _write(tmp_path, _strict(50))
    assert main(["evaluate", path]) == 2
    assert "SLO missed" in capsys.readouterr().err
    assert main(["evaluate", path, "--format", "json", "--skip-infeasible"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["skipped"][0]["name"] == "GPT-4o" and doc["skipped"][0]["slo_status"] == "missed"
    assert doc["options"][0]["slo_status"] == "unknown"


def test_unknown_reference_is_refused():
    with pytest.raises(ScenarioError, match="reference"):
        parse_scenario(_doc(reference="nope"))


def test_monte_carlo_point_percentile_and_reason(mini):
    from tco import analysis

    r = evaluate(parse_scenario(_doc()), mini)
    # API price change drawn from triangular(-0.5, 0, 0): every draw is at or below today's prices, so the
    # point estimate of an API option (no change) is the largest value: percentile ~100, outside P10-P90
    u = analysis.Uncertain("api_price_change_per_year", -0.5, 0.0, 0.0, label="API price change per year")
    fixed_load = analysis.Uncertain("requests_per_day", 2400, 2400, 2400)  # zero width: the base load every draw
    mc = analysis.monte_carlo(r, [u, fixed_load], draws=400, seed=1)
    row = next(x for x in mc.stats("total") if x["name"] == "dear")
    assert row["point"] == pytest.approx(r.option("dear").total_cash_usd)
    assert row["point_percentile"] > 90
    assert "above P90" in row["range_note"] and "top of its range" in row["range_note"]
    own = next(x for x in mc.stats("total") if x["name"] == "own")  # no API price: every draw equals the point
    assert own["point_percentile"] == pytest.approx(50.0) and own["range_note"] is None
    assert "point_percentile" in mc.to_dict()["options"][0]


def test_unit_costs_cached_and_batch(mini):
    # tests/test_engine.py's hand-worked bill: input $/M 0.75 x (0.8 x 2.5 + 0.2 x 1.25) + 0.25 x 1.25 = 2.0,
    # output $/M 0.75 x 10 + 0.25 x 5 = 8.75; a cached input token costs the cached price, 1.25
    doc = _doc(workload={"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500,
                         "cached_input_share": 0.2, "batch_share": 0.25},
               options=[{"name": "GPT-4o", "api": "openai/gpt-4o"}])
    o = evaluate(parse_scenario(doc), mini).option("GPT-4o")
    assert o.usd_per_million_input_tokens == pytest.approx(2.0)
    assert o.usd_per_million_output_tokens == pytest.approx(8.75)
    assert o.usd_per_million_cached_input_tokens == pytest.approx(1.25)
