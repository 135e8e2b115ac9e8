"""vLLM ``vllm bench serve --save-result`` / ``benchmark_serving.py`` JSON, ``vllm bench sweep``
outputs, and the nightly benchmark summary table.

* One result object = one point. Both key sets are read (legacy ``"request_goodput:"`` with a colon,
  current ``request_goodput``, ``failed``, ...); ``request_rate`` may be the string ``"inf"``
  (unbounded: no request rate, ``load: request_rate=inf``). Latencies are already in ms. Per-request
  arrays are never read (the streaming reader drops them).
* ``vllm bench sweep``: ``summary.json`` is a JSON list of full result objects (one per run, with
  the serve and bench parameters of the run merged in) -> one point per run; a folder of
  ``run=N.json`` files imports the same way. Runs that differ in model or in a serve parameter are
  different configurations (see :func:`tco.importers.select_group`).
* Nightly table: a JSON list of rows with ``"Tput (req/s)"``, one point per row; rows are grouped
  by the test name without its ``_qps_N`` suffix (``serving_qwen2_5_7B_tp1``), a group per model
  and parallelism. Latency columns without a Mean/Median/P99 prefix (``"TTFT (ms)"``) do not say
  which statistic they are: they are not imported and the profile lists them as missing.
* ``backend`` / ``endpoint_type`` name the client protocol (``vllm``, ``openai``, ``openai-chat``),
  not the server: recorded as ``endpoint``. The engine (``vLLM <version>``) and ``engine_version`` are
  only taken from an explicit version key (``engine_version``, ``vllm_version``, ``server_version``, as
  ``--metadata`` writes them).
* ``tp`` (and GPUs per replica = tp x pp) from ``tensor_parallel_size`` / ``tp`` (and
  ``pipeline_parallel_size`` / ``pp``) keys, a sweep's serve parameters, or a server command line in the
  file (``server_command``: ``--tensor-parallel-size 8``); the nightly table's test names
  (``..._tp8_...``) and file names (:func:`tco.importers.with_name_facts`) state them too. A file that
  states none leaves ``tp`` empty and lists it as missing.
* A run with ``completed: 0`` or zero throughput is refused.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from tco.importers.common import (
    Parsed,
    check_measured,
    display_name,
    engine_version_stated,
    fail,
    gpus_in_text,
    num,
    parallel_stated,
    parse_date,
    stats,
    tp_in_text,
)

EXPECTED = ("a vLLM bench serve --save-result JSON object (keys request_throughput, output_throughput, "
            "mean_ttft_ms, ...), a vllm bench sweep summary (a list of such objects) or a vLLM nightly "
            "benchmark_results.json table")
METRICS = ("ttft", "tpot", "itl")
#: Keys of a bench serve result (anything else in a sweep run is a serve/bench parameter).
RESULT_KEYS = {
    "date", "endpoint_type", "backend", "label", "model_id", "tokenizer_id", "num_prompts", "request_rate",
    "burstiness", "max_concurrency", "duration", "completed", "failed", "total_input_tokens",
    "total_output_tokens", "request_throughput", "request_goodput", "request_goodput:", "output_throughput",
    "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests", "rtfx", "run_number",
    "input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors", "start_times", "percentiles",
}


def _stats(d: dict, metric: str) -> dict:
    return stats(mean=num(d.get(f"mean_{metric}_ms")), median=num(d.get(f"median_{metric}_ms")),
                 p90=num(d.get(f"p90_{metric}_ms")), p95=num(d.get(f"p95_{metric}_ms")),
                 p99=num(d.get(f"p99_{metric}_ms")))


def is_result(d: Any) -> bool:
    return isinstance(d, dict) and "request_throughput" in d and "output_throughput" in d


def parse_result(d: dict, name: str, run: str = "") -> Parsed:
    shown = display_name(name)
    missing = [k for k in ("request_throughput", "output_throughput") if k not in d]
    if missing or not any(f"mean_{m}_ms" in d for m in METRICS):
        raise fail(shown, f"{run + ': ' if run else ''}missing {', '.join(missing) or 'mean_ttft_ms/mean_tpot_ms'}: "
                          f"expected {EXPECTED}")
    rps, tok = num(d.get("request_throughput")), num(d.get("output_throughput"))
    if rps is None or tok is None:
        raise fail(shown, "request_throughput and output_throughput must be numbers", "request_throughput")
    completed, failed = num(d.get("completed")), num(d.get("failed"))
    if completed is not None and completed <= 0:
        extra = f", failed {failed:g}" if failed else ""
        raise fail(shown, f"{run + ': ' if run else ''}no completed request (completed 0{extra}): every request "
                          "failed; nothing was measured; not imported")
    rate = d.get("request_rate")
    unbounded = isinstance(rate, str) and rate.strip().lower() == "inf"
    point = {"request_rate": None if unbounded else num(rate), "load": "request_rate=inf" if unbounded else None,
             "concurrency": num(d.get("max_concurrency")), "request_throughput_rps": rps, "output_tokens_per_s": tok,
             "ttft_ms": _stats(d, "ttft"), "tpot_ms": _stats(d, "tpot"), "itl_ms": _stats(d, "itl")}
    check_measured(point, name, run)
    isl = osl = None
    if completed:
        isl = (num(d.get("total_input_tokens")) or 0) / completed or None
        osl = (num(d.get("total_output_tokens")) or 0) / completed or None
    notes = []
    if failed:
        notes.append(f"{shown}{' ' + run if run else ''}: {failed:g} failed requests")
    endpoint = next((str(d[k]) for k in ("backend", "endpoint_type") if isinstance(d.get(k), str) and d[k]), None)
    version = engine_version_stated(d)
    engine = version if version is None or version.lower().startswith("vllm") else f"vLLM {version}"
    tp, pp, tp_from = parallel_stated(d)
    gpus = tp * (pp or 1) if tp else None
    params = {k: v for k, v in d.items() if k not in RESULT_KEYS and not isinstance(v, (list, dict))
              and not re.match(r"^(mean|median|std|p\d+)_", k)}
    return Parsed([point], isl=isl, osl=osl, weight=completed or 1.0, as_of=parse_date(d.get("date")), params=params,
                  engine=engine, endpoint=endpoint, model=d.get("model_id") if isinstance(d.get("model_id"), str) else None,
                  gpus=gpus, gpus_from="the file (tensor x pipeline parallel size)" if gpus else None,
                  tp=tp, tp_from=f"the file ({tp_from})" if tp else None, engine_version=version, tool="vllm", notes=notes)


def _group_label(d: dict, varying: list[str]) -> Optional[str]:
    return ", ".join(f"{k}={d.get(k)}" for k in varying) or None


def parse_sweep(runs: list, name: str) -> list[Parsed]:
    """A ``vllm bench sweep`` summary: one point per run; runs that differ in model or a serve
    parameter are separate configurations."""
    params = sorted({k for r in runs for k, v in r.items() if k not in RESULT_KEYS and not isinstance(v, (list, dict))
                     and not re.match(r"^(mean|median|std|p\d+)_", k)})
    varying = [k for k in ["model_id", *params] if len({repr(r.get(k)) for r in runs}) > 1]
    out = []
    for i, r in enumerate(runs):
        label = f"run {r.get('run_number', i)}" if "run_number" in r else f"run {i + 1}"
        p = parse_result(r, name, label)
        p.group = _group_label(r, varying)
        out.append(p)
    return out


_QPS = re.compile(r"_qps_(\d+(?:\.\d+)?|inf)$", re.I)
_STAT_PREFIX = {"Mean": "mean", "Median": "median", "P90": "p90", "P95": "p95", "P99": "p99"}


def parse_table(rows: list, name: str) -> list[Parsed]:
    shown = display_name(name)
    groups: dict[str, Parsed] = {}
    unprefixed: set[str] = set()
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or "Tput (req/s)" not in r:
            raise fail(shown, f"row {i + 1} lacks 'Tput (req/s)': expected {EXPECTED}")
        test = str(r.get("Test name", f"row {i + 1}"))
        m = _QPS.search(test)
        group = test[: m.start()] if m else test
        rate_txt = m.group(1) if m else r.get("Request rate (req/s)")
        unbounded = isinstance(rate_txt, str) and rate_txt.lower() == "inf"
        rate = None if unbounded else num(rate_txt)

        def st(label: str) -> dict:
            if f"{label} (ms)" in r:
                unprefixed.add(f"'{label} (ms)'")
            return stats(**{v: num(r.get(f"{k} {label} (ms)")) for k, v in _STAT_PREFIX.items()})

        point = {"request_rate": rate, "load": "request_rate=inf" if unbounded else None,
                 "request_throughput_rps": num(r.get("Tput (req/s)")),
                 "output_tokens_per_s": num(r.get("Output Tput (tok/s)")), "ttft_ms": st("TTFT"),
                 "tpot_ms": st("TPOT"), "itl_ms": st("ITL")}
        check_measured(point, name, test)
        g = groups.get(group)
        if g is None:
            gpus, tp = gpus_in_text(group), tp_in_text(group)
            g = groups[group] = Parsed([], group=group, gpus=gpus, tool="vllm",
                                       gpus_from=f"the test name '{group}'" if gpus else None, tp=tp,
                                       tp_from=f"the test name '{group}'" if tp else None,
                                       notes=["vLLM summary table: ISL/OSL not given"])
        g.points.append(point)
    if unprefixed:
        note = (f"latency columns {', '.join(sorted(unprefixed))} do not say which statistic they are "
                "(no Mean/Median/P99 prefix): not imported")
        for g in groups.values():
            g.notes.append(note)
    return list(groups.values())


def parse_doc(doc: Any, name: str) -> list[Parsed]:
    shown = display_name(name)
    if isinstance(doc, dict):
        return [parse_result(doc, name)]
    if isinstance(doc, list) and doc:
        if all(is_result(r) for r in doc):
            return parse_sweep(doc, name)
        return parse_table(doc, name)
    raise fail(shown, f"got a JSON {type(doc).__name__}{' (empty)' if doc == [] else ''}: expected {EXPECTED}")
