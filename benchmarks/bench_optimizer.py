"""Optimizer search time on the bundled catalogs (run by hand: python benchmarks/bench_optimizer.py).

Searches every model x GPU x GPUs per replica (1, 2, 4, 8) x precision x way to pay plus the API
offers for each bundled scenario, and prints the candidate counts and the wall time (best of N runs,
after one warm-up run that pays for imports).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tco.catalog import load_catalog  # noqa: E402
from tco.optimizer import optimize  # noqa: E402
from tco.scenario import load_scenario  # noqa: E402


def main(repeats: int = 3) -> None:
    catalog = load_catalog()
    for path in sorted((ROOT / "data" / "scenarios").glob("*.yaml")):
        scenario = load_scenario(str(path))
        optimize(scenario, catalog)  # warm-up
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            res = optimize(scenario, catalog)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(f"{path.stem:<24} {len(res.candidates):>6,} candidates ({len(res.feasible):,} feasible): "
              f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s wall; "
              f"best {min(cpu):.2f} s CPU of this process")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
