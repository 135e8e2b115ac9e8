"""Compare page: the fine-tuning and routing section (AppTest) and its pure helpers."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tco.model import fine_tuning, routing
from tco.catalog import load_catalog
from tco.scenario.defaults import default_scenario
from tco.engine import evaluate
from tco.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def _errors(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error)


def test_section_is_off_by_default_and_adds_nothing():
    at = _app()
    assert not at.exception
    assert at.toggle(key="routing_ft_on").value is False
    assert at.toggle(key="routing_route_on").value is False
    assert len(at.get("plotly_chart")) == 3  # the page's own charts only (the others are drawn on demand)


def test_turning_on_fine_tuning_and_a_route_shows_runs_and_the_saving_chart():
    at = _app()
    at.toggle(key="routing_ft_on").set_value(True).run()
    assert not at.exception and not _errors(at), _errors(at)
    tables = [df.value for df in at.dataframe]
    assert any("Fine-tuning [USD]" in t.columns for t in tables)
    at.toggle(key="routing_route_on").set_value(True).run()
    assert not at.exception and not _errors(at), _errors(at)
    at.slider(key="routing_share").set_value(30).run()
    assert not at.exception and not _errors(at), _errors(at)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(specs) == 4 and any("largest part alone" in s for s in specs)  # the page's 3 + the saving chart
    assert any("Route:" in str(t["Option"].tolist()) for t in (df.value for df in at.dataframe) if "Option" in t.columns)


def test_with_route_and_route_saving_by_hand():
    cat = load_catalog()
    doc = default_scenario(cat).to_dict()
    names = [o["name"] for o in doc["options"]]
    doc = routing.with_route(doc, "r", "split", names[0], names[1], 0.25)
    s = parse_scenario(doc)
    assert [(p.name, share) for p, share in s.route_members(s.options[-1])] == [(names[0], 0.75), (names[1], 0.25)]
    res = evaluate(s, cat, skip_infeasible=True)
    sv = routing.route_saving(res, "r")
    big = max((res.option(n) for n in names[:2]), key=lambda o: o.total_cash_usd)
    assert sv["largest_part"] == big.name
    assert sv["saving_usd"] == pytest.approx(big.total_cash_usd - res.option("r").total_cash_usd)


def test_with_fine_tuning_marks_only_the_named_options():
    doc = {"options": [{"name": "a", "api": "x"}, {"name": "b", "api": "y"}]}
    out = fine_tuning.with_fine_tuning(doc, {"training_tokens": 1e6, "runs_per_year": 2}, ["b"])
    assert out["options"] == [{"name": "a", "api": "x"}, {"name": "b", "api": "y", "fine_tuned": True}]
    assert out["fine_tuning"] == {"training_tokens": 1e6, "runs_per_year": 2}
    assert "fine_tuning" not in doc  # the input is not changed
