"""Cost against quality on the Compare page, in a real browser: the chart and the floor control."""
from __future__ import annotations

import re

import pytest

from .conftest import wait_idle

pytestmark = pytest.mark.e2e


def test_quality_chart_and_floor_marks_options(app_page):
    page = app_page
    # on demand (issue 21): the section is built when its expander is opened
    page.get_by_test_id("stExpander").filter(has_text="Quality tiers").first.locator("summary").click()
    wait_idle(page)
    page.wait_for_selector(".st-key-compare_quality_floor_mode", timeout=120_000)
    chart_titles = " ".join(t.text_content() or "" for t in page.locator("[data-testid='stPlotlyChart'] .gtitle").all())
    assert "Cost against quality" in chart_titles
    # choose the Elo floor: a message says how many options meet it and how many are below
    page.locator(".st-key-compare_quality_floor_mode").get_by_text("Elo at least").click()
    wait_idle(page)
    elo = page.locator(".st-key-compare_quality_floor_elo input")
    elo.fill("1280")
    elo.press("Enter")
    wait_idle(page)
    main = page.get_by_test_id("stMain").inner_text()
    assert re.search(r"Floor .*1280.*: \d+ option\(s\) meet it, \d+ below it", main), main[-3000:]
    page.screenshot(path="test-artifacts/quality_floor.png", full_page=True)
