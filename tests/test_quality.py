"""Quality catalog, linking, floor filter and frontier (tco.model.quality, tco.charts.quality)."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.model.quality import (
    ELO_BENCHMARK,
    NO_FIGURE,
    FloorSpec,
    OptionQuality,
    Quality,
    QualityEntry,
    apply_floor,
    cheapest_meeting,
    comparable_table,
    floor_status,
    load_quality,
    option_quality,
    pareto_frontier,
    resolve_floor,
    subject_for,
    validate_quality,
)
from tco.charts.quality import cost_quality_figure
from tco.core.exceptions import CatalogError, ScenarioError
from tco.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
MINI = ROOT / "tests" / "fixtures" / "mini_data"
REFERENCE_CSV = Path(__file__).resolve().parent / "fixtures" / "reference" / "quality.csv"  # copy of ../shared/reference/quality.csv


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DATA)


@pytest.fixture(scope="module")
def quality(catalog):
    return load_quality(catalog)


def _entry(eid, subject, score, benchmark=ELO_BENCHMARK, group="lmarena-test", unit="elo", **kw):
    return QualityEntry(id=eid, subject=subject, label=eid, benchmark=benchmark, group=group,
                        setting="test setting; 95% CI +3/-3", score=score, unit=unit,
                        source="hand-built test", as_of="2025-08-01", **kw)


# ----------------------------------------------------------------------------------------------
# the bundled catalog


def test_bundled_quality_validates(catalog, quality):
    assert validate_quality(catalog) == []
    assert len(quality.entries) == 241


def test_every_score_has_source_setting_and_as_of(quality):
    for e in quality.entries.values():
        assert e.source.strip(), e.id
        assert e.setting.strip(), e.id
        assert e.as_of.strip(), e.id
        assert e.kind == "sourced", e.id


def test_every_reference_row_is_copied_verbatim(quality):
    with REFERENCE_CSV.open(encoding="utf-8") as fh:
        ref = {(r["model"].strip(), r["setting"].strip(), float(r["score"]), r["source"].strip()) for r in csv.DictReader(fh)}
    ours = {(e.label, e.setting, e.score, e.source) for e in quality.entries.values()}
    assert ours == ref


def test_elo_tier_is_one_snapshot(quality):
    elo = [e for e in quality.entries.values() if e.benchmark == ELO_BENCHMARK]
    assert len(elo) == 33
    assert len({e.group for e in elo}) == 1
    assert len({e.source for e in elo}) == 1
    assert quality.elo_snapshot() == "~2025-07-22..2025-08-05"
    assert "2025-07-22" in quality.elo_label()


def test_released_maverick_not_experimental(quality):
    # quality.md: use the released Llama-4-Maverick entry (1292), not 03-26-Experimental (1415)
    assert quality.elo("llama-4-maverick").score == 1292


def test_every_catalog_model_and_offer_resolves(catalog, quality):
    """Every model and offer either has its Elo or is known to have none (never a crash, never 0)."""
    for mid in catalog.models:
        subject, via = subject_for("self_host", mid, catalog, quality)
        assert (subject, via) == (mid, "model")
    for oid, offer in catalog.apis.items():
        subject, via = subject_for("api", oid, catalog, quality)
        assert subject is not None
        if offer.serves_model:
            assert (subject, via) == (offer.serves_model, "served model")
        e = quality.elo(subject)
        assert e is None or e.score > 1000


def test_hosted_llama_shares_model_scores(catalog, quality):
    a = option_quality({"name": "t", "kind": "api", "ref_id": "together/llama-3.1-70b"}, catalog, quality)
    b = option_quality({"name": "s", "kind": "self_host", "ref_id": "llama-3.1-70b"}, catalog, quality)
    assert a.elo == b.elo == 1264
    assert a.elo_entry is b.elo_entry


def test_closed_offers_link_by_own_id_and_alias(catalog, quality):
    assert quality.elo(subject_for("api", "openai/gpt-4o", catalog, quality)[0]).score == 1285  # the 2024-08-06 alias
    assert quality.elo(subject_for("api", "openai/gpt-4o-2024-05-13", catalog, quality)[0]).score == 1302
    assert quality.elo(subject_for("api", "openai/gpt-4o-mini", catalog, quality)[0]).score == 1288
    assert subject_for("api", "openai/gpt-4-32k", catalog, quality) == ("openai/gpt-4", "alias")
    assert quality.elo("openai/gpt-4").score == 1191


def test_snapshots_without_an_offer_stay_unmapped(quality):
    labels = {e.label for e in quality.unmapped()}
    assert "GPT-4o (2024-11-20)" in labels
    assert "Claude 3.5 Sonnet (2024-06-20)" in labels
    assert all(e.subject is None for e in quality.unmapped())


def test_no_figure_is_none_not_zero(catalog, quality):
    for item in ({"name": "falcon", "kind": "self_host", "ref_id": "falcon-7b"},
                 {"name": "haiku 4.5", "kind": "api", "ref_id": "anthropic/claude-haiku-4-5"},
                 {"name": "inline", "kind": "api", "ref_id": "inline"}):
        oq = option_quality(item, catalog, quality)
        assert oq.elo is None
        assert oq.tier_text == NO_FIGURE


def test_option_quality_accepts_scenario_options(catalog, quality):
    s = parse_scenario({"start": "2027-01", "workload": {"requests_per_day": 1, "input_tokens": 1, "output_tokens": 1},
                        "options": [{"name": "a", "api": "groq/llama-3.3-70b"},
                                    {"name": "b", "self_host": {"model": "llama-4-scout", "gpu": "h100-sxm",
                                                                  "rent": {"usd_per_gpu_hour": 2}}},
                                    {"name": "c", "prices": {"input": 1, "output": 2}}]})
    got = [option_quality(o, catalog, quality).elo for o in s.options]
    assert got == [1274, 1275, None]


def test_comparable_table_never_merges_groups(quality):
    rows = comparable_table(["llama-3.1-70b", "openai/gpt-4o"], quality)
    mmlu = [r for r in rows if r["benchmark"] == "mmlu"]
    # Meta 5-shot, Meta 0-shot CoT, simple-evals 0-shot CoT, simple-evals "as reported"... each its own row
    assert len(mmlu) == len({r["group"] for r in mmlu}) >= 3
    simple = next(r for r in mmlu if r["group"] == "simple-evals/zero-shot-cot")
    assert simple["openai/gpt-4o"] == 88.7 and simple["llama-3.1-70b"] is None
    meta = next(r for r in mmlu if r["group"].startswith("meta-llama3.1-card-1b28708/5-shot") and not r["group"].endswith("/base"))
    assert meta["llama-3.1-70b"] == 83.6 and meta["openai/gpt-4o"] is None
    assert all(r["benchmark"] != ELO_BENCHMARK for r in rows)


# ----------------------------------------------------------------------------------------------
# validation errors: file: entry: field: message


def _copy_data(tmp_path: Path, quality_text: str) -> Path:
    d = tmp_path / "data"
    shutil.copytree(MINI, d)
    (d / "quality.yaml").write_text(quality_text, encoding="utf-8")
    return d


GOOD = """
quality:
  - id: l70/elo
    subject: llama-3.1-70b
    label: Llama 3.1 70B Instruct
    benchmark: lmarena_text_elo
    group: lmarena-test
    setting: 'rating; 95% CI +3/-3'
    score: 1264
    unit: elo
    source: test
    as_of: 2025-08-01
"""


def test_missing_quality_file_is_no_problem():
    cat = load_catalog(MINI)
    assert validate_quality(cat) == []
    assert load_quality(cat).entries == {}


def test_valid_small_file(tmp_path):
    cat = load_catalog(_copy_data(tmp_path, GOOD))
    q = load_quality(cat)
    assert q.elo("llama-3.1-70b").score == 1264
    # the fixture's test/no-cache offer serves llama-3.1-70b and shares its score
    assert option_quality({"kind": "api", "ref_id": "test/no-cache"}, cat, q).elo == 1264


@pytest.mark.parametrize("mutate, expected", [
    (lambda t: t.replace("subject: llama-3.1-70b", "subject: llama-9"),
     "data/quality.yaml: l70/elo: subject: unknown model or API offer id 'llama-9'"),
    (lambda t: t.replace("    source: test\n", ""), "data/quality.yaml: l70/elo: source: required field is missing"),
    (lambda t: t.replace("    setting: 'rating; 95% CI +3/-3'\n", ""),
     "data/quality.yaml: l70/elo: setting: required field is missing"),
    (lambda t: t.replace("score: 1264", "score: 12640"),
     "data/quality.yaml: l70/elo: score must be within [500, 2500] for unit elo, got 12640"),
    (lambda t: t.replace("benchmark: lmarena_text_elo", "benchmark: mmlu"),
     "data/quality.yaml: l70/elo: unit elo is for benchmark lmarena_text_elo only"),
    (lambda t: t.replace("unit: elo", "unit: percent"),
     "data/quality.yaml: l70/elo: score must be within [0, 100] for unit percent, got 1264"),
    (lambda t: t + t.split("quality:\n")[1], "data/quality.yaml: l70/elo: id: duplicate id"),
    (lambda t: t + t.split("quality:\n")[1].replace("l70/elo", "l70/elo2").replace("lmarena-test", "lmarena-other"),
     "lmarena_text_elo entries come from 2 groups"),
    (lambda t: t + "aliases:\n  - id: openai/gpt-5\n    same_as: llama-3.1-70b\n    notes: x\n",
     "data/quality.yaml: openai/gpt-5: id: unknown API offer id 'openai/gpt-5'"),
    (lambda t: t + "extra: 1\n", "unknown top-level key(s) ['extra']"),
    (lambda t: t.replace("    score: 1264\n", "    score: 1264\n    colour: red\n"),
     "data/quality.yaml: l70/elo: colour: unknown field"),
])
def test_broken_quality_files(tmp_path, mutate, expected):
    cat = load_catalog(_copy_data(tmp_path, mutate(GOOD)))
    problems = [str(p) for p in validate_quality(cat)]
    assert any(expected in p for p in problems), problems
    with pytest.raises(CatalogError):
        load_quality(cat)


def test_yaml_syntax_error_is_located(tmp_path):
    cat = load_catalog(_copy_data(tmp_path, "quality: [\n"))
    problems = [str(p) for p in validate_quality(cat)]
    assert len(problems) == 1 and problems[0].startswith("data/quality.yaml: ")


# ----------------------------------------------------------------------------------------------
# the floor, on a hand-built case


@pytest.fixture()
def hand(catalog):
    """Four options: A (Elo 1300, $10), B (1250, $2), C (1200, $1), D (no figure, $0.10)."""
    q = Quality(entries={e.id: e for e in (_entry("a", "openai/gpt-4o", 1300), _entry("b", "llama-3.1-70b", 1250),
                                            _entry("c", "llama-3.1-8b", 1200))}, file="hand.yaml")
    items = [
        {"name": "A", "kind": "api", "ref_id": "openai/gpt-4o", "usd_per_million_tokens": 10.0},
        {"name": "B", "kind": "self_host", "ref_id": "llama-3.1-70b", "usd_per_million_tokens": 2.0},
        {"name": "C", "kind": "api", "ref_id": "together/llama-3.1-8b", "usd_per_million_tokens": 1.0},
        {"name": "D", "kind": "api", "ref_id": "anthropic/claude-haiku-4-5", "usd_per_million_tokens": 0.1},
    ]
    return q, items


def test_floor_status():
    assert floor_status(1250, 1250) == "meets"  # at the floor meets it
    assert floor_status(1249.9, 1250) == "below"
    assert floor_status(None, 1250) == "unknown"
    assert floor_status(None, None) == "no floor"
    assert floor_status(900, None) == "no floor"


def test_apply_floor_number(catalog, hand):
    q, items = hand
    kept, excluded, unknown = apply_floor(items, 1250, catalog, q)
    assert [i["name"] for i in kept] == ["A", "B"]
    assert excluded == 1  # C (1200 < 1250)
    assert [i["name"] for i in unknown] == ["D"]  # reported, not dropped, not a zero


def test_apply_floor_at_least_as_good_as(catalog, hand):
    q, items = hand
    # C is served through together/llama-3.1-8b -> llama-3.1-8b (1200); the floor is B's model, 1250
    res = apply_floor(items, {"at_least_as_good_as": "llama-3.1-70b"}, catalog, q)
    assert res.floor == FloorSpec(1250.0, "at least as good as llama-3.1-70b (Elo 1250)", "llama-3.1-70b")
    assert [i["name"] for i in res.kept] == ["A", "B"]
    assert [i["name"] for i in res.below] == ["C"]
    assert "1 below the floor excluded" in res.summary() and "1 with no comparable figure" in res.summary()


def test_apply_floor_scenario_model(catalog, hand):
    q, items = hand
    s = parse_scenario({"start": "2027-01", "workload": {"requests_per_day": 1, "input_tokens": 1, "output_tokens": 1},
                        "options": [{"name": "x", "api": "openai/gpt-4o"}],
                        "quality_floor": {"benchmark": "lmarena_text_elo", "at_least": 1280}})
    kept, excluded, unknown = apply_floor(items, s.quality_floor, catalog, q)
    assert [i["name"] for i in kept] == ["A"] and excluded == 2 and len(unknown) == 1


def test_no_floor_keeps_everything_and_still_lists_unknown(catalog, hand):
    q, items = hand
    res = apply_floor(items, None, catalog, q)
    assert res.kept == items and res.excluded_count == 0
    assert [i["name"] for i in res.unknown] == ["D"]


def test_floor_errors(catalog, hand):
    q, _ = hand
    with pytest.raises(ScenarioError, match="quality_floor.at_least_as_good_as: unknown API offer or model id 'openai/gpt-9'"):
        resolve_floor({"at_least_as_good_as": "openai/gpt-9"}, catalog, q, "s.yaml")
    with pytest.raises(ScenarioError, match="has no comparable figure"):
        resolve_floor({"at_least_as_good_as": "anthropic/claude-haiku-4-5"}, catalog, q)
    with pytest.raises(ScenarioError, match="only lmarena_text_elo"):
        resolve_floor({"benchmark": "mmlu", "at_least": 80}, catalog, q)


def test_bundled_floor_gpt4o_mini(catalog, quality):
    spec = resolve_floor({"at_least_as_good_as": "openai/gpt-4o-mini"}, catalog, quality)
    assert spec.elo == 1288
    # Llama 3.1 405B (1286) is below GPT-4o mini (1288) on this snapshot; Maverick (1292) meets it
    assert floor_status(quality.elo("llama-3.1-405b").score, spec.elo) == "below"
    assert floor_status(quality.elo("llama-4-maverick").score, spec.elo) == "meets"


def test_scenario_floor_field_validation():
    base = {"start": "2027-01", "workload": {"requests_per_day": 1, "input_tokens": 1, "output_tokens": 1},
            "options": [{"name": "x", "api": "openai/gpt-4o"}]}
    with pytest.raises(ScenarioError, match="s.yaml: quality_floor: needs exactly one of at_least or at_least_as_good_as"):
        parse_scenario({**base, "quality_floor": {}}, "s.yaml")
    with pytest.raises(ScenarioError, match="quality_floor.benchmark"):
        parse_scenario({**base, "quality_floor": {"benchmark": "mmlu", "at_least": 80}}, "s.yaml")
    s = parse_scenario({**base, "quality_floor": {"at_least_as_good_as": "openai/gpt-4o-mini"}})
    assert parse_scenario(s.to_dict()).quality_floor == s.quality_floor  # round trip


# ----------------------------------------------------------------------------------------------
# the frontier


def test_pareto_frontier_hand_built():
    # cost [USD/1M] against Elo:
    #   P (1300, 10)  Q (1250, 2)  R (1200, 1)  S (1240, 3: dominated by Q, better and cheaper)
    #   T (1300, 12: dominated by P, same quality, dearer)  U (no figure, 0.1: never on it)
    pts = [("P", 1300, 10.0), ("Q", 1250, 2.0), ("R", 1200, 1.0), ("S", 1240, 3.0), ("T", 1300, 12.0), ("U", None, 0.1)]
    assert pareto_frontier(pts) == ["R", "Q", "P"]
    # the cheapest option meeting a floor is the next frontier point at or right of it
    assert cheapest_meeting(pts, 1201) == "Q"
    assert cheapest_meeting(pts, 1250) == "Q"
    assert cheapest_meeting(pts, 1251) == "P"
    assert cheapest_meeting(pts, 1400) is None


def test_pareto_frontier_ties_and_empty():
    assert pareto_frontier([]) == []
    assert pareto_frontier([("a", None, 1.0)]) == []
    assert pareto_frontier([("a", 1200, 1.0), ("b", 1200, 1.0)]) == ["a"]  # exact duplicate: first kept
    assert pareto_frontier([("a", 1200, 1.0), ("b", 1210, 1.0)]) == ["b"]  # same cost, better wins


def test_frontier_is_never_dominated_property():
    import random

    rng = random.Random(7)
    for _ in range(200):
        pts = [(f"p{i}", rng.choice([None, rng.randint(1000, 1400)]), round(rng.uniform(0.1, 20), 1)) for i in range(8)]
        front = set(pareto_frontier(pts))
        scored = [p for p in pts if p[1] is not None]
        for n, e, c in scored:
            dominated = any((e2 >= e and c2 <= c) and (e2 > e or c2 < c) for n2, e2, c2 in scored if n2 != n)
            if n in front:
                assert not dominated
            elif not any(n2 in front and e2 == e and c2 == c for n2, e2, c2 in scored):
                assert dominated


def test_chart_frontier_floor_and_unplotted():
    rows = [OptionQuality("P", "api", "x/p", "x/p", "offer", 1300.0, cost={"usd_per_million_tokens": 10.0}),
            OptionQuality("Q", "self_host", "m", "m", "model", 1250.0, cost={"usd_per_million_tokens": 2.0}),
            OptionQuality("S", "api", "x/s", "x/s", "offer", 1240.0, cost={"usd_per_million_tokens": 3.0}),
            OptionQuality("U", "api", "inline", None, "", None, cost={"usd_per_million_tokens": 0.1})]
    fig = cost_quality_figure(rows, floor_elo=1245, floor_label="Elo >= 1245")
    frontier = [t for t in fig.data if t.mode == "lines" and t.name.startswith("Frontier")]
    assert len(frontier) == 1
    assert list(frontier[0].x) == [1240.0, 1250.0, 1300.0] and list(frontier[0].y) == [2.0, 2.0, 10.0]
    assert frontier[0].line.shape == "vh"
    names = [t.name for t in fig.data if t.mode == "markers+text"]
    assert names == ["P", "Q", "S"]  # U has no figure: not plotted at zero
    s = next(t for t in fig.data if t.name == "S")
    assert s.marker.color == "rgba(0,0,0,0)"  # below the floor: hollow
    notes = [a.text for a in fig.layout.annotations]
    assert any("Not plotted (no comparable figure): U" in t for t in notes)
    assert any(t.name == "Floor: Elo >= 1245" for t in fig.data)
    assert any(sh.x0 == 1245 for sh in fig.layout.shapes)


def test_chart_with_nothing_scored():
    rows = [OptionQuality("U", "api", "inline", None, "", None, cost={"usd_per_million_tokens": 0.1})]
    fig = cost_quality_figure(rows)
    assert not [t for t in fig.data if t.mode == "lines"]
    assert any("No option has a comparable quality figure" in a.text for a in fig.layout.annotations)
    with pytest.raises(ValueError):
        cost_quality_figure(rows, metric="elo")


def test_optimizer_candidates_are_linked(catalog, quality):
    """The optimizer passes its Candidate objects (kind, model, api; no ref_id) to apply_floor."""
    from types import SimpleNamespace as C

    cands = [C(name="sh", kind="self_host", model="llama-3.1-70b", api=None, usd_per_million_tokens=1.0),
             C(name="hosted", kind="api", model="llama-3.1-8b", api="groq/llama-3.1-8b", usd_per_million_tokens=0.1),
             C(name="closed", kind="api", model="gpt-4o", api="openai/gpt-4o", usd_per_million_tokens=5.0),
             C(name="none", kind="self_host", model="falcon-7b", api=None, usd_per_million_tokens=0.5)]
    assert [option_quality(c, catalog, quality).elo for c in cands] == [1264, 1193, 1285, None]
    res = apply_floor(cands, {"at_least": 1250}, catalog, quality)
    assert [c.name for c in res.kept] == ["sh", "closed"]
    assert [c.name for c in res.below] == ["hosted"] and [c.name for c in res.unknown] == ["none"]
    assert res.kept[0] is cands[0]  # identity kept: the caller can filter its own list
