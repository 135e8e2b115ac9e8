"""One scenario across the app, kept in the address (issues 15 and 22), in a real Chromium.

1. Reload after an edit restores the edit (the address always holds the scenario).
2. An S-curve set on Traffic and a price trend set on Finance reach Compare; the address copied into a
   fresh browser context (someone else) shows the same Compare answer.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tco.scenario import share

from .conftest import ARTIFACTS, wait_charts, wait_idle

pytestmark = pytest.mark.e2e
OUTPUT = "Output [tokens/request]"


def _metrics(page) -> dict[str, str]:
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=120_000)
    wait_idle(page)
    out = {}
    for box in page.get_by_test_id("stMetric").all():
        label = box.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = box.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def _set_number(page, label: str, value: float) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.wait_for(timeout=120_000)
    box.fill(f"{value:g}")
    box.press("Enter")
    wait_idle(page)


def _scenario_in_address(page):
    query = page.url.split("?", 1)[1] if "?" in page.url else ""
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    assert share.PARAM in params, page.url
    return share.decode_scenario(params[share.PARAM])


def _open_page(page, title: str, ready_selector: str) -> None:
    page.get_by_role("link", name=title).first.click()
    wait_idle(page)
    page.locator(ready_selector).first.wait_for(timeout=120_000)
    wait_idle(page)


def test_reload_after_an_edit_restores_the_edit(app_browser, app_url):
    context = app_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_idle(page)
        wait_charts(page, 1)
        _set_number(page, OUTPUT, 450)
        page.wait_for_function("() => window.location.search.includes('s=v1.')", timeout=60_000)
        assert _scenario_in_address(page).workload.output_tokens == 450
        edited = _metrics(page)
        page.reload()
        wait_idle(page)
        wait_charts(page, 1)
        assert float(page.get_by_role("spinbutton", name=OUTPUT, exact=True).input_value()) == 450
        assert _metrics(page) == edited
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()


def test_s_curve_and_price_trend_travel_in_the_address_to_a_fresh_browser(app_browser, app_url):
    context = app_browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_idle(page)
        wait_charts(page, 1)
        default_answer = _metrics(page)

        _open_page(page, "Traffic", ".st-key-traffic_growth_kind input")
        kind = page.locator(".st-key-traffic_growth_kind input")
        kind.click()
        page.get_by_role("option", name="S-curve (adoption toward a ceiling)").click()
        wait_idle(page)
        page.locator(".st-key-traffic_ceiling input").wait_for(timeout=60_000)
        wait_idle(page)
        assert _scenario_in_address(page).workload.growth.kind == "s_curve"

        _open_page(page, "Finance", ".st-key-fin_api_change input")
        _set_number(page, "API price change per year [%]", -30)
        page.wait_for_function("() => window.location.search.includes('s=v1.')", timeout=60_000)
        in_address = _scenario_in_address(page)
        assert in_address.finance.api_price_change_per_year == pytest.approx(-0.3)
        assert in_address.workload.growth.kind == "s_curve"  # still there after the page switch

        _open_page(page, "Compare", "[data-testid='stMetricValue']")
        wait_charts(page, 1)
        answer = _metrics(page)
        assert answer != default_answer
        address = page.url
        assert _scenario_in_address(page).finance.api_price_change_per_year == pytest.approx(-0.3)
        Path(ARTIFACTS).mkdir(exist_ok=True)
        page.screenshot(path=str(Path(ARTIFACTS) / "session_scenario_compare.png"))

        fresh = app_browser.new_context(viewport={"width": 1280, "height": 1000})  # someone else, the copied address
        try:
            other = fresh.new_page()
            other.goto(address)
            wait_idle(other)
            wait_charts(other, 1)
            assert _metrics(other) == answer
            assert other.get_by_test_id("stException").count() == 0
        finally:
            fresh.close()
    finally:
        context.close()
