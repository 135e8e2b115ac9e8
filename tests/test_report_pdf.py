"""One-page decision report (HTML -> PDF through Chromium), export file names and CSV encodings."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.cli import main
from tco.engine import evaluate
from tco.core.filenames import BOM, encode_csv, file_name, slug
from tco.report.pdf import answer_text, money, report_html
from tco.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini_data"
FIN = ROOT / "tests" / "fixtures" / "finance_data" / "scenario.yaml"
CHAT = ROOT / "data" / "scenarios" / "chat_assistant.yaml"
CI = os.environ.get("CI") == "true"


def _need(tool: str) -> None:
    from tco.charts.images import chromium_path

    found = chromium_path() if tool == "chromium" else shutil.which(tool)
    if not found:
        if CI:
            pytest.fail(f"{tool} is missing under CI (scripts/test.sh installs it)")
        pytest.skip(f"{tool} not installed (Debian: apt-get install {'chromium' if tool == 'chromium' else 'poppler-utils'})")


def test_file_names_follow_slug_what_ext():
    assert file_name("Chat assistant", "workbook") == "chat-assistant_workbook.xlsx"
    assert file_name("Chat assistant", "monthly") == "chat-assistant_monthly.csv"
    assert file_name("Café Zürich / 東京", "report") == "cafe-zurich_report.pdf"
    assert file_name("", "focus") == "scenario_focus.csv"
    assert file_name("x", "cumulative-cost", "png") == "x_cumulative-cost.png"
    assert slug("../../etc/passwd") == "etc-passwd"


def test_csv_encodings():
    raw = "name\nCafé\n".encode("utf-8")
    assert encode_csv(raw) == BOM + raw  # default: UTF-8 with BOM, for spreadsheets
    assert encode_csv(BOM + raw) == BOM + raw  # never two
    assert encode_csv(BOM + raw, "utf-8") == raw
    with pytest.raises(ValueError):
        encode_csv(raw, "latin-1")


def test_cli_csv_has_bom_in_files_not_on_stdout(tmp_path, capsysbinary):
    out = tmp_path / "m.csv"
    assert main(["evaluate", str(FIN), "--data", str(MINI), "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(BOM + b"scenario,option,month")
    assert main(["evaluate", str(FIN), "--data", str(MINI), "--format", "focus", "--out", str(out),
                 "--encoding", "utf-8"]) == 0
    assert not out.read_bytes().startswith(BOM)
    capsysbinary.readouterr()
    assert main(["evaluate", str(FIN), "--data", str(MINI), "--format", "csv"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"scenario,")


def test_report_cli_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(FIN), "--data", str(MINI), "--xlsx"]) == 0
    assert (tmp_path / "finance-test_workbook.xlsx").exists()
    assert main(["report", str(FIN), "--data", str(MINI)]) == 2  # neither --xlsx nor --pdf


def test_report_html_has_answer_totals_and_escapes_names():
    cat = load_catalog(MINI)
    d = load_scenario(str(FIN)).to_dict()
    d["options"][0]["name"] = "<script>alert(1)</script>"
    result = evaluate(parse_scenario(d), cat)
    page = report_html(result, cat, "<svg></svg>", "v1")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    for o in result.options:
        assert money(o.total_cash_usd) in page
    assert "catalog version v1" in page and "Key assumptions and sources" in page
    assert "Payback vs" in page and "Latency SLO" in page and "Quality (Elo)" in page



def test_report_html_gives_the_range_of_an_estimated_capacity():
    from tco.analysis.capacity_range import cost_ranges

    cat = load_catalog(None)
    s = load_scenario(str(ROOT / "tests" / "fixtures" / "capacity_range" / "scenario.yaml"))
    result = evaluate(s, cat)
    est = cost_ranges(s, cat, result).option("Qwen 72B estimated")
    page = report_html(result, cat, "", "v1")
    # the estimated option's total cash carries its range; the measured one is a point
    assert f"{money(est.total_cash_usd_low)}-{money(est.total_cash_usd_high)} (estimated capacity)" in page
    assert page.count("(estimated capacity)</span>") == 1  # the SLO column also names each source
    assert "Capacity of 1 option is estimated, not measured" in page and "Other self-hosted capacities are measured" in page
    # measured only (the mini catalog's finance scenario gives its capacities): no range, no note
    mini = load_catalog(MINI)
    plain = report_html(evaluate(load_scenario(str(FIN)), mini), mini, "", "v1")
    assert "(estimated capacity)</span>" not in plain and "is estimated, not measured" not in plain

def _eight_options() -> tuple:
    cat = load_catalog(None)
    d = load_scenario(str(CHAT)).to_dict()
    extra = [dict(d["options"][2], name="Llama 3.1 70B on Together, 10% dearer",
                  prices={"input": 0.968, "output": 0.968}),
             dict(d["options"][5], name="Llama 3.1 8B, rented 1x H100, 2 spares")]
    extra[1]["self_host"] = dict(extra[1]["self_host"], spare_replicas=2)
    d["options"] += extra
    return evaluate(parse_scenario(d), cat), cat


def test_pdf_is_one_page_with_the_answer_and_every_total(tmp_path):
    _need("chromium")
    _need("pdftotext")
    result, cat = _eight_options()
    assert len(result.options) == 8
    out = tmp_path / "r.pdf"
    assert main(["report", str(CHAT), "--pdf", str(out)]) == 0  # the CLI path works too
    from tco.report.pdf import to_pdf

    out.write_bytes(to_pdf(result, cat))
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2  # A4
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert " ".join(answer_text(result).split()) in flat
    for o in result.options:
        assert money(o.total_cash_usd) in flat, o.name
