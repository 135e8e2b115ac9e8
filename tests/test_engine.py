"""Golden tests for the core engine: hand-worked scenarios, every line item to the cent.

Catalog: tests/fixtures/mini_data (a tiny hand-built catalog; its assumptions are round numbers so
the arithmetic below is easy to follow). Month = 730 h; D = 730 / 24 = 30.41666... days.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.scenario import parse_scenario

MINI = Path(__file__).parent / "fixtures" / "mini_data"
CENT = 0.005


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


def scen(workload: dict, options: list, months: int = 3, **kw) -> object:
    doc = {"name": "golden", "start": "2027-01", "months": months, "workload": workload, "options": options}
    doc.update(kw)
    return parse_scenario(doc)


# ---------------------------------------------------------------------------------------------
# API with cached and batch shares


def test_api_cached_and_batch_shares(cat):
    # 2,400 req/day x 30.41666 d = 73,000 requests/month; 73M input tokens, 36.5M output tokens.
    s = scen({"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500,
              "cached_input_share": 0.2, "batch_share": 0.25},
             [{"name": "GPT-4o", "api": "openai/gpt-4o"}, {"name": "no cache", "api": "test/no-cache"}])
    r = evaluate(s, cat)
    gpt = r.option("GPT-4o")
    assert_allclose(gpt.requests, [73_000] * 3)
    assert_allclose(gpt.input_tokens, [73e6] * 3)
    # input $/M: 0.75 x (0.8 x 2.5 + 0.2 x 1.25) + 0.25 x 1.25 = 0.75 x 2.25 + 0.3125 = 2.0
    # output $/M: 0.75 x 10 + 0.25 x 5 = 8.75
    # month: 73 x 2.0 + 36.5 x 8.75 = 146 + 319.375 = 465.375
    api = gpt.line_items["api"]
    assert_allclose(api.cash_usd, [465.375] * 3, atol=CENT)
    assert_allclose(api.accrual_usd, [465.375] * 3, atol=CENT)
    assert_allclose(api.quantity, [109.5] * 3)  # 73 + 36.5 million tokens
    assert gpt.total_cash_usd == pytest.approx(3 * 465.375, abs=CENT)
    # usd per 1M tokens = 1396.125 / 328.5 M tokens = 4.25
    assert gpt.usd_per_million_tokens == pytest.approx(1396.125 / 328.5)
    # the offer without cached/batch prices bills everything at the normal price, and says so
    nc = r.option("no cache")
    assert_allclose(nc.line_items["api"].cash_usd, [73 * 1 + 36.5 * 2] * 3, atol=CENT)
    assert any("cached input" in n for n in nc.notes)
    assert any("batch input" in n for n in nc.notes)
    assert nc.break_even_month is None  # API options have no break-even

    assert r.reference == "GPT-4o"

def test_api_cache_writes(cat):
    # 73M input tokens, 36.5M output tokens a month (as above); c = 0.5 read from the cache, w = 0.2 written to it.
    # Anthropic-style prices: input 3, cached 0.3, cache write 3.75 (= 1.25 x input), output 15 USD/1M.
    # input $/M: 0.3 x 3 + 0.5 x 0.3 + 0.2 x 3.75 = 0.9 + 0.15 + 0.75 = 1.80; month: 73 x 1.8 + 36.5 x 15 = 678.90
    wl = {"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500, "cached_input_share": 0.5,
          "cache_write_share": 0.2}
    s = scen(wl, [{"name": "claude", "prices": {"input": 3, "output": 15, "cached_input": 0.3, "cache_write": 3.75}},
                  {"name": "no write price", "prices": {"input": 3, "output": 15, "cached_input": 0.3}}])
    r = evaluate(s, cat)
    assert_allclose(r.option("claude").line_items["api"].cash_usd, [678.90] * 3, atol=CENT)
    # no cache-write price: writes billed at the input price, and said: 73 x (0.9 + 0.15 + 0.6) + 547.5 = 667.95
    nw = r.option("no write price")
    assert_allclose(nw.line_items["api"].cash_usd, [667.95] * 3, atol=CENT)
    assert any("cache write" in n for n in nw.notes)
    # without cache writes the price is not needed and nothing changes (share 0 is the default)
    r0 = evaluate(scen({**wl, "cache_write_share": 0.0}, s.model_dump()["options"]), cat)
    assert_allclose(r0.option("claude").line_items["api"].cash_usd, [73 * (0.5 * 3 + 0.5 * 0.3) + 547.5] * 3, atol=CENT)
    assert not any("cache write" in n for n in r0.option("no write price").notes)
    # reads + writes cannot exceed the input tokens
    with pytest.raises(Exception, match="must not exceed 1"):
        scen({**wl, "cached_input_share": 0.9}, [{"name": "a", "prices": {"input": 1, "output": 1}}])


def test_inline_prices_override_catalog(cat):
    s = scen({"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500},
             [{"name": "discounted", "api": "openai/gpt-4o", "prices": {"input": 2.0}}])
    o = evaluate(s, cat).option("discounted")
    # 73 x 2.0 (inline) + 36.5 x 10 (catalog) = 511
    assert_allclose(o.line_items["api"].cash_usd, [511.0] * 3, atol=CENT)
    origins = {(a.name, a.origin) for a in evaluate(s, cat).assumptions if a.option == "discounted"}
    assert ("price_input", "scenario") in origins and ("price_output", "catalog") in origins


# ---------------------------------------------------------------------------------------------
# Rent per GPU and per instance, with growth

RENT_WORKLOAD = {"requests_per_day": 172_800, "input_tokens": 100, "output_tokens": 100,
                 "growth_per_month": 0.5, "peak_to_average": 2}


def test_rent_per_gpu_with_growth(cat):
    # avg rps month 0 = 172,800 / 86,400 = 2; peak = 4, 6, 9 req/s (growth 50 %/month)
    # replicas = max(1, ceil(peak / (1.0 x 0.8))) + 1: ceil(5) + 1 = 6, ceil(7.5) + 1 = 9, ceil(11.25) + 1 = 13
    # gpus = 2 x replicas = 12, 18, 26; cost = gpus x 2.5 x 730 = 21,900, 32,850, 47,450
    s = scen(RENT_WORKLOAD, [{"name": "rent", "self_host": {
        "model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "capacity_rps_per_replica": 1.0,
        "target_utilization": 0.8, "spare_replicas": 1, "staff_fte": 0.5, "rent": {"usd_per_gpu_hour": 2.5}}}])
    o = evaluate(s, cat).option("rent")
    assert_allclose(o.peak_rps, [4, 6, 9])
    assert_allclose(o.replicas, [6, 9, 13])
    assert_allclose(o.gpus, [12, 18, 26])
    assert_allclose(o.line_items["rent"].cash_usd, [21_900, 32_850, 47_450], atol=CENT)
    assert_allclose(o.line_items["rent"].quantity, [12 * 730, 18 * 730, 26 * 730])
    # staff = 0.5 FTE x 120,000 / 12 = 5,000 per month
    assert_allclose(o.line_items["staff"].cash_usd, [5_000] * 3, atol=CENT)
    assert o.total_cash_usd == pytest.approx(21_900 + 32_850 + 47_450 + 15_000, abs=CENT)
    assert o.total_accrual_usd == pytest.approx(o.total_cash_usd)
    assert set(o.line_items) == {"rent", "staff"}


def test_rent_per_instance_from_offer(cat):
    # same fleet: 12, 18, 26 GPUs -> ceil(/8) = 2, 3, 4 instances x 55.04 $/h x 730 h
    s = scen(RENT_WORKLOAD, [{"name": "rent8", "self_host": {
        "model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "capacity_rps_per_replica": 1.0,
        "target_utilization": 0.8, "spare_replicas": 1, "rent": {"offer": "test-8x-h100"}}}])
    o = evaluate(s, cat).option("rent8")
    assert_allclose(o.line_items["rent"].cash_usd, [2 * 55.04 * 730, 3 * 55.04 * 730, 4 * 55.04 * 730], atol=CENT)
    assert_allclose(o.line_items["rent"].cash_usd, [80_358.40, 120_537.60, 160_716.80], atol=CENT)
    assert o.line_items["rent"].unit == "instance-hours"
    # staff default for rented options is the catalog's staff_fte_rent = 0
    assert_allclose(o.line_items["staff"].cash_usd, [0, 0, 0])


def test_rent_spot_price_from_offer_and_inline_instance_price(cat):
    base = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 8, "capacity_rps_per_replica": 100.0}
    s = scen({"requests_per_day": 1000, "input_tokens": 10, "output_tokens": 10}, [
        {"name": "spot", "self_host": {**base, "rent": {"offer": "test-8x-h100", "pricing": "spot"}}},
        {"name": "inline", "self_host": {**base, "rent": {"usd_per_instance_hour": 40, "gpus_per_instance": 8}}},
    ], months=1)
    r = evaluate(s, cat)
    # 1 replica x 8 GPUs = 1 instance x 730 h
    assert r.option("spot").line_items["rent"].cash_usd[0] == pytest.approx(17.6289 * 730, abs=CENT)
    assert r.option("inline").line_items["rent"].cash_usd[0] == pytest.approx(40 * 730, abs=CENT)


# ---------------------------------------------------------------------------------------------
# Owned fleet over more months than its depreciation life


def test_owned_fleet_beyond_depreciation_life(cat):
    # peak = 6 x 1.05^m req/s (peak_to_average 1); capacity 1 req/s, utilisation 1, no spare, 1 GPU/replica
    # GPUs = ceil(6 x 1.05^m): m=5 -> 7.66 -> 8 GPUs (1 server); m=6 -> 8.04 -> 9 GPUs (2 servers); m=17 -> 13.75
    # owned = 1 for m 0-5, 2 for m 6-17; bought 1 in m0 and 1 in m6
    s = scen({"requests_per_day": 6 * 86_400, "input_tokens": 100, "output_tokens": 100, "growth_per_month": 0.05},
             [{"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1.0,
                                            "own": {"server": "test-server"}}}], months=18)
    o = evaluate(s, cat).option("own")
    owned = np.array([1] * 6 + [2] * 12, dtype=float)
    assert_allclose(o.servers, owned)
    li = o.line_items
    capex = np.zeros(18)
    capex[0] = capex[6] = 280_000
    assert_allclose(li["capex"].cash_usd, capex)
    assert_allclose(li["capex"].accrual_usd, 0)
    # depreciation: 280,000 / 12 = 23,333.33 per server-month over 12 months from purchase
    # m0-5: 1 server; m6-11: 2; m12-17: only the server bought in m6
    dep = np.array([1] * 6 + [2] * 6 + [1] * 6) * 280_000 / 12
    assert_allclose(li["depreciation"].accrual_usd, dep, atol=CENT)
    assert_allclose(li["depreciation"].cash_usd, 0)
    assert li["depreciation"].accrual_usd.sum() == pytest.approx(560_000, abs=CENT)
    # power = owned x 10.2 kW x 0.5 x 1.5 x 730 h x 0.10 $/kWh = owned x 558.45
    assert_allclose(li["power"].cash_usd, owned * 558.45, atol=CENT)
    assert_allclose(li["power"].quantity, owned * 10.2 * 0.5 * 1.5 * 730)
    # colo = owned x 10.2 kW x 200 $/kW-month = owned x 2,040
    assert_allclose(li["colo"].cash_usd, owned * 2_040, atol=CENT)
    # maintenance = owned x 280,000 x 0.12 / 12 = owned x 2,800
    assert_allclose(li["maintenance"].cash_usd, owned * 2_800, atol=CENT)
    # 30 server-months x (558.45 + 2,040 + 2,800) = 161,953.50
    assert o.total_cash_usd == pytest.approx(560_000 + 161_953.50, abs=CENT)
    assert o.total_accrual_usd == pytest.approx(560_000 + 161_953.50, abs=CENT)


def test_owned_fleet_never_shrinks_and_life_in_years(cat):
    # traffic falls 50 %/month: fleet stays at its first size; 2-year life -> 24 months of depreciation
    s = scen({"requests_per_day": 16 * 86_400, "input_tokens": 1, "output_tokens": 1, "growth_per_month": -0.5},
             [{"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 1.0,
                                            "own": {"server": "test-server", "depreciation_years": 2,
                                                    "server_price_usd": 240_000}}}], months=4)
    o = evaluate(s, cat).option("own")
    assert_allclose(o.gpus, [16, 8, 4, 2])
    assert_allclose(o.servers, [2, 2, 2, 2])
    assert_allclose(o.line_items["depreciation"].accrual_usd, [2 * 240_000 / 24] * 4, atol=CENT)
    # cash - accrual = capex - depreciation
    diff = o.total_cash_usd - o.total_accrual_usd
    assert diff == pytest.approx(480_000 - 4 * 20_000, abs=CENT)


# ---------------------------------------------------------------------------------------------
# Finance: NPV, break-even, $/1M tokens


def test_npv_and_break_even(cat):
    # API: 73M in + 36.5M out per month at 2.5 / 10 = 182.5 + 365 = 547.5 per month
    # rent: 1 replica x 1 GPU x 0.5 $/h x 730 = 365 per month -> cheaper from month 0
    s = scen({"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500},
             [{"name": "api", "api": "openai/gpt-4o"},
              {"name": "rent", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 10,
                                             "rent": {"usd_per_gpu_hour": 0.5}}},
              {"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 10,
                                            "own": {"server": "test-server"}}}],
             months=12, finance={"discount_rate": 0.12})
    r = evaluate(s, cat)
    api, rent, own = r.options
    assert api.break_even_month is None
    assert rent.break_even_month == "2027-01"
    assert own.break_even_month is None  # 280k server never pays back against 547.50/month
    # NPV = sum 547.5 / 1.12^(m/12), m = 0..11
    expected = sum(547.5 / 1.12 ** (m / 12) for m in range(12))
    assert api.npv_usd == pytest.approx(expected, abs=CENT)


def test_break_even_is_first_month_that_stays_below():
    from tco.finance import break_even_index, payback_index

    ref = np.array([20.0, 20, 20, 20, 20])
    # cumulative option 50, 50, 50, 50, 50 vs ref 20, 40, 60, 80, 100 -> stays below from m2
    assert break_even_index(np.array([50.0, 0, 0, 0, 0]), ref) == 2
    # dips below at m1 (cum 30 <= 40), above at m2 (70 > 60), below from m3 (70 <= 80) -> 3
    assert break_even_index(np.array([30.0, 0, 40, 0, 0]), ref) == 3
    # equal counts as break-even; never -> -1
    assert break_even_index(ref.copy(), ref) == 0
    assert break_even_index(np.array([100.0, 20, 20, 20, 20]), ref) == -1
    # payback needs strictly positive savings: equal is not paid back
    assert payback_index(ref.copy(), ref) == -1
    assert payback_index(np.array([50.0, 0, 0, 0, 0]), ref) == 2


def test_usd_per_million_tokens_uses_accrual(cat):
    s = scen({"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500},
             [{"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 10,
                                            "own": {"server": "test-server"}}}], months=12)
    o = evaluate(s, cat).option("own")
    tokens = 12 * 109.5e6
    assert o.usd_per_million_tokens == pytest.approx(o.total_accrual_usd / tokens * 1e6)


def test_defaults_are_reported_with_sources(cat):
    s = scen({"requests_per_day": 2400, "input_tokens": 1000, "output_tokens": 500},
             [{"name": "own", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "capacity_rps_per_replica": 10,
                                            "own": {"server": "test-server", "pue": 1.2}}}])
    used = {a.name: a for a in evaluate(s, cat).assumptions if a.option == "own"}
    assert used["pue"].origin == "scenario" and used["pue"].value == 1.2
    assert used["usd_per_kwh"].origin == "default" and used["usd_per_kwh"].source == "test"
    assert used["server_price_usd"].origin == "catalog" and "test-server" in used["server_price_usd"].ref


def test_unknown_ids_are_located(cat):
    from tco.exceptions import ScenarioError

    s = scen({"requests_per_day": 1, "input_tokens": 1, "output_tokens": 1},
             [{"name": "a", "api": "openai/gpt-5o"},
              {"name": "b", "self_host": {"model": "llama-9", "gpu": "h100-sxm", "capacity_rps_per_replica": 1,
                                          "rent": {"usd_per_gpu_hour": 1}}}])
    with pytest.raises(ScenarioError) as e:
        evaluate(s, cat, file="s.yaml")
    text = str(e.value)
    assert "s.yaml: options[0].api: unknown api id 'openai/gpt-5o'" in text
    assert "s.yaml: options[1].self_host.model: unknown model id 'llama-9'" in text


def test_missing_capacity_is_an_error_or_skipped(cat):
    from tco.exceptions import ScenarioError

    s = scen({"requests_per_day": 1000, "input_tokens": 100, "output_tokens": 100},
             [{"name": "api", "api": "openai/gpt-4o"},
              # 70B in bf16 = 141 GB of weights: cannot fit one 80 GB GPU, so no capacity can be derived
              {"name": "sh", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "precision": "bf16",
                                           "gpus_per_replica": 1, "rent": {"usd_per_gpu_hour": 1}}}])
    with pytest.raises(ScenarioError):
        evaluate(s, cat)
    r = evaluate(s, cat, skip_infeasible=True)
    assert [o.name for o in r.options] == ["api"]
    assert r.skipped and r.skipped[0][0] == "sh"
