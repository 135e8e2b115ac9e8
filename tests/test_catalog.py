"""Tests for the bundled catalogs in data/ and for catalog validation (tco.catalog).

Three groups:
* the bundled data loads, is complete (required ids, required assumptions) and carries provenance;
* hand-checked derived values (weight memory, KV bytes per token against the reference table);
* broken catalogs: each copies data/ to a temp dir, breaks one thing, and checks that the
  CatalogError names the file, the entry and the field (``file: entry: field: message``).
"""
from __future__ import annotations

import csv
import math
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pytest import approx

from tco.catalog import (
    CATALOGS,
    DEFAULT_DATA_DIR,
    REQUIRED_ASSUMPTIONS,
    ApiOfferEntry,
    AssumptionEntry,
    Entry,
    GpuEntry,
    ModelEntry,
    ProfileEntry,
    ProfilePoint,
    RentalOfferEntry,
    ServerEntry,
    Stats,
    kv_bytes_per_token,
    load_catalog,
    parse_as_of,
    weight_memory_gb,
)
from tco.core.exceptions import CatalogError

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "data.md"
REFERENCE = Path(__file__).resolve().parent / "fixtures" / "reference"  # copies of ../shared/reference tables (README there)

REQUIRED_IDS = {
    "models": ["llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
               "llama-3.3-70b", "llama-4-scout", "llama-4-maverick", "mistral-7b", "mixtral-8x7b",
               "mixtral-8x22b", "mistral-large-2", "mistral-small-3", "falcon-7b", "falcon-40b", "falcon-180b"],
    "gpus": ["h100-sxm", "h100-pcie", "h200", "b200", "gb200", "gh200", "a100-80gb", "a100-40gb", "l40s", "l4",
             "a10g", "rtx-pro-6000", "mi300x"],
    "servers": ["dgx-h100", "hgx-h100-8gpu", "h200-8gpu-msrp", "mi300x-8gpu-msrp"],
    "apis": ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-3.5-turbo", "openai/gpt-4",
             "anthropic/claude-sonnet-4", "openai/gpt-4.1", "anthropic/claude-opus-4-1",
             "anthropic/claude-3-5-haiku", "google/gemini-2.5-pro", "mistral/mistral-large",
             "together/llama-3.1-70b", "groq/llama-3.1-8b", "bedrock/llama-3.1-70b"],
    "offers": ["aws-p5.48xlarge", "lambda-gpu-8x-h100-sxm5", "runpod-1x-a100-80gb-secure"],
    "profiles": ["llama-3.1-70b-h100-sxm-x4-bf16-trtllm-0.14-isl467-osl256"],
}

SCHEMAS = [Entry, ModelEntry, GpuEntry, RentalOfferEntry, ServerEntry, ApiOfferEntry, ProfileEntry,
           ProfilePoint, Stats, AssumptionEntry]

# kv_cache_bytes_per_token_bf16 copied by hand from the reference tables (models_llama.csv,
# models_other_families.csv). DeepSeek-V3 is the MLA compressed latent (see its notes).
REFERENCE_KV_BF16 = {
    "llama-3.2-1b": 32768, "llama-3.2-3b": 114688, "llama-3.1-8b": 131072, "llama-3.1-70b": 327680,
    "llama-3.1-405b": 516096, "llama-3.3-70b": 327680, "llama-4-scout": 196608, "llama-4-maverick": 196608,
    "mistral-7b": 131072, "mixtral-8x7b": 131072, "mixtral-8x22b": 229376, "mistral-large-2": 360448,
    "mistral-small-3": 163840, "falcon-7b": 8192, "falcon-40b": 122880, "falcon-180b": 163840,
    "qwen2.5-72b": 327680, "deepseek-v3": 70272, "deepseek-r1": 70272,  # R1 = V3 architecture
    # gpt-oss (not in the reference tables): 2 x layers x 8 KV heads x 64 x 2 B, all layers counted
    "gpt-oss-120b": 2 * 36 * 8 * 64 * 2, "gpt-oss-20b": 2 * 24 * 8 * 64 * 2,
}
LLAMA_REF_NAMES = {
    "Llama 3.2 1B": "llama-3.2-1b", "Llama 3.2 3B": "llama-3.2-3b", "Llama 3.1 8B": "llama-3.1-8b",
    "Llama 3.1 70B": "llama-3.1-70b", "Llama 3.1 405B": "llama-3.1-405b", "Llama 3.3 70B": "llama-3.3-70b",
    "Llama 4 Scout 17B-16E": "llama-4-scout", "Llama 4 Maverick 17B-128E": "llama-4-maverick",
}


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


# --------------------------------------------------------------------------------------------
# The bundled catalog


def test_bundled_catalog_loads(cat):
    assert Path(cat.data_dir) == DEFAULT_DATA_DIR
    for name in CATALOGS:
        assert len(cat.get(name)) > 0, name


@pytest.mark.parametrize("catalog", sorted(REQUIRED_IDS))
def test_required_ids_exist(cat, catalog):
    missing = [i for i in REQUIRED_IDS[catalog] if i not in cat.get(catalog)]
    assert not missing


def test_required_assumptions_exist(cat):
    assert [k for k in REQUIRED_ASSUMPTIONS if k not in cat.assumptions] == []
    for extra in ("api_price_change_per_year", "rent_price_change_per_year", "electricity_price_change_per_year"):
        assert extra in cat.assumptions


def test_every_entry_has_provenance(cat):
    for name in CATALOGS:
        for eid, e in cat.get(name).items():
            assert e.source.strip(), (name, eid)
            assert e.as_of.strip(), (name, eid)
            # staleness checks read the first YYYY-MM[-DD] of as_of
            assert parse_as_of(e.as_of) is not None, (name, eid, e.as_of)
            assert re.match(r"\d{4}-\d{2}", e.as_of), (name, eid, e.as_of)


def test_estimates_and_judgements_explain_themselves(cat):
    for name in CATALOGS:
        for eid, e in cat.get(name).items():
            if e.kind in ("estimated", "judgement"):
                assert e.notes and len(e.notes) > 20, (name, eid)


def test_assumption_ranges_contain_the_default(cat):
    for key, a in cat.assumptions.items():
        if a.low is not None:
            assert a.low <= a.value, key
        if a.high is not None:
            assert a.value <= a.high, key


def test_assumption_values_hand_checked(cat):
    a = cat.assumptions
    assert a["pue"].value == 1.58  # Uptime Institute 2023
    assert a["colo_usd_per_kw_month"].value == 184.06  # CBRE NA H2 2024
    # EIA industrial, 8 states: (7.79+7.13+8.95+8.05+6.79+8.26+8.33+9.22)/8 = 64.52/8 = 8.065 c/kWh
    assert a["usd_per_kwh"].value == approx(0.08065)
    assert a["usd_per_kwh"].kind == "estimated"
    assert a["discount_rate"].value == 0.07  # Azure Migrate WACC default
    assert a["depreciation_years"].value == 4
    for key in ("power_load_factor", "fte_cost_per_year", "target_utilization", "maintenance_share_per_year"):
        assert a[key].kind == "judgement", key


# --------------------------------------------------------------------------------------------
# Hand-checked derived values


def test_weight_memory_hand_checked():
    # Llama 3.1 70B: 70.554e9 params x 2 B = 141.108 GB in BF16; x 1 B = 70.554 GB in FP8
    assert weight_memory_gb(70.554, "bf16") == approx(141.108)
    assert weight_memory_gb(70.554, "fp8") == approx(70.554)
    # Llama 4 Maverick stores every expert: 400e9 x 0.5 B = 200 GB in FP4
    assert weight_memory_gb(400, "fp4") == approx(200.0)


def test_kv_bytes_hand_checked():
    # 2 (K,V) x 80 layers x 8 KV heads x 128 head_dim x 2 B = 327,680 B/token
    assert kv_bytes_per_token(80, 8, 128, "bf16") == 327680
    assert kv_bytes_per_token(80, 8, 128, "fp8") == 163840
    # Falcon 7B multi-query: 2 x 32 x 1 x 64 x 2 = 8,192 B/token
    assert kv_bytes_per_token(32, 1, 64, "bf16") == 8192


def test_kv_bytes_match_reference_for_every_model(cat):
    assert set(REFERENCE_KV_BF16) == set(cat.models)
    for mid, m in cat.models.items():
        assert kv_bytes_per_token(m.layers, m.kv_heads, m.head_dim, "bf16") == REFERENCE_KV_BF16[mid], mid


def test_llama_kv_bytes_match_reference_csv(cat):
    rows = list(csv.DictReader(open(REFERENCE / "models_llama.csv", encoding="utf-8")))
    assert len(rows) == len(LLAMA_REF_NAMES)
    for r in rows:
        m = cat.models[LLAMA_REF_NAMES[r["model"]]]
        assert kv_bytes_per_token(m.layers, m.kv_heads, m.head_dim, "bf16") == int(r["kv_cache_bytes_per_token_bf16"])
        assert m.total_params_b == float(r["total_params_b"])
        assert m.active_params_b == float(r["active_params_b"])


def test_moe_models_have_fewer_active_params(cat):
    for mid in ("mixtral-8x7b", "mixtral-8x22b", "llama-4-scout", "llama-4-maverick", "deepseek-v3"):
        m = cat.models[mid]
        assert m.active_params_b < m.total_params_b, mid
        assert m.is_moe and m.experts_total and m.experts_per_token, mid
    for mid in ("llama-3.1-70b", "mistral-7b", "falcon-180b"):
        m = cat.models[mid]
        assert m.active_params_b == m.total_params_b and not m.is_moe, mid
        assert m.experts_total is None, mid


def test_gpu_precision_support(cat):
    g = cat.gpus
    assert g["h100-sxm"].tflops("bf16") == 989 and g["h100-sxm"].tflops("fp8") == 1978
    assert not g["h100-sxm"].supports("fp4") and g["b200"].supports("fp4")
    assert not g["a100-80gb"].supports("fp8")  # Ampere
    assert g["mi300x"].vendor == "amd"


def test_rental_per_gpu_hour_hand_checked(cat):
    # reference price_per_gpu_hour: p5.48xlarge 55.04 / 8 = 6.88; Lambda 8x H100 31.92 / 8 = 3.99
    p5 = cat.offers["aws-p5.48xlarge"]
    assert p5.price("on_demand") / p5.gpus_per_instance == approx(6.88)
    lam = cat.offers["lambda-gpu-8x-h100-sxm5"]
    assert lam.price("on_demand") / lam.gpus_per_instance == approx(3.99)
    assert p5.price("spot") < p5.price("reserved") < p5.price("on_demand")


def test_server_figures(cat):
    dgx = cat.servers["dgx-h100"]
    assert (dgx.price_usd, dgx.power_kw, dgx.gpus_per_server) == (199000, 10.2, 8)
    # GPU-only MSRP builds: 8 x 32,000 = 256,000 (H200); 8 x 15,000 = 120,000 (MI300X); 8 x 1.79 kW = 14.32 kW
    assert cat.servers["h200-8gpu-msrp"].price_usd == 8 * 32000
    mi = cat.servers["mi300x-8gpu-msrp"]
    assert mi.price_usd == 8 * 15000 and mi.power_kw == approx(8 * 1.79)
    for sid in ("h200-8gpu-msrp", "mi300x-8gpu-msrp"):
        assert cat.servers[sid].kind == "estimated" and cat.servers[sid].low_confidence


def test_api_prices_hand_checked(cat):
    a = cat.apis
    assert (a["openai/gpt-4o"].input, a["openai/gpt-4o"].output) == (2.5, 10.0)
    assert (a["anthropic/claude-sonnet-4"].input, a["anthropic/claude-sonnet-4"].output) == (3.0, 15.0)
    # the stale alias row (1.5 / 2.0) is flagged SUSPECT in the reference; the 0125 price is used
    assert (a["openai/gpt-3.5-turbo"].input, a["openai/gpt-3.5-turbo"].output) == (0.5, 1.5)
    assert "SUSPECT" in (a["azure/llama-4-maverick"].notes or "")
    assert a["groq/mixtral-8x7b"].serves_model == "mixtral-8x7b"
    hosted = [o for o in a.values() if o.serves_model == "llama-3.1-70b"]
    assert len({o.provider for o in hosted}) >= 5
    assert all(o.input > 0 and o.output > 0 for o in a.values())  # no free-tier zero rows


def test_profiles_shape(cat):
    p = cat.profiles["llama-3.1-70b-h100-sxm-x4-bf16-trtllm-0.14-isl467-osl256"]
    assert (p.model, p.gpu, p.gpus, p.precision, p.isl, p.osl) == ("llama-3.1-70b", "h100-sxm", 4, "bf16", 467, 256)
    assert p.scenario == "online_serving" and p.kind == "measured"
    assert [pt.load for pt in p.points] == ["QPS=2", "QPS=4", "QPS=8", "QPS=16", "QPS=32", "QPS=INF"]
    assert [pt.request_rate for pt in p.points] == [2, 4, 8, 16, 32, None]
    assert p.points[2].ttft_ms.mean == 92 and p.points[2].tpot_ms.mean == 32  # QPS=8 row of the CSV
    for prof in cat.profiles.values():
        assert prof.scenario in ("online_serving", "offline_throughput")
        if prof.scenario == "offline_throughput":
            assert all(pt.request_rate is None and pt.ttft_ms.mean is None for pt in prof.points)


# --------------------------------------------------------------------------------------------
# Documentation


def test_every_schema_field_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    # a nested schema's fields appear as dotted rows of the generated tables (`points[].load`)
    missing = [f"{cls.__name__}.{f}" for cls in SCHEMAS for f in cls.model_fields
               if f"`{f}`" not in text and f".{f}`" not in text]
    assert missing == []
    for cls in SCHEMAS:
        assert cls.__name__ in text


def test_every_catalog_file_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for fname, _ in CATALOGS.values():
        assert fname in text


# --------------------------------------------------------------------------------------------
# Broken catalogs: the error names file, entry and field


@pytest.fixture()
def data(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, d, ignore=shutil.ignore_patterns("scenarios"))
    return d


def edit(data: Path, fname: str, top: str, eid: str, change) -> None:
    """Load ``fname``, apply ``change(entry)`` to the entry ``eid`` and write it back."""
    path = data / fname
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in doc[top] if e["id"] == eid)
    change(entry)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def problems(data: Path) -> str:
    with pytest.raises(CatalogError) as exc:
        load_catalog(data)
    return str(exc.value)


def test_negative_memory(data):
    edit(data, "gpus.yaml", "gpus", "h100-sxm", lambda e: e.update(memory_gb=-80))
    with pytest.raises(CatalogError) as exc:
        load_catalog(data)
    lines = [str(p) for p in exc.value.problems]
    assert lines[0].startswith("data/gpus.yaml: h100-sxm: memory_gb: must be > 0") and "got -80" in lines[0]
    # the offers/servers/profiles that use h100-sxm are not reported as "unknown gpu id" on top
    assert len(lines) == 1, lines


def test_missing_source(data):
    edit(data, "models.yaml", "models", "llama-3.1-8b", lambda e: e.pop("source"))
    assert "data/models.yaml: llama-3.1-8b: source: required field is missing" in problems(data)


def test_empty_source(data):
    edit(data, "servers.yaml", "servers", "dgx-h100", lambda e: e.update(source=""))
    msg = problems(data)
    assert "data/servers.yaml: dgx-h100: source:" in msg


def test_unknown_gpu_in_offer(data):
    edit(data, "rental_offers.yaml", "rental_offers", "aws-p5.48xlarge", lambda e: e.update(gpu="h100-xyz"))
    assert "data/rental_offers.yaml: aws-p5.48xlarge: gpu: unknown gpu id 'h100-xyz'" in problems(data)


def test_unknown_model_served_by_api(data):
    edit(data, "api_offers.yaml", "api_offers", "together/llama-3.1-70b", lambda e: e.update(serves_model="llama-9"))
    assert "data/api_offers.yaml: together/llama-3.1-70b: serves_model: unknown model id 'llama-9'" in problems(data)


def test_duplicate_id(data):
    path = data / "gpus.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["gpus"].append(dict(doc["gpus"][0]))
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert "data/gpus.yaml: h100-sxm: id: duplicate id" in problems(data)


def test_yaml_syntax_error(data):
    path = data / "servers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    msg = problems(data)
    assert "data/servers.yaml" in msg and "YAML syntax error" in msg and "line" in msg


def test_non_mapping_document(data):
    (data / "gpus.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert "data/gpus.yaml: expected a mapping with a top-level 'gpus:' list" in problems(data)


def test_entry_not_a_mapping(data):
    path = data / "assumptions.yaml"
    n = len(load_catalog(data).assumptions)  # the appended entry is the (n + 1)-th
    path.write_text(path.read_text(encoding="utf-8") + "\n  - just a string\n", encoding="utf-8")
    assert f"data/assumptions.yaml: entry {n + 1}: must be a mapping of fields" in problems(data)


def test_nan_price(data):
    edit(data, "api_offers.yaml", "api_offers", "openai/gpt-4o", lambda e: e.update(input=float("nan")))
    text = (data / "api_offers.yaml").read_text(encoding="utf-8")
    assert ".nan" in text
    assert "data/api_offers.yaml: openai/gpt-4o: input: must be a finite number, got nan" in problems(data)


def test_nan_in_profile_point(data):
    pid = "llama-3.1-70b-h100-sxm-x4-bf16-trtllm-0.14-isl467-osl256"
    edit(data, "profiles.yaml", "profiles", pid, lambda e: e["points"][0]["ttft_ms"].update(mean=float("inf")))
    assert f"data/profiles.yaml: {pid}: points.0.ttft_ms.mean: must be a finite number" in problems(data)


def test_wrong_type(data):
    edit(data, "gpus.yaml", "gpus", "h100-sxm", lambda e: e.update(memory_gb="eighty"))
    assert "data/gpus.yaml: h100-sxm: memory_gb: must be a number, got 'eighty'" in problems(data)


def test_unknown_field(data):
    edit(data, "gpus.yaml", "gpus", "h100-sxm", lambda e: e.update(memory_gbb=80))
    assert "data/gpus.yaml: h100-sxm: memory_gbb: unknown field" in problems(data)


def test_bad_precision_in_profile(data):
    pid = "llama-3.1-8b-h100-sxm-x1-bf16-trtllm-0.14-isl467-osl256"
    edit(data, "profiles.yaml", "profiles", pid, lambda e: e.update(precision="bf17"))
    assert f"data/profiles.yaml: {pid}: precision: must be one of" in problems(data)


def test_missing_required_assumption(data):
    path = data / "assumptions.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["assumptions"] = [a for a in doc["assumptions"] if a["id"] != "pue"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert "data/assumptions.yaml: pue: required assumption is missing" in problems(data)


def test_missing_file(data):
    (data / "servers.yaml").unlink()
    assert "data/servers.yaml: catalog file is missing" in problems(data)


def test_alias_bomb(data):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    (data / "models.yaml").write_text(bomb, encoding="utf-8")
    msg = problems(data)
    assert "data/models.yaml" in msg and "aliases" in msg
    assert "unknown model id" not in msg  # an unreadable file does not cascade into every reference


def test_all_problems_reported_at_once(data):
    edit(data, "gpus.yaml", "gpus", "h100-sxm", lambda e: e.update(memory_gb=-1))
    edit(data, "models.yaml", "models", "llama-3.1-8b", lambda e: e.pop("as_of"))
    with pytest.raises(CatalogError) as exc:
        load_catalog(data)
    lines = [str(p) for p in exc.value.problems]
    assert any(ln.startswith("data/gpus.yaml: h100-sxm: memory_gb:") for ln in lines)
    assert any(ln.startswith("data/models.yaml: llama-3.1-8b: as_of:") for ln in lines)


def test_bom_at_start_still_loads(data):
    path = data / "gpus.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    cat = load_catalog(data)
    assert cat.gpus["h100-sxm"].memory_gb == 80


def test_yaml_date_in_as_of_is_accepted(data):
    edit(data, "gpus.yaml", "gpus", "h100-sxm", lambda e: e.update(as_of="2026-07-14"))
    path = data / "gpus.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("'2026-07-14'", "2026-07-14"), encoding="utf-8")
    cat = load_catalog(data)
    assert cat.gpus["h100-sxm"].as_of.startswith("2026-07-14")
    assert not math.isnan(cat.gpus["h100-sxm"].bf16_tflops)
