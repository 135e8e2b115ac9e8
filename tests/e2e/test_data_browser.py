"""The Data page in a real browser: an invalid cell edit is rejected with its reason; a valid edit shows
the right diff. The app runs on a tmp copy of data/ and read-only (nothing is saved).

data_editor is a canvas: cells are double-clicked by position (header ~36 px, rows 35 px; the page
sets every column to views.data.COL_W px, wide text columns to twice that).
"""
from __future__ import annotations

import shutil

import pytest

from tco.catalog import DEFAULT_DATA_DIR
from tco.catalog import edit as ce

from .conftest import ARTIFACTS, running_app, wait_idle

pytestmark = pytest.mark.e2e

HEADER_PX, ROW_PX = 36, 35


@pytest.fixture(scope="module")
def data_url(chromium_path, tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, d, ignore=shutil.ignore_patterns(".backups"))
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(env={"TCO_DATA_DIR": str(d), "TCO_DATA_WRITABLE": "0"}) as url:
        yield url


@pytest.fixture()
def data_page(app_browser, data_url):
    context = app_browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(f"{data_url}/data")
    wait_idle(page)
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    yield page
    context.close()


def _cell_xy(page, column: str, row: int) -> tuple[float, float]:
    from views.data import COL_W, WIDE

    x = 0.0
    for c in ce.columns("models"):
        w = 2 * COL_W if c in WIDE else COL_W
        if c == column:
            x += w / 2
            break
        x += w
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    return box["x"] + x, box["y"] + HEADER_PX + ROW_PX * row + ROW_PX / 2


def _type_into(page, column: str, row: int, text: str) -> None:
    x, y = _cell_xy(page, column, row)
    page.mouse.dblclick(x, y)
    page.wait_for_selector(".gdg-input", timeout=10_000)
    editor = page.locator(".gdg-input").first
    editor.fill(text)
    editor.press("Enter")
    wait_idle(page)


def test_invalid_edit_rejected_then_valid_edit_diff(data_page):
    page = data_page
    first = ce.read_catalog_file(DEFAULT_DATA_DIR, "models").entries[0]
    assert first["id"] == "llama-3.2-1b"

    _type_into(page, "total_params_b", 0, "-1")
    alert = page.get_by_test_id("stAlert").filter(has_text="saving is disabled")
    alert.wait_for(timeout=30_000)
    text = alert.inner_text()
    assert "total" in text and "must be > 0, got -1.0" in text
    assert page.get_by_role("button", name="Save").is_disabled()
    page.screenshot(path=str(ARTIFACTS / "e2e-data-invalid.png"), full_page=True)

    _type_into(page, "total_params_b", 0, "1.5")
    code = page.locator("[data-testid='stCode']").filter(has_text="llama-3.2-1b")
    code.wait_for(timeout=30_000)
    diff = code.inner_text()
    assert "~ llama-3.2-1b" in diff and f"total_params_b: {first['total_params_b']} -> 1.5" in diff
    assert "0 added, 0 removed, 1 changed" in diff
    assert page.get_by_test_id("stAlert").filter(has_text="saving is disabled").count() == 0
    assert page.get_by_text("Using edited, unsaved data").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "e2e-data-diff.png"), full_page=True)
