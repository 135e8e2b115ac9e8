"""Importers (vLLM real files, LLMPerf / GenAI-Perf files written from the documented schemas) and the CLI."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose
from test_perf import H100, L8B, L70B

from tco.catalog import ProfileEntry, load_catalog
from tco.cli import main
from tco.core.exceptions import ImportFormatError
from tco.importers import build_profile, import_bytes, import_files, parse_source, stated_facts
from tco.io.safeyaml import dump_yaml, load_yaml_file

FIX = Path(__file__).resolve().parent / "fixtures"
VLLM = [FIX / "vllm" / "qps_01.json", FIX / "vllm" / "qps_inf.json"]
META = dict(model="llama-3.3-70b", gpu="a100-40gb", gpus=8, precision="bf16")


def test_vllm_real_files_import_to_their_own_figures():
    prof = import_files("vllm", VLLM, **META)
    p1, pinf = prof["points"]
    assert_allclose([p1["request_throughput_rps"], pinf["request_throughput_rps"]], [0.9746, 8.3983], atol=5e-5)
    assert_allclose([p1["output_tokens_per_s"], pinf["output_tokens_per_s"]], [208.18, 1780.36], atol=5e-3)
    assert_allclose([p1["ttft_ms"]["mean"], pinf["ttft_ms"]["mean"]], [65.26, 360.36], atol=5e-3)
    assert p1["request_rate"] == 1.0 and "request_rate" not in pinf  # "inf" -> unbounded
    assert prof["as_of"] == "2025-04-14" and prof["kind"] == "measured"
    # ISL = (42659 + 42659) / 400 requests; OSL = (42722 + 42398) / 400
    assert_allclose([prof["isl"], prof["osl"]], [42659 / 200, (42722 + 42398) / 400], atol=1e-3)
    ProfileEntry.model_validate(prof)


def test_vllm_new_key_set_and_goodput():
    d = json.loads(VLLM[0].read_text())
    d.pop("request_goodput:")
    d.update({"request_goodput": 0.9, "failed": 2, "max_concurrency": 16, "p95_ttft_ms": 120.0, "request_rate": "inf"})
    prof = import_bytes("vllm", json.dumps(d).encode(), "new.json", **META)
    pt = prof["points"][0]
    assert pt["concurrency"] == 16 and pt["ttft_ms"]["p95"] == 120.0 and "request_rate" not in pt
    assert "failed" in prof["notes"]


def test_vllm_summary_table():
    prof = import_files("vllm", [FIX / "vllm" / "benchmark_results.json"], **META)
    assert [p.get("request_rate") for p in prof["points"]] == [1.0, 4.0, 16.0, None]
    assert_allclose(prof["points"][3]["output_tokens_per_s"], 1780.3566, atol=1e-3)



# ---------------------------------------------------------------------------------------------
# The configuration a file states: engine, engine_version, tp (filled where stated, else listed as missing)

SURAJ_NAME = "serving_meta-llama-Llama-3.3-70B-Instruct_tp8_pp1_sharegpt_qps_01.json"  # the sample's own file name


def test_vllm_tp_from_the_real_file_name_and_nothing_guessed():
    # the real sample states neither engine nor version in its content; its file name (as published and as a user
    # uploads it) says tp8_pp1
    prof = import_bytes("vllm", VLLM[0].read_bytes(), SURAJ_NAME, **META)
    assert prof["tp"] == 8 and prof["gpus"] == 8 and f"tp 8 from the file name '{SURAJ_NAME}'" in prof["notes"]
    assert "engine_version" not in prof and prof["engine"] == "unknown"
    assert prof["missing"] == ["engine", "engine_version"]
    assert stated_facts(prof) == "tp 8, gpus per replica 8; not stated in the file: engine, engine_version"
    ProfileEntry.model_validate(prof)
    # the renamed copy (qps_01.json) states no tp at all: left empty, listed, said
    plain = import_files("vllm", [VLLM[0]], **META)
    assert "tp" not in plain and plain["missing"] == ["engine", "engine_version", "tp"]
    assert "the file does not state the tensor-parallel size (tp)" in plain["notes"]


def test_vllm_table_tp_from_the_test_names():
    prof = import_files("vllm", [FIX / "vllm" / "benchmark_results.json"], **META)  # "Test name": "tp8_pp1_qps_01"
    assert prof["tp"] == 8 and "tp 8 from the test name 'tp8_pp1'" in prof["notes"] and "tp" not in prof["missing"]


def test_vllm_metadata_keys_state_version_and_tp():
    # vllm bench serve --metadata vllm_version=0.6.3.post1 tensor_parallel_size=4 pipeline_parallel_size=2
    d = json.loads(VLLM[0].read_text())
    d.update({"vllm_version": "0.6.3.post1", "tensor_parallel_size": "4", "pipeline_parallel_size": "2"})
    prof = import_bytes("vllm", json.dumps(d).encode(), "meta.json", **META)  # META gives 8 GPUs = 4 x 2
    assert prof["engine"] == "vLLM 0.6.3.post1" and prof["engine_version"] == "0.6.3.post1" and prof["tp"] == 4
    assert prof["missing"] == [] and "tp 4 from the file (the key 'tensor_parallel_size')" in prof["notes"]
    assert stated_facts(prof) == "engine vLLM 0.6.3.post1, engine_version 0.6.3.post1, tp 4, gpus per replica 8"
    # --metadata tp=4 (a short key) and no pp: 4 GPUs, which contradicts --gpus 8
    d2 = {k: v for k, v in d.items() if k not in ("tensor_parallel_size", "pipeline_parallel_size")}
    d2["tp"] = "4"
    with pytest.raises(ImportFormatError, match="GPUs per replica given as 8 but the file states 4"):
        import_bytes("vllm", json.dumps(d2).encode(), "meta.json", **META)
    assert import_bytes("vllm", json.dumps(d2).encode(), "meta.json", **{**META, "gpus": None})["tp"] == 4


def test_vllm_tp_from_the_server_command_line():
    d = json.loads(VLLM[0].read_text())
    d["server_command"] = "vllm serve meta-llama/Llama-3.3-70B-Instruct --tensor-parallel-size=8 --max-num-seqs 256"
    prof = import_bytes("vllm", json.dumps(d).encode(), "cmd.json", **{**META, "gpus": None})
    assert prof["tp"] == 8 and prof["gpus"] == 8 and "from the file (the command line (server_command))" in prof["notes"]
    d["server_command"] = "python -m vllm.entrypoints.openai.api_server --model m -tp 2 -pp 4"
    prof = import_bytes("vllm", json.dumps(d).encode(), "cmd.json", **{**META, "gpus": None})
    assert prof["tp"] == 2 and prof["gpus"] == 8
    d["server_command"] = "vllm serve m --max-num-seqs 8"  # a command line that states no tp: nothing guessed
    prof = import_bytes("vllm", json.dumps(d).encode(), "cmd.json", **META)
    assert "tp" in prof["missing"]


def test_llmperf_metadata_states_tp_and_version():
    d = json.loads((FIX / "llmperf" / "llama-3-1-8b_550_150_summary.json").read_text())
    plain = import_bytes("llmperf", json.dumps(d).encode(), "s.json", **{**META, "gpus": 1})
    assert plain["missing"][-3:] == ["engine", "engine_version", "tp"]
    d.update({"tensor_parallel_size": 1, "engine_version": "vllm/vllm-openai:v0.6.3"})  # llmperf --metadata
    prof = import_bytes("llmperf", json.dumps(d).encode(), "s.json", **{**META, "gpus": 1})
    assert prof["tp"] == 1 and prof["engine_version"] == "vllm/vllm-openai:v0.6.3"
    assert prof["engine"] == "unknown" and prof["missing"][-1:] == ["engine"]  # llmperf never names the engine


def test_several_versions_are_not_merged():
    a, b = (json.loads(f.read_text()) for f in VLLM)
    a["vllm_version"], b["vllm_version"] = "0.6.3", "0.6.4"
    prof = import_bytes("vllm", json.dumps(a).encode(), "a.json", **META)
    assert prof["engine_version"] == "0.6.3"
    parsed = parse_source("vllm", json.dumps(a).encode(), "a.json") + parse_source("vllm", json.dumps(b).encode(), "b.json")
    merged = build_profile(parsed, ["a.json", "b.json"], tool="vLLM bench serve", **META)
    assert "engine_version" not in merged and "engine_version" in merged["missing"]
    assert "the files state different engine versions (0.6.3, 0.6.4): engine_version left empty" in merged["notes"]

def test_llmperf_seconds_to_ms():
    prof = import_files("llmperf", [FIX / "llmperf" / "llama-3-1-8b_550_150_summary.json"], **META)
    pt = prof["points"][0]
    assert_allclose(pt["ttft_ms"]["p95"], 95.0)  # 0.095 s
    assert_allclose(pt["tpot_ms"]["mean"], 12.5)  # 0.0125 s
    assert_allclose(pt["request_throughput_rps"], 252 / 60)
    assert pt["concurrency"] == 8 and pt["output_tokens_per_s"] == 630.0
    assert_allclose([prof["isl"], prof["osl"]], [552.5, 149.0])
    assert prof["as_of"] == "2025-01-01"


@pytest.mark.parametrize("name", ["profile_export_genai_perf.json", "profile_export_genai_perf.csv"])
def test_genai_perf_json_and_csv(name):
    prof = import_files("genai-perf", [FIX / "genai_perf" / name], **META)
    pt = prof["points"][0]
    assert pt["request_throughput_rps"] == 4.2 and pt["output_tokens_per_s"] == 635.04
    assert pt["ttft_ms"] == {"mean": 45.5, "median": 44.0, "p90": 58.0, "p95": 63.5, "p99": 80.25}
    assert pt["tpot_ms"]["p95"] == 15.5
    assert_allclose([prof["isl"], prof["osl"]], [512.0, 151.2])
    if name.endswith(".json"):
        assert pt["concurrency"] == 10


@pytest.mark.parametrize("tool,data,expect", [
    ("vllm", b"not json", "not valid JSON"),
    ("vllm", b'{"foo": 1}', "vLLM bench serve"),
    ("vllm", b"[1, 2]", "Tput (req/s)"),
    ("llmperf", b'{"request_throughput": 1}', "LLMPerf"),
    ("genai-perf", b"hello", "neither JSON nor CSV"),
    ("genai-perf", b"Metric,avg\nFoo,1\n", "Request Throughput"),
    ("vllm", b"\xff\xfe\x00", "UTF-8"),
])
def test_foreign_files_are_named_errors(tool, data, expect):
    with pytest.raises(ImportFormatError) as exc:
        import_bytes(tool, data, "x.json", **META)
    assert str(exc.value).startswith("x.json: ") and expect in str(exc.value)


def test_llmperf_file_given_to_vllm_importer():
    with pytest.raises(ImportFormatError, match="llama-3-1-8b_550_150_summary.json: .*expected a vLLM"):
        import_files("vllm", [FIX / "llmperf" / "llama-3-1-8b_550_150_summary.json"], **META)


def test_size_limit(tmp_path, monkeypatch):
    import tco.importers.common as imp  # read_bytes reads the limit from the shared helpers

    monkeypatch.setattr(imp, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportFormatError, match="limit is 1,000"):
        import_files("vllm", VLLM[:1], **META)


# ---------------------------------------------------------------- CLI

@pytest.fixture()
def data_dir(tmp_path):
    """A minimal catalog: two models, one GPU, empty other catalogs."""
    d = tmp_path / "data"
    d.mkdir()
    models = [m.model_dump(exclude_none=True) for m in (L8B, L70B)]
    models.append({**L70B.model_dump(exclude_none=True), "id": "llama-3.3-70b"})
    gpus = [H100.model_dump(exclude_none=True),
            {**H100.model_dump(exclude_none=True), "id": "a100-40gb", "name": "A100 40GB", "memory_gb": 40,
             "mem_bw_tbs": 1.555, "bf16_tflops": 312}]
    gpus[1].pop("fp8_tflops")
    for fname, key, items in (("models.yaml", "models", models), ("gpus.yaml", "gpus", gpus),
                              ("rental_offers.yaml", "rental_offers", []), ("servers.yaml", "servers", []),
                              ("api_offers.yaml", "api_offers", []), ("profiles.yaml", "profiles", []),
                              ("assumptions.yaml", "assumptions", [])):
        (d / fname).write_text(dump_yaml({key: items}))
    load_catalog(d)
    return d


def test_cli_import_writes_profile_that_joins_catalog(data_dir, capsys):
    out = data_dir / "profiles" / "sample.yaml"
    rc = main(["import", "vllm", *map(str, VLLM), "--model", "llama-3.3-70b", "--gpu", "a100-40gb", "--gpus", "8",
               "--precision", "bf16", "--engine", "vLLM (2025-04)", "--out", str(out), "--data", str(data_dir)])
    assert rc == 0
    doc = load_yaml_file(out)
    assert list(doc)[:10] == ["id", "model", "gpu", "gpus", "precision", "engine", "source", "as_of", "kind", "scenario"]
    cat = load_catalog(data_dir)
    [prof] = cat.profiles.values()
    assert prof.engine == "vLLM (2025-04)" and len(prof.points) == 2
    # a second import to a new file with the same id is refused
    rc = main(["import", "vllm", *map(str, VLLM), "--model", "llama-3.3-70b", "--gpu", "a100-40gb", "--gpus", "8",
               "--precision", "bf16", "--engine", "vLLM (2025-04)", "--out", str(data_dir / "profiles" / "b.yaml"),
               "--data", str(data_dir)])
    assert rc == 2 and "already exists" in capsys.readouterr().err


def test_cli_import_json_stdout_and_errors(data_dir, capsys):
    rc = main(["import", "genai-perf", str(FIX / "genai_perf" / "profile_export_genai_perf.json"), "--model",
               "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--precision", "bf16", "--format", "json",
               "--data", str(data_dir)])
    assert rc == 0
    prof = json.loads(capsys.readouterr().out)
    assert prof["points"][0]["request_throughput_rps"] == 4.2
    rc = main(["import", "vllm", str(FIX / "genai_perf" / "profile_export_genai_perf.csv"), "--model", "llama-3.1-8b",
               "--gpu", "h100-sxm", "--gpus", "1", "--precision", "bf16", "--data", str(data_dir)])
    err = capsys.readouterr().err
    assert rc == 2 and "profile_export_genai_perf.csv" in err and "expected a vLLM" in err
    rc = main(["import", "vllm", str(VLLM[0]), "--model", "nope", "--gpu", "h100-sxm", "--gpus", "1",
               "--precision", "bf16", "--data", str(data_dir)])
    assert rc == 2 and "unknown model id 'nope'" in capsys.readouterr().err


def test_cli_estimate_single_and_batch(data_dir, tmp_path, capsys):
    rc = main(["estimate", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "4", "--precision", "fp8",
               "--isl", "1000", "--osl", "200", "--request-rate", "2", "--format", "json", "--data", str(data_dir)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "estimated" and out["request_throughput_rps"] == 2.0 and out["fits"] is True
    inp = tmp_path / "in.csv"
    inp.write_text("model,gpu,gpus,precision,isl,osl,concurrency,request_rate\n"
                   "llama-3.1-70b,h100-sxm,4,fp8,1000,200,,\n"
                   "llama-3.1-8b,h100-sxm,1,bf16,500,100,16,\n"
                   "llama-3.1-70b,h100-sxm,1,bf16,500,100,,1.5\n")
    outp = tmp_path / "out.csv"
    assert main(["estimate", "--batch", str(inp), "--out", str(outp), "--data", str(data_dir)]) == 0
    rows = list(csv.DictReader(outp.open()))
    assert [r["model"] for r in rows] == ["llama-3.1-70b", "llama-3.1-8b", "llama-3.1-70b"]
    assert list(rows[0])[-6:] == ["output_tokens_per_s", "request_throughput_rps", "ttft_ms", "tpot_ms",
                                  "max_concurrency", "fits"]
    assert rows[0]["fits"] == "true" and float(rows[0]["output_tokens_per_s"]) > 0
    assert rows[2]["fits"] == "false" and rows[2]["output_tokens_per_s"] == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("model,gpu,gpus,precision,isl,osl,concurrency,request_rate\nx,h100-sxm,1,bf16,-5,100,,\n")
    assert main(["estimate", "--batch", str(bad), "--out", str(outp), "--data", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "line 2: model: unknown model id 'x'" in err and "line 2: isl: must be > 0" in err


def test_cli_estimate_layout_tp_by_default_best_on_request(data_dir, tmp_path, capsys):
    # --gpus 8 of an 8B model: the default estimates one TP-8 group, as a benchmark of 8 GPUs runs it;
    # --layout best may split the replica into data-parallel copies (8 x TP-1), never fewer tokens/s
    args = ["estimate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "8", "--precision", "fp8",
            "--isl", "1000", "--osl", "1000", "--format", "json", "--data", str(data_dir)]
    assert main(args) == 0
    tp = json.loads(capsys.readouterr().out)
    assert main(args + ["--layout", "best"]) == 0
    best = json.loads(capsys.readouterr().out)
    assert tp["layout"] == "tp" and best["layout"] == "best"
    assert best["output_tokens_per_s"] > tp["output_tokens_per_s"]
    cat = load_catalog(data_dir)
    from tco.model.perf import estimate

    e = estimate(cat.models["llama-3.1-8b"], cat.gpus["h100-sxm"], 8, "fp8", 1000, 1000, data_parallel=False)
    assert_allclose(tp["output_tokens_per_s"], e.output_tokens_per_s)
    inp = tmp_path / "in.csv"
    inp.write_text("model,gpu,gpus,precision,isl,osl,concurrency,request_rate\nllama-3.1-8b,h100-sxm,8,fp8,1000,1000,,\n")
    outp = tmp_path / "out.csv"
    assert main(["estimate", "--batch", str(inp), "--out", str(outp), "--data", str(data_dir)]) == 0
    assert_allclose(float(next(csv.DictReader(outp.open()))["output_tokens_per_s"]), tp["output_tokens_per_s"],
                    rtol=1e-6)
