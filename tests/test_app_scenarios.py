"""AppTest: the Scenarios and Optimizer pages render, compare, run and hand a candidate to Compare."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _clear(monkeypatch, tmp_path):
    monkeypatch.setenv("TCO_SCENARIO_DIR", str(tmp_path / "scenarios"))
    st.cache_data.clear()
    st.cache_resource.clear()


def _page(view: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(view)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_scenarios_page_compares_two_bundled(tmp_path):
    at = _page("views/scenarios.py")
    assert len(at.multiselect(key="scen_compare").value) == 2
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) == 1
    df = at.dataframe[0].value
    assert len(df) == 2 and df["vs first [USD]"].iloc[0] in ("$0", "$0.00", "$0k")
    at.radio(key="scen_curves").set_value("cheapest option only").run()
    assert not at.exception


def test_scenarios_page_saves_and_asks_before_overwriting(tmp_path):
    at = _page("views/scenarios.py")
    at.text_input(key="scen_save_name").set_value("../../mine").run()
    at.button(key="scen_save").click().run()
    assert (tmp_path / "scenarios" / "mine.yaml").exists() and not (tmp_path.parent / "mine.yaml").exists()
    at.button(key="scen_save").click().run()
    assert at.warning and "Overwrite" in at.warning[0].value


def test_optimizer_page_runs_and_uses_a_candidate():
    at = _page("views/optimizer.py")
    assert at.info  # asks for a search first
    at.multiselect(key="opt_models").set_value(["llama-3.1-8b"])
    at.multiselect(key="opt_gpus").set_value(["h100-sxm"])
    at.checkbox(key="opt_apis").set_value(False)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe) >= 2 and len(at.get("plotly_chart")) == 1
    choice = at.selectbox(key="opt_use_choice").value
    at.button(key="opt_use").click().run()
    assert at.success and not at.exception
    names = [r["name"] for r in at.session_state["self_host_rows_current"]]
    assert choice in names
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception


def test_optimizer_bad_size_filter_is_a_message():
    at = _page("views/optimizer.py")
    at.text_input(key="opt_size").set_value("8B to 70B!!")
    at.button[0].click().run()
    assert not at.exception and at.error
