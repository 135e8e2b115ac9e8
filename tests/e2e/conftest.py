"""Fixtures for browser tests: the real app on a free port and Debian's Chromium (never `playwright install`).

The browser comes from $TCO_CHROMIUM, then /usr/bin/chromium, then chromium on PATH. Without one the
tests are skipped with a loud reason, except under CI=true, where a missing browser fails the run.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
sys.path.insert(0, str(ROOT / "scripts"))
from screenshot import LAUNCH_ARGS, find_chromium, running_app, wait_charts, wait_idle  # noqa: E402

__all__ = ["wait_idle", "wait_charts"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        msg = ("NO CHROMIUM FOUND: browser tests not run. Install Debian's chromium (apt-get install chromium) "
               "or set TCO_CHROMIUM=/path/to/chromium.")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def app_url(chromium_path) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def app_browser(chromium_path):
    """Module-scoped: one Playwright sync instance per thread at a time, so other test modules can start theirs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture()
def app_page(app_browser, app_url):
    """A fresh browser context (own session) on the first page, after its first run has finished."""
    context = app_browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(app_url)
    wait_idle(page)
    wait_charts(page)
    yield page
    context.close()


def pytest_collection_modifyitems(config, items):
    """Browser tests drive a real Chromium against a real server on 2 shared cores: a timing hiccup
    gets up to two more tries (reported as reruns, so flakiness stays visible). Unit tests never rerun."""
    for item in items:
        if item.get_closest_marker("e2e") is not None and item.get_closest_marker("flaky") is None:
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=2))
