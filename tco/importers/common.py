"""What every benchmark importer shares: bounded, streamed JSON reading, parsed points, located errors,
dates and names (tco.importers re-exports these names)."""
from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional, Sequence

from tco.core.exceptions import ImportFormatError, Problem

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
    tp: Optional[int] = None  # tensor-parallel size where the file states it
    tp_from: Optional[str] = None  # where tp came from (for the note)
    engine_version: Optional[str] = None  # engine version where the file states it (never guessed)
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


#: Keys a result (or its ``--metadata KEY=VALUE``) states the parallel layout and the engine version in.
TP_KEYS = ("tensor_parallel_size", "tensor-parallel-size", "tp")
PP_KEYS = ("pipeline_parallel_size", "pipeline-parallel-size", "pp")
ENGINE_VERSION_KEYS = ("engine_version", "vllm_version", "server_version")
#: Keys that may hold the server's command line (``vllm serve ... --tensor-parallel-size 8``).
COMMAND_KEYS = ("server_command", "serve_command", "command")
_CMD_TP = re.compile(r"(?:^|\s)(?:--tensor[-_]parallel[-_]size|-tp)(?:=|\s+)['\"]?(\d{1,3})\b")
_CMD_PP = re.compile(r"(?:^|\s)(?:--pipeline[-_]parallel[-_]size|-pp)(?:=|\s+)['\"]?(\d{1,3})\b")


def tp_in_text(text: str) -> Optional[int]:
    """The tensor-parallel size of a label such as ``..._tp8_pp1_...``; None if it names none."""
    m = _TP.search(str(text or ""))
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def _positive_int(v: Any) -> Optional[int]:
    x = num(v)
    return int(x) if x is not None and x >= 1 and x == int(x) else None


def parallel_stated(d: dict) -> tuple[Optional[int], Optional[int], Optional[str]]:
    """(tp, pp, where) as a flat result states them: a key of :data:`TP_KEYS` / :data:`PP_KEYS`, else the server
    command line under one of :data:`COMMAND_KEYS`; (None, None, None) when it states no tensor-parallel size.
    pp is None when only tp is stated."""
    tp = next((v for v in (_positive_int(d.get(k)) for k in TP_KEYS) if v), None)
    if tp is not None:
        key = next(k for k in TP_KEYS if _positive_int(d.get(k)))
        return tp, next((v for v in (_positive_int(d.get(k)) for k in PP_KEYS) if v), None), f"the key '{key}'"
    for key in COMMAND_KEYS:
        cmd = d.get(key)
        m = _CMD_TP.search(cmd) if isinstance(cmd, str) else None
        if m and int(m.group(1)) > 0:
            pp = _CMD_PP.search(cmd)
            return int(m.group(1)), int(pp.group(1)) if pp and int(pp.group(1)) > 0 else None, f"the command line ({key})"
    return None, None, None


def engine_version_stated(d: dict) -> Optional[str]:
    """The engine version a flat result states under one of :data:`ENGINE_VERSION_KEYS` (text as written), else None."""
    return next((str(d[k]).strip() for k in ENGINE_VERSION_KEYS
                 if isinstance(d.get(k), (str, int, float)) and not isinstance(d.get(k), bool) and str(d[k]).strip()),
                None)


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
