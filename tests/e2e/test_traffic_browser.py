"""The Traffic page in a real browser: forecast chart, daily-profile editor, typical-day chart."""
from __future__ import annotations

import pytest

from .conftest import wait_charts, wait_idle

pytestmark = pytest.mark.e2e
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"


def _profile_bars(page) -> list[float]:
    """The y values of the 24-bar daily profile chart (read from plotly's own data)."""
    return page.evaluate("""() => {
        for (const el of document.querySelectorAll('.js-plotly-plot')) {
            const t = (el.layout && el.layout.title && (el.layout.title.text || el.layout.title)) || '';
            if (String(t).toLowerCase().includes('profile')) return Array.from(el.data[0].y);
        }
        return null; }""")


def test_traffic_page_forecast_profile_and_typical_day(app_browser, app_url):
    context = app_browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(app_url)
        wait_idle(page)
        page.get_by_role("link", name="Traffic").click()
        wait_idle(page)
        page.locator(".st-key-traffic_preset input").wait_for(timeout=120_000)
        page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot .gtitle'))"
                               ".some(t => (t.textContent || '').toLowerCase().includes('profile'))", timeout=120_000)
        wait_idle(page)
        wait_charts(page, 3)  # forecast, daily profile, typical day
        titles = " | ".join((t.text_content() or "") for t in page.locator(f"{CHART} .gtitle").all())
        assert "orecast" in titles and "rofile" in titles
        before = _profile_bars(page)
        assert before is not None and len(before) == 24
        # choose another preset by typing it into the selectbox: the profile chart must change
        preset = page.locator(".st-key-traffic_preset input")  # the selectbox's combobox input
        after = None
        for name in ("consumer_evening", "overnight_batch", "flat"):
            preset.click()
            preset.fill(name)
            preset.press("Enter")
            wait_idle(page)
            page.wait_for_timeout(500)
            after = _profile_bars(page)
            if after != before:
                break
        assert after is not None and after != before, (before, after)
        assert not page.get_by_test_id("stException").count()
        page.screenshot(path="test-artifacts/traffic_page.png", full_page=True)
    finally:
        context.close()
