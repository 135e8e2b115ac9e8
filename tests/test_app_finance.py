"""AppTest of the Finance page: renders, the cash/accrual toggle changes the numbers, the break-even chart
and both downloads are there, Monte Carlo runs from its button. (Download bytes are tested in test_exports.)"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "finance.py")
MINI = ROOT / "tests" / "fixtures" / "mini_data"
SCEN = ROOT / "tests" / "fixtures" / "finance_data" / "scenario.yaml"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.setenv("TCO_DATA_DIR", str(MINI))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["compare_last_good_yaml"] = SCEN.read_text()
    return at.run()


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return [c["layout"]["title"]["text"] for c in charts(at)]


def test_renders_without_exception():
    at = page()
    assert not at.exception
    assert at.title[0].value == "Finance"
    assert any("Finance test" in c.value for c in at.caption)


def test_break_even_chart_and_sentences():
    at = page()
    assert any(t.startswith("Break-even volume") for t in titles(at))
    md = " ".join(m.value for m in at.markdown)
    assert "beats GPT-4o above" in md


def test_toggle_switches_basis():
    at = page()
    assert at.radio(key="finance_basis").value == "cash"
    cash_titles = titles(at)
    assert "Cumulative cost (cash)" in cash_titles
    cash_table = at.dataframe[0].value
    at.radio(key="finance_basis").set_value("accrual").run()
    assert not at.exception
    assert "Cumulative cost (accrual)" in titles(at)
    acc_table = at.dataframe[0].value
    assert "Total accrual [USD]" in acc_table.columns and "Total cash [USD]" in cash_table.columns
    # the owned fleet's total differs between the two views (capex vs depreciation)
    assert acc_table.iloc[2]["Total accrual [USD]"] != cash_table.iloc[2]["Total cash [USD]"]


def test_downloads_present():
    at = page()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "FOCUS-aligned CSV" in labels and "Workbook (XLSX, live formulas)" in labels and "One-page report (PDF)" in labels
    assert labels.count("PNG") == labels.count("SVG") >= 3  # every chart of the page as an image


def test_tornado_and_monte_carlo():
    at = page()
    assert any(t.startswith("Sensitivity:") for t in titles(at))
    at.number_input(key="fin_draws").set_value(500).run()
    at.button(key="fin_run_mc").click().run()
    assert not at.exception
    assert any(t.startswith("Monte Carlo") for t in titles(at))
    assert any("P(cheapest)" in df.value.columns for df in at.dataframe)


def test_currency_shown():
    at = page()
    at.text_input(key="fin_currency").set_value("EUR").run()
    at.number_input(key="fin_fx").set_value(0.9).run()
    assert not at.exception
    assert any("EUR" in c.value for c in at.caption)
    assert "Total cash [EUR]" in at.dataframe[0].value.columns


def test_invalid_compare_yaml_falls_back(monkeypatch):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["compare_last_good_yaml"] = "name: [unclosed"
    at.run()
    # the default scenario needs the bundled catalog's profiles; with the mini catalog it may not evaluate,
    # but the page must show a message, never a traceback
    assert not at.exception
    assert at.warning or at.error


def test_stale_catalog_inputs_are_flagged():
    """The fixture catalog's figures are dated 2025 (older than the 180-day limit): the page says so and
    lists them, as the Compare page does."""
    at = page()
    assert not at.exception
    notes = [i.value for i in at.info if "older than 180 days" in i.value]
    assert len(notes) == 1
    assert any(e.label == "Inputs older than the staleness limit" for e in at.expander)
