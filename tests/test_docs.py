"""Settings are declared once in code and documented: a field missing from the docs fails here."""
from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from tco.scenario import Scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCENARIO_DOCS = ("scenario.md", "scenario_traffic.md", "scenario_optimizer.md", "finance.md", "quality.md")


def _models(tp) -> list[type[BaseModel]]:
    out = []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    for arg in typing.get_args(tp):
        out += _models(arg)
    return out


def _fields(model: type[BaseModel], seen: set) -> set[str]:
    names = set()
    if model in seen:
        return names
    seen.add(model)
    for name, f in model.model_fields.items():
        names.add(name)
        for sub in _models(f.annotation):
            names |= _fields(sub, seen)
    return names


def test_every_scenario_field_is_documented():
    text = "\n".join((DOCS / f).read_text(encoding="utf-8") for f in SCENARIO_DOCS if (DOCS / f).exists())
    missing = sorted(n for n in _fields(Scenario, set()) if f"`{n}`" not in text and f"`{n}:" not in text
                     and f"{n}:" not in text)
    assert not missing, f"scenario fields not documented in docs/{'|'.join(SCENARIO_DOCS)}: {missing}"


def test_methodology_names_every_line_item():
    from tco.engine import LINE_ITEMS

    text = "\n".join((DOCS / f).read_text(encoding="utf-8") for f in ("methodology.md", "methodology_traffic.md"))
    missing = [n for n in LINE_ITEMS if f"`{n}`" not in text and f"{n}_m" not in text and f"{n} " not in text]
    assert not missing, missing


def test_generated_field_tables_are_up_to_date():
    import subprocess
    import sys

    root = DOCS.parent
    r = subprocess.run([sys.executable, str(root / "scripts" / "generate_docs.py"), "--check"],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr or r.stdout


def test_every_schema_field_has_a_description_and_a_unit():
    from tco.catalog import CATALOGS, Entry
    from tco.report.fielddocs import field_problems

    problems = field_problems(Scenario, "Scenario") + field_problems(Entry, "Entry")
    for spec in CATALOGS.values():
        model = spec.model if hasattr(spec, "model") else spec[1]
        problems += field_problems(model, model.__name__)
    assert not problems, "\n".join(problems)


def test_field_problems_flags_a_missing_description_or_unit():
    from pydantic import Field

    from tco.report.fielddocs import field_problems

    class Bad(BaseModel):
        a: float = Field(description="A number without its unit.")
        b: str = Field("x")
        c: float = Field(description="A ratio [-].")
        d: typing.Optional[typing.Union[str, list[float]]] = Field(None, description="Name or weights [relative weight].")

    problems = field_problems(Bad, "Bad")
    assert any(": a: a number needs its unit" in p for p in problems)
    assert any(": b: no description" in p for p in problems)
    assert not any(": c:" in p or ": d:" in p for p in problems)
