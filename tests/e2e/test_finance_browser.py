"""The Finance page in a real browser: the break-even chart renders and both downloads arrive.

Spawns `streamlit run app.py` on a free port (bundled data), drives Debian's Chromium with Playwright,
stops the server at teardown. Browser: $CHROMIUM_PATH, /usr/bin/chromium, then Playwright's own;
skipped with a reason when none exists, except under CI=true, where that fails.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium() -> str | None:
    for cand in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and Path(cand).exists():
            return cand
    return None


def _skip_or_fail(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def finance_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("streamlit server did not start")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed")
    exe = _chromium()
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=exe, args=ARGS) if exe else p.chromium.launch(args=ARGS)
        except Exception as exc:  # no browser at all
            _skip_or_fail(f"no Chromium found ({exc.__class__.__name__}); apt-get install chromium")
        yield b
        b.close()


def test_finance_page_break_even_chart_and_downloads(finance_server, browser, tmp_path):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{finance_server}/finance")
        page.wait_for_selector(READY, timeout=60_000)
        # the chart sits below the fold (charts above it have PNG/SVG buttons): bring it into view first
        page.get_by_role("heading", name="Break-even volume").first.scroll_into_view_if_needed(timeout=60_000)
        title = page.locator("[data-testid='stPlotlyChart'] .gtitle", has_text="Break-even volume").first
        title.wait_for(timeout=60_000)
        assert title.is_visible()
        chart = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Break-even volume").first
        assert chart.locator(".scatterlayer .trace").count() >= 2  # option lines (+ crossing markers)
        assert page.get_by_text("requests/day").first.is_visible()

        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name="FOCUS-aligned CSV").click()
        csv_path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(csv_path)
        assert csv_path.name.endswith("_focus.csv")  # <scenario-slug>_focus.csv
        assert csv_path.read_text(encoding="utf-8-sig").startswith("BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart")

        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name="Workbook (XLSX, live formulas)").click()
        xlsx_path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(xlsx_path)
        assert xlsx_path.name.endswith("_workbook.xlsx")
        import openpyxl

        wb = openpyxl.load_workbook(xlsx_path)
        assert wb.sheetnames[:3] == ["Summary", "Inputs", "Workload"]
    finally:
        ctx.close()
