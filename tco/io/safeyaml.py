"""Bounded, safe YAML reading for every file a user can hand us.

``yaml.safe_load`` semantics plus: a size limit, UTF-8 only (a BOM is accepted and dropped),
no aliases (which blocks "billion laughs" expansion bombs), a nesting-depth limit, and no
duplicate keys in a mapping (PyYAML would silently keep the last one).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_YAML_BYTES = 5 * 1024 * 1024  # [B] largest YAML document we parse
MAX_DEPTH = 50  # deepest nesting of mappings/sequences accepted


class YamlLoadError(ValueError):
    """The text is not a YAML document we accept; the message says why."""


class _UniqueKeys:
    """Mixin: a mapping that repeats a key is an error, not a silent overwrite (``months:`` twice)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: dict = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise YamlLoadError(f"duplicate key '{key_node.value[:80]}' (lines {seen[key_node.value]} and {line})")
                seen[key_node.value] = line
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _FastLoader(_UniqueKeys, yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader):
    pass


class _BoundedLoader(_UniqueKeys, yaml.SafeLoader):
    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlLoadError(f"YAML aliases (*{event.anchor}) are not allowed (line {event.start_mark.line + 1})")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLoadError(f"document is nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FAST = getattr(yaml, "__with_libyaml__", False)


def _check_events(data: str) -> None:
    """Reject aliases and over-deep nesting by scanning libyaml's event stream (fast, C parser)."""
    depth = 0
    for ev in yaml.parse(data, Loader=yaml.CSafeLoader):
        if isinstance(ev, yaml.AliasEvent):
            raise YamlLoadError(f"YAML aliases (*{ev.anchor}) are not allowed (line {ev.start_mark.line + 1})")
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlLoadError(f"document is nested deeper than {MAX_DEPTH} levels (line {ev.start_mark.line + 1})")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_yaml_text(data: str | bytes, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse one YAML document from text or bytes, bounded in size, depth and aliases."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise YamlLoadError(f"file is {len(data):,} bytes; the limit is {max_bytes:,}")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlLoadError(f"not UTF-8 text (byte {exc.start}): expected a YAML text file") from None
    else:
        if len(data) > max_bytes:
            raise YamlLoadError(f"text is {len(data):,} characters; the limit is {max_bytes:,}")
        data = data.lstrip("\ufeff")
    if "\x00" in data:
        raise YamlLoadError("contains NUL bytes: expected a YAML text file, got binary data")
    try:
        if _FAST:
            _check_events(data)
            return yaml.load(data, Loader=_FastLoader)  # noqa: S506 - libyaml's safe loader
        return yaml.load(data, Loader=_BoundedLoader)  # noqa: S506 - SafeLoader subclass
    except YamlLoadError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise YamlLoadError(f"YAML syntax error: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlLoadError("document is nested too deeply") from None


def load_yaml_file(path: str | Path, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Read and parse a YAML file with the limits of :func:`load_yaml_text`."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise YamlLoadError(f"cannot read file: {exc.strerror}") from None
    if size > max_bytes:
        raise YamlLoadError(f"file is {size:,} bytes; the limit is {max_bytes:,}")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise YamlLoadError(f"cannot read file: {exc.strerror}") from None
    return load_yaml_text(raw, max_bytes)


def dump_yaml(obj: Any) -> str:
    """YAML text for data we wrote ourselves (block style, keys in insertion order)."""
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
