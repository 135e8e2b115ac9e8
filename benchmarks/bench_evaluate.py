"""Speed of evaluate(): a 60-month, 20-option scenario on the bundled catalog.

Run: .venv/bin/python benchmarks/bench_evaluate.py
Reports option-months per second for (a) the whole evaluate() call (resolution + kernels +
finance) and (b) the vectorised kernels alone on a stacked batch of options (what Monte Carlo and
the optimizer lean on). Numbers are reported, never asserted in tests.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tco.catalog import load_catalog  # noqa: E402
from tco.engine import evaluate, self_host_kernel, stack_self_host  # noqa: E402
from tco.scenario import parse_scenario  # noqa: E402

MONTHS, N_OPTIONS = 60, 20


def scenario():
    apis = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "together/llama-3.1-70b",
            "groq/llama-3.1-8b", "openai/gpt-4.1", "openai/gpt-4", "openai/gpt-3.5-turbo"]
    opts = [{"name": f"api {a}", "api": a} for a in apis]
    i = 0
    while len(opts) < N_OPTIONS:
        cap = 0.5 + 0.25 * i
        pay = [{"rent": {"usd_per_gpu_hour": 2.0 + 0.1 * i}}, {"rent": {"offer": "aws-p5.48xlarge"}},
               {"own": {"server": "hgx-h100-8gpu"}}][i % 3]
        opts.append({"name": f"self-host {i}", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm",
                     "precision": "fp8", "gpus_per_replica": 2, "capacity_rps_per_replica": cap, **pay}})
        i += 1
    return parse_scenario({"name": "bench", "start": "2027-01", "months": MONTHS,
                           "workload": {"requests_per_day": 500_000, "input_tokens": 1500, "output_tokens": 400,
                                        "growth_per_month": 0.04, "peak_to_average": 2.5, "cached_input_share": 0.2},
                           "options": opts})


def timeit(fn, min_time=1.0):
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time:
        fn()
        n += 1
    return (time.perf_counter() - t0) / n


def main():
    cat = load_catalog()
    s = scenario()
    t = timeit(lambda: evaluate(s, cat))
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"evaluate(): {MONTHS} months x {N_OPTIONS} options in {t * 1e3:.2f} ms "
          f"= {MONTHS * N_OPTIONS / t:,.0f} option-months/s")
    # kernels alone on a large stacked batch (e.g. optimizer candidates / Monte Carlo draws)
    res = evaluate(s, cat)
    params = [o.params for o in res.options if o.kind == "self_host"]
    batch = params * 500  # 6,000 stacked self-host options
    stacked = stack_self_host(batch)
    peak = res.options[0].peak_rps
    t2 = timeit(lambda: self_host_kernel(peak, stacked, 240_000.0, MONTHS))
    print(f"self_host_kernel: {len(batch)} options x {MONTHS} months in {t2 * 1e3:.1f} ms "
          f"= {len(batch) * MONTHS / t2:,.0f} option-months/s")


if __name__ == "__main__":
    main()
