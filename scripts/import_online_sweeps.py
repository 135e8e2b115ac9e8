"""Regenerate data/profiles/online_sweeps.yaml from the InferenceMAX/InferenceX sweep CSV.

    python scripts/import_online_sweeps.py <the reference online_sweeps.csv> \
        --out data/profiles/online_sweeps.yaml

Keeps the latest run per configuration (tco/importers/sweeps.py explains the conventions) and prints what
was kept and skipped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tco.importers.sweeps import dump_profiles, read_rows, sweeps_to_profiles  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", help="online_sweeps.csv")
    ap.add_argument("--out", default=str(ROOT / "data" / "profiles" / "online_sweeps.yaml"))
    a = ap.parse_args(argv)
    profiles, rep = sweeps_to_profiles(read_rows(a.csv), Path(a.csv).name)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    dump_profiles(profiles, a.out)
    print(f"{rep.rows} rows read, {rep.kept_rows} kept in {rep.profiles} profiles, "
          f"{rep.older_runs_dropped} rows of older runs dropped -> {a.out}")
    for why, n in sorted(rep.skipped.items()):
        print(f"  skipped {n}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
