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
