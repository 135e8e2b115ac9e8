"""LiteLLM price map import: a file built from the documented schema (formats.md) with its two example
entries (gpt-4o, groq Llama 4 Scout), the sample_spec, an entry without prices and an embedding model."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tco.catalog import ApiOfferEntry, load_catalog
from tco.catalog import edit as ce
from tco.cli import main
from tco.core.exceptions import ImportFormatError
from tco.importers import litellm
from tco.io.safeyaml import load_yaml_text

FIX = Path(__file__).resolve().parent / "fixtures" / "litellm"
MAP = FIX / "model_prices_and_context_window.json"
LONG = FIX / "long_context.json"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini_data"


def parse(path=MAP, **kw):
    return litellm.parse(path.read_bytes(), path.name, **kw)


def test_prices_exact_and_skips_counted():
    res = parse(as_of="2025-09-01")
    by_id = {o["id"]: o for o in res.offers}
    assert list(by_id) == ["openai/gpt-4o", "groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    gpt = by_id["openai/gpt-4o"]
    # 2.5e-06 USD/token x 1e6 = 2.5 USD/1M; 1e-05 -> 10; cache read 1.25e-06 -> 1.25; batches 1.25 / 5
    assert (gpt["input"], gpt["output"], gpt["cached_input"], gpt["batch_input"], gpt["batch_output"]) == (2.5, 10.0, 1.25, 1.25, 5.0)
    assert gpt["cache_write"] is None and gpt["max_input_tokens"] == 128000
    assert gpt["provider"] == "openai" and gpt["model"] == "gpt-4o" and gpt["mode"] == "chat"
    assert gpt["source"] == MAP.name and gpt["as_of"] == "2025-09-01"
    groq = by_id["groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    # 1.1e-07 x 1e6 = 0.11 and 3.4e-07 x 1e6 = 0.34 exactly (decimal conversion, not 0.10999999999999999)
    assert (groq["input"], groq["output"]) == (0.11, 0.34)
    assert groq["cached_input"] is None and groq["batch_input"] is None and groq["max_input_tokens"] == 131072
    assert groq["model"] == "meta-llama/llama-4-scout-17b-16e-instruct"
    assert res.skipped == {"sample_spec": 1, "no_prices": 1, "non_chat_mode": 1}
    assert all(k in litellm.SKIP_REASONS for k in res.skipped)


def test_json_layout_has_documented_keys():
    out = parse(as_of="2025-09-01").to_json()
    assert set(out) == {"offers", "skipped"}
    for o in out["offers"]:
        assert list(o)[: len(litellm.OFFER_KEYS)] == list(litellm.OFFER_KEYS)


def test_long_context_tiers_per_second_zero_and_id_sanitising():
    res = parse(LONG, as_of="2025-10-01")
    by_id = {o["id"]: o for o in res.offers}
    gem = by_id["gemini/gemini-1.5-pro"]
    # above 128k: 2.5e-06 -> 2.5, 1e-05 -> 10, cache read 6.25e-07 -> 0.625 USD/1M
    assert gem["long_context"] == [{"above_tokens": 128000, "cached_input": 0.625, "input": 2.5, "output": 10.0}]
    assert (gem["input"], gem["output"], gem["cached_input"]) == (1.25, 5.0, 0.3125)
    claude = by_id["anthropic/claude-sonnet-4-20250514"]
    assert claude["cache_write"] == 3.75 and claude["long_context"][0]["above_tokens"] == 200000
    # ':' is outside the id pattern -> '-'
    assert "bedrock/us-east-1/meta.llama3-70b-instruct-v1-0" in by_id
    assert res.skipped == {"non_chat_mode": 2, "zero_prices": 1}
    entry = litellm.offer_to_entry(claude)
    assert "Long-context tier above 200,000 input tokens" in entry["notes"] and "input 6" in entry["notes"]
    for o in res.offers:
        ApiOfferEntry.model_validate(litellm.offer_to_entry(o))


def test_filters_providers_and_models():
    res = parse(providers=["GROQ"])
    assert [o["id"] for o in res.offers] == ["groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    assert res.skipped["provider_filter"] == 2  # gpt-4o and the price-less meta_llama entry
    assert [o["id"] for o in parse(models="*llama-4*").offers] == ["groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    assert [o["id"] for o in parse(models="re:^gpt-4o$").offers] == ["openai/gpt-4o"]
    with pytest.raises(ImportFormatError):
        parse(models="re:(")


def test_as_of_from_file_date_and_bad_files():
    res = parse(mtime=1756684800.0)  # 2025-09-01T00:00:00Z
    assert res.offers[0]["as_of"] == "2025-09-01"
    for bad in (b"[1, 2]", b"{not json", b"\xff\xfe", b"x" * (litellm.MAX_BYTES + 1)):
        with pytest.raises(ImportFormatError) as e:
            litellm.parse(bad, "bad.json")
        assert "bad.json" in str(e.value)


def test_cli_json_and_yaml(tmp_path, capsys):
    assert main(["import", "litellm", str(MAP), "--as-of", "2025-09-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in out["offers"]] == ["openai/gpt-4o", "groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    assert out["skipped"] == {"no_prices": 1, "non_chat_mode": 1, "sample_spec": 1}
    assert main(["import", "litellm", str(MAP), "--format", "yaml", "--providers", "openai,groq"]) == 0
    doc = load_yaml_text(capsys.readouterr().out)
    entries = [ApiOfferEntry.model_validate(e) for e in doc["api_offers"]]
    assert entries[0].id == "openai/gpt-4o" and entries[0].input == 2.5 and entries[0].context_tokens == 128000
    # --out refuses to replace a file unless --force
    out_file = tmp_path / "offers.yaml"
    assert main(["import", "litellm", str(MAP), "--format", "yaml", "--out", str(out_file)]) == 0
    assert main(["import", "litellm", str(MAP), "--format", "yaml", "--out", str(out_file)]) == 2
    assert main(["import", "litellm", str(MAP), "--format", "yaml", "--out", str(out_file), "--force"]) == 0


def test_cli_merge_shows_diff_and_writes_only_with_yes(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    target = data / "api_offers.yaml"
    before = target.read_bytes()
    assert main(["import", "litellm", str(MAP), "--as-of", "2025-09-01", "--out", str(target), "--merge"]) == 0
    out = capsys.readouterr()
    assert "+ groq/meta-llama/llama-4-scout-17b-16e-instruct" in out.out and "dry run" in out.err
    assert target.read_bytes() == before
    assert main(["import", "litellm", str(MAP), "--as-of", "2025-09-01", "--out", str(target), "--merge", "--yes"]) == 0
    capsys.readouterr()
    cat = load_catalog(data)  # still a valid catalog with the other files
    assert cat.apis["groq/meta-llama/llama-4-scout-17b-16e-instruct"].output == 0.34
    assert len(ce.list_backups(data, "apis")) == 1
    assert ce.list_backups(data, "apis")[0].read_bytes() == before


def test_merge_keeps_descriptive_fields():
    existing = [{"id": "openai/gpt-4o", "provider": "OpenAI", "model_name": "gpt-4o", "input": 5.0, "output": 15.0,
                 "cache_write": 9.0, "source": "old", "as_of": "2024-05-01"},
                {"id": "x/y", "provider": "X", "model_name": "y", "input": 1, "output": 2, "source": "s", "as_of": "2024"}]
    imported = litellm.to_catalog_doc(parse(as_of="2025-09-01"))["api_offers"]
    merged = litellm.merge_entries(existing, imported)
    assert [e["id"] for e in merged] == ["openai/gpt-4o", "x/y", "groq/meta-llama/llama-4-scout-17b-16e-instruct"]
    gpt = merged[0]
    assert gpt["provider"] == "OpenAI" and gpt["input"] == 2.5 and "cache_write" not in gpt
    d = ce.diff_entries(existing, merged)
    assert ("input", 5.0, 2.5) in d.changed["openai/gpt-4o"] and d.added == [imported[1]["id"]] and not d.removed


# ---------------------------------------------------------------- real 2026-07 map; merge provenance

REAL = Path(__file__).resolve().parent / "fixtures" / "real" / "rocry_2026-07-24_model_prices_and_context_window.json"


def test_real_2026_map_tiered_pricing_cache_hit_and_last_updated():
    res = litellm.parse(REAL.read_bytes(), REAL.name, models="re:^(dashscope/qwen-flash|deepseek-coder|dashscope/qwen3-coder-plus)$")
    by = {o["id"]: o for o in res.offers}
    assert res.skipped["metadata"] == 1  # "last_updated": "2026-07-24T18:23:43.215560+00:00"
    assert {o["as_of"] for o in res.offers} == {"2026-07-24"}
    flash = by["dashscope/qwen-flash"]  # tiered_pricing only: 5e-08 / 4e-07 USD per token up to 256k prompt tokens
    assert (flash["input"], flash["output"]) == (0.05, 0.4)
    assert flash["long_context"] == [{"above_tokens": 256000, "input": 0.25, "output": 2.0}]
    coder = by["dashscope/qwen3-coder-plus"]
    assert coder["cached_input"] == 0.1 and [t["above_tokens"] for t in coder["long_context"]][:2] == [32000, 128000]
    assert by["deepseek/deepseek-coder"]["cached_input"] == 0.014  # input_cost_per_token_cache_hit 1.4e-08
    entry = litellm.offer_to_entry(flash)
    assert "Long-context tier above 256,000 input tokens" in entry["notes"]
    ApiOfferEntry.model_validate(entry)


def test_zero_imported_offers_is_a_failure(capsys):
    assert main(["import", "litellm", str(MAP), "--models", "nothing-matches-*"]) == 1
    assert "no offer imported" in capsys.readouterr().err


def test_merge_keeps_provenance_of_unchanged_entries_and_changes_only_price_lines(tmp_path, capsys):
    import difflib
    import os

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data", data, ignore=shutil.ignore_patterns(".backups"))
    target = data / "api_offers.yaml"
    os.chmod(target, 0o640)
    before = target.read_text()
    cat = load_catalog(data)
    mini = cat.apis["openai/gpt-4o-mini"]
    gpt = cat.apis["openai/gpt-4o"]
    # gpt-4o-mini with its catalog prices (unchanged); gpt-4o with a new output price (1.1e-05 USD/token)
    doc = {"last_updated": "2026-11-30T00:00:00Z",
           "gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat", "max_input_tokens": mini.context_tokens,
                           "input_cost_per_token": mini.input / 1e6, "output_cost_per_token": mini.output / 1e6,
                           "cache_read_input_token_cost": mini.cached_input / 1e6,
                           "input_cost_per_token_batches": mini.batch_input / 1e6,
                           "output_cost_per_token_batches": mini.batch_output / 1e6},
           "gpt-4o": {"litellm_provider": "openai", "mode": "chat", "max_input_tokens": gpt.context_tokens,
                      "input_cost_per_token": gpt.input / 1e6, "output_cost_per_token": 1.1e-05,
                      "cache_read_input_token_cost": gpt.cached_input / 1e6,
                      "input_cost_per_token_batches": gpt.batch_input / 1e6,
                      "output_cost_per_token_batches": gpt.batch_output / 1e6}}
    src = tmp_path / "prices.json"
    src.write_text(json.dumps(doc))
    assert main(["import", "litellm", str(src), "--out", str(target), "--merge", "--yes"]) == 0
    capsys.readouterr()
    after = target.read_text()
    changed = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert "-    output: 10.0" in changed and "+    output: 11.0" in changed
    assert "+    source: prices.json" in changed and "+    as_of: '2026-11-30'" in changed
    others = [ln for ln in changed if not any(k in ln for k in ("output:", "source:", "as_of:"))]
    assert all(ln.startswith("-") for ln in others) and len(others) <= 3, others  # the old folded source lines
    new = load_catalog(data)
    assert new.apis["openai/gpt-4o-mini"].as_of == mini.as_of and new.apis["openai/gpt-4o-mini"].source == mini.source
    assert new.apis["openai/gpt-4o"].output == 11.0 and new.apis["openai/gpt-4o"].notes == gpt.notes
    assert target.stat().st_mode & 0o777 == 0o640
