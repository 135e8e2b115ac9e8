"""Sources are sources: every `source` in data/ and in the engine's defaults is a URL, a
citation or a catalog reference, never a file-system path; no file in data/ or docs/ names a path of
the machine it was written on."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tco.catalog import CATALOGS, load_catalog
from tco.engine import evaluate
from tco.report.export import assumptions_rows
from tco.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
# absolute POSIX or Windows paths, home dirs, paths out of the checkout
_MACHINE_PATH = re.compile(r"(?<![\w.:/])(/work/|/home/|/Users/|/root/|/tmp/|/mnt/|/var/|/opt/|~/|\.\./|[A-Za-z]:\\)")


# a path of the machine a file was written on (the docs may show hostile inputs such as ../../x)
_WRITER_PATH = re.compile(r"(/work/|/home/|/Users/|/root/|/mnt/|\.\./shared|[A-Za-z]:\\Users)")


def looks_like_path(text: str) -> bool:
    """A source that points at a file on some machine rather than a publication."""
    t = str(text).strip()
    if re.match(r"^(https?://|doi:)", t):
        return bool(_MACHINE_PATH.search(re.sub(r"https?://\S+", "", t)))
    return bool(_MACHINE_PATH.search(t)) or t.startswith(("/", "./", "file:"))


@pytest.mark.parametrize("text,expected", [
    ("/work/shared/reference/methodology_facts.md section 5.3", True),
    ("../shared/reference/x.csv", True),
    ("C:\\Users\\me\\prices.csv", True),
    ("https://a16z.com/llmflation-llm-inference-cost", False),
    ("SemiAnalysis 'AI Neocloud Playbook' (2024-10-03), https://newsletter.semianalysis.com/p/x", False),
    ("estimator (docs/estimator.md)", False),
    ("data/assumptions.yaml: pue", False),
])
def test_looks_like_path(text, expected):
    assert looks_like_path(text) is expected


def _sources(entry) -> list[str]:
    out = [entry.source]
    lat = getattr(entry, "latency", None)
    if lat is not None:
        out.append(lat.source)
    return out


def test_no_catalog_source_is_a_path():
    cat = load_catalog()
    bad = [f"{CATALOGS[name][0]}: {e.id}: {s}" for name in CATALOGS for e in cat.get(name).values()
           for s in _sources(e) if looks_like_path(s)]
    from tco.model.quality import load_quality

    bad += [f"quality.yaml: {e.id}: {e.source}" for e in load_quality(cat).entries.values() if looks_like_path(e.source)]
    assert not bad, "sources that look like file paths:\n" + "\n".join(bad)


def test_no_exported_assumption_source_is_a_path():
    cat = load_catalog()
    for f in sorted((ROOT / "data" / "scenarios").glob("*.yaml")):
        result = evaluate(load_scenario(str(f)), cat, skip_infeasible=True)
        bad = [r for r in assumptions_rows(result) if looks_like_path(r["source"])]
        assert not bad, f"{f.name}: {bad}"


def test_no_machine_path_in_data_or_docs():
    bad = []
    for folder in ("data", "docs"):
        for p in sorted((ROOT / folder).rglob("*")):
            if not p.is_file() or p.suffix not in (".yaml", ".yml", ".md", ".csv", ".json", ".txt"):
                continue
            for k, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                if _WRITER_PATH.search(re.sub(r"https?://\S+", "", line)):
                    bad.append(f"{p.relative_to(ROOT)}:{k}: {line.strip()[:100]}")
    assert not bad, "machine paths:\n" + "\n".join(bad)
