"""Hand-worked finance: price trends month by month, NPV at a non-zero rate, payback, the fiscal-year view,
and a break-even volume found by the sweep that matches one solved by hand.

Catalog: tests/fixtures/mini_data. Month = 730 h; D = 730 / 24 days; API price in USD per 1M tokens.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco import analysis
from tco.catalog import load_catalog
from tco.engine import evaluate, price_trend_factor
from tco.model import finance
from tco.scenario import parse_scenario

MINI = Path(__file__).parent / "fixtures" / "mini_data"
D = 730 / 24


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


def scen(options, months=12, finance_=None, **workload):
    wl = {"requests_per_day": 24_000, "input_tokens": 1000, "output_tokens": 0}
    wl.update(workload)
    doc = {"name": "finance", "start": "2027-01", "months": months, "workload": wl, "options": options,
           "ops": {"fte_cost_per_year": 120_000}}
    if finance_:
        doc["finance"] = finance_
    return parse_scenario(doc)


API = {"name": "API", "prices": {"input": 1.0, "output": 1.0}}
RENT = {"name": "Rent", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1000,
                                      "rent": {"usd_per_gpu_hour": 2.0}}}


def test_price_trend_factor_by_month():
    # (1 - 0.3)^(m/12): month 0 = 1, month 6 = sqrt(0.7), month 12 = 0.7, month 24 = 0.49
    f = price_trend_factor(25, -0.3)
    assert_allclose(f[[0, 6, 12, 24]], [1.0, 0.7 ** 0.5, 0.7, 0.49], rtol=1e-12)


def test_api_price_trend_applied_month_by_month(cat):
    # 24,000 req/day x D = 730,000 requests/month x 1,000 tokens = 730M tokens = 730 x 1M at $1 -> $730 in month 0,
    # then x (1 - 0.5)^(m/12): month 12 = $365.
    r = evaluate(scen([API], months=13, finance_={"api_price_change_per_year": -0.5}), cat)
    api = r.options[0].cash_usd
    expected = 730.0 * 0.5 ** (np.arange(13) / 12)
    assert_allclose(api, expected, rtol=1e-12)
    assert api[12] == pytest.approx(365.0)


def test_rent_and_electricity_trends(cat):
    # Rent: 1 GPU x $2/h x 730 h = $1,460 in month 0, x 1.2^(m/12) with a +20%/yr rent trend.
    r = evaluate(scen([RENT], months=13, finance_={"rent_price_change_per_year": 0.2}), cat)
    rent = r.options[0].line_items["rent"].cash_usd
    assert_allclose(rent, 1460.0 * 1.2 ** (np.arange(13) / 12), rtol=1e-12)
    # Electricity: 1 server x 10 kW x load 0.5 x PUE 1.5 x 730 h = 5,475 kWh x $0.10 = $547.50, x 0.9^(m/12).
    own = {"name": "Own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1000,
                                        "own": {"gpus_per_server": 8, "server_price_usd": 12_000, "server_power_kw": 10}}}
    r = evaluate(scen([own], months=13, finance_={"electricity_price_change_per_year": -0.1}), cat)
    power = r.options[0].line_items["power"].cash_usd
    assert_allclose(power, 547.5 * 0.9 ** (np.arange(13) / 12), rtol=1e-12)


def test_trend_defaults_recorded_when_catalog_has_none(cat):
    r = evaluate(scen([API]), cat)
    used = {a.name: a for a in r.assumptions if a.option == ""}
    assert used["api_price_change_per_year"].value == 0.0
    assert r.finance_inputs["api_price_change_per_year"] == 0.0


def test_npv_non_zero_rate_by_hand():
    # cash 100 every month for 13 months at 12%/yr: sum 100 / 1.12^(m/12), m = 0..12
    cash = np.full(13, 100.0)
    by_hand = sum(100.0 / 1.12 ** (m / 12) for m in range(13))
    assert finance.npv(cash, 0.12) == pytest.approx(by_hand, rel=1e-12)
    # month 12 is discounted by exactly one year: 100 / 1.12
    assert 100.0 / 1.12 ** (12 / 12) == pytest.approx(89.2857142857, rel=1e-9)


def test_npv_in_result_uses_discount_rate(cat):
    r = evaluate(scen([API], months=12, finance_={"discount_rate": 0.1}), cat)
    assert r.options[0].npv_usd == pytest.approx(sum(730.0 / 1.1 ** (m / 12) for m in range(12)), rel=1e-12)


def test_payback_by_hand():
    # API costs 100/month; self-host pays 250 up front then 40/month.
    # cumulative savings: m0 100-250=-150, m1 -90, m2 -30, m3 +30, m4 +90 ... -> payback month index 3.
    api = np.full(6, 100.0)
    sh = np.array([250.0, 40, 40, 40, 40, 40])
    assert int(finance.payback_index(sh, api)) == 3
    # savings that turn negative again at the end never "stay" positive
    sh2 = np.array([250.0, 40, 40, 40, 40, 400])
    assert int(finance.payback_index(sh2, api)) == -1


def test_payback_table_for_an_owned_fleet(cat):
    # API: 730 USD/month. Own: one server $1,200, depreciation 1 year, staff 0, power/colo/maintenance from mini_data:
    # power 1 x 1 kW x 0.5 x 1.5 x 730 x 0.1 = 54.75; colo 1 x 1 x 200 = 200; maintenance 1200 x 0.12 / 12 = 12.
    # monthly opex 266.75; savings m0 = 730 - 1466.75 = -736.75, then +463.25 a month: cumulative > 0 from m2.
    own = {"name": "Own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1000,
                                        "own": {"gpus_per_server": 8, "server_price_usd": 1200, "server_power_kw": 1}}}
    r = evaluate(scen([API, own], months=6), cat)
    assert r.option("Own").cash_usd[0] == pytest.approx(1466.75)
    rows = {row["option"]: row for row in analysis.payback_table(r, "cash")}
    assert rows["Own"]["payback_month"] == "2027-03"
    assert rows["Own"]["payback_months"] == 3
    assert rows["API"]["payback_month"] is None


def test_fiscal_year_view(cat):
    # 12 months from 2027-01 with FY starting in July: Jan-Jun 2027 -> FY2027 (6 months), Jul-Dec -> FY2028.
    assert analysis.fiscal_year_of("2027-06", 7) == 2027
    assert analysis.fiscal_year_of("2027-07", 7) == 2028
    assert analysis.fiscal_year_of("2027-12", 1) == 2027
    r = evaluate(scen([API], months=12, finance_={"fiscal_year_start_month": 7}), cat)
    v = analysis.annual_view(r, "cash")
    assert v.years == ["FY2027", "FY2028"]
    assert v.months_in_year == [6, 6]
    assert_allclose(v.values[0], [6 * 730.0, 6 * 730.0])
    assert v.values.sum() == pytest.approx(r.options[0].total_cash_usd)


def test_annual_accrual_differs_from_cash_by_capex_minus_depreciation(cat):
    own = {"name": "Own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1000,
                                        "own": {"gpus_per_server": 8, "server_price_usd": 24_000, "server_power_kw": 1,
                                                "depreciation_years": 2}}}
    r = evaluate(scen([own], months=12), cat)
    cash = analysis.annual_view(r, "cash").values[0, 0]
    acc = analysis.annual_view(r, "accrual").values[0, 0]
    # capex 24,000 in month 0; depreciation 24,000 / 24 = 1,000 per month x 12 months = 12,000
    assert cash - acc == pytest.approx(24_000 - 12_000)


def test_break_even_volume_matches_hand_solution(cat):
    # API: v req/day x D x 1,000 tokens / 1e6 x $1 = v x D / 1,000 per month.
    # Rent: capacity 1,000 req/s -> always 1 replica = 1 GPU x $2 x 730 h = $1,460 per month.
    # Equal when v x D / 1,000 = 1,460 -> v = 1,460,000 / D = 1,460,000 x 24 / 730 = 48,000 requests/day.
    r = evaluate(scen([API, RENT], months=12), cat)
    sweep = analysis.break_even_volume(r, "cash")
    assert len(sweep.crossings) == 1
    c = sweep.crossings[0]
    assert c.direction == "self_host_cheaper_above"
    assert c.requests_per_day == pytest.approx(48_000, rel=1e-6)
    assert c.sentence == "self-hosting Rent beats API above 48,000 requests/day"
    # the sweep itself: totals are the batch evaluation of each volume
    k = int(np.argmin(abs(sweep.volumes - 24_000)))
    assert sweep.totals[k, 0] == pytest.approx(12 * sweep.volumes[k] * D / 1000)
    assert_allclose(sweep.totals[:, 1], 12 * 1460.0)


def test_break_even_sweep_reports_never(cat):
    cheap_api = {"name": "Cheap", "prices": {"input": 0.0001, "output": 0.0001}}
    r = evaluate(scen([cheap_api, RENT], months=6), cat)
    sweep = analysis.break_even_volume(r)
    assert sweep.crossings == []
    assert sweep.summaries[0].startswith("self-hosting Rent never beats Cheap")
