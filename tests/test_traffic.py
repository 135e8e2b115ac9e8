"""Traffic forecasts and fleet dynamics (issue 5): golden tests worked by hand, properties, JSON keys,
and the pure helpers and figures behind the Traffic page.

Catalog: tests/fixtures/mini_data (round-number assumptions: PUE 1.5, 0.1 USD/kWh, colo 200 USD/kW-month,
load factor 0.5, maintenance 12 %/year, utilisation 1, no spare, no staff). Month = 730 h;
D = 730 / 24 = 30.41666... days, so each hour of the typical day occurs D times a month.

Most tests use the "two-level" day: 12 hours at weight 1 and 12 hours at weight 3 (mean 2), so with
172,800 requests/day (2 req/s on average) the load is 1 req/s for 12 hours and 3 req/s for 12 hours.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tco.analysis import traffic
from tco.catalog import load_catalog
from tco.charts.traffic import daily_profile_figure, forecast_figure, typical_day_figure
from tco.core.exceptions import ScenarioError
from tco.engine import LINE_ITEMS, evaluate
from tco.model import costs, workload
from tco.report import export
from tco.scenario import parse_scenario

MINI = Path(__file__).parent / "fixtures" / "mini_data"
ROOT = Path(__file__).resolve().parents[1]
CENT = 0.005
D = 730 / 24  # days per month = 30.41666...
TWO_LEVEL = [1.0] * 12 + [3.0] * 12  # hours 0-11 at 1 req/s, 12-23 at 3 req/s when the average is 2 req/s
SH = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 1, "capacity_rps_per_replica": 1.0,
      "target_utilization": 1.0, "spare_replicas": 0, "staff_fte": 0.0}


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


def scen(wl: dict, options: list, months: int = 1, **kw):
    doc = {"name": "traffic", "start": "2027-01", "months": months,
           "workload": {"input_tokens": 100, "output_tokens": 50, **wl}, "options": options}
    doc.update(kw)
    return parse_scenario(doc)


def sh(**over) -> dict:
    return {**SH, **over}


# ---------------------------------------------------------------------------------------------
# Forecasts


def test_s_curve_forecast():
    # steepness ln 3 makes the logistic L(m) = 1 / (1 + 3^-(m - 2)): L(0..4) = 0.1, 0.25, 0.5, 0.75, 0.9
    # rpd_m = 1,000 + (11,000 - 1,000) x (L(m) - 0.1) / 0.9
    s = scen({"requests_per_day": 1000, "growth": {"kind": "s_curve", "ceiling_requests_per_day": 11000,
                                                    "midpoint_month": 2, "steepness": float(np.log(3))}},
             [{"name": "api", "api": "test/no-cache"}], months=5)
    r = evaluate(s, load_catalog(MINI))
    expected = [1000, 1000 + 10000 * 0.15 / 0.9, 1000 + 10000 * 0.4 / 0.9, 1000 + 10000 * 0.65 / 0.9,
                1000 + 10000 * 0.8 / 0.9]  # 1,000; 2,666.67; 5,444.44; 8,222.22; 9,888.89
    assert_allclose(r.requests_per_day, expected, rtol=1e-12)
    # requests = rpd x D; API test/no-cache: input 1, output 2 USD/1M -> cost = requests x (100 x 1 + 50 x 2) / 1e6
    assert_allclose(r.option("api").requests, np.array(expected) * D)
    assert_allclose(r.option("api").line_items["api"].cash_usd, np.array(expected) * D * 200 / 1e6, atol=CENT)


def test_series_forecast_fills_the_first_month(cat):
    # requests_per_day omitted: taken from the series; peak = rpd / 86,400 x peak_to_average (1)
    s = scen({"growth": {"kind": "series", "requests_per_day": [86_400, 172_800, 43_200, 999]}},
             [{"name": "api", "api": "test/no-cache"}], months=3)
    assert s.workload.requests_per_day == 86_400
    o = evaluate(s, cat).option("api")
    assert_allclose(o.peak_rps, [1.0, 2.0, 0.5])  # the 4th value lies beyond the horizon
    # month 1: 172,800 x 30.41666 = 5,256,000 requests x 200 tokens-USD / 1e6 = 1,051.20 USD
    assert o.line_items["api"].cash_usd[1] == pytest.approx(5_256_000 * 200 / 1e6, abs=CENT)


def test_series_too_short_and_conflicting_first_month_are_errors():
    with pytest.raises(ScenarioError, match="has 2 values, the horizon has 3 months"):
        scen({"growth": {"kind": "series", "requests_per_day": [1, 2]}}, [{"name": "a", "api": "x"}], months=3)
    with pytest.raises(ScenarioError, match="differs from growth.requests_per_day"):
        scen({"requests_per_day": 5, "growth": {"kind": "series", "requests_per_day": [1, 2]}},
             [{"name": "a", "api": "x"}], months=2)


def test_linear_forecast_and_events(cat):
    # linear: 1,000 + 500 m = 1,000, 1,500, 2,000, 2,500; events x2 from 2027-02, x0.5 from 2027-04
    # -> 1,000, 3,000, 4,000, 2,500
    s = scen({"requests_per_day": 1000, "growth": {"kind": "linear", "requests_per_day_added_per_month": 500},
              "events": [{"month": "2027-02", "multiply": 2}, {"month": "2027-04", "multiply": 0.5},
                         {"month": "2031-01", "multiply": 9}]},  # after the horizon: no effect
             [{"name": "api", "api": "test/no-cache"}], months=4)
    assert_allclose(evaluate(s, cat).requests_per_day, [1000, 3000, 4000, 2500])


def test_compound_growth_and_event_equals_shorthand(cat):
    # growth {kind: compound, rate_per_month: 0.1} == growth_per_month: 0.1; event x2 from month 2
    # -> 1,000 x 1.1^m x (1, 1, 2) = 1,000, 1,100, 2,420
    a = scen({"requests_per_day": 1000, "growth": {"kind": "compound", "rate_per_month": 0.1},
              "events": [{"month": "2027-03", "multiply": 2}]}, [{"name": "api", "api": "test/no-cache"}], months=3)
    assert_allclose(evaluate(a, cat).requests_per_day, [1000, 1100, 2420])
    b = scen({"requests_per_day": 1000, "growth_per_month": 0.1}, [{"name": "api", "api": "test/no-cache"}], months=3)
    assert_allclose(evaluate(b, cat).requests_per_day, [1000, 1100, 1210])


def test_bad_traffic_fields_name_the_field():
    api = [{"name": "a", "api": "x"}]
    cases = [
        ({"requests_per_day": 1, "growth": {"kind": "s_curve", "ceiling_requests_per_day": 5}}, "needs midpoint_month, steepness"),
        ({"requests_per_day": 1, "growth": {"kind": "linear", "requests_per_day_added_per_month": 1, "rate_per_month": 0.1}},
         "does not use rate_per_month"),
        ({"requests_per_day": 1, "growth": {"kind": "compound", "rate_per_month": 0.1}, "growth_per_month": 0.1}, "not both"),
        ({"requests_per_day": 1, "events": [{"month": "2026-12", "multiply": 2}]}, "before the start"),
        ({"requests_per_day": 1, "events": [{"month": "2027-13", "multiply": 2}]}, "YYYY-MM"),
        ({"requests_per_day": 1, "daily_profile": "weekends"}, "unknown preset"),
        ({"requests_per_day": 1, "daily_profile": [1] * 23}, "needs 24 hourly weights"),
        ({"requests_per_day": 1, "daily_profile": [1] * 23 + [-1]}, "hour 23"),
        ({"requests_per_day": 1, "daily_profile": [0] * 24}, "at least one"),
        ({"requests_per_day": 1, "daily_profile": "flat", "peak_to_average": 2}, "not both"),
    ]
    for wl, msg in cases:
        with pytest.raises(ScenarioError, match=msg) as exc:
            scen(wl, api)
        assert "workload" in str(exc.value) or "events" in str(exc.value)


def test_autoscale_and_overflow_need_a_daily_profile():
    with pytest.raises(ScenarioError, match="rent.autoscale needs workload.daily_profile"):
        scen({"requests_per_day": 1}, [{"name": "r", "self_host": sh(rent={"usd_per_gpu_hour": 1, "autoscale": True})}])
    with pytest.raises(ScenarioError, match="overflow needs exactly one of base_replicas"):
        scen({"requests_per_day": 1, "daily_profile": "flat"},
             [{"name": "h", "self_host": sh(rent={"usd_per_gpu_hour": 1}, overflow={"api": "x"})}])


# ---------------------------------------------------------------------------------------------
# Daily profile + autoscaled per-GPU rental


def test_daily_profile_replaces_peak_to_average(cat):
    # two-level day, 172,800 req/day: peak hour = 2 x 3 / 2 = 3 req/s (largest weight 3 / mean 2 = 1.5 x average)
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL},
             [{"name": "fixed", "self_host": sh(gpus_per_replica=2, rent={"usd_per_gpu_hour": 2.0})}])
    o = evaluate(s, cat).option("fixed")
    assert_allclose(o.peak_rps, [3.0])
    # fixed fleet for the peak: 3 replicas x 2 GPUs = 6 GPUs x 730 h x 2 USD = 8,760 USD (the core rule)
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(8_760, abs=CENT)
    assert o.extra_monthly["gpu_hours"][0] == pytest.approx(6 * 730)


def test_autoscaled_rent_per_gpu_golden(cat):
    # hours 0-11: 1 req/s -> max(1, ceil(1 / 1)) + 1 spare = 2 replicas = 4 GPUs
    # hours 12-23: 3 req/s -> ceil(3) + 1 = 4 replicas = 8 GPUs
    # GPU-hours = (12 x 4 + 12 x 8) x D = 144 x 30.41666 = 4,380; rent = 4,380 x 2 USD = 8,760 USD
    # (the fixed fleet would be 8 GPUs x 730 h = 5,840 GPU-h = 11,680 USD)
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "auto", "self_host": sh(gpus_per_replica=2, spare_replicas=1, rent={"usd_per_gpu_hour": 2.0, "autoscale": True})},
        {"name": "fixed", "self_host": sh(gpus_per_replica=2, spare_replicas=1, rent={"usd_per_gpu_hour": 2.0})},
    ])
    r = evaluate(s, cat)
    auto, fixed = r.option("auto"), r.option("fixed")
    assert auto.extra_monthly["gpu_hours"][0] == pytest.approx(4_380)
    assert auto.line_items["rent"].cash_usd[0] == pytest.approx(8_760, abs=CENT)
    assert auto.line_items["rent"].quantity[0] == pytest.approx(4_380)
    assert fixed.line_items["rent"].cash_usd[0] == pytest.approx(11_680, abs=CENT)
    assert auto.replicas[0] == 4 and auto.gpus[0] == 8  # the month's peak-hour fleet
    assert "reserved_unused" not in auto.line_items


def test_autoscale_min_replicas_and_per_instance_price(cat):
    # min_replicas 2: hours 0-11 max(2, 1) = 2 replicas, hours 12-23 3 replicas; 4 GPUs per replica
    # per-instance price (8 GPUs, 40 USD/h): ceil(8 / 8) = 1 instance for 12 h, ceil(12 / 8) = 2 for 12 h
    # instance-hours = (12 x 1 + 12 x 2) x D = 36 x 30.41666 = 1,095; rent = 1,095 x 40 = 43,800 USD
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "inst", "self_host": sh(gpus_per_replica=4, rent={"usd_per_instance_hour": 40, "gpus_per_instance": 8,
                                                                   "autoscale": True, "min_replicas": 2})}])
    o = evaluate(s, cat).option("inst")
    assert o.line_items["rent"].quantity[0] == pytest.approx(1_095)
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(43_800, abs=CENT)
    assert o.extra_monthly["gpu_hours"][0] == pytest.approx((12 * 8 + 12 * 12) * D)  # 7,300 GPU-h needed


# ---------------------------------------------------------------------------------------------
# Reserved + on-demand


def test_reserved_plus_on_demand_with_unused_hours(cat):
    # autoscaled, 1 GPU per replica: 1 GPU for hours 0-11, 3 GPUs for hours 12-23; 2 GPUs reserved at 1.5 USD
    # hours 0-11: reserved used 1, idle 1, on demand 0; hours 12-23: reserved used 2, on demand 1 (at 2.5 USD)
    # reserved used = (12 x 1 + 12 x 2) x D = 1,095 GPU-h; idle = 12 x 1 x D = 365; on demand = 12 x 1 x D = 365
    # rent = 1,095 x 1.5 + 365 x 2.5 = 1,642.50 + 912.50 = 2,555.00 USD; reserved_unused = 365 x 1.5 = 547.50 USD
    # check: rent + reserved_unused = 2 GPUs x 730 h x 1.5 (the commitment, 2,190) + 912.50 on demand = 3,102.50
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "res", "self_host": sh(rent={"usd_per_gpu_hour": 2.5, "autoscale": True, "reserved_gpus": 2,
                                              "usd_per_gpu_hour_reserved": 1.5})}])
    o = evaluate(s, cat).option("res")
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(2_555.00, abs=CENT)
    assert o.line_items["reserved_unused"].cash_usd[0] == pytest.approx(547.50, abs=CENT)
    assert o.line_items["reserved_unused"].accrual_usd[0] == pytest.approx(547.50, abs=CENT)
    assert o.line_items["reserved_unused"].quantity[0] == pytest.approx(365)
    assert o.line_items["rent"].quantity[0] == pytest.approx(1_095 + 365)
    assert o.total_cash_usd == pytest.approx(3_102.50, abs=CENT)


def test_reserved_fixed_fleet_and_reserved_price_from_offer(cat):
    # fixed fleet 3 GPUs every hour (peak 3 req/s), 4 reserved: idle 1 GPU x 730 h.
    # The mini offer has no reserved price -> an inline price is required.
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "res", "self_host": sh(rent={"usd_per_gpu_hour": 2.5, "reserved_gpus": 4, "usd_per_gpu_hour_reserved": 1.0})}])
    o = evaluate(s, cat).option("res")
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(3 * 730 * 1.0, abs=CENT)  # 2,190: all on reserve
    assert o.line_items["reserved_unused"].cash_usd[0] == pytest.approx(1 * 730 * 1.0, abs=CENT)  # 730
    bad = scen({"requests_per_day": 1000}, [
        {"name": "res", "self_host": sh(gpus_per_replica=8, rent={"offer": "test-8x-h100", "reserved_gpus": 8})}])
    with pytest.raises(ScenarioError, match="usd_per_gpu_hour_reserved"):
        evaluate(bad, cat)


def test_spot_capacity_overhead(cat):
    # capacity 1 x (1 - 0.5) = 0.5 req/s per replica; peak 3 req/s -> 6 replicas (instead of 3)
    # 6 GPUs -> ceil(6 / 8) = 1 instance x 17.6289 USD x 730 h = 12,869.10 USD
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "spot", "self_host": sh(rent={"offer": "test-8x-h100", "pricing": "spot", "interruption_overhead": 0.5})}])
    o = evaluate(s, cat).option("spot")
    assert o.replicas[0] == 6
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(17.6289 * 730, abs=CENT)
    assert any("strict latency SLO" in n for n in o.notes)


# ---------------------------------------------------------------------------------------------
# Hybrid: self-host the base, overflow to an API


def test_hybrid_base_replicas_golden(cat):
    # base_replicas 2, capacity 1 req/s, utilisation 0.8 -> fleet serves 2 x 1 x 0.8 = 1.6 req/s
    # hours 12-23 carry 3 req/s: overflow 1.4 req/s x 12 h; hours 0-11 (1 req/s) none
    # overflow_requests = 12 x 1.4 x 3,600 x D = 60,480 x 30.41666 = 1,839,600 requests
    # tokens: input 183.96M, output 91.98M. Prices: input 1, cached 0.5 (cached share 0.5), output 2 USD/1M
    # api_overflow = 183.96 x (0.5 x 1 + 0.5 x 0.5) + 91.98 x 2 = 137.97 + 183.96 = 321.93 USD
    # fleet: 2 + 1 spare = 3 replicas x 1 GPU x 730 h x 2 USD = 4,380 USD
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL, "cached_input_share": 0.5}, [
        {"name": "hyb", "self_host": sh(target_utilization=0.8, spare_replicas=1, rent={"usd_per_gpu_hour": 2.0},
                                        base_replicas=2,
                                        overflow={"prices": {"input": 1, "output": 2, "cached_input": 0.5}})}])
    r = evaluate(s, cat)
    o = r.option("hyb")
    assert o.extra_monthly["overflow_requests"][0] == pytest.approx(1_839_600)
    assert o.line_items["api_overflow"].cash_usd[0] == pytest.approx(321.93, abs=CENT)
    assert o.line_items["api_overflow"].quantity[0] == pytest.approx(183.96 + 91.98)
    assert o.replicas[0] == 3
    assert o.line_items["rent"].cash_usd[0] == pytest.approx(4_380, abs=CENT)
    # served by the fleet: 1 - 1,839,600 / (172,800 x D = 5,256,000) = 0.65
    share = traffic.served_shares(r)[0]
    assert share.api_share == pytest.approx(0.35) and share.fleet_share == pytest.approx(0.65)
    day = traffic.typical_day(r, "hyb")
    assert_allclose(day.capacity_rps, 1.6)
    assert_allclose(day.overflow_rps, [0.0] * 12 + [1.4] * 12)
    # JSON: overflow_requests per month, api_overflow line item
    j = export.to_json_dict(r)["options"][0]["months"][0]
    assert j["overflow_requests"] == pytest.approx(1_839_600)
    assert j["line_items"]["api_overflow"]["cash_usd"] == pytest.approx(321.93, abs=CENT)


def test_hybrid_sized_for_hour_percentile(cat):
    # hourly loads: 1 req/s x 12, 3 req/s x 12. Nearest rank: q = 0.5 -> k = ceil(12) = 12th smallest = 1 req/s
    # -> 1 replica (capacity 1, utilisation 1); q = 0.55 -> k = ceil(13.2) = 14th smallest = 3 req/s -> 3 replicas
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL}, [
        {"name": "p50", "self_host": sh(rent={"usd_per_gpu_hour": 1.0}, size_for_hour_percentile=0.5,
                                        overflow={"api": "test/no-cache"})},
        {"name": "p55", "self_host": sh(rent={"usd_per_gpu_hour": 1.0}, size_for_hour_percentile=0.55,
                                        overflow={"api": "test/no-cache"})}])
    r = evaluate(s, cat)
    assert r.option("p50").replicas[0] == 1 and r.option("p55").replicas[0] == 3
    # p50 overflow = 12 h x (3 - 1) req/s x 3,600 x D = 2,628,000 requests; p55 none
    assert r.option("p50").extra_monthly["overflow_requests"][0] == pytest.approx(2_628_000)
    assert r.option("p55").extra_monthly["overflow_requests"][0] == 0
    assert_allclose(workload.hour_percentile(np.array(TWO_LEVEL), [0.5, 0.55, 1.0]), [1, 3, 3])


# ---------------------------------------------------------------------------------------------
# Owned fleet with lead time, refresh and residual


def test_owned_fleet_lead_time_refresh_residual(cat):
    # needed servers (1 GPU each, 1 req/s per replica): series 1, 1, 2, 2, 2, 2, 2 req/s -> owned 1,1,2,2,2,2,2
    # first needed: 1 in month 0, 1 in month 2. Lead time 1 month: bought in month 0 (clamped) and month 1
    # life = 12 x 0.25 = 3 months; refresh: each purchase repeats every 3 months while in the horizon:
    #   bought = 1, 1, 0, 1, 1, 0, 1 (months 0, 3, 6 and 1, 4); capex = 1,200 x bought
    # depreciation 1,200 / 3 = 400 per server-month; servers in life: 1, 2, 2, 2, 2, 2, 2
    # residual_share 0.25 (300 per server): retired with refresh in months 3, 4, 6; 2 servers held at the end
    #   cash = 0, 0, 0, -300, -300, 0, -300 - 600 = -900
    # book value at the end: the server bought in month 6 has 2 of 3 months left -> 800 (month 4's has 0)
    #   accrual = cash + [BV in the last month] = 0, 0, 0, -300, -300, 0, -900 + 800 = -100
    # power uses servers in service (1, 1, 2, ...): 1 x 1 kW x 0.5 x 1.5 x 730 h x 0.1 USD = 54.75 USD per server
    s = scen({"growth": {"kind": "series", "requests_per_day": [86_400, 86_400] + [172_800] * 5}}, [
        {"name": "own", "self_host": sh(own={"gpus_per_server": 1, "server_price_usd": 1200, "server_power_kw": 1.0,
                                             "depreciation_years": 0.25, "lead_time_months": 1, "refresh": True,
                                             "residual_share": 0.25})}], months=7)
    o = evaluate(s, cat).option("own")
    li = o.line_items
    assert_allclose(o.servers, [1, 1, 2, 2, 2, 2, 2])
    assert_allclose(li["capex"].cash_usd, [1200, 1200, 0, 1200, 1200, 0, 1200])
    assert_allclose(li["depreciation"].accrual_usd, [400, 800, 800, 800, 800, 800, 800])
    assert_allclose(li["residual"].cash_usd, [0, 0, 0, -300, -300, 0, -900], atol=CENT)
    assert_allclose(li["residual"].accrual_usd, [0, 0, 0, -300, -300, 0, -100], atol=CENT)
    assert_allclose(li["residual"].quantity, [0, 0, 0, 1, 1, 0, 3])
    assert_allclose(li["power"].cash_usd, [54.75, 54.75] + [109.5] * 5, atol=CENT)
    # over the horizon, capex + residual cash = depreciation + residual accrual (6,000 - 1,500 = 5,200 - 700)
    assert li["capex"].cash_usd.sum() + li["residual"].cash_usd.sum() == pytest.approx(
        li["depreciation"].accrual_usd.sum() + li["residual"].accrual_usd.sum())
    assert o.total_cash_usd == pytest.approx(o.total_accrual_usd)
    assert LINE_ITEMS["residual"] == (True, True)


def test_owned_without_refresh_keeps_servers_and_sells_at_the_end(cat):
    # 1 server bought month 0 (lead time 3 clamps to month 0), life 2 months, horizon 3, residual 0.5:
    # cash -600 in month 2; book value 0 (fully depreciated) -> accrual -600 (a gain)
    s = scen({"requests_per_day": 86_400}, [
        {"name": "own", "self_host": sh(own={"gpus_per_server": 1, "server_price_usd": 1200, "server_power_kw": 1.0,
                                             "depreciation_years": 1 / 6, "lead_time_months": 3, "residual_share": 0.5})}],
        months=3)
    li = evaluate(s, cat).option("own").line_items
    assert_allclose(li["capex"].cash_usd, [1200, 0, 0])
    assert_allclose(li["depreciation"].accrual_usd, [600, 600, 0])
    assert_allclose(li["residual"].cash_usd, [0, 0, -600])
    assert_allclose(li["residual"].accrual_usd, [0, 0, -600])


def test_new_fields_absent_give_the_core_result(cat):
    # without issue-5 fields no new line item or JSON key appears (except gpu_hours for rented options)
    s = scen({"requests_per_day": 86_400, "peak_to_average": 2}, [
        {"name": "own", "self_host": sh(own={"server": "test-server"})},
        {"name": "rent", "self_host": sh(rent={"usd_per_gpu_hour": 2})}], months=2)
    r = evaluate(s, cat)
    assert set(r.option("own").line_items) == {"capex", "depreciation", "power", "colo", "maintenance", "staff"}
    assert set(r.option("rent").line_items) == {"rent", "staff"}
    months = {o["name"]: o["months"][0] for o in export.to_json_dict(r)["options"]}
    assert "gpu_hours" in months["rent"] and "gpu_hours" not in months["own"]
    assert not any("overflow_requests" in m for m in months.values())


# ---------------------------------------------------------------------------------------------
# Properties

weights_st = st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=24, max_size=24).filter(lambda w: sum(w) > 0.1)
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(w=weights_st, rpd=st.floats(0, 1e7), cap=st.floats(0.05, 50), util=st.floats(0.1, 1.0),
       spare=st.integers(0, 3), gpr=st.integers(1, 8), price=st.floats(0.1, 10), per_instance=st.booleans())
def test_autoscaled_rent_never_exceeds_the_fixed_fleet(w, rpd, cap, util, spare, gpr, price, per_instance):
    rent = {"usd_per_instance_hour": price * 8, "gpus_per_instance": 8} if per_instance else {"usd_per_gpu_hour": price}
    base = sh(capacity_rps_per_replica=cap, target_utilization=util, spare_replicas=spare, gpus_per_replica=gpr)
    s = scen({"requests_per_day": rpd, "daily_profile": w}, [
        {"name": "auto", "self_host": {**base, "rent": {**rent, "autoscale": True}}},
        {"name": "fixed", "self_host": {**base, "rent": rent}}], months=2)
    r = evaluate(s, load_catalog(MINI))
    assert np.all(r.option("auto").line_items["rent"].cash_usd <= r.option("fixed").line_items["rent"].cash_usd * (1 + 1e-9) + 1e-9)


@PROPS
@given(w=weights_st, rpd=st.floats(0, 1e6), reserved=st.integers(1, 50), autoscale=st.booleans(),
       p_res=st.floats(0.01, 5), gpr=st.integers(1, 4))
def test_reserved_unused_hours_never_negative(w, rpd, reserved, autoscale, p_res, gpr):
    # on-demand price 0, so rent is the used reserved hours only: used + idle = the whole commitment
    s = scen({"requests_per_day": rpd, "daily_profile": w}, [
        {"name": "r", "self_host": sh(gpus_per_replica=gpr, rent={"usd_per_gpu_hour": 0.0, "autoscale": autoscale,
                                                                  "reserved_gpus": reserved,
                                                                  "usd_per_gpu_hour_reserved": p_res})}], months=2)
    o = evaluate(s, load_catalog(MINI)).option("r")
    ru = o.line_items["reserved_unused"]
    assert np.all(ru.quantity >= 0) and np.all(ru.cash_usd >= 0)
    assert np.all(ru.quantity <= reserved * 730 * (1 + 1e-12))
    assert_allclose(o.line_items["rent"].cash_usd + ru.cash_usd, reserved * 730 * p_res, rtol=1e-9)


@PROPS
@given(w=weights_st, rpd=st.floats(0, 1e7), cap=st.floats(0.05, 50), util=st.floats(0.1, 1.0), extra=st.integers(0, 3))
def test_overflow_is_zero_when_the_fleet_covers_the_peak_hour(w, rpd, cap, util, extra):
    peak = rpd / 86_400 * max(w) / (sum(w) / 24)
    base = max(1, int(np.ceil(peak / (cap * util) - 1e-9))) + extra
    s = scen({"requests_per_day": rpd, "daily_profile": w}, [
        {"name": "h", "self_host": sh(capacity_rps_per_replica=cap, target_utilization=util,
                                      rent={"usd_per_gpu_hour": 1.0}, base_replicas=base,
                                      overflow={"prices": {"input": 1, "output": 2}})}], months=2)
    o = evaluate(s, load_catalog(MINI)).option("h")
    assert_allclose(o.extra_monthly["overflow_requests"], 0.0, atol=1e-6)
    assert_allclose(o.line_items["api_overflow"].cash_usd, 0.0, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Pure formulas


def test_lead_time_clamps_to_month_zero_and_refresh_repeats():
    # needed 2, 0, 1, 0, 3 with lead time 2: month 0 buys months 0-2 (3), month 2 buys month 4 (3)
    assert_allclose(costs.purchases_with_lead_time([2, 0, 1, 0, 3], 2), [3, 0, 3, 0, 0])
    assert_allclose(costs.purchases_with_lead_time([2, 0, 1, 0, 3], 0), [2, 0, 1, 0, 3])
    assert_allclose(costs.refresh_purchases(np.array([[2, 0, 1, 0, 0, 0, 0]]), np.array([[3]])), [[2, 0, 1, 2, 0, 1, 2]])
    # bought months 0 and 2, life 3, horizon 5: both fully depreciated -> 0; bought in month 4 -> 2/3 left
    assert costs.book_value_end([2, 0, 1, 0, 0], 1200.0, 3) == 0
    assert costs.book_value_end([0, 0, 0, 0, 1], 1200.0, 3) == pytest.approx(800)


def test_presets_and_hourly_rps():
    for name in traffic.PRESETS:
        w = workload.daily_weights(name)
        assert w.shape == (24,) and w.mean() == pytest.approx(1.0) and np.all(w >= 0)
    h = workload.hourly_rps([172_800.0], workload.daily_weights(TWO_LEVEL))
    assert h.shape == (1, 24)
    assert_allclose(h[0], [1.0] * 12 + [3.0] * 12)


# ---------------------------------------------------------------------------------------------
# App helpers and figures


def test_parse_series_csv_ok_and_errors():
    start, vals = traffic.parse_series_csv(b"month,requests_per_day\n2027-01,1000\n2027-02,1500.5\n")
    assert start == "2027-01" and vals == [1000.0, 1500.5]
    bad = {
        b"": "empty",
        b"when,value\n2027-01,1\n": "header",
        b"month,requests_per_day\n": "no data rows",
        b"month,requests_per_day\n2027-01,abc\n": "line 2: requests_per_day must be a number",
        b"month,requests_per_day\n2027-01,-5\n": "line 2",
        b"month,requests_per_day\nJan,5\n": "line 2: month must be YYYY-MM",
        b"month,requests_per_day\n2027-01,5\n2027-03,5\n": "line 3: months must be consecutive",
        b"month,requests_per_day\n2027-01,5,7\n": "2 columns",
        b"\xff\xfe\x00": "UTF-8",
        b"month,requests_per_day\n" + b"2027-01,1\n" * 10_000: "too large",
    }
    for data, msg in bad.items():
        with pytest.raises(traffic.SeriesCsvError, match=msg):
            traffic.parse_series_csv(data)
    with pytest.raises(traffic.SeriesCsvError, match="scenario starts 2027-02"):
        traffic.parse_series_csv(b"month,requests_per_day\n2027-01,1\n", start="2027-02")


def test_figures(cat):
    s = scen({"requests_per_day": 172_800, "daily_profile": TWO_LEVEL,
              "events": [{"month": "2027-02", "multiply": 2}]}, [
        {"name": "api", "api": "test/no-cache"},
        {"name": "hyb", "self_host": sh(rent={"usd_per_gpu_hour": 1.0}, base_replicas=2, overflow={"api": "test/no-cache"})},
        {"name": "auto", "self_host": sh(rent={"usd_per_gpu_hour": 1.0, "autoscale": True})}], months=3)
    r = evaluate(s, cat)
    labels, rpd = traffic.forecast(s)
    fig = forecast_figure(labels, rpd, traffic.event_month_indices(s))
    assert list(fig.data[0].y) == [172_800, 345_600, 345_600]
    assert fig.layout.yaxis.title.text.endswith("[req/day]")
    bars = daily_profile_figure(TWO_LEVEL)
    assert list(bars.data[0].y) == [0.5] * 12 + [1.5] * 12 and len(bars.data[0].x) == 24
    day = traffic.typical_day(r, "hyb", 1)  # month 1: 2 req/s and 6 req/s; fleet 2 req/s
    fig = typical_day_figure(day)
    names = [t.name for t in fig.data]
    assert names == ["fleet capacity (x target utilisation)", "overflow to the API", "load"]
    assert_allclose(fig.data[1].y, [2.0] * 12 + [6.0] * 12)  # the shaded band tops out at the load
    auto = traffic.typical_day(r, "auto", 0)  # autoscaled capacity follows the load: 1 and 3 replicas
    assert_allclose(auto.capacity_rps, [1.0] * 12 + [3.0] * 12)
    assert [t.name for t in typical_day_figure(auto).data] == ["fleet capacity (x target utilisation)", "load"]
    with pytest.raises(ValueError):
        traffic.typical_day(r, "api")
    shares = {x.option: x for x in traffic.served_shares(r)}
    assert shares["api"].api_share == 1 and shares["auto"].fleet_share == 1


# ---------------------------------------------------------------------------------------------
# Example scenarios and documentation


@pytest.mark.parametrize("name", ["diurnal_autoscale.yaml", "hybrid_overflow.yaml"])
def test_example_scenarios_evaluate(name):
    from tco.scenario import load_scenario

    path = ROOT / "data" / "scenarios" / name
    s = load_scenario(str(path))
    catalog = load_catalog(ROOT / "data")
    r = evaluate(s, catalog)
    doc = json.loads(export.to_json(r))
    items = {k for o in doc["options"] for m in o["months"] for k in m["line_items"]}
    keys = {k for o in doc["options"] for m in o["months"] for k in m}
    if name == "hybrid_overflow.yaml":
        assert "api_overflow" in items and "overflow_requests" in keys
    else:
        assert "gpu_hours" in keys and "reserved_unused" in items


@pytest.mark.parametrize("name", ["diurnal_autoscale.yaml", "hybrid_overflow.yaml"])
def test_example_scenarios_round_trip_through_yaml(name):
    from tco.scenario import load_scenario, load_scenario_text

    s = load_scenario(str(ROOT / "data" / "scenarios" / name))
    again = load_scenario_text(s.to_yaml())
    assert again == s


def test_every_traffic_field_is_documented():
    from tco.scenario import Event, Growth, Overflow, Own, Rent, SelfHost, Workload

    text = (ROOT / "docs" / "scenario_traffic.md").read_text()
    fields = (["growth", "events", "daily_profile"] + list(Growth.model_fields) + list(Event.model_fields)
              + list(Overflow.model_fields)
              + ["autoscale", "min_replicas", "reserved_gpus", "usd_per_gpu_hour_reserved", "interruption_overhead"]
              + ["lead_time_months", "refresh", "residual_share"] + ["overflow", "base_replicas", "size_for_hour_percentile"])
    for f in fields:
        assert f"`{f}`" in text, f"{f} missing from docs/scenario_traffic.md"
    assert {"autoscale", "reserved_gpus"} <= set(Rent.model_fields)
    assert {"lead_time_months"} <= set(Own.model_fields) and {"overflow"} <= set(SelfHost.model_fields)
    assert {"daily_profile"} <= set(Workload.model_fields)
