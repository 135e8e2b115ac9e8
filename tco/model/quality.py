"""Model quality next to cost: the quality catalog, linking options to it, and the quality floor.

``data/quality.yaml`` holds one entry per (model, benchmark, setting) score, copied from the
reference with its source, as-of and setting (docs/quality.md explains every field and why settings
are never mixed). This module loads and validates it, links every catalog model and API offer to its
scores, and decides which options meet a quality floor.

Conventions
-----------
* **The tier** is the LMArena text Elo from one snapshot (``ELO_BENCHMARK``): the only figure
  measured the same way for open and hosted models. Every Elo entry must come from the same
  ``group`` (one snapshot); validation fails otherwise, because Elo values drift between snapshots.
* **Other benchmarks** are comparable only within one ``(benchmark, group)``: same source, harness
  and setting. :func:`comparable_table` never puts two groups in one column.
* **No figure** is ``None`` everywhere, shown as :data:`NO_FIGURE`; it is never zero and never
  dropped: the floor filter reports such items in a separate ``unknown`` list.
* **Linking** (:func:`subject_for`): a self-host option -> its model id; an API offer that serves a
  catalog model (``serves_model``: hosted Llama, Mistral...) -> that model's scores; any other API
  offer -> an ``aliases:`` entry of quality.yaml if one names it, else its own id.
* A missing ``quality.yaml`` is not an error (every option then has no comparable figure); a present
  one is validated like any catalog, problems as ``file: entry: field: message``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tco.catalog import DEFAULT_DATA_DIR, ID_RE, Catalog, Entry, format_validation_error
from tco.core.exceptions import CatalogError, Problem, ScenarioError
from tco.io.safeyaml import YamlLoadError, load_yaml_file
from tco.model import routing

#: File name of the quality catalog inside the data directory.
QUALITY_FILE = "quality.yaml"
#: The cross-vendor tier's benchmark id.
ELO_BENCHMARK = "lmarena_text_elo"
#: What is shown where an option has no figure (never a zero).
NO_FIGURE = "no comparable figure"

Unit = Literal["elo", "percent", "normalized_percent"]
Variant = Literal["instruct", "base"]
FloorStatus = Literal["meets", "below", "unknown", "no floor"]

#: Plausible score ranges per unit (a typo such as 12640 or 864 must not pass).
_RANGES = {"elo": (500.0, 2500.0), "percent": (0.0, 100.0), "normalized_percent": (0.0, 100.0)}


class QualityEntry(Entry):
    """One benchmark score of one model (variant), with its setting, source and as-of."""

    subject: Optional[str] = Field(
        None, pattern=ID_RE,
        description="Catalog model id, or API offer id for closed models; null = no catalog model or offer serves this version.")
    label: str = Field(min_length=1, description="The source's model label, verbatim (variant, snapshot).")
    variant: Variant = Field("instruct", description="instruct (what is served) | base (pretrained only).")
    benchmark: str = Field(pattern=r"^[a-z0-9_]+$", description="Benchmark id: lmarena_text_elo, mmlu, mmlu_pro, gpqa_diamond, ...")
    group: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._/+-]*$",
                       description="Comparability group: same source, harness and setting. Compare only within benchmark + group.")
    setting: str = Field(min_length=1, description="How the score was measured (shots, CoT, harness), verbatim.")
    score: float = Field(description="The score, in `unit`.")
    unit: Unit = Field(description="elo [Elo points] | percent [%] | normalized_percent [% above random guess].")

    @model_validator(mode="after")
    def _check(self) -> "QualityEntry":
        lo, hi = _RANGES[self.unit]
        if not lo <= self.score <= hi:
            raise ValueError(f"score must be within [{lo:g}, {hi:g}] for unit {self.unit}, got {self.score:g}")
        if (self.benchmark == ELO_BENCHMARK) != (self.unit == "elo"):
            raise ValueError(f"unit elo is for benchmark {ELO_BENCHMARK} only (got benchmark {self.benchmark}, unit {self.unit})")
        return self


class AliasEntry(BaseModel):
    """An API offer that serves the same model as another subject under another name."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=ID_RE, description="API offer id (data/api_offers.yaml).")
    same_as: str = Field(pattern=ID_RE, description="Subject whose scores the offer shares.")
    notes: str = Field(min_length=1, description="Why the two are the same model.")


@dataclass(frozen=True)
class Quality:
    """The quality catalog: entries by id, aliases by offer id. Read-only."""

    entries: dict[str, QualityEntry] = field(default_factory=dict)
    aliases: dict[str, AliasEntry] = field(default_factory=dict)
    file: str = "data/quality.yaml"

    def for_subject(self, subject: Optional[str]) -> list[QualityEntry]:
        """Every entry of a subject (catalog order); [] for None or an unknown subject."""
        if subject is None:
            return []
        return [e for e in self.entries.values() if e.subject == subject]

    def elo(self, subject: Optional[str]) -> Optional[QualityEntry]:
        """The subject's LMArena text Elo entry, or None (no comparable figure)."""
        for e in self.for_subject(subject):
            if e.benchmark == ELO_BENCHMARK:
                return e
        return None

    def unmapped(self) -> list[QualityEntry]:
        """Entries no catalog model or offer serves (kept for provenance)."""
        return [e for e in self.entries.values() if e.subject is None]

    def elo_snapshot(self) -> str:
        """'~2025-07-22..2025-08-05' style label of the Elo snapshot ('' when there is none)."""
        for e in self.entries.values():
            if e.benchmark == ELO_BENCHMARK:
                return e.as_of.split(" (")[0].strip()
        return ""

    def elo_source(self) -> str:
        """Source of the Elo snapshot ('' when there is none)."""
        for e in self.entries.values():
            if e.benchmark == ELO_BENCHMARK:
                return e.source
        return ""

    def elo_label(self) -> str:
        """Axis / column label of the tier, with its snapshot date."""
        snap = self.elo_snapshot()
        return f"LMArena text Elo (snapshot {snap})" if snap else "LMArena text Elo"


# ----------------------------------------------------------------------------------------------
# loading and validation


def _display(path: Path, data_dir: Path) -> str:
    try:
        return str(Path(data_dir.name) / path.relative_to(data_dir))
    except ValueError:
        return str(path)


def _parse(path: Path, shown: str, problems: list[Problem]) -> Quality:
    try:
        doc = load_yaml_file(path)
    except YamlLoadError as exc:
        problems.append(Problem(shown, None, None, str(exc)))
        return Quality(file=shown)
    if not isinstance(doc, dict) or "quality" not in doc:
        problems.append(Problem(shown, None, None, "expected a mapping with a top-level 'quality:' list"))
        return Quality(file=shown)
    extra = sorted(set(doc) - {"quality", "aliases"})
    if extra:
        problems.append(Problem(shown, None, None, f"unknown top-level key(s) {extra}; expected 'quality' and 'aliases'"))
    entries: dict[str, QualityEntry] = {}
    aliases: dict[str, AliasEntry] = {}
    for key, schema, out in (("quality", QualityEntry, entries), ("aliases", AliasEntry, aliases)):
        items = doc.get(key) or []
        if not isinstance(items, list):
            problems.append(Problem(shown, None, key, "must be a list of entries"))
            continue
        for i, raw in enumerate(items):
            label = raw["id"] if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"{key} entry {i + 1}"
            if not isinstance(raw, dict):
                problems.append(Problem(shown, label, None, "must be a mapping of fields"))
                continue
            try:
                e = schema.model_validate(raw)
            except Exception as exc:  # pydantic ValidationError
                if not hasattr(exc, "errors"):
                    raise
                for fpath, msg in format_validation_error(exc):
                    problems.append(Problem(shown, label, fpath or None, msg))
                continue
            if e.id in out:
                problems.append(Problem(shown, e.id, "id", "duplicate id"))
                continue
            out[e.id] = e
    return Quality(entries=entries, aliases=aliases, file=shown)


def cross_check(q: Quality, catalog: Catalog, problems: list[Problem]) -> None:
    subjects = set(catalog.models) | set(catalog.apis)
    seen: dict[tuple, str] = {}
    elo_groups: set[str] = set()
    for e in q.entries.values():
        if e.subject is not None and e.subject not in subjects:
            problems.append(Problem(q.file, e.id, "subject", f"unknown model or API offer id '{e.subject}'"))
        if e.subject is not None:
            key = (e.subject, e.benchmark, e.group)
            if key in seen:
                problems.append(Problem(q.file, e.id, "group",
                                        f"second {e.benchmark} score for '{e.subject}' in group {e.group} "
                                        f"(first: {seen[key]}); one score per subject and group"))
            else:
                seen[key] = e.id
        if e.benchmark == ELO_BENCHMARK:
            elo_groups.add(e.group)
            if e.variant != "instruct":
                problems.append(Problem(q.file, e.id, "variant", "the Elo tier must be the served (instruct) variant"))
    if len(elo_groups) > 1:
        problems.append(Problem(q.file, None, "group",
                                f"{ELO_BENCHMARK} entries come from {len(elo_groups)} groups {sorted(elo_groups)}; "
                                "the tier must be one snapshot (Elo drifts between snapshots)"))
    for a in q.aliases.values():
        if a.id not in catalog.apis:
            problems.append(Problem(q.file, a.id, "id", f"unknown API offer id '{a.id}'"))
        elif catalog.apis[a.id].serves_model:
            problems.append(Problem(q.file, a.id, "id",
                                    f"offer serves catalog model '{catalog.apis[a.id].serves_model}' (linked through it); remove the alias"))
        if a.same_as not in subjects:
            problems.append(Problem(q.file, a.id, "same_as", f"unknown model or API offer id '{a.same_as}'"))
        elif not q.for_subject(a.same_as):
            problems.append(Problem(q.file, a.id, "same_as", f"'{a.same_as}' has no quality entries"))


def _load(catalog: Catalog, data_dir: str | Path | None) -> tuple[Quality, list[Problem]]:
    directory = Path(data_dir) if data_dir is not None else Path(catalog.data_dir) if catalog.data_dir else None
    if directory is None:
        directory = DEFAULT_DATA_DIR
    path = directory / QUALITY_FILE
    shown = _display(path, directory)
    if not path.exists():
        return Quality(file=shown), []
    problems: list[Problem] = []
    q = _parse(path, shown, problems)
    cross_check(q, catalog, problems)
    return q, problems


def validate_quality(catalog: Catalog, data_dir: str | Path | None = None) -> list[Problem]:
    """Every problem of ``<data_dir>/quality.yaml`` (default: the catalog's directory); [] when valid or absent."""
    return _load(catalog, data_dir)[1]


def load_quality(catalog: Catalog, data_dir: str | Path | None = None) -> Quality:
    """The validated quality catalog of the catalog's data directory; raises CatalogError listing every problem."""
    q, problems = _load(catalog, data_dir)
    if problems:
        raise CatalogError(problems)
    return q


# ----------------------------------------------------------------------------------------------
# linking options to their scores


@dataclass(frozen=True)
class OptionQuality:
    """An option (or optimizer candidate) with its quality tier.

    ``elo`` is None when there is no comparable figure (shown as :data:`NO_FIGURE`, never 0).
    ``via`` says how the option was linked: "model" (self-host), "served model" (API serving a
    catalog model), "offer" (closed API, own id), "alias" (closed API, aliases: entry), "" (none).
    """

    name: str
    kind: str  # "api" | "self_host" | "route"
    ref_id: str  # API offer id, model id, "inline", or "route"
    subject: Optional[str]
    via: str
    elo: Optional[float]  # [Elo points]
    elo_entry: Optional[QualityEntry] = None
    cost: dict[str, float] = field(default_factory=dict)  # e.g. usd_per_million_tokens, total_cash_usd

    @property
    def tier_text(self) -> str:
        """'1264 (95% CI +3/-3)' or 'no comparable figure'."""
        if self.elo is None:
            return NO_FIGURE
        if self.via == ROUTE_VIA:
            return f"{self.elo:.0f} (approximation: weighted mean of the route's parts)"
        ci = _ci_text(self.elo_entry.setting) if self.elo_entry is not None else ""
        return f"{self.elo:.0f}{f' ({ci})' if ci else ''}"


def _ci_text(setting: str) -> str:
    for part in setting.split(";"):
        part = part.strip()
        if part.startswith("95% CI"):
            return part
    return ""


def subject_for(kind: str, ref_id: Optional[str], catalog: Catalog, quality: Quality) -> tuple[Optional[str], str]:
    """(subject id, how it was linked) for an option's kind and catalog id; (None, "") when unlinkable.

    self_host -> the model id; api -> serves_model, else an alias, else the offer's own id when it has
    scores. Inline-priced APIs (ref_id "inline" or empty) have no subject.
    """
    if not ref_id or ref_id == "inline":
        return None, ""
    if kind == "self_host":
        return (ref_id, "model") if ref_id in catalog.models else (None, "")
    offer = catalog.apis.get(ref_id)
    if offer is None:
        return None, ""
    if offer.serves_model:
        return offer.serves_model, "served model"
    if ref_id in quality.aliases:
        return quality.aliases[ref_id].same_as, "alias"
    return ref_id, "offer"


def _kind_and_ref(item: Any) -> tuple[str, str, str]:
    """(name, kind, ref_id) of an OptionResult, a scenario Option, a candidate object or a mapping."""
    if isinstance(item, Mapping):
        get = item.get
    else:
        def get(key, default=None):
            return getattr(item, key, default)
    name = str(get("name", "") or "")
    kind, ref = get("kind"), get("ref_id")
    if ref is None:
        sh = get("self_host")
        if sh is not None:  # scenario Option
            kind, ref = "self_host", (sh.get("model") if isinstance(sh, Mapping) else sh.model)
        elif get("api") is not None:
            kind, ref = "api", get("api")
        elif get("model") is not None:  # optimizer candidate: {model, gpu, ...} or {kind: api, api: ...}
            kind = kind or "self_host"
            ref = get("model")
        else:
            kind, ref = kind or "api", "inline"
    if kind not in ("api", "self_host"):
        kind = "api" if isinstance(ref, str) and "/" in ref else "self_host"
    return name, str(kind), str(ref or "")


def option_quality(item: Any, catalog: Catalog, quality: Quality) -> OptionQuality:
    """The quality tier of one option: an engine OptionResult, a scenario Option, an optimizer
    candidate (object or mapping with ``kind`` + ``ref_id``, or ``model`` / ``api``).

    Cost fields found on the item (usd_per_million_tokens, total_cash_usd, total_accrual_usd,
    npv_usd) are copied into ``cost`` for tables and charts.
    """
    cost = {}
    for key in ("usd_per_million_tokens", "total_cash_usd", "total_accrual_usd", "npv_usd"):
        v = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
        if isinstance(v, (int, float)):
            cost[key] = float(v)
    if not isinstance(item, Mapping) and getattr(item, "kind", None) == "route" and getattr(item, "parts", None):
        return route_quality(item, catalog, quality, cost)
    name, kind, ref = _kind_and_ref(item)
    subject, via = subject_for(kind, ref, catalog, quality)
    entry = quality.elo(subject)
    return OptionQuality(name=name, kind=kind, ref_id=ref, subject=subject, via=via,
                         elo=entry.score if entry is not None else None, elo_entry=entry, cost=cost)


ROUTE_VIA = "route (approximation)"


def route_quality(item: Any, catalog: Catalog, quality: Quality, cost: Optional[dict] = None) -> OptionQuality:
    """Quality of an evaluated route option (engine OptionResult with ``parts`` and ``quality_weights``):
    the weighted mean of its members' Elo (tco.model.routing.route_elo), an approximation (``via`` says so;
    docs/methodology.md section 15). Unknown when a member with weight > 0 has no comparable figure."""
    by_name = {pr.name: option_quality(pr.result, catalog, quality) for pr in item.parts}
    names = [n for n, _ in item.quality_weights]
    weights = [w for _, w in item.quality_weights]
    elos = [by_name[n].elo if n in by_name else None for n in names]
    return OptionQuality(name=item.name, kind="route", ref_id="route", subject=None, via=ROUTE_VIA,
                         elo=routing.route_elo(elos, weights), elo_entry=None, cost=dict(cost or {}))


def result_quality(result: Any, catalog: Catalog, quality: Quality) -> list[OptionQuality]:
    """option_quality of every evaluated option of an engine Result, in result order."""
    return [option_quality(o, catalog, quality) for o in result.options]


# ----------------------------------------------------------------------------------------------
# the floor


@dataclass(frozen=True)
class FloorSpec:
    """A resolved floor: keep options whose Elo >= ``elo`` [Elo points]. ``label`` explains it."""

    elo: float
    label: str
    reference: Optional[str] = None  # API offer id when the floor is "at least as good as"


def resolve_floor(floor: Any, catalog: Catalog, quality: Quality, file: str = "scenario") -> Optional[FloorSpec]:
    """A scenario ``quality_floor`` (model or mapping), a number [Elo], or None -> FloorSpec or None.

    ``at_least_as_good_as: <API offer id>`` resolves to that offer's Elo; an unknown id or an offer
    without an Elo raises ScenarioError (``file: quality_floor.at_least_as_good_as: message``).
    """
    if floor is None:
        return None
    if isinstance(floor, FloorSpec):
        return floor
    if isinstance(floor, (int, float)) and not isinstance(floor, bool):
        return FloorSpec(float(floor), f"Elo >= {float(floor):.0f}")
    get = floor.get if isinstance(floor, Mapping) else (lambda k, d=None: getattr(floor, k, d))
    bench = get("benchmark", ELO_BENCHMARK) or ELO_BENCHMARK
    if bench != ELO_BENCHMARK:
        raise ScenarioError([Problem(file, "quality_floor.benchmark", None,
                                     f"only {ELO_BENCHMARK} can be a floor (the one cross-vendor figure), got {bench!r}")])
    at_least, ref = get("at_least"), get("at_least_as_good_as")
    if (at_least is None) == (ref is None):
        raise ScenarioError([Problem(file, "quality_floor", None, "needs exactly one of at_least or at_least_as_good_as")])
    if at_least is not None:
        return FloorSpec(float(at_least), f"Elo >= {float(at_least):.0f}")
    path = "quality_floor.at_least_as_good_as"
    if ref in catalog.apis:
        kind = "api"
    elif ref in catalog.models:
        kind = "self_host"
    else:
        raise ScenarioError([Problem(file, path, None, f"unknown API offer or model id '{ref}'")])
    subject, _ = subject_for(kind, ref, catalog, quality)
    entry = quality.elo(subject)
    if entry is None:
        raise ScenarioError([Problem(file, path, None,
                                     f"'{ref}' has {NO_FIGURE} ({ELO_BENCHMARK}); pick a reference with an Elo "
                                     "or give at_least")])
    return FloorSpec(entry.score, f"at least as good as {ref} (Elo {entry.score:.0f})", reference=ref)


def floor_status(elo: Optional[float], floor_elo: Optional[float]) -> FloorStatus:
    """'no floor' when there is no floor; 'unknown' when the option has no figure; else meets / below.

    meets <=> elo >= floor_elo [Elo points]. Differences within the Elo CI (about +-3 to +-7) are not
    significant; the floor is applied to the point estimate as published.
    """
    if floor_elo is None:
        return "no floor"
    if elo is None:
        return "unknown"
    return "meets" if elo >= floor_elo else "below"


@dataclass(frozen=True)
class FloorResult:
    """Items split by a floor. Unpacks as ``kept, excluded_count, unknown``.

    ``kept`` meet the floor (all items with a figure when there is no floor, plus, with no floor,
    the unknown ones too); ``below`` are excluded; ``unknown`` have no comparable figure and are
    reported separately: neither ranked as meeting the floor nor treated as a zero.
    """

    kept: list
    below: list
    unknown: list
    floor: Optional[FloorSpec] = None

    @property
    def excluded_count(self) -> int:
        return len(self.below)

    def __iter__(self) -> Iterator:
        return iter((self.kept, self.excluded_count, self.unknown))

    def summary(self) -> str:
        """One sentence for a page or the CLI."""
        if self.floor is None:
            return "No quality floor."
        parts = [f"Quality floor {self.floor.label}: {len(self.kept)} kept, {self.excluded_count} below the floor excluded"]
        if self.unknown:
            parts.append(f"{len(self.unknown)} with {NO_FIGURE} listed separately")
        return ", ".join(parts) + "."


def apply_floor(items: Iterable[Any], floor: Any, catalog: Catalog, quality: Quality,
                file: str = "scenario") -> FloorResult:
    """Split items (OptionResults, scenario Options, candidates, OptionQuality) by a floor.

    ``floor`` is a scenario QualityFloor, a mapping, a number [Elo], a FloorSpec or None. Items keep
    their identity and order. With no floor every item is kept; items without a figure are still
    listed in ``unknown`` so the caller can say so.
    """
    spec = resolve_floor(floor, catalog, quality, file)
    kept, below, unknown = [], [], []
    for item in items:
        oq = item if isinstance(item, OptionQuality) else option_quality(item, catalog, quality)
        status = floor_status(oq.elo, spec.elo if spec else None)
        if oq.elo is None:
            unknown.append(item)
            if spec is None:
                kept.append(item)
        elif status == "below":
            below.append(item)
        else:
            kept.append(item)
    return FloorResult(kept, below, unknown, spec)


# ----------------------------------------------------------------------------------------------
# frontier and the per-group table


def pareto_frontier(points: Sequence[tuple[str, Optional[float], float]]) -> list[str]:
    """Names on the cost-quality frontier: the cheapest option at each quality level.

    ``points`` are (name, elo [Elo points] or None, cost [USD or USD/1M tokens]). A point is on the
    frontier when no other point has elo >= its elo and cost <= its cost with at least one strict;
    points without an elo are never on it. Returned in increasing elo (and cost). Of exact
    duplicates (same elo and cost) the first given is kept.
    """
    pts = [(i, n, e, c) for i, (n, e, c) in enumerate(points) if e is not None and c is not None and c == c]
    pts.sort(key=lambda p: (p[3], -p[2], p[0]))  # cheapest first; at equal cost the best first
    out, best = [], float("-inf")
    for _, name, elo, _cost in pts:
        if elo > best:
            out.append(name)
            best = elo
    return out


def cheapest_meeting(points: Sequence[tuple[str, Optional[float], float]], floor_elo: float) -> Optional[str]:
    """Name of the cheapest point with elo >= floor_elo [Elo points]; None when nothing meets it."""
    ok = [(c, i, n) for i, (n, e, c) in enumerate(points) if e is not None and e >= floor_elo]
    return min(ok)[2] if ok else None


def comparable_table(subjects: Sequence[str], quality: Quality, include_elo: bool = False) -> list[dict]:
    """Scores of ``subjects`` per (benchmark, group): one row per group, one column per subject.

    Rows: ``{"benchmark", "group", "setting", "source", "as_of", "<subject>": score or None, ...}``;
    only groups in which at least one subject has a score. Groups are never merged, so a column is
    read within one row only. Sorted by benchmark, then by how many subjects the group covers.
    """
    rows: dict[tuple[str, str], dict] = {}
    for e in quality.entries.values():
        if e.subject not in subjects or (e.benchmark == ELO_BENCHMARK and not include_elo):
            continue
        key = (e.benchmark, e.group)
        row = rows.setdefault(key, {"benchmark": e.benchmark, "group": e.group, "setting": e.setting,
                                    "source": e.source, "as_of": e.as_of, **{s: None for s in subjects}})
        row[e.subject] = e.score
    out = list(rows.values())
    out.sort(key=lambda r: (r["benchmark"], -sum(r[s] is not None for s in subjects), r["group"]))
    return out


__all__ = [
    "QUALITY_FILE", "ELO_BENCHMARK", "NO_FIGURE", "QualityEntry", "AliasEntry", "Quality", "load_quality",
    "validate_quality", "OptionQuality", "subject_for", "option_quality", "result_quality", "FloorSpec",
    "resolve_floor", "floor_status", "FloorResult", "apply_floor", "pareto_frontier", "cheapest_meeting",
    "comparable_table", "route_quality", "ROUTE_VIA",
]
