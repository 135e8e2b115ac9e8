"""The app's issue-18 parts: the Compare page's "Costs beyond GPUs" editor (views/cost_lines_section.py) and the
Finance page's capital charge and commitments table (AppTest, bundled data), plus the editor's pure conversions."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tco.catalog import load_catalog
from tco.model.cost_lines import lines_to_rows, rows_to_lines
from tco.scenario.defaults import default_scenario
from tco.scenario import CostLine, load_scenario
from tco.scenario.builder import scenario_to_inputs

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
FINANCE = str(ROOT / "views" / "finance.py")
EXAMPLE = ROOT / "data" / "scenarios" / "costs_beyond_gpus.yaml"


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_rows_round_trip():
    lines = [{"name": "Audit", "kind": "monthly", "amount_usd": 100.0, "applies_to": "all",
              "months": ["2027-01", "2027-06"]},
             {"name": "Burn-in", "kind": "one_off", "amount_usd": 5.0, "applies_to": ["A", "B, owned"], "month": "2027-02",
              "amortize_months": 3, "source": "s"}]
    assert rows_to_lines(lines_to_rows(lines)) == lines
    assert rows_to_lines([{"name": None, "kind": float("nan")}]) == []  # a blank row is dropped
    for c in rows_to_lines(lines_to_rows(lines)):
        CostLine.model_validate(c)


def _compare_with_costs(costs: list[dict]) -> AppTest:
    s = default_scenario(load_catalog())
    d = s.to_dict()
    d["costs"] = costs
    from tco.scenario import parse_scenario

    values, api_rows, sh_rows = scenario_to_inputs(parse_scenario(d))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["compare_values"] = values
    for key, rows in (("api_rows", api_rows), ("self_host_rows", sh_rows)):
        at.session_state[key + "_base"] = rows
    return at.run()


def test_compare_keeps_a_loaded_scenarios_cost_lines_and_adds_a_catalog_line():
    at = _compare_with_costs([{"name": "SOC 2 audit", "kind": "monthly", "amount_usd": 4166.67}])
    assert not at.exception, at.exception
    assert any(e.label == "Costs beyond GPUs" for e in at.expander)
    assert any(c.value == "1 cost line(s) in the scenario." for c in at.caption)
    assert "SOC 2 audit" in at.session_state["compare_last_good_yaml"]
    at.selectbox(key="cost_line_pick").set_value("nvidia-ai-enterprise").run()
    at.button(key="cost_line_add").click().run()
    assert not at.exception, at.exception
    yaml_text = at.session_state["compare_last_good_yaml"]
    assert "NVIDIA AI Enterprise licence" in yaml_text and "SOC 2 audit" in yaml_text
    assert any(c.value == "2 cost line(s) in the scenario." for c in at.caption)


def test_the_section_is_built_on_demand_and_keeps_the_lines_while_closed():
    at = _compare_with_costs([{"name": "SOC 2 audit", "kind": "monthly", "amount_usd": 4166.67}])
    assert at.session_state["cost_lines_open"]  # a loaded scenario's lines are shown
    at.selectbox(key="cost_line_pick").set_value("nvidia-ai-enterprise").run()
    at.button(key="cost_line_add").click().run()
    at.session_state["cost_lines_open"] = False
    at.run()
    assert not at.exception, at.exception
    assert not any("cost line(s) in the scenario" in c.value for c in at.caption)  # closed: the editor is not built
    yaml_text = at.session_state["compare_last_good_yaml"]
    assert "NVIDIA AI Enterprise licence" in yaml_text and "SOC 2 audit" in yaml_text  # ... and the lines stay
    at.session_state["cost_lines_open"] = True
    at.run()
    assert not at.exception, at.exception
    assert any(c.value == "2 cost line(s) in the scenario." for c in at.caption)  # reopened on the current lines


def test_egress_line_needs_the_gb_per_token():
    at = _compare_with_costs([])
    assert not any(c.value.endswith("cost line(s) in the scenario.") for c in at.caption)  # closed, not built
    at.session_state["cost_lines_open"] = True
    at.run()
    at.selectbox(key="cost_line_pick").set_value("egress-aws-internet").run()
    at.button(key="cost_line_add").click().run()
    assert not at.exception
    assert any("workload.egress_gb_per_million_tokens" in e.value for e in at.error)


def test_finance_shows_capital_charge_and_commitments():
    at = AppTest.from_file(FINANCE, default_timeout=120)
    at.session_state["compare_last_good_yaml"] = load_scenario(str(EXAMPLE)).to_yaml()
    at.run()
    assert not at.exception, at.exception
    tables = [df.value for df in at.dataframe]
    cap = next(t for t in tables if "Owed after the horizon [USD]" in t.columns)
    rented = cap[cap["Option"] == "Llama 3.1 70B, rented 4x H100, reserved term"].iloc[0]
    # 6 months of the 24-month term from 2028-07 lie past a 36-month horizon: 6 x 0.75 x 8 x 2.2 x 730 = 57,816
    assert rented["Owed after the horizon [USD]"] == pytest.approx(57_816)
    owned = cap[cap["Option"] == "Llama 3.1 70B, owned HGX H100"].iloc[0]
    assert owned["Economic [USD/GPU-h]"] > 0 and owned["Capital charge [USD]"] > 0
