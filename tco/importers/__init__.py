"""Importers for benchmark-tool output: each file becomes one or more profile points.

Every importer module has ``parse(data: bytes, name: str) -> Parsed`` (points in the profile's
units: latencies in ms, throughput per replica) and never executes anything from the file: JSON or
CSV only, bounded in size (``MAX_BYTES``). A file that is not what the importer expects raises
:class:`~tco.core.exceptions.ImportFormatError` naming the file and what was expected.

:func:`build_profile` turns parsed files into a profile dict in the ``data/profiles/*.yaml`` layout
(loads as a :class:`~tco.catalog.ProfileEntry`, ``kind: measured``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from tco.core.exceptions import ImportFormatError, Problem
from tco.io.safeyaml import dump_yaml

MAX_BYTES = 50 * 1024 * 1024  # [B] largest benchmark file read
STAT_KEYS = ("mean", "median", "p90", "p95", "p99")


@dataclass
class Parsed:
    """What one benchmark file says."""

    points: list[dict]
    isl: Optional[float] = None  # [tokens] mean input tokens per request
    osl: Optional[float] = None  # [tokens] mean output tokens per request
    weight: float = 1.0  # requests behind isl/osl (for averaging over files)
    as_of: Optional[str] = None
    engine: Optional[str] = None
    notes: list[str] = field(default_factory=list)


def fail(name: str, message: str, where: Optional[str] = None) -> ImportFormatError:
    return ImportFormatError([Problem(name, None, where, message)])


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """Read a file, refusing anything over ``max_bytes``."""
    p = Path(path)
    size = p.stat().st_size
    if size > max_bytes:
        raise fail(str(path), f"file is {size:,} bytes; the limit is {max_bytes:,}")
    return p.read_bytes()


def load_json(data: bytes, name: str, expected: str) -> Any:
    if len(data) > MAX_BYTES:
        raise fail(name, f"file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(name, f"not UTF-8 text: expected {expected}") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise fail(name, f"not valid JSON ({exc.__class__.__name__}: {str(exc)[:80]}): expected {expected}") from None


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


def clean_point(p: dict) -> dict:
    """Drop unknown values and empty statistics (keys only for what the file gives)."""
    out = {}
    for k in ("request_rate", "concurrency", "request_throughput_rps", "output_tokens_per_s"):
        if p.get(k) is not None:
            out[k] = round(float(p[k]), 6)
    for k in ("ttft_ms", "tpot_ms", "itl_ms"):
        if p.get(k):
            out[k] = p[k]
    return out


_SLUG = re.compile(r"[^a-z0-9._+-]+")


def slug(text: str) -> str:
    s = _SLUG.sub("-", str(text).lower()).strip("-.")
    return s or "x"


def build_profile(parsed: Sequence[Parsed], files: Sequence[str], *, tool: str, model: str, gpu: str, gpus: int,
                  precision: str, engine: Optional[str] = None, source: Optional[str] = None,
                  as_of: Optional[str] = None) -> dict:
    """A profile dict from parsed files (points in load order; ISL/OSL request-weighted means)."""
    points = [clean_point(p) for x in parsed for p in x.points]
    points.sort(key=lambda p: (p.get("request_rate", math.inf), p.get("concurrency", math.inf),
                               p.get("request_throughput_rps", 0.0)))
    w_isl = [(x.isl, x.weight) for x in parsed if x.isl is not None]
    w_osl = [(x.osl, x.weight) for x in parsed if x.osl is not None]
    isl = sum(v * w for v, w in w_isl) / sum(w for _, w in w_isl) if w_isl else None
    osl = sum(v * w for v, w in w_osl) / sum(w for _, w in w_osl) if w_osl else None
    engine = engine or next((x.engine for x in parsed if x.engine), None) or "unknown"
    dates = sorted(x.as_of for x in parsed if x.as_of)
    as_of = as_of or (dates[-1] if dates else f"{_dt.date.today().isoformat()} (import date; the file has no date)")
    names = [Path(f).name for f in files]
    source = source or f"{tool} result file(s): {', '.join(names)}"
    pid = slug(f"{model}-{gpu}-{gpus}x-{precision}-{slug(engine)}")
    if isl and osl:
        pid += f"-{isl:.0f}-{osl:.0f}"
    notes = sorted({n for x in parsed for n in x.notes})
    prof = {"id": pid[:200], "model": model, "gpu": gpu, "gpus": int(gpus), "precision": precision.lower(),
            "engine": engine, "source": source, "as_of": as_of, "kind": "measured", "scenario": "online_serving"}
    if isl:
        prof["isl"] = round(isl, 3)
    if osl:
        prof["osl"] = round(osl, 3)
    if notes:
        prof["notes"] = "; ".join(notes)
    prof["points"] = points
    return prof


def parser_for(tool: str) -> Callable[[bytes, str], Parsed]:
    from tco.importers import genai_perf, llmperf, vllm

    return {"vllm": vllm.parse, "llmperf": llmperf.parse, "genai-perf": genai_perf.parse,
            "genai_perf": genai_perf.parse}[tool]


def import_files(tool: str, files: Sequence[str], **meta) -> dict:
    """Read and parse benchmark files of one tool into a profile dict (see :func:`build_profile`)."""
    parse = parser_for(tool)
    parsed = [parse(read_bytes(f), str(f)) for f in files]
    return build_profile(parsed, [str(f) for f in files], tool=TOOL_NAMES.get(tool, tool), **meta)


def import_bytes(tool: str, data: bytes, name: str, **meta) -> dict:
    """Like :func:`import_files` for one in-memory file (uploads)."""
    return build_profile([parser_for(tool)(data, name)], [name], tool=TOOL_NAMES.get(tool, tool), **meta)


TOOL_NAMES = {"vllm": "vLLM benchmark_serving", "llmperf": "LLMPerf", "genai-perf": "GenAI-Perf",
              "genai_perf": "GenAI-Perf"}

__all__ = ["Parsed", "build_profile", "import_files", "import_bytes", "read_bytes", "MAX_BYTES", "parser_for"]


def profile_text(profile: dict, fmt: str) -> str:
    """The profile as YAML (a data/profiles/*.yaml file) or JSON text."""
    if fmt == "json":
        return json.dumps(profile, indent=2) + "\n"
    return dump_yaml(profile)
