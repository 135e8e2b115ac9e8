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


def _session_months(at) -> int:
    from tco.scenario import load_scenario_text
    from views import common

    return load_scenario_text(at.session_state[common.SCENARIO_YAML]).months


def test_scenarios_page_reports_another_users_save_and_keeps_the_edit(tmp_path):
    """Issue 21: the page saves over the version it saved (or opened) only; another user's save in between is a
    clear message, nothing is written, and the user chooses reload or overwrite."""
    from tco.scenario import load_scenario
    from tco.scenario import store

    at = _page("views/scenarios.py")
    at.text_input(key="scen_save_name").set_value("team").run()
    at.button(key="scen_save").click().run()
    path = tmp_path / "scenarios" / "team.yaml"
    mine = load_scenario(str(path))
    assert at.success and not at.error
    theirs = mine.model_copy(update={"months": mine.months + 7})
    store.save_scenario(theirs, "team", overwrite=True)  # another user (another process) saves the same file

    at.checkbox(key="scen_overwrite").check().run()
    at.button(key="scen_save").click().run()  # my save, based on the version I saved before
    assert not at.exception
    assert any("another user saved it" in e.value and "reload" in e.value for e in at.error), [e.value for e in at.error]
    assert load_scenario(str(path)).months == mine.months + 7  # nothing written: their save stands
    assert _session_months(at) == mine.months  # my scenario is still the one in effect
    at.button(key="scen_conflict_overwrite").click().run()  # I choose to overwrite
    assert not at.exception and load_scenario(str(path)).months == mine.months
    assert at.success and "over the other user's change" in at.success[0].value
    assert not any("another user saved it" in e.value for e in at.error)


def test_scenarios_page_reload_after_a_conflict_opens_their_version(tmp_path):
    from tco.scenario import load_scenario
    from tco.scenario import store

    at = _page("views/scenarios.py")
    at.text_input(key="scen_save_name").set_value("team").run()
    at.button(key="scen_save").click().run()
    path = tmp_path / "scenarios" / "team.yaml"
    mine = load_scenario(str(path))
    store.save_scenario(mine.model_copy(update={"months": mine.months + 7}), "team", overwrite=True)
    at.button(key="scen_save").click().run()  # the conflict is reported before any overwrite question
    assert any("another user saved it" in e.value for e in at.error)
    at.button(key="scen_conflict_reload").click().run()
    assert not at.exception and _session_months(at) == mine.months + 7  # their version is now in effect
    assert at.info and "Reloaded" in at.info[-1].value
    at.checkbox(key="scen_overwrite").check().run()
    at.button(key="scen_save").click().run()  # based on the version reloaded: lands
    assert at.success and not any("another user saved it" in e.value for e in at.error)


def test_scenarios_page_opening_a_user_file_remembers_its_version(tmp_path):
    from tco.scenario import load_scenario
    from tco.scenario import store

    at = _page("views/scenarios.py")
    at.text_input(key="scen_save_name").set_value("shared").run()
    at.button(key="scen_save").click().run()
    path = tmp_path / "scenarios" / "shared.yaml"
    at2 = _page("views/scenarios.py")  # a second user opens the file ...
    label = next(x for x in at2.selectbox(key="scen_load_choice").options if "shared.yaml" in x)
    at2.selectbox(key="scen_load_choice").set_value(label).run()
    at2.button(key="scen_load").click().run()
    assert at2.text_input(key="scen_save_name").value == "shared"
    at.checkbox(key="scen_overwrite").check().run()
    at.button(key="scen_save").click().run()  # ... the first saves again (same content, same version) ...
    theirs = load_scenario(str(path))
    store.save_scenario(theirs.model_copy(update={"months": theirs.months + 1}), "shared", overwrite=True)
    at2.button(key="scen_save").click().run()  # ... and the second's save would replace a newer file
    assert any("another user saved it" in e.value for e in at2.error)
    assert load_scenario(str(path)).months == theirs.months + 1
