"""Data page (AppTest): edits seeded through the data_editor's session state.

Every test works on a tmp copy of data/ (TCO_DATA_DIR) so the repository's data is never written.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tco.catalog import DEFAULT_DATA_DIR, load_catalog
from tco.catalog import edit as ce

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "data.py")
APP = str(ROOT / "app.py")
H = 730.0  # [h] per month
D = H / 24  # [days] per month
#: One month, 1000 requests/day of 100 input + 50 output tokens, all through openai/gpt-4o.
SCENARIO = ("name: data check\nstart: 2027-01\nmonths: 1\n"
            "workload: {requests_per_day: 1000, input_tokens: 100, output_tokens: 50}\n"
            "options:\n  - {name: GPT-4o, api: openai/gpt-4o}\n")


def api_cost(p_in: float, p_out: float) -> float:
    """requests = 1000/day x D days; cost = (requests x 100 x p_in + requests x 50 x p_out) / 1e6 [USD]."""
    requests = 1000 * D
    return (requests * 100 * p_in + requests * 50 * p_out) / 1e6


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def data(tmp_path, monkeypatch):
    d = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, d, ignore=shutil.ignore_patterns(".backups"))
    monkeypatch.setenv("TCO_DATA_DIR", str(d))
    monkeypatch.setenv("TCO_DATA_WRITABLE", "1")
    return d


def page(catalog: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["data_catalog"] = catalog
    at.session_state["compare_last_good_yaml"] = SCENARIO
    return at.run()


def edit(at: AppTest, catalog: str, rows: dict) -> AppTest:
    at.session_state[f"data_editor_{catalog}"] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def table(at: AppTest, column: str):
    """The first dataframe shown with ``column`` (the editor itself is one too)."""
    for df in at.dataframe:
        v = df.value
        if column in v.columns:
            return v
    raise AssertionError(f"no table with column {column!r}")


def row_of(data: Path, catalog: str, id_: str) -> int:
    return [e["id"] for e in ce.read_catalog_file(data, catalog).entries].index(id_)


def test_page_runs_clean(data):
    at = page("gpus")
    assert not at.exception and not at.error
    assert not at.warning  # no edits, no banner
    assert at.button(key="data_save").disabled  # nothing to save


def test_invalid_edit_is_rejected_with_reason(data):
    at = page("servers")
    before = (data / "servers.yaml").read_bytes()
    at = edit(at, "servers", {0: {"price_usd": -5.0}})
    assert not at.exception
    assert "saving is disabled" in at.error[0].value
    problems = table(at, "reason")
    assert problems.to_dict("records") == [{"row": 1, "id": "dgx-h100", "field": "price_usd",
                                            "reason": "must be > 0, got -5.0"}]
    assert at.button(key="data_save").disabled
    assert "tco_edited_catalog" not in at.session_state  # the session keeps the last valid data
    assert (data / "servers.yaml").read_bytes() == before


def test_missing_source_on_new_row_is_rejected(data):
    at = page("servers")
    at.session_state["data_editor_servers"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"id": "my-box", "name": "My box", "gpu": "h100-sxm", "gpus_per_server": 8, "price_usd": 250000.0,
         "power_kw": 10.0}]}
    at.run()
    reasons = {(r["field"], r["reason"]) for r in table(at, "reason").to_dict("records")}
    assert reasons == {("source", "required field is missing"), ("as_of", "required field is missing")}


def test_valid_edit_shows_diff_is_used_at_once_then_saved_with_backup(data):
    i = row_of(data, "apis", "openai/gpt-4o")
    old = load_catalog(data).apis["openai/gpt-4o"]
    at = page("apis")
    totals = table(at, "total cash [USD]")
    # 1000 x 30.4167 requests x (100 x 2.5 + 50 x 10) / 1e6 = 22.81 USD
    assert totals.iloc[0]["total cash [USD]"] == pytest.approx(api_cost(old.input, old.output), abs=0.01)
    assert totals.iloc[0]["total cash [USD]"] == pytest.approx(22.81, abs=0.01)

    at = edit(at, "apis", {i: {"input": 4.0, "as_of": "2026-11-01"}})
    assert not at.exception and not at.error
    diff = table(at, "change").to_dict("records")
    assert diff == [{"change": "changed", "id": "openai/gpt-4o", "field": "input", "old": "2.5", "new": "4.0"},
                    {"change": "changed", "id": "openai/gpt-4o", "field": "as_of", "old": old.as_of, "new": "2026-11-01"}]
    assert any("Using edited, unsaved data" in w.value for w in at.warning)
    # unsaved, yet this session computes with it: 30416.67 x (100 x 4 + 50 x 10) / 1e6 = 27.375 USD
    assert table(at, "total cash [USD]").iloc[0]["total cash [USD]"] == pytest.approx(27.38, abs=0.01)
    assert (data / "api_offers.yaml").read_bytes() != b"" and load_catalog(data).apis["openai/gpt-4o"].input == 2.5

    before = (data / "api_offers.yaml").read_bytes()
    at.button(key="data_save").click().run()
    assert not at.exception
    assert any("Saved api_offers.yaml" in s.value for s in at.success)
    saved = load_catalog(data).apis["openai/gpt-4o"]
    assert saved.input == 4.0 and saved.as_of == "2026-11-01"
    backups = ce.list_backups(data, "apis")
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert (data / "api_offers.yaml").read_text().startswith("# Hosted model API prices")
    # banner gone, no pending diff, and the next evaluation reads the saved file
    assert not any("unsaved" in w.value for w in at.warning)
    assert "tco_edited_catalog" not in at.session_state
    assert table(at, "total cash [USD]").iloc[0]["total cash [USD]"] == pytest.approx(api_cost(4.0, 10.0), abs=0.01)


def test_read_only_deployment_offers_downloads_only(data, monkeypatch):
    monkeypatch.setenv("TCO_DATA_WRITABLE", "0")
    at = page("servers")
    at = edit(at, "servers", {0: {"price_usd": 210000.0, "as_of": "2026-11-01"}})
    assert not at.error
    assert at.button(key="data_save").disabled
    assert "read-only" in at.caption[0].value


def test_edited_data_reaches_other_pages_with_banner(data):
    i = row_of(data, "apis", "openai/gpt-4o")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/data.py").run()
    at.session_state["data_catalog"] = "apis"
    at.run()
    edit(at, "apis", {i: {"input": 4.0, "as_of": "2026-11-01"}})
    at.switch_page("views/catalogs.py").run()
    assert not at.exception
    assert [w.value for w in at.warning if "unsaved" in w.value]
    at.switch_page("views/data.py").run()
    # the edit survives leaving the page (Streamlit drops the editor's own state)
    assert table(at, "change").to_dict("records")[0]["new"] == "4.0"
    at.button(key="data_reset").click().run()
    assert "tco_edited_catalog" not in at.session_state


def test_one_price_edit_saved_from_the_page_is_a_one_line_diff_and_keeps_the_mode(data):
    import difflib
    import os

    path = data / "api_offers.yaml"
    os.chmod(path, 0o664)
    before = path.read_text()
    i = row_of(data, "apis", "openai/gpt-4o")
    at = page("apis")
    at = edit(at, "apis", {i: {"output": 12.0}})
    at.button(key="data_save").click().run()
    assert not at.exception and any("Saved api_offers.yaml" in s.value for s in at.success)
    changed = [ln for ln in difflib.unified_diff(before.splitlines(), path.read_text().splitlines(), lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert changed == ["-    output: 10.0", "+    output: 12.0"]
    assert path.stat().st_mode & 0o777 == 0o664


def test_saving_is_on_by_default_where_the_data_directory_is_writable(data, monkeypatch):
    monkeypatch.delenv("TCO_DATA_WRITABLE")
    at = page("servers")
    at = edit(at, "servers", {0: {"price_usd": 210000.0, "as_of": "2026-11-01"}})
    assert not at.button(key="data_save").disabled


def test_a_file_saved_by_another_user_between_load_and_save_is_a_conflict_not_a_lost_write(data):
    i = row_of(data, "apis", "openai/gpt-4o")
    at = page("apis")
    at = edit(at, "apis", {i: {"input": 4.0}})
    assert not at.exception and not at.error
    # another user (another process) saves the file in between
    theirs = [dict(e) for e in ce.read_catalog_file(data, "apis").entries]
    theirs[i]["output"] = 12.0
    ce.save_catalog(data, "apis", theirs)
    after_theirs = (data / "api_offers.yaml").read_bytes()

    at.button(key="data_save").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "another user saved it since you loaded it or last saved it" in at.error[0].value
    assert (data / "api_offers.yaml").read_bytes() == after_theirs  # nothing written
    assert at.session_state["data_pending"]["apis"][i]["input"] == 4.0  # my edit stays in the session
    assert at.button(key="data_conflict_reload").label == "Reload the file"
    assert at.button(key="data_conflict_overwrite").label == "Save anyway (overwrite)"

    at.button(key="data_conflict_overwrite").click().run()  # a deliberate overwrite
    assert not at.exception and not at.error
    saved = load_catalog(data).apis["openai/gpt-4o"]
    assert saved.input == 4.0 and saved.output == 10.0  # my version of the file, theirs kept as a backup
    assert any(b.read_bytes() == after_theirs for b in ce.list_backups(data, "apis"))


def test_reload_after_a_conflict_drops_the_edit_and_shows_the_file(data):
    i = row_of(data, "apis", "openai/gpt-4o")
    at = page("apis")
    at = edit(at, "apis", {i: {"input": 4.0}})
    theirs = [dict(e) for e in ce.read_catalog_file(data, "apis").entries]
    theirs[i]["output"] = 12.0
    ce.save_catalog(data, "apis", theirs)
    at.button(key="data_save").click().run()
    assert at.error
    at.button(key="data_conflict_reload").click().run()
    assert not at.exception and not at.error
    assert any("Reloaded api_offers.yaml" in m.value for m in at.info)
    assert load_catalog(data).apis["openai/gpt-4o"].output == 12.0  # theirs stays
    assert "apis" not in at.session_state["data_dirty"]
