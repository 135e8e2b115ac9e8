"""tco.core.percent (the one percent conversion, plausibility, plain numbers) and tco.scenario.view (summary,
differences, names following configuration, tokens/day, break-even matrix, Monte Carlo point percentile)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tco.core import percent
from tco.catalog import load_catalog
from tco.scenario.defaults import default_scenario
from tco.scenario.builder import FIELD_BY_KEY, build_scenario, scenario_to_inputs
from tco.scenario.view import (
    follow_names,
    point_estimate_percentile,
    range_note,
    requests_per_day_from_tokens,
    scenario_diff,
    self_host_auto_name,
    summary_items,
    tokens_per_day,
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_percent_round_trip_is_exact_for_typed_values():
    for typed in (8, 7, 0.5, 3, -30, 12.25, 100):
        assert percent.to_percent(percent.from_percent(typed)) == typed
    assert percent.from_percent(8) == 0.08 and percent.to_percent(0.07) == 7
    assert percent.from_percent(None) is None and percent.to_percent(None) is None


def test_the_builder_uses_the_percent_helper():
    assert all(FIELD_BY_KEY[k].percent for k in ("growth_pct", "cached_input_pct", "batch_pct", "discount_rate_pct"))


def test_implausible_values_have_a_reason():
    assert percent.implausible("growth_per_month", 0.08) is None
    reason = percent.implausible("growth_per_month", 8.0)  # 800 %/month: someone typed a fraction as 8?
    assert reason and "800 %" in reason and "100 %/month" in reason
    assert percent.implausible("discount_rate", 0.5) is None and percent.implausible("discount_rate", 0.51)
    assert percent.implausible("price_change_per_year", -0.9) is None


@pytest.mark.parametrize("x, text", [(150_000, "150,000"), (350_000.0, "350,000"), (0.00012, "0.00012"),
                                     (1234.5678, "1,235"), (2.5e39, "2,500,000,000,000,000,000,000,000,000,000,000,000,000"),
                                     (-0.3, "-0.3"), (0, "0")])
def test_plain_numbers_never_use_scientific_notation(x, text):
    assert percent.plain_number(x) == text
    assert "e+" not in percent.plain_number(x) and "e-" not in percent.plain_number(x)


def test_tornado_style_labels_in_percent_and_plain_numbers():
    assert percent.display_value(150_000, "USD/FTE-year") == "150,000 USD/FTE-year"
    assert percent.display_value(0.03, "fraction/month") == "3 %/month"
    assert percent.display_value(-0.5, "fraction/year") == "-50 %/year"


def test_tokens_per_day_and_back():
    # 1,000,000 req/day x (1,000 + 300) tokens = 1.3e9 tokens/day
    assert tokens_per_day(1_000_000, 1000, 300) == 1_300_000_000
    assert requests_per_day_from_tokens(2_600_000_000, 1000, 300) == 2_000_000
    with pytest.raises(ValueError):
        requests_per_day_from_tokens(1e9, 0, 0)


def test_summary_and_differences(catalog):
    s = default_scenario(catalog, start="2026-01")
    items = dict(summary_items(s, "GPT-4o API"))
    assert items["Reference"] == "GPT-4o API" and "3 %/month" in items["Load"] and "1,300,000,000 tokens/day" in items["Load"]
    assert items["SLO"] == "TTFT p95 2,000 ms, TPOT p95 100 ms" and items["Quality floor"] == "none"
    doc = s.to_dict()
    changed = s.to_dict()
    changed["workload"]["growth_per_month"] = 0.08
    changed["options"] = changed["options"][1:]
    diff = scenario_diff(doc, changed)
    assert ("workload.growth_per_month", "0.03", "0.08") in diff
    assert ("options[GPT-4o API]", "present", "(removed)") in diff
    assert scenario_diff(doc, doc) == []


def test_names_follow_the_configuration_unless_typed():
    def auto(row):
        return self_host_auto_name("Llama 3.1 70B", "rent", row["gpus_per_replica"], "H100")

    prev = [{"name": "Llama 3.1 70B rent 4x H100", "gpus_per_replica": 4},
            {"name": "our cluster", "gpus_per_replica": 4}]
    rows = [{"name": "Llama 3.1 70B rent 4x H100", "gpus_per_replica": 2},
            {"name": "our cluster", "gpus_per_replica": 2}]
    out, changed = follow_names(prev, rows, auto)
    assert changed and out[0]["name"] == "Llama 3.1 70B rent 2x H100" and out[1]["name"] == "our cluster"
    # a name typed in the same edit as a configuration change is kept
    out, changed = follow_names(prev, [{"name": "mine", "gpus_per_replica": 8}, prev[1]], auto)
    assert not changed and out[0]["name"] == "mine"
    assert self_host_auto_name("Llama 3.1 8B", "rent", 1, "H100", "fp8", "spot") == "Llama 3.1 8B rent 1x H100 fp8 spot"


def test_builder_round_trip_keeps_default_names_as_auto_names(catalog):
    s = default_scenario(catalog)
    values, api_rows, sh_rows = scenario_to_inputs(s)
    assert build_scenario(values, api_rows, sh_rows).to_dict() == s.to_dict()
    for o in s.options:
        if o.self_host:
            sh = o.self_host
            pay = "rent" if sh.rent else "own"
            gname = catalog.gpus[sh.gpu].name.split()[0]
            assert o.name == self_host_auto_name(catalog.models[sh.model].name, pay, sh.gpus_per_replica, gname,
                                                 sh.precision, sh.rent.pricing if sh.rent else None)


def test_point_estimate_percentile_and_range_note():
    draws = np.arange(1, 101, dtype=float)  # 1..100
    assert point_estimate_percentile(draws, 50) == 50.0
    assert point_estimate_percentile(draws, 100) == 100.0
    u = SimpleNamespace(key="api_price_change_per_year", label="API price change per year", low=-0.5, mode=0.0, high=0.0)
    note = range_note(10.0, 90.0, 95.0, 96.0, [u])
    assert "above the P10-P90" in note and "-50 % .. 0 % around 0 %" in note
    assert range_note(10.0, 90.0, 50.0, 50.0, [u]) is None
