"""Fine-tuning formulas (tco/model/fine_tuning.py), checked against hand calculations.

Golden setting: 100M training tokens x 3 epochs, MFU 0.40, a rented H100 SXM (989 dense BF16 TFLOPS,
80 GB) at 3.00 USD/GPU-hour; Llama 3.1 8B (8.03e9 params, 32 layers, hidden 4096, 8 KV heads x 128)
and Llama 3.1 70B (70.554e9 params, 80 layers, hidden 8192, 8 KV heads x 128).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.report import export
from tco.model import fine_tuning as ft
from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.core.exceptions import ScenarioError
from tco.scenario import parse_scenario

TOKENS, EPOCHS, MFU, H100_TFLOPS, H100_GB, USD_H = 1e8, 3, 0.40, 989.0, 80.0, 3.00

# (model, params_b, layers, hidden, method) -> (FLOPs, GPU-hours, GPUs, cost per run [USD])
# FLOPs = k x P x tokens x epochs; GPU-h = FLOPs / (989e12 x 0.40) / 3600 = FLOPs / 1.42416e18
GOLDEN = {
    # 4 x 8.03e9 x 1e8 x 3 = 9.636e18 FLOP -> 6.7661 GPU-h -> x 3.00 = 20.30 USD
    # memory 2 x 8.03 + 16 x 0.01363 + 1.644 = 17.92 GB -> 1 GPU
    ("8b", "lora"): (9.636e18, 6.766094, 1, 20.2983),
    # 6 x 8.03e9 x 3e8 = 1.4454e19 -> 10.1491 GPU-h -> 30.45 USD; 16 x 8.03 + 1.644 = 130.12 GB -> 2 GPUs
    ("8b", "full"): (1.4454e19, 10.149141, 2, 30.4474),
    # 4 x 70.554e9 x 3e8 = 8.46648e19 -> 59.4489 GPU-h -> 178.35 USD
    # memory 2 x 70.554 + 16 x 0.06554 + 6.510 = 148.67 GB -> 2 GPUs
    ("70b", "lora"): (8.46648e19, 59.448938, 2, 178.3468),
    # 6 x 70.554e9 x 3e8 = 1.269972e20 -> 89.1734 GPU-h -> 267.52 USD; 16 x 70.554 + 6.510 = 1135.37 GB -> 15 GPUs
    ("70b", "full"): (1.269972e20, 89.173407, 15, 267.5202),
}
MODELS = {"8b": (8.03, 32, 4096), "70b": (70.554, 80, 8192)}


@pytest.mark.parametrize("key", list(GOLDEN))
def test_golden_rented_h100(key):
    size, method = key
    params_b, layers, hidden = MODELS[size]
    flops_x, gpu_h_x, gpus_x, cost_x = GOLDEN[key]
    flops = ft.training_flops(params_b, TOKENS, EPOCHS, method)
    assert_allclose(flops, flops_x, rtol=1e-12)
    gpu_h = ft.training_gpu_hours(flops, H100_TFLOPS, MFU)
    assert_allclose(gpu_h, gpu_h_x, rtol=1e-6)
    adapters = ft.lora_adapter_params_b(layers, hidden, 8, 128) if method == "lora" else 0.0
    mem = ft.training_memory_gb(params_b, method, adapters, ft.training_activation_gb(layers, hidden))
    assert ft.training_gpus(mem, H100_GB) == gpus_x
    assert_allclose(ft.self_host_run_cost(gpu_h, USD_H), cost_x, rtol=1e-5)
    assert_allclose(ft.wall_clock_hours(gpu_h, gpus_x), gpu_h_x / gpus_x, rtol=1e-6)


def test_lora_adapters_and_activations_by_hand():
    # 8B: 16 x 32 x [2 x (4096 + 4096) + 2 x (4096 + 1024)] = 16 x 32 x 26,624 = 13,631,488 params
    assert_allclose(ft.lora_adapter_params_b(32, 4096, 8, 128), 13_631_488 / 1e9)
    # 8B, seq 4096, micro-batch 1: 4096 x 4096 x (2 x 32 + 34) = 1,644,167,168 B
    assert_allclose(ft.training_activation_gb(32, 4096), 1.644167168)
    # full state of 8B without activations: 16 B x 8.03e9 = 128.48 GB
    assert_allclose(ft.training_memory_gb(8.03, "full"), 128.48)


def test_lora_is_two_thirds_of_full():
    assert_allclose(ft.training_flops(8.03, 1e6, 1, "lora") / ft.training_flops(8.03, 1e6, 1, "full"), 2 / 3)


def test_run_months_by_hand():
    # start in month 2 (2026-03 of a 2026-01 scenario), 4 runs a year -> every 3 months, 24-month horizon
    assert ft.run_months(2, 4, 24).tolist() == [2, 5, 8, 11, 14, 17, 20, 23]
    assert ft.run_interval_months(4) == 3
    assert ft.run_interval_months(5) == 2  # 12 / 5 = 2.4 -> 2
    assert ft.run_interval_months(8) == 2  # 1.5 -> 2 (halves up)
    assert ft.run_interval_months(12) == 1
    assert ft.run_months(0, 0.5, 60).tolist() == [0, 24, 48]
    assert ft.run_months(30, 4, 24).tolist() == []  # start after the horizon: no run


def test_monthly_series_and_price_switch():
    assert ft.monthly_from_runs([1, 3], 10.0, 5).tolist() == [0, 10, 0, 10, 0]
    assert ft.switched_prices(0.15, 0.3, 2, 4).tolist() == [0.15, 0.15, 0.3, 0.3]


def test_api_run_cost_by_hand():
    # gpt-4o-mini SFT: 3.00 USD / 1M training tokens x 1e8 tokens x 3 epochs / 1e6 = 900 USD
    assert_allclose(ft.api_run_cost(3.0, 1e8, 3), 900.0)


def test_more_tokens_never_cost_less():
    t = np.array([1e6, 1e7, 1e8])
    gh = ft.training_gpu_hours(ft.training_flops(70.554, t, 2, "full"), 989.0, 0.4)
    assert np.all(np.diff(gh) > 0)


# ----------------------------------------------------------------------------------------------
# In the engine (bundled catalogs in data/)

FT = {"training_tokens": 1e8, "epochs": 3, "runs_per_year": 4, "method": "lora", "start": "2026-03", "mfu": 0.4}
BASE = {"name": "ft", "start": "2026-01", "months": 24,
        "workload": {"requests_per_day": 200000, "input_tokens": 800, "output_tokens": 300}}
RENTED_8B = {"name": "8B", "fine_tuned": True, "self_host": {
    "model": "llama-3.1-8b", "gpu": "h100-sxm", "capacity_rps_per_replica": 5, "rent": {"usd_per_gpu_hour": 3.0}}}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(catalog, options, ft=FT, **extra):
    return evaluate(parse_scenario({**BASE, **extra, "fine_tuning": ft, "options": options}), catalog)


def test_engine_rented_8b_lora_runs_and_line_item(catalog):
    o = run(catalog, [RENTED_8B]).options[0]
    li = o.line_items["fine_tuning"]
    runs = [i for i, v in enumerate(li.cash_usd) if v > 0]
    assert runs == [2, 5, 8, 11, 14, 17, 20, 23]
    assert_allclose(li.cash_usd[runs], 20.2983, rtol=1e-5)  # 6.766 GPU-h x 3.00 (golden above)
    assert np.array_equal(li.cash_usd, li.accrual_usd)
    assert_allclose(li.quantity[2], 6.766094, rtol=1e-6) and li.unit == "GPU-hours"
    assert [r.month for r in o.fine_tuning_runs][:2] == ["2026-03", "2026-06"]
    assert o.fine_tuning_runs[0].gpus == 1


def test_engine_rented_price_defaults_to_the_options_own_price(catalog):
    ft = {k: v for k, v in FT.items() if k != "mfu"}
    res = run(catalog, [RENTED_8B], ft=ft)
    used = {a.name: a for a in res.assumptions if a.option == "8B"}
    assert used["fine_tuning_gpu_hour_usd"].value == 3.0
    assert used["fine_tuning_mfu"].origin == "default" and used["fine_tuning_mfu"].value == 0.4042


def test_engine_owned_option_rents_its_training_at_the_cheapest_on_demand_offer(catalog):
    owned = {"name": "8B own", "fine_tuned": True, "self_host": {
        "model": "llama-3.1-8b", "gpu": "h100-sxm", "capacity_rps_per_replica": 5, "own": {"server": "hgx-h100-8gpu"}}}
    res = run(catalog, [owned])
    used = {a.name: a for a in res.assumptions if a.option == "8B own"}
    # cheapest H100 SXM on-demand offer: Lambda 8x H100 SXM5, 31.92 USD / 8 GPUs = 3.99 USD/GPU-h
    assert used["fine_tuning_gpu_hour_usd"].value == pytest.approx(3.99)
    assert "cheapest on-demand" in used["fine_tuning_gpu_hour_usd"].ref
    assert_allclose(res.options[0].fine_tuning_runs[0].cost_usd, 6.766094 * 3.99, rtol=1e-6)


def test_engine_full_70b_on_rented_h100(catalog):
    o70 = {"name": "70B", "fine_tuned": True, "self_host": {
        "model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 4, "capacity_rps_per_replica": 2,
        "rent": {"usd_per_gpu_hour": 3.0}}}
    run0 = run(catalog, [o70], ft={**FT, "method": "full"}).options[0].fine_tuning_runs[0]
    assert (run0.gpus, round(run0.gpu_hours, 4), round(run0.cost_usd, 2)) == (15, 89.1734, 267.52)
    assert run0.wall_hours == pytest.approx(89.173407 / 15, rel=1e-6)


def test_engine_api_fine_tuning_with_the_price_switch(catalog):
    res = run(catalog, [{"name": "mini", "api": "openai/gpt-4o-mini"},
                        {"name": "mini ft", "api": "openai/gpt-4o-mini", "fine_tuned": True}])
    base, tuned = res.options
    # month tokens: 200,000 x 730/24 = 6,083,333 requests; in 4,866.67 M tokens, out 1,825 M tokens
    # base 0.15 / 0.6 -> 730 + 1,095 = 1,825 USD; tuned 0.3 / 1.2 -> 1,460 + 2,190 = 3,650 USD
    assert_allclose(tuned.line_items["api"].cash_usd[:3], [1825.0, 1825.0, 3650.0])
    assert_allclose(base.line_items["api"].cash_usd[2], 1825.0)
    # a job: 3.00 USD / 1M x 1e8 x 3 / 1e6 = 900 USD, 8 runs
    assert_allclose(tuned.line_items["fine_tuning"].cash_usd.sum(), 8 * 900.0)
    assert_allclose(tuned.total_cash_usd, 2 * 1825 + 22 * 3650 + 7200)


def test_api_without_fine_tuning_offer_is_a_clear_error(catalog):
    with pytest.raises(ScenarioError, match=r"options\[0\].fine_tuned: API offer 'openai/gpt-4' has no fine-tuning offer"):
        run(catalog, [{"name": "gpt-4", "api": "openai/gpt-4", "fine_tuned": True}])
    with pytest.raises(ScenarioError, match="inline-priced APIs cannot be fine-tuned"):
        run(catalog, [{"name": "inline", "prices": {"input": 1, "output": 2}, "fine_tuned": True}])


def test_json_shows_fine_tuning_runs_and_line_item(catalog):
    doc = json.loads(export.to_json(run(catalog, [RENTED_8B])))
    opt = doc["options"][0]
    assert opt["fine_tuning_runs"][0] == {"month": "2026-03", "gpu_hours": 6.766094, "gpus": 1,
                                          "wall_hours": 6.766094, "cost_usd": 20.298281, "training_tokens": 3e8}
    assert opt["months"][2]["line_items"]["fine_tuning"]["cash_usd"] == 20.298281
    assert "fine_tuning" not in opt["months"][0]["line_items"] or opt["months"][0]["line_items"]["fine_tuning"]["cash_usd"] == 0


def test_fine_tuned_without_block_is_a_clear_error():
    with pytest.raises(ScenarioError, match="fine_tuned: true needs a fine_tuning block"):
        parse_scenario({**BASE, "options": [RENTED_8B]})
