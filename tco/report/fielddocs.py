"""Field tables for the docs, generated from the schemas (the scenario and every catalog entry).

The schemas are the one declaration of every setting; `docs/scenario.md` and `docs/data.md` carry
tables generated from them between markers::

    <!-- generated:NAME begin: scripts/generate_docs.py writes this table; edit the schema instead -->
    ...
    <!-- generated:NAME end -->

Conventions a field must follow (checked by :func:`field_problems`, run by the tests):

* every field has a ``description``;
* a numeric field states its unit in brackets in the description, e.g. ``"Device memory [GB]."``,
  ``"Share of input tokens served from the cache [fraction 0-1]."``, ``"[-]"`` for a pure number
  (a ratio); text, enum, true/false and nested fields have no unit ("-").
"""
from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Union

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

UNIT_RE = re.compile(r"\[([^\[\]]+)\]")
BEGIN = "<!-- generated:{name} begin: scripts/generate_docs.py writes this table; edit the schema instead -->"
END = "<!-- generated:{name} end -->"


@dataclass(frozen=True)
class FieldDoc:
    path: str  # dotted path, "[]" for list items
    type: str
    unit: str  # "-" when the field has none
    default: str
    meaning: str
    numeric: bool
    has_unit: bool = False  # a [unit] is stated ("[-]" for a pure number counts)


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _models_in(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    out: list[type[BaseModel]] = []
    for a in typing.get_args(tp):
        out += _models_in(a)
    return out


def type_label(tp: Any) -> tuple[str, bool]:
    """A reader's name for an annotation, and whether it is numeric."""
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in typing.get_args(tp)), False
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner, num = type_label(args[0]) if args else ("value", False)
        return f"list of {inner}", num
    if origin in (Union, types.UnionType):
        parts = [type_label(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(p for p, _ in parts), any(n for _, n in parts)
    if origin is dict:
        return "mapping", False
    if tp is bool:
        return "true/false", False
    if tp is int:
        return "integer", True
    if tp is float:
        return "number", True
    if tp is str:
        return "text", False
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "object", False
    return getattr(tp, "__name__", str(tp)), False


def _bounds(metadata: list) -> str:
    out = []
    for m in metadata:
        for cls, op in ((Ge, ">="), (Gt, ">"), (Le, "<="), (Lt, "<")):
            if isinstance(m, cls):
                v = getattr(m, next(iter(m.__dataclass_fields__)))
                out.append(f"{op} {v:g}" if isinstance(v, (int, float)) else f"{op} {v}")
    return ", ".join(out)


def _default(f) -> str:
    if f.is_required():
        return "required"
    if f.default_factory is not None:
        return "empty"
    if f.default is None or f.default is PydanticUndefined:
        return "-"
    if f.default == "":
        return '`""`'
    return f"`{f.default}`"


def iter_fields(model: type[BaseModel], prefix: str = "", seen: tuple = ()) -> Iterator[FieldDoc]:
    """Every field of ``model`` and of the models nested in it, depth first."""
    if model in seen:
        return
    for name, f in model.model_fields.items():
        tp = _strip_optional(f.annotation)
        label, numeric = type_label(f.annotation)
        bounds = _bounds(f.metadata)
        desc = (f.description or "").strip()
        units = UNIT_RE.findall(desc)
        unit = units[-1].strip() if units else "-"
        meaning = re.sub(r"\s+([;,]|\.(?!\.))", r"\1", UNIT_RE.sub("", desc)).replace("  ", " ").strip(" ;,")
        path = f"{prefix}{name}"
        yield FieldDoc(path, label + (f" ({bounds})" if bounds else ""), unit, _default(f), meaning, numeric,
                       bool(units))
        is_list = typing.get_origin(tp) in (list, tuple)
        for sub in _models_in(tp):
            yield from iter_fields(sub, f"{path}[]." if is_list else f"{path}.", seen + (model,))


def field_problems(model: type[BaseModel], where: str) -> list[str]:
    """Fields that lack a description, or a numeric field that lacks its [unit]."""
    out = []
    for d in iter_fields(model):
        if not d.meaning:
            out.append(f"{where}: {d.path}: no description")
        if d.numeric and not d.has_unit:
            out.append(f"{where}: {d.path}: a number needs its unit in brackets in the description, e.g. [USD]")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(model: type[BaseModel], prefix: str = "") -> str:
    rows = ["| field | type | unit | default | meaning |", "|---|---|---|---|---|"]
    for d in iter_fields(model, prefix):
        rows.append(f"| `{d.path}` | {d.type} | {_cell(d.unit)} | {d.default} | {_cell(d.meaning)} |")
    return "\n".join(rows)


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the generated block ``name`` replaced by ``body``; ValueError when its markers are missing."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers for the generated block '{name}' not found")
    return text[: i + len(begin)] + "\n" + body.rstrip() + "\n" + text[j:]
