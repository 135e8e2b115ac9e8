"""AppTest of the quality section (views/quality_section.py) on a small scenario over the bundled data.

The page script is tests/app_scripts/quality_page.py: six options, among them two with no comparable
figure (an offer without an Elo and an inline-priced API).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tco.catalog import load_catalog
from tco.model.quality import NO_FIGURE, load_quality, result_quality
from views.quality_section import quality_rows_frame

PAGE = str(Path(__file__).resolve().parent / "app_scripts" / "quality_page.py")


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def _run() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def _floor_column(at: AppTest) -> dict[str, str]:
    df = at.dataframe[0].value
    return dict(zip(df["option"], df["floor"]))


def test_section_renders_table_and_chart():
    at = _run()
    assert [s.value for s in at.subheader] == ["Quality next to cost"]
    df = at.dataframe[0].value
    tiers = dict(zip(df["option"], df["LMArena text Elo"]))
    assert tiers["GPT-4o mini"].startswith("1288")
    assert tiers["Llama 3.1 70B on Together"].startswith("1264")  # shares the model's score
    assert tiers["Llama 3.1 8B rented"].startswith("1193")
    assert tiers["Claude Haiku 4.5"] == NO_FIGURE  # never zero, never dropped
    assert tiers["In-house API"] == NO_FIGURE
    assert len(at.get("plotly_chart")) == 1
    assert set(_floor_column(at).values()) == {""}  # no floor yet: nothing marked


def test_elo_floor_marks_options():
    at = _run()
    at.radio(key="quality_floor_mode").set_value("Elo at least").run()
    at.number_input(key="quality_floor_elo").set_value(1280).run()
    assert not at.exception
    floor = _floor_column(at)
    assert floor["GPT-4o"] == "meets" and floor["GPT-4o mini"] == "meets"
    assert floor["Llama 3.1 70B on Together"] == "below the floor"
    assert floor["Llama 3.1 8B rented"] == "below the floor"
    assert floor["Claude Haiku 4.5"].startswith("unknown")
    assert any("2 option(s) meet it, 2 below it, 2 with no comparable figure" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 1

    at.number_input(key="quality_floor_elo").set_value(1150).run()
    floor = _floor_column(at)
    assert floor["Llama 3.1 8B rented"] == "meets" and floor["Llama 3.1 70B on Together"] == "meets"


def test_reference_floor_marks_options():
    at = _run()
    at.radio(key="quality_floor_mode").set_value("At least as good as").run()
    at.selectbox(key="quality_floor_ref").set_value("together/llama-3.1-70b").run()
    assert not at.exception
    floor = _floor_column(at)
    assert floor["Llama 3.1 70B on Together"] == "meets"  # as good as itself
    assert floor["GPT-4o"] == "meets"
    assert floor["Llama 3.1 8B rented"] == "below the floor"


def test_rows_frame_matches_engine_costs():
    """The table's cost column is the engine's figure, not recomputed in the view."""
    import ast

    from tco.engine import evaluate
    from tco.scenario import parse_scenario

    src = Path(PAGE).read_text(encoding="utf-8")
    scenario_dict = ast.literal_eval(src.split("SCENARIO = ", 1)[1].split("\n\n\n", 1)[0])  # the page's own literal
    catalog = load_catalog()
    result = evaluate(parse_scenario(scenario_dict), catalog)
    rows = result_quality(result, catalog, load_quality(catalog))
    frame = quality_rows_frame(rows, None, "Elo")
    for o, (_, r) in zip(result.options, frame.iterrows()):
        assert r["option"] == o.name
        assert r["USD / 1M tokens"] == pytest.approx(o.usd_per_million_tokens)
        assert r["total cash USD"] == pytest.approx(o.total_cash_usd)


def test_other_benchmarks_are_drawn_on_demand():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    keys = [getattr(d, "key", None) for d in at.dataframe]
    assert "quality_benchmarks" not in keys  # off by default: not computed, not sent
    at.toggle(key="quality_show_benchmarks").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) > len(keys) or any("beyond the Elo" in m.value for m in at.markdown)
