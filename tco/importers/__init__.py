"""Importers for benchmark-tool output: each file becomes one or more profile points.

Every importer module has ``parse_doc(doc, name) -> list[Parsed]`` (one ``Parsed`` per
configuration the file holds; points in the profile's units: latencies in ms, throughput per
replica) and never executes anything from the file: JSON or CSV only. A file that is not what the
importer expects raises :class:`~tco.exceptions.ImportFormatError` naming the file and what was
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
from disk. In-memory uploads stay bounded by the caller (``tco.limits``).

:func:`build_profile` turns parsed configurations into a profile dict in the ``data/profiles/*.yaml``
layout (loads as a :class:`~tco.catalog.ProfileEntry`, ``kind: measured``).
"""
from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional, Sequence

from ..exceptions import ImportFormatError, Problem

MAX_BYTES = 50 * 1024 * 1024  # [B] largest file parsed without the streaming reader (fallback, NaN in JSON)
MAX_FILE_BYTES = 2 * 1024 ** 3  # [B] largest benchmark file read from disk (streamed)
LIST_CAP = 256  # items kept of a list nested in an object (per-request arrays are never needed)
MAX_DEPTH = 64  # nesting levels accepted in a benchmark JSON (real files use 4)
STAT_KEYS = ("mean", "median", "p90", "p95", "p99")
#: Point metrics of the profile format (docs/data.md) checked for presence.
POINT_METRICS = ("request_throughput_rps", "output_tokens_per_s", "ttft_ms", "tpot_ms", "itl_ms")
#: Tools with an importer; "genai-perf" also detects AIPerf files.
TOOLS = ("vllm", "llmperf", "genai-perf", "aiperf")


@dataclass
class Parsed:
    """What one file says about one configuration (one benchmark run or a sweep of it)."""

    points: list[dict]
    isl: Optional[float] = None  # [tokens] mean input tokens per request
    osl: Optional[float] = None  # [tokens] mean output tokens per request
    weight: float = 1.0  # requests behind isl/osl (for averaging over files)
    as_of: Optional[str] = None  # run date (ISO)
    engine: Optional[str] = None  # serving engine (and version) where the file states it
    endpoint: Optional[str] = None  # client protocol / endpoint type (vLLM backend, AIPerf endpoint.type)
    model: Optional[str] = None  # model named in the file
    gpus: Optional[int] = None  # GPUs per replica where the file states it (tp x pp)
    gpus_from: Optional[str] = None  # where gpus came from (for the note)
    group: Optional[str] = None  # configuration label when a file holds several
    tool: Optional[str] = None  # the tool that wrote the file (when detected)
    params: dict = field(default_factory=dict)  # serve parameters stated with the run (vllm bench sweep)
    notes: list[str] = field(default_factory=list)


def fail(name: str, message: str, where: Optional[str] = None) -> ImportFormatError:
    return ImportFormatError([Problem(name, None, where, message)])


def display_name(name: str) -> str:
    """The file's name without its folder (``source`` never carries a local path)."""
    return str(name).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------------- reading

def _stream_build(fh: BinaryIO, cap: int = LIST_CAP) -> Any:
    """The JSON document from ``fh``, built from ijson events; lists nested in an object keep at most
    ``cap`` items (the rest is parsed and dropped). The root (a list of runs, a table) is kept whole."""
    import ijson

    root: list = []
    stack: list[tuple[Any, bool]] = [(root, True)]  # (container or None when dropped, is_root_list)
    key: list[Optional[str]] = [None]

    def add(value: Any) -> bool:
        cont, top = stack[-1]
        if cont is None:
            return False
        if isinstance(cont, list):
            if not top and len(cont) >= cap:
                return False
            cont.append(value)
            return True
        cont[key[-1]] = value
        return True

    for _prefix, event, value in ijson.parse(fh, use_float=True):
        if event == "map_key":
            key[-1] = value
        elif event in ("start_map", "start_array"):
            if len(stack) > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            new = {} if event == "start_map" else []
            kept = add(new)
            stack.append((new if kept else None, len(stack) == 1 and event == "start_array"))
            key.append(None)
        elif event in ("end_map", "end_array"):
            stack.pop()
            key.pop()
        else:
            add(value)
    return root[0] if root else None


def load_json(data: bytes | BinaryIO | Path, name: str, expected: str) -> Any:
    """A JSON document from bytes, an open binary file or a path (streamed; see the module docstring)."""
    shown = display_name(name)
    if isinstance(data, Path):
        size = data.stat().st_size
        if size > MAX_FILE_BYTES:
            raise fail(shown, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        with data.open("rb") as fh:
            head = fh.read(4)
            fh.seek(0)
            return _load_stream(fh, shown, expected, size, head, lambda: data.read_bytes())
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_FILE_BYTES:
            raise fail(shown, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")
        return _load_stream(io.BytesIO(data), shown, expected, len(data), bytes(data[:4]), lambda: bytes(data))
    raise TypeError(f"load_json: bytes or Path expected, got {type(data).__name__}")


def _load_stream(fh: BinaryIO, shown: str, expected: str, size: int, head: bytes, whole: Callable[[], bytes]) -> Any:
    if head.startswith(b"\xef\xbb\xbf"):
        fh.read(3)
    elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise fail(shown, f"not UTF-8 text: expected {expected}")
    try:
        return _stream_build(fh)
    except Exception as exc:  # ijson: IncompleteJSONError, UTF-8 errors, NaN/Infinity (Python's json.dumps writes them)
        if size > MAX_BYTES:
            raise fail(shown, f"not valid JSON ({exc.__class__.__name__}: {str(exc).splitlines()[0][:80]}): "
                              f"expected {expected}") from None
    try:
        text = whole().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(shown, f"not UTF-8 text: expected {expected}") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise fail(shown, f"not valid JSON ({exc.__class__.__name__}: {str(exc)[:80]}): expected {expected}") from None


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """Read a whole file, refusing anything over ``max_bytes`` (CSV and price maps)."""
    p = Path(path)
    size = p.stat().st_size
    if size > max_bytes:
        raise fail(display_name(str(path)), f"file is {size:,} bytes; the limit is {max_bytes:,}")
    return p.read_bytes()


# ---------------------------------------------------------------------------------------------- values

def num(v: Any) -> Optional[float]:
    """A finite float from a number or numeric string ("1,234.5" ok); None otherwise (NaN, "inf", null)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        v = v.strip().replace(",", "")
        if not v:
            return None
        try:
            v = float(v)
        except ValueError:
            return None
    if isinstance(v, (int, float)) and math.isfinite(float(v)):
        return float(v)
    return None


def stats(**kw: Optional[float]) -> dict:
    """A latency-statistics dict with only the known keys, in STAT_KEYS order [ms]."""
    return {k: round(kw[k], 6) for k in STAT_KEYS if kw.get(k) is not None}


_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:-(\d{2})(\d{2})(\d{2}))?$")


def parse_date(v: Any) -> Optional[str]:
    """An ISO date (YYYY-MM-DD, UTC) from a run date as tools write it, else None.

    Accepted: ISO 8601 text (``2026-09-04T20:37:02Z``, ``2026-09-30T16:53:39.902853``), vLLM's
    ``20260816-160853``, epoch seconds or milliseconds (a number > 1e11 is read as ms).
    """
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        ts = float(v)
        if not math.isfinite(ts) or ts <= 0:
            return None
        if ts > 1e11:
            ts /= 1000.0  # milliseconds
        if ts > 1e11:
            return None
        return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat()
    s = str(v).strip()
    m = _COMPACT.match(s)
    try:
        if m:
            return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        if re.match(r"^\d{4}-\d{2}-\d{2}", s):
            t = _dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace(" ", "T", 1))
            if t.tzinfo is not None:
                t = t.astimezone(_dt.timezone.utc)
            return t.date().isoformat()
    except ValueError:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", s):
        return parse_date(float(s))
    return None


_TP = re.compile(r"(?:^|[_\-.])tp[_-]?(\d{1,3})(?=$|[_\-.])", re.I)
_PP = re.compile(r"(?:^|[_\-.])pp[_-]?(\d{1,3})(?=$|[_\-.])", re.I)


def gpus_in_text(text: str) -> Optional[int]:
    """GPUs per replica = tp x pp from a label such as ``..._tp8_pp1_...`` (pp defaults to 1); None if no tp."""
    m = _TP.search(str(text or ""))
    if not m:
        return None
    p = _PP.search(str(text))
    n = int(m.group(1)) * (int(p.group(1)) if p else 1)
    return n if n > 0 else None


def _norm_model(text: str) -> str:
    s = display_name(str(text)).lower()
    for w in ("meta-", "-instruct", "-chat", "-hf", "-it"):
        s = s.replace(w, "")
    return re.sub(r"[^a-z0-9.]+", "", s)


def model_matches(file_model: str, catalog_id: str, catalog_name: Optional[str] = None) -> bool:
    """Whether the model named in a file looks like the catalog model (normalised names, one contains the other)."""
    f = _norm_model(file_model)
    for c in (catalog_id, catalog_name):
        c = _norm_model(c or "")
        if c and f and (c in f or f in c):
            return True
    return False


# ---------------------------------------------------------------------------------------------- profile

def clean_point(p: dict) -> dict:
    """Drop unknown values and empty statistics (keys only for what the file gives)."""
    out = {}
    if p.get("load"):
        out["load"] = str(p["load"])
    for k in ("request_rate", "concurrency", "request_throughput_rps", "output_tokens_per_s"):
        if p.get(k) is not None:
            out[k] = round(float(p[k]), 6)
    for k in ("ttft_ms", "tpot_ms", "itl_ms"):
        if p.get(k):
            out[k] = p[k]
    return out


def check_measured(point: dict, name: str, run: str = "") -> None:
    """Refuse a run that measured nothing: no completed request or zero throughput."""
    where = f"{run}: " if run else ""
    rps, tok = point.get("request_throughput_rps"), point.get("output_tokens_per_s")
    # a negative figure is not "nothing measured": the schema rejects it with its own reason
    if rps == 0 or tok == 0 or (rps is None and tok is None):
        what = "no throughput figure" if rps is None and tok is None else \
            f"zero throughput (request throughput {rps or 0:g} req/s, output {tok or 0:g} tokens/s)"
        raise fail(display_name(name), f"{where}{what}: nothing was measured; not imported")


def missing_metrics(points: Sequence[dict], isl: Optional[float], osl: Optional[float]) -> tuple[list[str], list[str]]:
    """(missing field names, notes): every profile metric some point (or the profile) lacks."""
    missing, notes = [], []
    n = len(points)
    for k in POINT_METRICS:
        lacking = sum(1 for p in points if not p.get(k))
        if lacking:
            missing.append(k)
            notes.append(f"the file gives no {k}" + (f" for {lacking} of {n} points" if lacking < n else ""))
    lacking = sum(1 for p in points if p.get("request_rate") is None and p.get("concurrency") is None
                  and not p.get("load"))
    if lacking:
        missing.append("load")
        notes.append("the file does not state the load (request rate or concurrency)"
                     + (f" for {lacking} of {n} points" if lacking < n else ""))
    for k, v in (("isl", isl), ("osl", osl)):
        if not v:
            missing.append(k)
            notes.append(f"the file gives no {'input' if k == 'isl' else 'output'} tokens per request ({k})")
    return missing, notes


_SLUG = re.compile(r"[^a-z0-9._+-]+")


def slug(text: str) -> str:
    s = _SLUG.sub("-", str(text).lower()).strip("-.")
    return s or "x"


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
    if not engine:
        notes.append("the file does not state the serving engine")
    file_models = list(dict.fromkeys(x.model for x in parsed if x.model))
    for fm in file_models:
        if not model_matches(fm, model, model_name):
            notes.append(f"WARNING: the file's model '{fm}' does not look like {model}")
    notes += [n for x in parsed for n in x.notes] + miss_notes
    prof = {"id": pid[:200], "model": model, "gpu": gpu, "gpus": int(gpus), "precision": precision.lower(),
            "engine": engine or "unknown", "source": source, "as_of": as_of, "kind": "measured",
            "scenario": "online_serving"}
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


def warnings_of(profile: dict) -> list[str]:
    """The WARNING notes of a profile (model mismatch), for the CLI and the app to show."""
    return [n[len("WARNING: "):] for n in (profile.get("notes") or "").split("; ") if n.startswith("WARNING: ")]


# ---------------------------------------------------------------------------------------------- entry points

def parser_for(tool: str) -> Callable[[Any, str], list[Parsed]]:
    from . import aiperf, genai_perf, llmperf, vllm

    table = {"vllm": vllm.parse_doc, "llmperf": llmperf.parse_doc, "genai-perf": genai_perf.parse_doc,
             "genai_perf": genai_perf.parse_doc, "aiperf": aiperf.parse_doc}
    if tool not in table:
        raise fail("options", f"unknown tool '{tool}': one of {', '.join(TOOLS)}")
    return table[tool]


def _is_csv(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"Metric")


def parse_source(tool: str, data: bytes | Path, name: str) -> list[Parsed]:
    """Parse one file (bytes or a path) with ``tool``'s importer: a list of configurations."""
    from . import aiperf, genai_perf, llmperf, vllm

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
    """GPUs per replica from the file name (vLLM's ``..._tp8_pp1_...`` naming) where the content does not say."""
    n = gpus_in_text(display_name(name))
    if n:
        for x in parsed:
            if not x.gpus:
                x.gpus, x.gpus_from = n, f"the file name '{display_name(name)}'"
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
    """What a file states about its configuration (for forms): gpus, isl, osl, model, groups."""
    parsed = with_name_facts(parse_source(tool, data, name), name)
    groups = list(dict.fromkeys(x.group for x in parsed if x.group))
    if select in groups:
        parsed = [x for x in parsed if x.group == select]
    stated = sorted({x.gpus for x in parsed if x.gpus})
    isl = [x.isl for x in parsed if x.isl]
    osl = [x.osl for x in parsed if x.osl]
    return {"gpus": stated[0] if len(stated) == 1 else None, "isl": isl[0] if isl else None,
            "osl": osl[0] if osl else None, "model": next((x.model for x in parsed if x.model), None),
            "groups": groups}


TOOL_NAMES = {"vllm": "vLLM bench serve", "llmperf": "LLMPerf", "genai-perf": "GenAI-Perf",
              "genai_perf": "GenAI-Perf", "aiperf": "AIPerf"}

__all__ = ["Parsed", "build_profile", "import_files", "import_bytes", "read_bytes", "load_json", "parse_date",
           "model_matches", "gpus_in_text", "warnings_of", "file_facts", "expand_paths", "MAX_BYTES",
           "MAX_FILE_BYTES", "LIST_CAP", "TOOLS", "parser_for", "POINT_METRICS"]
