"""Calibrate the estimator on the measured reference rows and publish its error.

    python benchmarks/estimator_validation.py            # print the calibration and the tables
    python benchmarks/estimator_validation.py --write    # also rewrite the tables in docs/estimator.md

Reference rows: ../shared/reference/throughput_measured_dev.csv (TensorRT-LLM on H100, H200, B200).
Models and GPUs come from data/models.yaml and data/gpus.yaml (parsed directly, so the other
catalogs need not exist).

Targets
-------
* offline_throughput rows: output tokens/s at max throughput. (Online QPS=INF rows are left out:
  the Triton batch limit of those runs is not published, so they are not max-batch figures.)
* online rows below saturation (achieved >= 90 % of the offered rate): mean TTFT and mean TPOT
  (the CSV's mean ITL) at the achieved request rate.

Calibration minimises the mean squared log error over all targets (TTFT weighted 0.5) by
coordinate descent in log space over the six factors of tco.model.perf.Calibration.
Leave-one-GPU-out: calibrate on the rows of the other GPUs, predict the held-out GPU's rows.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tco.catalog import GpuEntry, ModelEntry  # noqa: E402
from tco.model.perf import CALIBRATION, Calibration, config_arrays, estimate_arrays  # noqa: E402
from tco.io.safeyaml import load_yaml_file  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "throughput_measured_dev.csv"
DOC = ROOT / "docs" / "estimator.md"
BEGIN, END = "<!-- BEGIN GENERATED TABLES -->", "<!-- END GENERATED TABLES -->"

MODEL_IDS = {
    "Llama 3.1 8B": "llama-3.1-8b", "Llama 3.1 70B": "llama-3.1-70b", "Llama 3.1 405B": "llama-3.1-405b",
    "Llama 3.3 70B": "llama-3.3-70b", "Llama 4 Scout 17B-16E": "llama-4-scout",
    "Llama 4 Maverick 17B-128E": "llama-4-maverick",
}
GPU_IDS = {"H100 SXM 80GB": "h100-sxm", "H200 SXM 141GB": "h200", "B200 180GB": "b200"}
PARAMS = ("eff_bw", "eff_decode", "eff_prefill", "step_overhead_ms", "allreduce_latency_us", "moe_factor")
BOUNDS = {"eff_bw": (0.05, 1.0), "eff_decode": (0.02, 1.0), "eff_prefill": (0.05, 1.0),
          "step_overhead_ms": (0.01, 30.0), "allreduce_latency_us": (1.0, 200.0), "moe_factor": (1.0, 5.0)}


def load_entries(data_dir: Path = ROOT / "data") -> tuple[dict, dict]:
    models = {m["id"]: ModelEntry.model_validate(m) for m in load_yaml_file(data_dir / "models.yaml")["models"]}
    gpus = {g["id"]: GpuEntry.model_validate(g) for g in load_yaml_file(data_dir / "gpus.yaml")["gpus"]}
    return models, gpus


def load_rows(path: Path = REFERENCE) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _num(s: str):
    s = (s or "").strip()
    return float(s) if s else np.nan


def targets(rows: list[dict], models: dict, gpus: dict) -> dict:
    """Arrays of configurations and targets; ``kind`` is max_tput | ttft | tpot per target row."""
    recs = []
    for r in rows:
        m, g = models[MODEL_IDS[r["model"]]], gpus[GPU_IDS[r["gpu"]]]
        base = dict(model=m, gpu=g, gpus=int(r["num_gpus"]), precision=r["precision"].lower(),
                    isl=float(r["isl"]), osl=float(r["osl"]), gpu_id=g.id, scenario=r["scenario"],
                    label=f"{m.id} {g.id}x{r['num_gpus']} {r['precision']} {r['isl']}/{r['osl']} {r['load']}")
        qps = re.match(r"QPS=(\d+(?:\.\d+)?)", r["load"])
        if r["load"] == "QPS=INF":
            continue  # Triton's batch limit for these runs is not published: not a max-batch figure
        if r["scenario"] == "offline_throughput":
            recs.append({**base, "kind": "max_tput", "rate": np.nan, "y": _num(r["output_tok_s_total"])})
        elif qps:
            rate = _num(r["request_throughput_rps"])
            if rate < 0.9 * float(qps.group(1)):
                continue  # saturated: latency is queueing, not the engine
            recs.append({**base, "kind": "ttft", "rate": rate, "y": _num(r["mean_ttft_ms"])})
            recs.append({**base, "kind": "tpot", "rate": rate, "y": _num(r["mean_itl_or_tpot_ms"])})
    recs = [x for x in recs if np.isfinite(x["y"])]
    return recs


def predict(recs: list[dict], cal: Calibration) -> np.ndarray:
    c = config_arrays([x["model"] for x in recs], [x["gpu"] for x in recs], [x["gpus"] for x in recs],
                      [x["precision"] for x in recs], [x["isl"] for x in recs], [x["osl"] for x in recs])
    out = estimate_arrays(c, None, np.array([x["rate"] for x in recs]), cal)
    kinds = np.array([x["kind"] for x in recs])
    return np.where(kinds == "max_tput", out["max_output_tokens_per_s"],
                    np.where(kinds == "ttft", out["ttft_ms"], out["tpot_ms"]))


def loss(recs: list[dict], cal: Calibration) -> float:
    y = np.array([x["y"] for x in recs])
    w = np.array([0.5 if x["kind"] == "ttft" else 1.0 for x in recs])
    p = predict(recs, cal)
    e = np.log(np.where(np.isfinite(p) & (p > 0), p, 1e-3) / y)
    return float(np.sum(w * e ** 2) / np.sum(w))


def calibrate(recs: list[dict], start: Calibration = CALIBRATION, rounds: int = 8) -> Calibration:
    """Coordinate descent in log space, shrinking the step each round."""
    best, best_l = start, loss(recs, start)
    steps = [2.0, 1.5, 1.25, 1.1, 1.05, 1.02, 1.01, 1.005][:rounds]
    for step in steps:
        improved = True
        while improved:
            improved = False
            for p in PARAMS:
                for mult in (step, 1.0 / step):
                    v = float(np.clip(getattr(best, p) * mult, *BOUNDS[p]))
                    cand = replace(best, **{p: v})
                    l_ = loss(recs, cand)
                    if l_ < best_l - 1e-12:
                        best, best_l, improved = cand, l_, True
    return replace(best, source="fitted on throughput_measured_dev.csv (benchmarks/estimator_validation.py)")


def ape(recs: list[dict], cal: Calibration) -> np.ndarray:
    y = np.array([x["y"] for x in recs])
    return np.abs(predict(recs, cal) / y - 1.0) * 100.0


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _stats(errs: np.ndarray) -> list:
    if len(errs) == 0:
        return [0, "-", "-"]
    return [len(errs), f"{np.median(errs):.1f}", f"{np.percentile(errs, 90):.1f}"]


def report(recs: list[dict], cal: Calibration, loo: dict[str, tuple[Calibration, np.ndarray]]) -> str:
    err = ape(recs, cal)
    kinds = np.array([x["kind"] for x in recs])
    gids = np.array([x["gpu_id"] for x in recs])
    names = {"max_tput": "max output tokens/s", "tpot": "mean TPOT", "ttft": "mean TTFT"}
    parts = ["**Calibration** (all reference rows):", "",
             _table(["parameter", "value"], [[p, f"{getattr(cal, p):.4g}"] for p in PARAMS]), "",
             "**In-sample error** (absolute percentage error, %):", "",
             _table(["GPU", "target", "rows", "median APE %", "p90 APE %"],
                    [[g, names[k], *_stats(err[(gids == g) & (kinds == k)])]
                     for g in sorted(set(gids)) for k in names if ((gids == g) & (kinds == k)).any()]
                    + [["all", "all", *_stats(err)]]), "",
             "**Leave-one-GPU-out** (calibrated without the GPU, predicting it; %):", "",
             _table(["held-out GPU", "target", "rows", "median APE %", "p90 APE %"],
                    [[g, names[k], *_stats(e[kinds[gids == g] == k])]
                     for g, (_, e) in loo.items() for k in names if (kinds[gids == g] == k).any()]
                    + [[g, "all", *_stats(e)] for g, (_, e) in loo.items()]), "",
             "Leave-one-GPU-out calibrations:", "",
             _table(["held-out GPU", *PARAMS], [[g, *[f"{getattr(c, p):.4g}" for p in PARAMS]]
                                                for g, (c, _) in loo.items()])]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the generated tables in docs/estimator.md")
    args = ap.parse_args(argv)
    models, gpus = load_entries()
    recs = targets(load_rows(), models, gpus)
    t0 = time.perf_counter()
    cal = calibrate(recs)
    gids = np.array([x["gpu_id"] for x in recs])
    loo = {}
    for g in sorted(set(gids)):
        train = [x for x in recs if x["gpu_id"] != g]
        test = [x for x in recs if x["gpu_id"] == g]
        c_g = calibrate(train)
        loo[g] = (c_g, ape(test, c_g))
    text = report(recs, cal, loo)
    print("Calibration(" + ", ".join(f"{p}={getattr(cal, p):.4g}" for p in PARAMS) + ")")
    print(f"[{len(recs)} targets, fitted in {time.perf_counter() - t0:.1f} s]\n")
    print(text)
    if args.write:
        from tco.io.atomic import atomic_write_text

        doc = DOC.read_text(encoding="utf-8")
        if BEGIN not in doc or END not in doc:
            print(f"error: {DOC} lacks the {BEGIN} / {END} markers", file=sys.stderr)
            return 1
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        atomic_write_text(DOC, f"{head}{BEGIN}\n{text}\n{END}{tail}")
        print(f"\nwrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
