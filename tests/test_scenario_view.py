"""tco.core.percent (the one percent conversion, plausibility, plain numbers) and tco.scenario.view (summary,
differences, names following configuration, tokens/day, break-even matrix, Monte Carlo point percentile)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tco.core import percent
from tco.catalog import load_catalog
from tco.scenario.defaults import default_scenario
from tco.core.exceptions import ScenarioError
from tco.scenario.builder import FIELD_BY_KEY, build_scenario, option_names, scenario_to_inputs
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


def test_catalog_records_in_percent_when_their_unit_is_a_fraction():
    assert percent.shown_as_percent(0.07, "fraction per year") == (7.0, "% per year")
    assert percent.shown_as_percent(0.7, "fraction") == (70.0, "%")
    assert percent.shown_as_percent(1.58, "ratio") == (1.58, "ratio")
    row = {"id": "m", "value": 0.1, "low": 0.05, "high": None, "unit": "fraction of capex per year", "kind": "sourced"}
    assert percent.shown_row(row, ("value", "low", "high")) == {**row, "value": 10.0, "low": 5.0,
                                                                "unit": "% of capex per year"}
    kw = {"id": "k", "value": 0.08065, "low": 0.05, "unit": "USD/kWh"}
    assert percent.shown_row(kw, ("value", "low")) == kw  # not a fraction: as in the file
    assert percent.shown_row({"id": "p"}, ("value",)) == {"id": "p"}  # no unit


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


def test_two_rows_with_the_same_configuration_get_unique_names():
    def auto(row):
        return self_host_auto_name("Llama 3.1 8B", "rent", row["gpus_per_replica"], "H100")

    # two new, unnamed rows with one configuration: the second is numbered
    out, changed = follow_names([], [{"name": None, "gpus_per_replica": 1}, {"name": None, "gpus_per_replica": 1}], auto)
    assert changed and [r["name"] for r in out] == ["Llama 3.1 8B rent 1x H100", "Llama 3.1 8B rent 1x H100 (2)"]
    # a row changed into another row's configuration takes the next free number
    prev = out + [{"name": "Llama 3.1 8B rent 2x H100", "gpus_per_replica": 2}]
    rows = [dict(r) for r in prev]
    rows[2]["gpus_per_replica"] = 1
    out, changed = follow_names(prev, rows, auto)
    assert changed and out[2]["name"] == "Llama 3.1 8B rent 1x H100 (3)"
    # a numbered name is still generated: it follows its row's configuration
    rows = [dict(r) for r in out]
    rows[1]["gpus_per_replica"] = 4
    out, changed = follow_names(out, rows, auto)
    assert changed and out[1]["name"] == "Llama 3.1 8B rent 4x H100"
    # a typed name is never numbered or replaced
    out, _ = follow_names([], [{"name": "ours", "gpus_per_replica": 1}, {"name": "ours", "gpus_per_replica": 1}], auto)
    assert [r["name"] for r in out] == ["ours", "ours"]


def test_unique_name_and_its_variants():
    from tco.scenario import is_generated_variant, unique_name

    assert unique_name("a", set()) == "a"
    assert unique_name("a", {"a"}) == "a (2)"
    assert unique_name("a", {"a", "a (2)", "a (3)"}) == "a (4)"
    assert is_generated_variant("a (12)", "a") and is_generated_variant("a", "a")
    assert not is_generated_variant("a (x)", "a") and not is_generated_variant("ab", "a")
    assert not is_generated_variant(None, "a") and not is_generated_variant("a", None)


def test_builder_numbers_unnamed_options_with_the_same_configuration(catalog):
    """Unnamed rows take their name from the configuration (tco.scenario.default_option_name); two alike rows
    used to share it and the scenario refused them ("option names must be unique")."""
    values, _, _ = scenario_to_inputs(default_scenario(catalog))
    row = {"name": None, "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus_per_replica": 1,
           "payment": "rent: own $/GPU-hour", "usd_per_gpu_hour": 2.0}
    api = {"name": None, "api": "openai/gpt-4o"}
    s = build_scenario(values, [api, dict(api), {"name": "openai/gpt-4o (2)", "api": "openai/gpt-4o-mini"}],
                       [row, dict(row)])
    assert [o.name for o in s.options] == [
        "openai/gpt-4o", "openai/gpt-4o (3)",  # "(2)" is typed by the third row: the typed name is kept
        "openai/gpt-4o (2)",
        "llama-3.1-8b 1x h100-sxm bf16, rent at $2/GPU-hour", "llama-3.1-8b 1x h100-sxm bf16, rent at $2/GPU-hour (2)"]


def test_builder_reference_field_round_trip(catalog):
    s = default_scenario(catalog)
    chosen = s.options[-1].name
    values, api_rows, sh_rows = scenario_to_inputs(s.model_copy(update={"reference": chosen}))
    assert values["reference"] == chosen and "reference" not in values["extra"]
    assert build_scenario(values, api_rows, sh_rows).reference == chosen
    assert option_names(values, api_rows, sh_rows) == [o.name for o in s.options]
    for default in (None, "", "  "):  # the page's "Automatic" is blank: the default rule
        assert build_scenario({**values, "reference": default}, api_rows, sh_rows).reference is None
    with pytest.raises(ScenarioError, match="reference: 'gone' is not the name of an option"):
        build_scenario({**values, "reference": "gone"}, api_rows, sh_rows)


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
