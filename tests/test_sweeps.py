"""Online sweep import (tco/importers/sweeps.py) on a hand-made sweep file."""
from __future__ import annotations

from pathlib import Path

import pytest

from tco.catalog import ProfileEntry
from tco.io.safeyaml import load_yaml_file
from tco.importers.sweeps import SweepImportError, dump_profiles, read_rows, sweeps_to_profiles

FIX = Path(__file__).parent / "fixtures" / "sweeps" / "online_sweeps_mini.csv"


@pytest.fixture(scope="module")
def imported():
    return sweeps_to_profiles(read_rows(FIX), FIX.name)


def test_latest_run_kept_and_skips_counted(imported):
    profiles, rep = imported
    assert rep.rows == 6
    # gaudi row (unknown GPU/model) and the h200 row without output throughput are skipped
    assert sum(rep.skipped.values()) == 2
    ids = [p["id"] for p in profiles]
    assert ids == ["deepseek-r1-0528-b200-x12-fp4-dynamo-trt-llm-tp8-ep8-dpa-p4tp4ep4dpa-d8tp8ep8dpa-mtp-isl8192-osl1024",
                   "gpt-oss-120b-h100-sxm-x2-fp4-vllm-tp2-isl1024-osl1024"]
    oss = profiles[1]
    # run 200 (higher run id, undated) replaces run 100 (two points): only its one point is kept
    assert rep.older_runs_dropped == 2
    assert len(oss["points"]) == 1
    assert oss["engine_version"] == "vllm:v0.14.0"
    assert oss["as_of"].startswith("2026-01-19 (upper bound")


def test_per_replica_figures_and_mean_lengths(imported):
    oss = imported[0][1]
    pt = oss["points"][0]
    # nominal 1024/1024 -> mean 0.9 x 1024 = 921.6 tokens
    assert oss["isl"] == pytest.approx(921.6) and oss["osl"] == pytest.approx(921.6)
    # 1000 tok/s per GPU x 2 GPUs = 2000 tok/s per replica; 2000 / 921.6 = 2.17014 req/s
    assert pt["output_tokens_per_s"] == pytest.approx(2000.0)
    assert pt["request_throughput_rps"] == pytest.approx(2000.0 / 921.6, rel=1e-6)
    assert pt["ttft_ms"] == {"median": 45.0, "p99": 70.0}
    assert pt["tpot_ms"] == {"median": 4.8, "p99": 5.5}
    assert pt["concurrency"] == 4.0


def test_disaggregated_and_mtp_flags(imported):
    ds = imported[0][0]
    assert ds["model"] == "deepseek-r1" and ds["gpu"] == "b200" and ds["gpus"] == 12
    assert ds["disaggregated"] is True and ds["speculative"] == "mtp"
    assert ds["tp"] == 8 and ds["ep"] == 8 and ds["dp_attention"] is True
    assert ds["points"][0]["output_tokens_per_s"] == pytest.approx(300.0 * 12)


def test_written_yaml_validates_as_profiles(imported, tmp_path):
    out = tmp_path / "p.yaml"
    dump_profiles(imported[0], out)
    data = load_yaml_file(out)
    entries = [ProfileEntry.model_validate(p) for p in data["profiles"]]
    assert entries[1].engine == "vllm" and entries[1].points[0].tpot_ms.p99 == 5.5


def test_bad_number_names_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = FIX.read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[1].replace(",900.0,", ",lots,")]) + "\n")
    with pytest.raises(SweepImportError, match=r"bad.csv: row 2: output_tok_s_per_gpu"):
        sweeps_to_profiles(read_rows(bad), bad.name)
