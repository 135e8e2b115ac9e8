"""Catalog editing: rows, validation reasons, diff, atomic save with bounded backups, CSV round trip,
staleness and the sources of a Result. Writes only into tmp copies of data/."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tco.catalog import CATALOGS, DEFAULT_DATA_DIR, load_catalog, parse_as_of
from tco.catalog import edit as ce
from tco.core.exceptions import CatalogError
from tco.engine import evaluate
from tco.io import atomic
from tco.scenario import load_scenario_text

DATA = DEFAULT_DATA_DIR


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d, ignore=shutil.ignore_patterns(".backups"))
    return d


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DATA)


@pytest.mark.parametrize("name", list(CATALOGS))
def test_rows_and_csv_round_trip_every_catalog(name):
    f = ce.read_catalog_file(DATA, name)
    assert f.entries, name
    assert ce.rows_to_entries(name, ce.entries_to_rows(name, f.entries)) == f.entries
    text = ce.to_csv(name, f.entries)
    back = ce.from_csv(name, text)
    assert back == f.entries
    assert ce.to_csv(name, back) == text  # and byte-identical the second time
    # types survive too (an int stays an int, a bool a bool)
    for a, b in zip(f.entries, back):
        for k in a:
            if isinstance(a[k], (bool, int)) and not isinstance(a[k], float):
                assert type(a[k]) is type(b[k]), (name, a["id"], k)


def test_profile_points_are_json_cells_that_round_trip():
    f = ce.read_catalog_file(DATA, "profiles")
    row = ce.entries_to_rows("profiles", f.entries[:1])[0]
    assert isinstance(row["points"], str) and row["points"].startswith("[{")
    assert ce.rows_to_entries("profiles", [row])[0]["points"] == f.entries[0]["points"]


def test_validation_names_row_field_and_reason(catalog):
    f = ce.read_catalog_file(DATA, "gpus")
    rows = ce.entries_to_rows("gpus", f.entries)
    rows[0]["memory_gb"] = -80.0
    rows[1]["source"] = ""
    rows[2]["vendor"] = None
    v = ce.validate_rows("gpus", rows, catalog)
    got = {(p.row, p.field): p.message for p in v.problems}
    assert got[(0, "memory_gb")] == "must be > 0, got -80.0"
    assert got[(1, "source")] == "required field is missing"
    assert got[(2, "vendor")] == "required field is missing"
    assert not v.ok and len(v.problems) == 3
    assert str(v.problems[0]).startswith(f"row 1: {rows[0]['id']}: memory_gb: must be > 0")


def test_validation_duplicates_cross_references_and_bad_json(catalog):
    rows = ce.entries_to_rows("offers", ce.read_catalog_file(DATA, "offers").entries)
    rows.append(dict(rows[0]))
    rows[1]["gpu"] = "no-such-gpu"
    v = ce.validate_rows("offers", rows, catalog)
    msgs = {(p.row, p.field): p.message for p in v.problems}
    assert msgs[(len(rows) - 1, "id")] == "duplicate id (also row 1)"
    assert msgs[(1, "gpu")] == "unknown gpu id 'no-such-gpu'"
    # removing a GPU that offers refer to is caught too
    gpus = [e for e in ce.read_catalog_file(DATA, "gpus").entries if e["id"] != "h100-sxm"]
    v = ce.validate_entries("gpus", gpus, catalog)
    assert any(p.row is None and "unknown gpu id 'h100-sxm'" in p.message for p in v.problems)
    prow = ce.entries_to_rows("profiles", ce.read_catalog_file(DATA, "profiles").entries[:1])
    prow[0]["points"] = "[{not json"
    v = ce.validate_rows("profiles", prow)
    assert [(p.field, p.message[:14]) for p in v.problems] == [("points", "not valid JSON")]


def test_changed_figures_without_new_as_of_warn():
    old = ce.read_catalog_file(DATA, "apis").entries
    new = [dict(e) for e in old]
    new[0]["input"] = 99.0
    v = ce.validate_entries("apis", new, baseline=old)
    assert v.ok and [(w.row, w.field) for w in v.warnings] == [(0, "as_of")]
    new[0]["as_of"] = "2026-01-01"
    assert not ce.validate_entries("apis", new, baseline=old).warnings


def test_diff_added_removed_changed_field_by_field():
    old = [{"id": "a", "input": 1.0, "output": 2.0}, {"id": "b", "input": 3.0},
           {"id": "p", "points": [{"ttft_ms": {"mean": 10.0}}]}]
    new = [{"id": "a", "input": 1.5, "output": 2.0, "notes": "cut"}, {"id": "c", "input": 4.0},
           {"id": "p", "points": [{"ttft_ms": {"mean": 12.0}}]}]
    d = ce.diff_entries(old, new)
    assert d.added == ["c"] and d.removed == ["b"]
    assert d.changed == {"a": [("input", 1.0, 1.5), ("notes", None, "cut")],
                         "p": [("points[0].ttft_ms.mean", 10.0, 12.0)]}
    assert d.summary() == "1 added, 1 removed, 2 changed"
    assert "    input: 1.0 -> 1.5" in d.text()
    assert {"change": "changed", "id": "a", "field": "notes", "old": "(none)", "new": "cut"} in d.rows()
    assert ce.diff_entries(old, old).empty
    # 1 and True are different values in a catalog
    assert ce.diff_entries([{"id": "s", "low_confidence": 1}], [{"id": "s", "low_confidence": True}]).changed


def test_save_writes_backup_keeps_header_and_loads(data):
    f = ce.read_catalog_file(data, "apis")
    before = f.path.read_bytes()
    entries = [dict(e) for e in f.entries]
    entries[0]["input"] = 3.0
    res = ce.save_catalog(data, "apis", entries)
    assert res.backup is not None and res.backup.read_bytes() == before
    assert res.backup.parent == data / ".backups"
    text = f.path.read_text()
    assert text.startswith(f.header) and f.header.startswith("# Hosted model API prices")
    assert load_catalog(data).apis[entries[0]["id"]].input == 3.0


def test_save_interrupted_between_write_and_rename_leaves_original(data, monkeypatch):
    f = ce.read_catalog_file(data, "gpus")
    before = f.path.read_bytes()
    entries = [dict(e) for e in f.entries]
    entries[0]["memory_gb"] = 1.0

    def boom(tmp, path):
        raise OSError("disk full (injected between write and rename)")

    monkeypatch.setattr(atomic, "_replace", boom)
    with pytest.raises(OSError, match="injected"):
        ce.save_catalog(data, "gpus", entries)
    assert f.path.read_bytes() == before
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind
    load_catalog(data)


def test_save_refuses_invalid_entries(data):
    f = ce.read_catalog_file(data, "servers")
    before = f.path.read_bytes()
    bad = [dict(e) for e in f.entries]
    bad[0]["price_usd"] = -1
    with pytest.raises(CatalogError, match="price_usd: must be > 0"):
        ce.save_catalog(data, "servers", bad)
    assert f.path.read_bytes() == before and not ce.list_backups(data, "servers")


def test_backups_are_bounded(data):
    f = ce.read_catalog_file(data, "servers")
    t0 = dt.datetime(2026, 1, 1, 12, 0, 0)
    for i in range(5):
        entries = [dict(e) for e in f.entries]
        entries[0]["price_usd"] = 1000.0 + i
        ce.save_catalog(data, "servers", entries, keep=3, now=t0 + dt.timedelta(seconds=i))
    kept = ce.list_backups(data, "servers")
    assert [p.name for p in kept] == [f"servers.2026010112000{i}000000.yaml".replace("12000", "T12000") for i in (2, 3, 4)]
    # the newest backup is the version before the last save
    assert ce.parse_catalog_text("servers", kept[-1].read_bytes())[1][0]["price_usd"] == 1003.0


def test_staleness_relative_to_today():
    cat = load_catalog(Path(__file__).parent / "fixtures" / "mini_data")
    some = next(iter(cat.apis.values()))
    d = parse_as_of(some.as_of)
    fresh = ce.stale_entries(cat, 180, today=d + dt.timedelta(days=10), names=["apis"])
    old = ce.stale_entries(cat, 180, today=d + dt.timedelta(days=400), names=["apis"])
    assert some.id not in {s.id for s in fresh}
    hit = next(s for s in old if s.id == some.id)
    assert hit.age_days == 400 and hit.catalog == "apis"
    assert ce.is_stale("no date here") and not ce.is_stale("2026-01-01", 180, today=dt.date(2026, 6, 1))
    assert ce.is_stale("2026-01-01", 180, today=dt.date(2026, 7, 1))  # 181 days


def test_sources_of_a_result(catalog):
    scen = load_scenario_text(
        "name: s\nstart: 2027-01\nmonths: 3\nworkload: {requests_per_day: 1000, input_tokens: 100, output_tokens: 50}\n"
        "options:\n  - {name: GPT-4o, api: openai/gpt-4o}\n", "s.yaml")
    res = evaluate(scen, catalog)
    rows = ce.result_sources(res, today=dt.date(2026, 1, 1))
    gpt = catalog.apis["openai/gpt-4o"]
    row = next(r for r in rows if r["source"] == gpt.source)
    assert row["as_of"] == gpt.as_of and "GPT-4o" in row["inputs"] and "openai/gpt-4o" in row["entries"]
    assert set(rows[0]) == {"source", "as_of", "origin", "entries", "inputs", "stale"}


def test_catalog_csv_neutralises_formulas_and_still_round_trips():
    from tco.catalog import load_catalog
    from tco.catalog.edit import from_csv, to_csv

    rows = [e.model_dump(mode="json", exclude_none=True) for e in list(load_catalog().apis.values())[:3]]
    rows[0]["notes"], rows[1]["notes"], rows[2]["notes"] = '=HYPERLINK("http://x","y")', "'quoted", "-2+3"
    text = to_csv("apis", rows)
    assert "'=HYPERLINK" in text and "''quoted" in text and "'-2+3" in text
    back = from_csv("apis", text)
    assert [b["notes"] for b in back] == ['=HYPERLINK("http://x","y")', "'quoted", "-2+3"]


# ---------------------------------------------------------------- minimal, faithful writes

def _changed_lines(before: str, after: str) -> list[str]:
    import difflib

    return [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


@pytest.mark.parametrize("name", list(CATALOGS))
def test_saving_unchanged_entries_is_byte_identical(name):
    f = ce.read_catalog_file(DATA, name)
    text = f.path.read_text(encoding="utf-8")
    rows = ce.entries_to_rows(name, f.entries)  # through the table, as the Data page does
    assert ce.patch_catalog_text(name, text, ce.rows_to_entries(name, rows)) == text


def test_one_price_edit_is_a_one_line_diff_and_keeps_the_mode(data):
    import os

    path = data / "api_offers.yaml"
    os.chmod(path, 0o640)
    before = path.read_text()
    f = ce.read_catalog_file(data, "apis")
    rows = ce.entries_to_rows("apis", f.entries)
    i = [r["id"] for r in rows].index("openai/gpt-4o-mini")
    rows[i]["output"] = 0.65
    ce.save_catalog(data, "apis", ce.rows_to_entries("apis", rows))
    after = path.read_text()
    assert _changed_lines(before, after) == ["-    output: 0.6", "+    output: 0.65"]
    assert path.stat().st_mode & 0o777 == 0o640
    assert load_catalog(data).apis["openai/gpt-4o-mini"].output == 0.65
    # with the date and source the user changed too: those lines as well, nothing else
    rows[i]["as_of"], rows[i]["source"] = "2026-11-30", "https://openai.com/api/pricing/ (checked 2026-11-30)"
    ce.save_catalog(data, "apis", ce.rows_to_entries("apis", rows))
    changed = _changed_lines(after, path.read_text())
    assert [ln[0] for ln in changed].count("+") == 2 and all("as_of" in ln or "source" in ln or "tokencost" in ln
                                                          or "daily copy" in ln or "prices (01" in ln for ln in changed)


def test_comments_folded_strings_and_inline_comments_survive(data):
    path = data / "gpus.yaml"
    text = path.read_text()
    f = ce.read_catalog_file(data, "gpus")
    first = f.entries[0]["id"]
    # a comment inside an entry and an inline comment on a value
    lines = text.splitlines(keepends=True)
    k = next(j for j, ln in enumerate(lines) if ln.strip().startswith("memory_gb:"))
    lines[k] = lines[k].rstrip("\n") + "  # HBM, per GPU\n"
    lines.insert(k, "    # a note kept by the editor\n")
    path.write_text("".join(lines))
    before = path.read_text()
    entries = [dict(e) for e in ce.read_catalog_file(data, "gpus").entries]
    entries[0]["memory_gb"] = entries[0]["memory_gb"] + 1
    ce.save_catalog(data, "gpus", entries)
    after = path.read_text()
    changed = _changed_lines(before, after)
    assert len(changed) == 2 and changed[1].endswith("  # HBM, per GPU"), changed
    assert "    # a note kept by the editor\n" in after and after.count(">-") == before.count(">-")
    assert load_catalog(data).gpus[first].memory_gb == entries[0]["memory_gb"]


def test_added_removed_entries_and_keys_change_only_their_lines(data):
    path = data / "servers.yaml"
    before = path.read_text()
    entries = [dict(e) for e in ce.read_catalog_file(data, "servers").entries]
    gone = entries.pop(1)
    new = {**entries[0], "id": entries[0]["id"] + "-copy"}
    entries.append(new)
    entries[0]["notes"] = "checked again"
    ce.save_catalog(data, "servers", entries)
    after = path.read_text()
    minus = [ln for ln in _changed_lines(before, after) if ln.startswith("-")]
    plus = [ln for ln in _changed_lines(before, after) if ln.startswith("+")]
    assert any(gone["id"] in ln for ln in minus) and any(new["id"] in ln for ln in plus)
    assert "+    notes: checked again" in plus
    cat = load_catalog(data)
    assert gone["id"] not in cat.servers and new["id"] in cat.servers and cat.servers[entries[0]["id"]].notes == "checked again"


def test_new_file_gets_the_usual_mode(tmp_path):
    import os

    from tco.io.atomic import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "x.yaml", "a: 1\n")
    finally:
        os.umask(old)
    assert (tmp_path / "x.yaml").stat().st_mode & 0o777 == 0o644
