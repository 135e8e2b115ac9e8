"""NVIDIA GenAI-Perf ``*_genai_perf.json`` and ``*_genai_perf.csv`` (latencies in ms).

One file = one point. GenAI-Perf's ``inter_token_latency`` is per request
(request latency - TTFT) / (output tokens - 1), vLLM's TPOT definition, so it is stored as
``tpot_ms``. The CSV has a statistics block (``Metric,avg,min,max,p99,...``), a blank line and a
``Metric,Value`` block of system metrics; numbers may carry thousands separators.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Optional

from tco.importers import Parsed, fail, load_json, num, stats

EXPECTED_JSON = ("a GenAI-Perf *_genai_perf.json object (metrics time_to_first_token, inter_token_latency, "
                 "request_throughput, output_token_throughput, each with avg/p50/p90/p95/p99)")
EXPECTED_CSV = ("a GenAI-Perf *_genai_perf.csv (header 'Metric,avg,min,max,p99,...' then a 'Metric,Value' block)")


def _stats(m: Optional[dict]) -> dict:
    if not isinstance(m, dict):
        return {}
    return stats(mean=num(m.get("avg")), median=num(m.get("p50")), p90=num(m.get("p90")), p95=num(m.get("p95")),
                 p99=num(m.get("p99")))


def _avg(m) -> Optional[float]:
    return num(m.get("avg")) if isinstance(m, dict) else None


def _load_settings(cfg) -> tuple[Optional[float], Optional[float]]:
    """(concurrency, request_rate) from input_config (flat or nested under perf_analyzer.stimulus)."""
    if not isinstance(cfg, dict):
        return None, None
    conc, rate = num(cfg.get("concurrency")), num(cfg.get("request_rate"))
    stim = (cfg.get("perf_analyzer") or {}).get("stimulus") if isinstance(cfg.get("perf_analyzer"), dict) else None
    if isinstance(stim, dict):
        conc = conc or num(stim.get("concurrency"))
        rate = rate or num(stim.get("request_rate"))
    return conc, rate


def parse_json(data: bytes, name: str) -> Parsed:
    d = load_json(data, name, EXPECTED_JSON)
    if not isinstance(d, dict) or "request_throughput" not in d or "time_to_first_token" not in d and "request_latency" not in d:
        raise fail(name, f"no request_throughput / time_to_first_token metrics: expected {EXPECTED_JSON}")
    conc, rate = _load_settings(d.get("input_config"))
    point = {"concurrency": conc, "request_rate": rate, "request_throughput_rps": _avg(d.get("request_throughput")),
             "output_tokens_per_s": _avg(d.get("output_token_throughput")),
             "ttft_ms": _stats(d.get("time_to_first_token")), "tpot_ms": _stats(d.get("inter_token_latency"))}
    count = _avg(d.get("request_count"))
    return Parsed([point], isl=_avg(d.get("input_sequence_length")), osl=_avg(d.get("output_sequence_length")),
                  weight=count or 1.0)


_UNIT = re.compile(r"\s*\([^)]*\)\s*$")


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _UNIT.sub("", label).strip().lower()).strip("_")


def parse_csv(data: bytes, name: str) -> Parsed:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(name, f"not UTF-8 text: expected {EXPECTED_CSV}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or rows[0][0].strip() != "Metric" or "avg" not in [c.strip() for c in rows[0]]:
        raise fail(name, f"first line is not 'Metric,avg,...': expected {EXPECTED_CSV}")
    header = [c.strip().lower() for c in rows[0]]
    table: dict[str, dict] = {}
    system: dict[str, Optional[float]] = {}
    block = 1
    for r in rows[1:]:
        if not r or not any(c.strip() for c in r):
            continue
        if r[0].strip() == "Metric":
            block = 2
            continue
        if block == 1:
            table[_key(r[0])] = {h: num(v) for h, v in zip(header[1:], r[1:])}
        elif len(r) >= 2:
            system[_key(r[0])] = num(r[1])
    if "request_throughput" not in system or not table:
        raise fail(name, f"no 'Request Throughput' system metric: expected {EXPECTED_CSV}")

    def st(key: str) -> dict:
        m = table.get(key)
        return {} if m is None else stats(mean=m.get("avg"), median=m.get("p50"), p90=m.get("p90"),
                                          p95=m.get("p95"), p99=m.get("p99"))

    point = {"request_throughput_rps": system.get("request_throughput"),
             "output_tokens_per_s": system.get("output_token_throughput"),
             "ttft_ms": st("time_to_first_token"), "tpot_ms": st("inter_token_latency")}
    isl = (table.get("input_sequence_length") or {}).get("avg")
    osl = (table.get("output_sequence_length") or {}).get("avg")
    return Parsed([point], isl=isl, osl=osl, weight=system.get("request_count") or 1.0,
                  notes=[f"{name}: GenAI-Perf CSV does not record the load (concurrency / request rate)"])


def parse(data: bytes, name: str) -> Parsed:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return parse_json(data, name)
    if head.startswith(b"Metric"):
        return parse_csv(data, name)
    raise fail(name, f"neither JSON nor CSV: expected {EXPECTED_JSON} or {EXPECTED_CSV}")
