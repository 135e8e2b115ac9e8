"""AppTest of the Traffic page (views/traffic.py) on the bundled data: it renders its three charts, editing
the daily profile changes the 24-bar chart, a preset replaces the weights, a CSV series drives the forecast,
and a bad CSV shows a message instead of a traceback.

The profile editor starts from the weights in session state (data_editor edits cannot be typed in
AppTest), so a test "edits" the profile by seeding those weights, as the Compare tests seed their tables.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "traffic.py")


@pytest.fixture(autouse=True)
def _clean():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def charts(at) -> dict[str, dict]:
    out = {}
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        out[spec["layout"]["title"]["text"].split(" (")[0].split(",")[0]] = spec
    return out


def test_renders_forecast_profile_and_typical_day():
    at = page()
    assert not at.exception
    assert at.title[0].value == "Traffic"
    figs = charts(at)
    assert {"Traffic forecast", "Daily load profile", "Typical day"} <= set(figs)
    assert len(figs["Daily load profile"]["data"][0]["y"]) == 24
    # the default scenario has rented options: autoscaled and hybrid variants are added and evaluated
    table = next(d.value for d in at.dataframe if "option" in d.value.columns)
    names = list(table["option"])
    assert any(n.endswith("(autoscaled)") for n in names) and any("(hybrid p75)" in n for n in names)
    hyb = table[table["option"].str.contains("hybrid")]
    assert (hyb["served by an API"] > 0).all() and (hyb["served by the fleet"] > 0).all()
    # the typical day of a hybrid option shades the overflow
    assert [t["name"] for t in figs["Typical day"]["data"]][1] == "overflow to the API"


def test_editing_the_profile_changes_the_chart():
    at = page()
    before = charts(at)["Daily load profile"]["data"][0]["y"]
    custom = [1.0] * 12 + [3.0] * 12  # mean 2 -> relative load 0.5 and 1.5
    at2 = page(traffic_weights=custom, traffic_editor_version=0)
    after = charts(at2)["Daily load profile"]["data"][0]["y"]
    assert after == [0.5] * 12 + [1.5] * 12 and after != before
    # choosing a preset replaces the weights (and the chart)
    at2.selectbox(key="traffic_preset").set_value("overnight_batch").run()
    assert not at2.exception
    y = charts(at2)["Daily load profile"]["data"][0]["y"]
    assert y != after and y.index(max(y)) in range(0, 6)


def test_csv_series_drives_the_forecast():
    at = page()
    at.selectbox(key="traffic_growth_kind").set_value("series").run()
    assert any("Upload a CSV" in i.value for i in at.info)  # flat until a CSV arrives
    first = charts(at)["Traffic forecast"]["data"][0]["x"][0]
    y, m = (int(x) for x in first.split("-"))
    rows = [f"{y + (m - 1 + i) // 12:04d}-{(m - 1 + i) % 12 + 1:02d},{1000 * (i + 1)}" for i in range(12)]
    csv = ("month,requests_per_day\n" + "\n".join(rows) + "\n").encode()
    at.file_uploader(key="traffic_csv").set_value(("series.csv", csv, "text/csv")).run()
    assert not at.exception
    assert not at.error
    fig = charts(at)["Traffic forecast"]
    assert fig["data"][0]["y"] == [1000.0 * (i + 1) for i in range(12)]
    assert any("shortened to 12 months" in i.value for i in at.info)


def test_bad_csv_shows_a_message():
    at = page()
    at.selectbox(key="traffic_growth_kind").set_value("series").run()
    at.file_uploader(key="traffic_csv").set_value(("bad.csv", b"month,requests_per_day\n2027-01,lots\n", "text/csv")).run()
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert any("bad.csv" in m and "requests_per_day must be a number" in m for m in msgs)
    at.file_uploader(key="traffic_csv").set_value(("wrong.csv", b"date;value\n1;2\n", "text/csv")).run()
    assert any("expected the header month,requests_per_day" in e.value for e in at.error)
