"""Importers for benchmark-tool output: each file becomes one or more profile points.

Every importer module has ``parse_doc(doc, name) -> list[Parsed]`` (one ``Parsed`` per
configuration the file holds; points in the profile's units: latencies in ms, throughput per
replica) and never executes anything from the file: JSON or CSV only. A file that is not what the
importer expects raises :class:`~tco.core.exceptions.ImportFormatError` naming the file and what was
expected.

Never silently wrong (docs/data_workflow.md, "Importing benchmark files"):

* a run with no completed request or zero throughput is refused (one-line reason);
* every metric the profile format has but the file lacks is listed in the profile's ``missing`` and
  in its ``notes``;
* a file holding several models or configurations is refused with the list of what it holds, unless
  one is chosen (``select``);
* provenance comes from the file: run date -> ``as_of``; the engine only where the file states it;
  the client protocol (vLLM's ``backend``: ``openai``, ``openai-chat``, ...) -> ``endpoint``;
  ``source`` names the file, never a local path; a model named in the file that does not look like
  the catalog model gives a warning (not an error).

Big files: JSON is read with a streaming parser (``ijson``) that keeps at most
:data:`LIST_CAP` items of any list nested in an object, so per-request arrays (``ttfts``,
``itls``, ``generated_texts``, ...) never reach memory; files up to :data:`MAX_FILE_BYTES` are read
from disk. In-memory uploads stay bounded by the caller (``tco.core.limits``).

:func:`build_profile` turns parsed configurations into a profile dict in the ``data/profiles/*.yaml``
layout (loads as a :class:`~tco.catalog.ProfileEntry`, ``kind: measured``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from tco.core.exceptions import ImportFormatError, Problem  # noqa: F401 (re-exported)
from tco.importers import aiperf, genai_perf, llmperf, vllm  # noqa: E402 (after the shared names)
from tco.importers.common import (
    LIST_CAP,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    POINT_METRICS,
    STAT_KEYS,
    TOOLS,
    Parsed,
    check_measured,
    clean_point,
    display_name,
    fail,
    gpus_in_text,
    load_json,
    missing_metrics,
    model_matches,
    num,
    parse_date,
    read_bytes,
    slug,
    stats,
    tp_in_text,
)
from tco.io.safeyaml import dump_yaml  # noqa: F401 (profile_text)


def build_profile(parsed: Sequence[Parsed], files: Sequence[str], *, tool: str, model: str, gpu: str,
                  gpus: Optional[int], precision: str, engine: Optional[str] = None, source: Optional[str] = None,
                  as_of: Optional[str] = None, model_name: Optional[str] = None) -> dict:
    """A profile dict from the parsed configuration(s) of one import (points sorted by load; ISL/OSL
    request-weighted means; ``missing`` and ``notes`` for what the files lack)."""
    names = list(dict.fromkeys(display_name(f) for f in files))
    notes: list[str] = []
    stated = sorted({x.gpus for x in parsed if x.gpus})
    if gpus is None:
        if not stated:
            raise fail(", ".join(names), "the file does not state the GPUs per replica (tp x pp): give them (--gpus)")
        if len(stated) > 1:
            raise fail(", ".join(names), f"the files state different GPU counts ({', '.join(map(str, stated))})")
        gpus = stated[0]
        src = next(x.gpus_from for x in parsed if x.gpus)
        notes.append(f"GPUs per replica {gpus} from {src}")
    elif stated and stated != [int(gpus)]:
        raise fail(", ".join(names), f"GPUs per replica given as {gpus} but the file states "
                                     f"{', '.join(map(str, stated))}")
    points = [clean_point(p) for x in parsed for p in x.points]
    points.sort(key=lambda p: (p.get("request_rate", math.inf), p.get("concurrency", math.inf),
                               p.get("request_throughput_rps", 0.0)))
    w_isl = [(x.isl, x.weight) for x in parsed if x.isl is not None]
    w_osl = [(x.osl, x.weight) for x in parsed if x.osl is not None]
    isl = sum(v * w for v, w in w_isl) / sum(w for _, w in w_isl) if w_isl else None
    osl = sum(v * w for v, w in w_osl) / sum(w for _, w in w_osl) if w_osl else None
    engines = list(dict.fromkeys(x.engine for x in parsed if x.engine))
    engine = engine or (engines[0] if len(engines) == 1 else None)
    endpoints = list(dict.fromkeys(x.endpoint for x in parsed if x.endpoint))
    dates = sorted(x.as_of for x in parsed if x.as_of)
    if as_of is None:
        if dates:
            as_of = dates[-1]
        else:
            as_of = f"{_dt.date.today().isoformat()} (import date; the file has no run date)"
            notes.append("the file has no run date: as_of is the import date")
    detected = list(dict.fromkeys(x.tool for x in parsed if x.tool))
    if len(detected) == 1:
        tool = TOOL_NAMES.get(detected[0], tool)
    source = source or f"{tool} result file(s): {', '.join(names)}"
    groups = list(dict.fromkeys(x.group for x in parsed if x.group))
    if groups:
        source += f" ({', '.join(groups)})"
    pid = slug(f"{model}-{gpu}-{gpus}x-{precision}-{slug(engine or 'unknown')}")
    if isl and osl:
        pid += f"-{isl:.0f}-{osl:.0f}"
    missing, miss_notes = missing_metrics(points, isl, osl)
    tp, tp_note = _one_stated(parsed, "tp", "tensor-parallel size")
    engine_version, version_note = _one_stated(parsed, "engine_version", "engine version")
    if not engine:
        missing.append("engine")
        notes.append("the file does not state the serving engine")
    for key, value, note in (("engine_version", engine_version, version_note), ("tp", tp, tp_note)):
        if value is None:
            missing.append(key)
            miss_notes.append(note)
    if tp is not None:
        notes.append(f"tp {tp} from {next(x.tp_from for x in parsed if x.tp == tp)}")
    file_models = list(dict.fromkeys(x.model for x in parsed if x.model))
    for fm in file_models:
        if not model_matches(fm, model, model_name):
            notes.append(f"WARNING: the file's model '{fm}' does not look like {model}")
    notes += [n for x in parsed for n in x.notes] + miss_notes
    prof = {"id": pid[:200], "model": model, "gpu": gpu, "gpus": int(gpus), "precision": precision.lower(),
            "engine": engine or "unknown", "source": source, "as_of": as_of, "kind": "measured",
            "scenario": "online_serving"}
    if engine_version is not None:
        prof["engine_version"] = engine_version
    if tp is not None:
        prof["tp"] = tp
    if endpoints:
        prof["endpoint"] = ", ".join(endpoints)
    if isl:
        prof["isl"] = round(isl, 3)
    if osl:
        prof["osl"] = round(osl, 3)
    prof["missing"] = missing
    notes = list(dict.fromkeys(notes))
    if notes:
        prof["notes"] = "; ".join(notes)
    prof["points"] = points
    return prof


def _one_stated(parsed: Sequence[Parsed], key: str, words: str) -> tuple[Any, str]:
    """(value, note): the one value of ``key`` the files state, else (None, why it is left empty)."""
    stated = list(dict.fromkeys(getattr(x, key) for x in parsed if getattr(x, key) is not None))
    if len(stated) == 1:
        return stated[0], ""
    if stated:
        return None, f"the files state different {words}s ({', '.join(map(str, stated))}): {key} left empty"
    return None, f"the file does not state the {words} ({key})"


def stated_facts(profile: dict) -> str:
    """What an imported profile says of its configuration, in one line for the CLI and the app
    ("engine vLLM 0.6.3, engine_version 0.6.3, tp 8; not stated: ..."), from the profile dict."""
    known = []
    if profile.get("engine") not in (None, "unknown"):
        known.append(f"engine {profile['engine']}")
    known += [f"{k} {profile[k]}" for k in ("engine_version", "tp") if profile.get(k) is not None]
    known.append(f"gpus per replica {profile['gpus']}")
    unknown = [k for k in ("engine", "engine_version", "tp") if k in (profile.get("missing") or [])]
    return ", ".join(known) + (f"; not stated in the file: {', '.join(unknown)}" if unknown else "")


def warnings_of(profile: dict) -> list[str]:
    """The WARNING notes of a profile (model mismatch), for the CLI and the app to show."""
    return [n[len("WARNING: "):] for n in (profile.get("notes") or "").split("; ") if n.startswith("WARNING: ")]


# ---------------------------------------------------------------------------------------------- entry points

def parser_for(tool: str) -> Callable[[Any, str], list[Parsed]]:

    table = {"vllm": vllm.parse_doc, "llmperf": llmperf.parse_doc, "genai-perf": genai_perf.parse_doc,
             "genai_perf": genai_perf.parse_doc, "aiperf": aiperf.parse_doc}
    if tool not in table:
        raise fail("options", f"unknown tool '{tool}': one of {', '.join(TOOLS)}")
    return table[tool]


def _is_csv(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"Metric")


def parse_source(tool: str, data: bytes | Path, name: str) -> list[Parsed]:
    """Parse one file (bytes or a path) with ``tool``'s importer: a list of configurations."""

    parse = parser_for(tool)
    if isinstance(data, Path):
        with data.open("rb") as fh:
            head = fh.read(64)
    else:
        head = data[:64]
    if _is_csv(head) and tool in ("genai-perf", "genai_perf", "aiperf"):
        raw = read_bytes(data) if isinstance(data, Path) else data
        return (aiperf.parse_csv if tool == "aiperf" else genai_perf.parse_csv)(raw, name)
    expected = {"vllm": vllm.EXPECTED, "llmperf": llmperf.EXPECTED, "aiperf": aiperf.EXPECTED}.get(
        tool, genai_perf.EXPECTED_JSON)
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")) and head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        if tool in ("genai-perf", "genai_perf"):
            raise fail(display_name(name), f"neither JSON nor CSV: expected {expected} or {genai_perf.EXPECTED_CSV}")
    doc = load_json(data, name, expected)
    return parse(doc, name)


def expand_paths(files: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for its ``*.json`` / ``*.csv`` files (recursively, sorted).
    ``vllm bench sweep`` folders: a ``summary.json`` stands for the ``run=*.json`` files beside it."""
    out: list[Path] = []
    for f in files:
        p = Path(f)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() in (".json", ".csv") and q.is_file()
                           and not q.name.startswith("."))
            summaries = {q.parent for q in found if q.name == "summary.json"}
            found = [q for q in found if not (q.parent in summaries and q.name.startswith("run="))]
            if not found:
                raise fail(display_name(str(p)), "folder holds no .json or .csv file")
            out += found
        else:
            out.append(p)
    return out


def select_group(parsed: list[Parsed], name: str, select: Optional[str]) -> list[Parsed]:
    """One configuration of a file that holds several: the selected one, else refuse with the list."""
    groups = list(dict.fromkeys(x.group for x in parsed if x.group))
    if len(groups) <= 1:
        return parsed
    if select is None:
        raise fail(display_name(name), f"holds {len(groups)} configurations ({', '.join(groups)}): import one at "
                                       "a time (--select NAME)")
    chosen = [x for x in parsed if x.group == select]
    if not chosen:
        raise fail(display_name(name), f"no configuration '{select}'; it holds {', '.join(groups)}")
    return chosen


def parse_all(tool: str, sources: Sequence[tuple[bytes | Path, str]], select: Optional[str] = None) -> list[Parsed]:
    """Every configuration of every file; files whose runs differ in model or a serve parameter (sweep
    folders ``SERVE--max_num_seqs=4...`` next to ``...=8``) are several configurations (refused unless one
    is selected)."""
    parsed: list[Parsed] = []
    for data, name in sources:
        parsed += with_name_facts(select_group(parse_source(tool, data, name), name, select), name)
    if len(sources) > 1 and not any(x.group for x in parsed):
        keys = sorted({k for x in parsed for k in x.params} | {"model"})
        varying = [k for k in keys if len({repr(x.model if k == "model" else x.params.get(k)) for x in parsed}) > 1]
        if varying:
            for x in parsed:
                x.group = ", ".join(f"{k}={x.model if k == 'model' else x.params.get(k)}" for k in varying)
            parsed = select_group(parsed, ", ".join(display_name(n) for _, n in sources), select)
    return parsed


def with_name_facts(parsed: list[Parsed], name: str) -> list[Parsed]:
    """GPUs per replica and tp from the file name (vLLM's ``..._tp8_pp1_...`` naming) where the content does not say."""
    n, tp = gpus_in_text(display_name(name)), tp_in_text(display_name(name))
    for x in parsed:
        if n and not x.gpus:
            x.gpus, x.gpus_from = n, f"the file name '{display_name(name)}'"
        if tp and not x.tp:
            x.tp, x.tp_from = tp, f"the file name '{display_name(name)}'"
    return parsed


def import_files(tool: str, files: Sequence[str | Path], *, select: Optional[str] = None, **meta) -> dict:
    """Read and parse benchmark files (or folders) of one tool into one profile dict (:func:`build_profile`)."""
    paths = expand_paths(files)
    parsed = parse_all(tool, [(p, str(p)) for p in paths], select)
    return build_profile(parsed, [str(p) for p in paths], tool=TOOL_NAMES.get(tool, tool), **meta)


def import_bytes(tool: str, data: bytes, name: str, *, select: Optional[str] = None, **meta) -> dict:
    """Like :func:`import_files` for one in-memory file (uploads; the caller bounds the size)."""
    parsed = parse_all(tool, [(data, name)], select)
    return build_profile(parsed, [name], tool=TOOL_NAMES.get(tool, tool), **meta)


def file_facts(tool: str, data: bytes, name: str, select: Optional[str] = None) -> dict:
    """What a file states about its configuration (for forms): gpus, tp, engine_version, isl, osl, model, groups."""
    parsed = with_name_facts(parse_source(tool, data, name), name)
    groups = list(dict.fromkeys(x.group for x in parsed if x.group))
    if select in groups:
        parsed = [x for x in parsed if x.group == select]
    stated = sorted({x.gpus for x in parsed if x.gpus})
    tps = sorted({x.tp for x in parsed if x.tp})
    versions = list(dict.fromkeys(x.engine_version for x in parsed if x.engine_version))
    isl = [x.isl for x in parsed if x.isl]
    osl = [x.osl for x in parsed if x.osl]
    return {"gpus": stated[0] if len(stated) == 1 else None, "tp": tps[0] if len(tps) == 1 else None,
            "engine_version": versions[0] if len(versions) == 1 else None, "isl": isl[0] if isl else None,
            "osl": osl[0] if osl else None, "model": next((x.model for x in parsed if x.model), None),
            "groups": groups}


TOOL_NAMES = {"vllm": "vLLM bench serve", "llmperf": "LLMPerf", "genai-perf": "GenAI-Perf",
              "genai_perf": "GenAI-Perf", "aiperf": "AIPerf"}


def profile_text(profile: dict, fmt: str) -> str:
    """The profile as YAML (a data/profiles/*.yaml file) or JSON text (``engine`` null when unknown)."""
    if fmt == "json":
        out = dict(profile)
        if out.get("engine") in (None, "unknown"):
            out["engine"] = None
        out.setdefault("endpoint", None)
        out.setdefault("engine_version", None)
        out.setdefault("tp", None)
        out.setdefault("missing", [])
        return json.dumps(out, indent=2) + "\n"

    return dump_yaml({k: v for k, v in profile.items() if v is not None and v != []})

__all__ = ["profile_text", "Parsed", "build_profile", "import_files", "import_bytes", "read_bytes", "load_json", "parse_date", "model_matches", "gpus_in_text", "warnings_of", "stated_facts", "tp_in_text", "file_facts", "expand_paths", "MAX_BYTES", "MAX_FILE_BYTES", "LIST_CAP", "TOOLS", "parser_for", "POINT_METRICS", "ImportFormatError", "Problem", "aiperf", "genai_perf", "llmperf", "vllm", "MAX_DEPTH", "STAT_KEYS", "check_measured", "clean_point", "display_name", "fail", "missing_metrics", "num", "slug", "stats", "parse_source", "select_group", "parse_all", "with_name_facts", "TOOL_NAMES"]
