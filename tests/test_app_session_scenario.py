"""One scenario across the app (issue 22) and the honest-answer UI items (issue 15): AppTest on the bundled data.

Every page reads and writes the session scenario (views.common.SCENARIO_YAML, also in the address as ?s=).
These tests change a setting on one page and read the effect on Compare, check that the downloaded YAML
evaluated by the CLI gives Compare's headline, that percent means percent, that names follow the
configuration, and that the address restores the scenario in a new session.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tco.report import export
from tco.scenario import share
from tco.scenario import load_scenario_text

ROOT = Path(__file__).resolve().parent.parent

from tco.catalog import load_catalog  # noqa: E402
APP = str(ROOT / "app.py")
SCENARIO_YAML = "compare_last_good_yaml"  # views.common.SCENARIO_YAML


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _scenario(at: AppTest):
    return load_scenario_text(at.session_state[SCENARIO_YAML], "session")


def _totals_table(at: AppTest):
    return next(d.value for d in at.dataframe if "NPV [USD]" in d.value.columns)


def _cli_json(yaml_text: str, tmp_path: Path) -> dict:
    path = tmp_path / "downloaded.yaml"
    path.write_text(yaml_text)
    out = subprocess.run([sys.executable, "-m", "tco", "evaluate", str(path), "--format", "json"], cwd=ROOT,
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def test_typing_8_into_every_growth_and_rate_field_means_8_percent():
    at = _app()
    at.number_input(key="growth_pct").set_value(8.0).run()
    assert _scenario(at).workload.growth_per_month == pytest.approx(0.08)
    _go(at, "views/traffic.py")
    assert at.number_input(key="traffic_rate").value == pytest.approx(8.0)  # shown as percent
    at.number_input(key="traffic_rate").set_value(9.0).run()
    assert not at.exception
    assert _scenario(at).workload.growth_per_month == pytest.approx(0.09)
    _go(at, "views/finance.py")
    for key, field in (("fin_api_change", "api_price_change_per_year"), ("fin_rent_change", "rent_price_change_per_year"),
                       ("fin_discount_rate", "discount_rate")):
        at.number_input(key=key).set_value(8.0).run()
        assert not at.exception
        assert getattr(_scenario(at).finance, field) == pytest.approx(0.08), key


def test_implausible_growth_needs_confirmation_with_the_reason():
    at = _app()
    before = _scenario(at).workload.growth_per_month
    at.number_input(key="growth_pct").set_value(250.0).run()  # 250 %/month
    assert not at.exception
    assert _scenario(at).workload.growth_per_month == before  # refused until confirmed
    assert any("implausible" in e.value for e in at.error)
    at.checkbox(key="confirm_growth_pct").check().run()
    assert _scenario(at).workload.growth_per_month == pytest.approx(2.5)


def test_growth_on_traffic_changes_compare_and_equals_the_cli_on_the_downloaded_yaml(tmp_path):
    at = _app()
    before = _metrics(at)["Reference API total"]
    _go(at, "views/traffic.py")
    at.selectbox(key="traffic_growth_kind").set_value("s_curve").run()
    assert not at.exception
    assert _scenario(at).workload.growth.kind == "s_curve"
    _go(at, "views/compare.py")
    metrics = _metrics(at)
    assert metrics["Reference API total"] != before
    yaml_text = at.session_state[SCENARIO_YAML]  # the YAML download is result.scenario.to_yaml() of this text
    assert load_scenario_text(yaml_text).to_yaml() == yaml_text
    cli = _cli_json(yaml_text, tmp_path)
    totals = {o["name"]: o["total_cash_usd"] for o in cli["options"]}
    cheapest = min(totals, key=totals.get)
    assert metrics[f"Cheapest, {cli['months']} months"] == export.fmt_usd(totals[cheapest])
    assert metrics["Reference API total"] == export.fmt_usd(totals[cli["reference"]])


def test_discount_rate_on_finance_changes_compare_npv():
    at = _app()
    npv_before = list(_totals_table(at)["NPV [USD]"])
    _go(at, "views/finance.py")
    at.number_input(key="fin_discount_rate").set_value(20.0).run()
    assert not at.exception
    assert _scenario(at).finance.discount_rate == pytest.approx(0.2)
    _go(at, "views/compare.py")
    assert at.number_input(key="discount_rate_pct").value == pytest.approx(20.0)
    assert list(_totals_table(at)["NPV [USD]"]) != npv_before


def test_profile_picked_on_capacity_changes_the_option_capacity_on_compare():
    at = _app()
    table = _totals_table(at)
    before = dict(zip(table["Option"], table["Capacity [req/s/replica]"]))
    _go(at, "views/capacity.py")
    option = at.selectbox(key="cap_use_option").value
    profiles = at.selectbox(key="cap_use_profile").options
    assert profiles, "the bundled data has a profile for the default self-host option"
    at.selectbox(key="cap_use_profile").set_value(profiles[-1]).run()
    at.button(key="cap_use_apply").click().run()
    assert not at.exception
    override = next(o for o in _scenario(at).options if o.name == option).self_host.capacity_rps_per_replica
    assert override is not None
    _go(at, "views/compare.py")
    table = _totals_table(at)
    after = dict(zip(table["Option"], table["Capacity [req/s/replica]"]))
    sources = dict(zip(table["Option"], table["Capacity source"]))
    assert sources[option] == "inline"
    assert after[option] == f"{override:,.2f}"
    assert after[option] != before[option] or profiles[-1] != profiles[0]


def test_names_follow_the_configuration_unless_typed():
    at = _app()
    rows = at.session_state["self_host_rows_current"]
    i = next(k for k, r in enumerate(rows) if r["name"] == "Llama 3.1 70B rent 4x H100")
    at.session_state["compare_options_tab"] = "Self-hosted (rent or own GPUs)"  # a lazy tab: its editor is built when open
    at.session_state["self_host_options_editor"] = {"edited_rows": {i: {"gpus_per_replica": 8}}, "added_rows": [],
                                                    "deleted_rows": []}
    at.run()
    assert not at.exception
    names = [o.name for o in _scenario(at).options]
    assert "Llama 3.1 70B rent 8x H100" in names and "Llama 3.1 70B rent 4x H100" not in names
    # a typed name stays when the configuration changes
    at.session_state["self_host_options_editor"] = {"edited_rows": {i: {"name": "Our cluster"}}, "added_rows": [],
                                                    "deleted_rows": []}
    at.run()
    at.session_state["self_host_options_editor"] = {"edited_rows": {i: {"name": "Our cluster", "gpus_per_replica": 2}},
                                                    "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    opt = next(o for o in _scenario(at).options if o.self_host and o.self_host.gpus_per_replica == 2
               and o.self_host.model == "llama-3.1-70b" and o.self_host.rent)
    assert opt.name == "Our cluster"


def test_a_row_added_with_the_same_configuration_gets_a_numbered_name():
    at = _app()
    rows = at.session_state["self_host_rows_current"]
    i = next(k for k, r in enumerate(rows) if r["name"] == "Llama 3.1 70B rent 4x H100")
    copy = {k: v for k, v in rows[i].items() if k != "name" and v is not None}
    at.session_state["compare_options_tab"] = "Self-hosted (rent or own GPUs)"  # a lazy tab: its editor is built when open
    at.session_state["self_host_options_editor"] = {"edited_rows": {}, "added_rows": [copy, dict(copy)],
                                                    "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    names = [o.name for o in _scenario(at).options]
    assert {"Llama 3.1 70B rent 4x H100", "Llama 3.1 70B rent 4x H100 (2)", "Llama 3.1 70B rent 4x H100 (3)"} <= set(names)
    assert len(names) == len(set(names))


def test_the_address_holds_the_scenario_and_restores_it_in_a_new_session():
    at = _app()
    at.number_input(key="output_tokens").set_value(450.0).run()
    encoded = at.query_params[share.PARAM]
    encoded = encoded[0] if isinstance(encoded, list) else encoded
    assert share.decode_scenario(encoded).workload.output_tokens == 450.0
    # a reload is a new session with the same address: on any page
    again = _app(**{share.PARAM: encoded})
    assert again.number_input(key="output_tokens").value == 450.0
    assert _metrics(again) == _metrics(at)
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params[share.PARAM] = encoded
    fresh.run()
    _go(fresh, "views/traffic.py")
    assert _scenario(fresh).workload.output_tokens == 450.0


def test_reset_to_default_replaces_the_scenario_everywhere():
    at = _app()
    default_yaml = at.session_state[SCENARIO_YAML]
    at.number_input(key="output_tokens").set_value(450.0).run()
    assert at.session_state[SCENARIO_YAML] != default_yaml
    assert any("change(s) from the default scenario" in e.label for e in at.expander)
    at.sidebar.button(key="tco_reset_default").click().run()
    assert not at.exception
    assert at.session_state[SCENARIO_YAML] == default_yaml
    assert at.number_input(key="output_tokens").value == 300.0


def test_tokens_per_day_is_another_way_to_enter_the_load():
    at = _app()
    at.session_state["load_mode"] = "tokens/day"
    at.run()
    at.number_input(key="tokens_per_day").set_value(2_600_000_000.0).run()  # / (1000 + 300) tokens = 2,000,000 req/day
    assert not at.exception
    assert at.number_input(key="requests_per_day").value == pytest.approx(2_000_000.0)
    assert _scenario(at).workload.requests_per_day == pytest.approx(2_000_000.0)


def test_compare_names_the_reference_and_shows_the_break_even_matrix():
    at = _app()
    table = _totals_table(at)
    col = next(c for c in table.columns if c.startswith("Break-even vs "))
    ref = col.removeprefix("Break-even vs ")
    assert dict(zip(table["Option"], table[col]))[ref] == "reference"
    assert set(table["SLO"]) <= {"met", "missed", "latency not checked"}
    # APIs are checked against their catalog latency (tco.model.slo): GPT-4o has published figures, so it is not "unknown"
    s = _scenario(at)
    from tco.engine import evaluate as _evaluate
    r = _evaluate(s, load_catalog(ROOT / "data"), skip_infeasible=True)
    words = {"met": "met", "missed": "missed", "unknown": "latency not checked"}
    assert dict(zip(table["Option"], table["SLO"])) == {o.name: words[o.slo_status] for o in r.options}
    assert any(e.label.startswith("Break-even matrix") for e in at.expander)


def test_the_reference_is_chosen_on_compare_and_kept_in_the_scenario():
    at = _app()
    box = at.selectbox(key="reference")
    assert box.value == "" and box.index == 0  # shown as selected (a None value would show no selection)
    assert box.options[0].startswith("Automatic: the cheapest API option")
    assert _scenario(at).reference is None
    auto = _totals_table(at)
    names = list(auto["Option"])
    own = next(n for n in names if "own" in n.lower())
    at.selectbox(key="reference").set_value(own).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _scenario(at).reference == own
    table = _totals_table(at)
    assert dict(zip(table["Option"], table[f"Break-even vs {own}"]))[own] == "reference"
    encoded = at.query_params[share.PARAM]
    assert share.decode_scenario(encoded[0] if isinstance(encoded, list) else encoded).reference == own
    _go(at, "views/catalogs.py")  # a page switch keeps the choice
    _go(at, "views/compare.py")
    assert at.selectbox(key="reference").value == own and _scenario(at).reference == own
    # the chosen option renamed: the choice is not switched silently, the message sits next to it
    rows = at.session_state["self_host_rows_current"]
    i = next(k for k, r in enumerate(rows) if r["name"] == own)
    at.session_state["compare_options_tab"] = "Self-hosted (rent or own GPUs)"  # a lazy tab: its editor is built when open
    at.session_state["self_host_options_editor"] = {"edited_rows": {i: {"name": "Renamed"}}, "added_rows": [],
                                                    "deleted_rows": []}
    at.run()
    assert not at.exception
    assert at.selectbox(key="reference").value == own
    assert any("is not the name of an option" in e.value for e in at.error), [e.value for e in at.error]
    at.selectbox(key="reference").set_value("Renamed").run()
    assert not at.error and _scenario(at).reference == "Renamed"
    at.selectbox(key="reference").set_value("").run()  # back to the default rule
    assert _scenario(at).reference is None and list(_totals_table(at).columns) == list(auto.columns)


def test_a_sensitivity_what_if_is_labelled_and_can_be_applied():
    at = _app()
    _go(at, "views/finance.py")
    assert any("what-if" in h.value for h in at.subheader)
    at.selectbox(key="fin_apply_input").set_value("discount_rate").run()
    at.radio(key="fin_apply_end").set_value("high").run()
    before = _scenario(at).finance.discount_rate
    at.button(key="fin_apply_what_if").click().run()
    assert not at.exception
    after = _scenario(at).finance.discount_rate
    assert after is not None and after != before
    assert at.number_input(key="fin_discount_rate").value == pytest.approx(after * 100)


def test_an_api_row_name_follows_its_offer():
    at = _app()
    rows = at.session_state["api_rows_current"]
    i = next(k for k, r in enumerate(rows) if r["name"] == "GPT-4o API")
    at.session_state["api_options_editor"] = {"edited_rows": {i: {"api": "openai/gpt-4o-mini"}}, "added_rows": [],
                                              "deleted_rows": []}
    at.run()
    assert not at.exception
    names = [o.name for o in _scenario(at).options]
    assert "GPT-4o API" not in names and "gpt-4o-mini API (OpenAI)" in names


def test_the_address_keeps_the_scenario_on_pages_that_do_not_read_it():
    at = _app()
    at.number_input(key="output_tokens").set_value(450.0).run()
    _go(at, "views/methodology.py")
    encoded = at.query_params[share.PARAM]
    encoded = encoded[0] if isinstance(encoded, list) else encoded
    assert share.decode_scenario(encoded).workload.output_tokens == 450.0


def test_implausible_growth_on_traffic_is_not_applied_until_confirmed():
    at = _app()
    _go(at, "views/traffic.py")
    before = _scenario(at).workload.growth_per_month
    at.number_input(key="traffic_rate").set_value(800.0).run()  # someone typed 8 meaning... 800 %/month
    assert not at.exception
    assert _scenario(at).workload.growth_per_month == before
    assert any("implausible" in e.value for e in at.error)
    at.checkbox(key="traffic_confirm_rate").check().run()
    assert not at.exception
    assert _scenario(at).workload.growth_per_month == pytest.approx(8.0)
