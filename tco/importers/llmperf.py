"""ray-project/llmperf ``*_summary.json`` (``token_benchmark_ray.py``): latencies in **seconds**.

One file = one point at ``num_concurrent_requests``. llmperf's ``inter_token_latency_s`` is a
per-request mean time between tokens, i.e. vLLM's TPOT definition, so it is stored as ``tpot_ms``.
"""
from __future__ import annotations

import datetime as _dt
from typing import Optional

from tco.importers import Parsed, fail, load_json, num, stats

EXPECTED = ("an LLMPerf *_summary.json object (keys results_ttft_s_mean, results_inter_token_latency_s_mean, "
            "num_concurrent_requests, ...)")


def _stats_ms(d: dict, metric: str) -> dict:
    def g(key: str) -> Optional[float]:
        v = num(d.get(f"results_{metric}_{key}"))
        return None if v is None else v * 1000.0  # [s] -> [ms]

    return stats(mean=g("mean"), median=g("quantiles_p50"), p90=g("quantiles_p90"), p95=g("quantiles_p95"),
                 p99=g("quantiles_p99"))


def parse(data: bytes, name: str) -> Parsed:
    d = load_json(data, name, EXPECTED)
    if not isinstance(d, dict) or "results_ttft_s_mean" not in d and "results_ttft_s_quantiles_p50" not in d:
        raise fail(name, f"no results_ttft_s_* keys: expected {EXPECTED}")
    per_min = num(d.get("results_num_completed_requests_per_min"))
    point = {"concurrency": num(d.get("num_concurrent_requests")),
             "request_throughput_rps": None if per_min is None else per_min / 60.0,
             "output_tokens_per_s": num(d.get("results_mean_output_throughput_token_per_s")),
             "ttft_ms": _stats_ms(d, "ttft_s"), "tpot_ms": _stats_ms(d, "inter_token_latency_s")}
    if not (point["ttft_ms"] or point["tpot_ms"] or point["output_tokens_per_s"] or point["request_throughput_rps"]):
        raise fail(name, f"no finite latency or throughput numbers (NaN, infinite or missing): expected {EXPECTED}")
    isl = num(d.get("results_number_input_tokens_mean")) or num(d.get("mean_input_tokens"))
    osl = num(d.get("results_number_output_tokens_mean")) or num(d.get("mean_output_tokens"))
    as_of = None
    ts = num(d.get("timestamp"))
    if ts is not None and 0 < ts < 1e11:
        as_of = _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat()
    notes = []
    err = num(d.get("results_error_rate"))
    if err:
        notes.append(f"{name}: error rate {err:.1%}")
    return Parsed([point], isl=isl, osl=osl, weight=num(d.get("results_num_completed_requests")) or 1.0,
                  as_of=as_of, notes=notes)
