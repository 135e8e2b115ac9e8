"""Monte Carlo speed: 10,000 draws x 60 months x 6 options (2 API, 2 rented, 2 owned), every default
uncertain input drawn (11 inputs, triangular). Target: under 0.3 s on a 2-core machine.

Run: python benchmarks/bench_montecarlo.py [--draws N] [--repeat R]
Prints seconds per run and draws x months x options per second. Uses tests/fixtures/mini_data and
inline capacities, so it does not depend on the throughput profiles.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tco import analysis  # noqa: E402
from tco.catalog import load_catalog  # noqa: E402
from tco.engine import evaluate  # noqa: E402
from tco.scenario import parse_scenario  # noqa: E402


def scenario():
    sh = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "staff_fte": 0.5}
    return parse_scenario({
        "name": "bench", "start": "2027-01", "months": 60,
        "workload": {"requests_per_day": 200_000, "input_tokens": 1200, "output_tokens": 350, "growth_per_month": 0.03,
                     "peak_to_average": 2.5, "cached_input_share": 0.3},
        "finance": {"discount_rate": 0.08, "api_price_change_per_year": -0.2, "rent_price_change_per_year": -0.1},
        "ops": {"fte_cost_per_year": 240_000},
        "options": [
            {"name": "GPT-4o", "api": "openai/gpt-4o"},
            {"name": "Hosted Llama", "prices": {"input": 0.88, "output": 0.88}},
            {"name": "Rent per GPU", "self_host": {**sh, "capacity_rps_per_replica": 1.8, "rent": {"usd_per_gpu_hour": 2.49}}},
            {"name": "Rent 8x instance", "self_host": {**sh, "capacity_rps_per_replica": 1.8, "rent": {"offer": "test-8x-h100"}}},
            {"name": "Own 4-year", "self_host": {**sh, "capacity_rps_per_replica": 1.8, "own": {"server": "test-server", "depreciation_years": 4}}},
            {"name": "Own 3-year", "self_host": {**sh, "capacity_rps_per_replica": 2.2, "own": {"server": "test-server", "depreciation_years": 3}}},
        ]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cat = load_catalog(ROOT / "tests" / "fixtures" / "mini_data")
    result = evaluate(scenario(), cat)
    unc = analysis.default_uncertainties(result, cat)
    n_opt, months = len(result.options), len(result.months)
    analysis.monte_carlo(result, unc, draws=200, seed=0)  # warm-up (imports, allocations)
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        mc = analysis.monte_carlo(result, unc, draws=args.draws, seed=0)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    cells = args.draws * months * n_opt
    print(f"{args.draws:,} draws x {months} months x {n_opt} options, {len(unc)} uncertain inputs")
    print(f"best of {args.repeat}: {best:.3f} s wall, {best_cpu:.3f} s CPU of this process  "
          f"({cells / best:,.0f} draw-month-options per second)")
    print("P(cheapest):", {k: round(v, 3) for k, v in mc.probability_cheapest().items()})


if __name__ == "__main__":
    main()
