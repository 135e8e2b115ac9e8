"""ray-project/llmperf ``*_summary.json`` (``token_benchmark_ray.py``): latencies in **seconds**.

One summary = one point at ``num_concurrent_requests``. llmperf's ``inter_token_latency_s`` is a
per-request mean time between tokens, i.e. vLLM's TPOT definition, so it is stored as ``tpot_ms``.
Wrappers that collect several summaries in one object keyed by concurrency
(``{"1": {...summary...}, "2": {...}}``, as llmperf-bench publishes them) give one point per
summary. ``timestamp`` (epoch s or ms) is the run date; ``version`` is llmperf's own version, not
the engine's. User metadata is flattened into the summary: ``tensor_parallel_size`` / ``tp`` (and ``pp``)
and ``engine_version`` / ``vllm_version`` / ``server_version`` keys are read where present (the engine
itself is not named by llmperf; file names such as ``..._tp_1_...`` state tp, see
:func:`tco.importers.with_name_facts`). A summary with no completed request or zero throughput is refused.
"""
from __future__ import annotations

from typing import Any, Optional

from tco.importers.common import (
    Parsed,
    check_measured,
    display_name,
    engine_version_stated,
    fail,
    load_json,
    num,
    parallel_stated,
    parse_date,
    stats,
)

EXPECTED = ("an LLMPerf *_summary.json object (keys results_ttft_s_mean, results_inter_token_latency_s_mean, "
            "num_concurrent_requests, ...) or an object of such summaries keyed by concurrency")


def _stats_ms(d: dict, metric: str) -> dict:
    def g(key: str) -> Optional[float]:
        v = num(d.get(f"results_{metric}_{key}"))
        return None if v is None else v * 1000.0  # [s] -> [ms]

    return stats(mean=g("mean"), median=g("quantiles_p50"), p90=g("quantiles_p90"), p95=g("quantiles_p95"),
                 p99=g("quantiles_p99"))


def _is_summary(d: Any) -> bool:
    return isinstance(d, dict) and ("results_ttft_s_mean" in d or "results_ttft_s_quantiles_p50" in d)


def parse_summary(d: dict, name: str, run: str = "") -> Parsed:
    shown = display_name(name)
    completed = num(d.get("results_num_completed_requests"))
    if completed is not None and completed <= 0:
        raise fail(shown, f"{run + ': ' if run else ''}no completed request (results_num_completed_requests 0): "
                          "nothing was measured; not imported")
    per_min = num(d.get("results_num_completed_requests_per_min"))
    point = {"concurrency": num(d.get("num_concurrent_requests")),
             "request_throughput_rps": None if per_min is None else per_min / 60.0,
             "output_tokens_per_s": num(d.get("results_mean_output_throughput_token_per_s")),
             "ttft_ms": _stats_ms(d, "ttft_s"), "tpot_ms": _stats_ms(d, "inter_token_latency_s")}
    if not (point["ttft_ms"] or point["tpot_ms"] or point["output_tokens_per_s"] or point["request_throughput_rps"]):
        raise fail(shown, f"no finite latency or throughput numbers (NaN, infinite or missing): expected {EXPECTED}")
    check_measured(point, name, run)
    isl = num(d.get("results_number_input_tokens_mean")) or num(d.get("mean_input_tokens"))
    osl = num(d.get("results_number_output_tokens_mean")) or num(d.get("mean_output_tokens"))
    notes = []
    err = num(d.get("results_error_rate"))
    if err:
        notes.append(f"{shown}{' ' + run if run else ''}: error rate {err:.1%}")
    model = d.get("model") if isinstance(d.get("model"), str) else None
    tp, pp, tp_from = parallel_stated(d)  # user metadata is flattened into the summary
    return Parsed([point], isl=isl, osl=osl, weight=completed or 1.0, as_of=parse_date(d.get("timestamp")),
                  model=model, tool="llmperf", notes=notes, tp=tp, tp_from=f"the file ({tp_from})" if tp else None,
                  gpus=tp * (pp or 1) if tp else None,
                  gpus_from="the file (tensor x pipeline parallel size)" if tp else None,
                  engine_version=engine_version_stated(d))


def parse_doc(d: Any, name: str) -> list[Parsed]:
    shown = display_name(name)
    if _is_summary(d):
        return [parse_summary(d, name)]
    if isinstance(d, dict) and d and all(_is_summary(v) for v in d.values()):
        out = [parse_summary(v, name, f"concurrency {k}") for k, v in d.items()]
        models = {p.model for p in out}
        if len(models) > 1:
            for (k, _), p in zip(d.items(), out):
                p.group = p.model
        return out
    raise fail(shown, f"no results_ttft_s_* keys: expected {EXPECTED}")


def parse(data: bytes, name: str) -> list[Parsed]:

    return parse_doc(load_json(data, name, EXPECTED), name)
