"""The command line: validate, evaluate (table/csv/json), list, and located errors for bad scenarios."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tco.cli import main

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini_data"

GOOD = """\
name: cli test
start: 2027-01
months: 6
workload: {requests_per_day: 2400, input_tokens: 1000, output_tokens: 500}
options:
  - {name: GPT-4o, api: openai/gpt-4o}
  - name: rent
    self_host: {model: llama-3.1-70b, gpu: h100-sxm, capacity_rps_per_replica: 10, rent: {usd_per_gpu_hour: 0.5}}
"""


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def good(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(GOOD)
    return p


def test_validate_bundled_data_passes(capsys):
    code, out, err = run(["validate"], capsys)
    assert code == 0, err + out
    assert out.startswith("ok: ") and len(out.strip().splitlines()) == 1


def test_validate_reports_each_problem(tmp_path, capsys):
    import shutil

    shutil.copytree(MINI, tmp_path / "d")
    g = tmp_path / "d" / "gpus.yaml"
    g.write_text(g.read_text().replace("memory_gb: 80", "memory_gb: -80"))
    code, out, err = run(["validate", "--data", str(tmp_path / "d")], capsys)
    assert code == 1
    assert "d/gpus.yaml: h100-sxm: memory_gb: must be > 0, got -80" in out


def test_evaluate_formats(good, capsys):
    code, table, _ = run(["evaluate", str(good), "--data", str(MINI)], capsys)
    assert code == 0 and "GPT-4o" in table and "break-even" in table
    code, text, _ = run(["evaluate", str(good), "--data", str(MINI), "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:8] == ["scenario", "option", "month", "line_item", "cash_usd", "accrual_usd", "quantity", "unit"]
    assert len(rows) == 6 * 1 + 6 * 2  # api: 1 line item; rent option: rent + staff
    code, text, _ = run(["evaluate", str(good), "--data", str(MINI), "--format", "json"], capsys)
    doc = json.loads(text)
    opt = doc["options"][0]
    for key in ("name", "kind", "total_cash_usd", "total_accrual_usd", "npv_usd", "usd_per_million_tokens",
                "break_even_month", "months"):
        assert key in opt
    m0 = doc["options"][1]["months"][0]
    for key in ("month", "requests", "input_tokens", "output_tokens", "peak_rps", "replicas", "gpus", "cash_usd",
                "accrual_usd", "line_items"):
        assert key in m0
    assert m0["line_items"]["rent"] == {"cash_usd": 365.0, "accrual_usd": 365.0}
    assert doc["options"][1]["break_even_month"] == "2027-01"
    # CSV totals equal JSON totals
    total = sum(float(r["cash_usd"]) for r in rows if r["option"] == "GPT-4o")
    assert total == pytest.approx(doc["options"][0]["total_cash_usd"], abs=0.01)


def test_evaluate_out_file(good, tmp_path, capsys):
    out = tmp_path / "o.json"
    code, text, _ = run(["evaluate", str(good), "--data", str(MINI), "--format", "json", "--out", str(out)], capsys)
    assert code == 0 and text == ""
    assert json.loads(out.read_text())["scenario"] == "cli test"


BAD = [
    ("negative requests", GOOD.replace("requests_per_day: 2400", "requests_per_day: -5"),
     "workload.requests_per_day: must be >= 0, got -5"),
    ("yaml syntax", GOOD.replace("workload: {", "workload: {{"), "YAML syntax error"),
    ("not a mapping", "- just\n- a list\n", "expected a YAML mapping"),
    ("empty", "", "expected a YAML mapping"),
    ("wrong type", GOOD.replace("input_tokens: 1000", "input_tokens: lots"), "workload.input_tokens: must be a number"),
    ("missing field", GOOD.replace("input_tokens: 1000, ", ""), "workload.input_tokens: required field is missing"),
    ("unknown field", GOOD.replace("months: 6", "months: 6\nmonthz: 7"), "monthz: unknown field"),
    ("bad month", GOOD.replace("start: 2027-01", "start: 2027-13"), "start: must be a month YYYY-MM"),
    ("nan", GOOD.replace("input_tokens: 1000", "input_tokens: .nan"), "workload.input_tokens: must be a finite number"),
    ("inf", GOOD.replace("output_tokens: 500", "output_tokens: .inf"), "workload.output_tokens: must be a finite number"),
    ("share > 1", GOOD.replace("output_tokens: 500}", "output_tokens: 500, batch_share: 1.5}"),
     "workload.batch_share: must be <= 1, got 1.5"),
    ("unknown api", GOOD.replace("openai/gpt-4o", "openai/gpt-5o"), "options[0].api: unknown api id 'openai/gpt-5o'"),
    ("rent and own", GOOD.replace("rent: {usd_per_gpu_hour: 0.5}", "rent: {usd_per_gpu_hour: 0.5}, own: {server: test-server}"),
     "needs exactly one of rent or own"),
    ("duplicate names", GOOD.replace("name: rent", "name: GPT-4o"), "option names must be unique"),
    ("no options", GOOD.split("options:")[0] + "options: []\n", "options: must not be empty"),
    ("alias bomb", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "aliases"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not UTF-8" ),
    ("zero months", GOOD.replace("months: 6", "months: 0"), "months: must be >= 1, got 0"),
]


@pytest.mark.parametrize("label,text,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_scenarios_exit_2_with_located_message(label, text, expected, tmp_path, capsys):
    p = tmp_path / "s.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = run(["evaluate", str(p), "--data", str(MINI)], capsys)
    assert code == 2, (out, err)
    assert expected in err
    assert err.startswith(str(p) + ": ")
    assert "Traceback" not in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code, out, err = run(["evaluate", str(tmp_path / "nope.yaml"), "--data", str(MINI)], capsys)
    assert code != 0 and "nope.yaml: file not found" in err


def test_list_commands(capsys):
    for what in ("models", "gpus", "offers", "servers", "apis", "profiles", "assumptions"):
        code, out, _ = run(["list", what], capsys)
        assert code == 0 and "as_of" in out.splitlines()[0] and "source" in out.splitlines()[0]
    code, out, _ = run(["list", "models"], capsys)
    assert "llama-3.1-70b" in out


def test_module_entry_point(good):
    proc = subprocess.run([sys.executable, "-m", "tco", "evaluate", str(good), "--data", str(MINI), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["options"][0]["name"] == "GPT-4o"


def test_yaml_true_is_not_a_number(tmp_path, capsys):
    p = tmp_path / "s.yaml"
    p.write_text(GOOD.replace("requests_per_day: 2400", "requests_per_day: true"))
    code, out, err = run(["evaluate", str(p), "--data", str(MINI)], capsys)
    assert code == 2 and "workload.requests_per_day: must be a number, got True" in err
