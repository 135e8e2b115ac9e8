"""Three journeys a new user takes, end to end in Chromium, each ending with a full-page screenshot in
test-artifacts/journeys/ (kept by CI as artifacts).

1. Decision-maker: changes the traffic on Compare, sees the break-even months move, shares the URL;
   the link opened in a fresh session shows the same numbers.
2. Finance user: opens Finance, switches to accrual, downloads the FOCUS CSV and the XLSX, and the
   totals in both equal the CLI's for the same scenario.
3. Engineer: uploads a vLLM result (tests/fixtures/vllm) on Capacity and sees the new profile; adds it
   to the catalog on the Data page (a tmp copy of data/, never the repository's) and loads a scenario
   whose self-host option uses that configuration: its capacity now comes from the measured profile.
"""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, wait_charts, wait_idle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ARTIFACTS / "journeys"
VLLM = ROOT / "tests" / "fixtures" / "vllm" / "qps_01.json"
REQUESTS = "Requests per day [req/day]"


def _shot(page, name: str) -> Path:
    from screenshot import full_page_screenshot

    path = SHOTS / f"{name}.png"
    full_page_screenshot(page, path)
    return path


def _wait_metrics(page) -> None:
    """The headline metrics are drawn (and the run that drew them has finished)."""
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=120_000)
    wait_idle(page)


def _metrics(page) -> dict[str, str]:
    out = {}
    for box in page.get_by_test_id("stMetric").all():
        label = box.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = box.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def _no_exception(page) -> None:
    assert page.get_by_test_id("stException").count() == 0


def _set_number(page, label: str, value: float) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(f"{value:.0f}")
    box.press("Enter")
    wait_idle(page)


# ----------------------------------------------------------------------------------------------
# 1. decision-maker


def test_journey_decision_maker_moves_break_even_and_shares(app_browser, app_url):
    ctx = app_browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(app_url)
        wait_idle(page)
        wait_charts(page, 1)
        _wait_metrics(page)
        before = _metrics(page)
        assert any(v == "never" or v[:4].isdigit() for v in before.values()), before
        volume = float(page.get_by_role("spinbutton", name=REQUESTS, exact=True).input_value())

        _set_number(page, REQUESTS, volume * 8)  # a much busier product
        wait_charts(page, 1)
        _wait_metrics(page)
        after = _metrics(page)
        _no_exception(page)
        moved = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
        assert moved, "changing the traffic changed no number on the page"
        # more traffic never makes a self-host break-even later: any month present in both moved earlier or stayed
        for label, (b, a) in moved.items():
            if b and a and b[:4].isdigit() and a[:4].isdigit() and len(b) == len(a) == 7:
                assert a <= b, f"{label}: break-even moved later with more traffic ({b} -> {a})"

        page.get_by_role("button", name="Share link").click()
        wait_idle(page)
        link = page.get_by_test_id("stCode").first.inner_text().strip()
        assert "?s=v1." in link, link
        link = app_url + "/?" + link.split("?", 1)[1]  # the same link on this server's address
        _shot(page, "1-decision-maker-shares")

        fresh = app_browser.new_context(viewport={"width": 1280, "height": 900})  # someone else opens it
        try:
            other = fresh.new_page()
            other.goto(link)
            wait_idle(other)
            wait_charts(other, 1)
            _wait_metrics(other)  # the metrics are drawn after the first chart on a fresh page
            _no_exception(other)
            shared = _metrics(other)
            for label, value in after.items():
                assert shared.get(label) == value, f"{label}: {shared.get(label)} in the shared link, {value} before"
            assert float(other.get_by_role("spinbutton", name=REQUESTS, exact=True).input_value()) == volume * 8
            _shot(other, "1-decision-maker-shared-link-opened")
        finally:
            fresh.close()
    finally:
        ctx.close()


# ----------------------------------------------------------------------------------------------
# 2. finance user


def _cli_totals(tmp_path: Path) -> dict[str, dict[str, float]]:
    """CLI JSON totals of the scenario the Finance page shows in a fresh session (the default one)."""
    from tco.catalog import load_catalog
    from tco.cli import main
    from tco.scenario.defaults import default_scenario

    path = tmp_path / "default.yaml"
    path.write_text(default_scenario(load_catalog()).to_yaml())
    out = tmp_path / "default.json"
    assert main(["evaluate", str(path), "--format", "json", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    return {o["name"]: {"cash": o["total_cash_usd"], "accrual": o["total_accrual_usd"]} for o in doc["options"]}


def test_journey_finance_user_accrual_and_downloads(app_browser, app_url, tmp_path):
    from openpyxl import load_workbook

    cli = _cli_totals(tmp_path)
    ctx = app_browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(app_url + "/finance")
        wait_idle(page)
        wait_charts(page, 1)
        page.get_by_test_id("stRadio").filter(has_text="Basis").get_by_text("accrual", exact=True).click()
        wait_idle(page)
        wait_charts(page, 1)
        _no_exception(page)
        titles = " ".join(t.text_content() or "" for t in page.locator("[data-testid='stPlotlyChart'] .gtitle").all())
        assert "accrual" in titles.lower(), titles

        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name="FOCUS-aligned CSV").click()
        focus = tmp_path / "focus.csv"
        dl.value.save_as(focus)
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name="Workbook (XLSX, live formulas)").click()
        xlsx = tmp_path / "report.xlsx"
        dl.value.save_as(xlsx)
        _shot(page, "2-finance-user-accrual-downloads")
    finally:
        ctx.close()

    # FOCUS: BilledCost is cash, EffectiveCost accrual, for ONE option (the cheapest: options are alternatives)
    rows = list(csv.DictReader(io.StringIO(focus.read_text(encoding="utf-8-sig"))))
    option_col = next(c for c in rows[0] if "option" in c.lower())
    billed, effective = defaultdict(float), defaultdict(float)
    for r in rows:
        billed[r[option_col]] += float(r["BilledCost"])
        effective[r[option_col]] += float(r["EffectiveCost"])
    cheapest = min(cli, key=lambda n: cli[n]["cash"])
    assert set(billed) == {cheapest}
    for name in billed:
        assert billed[name] == pytest.approx(cli[name]["cash"], rel=1e-6, abs=0.05), name
        assert effective[name] == pytest.approx(cli[name]["accrual"], rel=1e-6, abs=0.05), name

    # the workbook is live (formulas over its Inputs sheet): recalculate it as Excel would on opening
    from tests.test_workbook import recalc

    ws = load_workbook(xlsx)["Summary"]
    values = recalc(xlsx)
    header = [c.value for c in ws[1]]
    i_cash = next(i for i, h in enumerate(header) if h and h.startswith("Total cash"))
    i_acc = next(i for i, h in enumerate(header) if h and h.startswith("Total accrual"))
    seen = set()
    for row in ws.iter_rows(min_row=2):
        name = row[0].value
        if name in cli:
            seen.add(name)
            cash = float(values[("SUMMARY", row[i_cash].coordinate)])
            acc = float(values[("SUMMARY", row[i_acc].coordinate)])
            assert cash == pytest.approx(cli[name]["cash"], rel=1e-6, abs=0.05), name
            assert acc == pytest.approx(cli[name]["accrual"], rel=1e-6, abs=0.05), name
    assert seen == set(cli)


# ----------------------------------------------------------------------------------------------
# 3. engineer


@pytest.fixture()
def writable_app(chromium_path, tmp_path):
    """The app on a tmp copy of data/ that the Data page may save to (the repository's data/ is never touched)."""
    import shutil

    from screenshot import running_app

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns(".backups"))
    with running_app(env={"TCO_DATA_DIR": str(data), "TCO_DATA_WRITABLE": "1"}) as url:
        yield url, data


def _upload(page, uploader_label: str, path: Path) -> None:
    box = page.get_by_test_id("stFileUploader").filter(has_text=uploader_label).first
    box.locator("input[type=file]").set_input_files(str(path))
    wait_idle(page)


def _choose(page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_journey_engineer_uploads_vllm_and_uses_it(app_browser, writable_app, tmp_path):
    url, data = writable_app
    before = {p.name for p in (ROOT / "data").rglob("*")}
    ctx = app_browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    try:
        # Capacity: the measured configuration of the file (Llama 3.3 70B, 8x A100 40GB, TP8, BF16)
        page.goto(url + "/capacity")
        wait_idle(page)
        _choose(page, "Model", "llama-3.3-70b")
        _choose(page, "GPU", "a100-40gb")
        _choose(page, "GPUs per replica", "8")
        _upload(page, "Benchmark file", VLLM)
        _no_exception(page)
        ok = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Imported").first
        ok.wait_for(timeout=60_000)
        profile_id = ok.inner_text().split("`")[1] if "`" in ok.inner_text() else ok.locator("code").inner_text()
        assert profile_id.startswith("llama-3.3-70b-a100-40gb-8x-bf16"), profile_id
        _shot(page, "3-engineer-capacity-upload")

        # Data: add it to the throughput profiles and save (into the tmp data copy)
        page.goto(url + "/data")
        wait_idle(page)
        page.get_by_text("Upload a throughput profile").click()
        _choose(page, "Model", "llama-3.3-70b")
        _choose(page, "GPU", "a100-40gb")
        _set_number(page, "GPUs per replica", 8)
        _upload(page, "Benchmark file", VLLM)
        page.get_by_role("button", name="Add to the throughput profiles table").click()
        wait_idle(page)
        save = page.get_by_role("button", name="Save").first
        save.click()
        wait_idle(page)
        _no_exception(page)
        saved = "\n".join(p.read_text() for p in [data / "profiles.yaml", *sorted((data / "profiles").glob("*.yaml"))]
                          if p.exists())
        assert profile_id in saved, "the profile was not saved into the data directory"

        # Compare: a scenario whose self-host option runs that configuration, capacity from profiles
        scen = tmp_path / "engineer.yaml"
        scen.write_text(f"""name: Engineer journey
start: 2027-01
months: 12
workload: {{requests_per_day: 20000, input_tokens: 213, output_tokens: 214}}
options:
  - {{name: Llama 3.3 70B API, api: together/llama-3.3-70b}}
  - name: Llama 3.3 70B on 8x A100 40GB
    self_host: {{model: llama-3.3-70b, gpu: a100-40gb, gpus_per_replica: 8, precision: bf16,
                rent: {{usd_per_gpu_hour: 1.2}}}}
""")
        page.goto(url)
        wait_idle(page)
        _upload(page, "Load a scenario (YAML)", scen)
        wait_charts(page, 1)
        _no_exception(page)
        page.get_by_text("Notes on the options").first.click()
        wait_idle(page)  # built on demand (issue 21): opening it reruns the section
        notes = page.get_by_test_id("stExpander").filter(has_text="Notes on the options").first.inner_text()
        assert "estimated by the physics model" not in notes, notes[:2000]  # not the estimator fallback
        assert "highest measured load" in notes or "stand-in for p95" in notes, notes[:2000]  # a measured profile
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name="Assumptions used (CSV)").click()
        used = tmp_path / "assumptions.csv"
        dl.value.save_as(used)
        assert profile_id in used.read_text(), "the self-host option does not use the uploaded profile"
        _shot(page, "3-engineer-uses-profile")
    finally:
        ctx.close()
    assert {p.name for p in (ROOT / "data").rglob("*")} == before, "the repository's data/ changed"
