"""A share link opened in a fresh browser page shows the same headline totals as the CLI."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tco.cli import main
from tco.scenario import load_scenario, share

from .conftest import wait_charts, wait_idle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "data" / "scenarios" / "rag_long_prompts.yaml"


def _fmt_usd(x: float) -> str:
    from tco.core.format import fmt_usd
    return fmt_usd(x)


def test_shared_link_reproduces_cli_totals(app_browser, app_url, capsys):
    assert main(["evaluate", str(SCENARIO), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    totals = {o["name"]: o["total_cash_usd"] for o in doc["options"]}
    cheapest = min(totals, key=totals.get)
    url = share.share_url(app_url, load_scenario(str(SCENARIO)))

    context = app_browser.new_context(viewport={"width": 1280, "height": 900})  # a fresh session
    try:
        page = context.new_page()
        page.goto(url)
        wait_idle(page)
        wait_charts(page, 1)
        assert page.get_by_label("Scenario name").input_value() == doc["scenario"]
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
        wait_idle(page)
        values = [v.inner_text() for v in page.get_by_test_id("stMetricValue").all()]
        assert values[0] == _fmt_usd(totals[cheapest])  # cheapest total
        assert _fmt_usd(totals[doc["reference"]]) in values  # the reference total (the cheapest API meeting the SLO)
        text = page.get_by_test_id("stMain").inner_text()
        assert cheapest in text
    finally:
        context.close()


def test_broken_link_says_so(app_browser, app_url):
    context = app_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{app_url}?s=v1.broken!!")
        wait_idle(page)
        assert page.get_by_text(re.compile("shared link could not be opened")).count() >= 1
    finally:
        context.close()
