"""vLLM ``benchmark_serving.py --save-result`` / ``vllm bench serve --save-result`` JSON.

One result file = one point. Both key sets are read (legacy ``"request_goodput:"`` with a colon,
current ``request_goodput``, ``failed``, ...); ``request_rate`` may be the string ``"inf"``
(unbounded: stored as no request rate). Latencies are already in ms. Also reads the nightly
benchmark summary table (a JSON list of rows with ``"Tput (req/s)"``), one point per row.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Optional

from tco.importers import Parsed, fail, load_json, num, stats

EXPECTED = ("a vLLM benchmark_serving --save-result JSON object (keys request_throughput, output_throughput, "
            "mean_ttft_ms, ...) or a vLLM nightly benchmark_results.json table")
METRICS = ("ttft", "tpot", "itl")


def _stats(d: dict, metric: str) -> dict:
    return stats(mean=num(d.get(f"mean_{metric}_ms")), median=num(d.get(f"median_{metric}_ms")),
                 p90=num(d.get(f"p90_{metric}_ms")), p95=num(d.get(f"p95_{metric}_ms")),
                 p99=num(d.get(f"p99_{metric}_ms")))


def _date(v) -> Optional[str]:
    m = re.match(r"(\d{4})(\d{2})(\d{2})", str(v or ""))
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def parse_result(d: dict, name: str) -> Parsed:
    missing = [k for k in ("request_throughput", "output_throughput") if k not in d]
    if missing or not any(f"mean_{m}_ms" in d for m in METRICS):
        raise fail(name, f"missing {', '.join(missing) or 'mean_ttft_ms/mean_tpot_ms'}: expected {EXPECTED}")
    rps, tok = num(d.get("request_throughput")), num(d.get("output_throughput"))
    if rps is None or tok is None:
        raise fail(name, "request_throughput and output_throughput must be numbers", "request_throughput")
    rate = d.get("request_rate")
    point = {"request_rate": None if (isinstance(rate, str) and rate.strip().lower() == "inf") else num(rate),
             "concurrency": num(d.get("max_concurrency")), "request_throughput_rps": rps, "output_tokens_per_s": tok,
             "ttft_ms": _stats(d, "ttft"), "tpot_ms": _stats(d, "tpot"), "itl_ms": _stats(d, "itl")}
    completed = num(d.get("completed"))
    isl = osl = None
    if completed:
        isl = (num(d.get("total_input_tokens")) or 0) / completed or None
        osl = (num(d.get("total_output_tokens")) or 0) / completed or None
    notes = []
    if (num(d.get("failed")) or 0) > 0:
        notes.append(f"{name}: {num(d.get('failed')):g} failed requests")
    backend = d.get("backend")
    return Parsed([point], isl=isl, osl=osl, weight=completed or 1.0, as_of=_date(d.get("date")),
                  engine=str(backend) if isinstance(backend, str) and backend else None, notes=notes)


_QPS = re.compile(r"qps_(\d+(?:\.\d+)?|inf)", re.I)


def parse_table(rows: list, name: str) -> Parsed:
    points = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or "Tput (req/s)" not in r:
            raise fail(name, f"row {i + 1} lacks 'Tput (req/s)': expected {EXPECTED}")
        m = _QPS.search(str(r.get("Test name", "")))
        rate = None if (not m or m.group(1).lower() == "inf") else float(m.group(1))

        def st(label: str) -> dict:
            return stats(mean=num(r.get(f"Mean {label} (ms)")), median=num(r.get(f"Median {label} (ms)")),
                         p99=num(r.get(f"P99 {label} (ms)")))

        points.append({"request_rate": rate, "request_throughput_rps": num(r.get("Tput (req/s)")),
                       "output_tokens_per_s": num(r.get("Output Tput (tok/s)")), "ttft_ms": st("TTFT"),
                       "tpot_ms": st("TPOT"), "itl_ms": st("ITL")})
    return Parsed(points, notes=["vLLM summary table: ISL/OSL not given"])


def parse(data: bytes, name: str) -> Parsed:
    doc = load_json(data, name, EXPECTED)
    if isinstance(doc, dict):
        return parse_result(doc, name)
    if isinstance(doc, list) and doc:
        return parse_table(doc, name)
    raise fail(name, f"got a JSON {type(doc).__name__}: expected {EXPECTED}")
