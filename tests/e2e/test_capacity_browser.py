"""The engineer's loop in a real browser: set the Compare workload, upload a real vLLM result on the
Capacity page, see the measured curve next to the estimate, "Use in Compare", and find the new option
on Compare with capacity source ``measured``. The app runs on a tmp copy of data/, read-only."""
from __future__ import annotations

import csv
import io

import shutil
from pathlib import Path

import pytest

from tco.catalog import DEFAULT_DATA_DIR

from .conftest import ARTIFACTS, running_app, wait_charts, wait_idle

pytestmark = pytest.mark.e2e
FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def loop_url(chromium_path, tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-cap") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, d, ignore=shutil.ignore_patterns(".backups"))
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(env={"TCO_DATA_DIR": str(d), "TCO_DATA_WRITABLE": "0"}) as url:
        yield url


def _choose(page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _set_number(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_upload_on_capacity_then_use_in_compare(app_browser, loop_url, tmp_path):
    # the real vLLM result of Llama 3.3 70B on 8x A100 40GB (TP8), named as vLLM's nightly runs name it
    src = tmp_path / "serving_meta-llama-Llama-3.3-70B-Instruct_tp8_pp1_sharegpt_qps_01.json"
    shutil.copyfile(FIX / "vllm" / "qps_01.json", src)
    ctx = app_browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(loop_url)
        wait_idle(page)
        wait_charts(page, 1)
        # the file's lengths: ISL 42659/200 = 213.3, OSL 42722/200 = 213.6 tokens
        _set_number(page, "Input [tokens/request]", 213)
        _set_number(page, "Output [tokens/request]", 214)
        page.get_by_role("link", name="Capacity").click()
        wait_idle(page)
        assert page.get_by_label("Mean input tokens", exact=True).input_value() == "213"  # from Compare
        _choose(page, "Model", "llama-3.3-70b")
        _choose(page, "GPU", "a100-40gb")
        box = page.get_by_test_id("stFileUploader").filter(has_text="Benchmark file").first
        box.locator("input[type=file]").set_input_files(str(src))
        wait_idle(page)
        ok = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Imported").first
        ok.wait_for(timeout=60_000)
        assert page.get_by_test_id("stException").count() == 0
        # GPUs per replica read from the file (tp8 x pp1)
        assert "llama-3.3-70b-a100-40gb-8x-bf16" in ok.inner_text()
        # what the file states of its configuration: tp from its name; no engine or version (never guessed)
        facts = page.get_by_test_id("stCaptionContainer").filter(has_text="Configuration the file states").first
        assert "tp 8" in facts.inner_text() and "not stated in the file: engine, engine_version" in facts.inner_text()
        up = page.get_by_test_id("stMetric").filter(has_text="Uploaded: capacity per replica").first
        assert "req/s" in up.get_by_test_id("stMetricValue").inner_text()
        wait_charts(page, 1)
        chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first
        assert "uploaded file" in (chart.locator(".gtitle").first.text_content() or "")
        legend = chart.locator(".legendtext").all_text_contents()
        assert any(t.startswith("measured") for t in legend) and any(t.startswith("estimated") for t in legend)
        page.screenshot(path=str(ARTIFACTS / "e2e-capacity-upload.png"), full_page=True)

        page.get_by_role("button", name="Use in Compare").click()
        wait_idle(page)
        msg = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Added option").first.inner_text()
        name = msg.split("'")[1]
        page.get_by_test_id("stTopNav").get_by_role("link", name="Compare").click()
        wait_idle(page)
        wait_charts(page, 1)
        assert page.get_by_test_id("stException").count() == 0
        # the option may be renamed to follow its configuration (issue 15); its capacity comes from the uploaded
        # profile, measured: the assumptions the Compare answer used say so (the grid's cells are a canvas)
        assert "Llama 3.3 70B" in name
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name="Assumptions used (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
        cap = [r for r in rows if r.get("name") == "capacity_rps_per_replica" and "Llama 3.3 70B" in r.get("option", "")]
        assert cap and cap[0]["origin"] == "measured", cap or rows[:5]
        assert "llama-3.3-70b-a100-40gb-8x-bf16" in cap[0]["ref"], cap
        page.screenshot(path=str(ARTIFACTS / "e2e-capacity-use-in-compare.png"), full_page=True)
    finally:
        ctx.close()
