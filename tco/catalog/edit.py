"""Editing catalogs: file <-> table rows, validation per row and field, diff, safe save, CSV, staleness.

Pure (no Streamlit); the Data page and ``python -m tco import litellm --merge`` use it.

Conventions
-----------
* A catalog file is read as it is written (:func:`read_catalog_file`): its leading comment block
  (kept on save) and its list of entries as plain dicts. Only the catalog's main file is edited;
  profiles under ``data/profiles/*.yaml`` stay as they are.
* Rows: one row per entry, one column per schema field in schema order (:func:`columns`). Nested
  fields (a profile's ``points``) are one column holding compact JSON text. An empty cell (None,
  NaN, "") means the field is absent, so defaults stay implicit and ``entries -> rows -> entries``
  gives back the same dicts (numbers compare equal; an int field read as 128000.0 becomes 128000).
* Validation uses the schemas of ``python -m tco validate`` (:data:`tco.catalog.CATALOGS`) plus the
  duplicate-id and cross-catalog checks, and reports ``(row, id, field, message)``.
* Save = timestamped backup of the current file in ``<data>/.backups/`` (at most ``keep`` per
  catalog file, oldest dropped), then an atomic write (temp file + rename), all under the file's
  inter-process lock; a save based on an older version than the file's raises ConflictError
  (:mod:`tco.io.shared_files`).
* Staleness: an entry is stale when its ``as_of`` date (:func:`tco.catalog.parse_as_of`) is more than
  ``max_age_days`` (default 180) before today; an as_of with no date is listed as undated.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from pydantic import BaseModel, ValidationError

from tco.catalog import CATALOGS, TOP_KEYS, Catalog, Entry, cross_check, format_validation_error, parse_as_of
from tco.core.exceptions import CatalogError, Problem
from tco.io.atomic import atomic_write_bytes, atomic_write_text
from tco.io.safeyaml import YamlLoadError, dump_yaml, load_yaml_text
from tco.io.shared_files import check_version, locked, version_of_bytes

DEFAULT_MAX_AGE_DAYS = 180  # [days] entries older than this are stale
DEFAULT_KEEP_BACKUPS = 10  # backups kept per catalog file
BACKUP_DIR = ".backups"
MAX_CSV_BYTES = 10 * 1024 * 1024  # [B]
#: Fields shown last in every table (provenance next to each other).
TAIL = ("kind", "notes", "source", "as_of")


# ----------------------------------------------------------------------------------------------
# schema introspection


def schema_of(name: str) -> type[Entry]:
    if name not in CATALOGS:
        raise KeyError(f"unknown catalog '{name}' (one of {', '.join(CATALOGS)})")
    return CATALOGS[name][1]


def _base_type(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and args:
        return _base_type(args[0])
    return annotation


def field_kinds(name: str) -> dict[str, str]:
    """Field -> ``int | float | bool | str | choice | json`` for every field of a catalog's schema."""
    out = {}
    for fname, info in schema_of(name).model_fields.items():
        t = _base_type(info.annotation)
        origin = typing.get_origin(t)
        if t is bool:
            out[fname] = "bool"
        elif t is int:
            out[fname] = "int"
        elif t is float:
            out[fname] = "float"
        elif origin is typing.Literal:
            out[fname] = "choice"
        elif origin in (list, dict) or (isinstance(t, type) and issubclass(t, BaseModel)):
            out[fname] = "json"
        else:
            out[fname] = "str"
    return out


def choices(name: str, fname: str) -> list[str]:
    """Allowed values of a Literal field (kind, precision)."""
    t = _base_type(schema_of(name).model_fields[fname].annotation)
    return [str(a) for a in typing.get_args(t)]


def columns(name: str) -> list[str]:
    """Table columns of a catalog: id, the schema's own fields, then kind, notes, source, as_of."""
    fields = list(schema_of(name).model_fields)
    return ["id"] + [f for f in fields if f not in TAIL and f != "id"] + [f for f in TAIL if f in fields]


def required_fields(name: str) -> set[str]:
    return {f for f, info in schema_of(name).model_fields.items() if info.is_required()}


# ----------------------------------------------------------------------------------------------
# file <-> entries <-> rows


@dataclass
class CatalogFile:
    """A catalog file as written: leading comment block and raw entries; ``version`` is the content's
    :func:`tco.io.shared_files.version_of` when read (None: no file), which a save names as ``expected``."""

    name: str
    path: Path
    header: str
    entries: list[dict]
    version: Optional[str] = None


def catalog_path(data_dir: str | Path, name: str) -> Path:
    return Path(data_dir) / CATALOGS[name][0]


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
        else:
            break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def parse_catalog_text(name: str, text: str | bytes, shown: str = "") -> tuple[str, list[dict]]:
    """(header comments, raw entries) of a catalog document; CatalogError when it is not one."""
    shown = shown or CATALOGS[name][0]
    top = TOP_KEYS[name]
    try:
        doc = load_yaml_text(text)
    except YamlLoadError as exc:
        raise CatalogError([Problem(shown, None, None, str(exc))]) from None
    if doc is None:
        doc = {top: []}
    if not isinstance(doc, dict) or top not in doc:
        raise CatalogError([Problem(shown, None, None, f"expected a mapping with a top-level '{top}:' list")])
    items = doc[top] or []
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        raise CatalogError([Problem(shown, None, top, "must be a list of entries (mappings)")])
    text_s = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    return _header(text_s), [_plain(e) for e in items]


def _plain(v: Any) -> Any:
    """YAML dates -> ISO text (as the schema reads them); containers copied."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10]
    return v


def read_catalog_file(data_dir: str | Path, name: str) -> CatalogFile:
    path = catalog_path(data_dir, name)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return CatalogFile(name, path, "", [])
    header, entries = parse_catalog_text(name, raw, str(path))
    return CatalogFile(name, path, header, entries, version_of_bytes(raw))


def catalog_text(name: str, entries: list[dict], header: str = "") -> str:
    """YAML text of a catalog file: the header comments, then ``<top key>:`` and the entries."""
    body = dump_yaml({TOP_KEYS[name]: [_ordered(name, e) for e in entries]})
    return (header.rstrip("\n") + "\n" if header else "") + body


def _ordered(name: str, entry: dict) -> dict:
    cols = columns(name)
    return {**{k: entry[k] for k in cols if k in entry}, **{k: v for k, v in entry.items() if k not in cols}}


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    try:  # pandas NA / NaT
        import pandas as pd  # noqa: WPS433 - optional here

        return bool(pd.isna(v)) if not isinstance(v, (list, dict, tuple)) else False
    except (ImportError, TypeError, ValueError):
        return False


def entries_to_rows(name: str, entries: Iterable[dict]) -> list[dict]:
    """One flat row per entry (every column present; nested fields as compact JSON text)."""
    kinds = field_kinds(name)
    cols = columns(name)
    rows = []
    for e in entries:
        row = {}
        for c in cols:
            v = e.get(c)
            if v is not None and kinds.get(c) == "json":
                v = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            row[c] = v
        extra = sorted(set(e) - set(cols))
        for c in extra:  # unknown fields stay visible so validation can name them
            row[c] = e[c]
        rows.append(row)
    return rows


class _Unparsed(str):
    """A cell that could not be read as its column's type; validation reports it."""


def _coerce(kind: str, v: Any) -> Any:
    if kind == "json":
        if isinstance(v, (list, dict)):
            return v
        try:
            return json.loads(str(v))
        except (json.JSONDecodeError, RecursionError):
            return _Unparsed(str(v))
    if kind == "int":
        if isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str):
            try:
                f = float(v.strip().replace(",", ""))
                return int(f) if f.is_integer() else f
            except ValueError:
                return v
        if hasattr(v, "item"):  # numpy scalar
            return _coerce(kind, v.item())
        return v
    if kind == "float":
        if isinstance(v, str):
            t = v.strip().replace(",", "")
            if re.fullmatch(r"[+-]?\d+", t):  # written as an integer: keep it one (exact round trip)
                return int(t)
            try:
                return float(t)
            except ValueError:
                return v
        if hasattr(v, "item"):
            v = v.item()
        return v
    if kind == "bool":
        if isinstance(v, str):
            low = v.strip().lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
        if hasattr(v, "item"):
            v = v.item()
        return v
    if kind in ("str", "choice"):
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return v if isinstance(v, str) else str(v)
    return v


def rows_to_entries(name: str, rows: Iterable[dict]) -> list[dict]:
    """Rows back to raw entries: empty cells dropped, values converted to the field's type."""
    kinds = field_kinds(name)
    out = []
    for row in rows:
        e = {}
        for c, v in row.items():
            if _empty(v):
                continue
            e[c] = _coerce(kinds.get(c, "str"), v)
        out.append(e)
    return out


# ----------------------------------------------------------------------------------------------
# validation


@dataclass(frozen=True)
class RowProblem:
    """One invalid cell (field) or row (field None); ``row`` is the 0-based table row, None for the catalog."""

    row: Optional[int]
    entry: Optional[str]
    field: Optional[str]
    message: str

    def __str__(self) -> str:
        where = [f"row {self.row + 1}" if self.row is not None else "catalog"]
        if self.entry:
            where.append(self.entry)
        if self.field:
            where.append(self.field)
        return ": ".join(where + [self.message])


@dataclass
class Validation:
    entries: list[dict]
    models: list[Optional[Entry]]
    problems: list[RowProblem]
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_entries(name: str, entries: list[dict], others: Optional[Catalog] = None,
                     baseline: Optional[list[dict]] = None, keep_ids: Iterable[str] = ()) -> Validation:
    """Validate raw entries of one catalog with its schema, ids unique, and (with ``others``, the rest of
    the loaded catalog) the cross-catalog references of ``python -m tco validate``.

    ``baseline`` (the entries before editing) adds a warning for changed rows whose figures changed
    while source and as_of did not. ``keep_ids``: ids that live elsewhere (data/profiles/*.yaml) and
    must not be duplicated.
    """
    schema = schema_of(name)
    shown = CATALOGS[name][0]
    problems: list[RowProblem] = []
    models: list[Optional[Entry]] = []
    seen: dict[str, int] = {}
    elsewhere = set(keep_ids)
    for i, e in enumerate(entries):
        label = e.get("id") if isinstance(e.get("id"), str) else None
        bad = [(k, v) for k, v in e.items() if isinstance(v, _Unparsed)]
        for k, v in bad:
            problems.append(RowProblem(i, label, k, f"not valid JSON: {str(v)[:60]!r}"))
        if bad:
            models.append(None)
            continue
        try:
            m = schema.model_validate(e)
        except ValidationError as exc:
            models.append(None)
            for fpath, msg in format_validation_error(exc):
                problems.append(RowProblem(i, label, fpath or None, msg))
            continue
        models.append(m)
        if m.id in seen:
            problems.append(RowProblem(i, m.id, "id", f"duplicate id (also row {seen[m.id] + 1})"))
        elif m.id in elsewhere:
            problems.append(RowProblem(i, m.id, "id", "duplicate id (a profile in data/profiles/ has it)"))
        else:
            seen[m.id] = i
    if others is not None:
        loaded = {n: dict(others.get(n)) for n in CATALOGS}
        loaded[name] = {m.id: m for m in models if m is not None}
        if name == "profiles":
            loaded[name].update({k: v for k, v in others.profiles.items() if k in elsewhere})
        files = {n: CATALOGS[n][0] for n in CATALOGS}
        cross: list[Problem] = []
        rejected = {n: set() for n in CATALOGS}
        rejected[name] = {e.get("id") for e, m in zip(entries, models) if m is None}
        cross_check(loaded, files, cross, rejected)
        row_of = {m.id: i for i, m in enumerate(models) if m is not None}
        for p in cross:
            if p.file == shown and p.entry in row_of:
                problems.append(RowProblem(row_of[p.entry], p.entry, p.field, p.message))
            elif p.file == shown:
                problems.append(RowProblem(None, p.entry, p.field, p.message))
            else:  # an entry elsewhere now points at something this edit removed
                problems.append(RowProblem(None, p.entry, p.field, f"{p.file}: {p.message}"))
    warnings = []
    if baseline is not None:
        old = {e.get("id"): e for e in baseline}
        for i, e in enumerate(entries):
            before = old.get(e.get("id"))
            if before is None or before == e:
                continue
            changed = {k for k in set(before) | set(e) if before.get(k) != e.get(k)}
            if changed - {"source", "as_of", "notes", "kind"} and not changed & {"source", "as_of"}:
                warnings.append(RowProblem(i, e.get("id"), "as_of",
                                           "figures changed but source and as_of did not: update them if the "
                                           "new figures come from a new source or date"))
    return Validation(entries=list(entries), models=models, problems=problems, warnings=warnings)


def validate_rows(name: str, rows: Iterable[dict], others: Optional[Catalog] = None,
                  baseline: Optional[list[dict]] = None, keep_ids: Iterable[str] = ()) -> Validation:
    """:func:`validate_entries` of table rows (see :func:`rows_to_entries`)."""
    return validate_entries(name, rows_to_entries(name, rows), others, baseline, keep_ids)


def catalog_with(catalog: Catalog, name: str, models: list[Entry], keep_ids: Iterable[str] = ()) -> Catalog:
    """A copy of ``catalog`` whose ``name`` catalog is ``models`` (plus, for profiles, the ids in
    ``keep_ids`` kept from data/profiles/*.yaml)."""
    import dataclasses

    new = {m.id: m for m in models}
    if name == "profiles":
        new.update({k: v for k, v in catalog.profiles.items() if k in set(keep_ids)})
    return dataclasses.replace(catalog, **{name: new})


# ----------------------------------------------------------------------------------------------
# diff


@dataclass
class Diff:
    """Rows added / removed (ids) and changed (id -> [(field, old, new)])."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"

    def rows(self) -> list[dict]:
        """One row per added / removed entry and per changed field: change, id, field, old, new."""
        out = [{"change": "added", "id": i, "field": "", "old": "", "new": ""} for i in self.added]
        out += [{"change": "removed", "id": i, "field": "", "old": "", "new": ""} for i in self.removed]
        for i, fields in self.changed.items():
            out += [{"change": "changed", "id": i, "field": f, "old": _show(a), "new": _show(b)} for f, a, b in fields]
        return out

    def text(self) -> str:
        lines = [f"+ {i}" for i in self.added] + [f"- {i}" for i in self.removed]
        for i, fields in self.changed.items():
            lines.append(f"~ {i}")
            lines += [f"    {f}: {_show(a)} -> {_show(b)}" for f, a, b in fields]
        return "\n".join(lines + [self.summary()]) + "\n"


def _show(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def _flatten(prefix: str, v: Any, out: dict) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), x, out)
    elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        for i, x in enumerate(v):
            _flatten(f"{prefix}[{i}]", x, out)
    else:
        out[prefix] = v


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    return a == b


def diff_entries(old: list[dict], new: list[dict]) -> Diff:
    """Field-by-field difference keyed by id (nested fields compared leaf by leaf, e.g. ``points[2].ttft_ms.mean``).
    Entries without an id are keyed by their position."""
    def keyed(entries):
        out = {}
        for i, e in enumerate(entries):
            k = e.get("id") if isinstance(e.get("id"), str) and e.get("id") else f"(row {i + 1})"
            out.setdefault(k, e)
        return out

    a, b = keyed(old), keyed(new)
    d = Diff(added=[k for k in b if k not in a], removed=[k for k in a if k not in b])
    for k in b:
        if k not in a:
            continue
        fa, fb = {}, {}
        _flatten("", a[k], fa)
        _flatten("", b[k], fb)
        keys = list(fa) + [x for x in fb if x not in fa]
        ch = [(f, fa.get(f), fb.get(f)) for f in keys if not _same(fa.get(f), fb.get(f))]
        if ch:
            d.changed[k] = ch
    return d


# ----------------------------------------------------------------------------------------------
# save with backups


@dataclass(frozen=True)
class SaveResult:
    path: Path
    backup: Optional[Path]
    removed_backups: tuple[Path, ...] = ()
    version: Optional[str] = None  # the file's version after the save (what a next save names as expected)


def backup_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / BACKUP_DIR


def list_backups(data_dir: str | Path, name: str) -> list[Path]:
    """Backups of a catalog file, oldest first."""
    stem = Path(CATALOGS[name][0]).stem
    d = backup_dir(data_dir)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob(f"{stem}.*.yaml") if re.fullmatch(rf"{re.escape(stem)}\.\d{{8}}T\d{{6}}\d{{6}}(-\d+)?\.yaml", p.name))


def save_catalog(data_dir: str | Path, name: str, entries: list[dict], *, header: Optional[str] = None,
                 keep: int = DEFAULT_KEEP_BACKUPS, now: Optional[_dt.datetime] = None,
                 validate: bool = True, expected: Optional[str] = None, check: bool = False) -> SaveResult:
    """Write a catalog file of a data directory (see :func:`save_catalog_file`)."""
    return save_catalog_file(catalog_path(data_dir, name), name, entries, header=header, keep=keep, now=now,
                             validate=validate, backups=backup_dir(data_dir), expected=expected, check=check)


def save_catalog_file(path: str | Path, name: str, entries: list[dict] | Callable[[list[dict]], list[dict]], *,
                      header: Optional[str] = None,
                      keep: int = DEFAULT_KEEP_BACKUPS, now: Optional[_dt.datetime] = None, validate: bool = True,
                      backups: Optional[Path] = None, expected: Optional[str] = None,
                      check: bool = False) -> SaveResult:
    """The one read-modify-write of a catalog file: read it, patch only what changed
    (:func:`patch_catalog_text`: comments, key order, folded strings, blank lines and the file mode stay),
    back up the current file, then replace it atomically (temp file + rename).

    ``entries`` may be a function of the file's current entries (read here, e.g. a LiteLLM merge), so
    that the whole read-modify-write happens in this one function. ``header`` is used only for a new
    file. With ``validate`` the entries must pass the schema
    (CatalogError otherwise; nothing is written). At most ``keep`` backups stay per file, in
    ``backups`` (default ``<the file's folder>/.backups``).

    Several writers (app processes, the CLI): the whole read-modify-write runs under the file's
    inter-process lock (:func:`tco.io.shared_files.locked`). With ``check`` the file must still be at
    version ``expected`` (:attr:`CatalogFile.version` when the user loaded it; None: no file then), else
    :class:`tco.io.shared_files.ConflictError` and nothing is written; without it (the CLI's merge, which
    reads the current entries under the lock, or a deliberate overwrite) the save applies to what is there.
    """
    if keep < 1:
        raise ValueError("keep must be >= 1")
    path = Path(path)
    with locked(path):
        return _save_locked(path, name, entries, header=header, keep=keep, now=now, validate=validate,
                            backups=Path(backups) if backups is not None else path.parent / BACKUP_DIR,
                            expected=expected, check=check)


def _save_locked(path: Path, name: str, entries, *, header, keep, now, validate, backups: Path,
                 expected: Optional[str], check: bool) -> SaveResult:
    """The body of :func:`save_catalog_file`, run while holding the file's lock."""
    old = path.read_bytes() if path.exists() else None
    if check:
        check_version(path, version_of_bytes(old) if old is not None else None, expected)
    if callable(entries):
        entries = entries(parse_catalog_text(name, old, path.name)[1] if old is not None else [])
    if validate:
        v = validate_entries(name, entries)
        if not v.ok:
            raise CatalogError([Problem(path.name, p.entry, p.field, p.message) for p in v.problems])
    if old is not None:
        text = patch_catalog_text(name, old.decode("utf-8-sig"), entries, shown=path.name)
        if text.encode("utf-8") == old:
            return SaveResult(path=path, backup=None, version=version_of_bytes(old))
    else:
        text = catalog_text(name, entries, header or "")
    backup = None
    if old is not None:
        stamp = (now or _dt.datetime.now()).strftime("%Y%m%dT%H%M%S%f")
        backup = backups / f"{path.stem}.{stamp}{path.suffix or '.yaml'}"
        n = 1
        while backup.exists():
            backup = backups / f"{path.stem}.{stamp}-{n}{path.suffix or '.yaml'}"
            n += 1
        atomic_write_bytes(backup, old)
    atomic_write_text(path, text)
    removed = []
    existing = sorted(p for p in backups.glob(f"{path.stem}.*{path.suffix or '.yaml'}")
                      if re.fullmatch(rf"{re.escape(path.stem)}\.\d{{8}}T\d{{6}}\d{{6}}(-\d+)?{re.escape(path.suffix or '.yaml')}",
                                      p.name)) if backups.is_dir() else []
    for p in existing[: max(0, len(existing) - keep)]:
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return SaveResult(path=path, backup=backup, removed_backups=tuple(removed),
                      version=version_of_bytes(text.encode("utf-8")))


# ----------------------------------------------------------------------------------------------
# minimal, faithful writes


def _norm_entry(e: Any) -> Any:
    """Plain value for comparison: None-valued keys dropped (absent = null), ints and floats equal."""
    if isinstance(e, dict):
        return {str(k): _norm_entry(v) for k, v in e.items() if v is not None}
    if isinstance(e, list):
        return [_norm_entry(x) for x in e]
    return _plain(e)


def _render_key(key: str, value: Any, col: int) -> list[str]:
    """``key: value`` lines (the project's YAML style) indented to column ``col``."""
    text = dump_yaml({key: value})
    return [" " * col + line + "\n" for line in text.splitlines()]


def _render_entry(name: str, entry: dict, dash_col: int) -> list[str]:
    text = dump_yaml([_ordered(name, entry)])
    return [" " * dash_col + line + "\n" for line in text.splitlines()]


def _is_filler(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def patch_catalog_text(name: str, old_text: str, entries: list[dict], shown: str = "") -> str:
    """The catalog file ``old_text`` changed only where ``entries`` differ from it.

    Unchanged entries keep their text byte for byte; in a changed entry only the lines of the
    changed keys are rewritten (an inline comment on a one-line value is kept); removed entries
    and keys are cut out; new keys go after the key before them in schema order; new entries are
    appended in the file's list style. A one-price edit is a one-line diff. Entry order follows the
    file (new entries last). Files the patcher cannot map are rewritten whole (same content).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    top = TOP_KEYS[name]
    lines = old_text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    try:
        doc = YAML(typ="rt").load(old_text)
    except YAMLError:
        doc = None
    seq = doc.get(top) if hasattr(doc, "get") else None
    if not seq or not hasattr(seq, "lc") or not all(hasattr(it, "lc") for it in seq):
        return catalog_text(name, entries, _header(old_text))
    keys = list(doc.keys())
    after = keys[keys.index(top) + 1] if keys.index(top) + 1 < len(keys) else None
    list_end = doc.lc.key(after)[0] if after is not None else len(lines)
    starts = [seq.lc.item(i)[0] for i in range(len(seq))]
    spans = [(starts[i], starts[i + 1] if i + 1 < len(seq) else list_end) for i in range(len(seq))]
    new_by_id = {e.get("id"): e for e in entries}
    old_ids = [it.get("id") for it in seq]
    out: list[str] = lines[: starts[0]]
    for item, (a, b), oid in zip(seq, spans, old_ids):
        new = new_by_id.get(oid)
        if new is None:  # removed: keep the trailing blank/comment lines that separate entries
            tail = b
            while tail > a and _is_filler(lines[tail - 1]) and lines[tail - 1].strip() == "":
                tail -= 1
            out += lines[tail:b] if out and out[-1].strip() else []
            continue
        old_plain = _norm_entry(dict(item))
        new_plain = _norm_entry(new)
        if old_plain == new_plain:
            out += lines[a:b]
            continue
        out += _patch_entry(name, item, lines, a, b, old_plain, new_plain)
    added = [e for e in entries if e.get("id") not in set(old_ids)]
    if added:
        dash_col = len(lines[starts[0]]) - len(lines[starts[0]].lstrip(" "))
        blank_sep = starts[0] > 0 and len(seq) > 1 and lines[starts[1] - 1].strip() == ""
        block: list[str] = []
        for e in added:
            if blank_sep:
                block.append("\n")
            block += _render_entry(name, {k: v for k, v in e.items() if v is not None}, dash_col)
        # insert after the last entry's content, before trailing blank lines/comments of the list
        end = len(out)
        while end > 0 and _is_filler(out[end - 1]):
            end -= 1
        out = out[:end] + block + out[end:]
    out += lines[list_end:]
    return "".join(out)


def _patch_entry(name: str, item: Any, lines: list[str], a: int, b: int, old: dict, new: dict) -> list[str]:
    keys = [str(k) for k in item.keys()]
    raw = {str(k): k for k in item.keys()}
    kstart = {k: item.lc.key(raw[k])[0] for k in keys}
    kcol = {k: item.lc.key(raw[k])[1] for k in keys}
    content_end = b  # the item's trailing blank lines / comments stay where they are
    while content_end > a and _is_filler(lines[content_end - 1]):
        content_end -= 1
    kspan = {k: (kstart[k], kstart[keys[i + 1]] if i + 1 < len(keys) else content_end) for i, k in enumerate(keys)}
    col = kcol[keys[0]]
    order = columns(name)
    rank = {c: i for i, c in enumerate(order)}
    # new keys go after the last kept key that comes before them in schema order (else after the first key)
    after: dict[str, list[str]] = {}
    kept = [k for k in keys if k in new]
    for p in (k for k in new if k not in old):
        prev = [k for k in kept if rank.get(k, len(order)) <= rank.get(p, len(order))]
        after.setdefault(prev[-1] if prev else kept[0], []).append(p)
    out: list[str] = list(lines[a: kstart[keys[0]]])
    for k in keys:
        s, e = kspan[k]
        seg = lines[s:e]
        if k not in new:  # removed key (never the first: that is the id)
            continue
        if k in old and old[k] == new[k]:
            out += seg
        else:
            body_end = len(seg)
            while body_end > 1 and _is_filler(seg[body_end - 1]):
                body_end -= 1
            rendered = _render_key(k, new[k], kcol[k])
            if k == keys[0]:
                rendered[0] = seg[0][: kcol[k]] + rendered[0][kcol[k]:]  # keep the "- " of the item
            comment = _inline_comment(item, raw[k])
            if comment and body_end == 1 and len(rendered) == 1:
                rendered[0] = rendered[0].rstrip("\n") + "  " + comment + "\n"
            out += rendered + seg[body_end:]
        for p in after.get(k, ()):
            out += _render_key(p, new[p], col)
    out += lines[content_end:b]
    return out


def _inline_comment(item: Any, key: Any) -> Optional[str]:
    tok = getattr(item, "ca", None)
    tok = tok.items.get(key) if tok is not None else None
    if not tok or len(tok) < 3 or tok[2] is None:
        return None
    text = tok[2].value.split("\n")[0].strip()
    return text if text.startswith("#") else None


def to_csv(name: str, entries: list[dict]) -> str:
    """CSV of a catalog: a header of :func:`columns`, one line per entry, nested fields as JSON text.

    Numbers are written with ``repr`` (shortest exact form) so reading back gives the same floats.
    """
    rows = entries_to_rows(name, entries)
    cols = columns(name)
    extra = sorted({c for r in rows for c in r} - set(cols))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols + extra)
    for r in rows:
        w.writerow([_csv_cell(r.get(c)) for c in cols + extra])
    return buf.getvalue()


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    text = str(v)
    # A spreadsheet would run text starting with = + - @ tab CR as a formula: prefix ' (and a text that
    # already starts with ' gets one more), so from_csv can strip exactly one ' and round-trip exactly.
    if text.startswith(_FORMULA_START + ("'",)):
        return "'" + text
    return text


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def from_csv(name: str, text: str | bytes) -> list[dict]:
    """Entries from :func:`to_csv` text (columns in any order; empty cell = absent field).

    Text cells are kept as written; number, bool and JSON cells are converted by the field's type
    (a cell that does not convert is left as text for validation to report).
    """
    if isinstance(text, bytes):
        if len(text) > MAX_CSV_BYTES:
            raise CatalogError([Problem(f"{name}.csv", None, None, f"file is {len(text):,} bytes; the limit is {MAX_CSV_BYTES:,}")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CatalogError([Problem(f"{name}.csv", None, None, "not UTF-8 text: expected a CSV file")]) from None
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise CatalogError([Problem(f"{name}.csv", None, None, "expected a header line with an 'id' column")])
    rows = [{k: (v[1:] if isinstance(v, str) and v.startswith("'") else v) for k, v in r.items()} for r in reader]
    return rows_to_entries(name, rows)


# ----------------------------------------------------------------------------------------------
# staleness and sources


@dataclass(frozen=True)
class StaleEntry:
    catalog: str
    id: str
    as_of: str
    age_days: Optional[int]  # None: no date in as_of
    source: str


def stale_entries(catalog: Catalog, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
                  today: Optional[_dt.date] = None, names: Iterable[str] = tuple(CATALOGS)) -> list[StaleEntry]:
    """Entries whose as_of is more than ``max_age_days`` [days] before ``today`` (or has no date), oldest first."""
    today = today or _dt.date.today()
    out = []
    for n in names:
        for e in catalog.get(n).values():
            d = parse_as_of(e.as_of)
            age = (today - d).days if d else None
            if age is None or age > max_age_days:
                out.append(StaleEntry(n, e.id, e.as_of, age, e.source))
    return sorted(out, key=lambda s: (-(s.age_days if s.age_days is not None else 10**9), s.catalog, s.id))


def is_stale(as_of: str, max_age_days: int = DEFAULT_MAX_AGE_DAYS, today: Optional[_dt.date] = None) -> bool:
    d = parse_as_of(as_of)
    return d is None or ((today or _dt.date.today()) - d).days > max_age_days


def result_sources(result: Any, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
                   today: Optional[_dt.date] = None) -> list[dict]:
    """Every source behind a Result: one row per distinct (source, as_of) from ``result.assumptions``,
    with the inputs it feeds (``option: name``), the catalog entries (ref), origin and a stale flag."""
    groups: dict[tuple[str, str], dict] = {}
    for a in result.assumptions:
        src = a.source or ("scenario input" if a.origin == "scenario" else "")
        key = (src, a.as_of or "")
        g = groups.setdefault(key, {"source": src, "as_of": a.as_of or "", "origin": set(), "inputs": [], "refs": set()})
        g["origin"].add(a.origin)
        g["inputs"].append(f"{a.option}: {a.name}" if a.option else a.name)
        if a.ref:
            g["refs"].add(a.ref)
    out = []
    for g in groups.values():
        dated = bool(g["as_of"])
        out.append({"source": g["source"], "as_of": g["as_of"], "origin": ", ".join(sorted(g["origin"])),
                    "entries": ", ".join(sorted(g["refs"])), "inputs": ", ".join(dict.fromkeys(g["inputs"])),
                    "stale": is_stale(g["as_of"], max_age_days, today) if dated else False})
    return sorted(out, key=lambda r: (r["origin"], r["source"]))


__all__ = [
    "CatalogFile", "read_catalog_file", "parse_catalog_text", "catalog_text", "columns", "field_kinds", "choices",
    "entries_to_rows", "rows_to_entries", "validate_entries", "validate_rows", "Validation", "RowProblem",
    "catalog_with", "Diff", "diff_entries", "save_catalog", "SaveResult", "list_backups", "to_csv", "from_csv",
    "stale_entries", "is_stale", "result_sources", "StaleEntry", "DEFAULT_MAX_AGE_DAYS", "DEFAULT_KEEP_BACKUPS",
]
