"""Acceptance: real benchmark files (tests/fixtures/real/, see its SOURCES.md) import to the file's own
numbers or are refused with their reason; provenance comes from the file; big files stream."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from tco.catalog import ProfileEntry
from tco.cli import main
from tco.core.exceptions import ImportFormatError
from tco.importers import LIST_CAP, import_bytes, import_files, load_json, model_matches, parse_date

from test_importers import data_dir  # noqa: F401  (fixture: a minimal catalog)

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
META = dict(model="llama-3.1-8b", gpu="h100-sxm", gpus=1, precision="bf16")


def _raw(name: str):
    return json.loads((REAL / name).read_text())


def test_all_failed_vllm_run_is_refused_with_its_reason():
    with pytest.raises(ImportFormatError) as exc:
        import_files("vllm", [REAL / "er0080_bench_serve_all_failed_v0.25.1.json"], **META)
    msg = str(exc.value)
    assert msg.startswith("er0080_bench_serve_all_failed_v0.25.1.json: no completed request (completed 0, failed 8)")
    assert "\n" not in msg


def test_zero_throughput_is_refused():
    d = _raw("er0080_bench_serve_v0.25.1.json")
    d["request_throughput"] = 0.0
    with pytest.raises(ImportFormatError, match="zero throughput"):
        import_bytes("vllm", json.dumps(d).encode(), "z.json", **META)


def test_vllm_bench_serve_v0_25_own_numbers_and_provenance():
    d = _raw("er0080_bench_serve_v0.25.1.json")
    prof = import_files("vllm", [REAL / "er0080_bench_serve_v0.25.1.json"], **META)
    [pt] = prof["points"]
    assert_allclose([pt["request_throughput_rps"], pt["output_tokens_per_s"]],
                    [d["request_throughput"], d["output_throughput"]], atol=1e-6)
    assert_allclose([pt["ttft_ms"]["mean"], pt["ttft_ms"]["median"], pt["ttft_ms"]["p99"]],
                    [d["mean_ttft_ms"], d["median_ttft_ms"], d["p99_ttft_ms"]], atol=1e-6)
    assert pt["concurrency"] == 2 and pt["load"] == "request_rate=inf" and "request_rate" not in pt
    assert prof["isl"] == 256 / 8 and prof["osl"] == 128 / 8  # total tokens / completed requests
    assert prof["as_of"] == "2026-08-16"  # "date": "20260816-160853"
    assert prof["endpoint"] == "vllm" and prof["engine"] == "unknown"  # backend is the client protocol
    assert prof["source"] == "vLLM bench serve result file(s): er0080_bench_serve_v0.25.1.json"
    # the file names no engine, version or tensor-parallel size: left empty and listed as missing, never guessed
    assert prof["missing"] == ["engine", "engine_version", "tp"] and "tp" not in prof and "engine_version" not in prof
    assert "the file does not state the tensor-parallel size (tp)" in prof["notes"]
    assert "facebook/opt-125m" in prof["notes"]  # model mismatch flagged
    ProfileEntry.model_validate(prof)


def test_vllm_sweep_summary_is_one_profile_one_point_per_run():
    runs = _raw("er0080_sweep_v0.25.1_summary.json")
    prof = import_files("vllm", [REAL / "er0080_sweep_v0.25.1_summary.json"], **META)
    assert len(prof["points"]) == 2
    assert_allclose(sorted(p["request_throughput_rps"] for p in prof["points"]),
                    sorted(r["request_throughput"] for r in runs), atol=1e-6)
    assert prof["endpoint"] == "openai" and prof["engine"] == "unknown" and prof["as_of"] == "2026-08-18"


def test_vllm_sweep_folder(tmp_path):
    run_dir = tmp_path / "SERVE--max_num_seqs=4-BENCH--max_concurrency=2-num_prompts=8"
    run_dir.mkdir()
    shutil.copyfile(REAL / "er0080_sweep_v0.25.1_summary.json", run_dir / "summary.json")
    shutil.copyfile(REAL / "er0080_sweep_v0.25.1_run0.json", run_dir / "run=0.json")
    prof = import_files("vllm", [tmp_path], **META)
    assert len(prof["points"]) == 2  # summary.json stands for the run files beside it
    (run_dir / "summary.json").unlink()
    prof = import_files("vllm", [tmp_path], **META)
    assert len(prof["points"]) == 1 and prof["source"].endswith("run=0.json")


def test_sweep_runs_of_different_serve_settings_are_not_merged():
    runs = _raw("er0080_sweep_v0.25.1_summary.json")
    runs[1]["max_num_seqs"] = 8
    with pytest.raises(ImportFormatError, match=r"holds 2 configurations \(max_num_seqs=4, max_num_seqs=8\)"):
        import_bytes("vllm", json.dumps(runs).encode(), "summary.json", **META)
    prof = import_bytes("vllm", json.dumps(runs).encode(), "summary.json", select="max_num_seqs=8", **META)
    assert len(prof["points"]) == 1 and "max_num_seqs=8" in prof["source"]


def test_nightly_table_with_two_models_refused_then_one_selected():
    name = "potabk_ascend_benchmark_results_table.json"
    with pytest.raises(ImportFormatError) as exc:
        import_files("vllm", [REAL / name], **{**META, "gpus": None})
    assert "holds 2 configurations (serving_qwen2_5_7B_tp1, serving_qwen2_5vl_7B_tp1)" in str(exc.value)
    prof = import_files("vllm", [REAL / name], select="serving_qwen2_5_7B_tp1", **{**META, "gpus": None})
    rows = [r for r in _raw(name) if r["Test name"].startswith("serving_qwen2_5_7B_tp1_")]
    assert [p.get("request_rate") for p in prof["points"]] == [1.0, 4.0, 16.0, None]
    assert_allclose([p["request_throughput_rps"] for p in prof["points"]], [r["Tput (req/s)"] for r in rows], atol=1e-6)
    assert prof["gpus"] == 1  # tp1 in the test name
    # "TTFT (ms)" does not say mean, median or p99: not imported, listed as missing
    assert {"ttft_ms", "tpot_ms", "itl_ms", "isl", "osl"} <= set(prof["missing"])
    assert "'TTFT (ms)'" in prof["notes"] and "do not say which statistic" in prof["notes"]
    assert "import date" in prof["as_of"]


def test_llmperf_wrapper_keyed_by_concurrency():
    name = "philschmid_tgi201_llama3-8b_tp1_results_by_concurrency.json"
    d = _raw(name)
    prof = import_files("llmperf", [REAL / name], **META)
    assert [p["concurrency"] for p in prof["points"]] == [float(k) for k in d]
    first = d["1"]
    p1 = prof["points"][0]
    assert_allclose(p1["ttft_ms"]["mean"], first["results_ttft_s_mean"] * 1000, atol=1e-6)  # s -> ms
    assert_allclose(p1["request_throughput_rps"], first["results_num_completed_requests_per_min"] / 60, atol=1e-6)
    assert prof["as_of"] == parse_date(first["timestamp"]) and prof["as_of"].startswith("2024-")
    # tp from the file name (..._tp1_...); llmperf names no engine and no version
    assert prof["tp"] == 1 and "tp 1 from the file name" in prof["notes"]
    assert prof["missing"] == ["itl_ms", "engine", "engine_version"]


def test_aiperf_json_concurrency_date_and_metrics():
    name = "akamas_aiperf0.11_qwen3-4b_c16_profile_export_aiperf.json"
    d = _raw(name)
    for tool in ("aiperf", "genai-perf"):  # genai-perf detects AIPerf files
        prof = import_files(tool, [REAL / name], **META)
        [pt] = prof["points"]
        assert pt["concurrency"] == 16  # input_config.phases[0].concurrency
        assert pt["request_throughput_rps"] == round(d["request_throughput"]["avg"], 6)
        assert pt["output_tokens_per_s"] == round(d["output_token_throughput"]["avg"], 6)
        assert pt["ttft_ms"]["p95"] == round(d["time_to_first_token"]["p95"], 6)
        assert pt["tpot_ms"]["mean"] == round(d["inter_token_latency"]["avg"], 6)
        assert pt["itl_ms"]["mean"] == round(d["inter_chunk_latency"]["avg"], 6)
        assert prof["as_of"] == "2026-09-30" and prof["endpoint"] == "chat"
        assert prof["osl"] == round(d["output_sequence_length"]["avg"], 3) and "isl" in prof["missing"]
        assert prof["source"].startswith("AIPerf result file(s)")


def test_genai_perf_csv_with_thousands_separators():
    prof = import_files("genai-perf", [REAL / "cloudai_doc_profile_genai_perf.csv"], **META)
    [pt] = prof["points"]
    assert pt["ttft_ms"]["mean"] == 1146.31 and pt["ttft_ms"]["p99"] == 3457.97
    assert pt["request_throughput_rps"] == 1.5 and pt["output_tokens_per_s"] == 261.25
    assert prof["isl"] == 3000.05 and prof["osl"] == 174.45
    assert "load" in prof["missing"] and "itl_ms" in prof["missing"]


def test_genai_perf_json_without_ttft_lists_it_as_missing():
    d = json.loads((REAL.parent / "genai_perf" / "profile_export_genai_perf.json").read_text())
    d.pop("time_to_first_token")
    prof = import_bytes("genai-perf", json.dumps(d).encode(), "no_ttft.json", **META)
    assert "ttft_ms" in prof["missing"] and "the file gives no ttft_ms" in prof["notes"]


def test_gpu_count_from_the_file_and_conflicts(tmp_path):
    src = tmp_path / "serving_x_tp8_pp1_sharegpt_qps_01.json"
    shutil.copyfile(REAL.parent / "vllm" / "qps_01.json", src)
    prof = import_files("vllm", [src], **{**META, "model": "llama-3.3-70b", "gpus": None})
    assert prof["gpus"] == 8 and "GPUs per replica 8 from the file name" in prof["notes"]
    with pytest.raises(ImportFormatError, match="given as 4 but the file states 8"):
        import_files("vllm", [src], **{**META, "gpus": 4})
    with pytest.raises(ImportFormatError, match="does not state the GPUs per replica"):
        import_files("vllm", [REAL / "er0080_bench_serve_v0.25.1.json"], **{**META, "gpus": None})


@pytest.mark.parametrize("value,iso", [
    ("2026-09-04T20:37:02Z", "2026-09-04"), ("2026-09-30T16:53:39.902853", "2026-09-30"),
    ("20260816-160853", "2026-08-16"), (1735689600, "2025-01-01"), (1735689600000, "2025-01-01"),
    ("1735689600", "2025-01-01"), ("2026-09-04T23:30:00-02:00", "2026-09-05"), ("soon", None), (None, None),
])
def test_run_dates(value, iso):
    assert parse_date(value) == iso


def test_model_match():
    assert model_matches("meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b")
    assert model_matches("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b")
    assert not model_matches("facebook/opt-125m", "llama-3.1-8b")
    assert not model_matches("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3.1-8b")


def test_big_result_streams_without_per_request_arrays(tmp_path):
    """52 MB (over the old 50 MiB refusal) of per-request arrays: imported, arrays capped at LIST_CAP."""
    d = _raw("er0080_bench_serve_v0.25.1.json")
    d["completed"], d["total_input_tokens"], d["total_output_tokens"] = 10_000, 2_560_000, 1_280_000
    big = tmp_path / "big.json"
    with big.open("w") as fh:
        fh.write(json.dumps(d)[:-1])
        fh.write(', "generated_texts": [')
        fh.write(", ".join([json.dumps("x" * 5200)] * 10_000))
        fh.write('], "ttfts": [' + ", ".join(["0.1"] * 10_000) + "]}")
    assert big.stat().st_size > 52 * 10**6
    doc = load_json(big, str(big), "test")
    assert len(doc["generated_texts"]) == LIST_CAP and len(doc["ttfts"]) == LIST_CAP
    prof = import_files("vllm", [big], **META)
    assert prof["isl"] == 256.0 and prof["points"][0]["request_throughput_rps"] == round(d["request_throughput"], 6)


def test_json_with_nan_still_reads():
    d = (REAL / "er0080_bench_serve_v0.25.1.json").read_text().replace('"rtfx": 0.0', '"rtfx": NaN')
    prof = import_bytes("vllm", d.encode(), "nan.json", **META)
    assert len(prof["points"]) == 1


# ---------------------------------------------------------------- CLI

def _cli(data_dir, *args):
    return main(["import", *args, "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--precision", "bf16",
                 "--data", str(data_dir)])


def test_cli_all_failed_exits_2_with_one_line(data_dir, capsys):  # noqa: F811
    rc = _cli(data_dir, "vllm", str(REAL / "er0080_bench_serve_all_failed_v0.25.1.json"), "--gpus", "1",
              "--format", "json")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "no completed request" in err


def test_cli_json_has_provenance_and_missing(data_dir, capsys):  # noqa: F811
    rc = _cli(data_dir, "vllm", str(REAL / "er0080_bench_serve_v0.25.1.json"), "--gpus", "1", "--format", "json")
    out = capsys.readouterr()
    prof = json.loads(out.out)
    assert rc == 0
    assert prof["as_of"] == "2026-08-16" and prof["engine"] is None and prof["endpoint"] == "vllm"
    assert prof["missing"] == ["engine", "engine_version", "tp"] and "/" not in prof["source"].split(": ", 1)[1]
    assert prof["tp"] is None and prof["engine_version"] is None  # JSON names every field, null when unknown
    assert "not stated in the file: engine, engine_version, tp" in out.err
    assert "warning: the file's model 'facebook/opt-125m' does not look like llama-3.1-8b" in out.err
    rc = _cli(data_dir, "aiperf", str(REAL / "akamas_aiperf0.11_qwen3-4b_c16_profile_export_aiperf.json"), "--gpus",
              "1", "--format", "json")
    prof = json.loads(capsys.readouterr().out)
    assert rc == 0 and "isl" in prof["missing"] and prof["points"][0]["concurrency"] == 16


def test_cli_several_configurations_refused_then_selected(data_dir, capsys):  # noqa: F811
    f = str(REAL / "potabk_ascend_benchmark_results_table.json")
    assert _cli(data_dir, "vllm", f) == 2
    assert "holds 2 configurations" in capsys.readouterr().err
    assert _cli(data_dir, "vllm", f, "--select", "serving_qwen2_5_7B_tp1", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["gpus"] == 1


def test_cli_yaml_profile_validates(data_dir, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "p.yaml"
    assert _cli(data_dir, "llmperf", str(REAL / "philschmid_tgi201_llama3-8b_tp1_results_by_concurrency.json"),
                "--gpus", "1", "--out", str(out)) == 0
    from tco.io.safeyaml import load_yaml_file

    e = ProfileEntry.model_validate(load_yaml_file(out))
    assert e.missing == ["itl_ms", "engine", "engine_version"] and e.engine == "unknown" and len(e.points) == 8
    assert e.tp == 1 and e.engine_version is None
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # written with the usual mode, not mkstemp's


def test_sweep_folders_of_different_serve_settings_are_not_merged(tmp_path):
    for seqs in (4, 8):
        run = _raw("er0080_sweep_v0.25.1_run0.json")
        run["max_num_seqs"] = seqs
        sub = tmp_path / f"SERVE--max_num_seqs={seqs}-BENCH--max_concurrency=2"
        sub.mkdir()
        (sub / "run=0.json").write_text(json.dumps(run))
    with pytest.raises(ImportFormatError, match=r"holds 2 configurations \(max_num_seqs=4, max_num_seqs=8\)"):
        import_files("vllm", [tmp_path], **META)
    prof = import_files("vllm", [tmp_path], select="max_num_seqs=8", **META)
    assert len(prof["points"]) == 1 and "max_num_seqs=8" in prof["source"]
