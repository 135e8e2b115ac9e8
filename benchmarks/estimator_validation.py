"""Calibrate the estimator on offline and online measured data and publish its error.

    python benchmarks/estimator_validation.py            # print the calibration and the tables
    python benchmarks/estimator_validation.py --write    # also rewrite docs/estimator.md's tables,
                                                         # the figures in docs/img/ and the generated
                                                         # CALIBRATION / ESTIMATE_RANGE in tco/model/perf.py

Reference data
--------------
* ../shared/reference/throughput_measured_dev.csv (TensorRT-LLM on H100, H200, B200; Llama):
  offline rows -> max output tokens/s; online rows below saturation (achieved >= 90 % of the
  offered rate) -> mean TTFT and TPOT at the achieved rate. (QPS=INF rows are left out: the Triton
  batch limit of those runs is not published.)
* data/profiles/online_sweeps.yaml (InferenceMAX/InferenceX; gpt-oss-120b and DeepSeek-R1 on H100,
  H200, B200, GB200, MI300X, MI355X under vLLM, SGLang, TensorRT-LLM, ATOM): aggregated,
  non-speculative profiles with TP = GPUs -> output tokens/s, median TPOT and median TTFT at each
  concurrency. Disaggregated and MTP profiles are left out (another serving model).

Calibration minimises the weighted mean squared log error (each dataset x target weighs the same
in total; TTFT half) with Powell's method in log space within tco.model.perf.CALIBRATION_BOUNDS, from
three starting points (the loss has more than one basin); parameters outside the bounds table are
fixed judgements (tco.model.perf).
Leave-one-GPU-out: calibrate without a GPU's rows, predict them. The P10-P90 of the leave-one-GPU-out
measured/predicted ratios per kind of configuration become tco.model.perf.ESTIMATE_RANGE.
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

from tco.catalog import GpuEntry, ModelEntry, ProfileEntry  # noqa: E402
from tco.model.perf import (CALIBRATION, CALIBRATION_BOUNDS, Calibration, config_arrays,  # noqa: E402
                      estimate_arrays)
from tco.io.safeyaml import load_yaml_file  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "throughput_measured_dev.csv"
SWEEPS = ROOT / "data" / "profiles" / "online_sweeps.yaml"
DOC = ROOT / "docs" / "estimator.md"
IMG = ROOT / "docs" / "img"
PERF = ROOT / "tco" / "model" / "perf.py"
BEGIN, END = "<!-- BEGIN GENERATED TABLES -->", "<!-- END GENERATED TABLES -->"
CAL_BEGIN, CAL_END = "# BEGIN GENERATED CALIBRATION", "# END GENERATED CALIBRATION"

MODEL_IDS = {
    "Llama 3.1 8B": "llama-3.1-8b", "Llama 3.1 70B": "llama-3.1-70b", "Llama 3.1 405B": "llama-3.1-405b",
    "Llama 3.3 70B": "llama-3.3-70b", "Llama 4 Scout 17B-16E": "llama-4-scout",
    "Llama 4 Maverick 17B-128E": "llama-4-maverick",
}
GPU_IDS = {"H100 SXM 80GB": "h100-sxm", "H200 SXM 141GB": "h200", "B200 180GB": "b200"}
PARAMS = tuple(CALIBRATION_BOUNDS)
BOUNDS = CALIBRATION_BOUNDS
NAMES = {"max_tput": "max output tokens/s", "tput": "output tokens/s per GPU at a concurrency",
         "tpot": "TPOT", "ttft": "TTFT"}


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


def targets(rows: list[dict], models: dict, gpus: dict) -> list[dict]:
    """Targets of throughput_measured_dev.csv; ``kind`` is max_tput | ttft | tpot."""
    recs = []
    for r in rows:
        m, g = models[MODEL_IDS[r["model"]]], gpus[GPU_IDS[r["gpu"]]]
        base = dict(model=m, gpu=g, gpus=int(r["num_gpus"]), precision=r["precision"].lower(),
                    isl=float(r["isl"]), osl=float(r["osl"]), gpu_id=g.id, family=m.family, dataset="trtllm",
                    conc=np.nan, dpa=None, engine="trt-llm", profile=None,
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
    return [x for x in recs if np.isfinite(x["y"])]


def sweep_targets(models: dict, gpus: dict, path: Path = SWEEPS) -> list[dict]:
    """Targets of the online sweeps; ``kind`` is tput (per GPU) | tpot | ttft (medians)."""
    recs = []
    for d in load_yaml_file(path)["profiles"]:
        p = ProfileEntry.model_validate(d)
        if p.disaggregated or p.speculative or (p.tp or p.gpus) != p.gpus:
            continue
        m, g = models[p.model], gpus[p.gpu]
        for pt in p.points:
            base = dict(model=m, gpu=g, gpus=p.gpus, precision=p.precision, isl=p.isl, osl=p.osl, gpu_id=g.id,
                        family=m.family, dataset="sweeps", conc=pt.concurrency, rate=np.nan, dpa=p.dp_attention,
                        engine=p.engine, profile=p.id, label=f"{p.id} c{pt.concurrency:g}")
            if pt.output_tokens_per_s:
                recs.append({**base, "kind": "tput", "y": pt.output_tokens_per_s / p.gpus})
            if pt.tpot_ms.median:
                recs.append({**base, "kind": "tpot", "y": pt.tpot_ms.median})
            if pt.ttft_ms.median:
                recs.append({**base, "kind": "ttft", "y": pt.ttft_ms.median})
    return recs


class Prepared:
    """Configuration arrays built once per record set (calibration re-evaluates them many times)."""

    def __init__(self, recs: list[dict]):
        self.recs = recs
        self.c = config_arrays([x["model"] for x in recs], [x["gpu"] for x in recs], [x["gpus"] for x in recs],
                               [x["precision"] for x in recs], [x["isl"] for x in recs], [x["osl"] for x in recs],
                               dp_attention=[x["dpa"] for x in recs])
        self.conc = np.array([x["conc"] for x in recs], dtype=float)
        self.rate = np.array([x["rate"] for x in recs], dtype=float)
        self.kind = np.array([x["kind"] for x in recs])
        self.y = np.array([x["y"] for x in recs], dtype=float)
        self.gpus = np.array([x["gpus"] for x in recs], dtype=float)
        grp = np.array([f"{x['dataset']}/{x['kind']}" for x in recs])
        w = np.array([0.5 if k == "ttft" else 1.0 for k in self.kind])
        for g_ in set(grp):  # each dataset x target weighs the same in total
            w[grp == g_] /= (grp == g_).sum()
        self.w = w

    def subset(self, mask: np.ndarray) -> "Prepared":
        return Prepared([x for x, k in zip(self.recs, mask) if k])

    def predict(self, cal: Calibration) -> np.ndarray:
        # rows given by request rate need the rate bisection; evaluate them apart (faster)
        r = ~np.isnan(self.rate)
        pred = np.full(len(self.y), np.nan)
        for m in (r, ~r):
            if not m.any():
                continue
            c = self._sub(m)
            out = estimate_arrays(c, self.conc[m], self.rate[m], cal, data_parallel=False)
            k = self.kind[m]
            pred[m] = np.select([k == "max_tput", k == "tput", k == "ttft"],
                                [out["max_output_tokens_per_s"], out["output_tokens_per_s"] / self.gpus[m],
                                 out["ttft_ms"]], out["tpot_ms"])
        return pred

    def _sub(self, m: np.ndarray):
        cache = self.__dict__.setdefault("_cache", {})
        hit = cache.get(m.tobytes())
        if hit is None:
            hit = replace(self.c, **{f: getattr(self.c, f)[m] for f in self.c.__dataclass_fields__
                                     if isinstance(getattr(self.c, f), np.ndarray)})
            cache[m.tobytes()] = hit
        return hit

    def loss(self, cal: Calibration) -> float:
        p = self.predict(cal)
        e = np.log(np.where(np.isfinite(p) & (p > 0), p, 1e-3) / self.y)
        return float(np.sum(self.w * e ** 2) / np.sum(self.w))


def _powell(prep: Prepared, start: Calibration) -> tuple[Calibration, float]:
    """Powell's method in log space within BOUNDS, from ``start`` (scipy.optimize.minimize)."""
    lo = np.log([BOUNDS[p][0] for p in PARAMS])
    hi = np.log([BOUNDS[p][1] for p in PARAMS])
    x0 = np.clip(np.log([getattr(start, p) for p in PARAMS]), lo + 1e-6, hi - 1e-6)

    def cal_of(x):
        return replace(start, **{p: float(np.exp(v)) for p, v in zip(PARAMS, x)})

    res = minimize(lambda x: prep.loss(cal_of(x)), x0, method="Powell", bounds=list(zip(lo, hi)),
                   options={"xtol": 1e-3, "ftol": 1e-6, "maxfev": 4000})
    return cal_of(res.x), float(res.fun)


#: Extra starting points of the full calibration (the loss has more than one basin: fixed per-layer
#: cost against GEMM efficiency). Leave-one-GPU-out fits start from the full calibration.
STARTS = ({}, {"layer_overhead_us": 80.0, "moe_layer_overhead_us": 25.0, "moe_factor": 7.0},
          {"eff_decode": 0.5, "moe_factor": 3.0, "layer_overhead_us": 20.0, "moe_layer_overhead_us": 70.0})


def calibrate(prep: Prepared, start: Calibration = CALIBRATION, multi_start: bool = True) -> Calibration:
    """The calibration with the least loss, from ``start`` (and the STARTS around it)."""
    starts = [replace(start, **{k: float(np.clip(v, *BOUNDS[k])) for k, v in d.items()})
              for d in (STARTS if multi_start else ({},))]
    best = min((_powell(prep, s) for s in starts), key=lambda r: r[1])[0]
    return replace(best, source="fitted (benchmarks/estimator_validation.py)")


def on_bound(cal: Calibration, rel: float = 0.02) -> list[str]:
    """Parameters within ``rel`` (in log space) of a fitting bound."""
    out = []
    for p, (lo, hi) in BOUNDS.items():
        v = getattr(cal, p)
        if abs(np.log(v / lo)) < rel or abs(np.log(hi / v)) < rel:
            out.append(p)
    return out


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _stats(ape: np.ndarray) -> list:
    if len(ape) == 0:
        return [0, "-", "-"]
    return [len(ape), f"{np.median(ape):.1f}", f"{np.percentile(ape, 90):.1f}"]


def _err_rows(prep: Prepared, ratio: np.ndarray, by: str) -> list[list]:
    """Rows of (group, target, n, median APE, p90 APE); ratio = predicted / measured."""
    ape = np.abs(ratio - 1.0) * 100.0
    keys = np.array([x[by] for x in prep.recs])
    rows = []
    for k in sorted(set(keys)):
        for t in NAMES:
            m = (keys == k) & (prep.kind == t) & np.isfinite(ape)
            if m.any():
                rows.append([k, NAMES[t], *_stats(ape[m])])
    return rows


def error_ranges(prep: Prepared, ratio: np.ndarray) -> dict:
    """(P10, P90) of measured / predicted by (dense|moe, max|online) from leave-one-GPU-out ratios."""
    moe = np.array([x["model"].is_moe for x in prep.recs])
    out = {}
    for cls, mm in (("dense", ~moe), ("moe", moe)):
        for tgt, kinds in (("max", ("max_tput",)), ("online", ("tput",))):
            m = mm & np.isin(prep.kind, kinds) & np.isfinite(ratio) & (ratio > 0)
            if m.sum() < 5:  # too few: borrow the other target of the same class, then all
                m = mm & np.isin(prep.kind, ("max_tput", "tput")) & np.isfinite(ratio) & (ratio > 0)
            inv = 1.0 / ratio[m]
            out[(cls, tgt)] = (round(float(np.percentile(inv, 10)), 3), round(float(np.percentile(inv, 90)), 3),
                               int(m.sum()))
    return out


def report(prep: Prepared, cal: Calibration, loo_cal: dict, ratio_in: np.ndarray, ratio_loo: np.ndarray,
           ranges: dict, figures: list[str]) -> str:
    n_tr = sum(1 for x in prep.recs if x["dataset"] == "trtllm")
    n_sw = len(prep.recs) - n_tr
    ape_loo = np.abs(ratio_loo - 1) * 100
    summary = []
    for t, lim in (("max_tput", (15, 40)), ("tput", (20, 50)), ("tpot", (None, None)), ("ttft", (None, None))):
        m = (prep.kind == t) & np.isfinite(ape_loo)
        if m.any():
            st = _stats(ape_loo[m])
            summary.append([NAMES[t], st[0], st[1], st[2], "-" if lim[0] is None else f"<= {lim[0]} / <= {lim[1]}"])
    parts = [
        f"{len(prep.recs)} targets: {n_tr} from throughput_measured_dev.csv (TensorRT-LLM, Llama), "
        f"{n_sw} from the online sweeps (gpt-oss-120b, DeepSeek-R1).", "",
        "**Calibration** (all rows; bounds in `tco.model.perf.CALIBRATION_BOUNDS`):", "",
        _table(["parameter", "value", "bounds", "on a bound?"],
               [[p, f"{getattr(cal, p):.4g}", f"{BOUNDS[p][0]:g} - {BOUNDS[p][1]:g}",
                 "YES" if p in on_bound(cal) else "no"] for p in PARAMS]
               + [[p, f"{getattr(cal, p):.4g}", "not fitted (judgement, tco.model.perf)", "-"]
                  for p in cal.__dataclass_fields__ if p not in PARAMS and p != "source"]), "",
        "**Leave-one-GPU-out summary against the issue's targets** (APE %, median / p90):", "",
        _table(["target", "rows", "median APE %", "p90 APE %", "target median / p90"], summary), "",
        "**In-sample error by GPU** (APE %):", "",
        _table(["GPU", "target", "rows", "median APE %", "p90 APE %"], _err_rows(prep, ratio_in, "gpu_id")), "",
        "**Leave-one-GPU-out error by GPU** (calibrated without the GPU, predicting it; APE %):", "",
        _table(["held-out GPU", "target", "rows", "median APE %", "p90 APE %"], _err_rows(prep, ratio_loo, "gpu_id")),
        "",
        "**In-sample error by model family** (APE %):", "",
        _table(["family", "target", "rows", "median APE %", "p90 APE %"], _err_rows(prep, ratio_in, "family")), "",
        "**Leave-one-GPU-out error by model family** (APE %):", "",
        _table(["family", "target", "rows", "median APE %", "p90 APE %"], _err_rows(prep, ratio_loo, "family")), "",
        "**Range of an estimate** (`tco.model.perf.ESTIMATE_RANGE`: P10-P90 of measured / estimated, leave-one-GPU-out):",
        "",
        _table(["configuration", "target", "P10", "P90", "rows"],
               [[c, t, lo, hi, n] for (c, t), (lo, hi, n) in sorted(ranges.items())]), "",
        "(A class with fewer than 5 rows of its target borrows the rows of both throughput targets of its "
        "class: dense online throughput has no sweep rows, so it uses the dense max-throughput ratios.)", "",
        "Leave-one-GPU-out calibrations:", "",
        _table(["held-out GPU", *PARAMS], [[g, *[f"{getattr(c, p):.4g}" for p in PARAMS]]
                                           for g, c in loo_cal.items()]),
    ]
    if figures:
        parts += ["", "**Figures** (measured sweep next to the estimate at the same concurrencies):", ""]
        parts += [f"![{f}](img/{f})" for f in figures]
    return "\n".join(parts)


FIGURE_CASES = (  # (family, profile id or None for the TRT-LLM rate sweep)
    ("gpt-oss", "gpt-oss-120b-b200-x1-fp4-vllm-tp1-isl1024-osl1024"),
    ("deepseek", "deepseek-r1-0528-h200-x8-fp8-sglang-tp8-isl1024-osl1024"),
    ("llama", None),
)


def figures(prep: Prepared, cal: Calibration, out_dir: Path) -> list[str]:
    """One figure per family: output tokens/s per GPU vs tokens/s per user, measured and estimated."""
    import plotly.graph_objects as go

    out_dir.mkdir(parents=True, exist_ok=True)
    pred = prep.predict(cal)
    names = []
    labels = np.array([x["label"] for x in prep.recs])
    prof = np.array([x["profile"] or "" for x in prep.recs])
    for fam, pid in FIGURE_CASES:
        if pid is not None:
            mt, mp = (prof == pid) & (prep.kind == "tput"), (prof == pid) & (prep.kind == "tpot")
            title = pid
        else:  # Llama 3.1 70B BF16 TP4 H100 rate sweep (TRT-LLM 0.14): tok/s per GPU = rate x OSL / N
            key = "llama-3.1-70b h100-sxmx4"
            mp = np.array([lab.startswith(key) for lab in labels]) & (prep.kind == "tpot")
            mt = None
            title = "llama-3.1-70b h100-sxm x4 bf16 (TensorRT-LLM 0.14, request-rate sweep)"
        if not mp.any():
            continue
        user_meas = 1000.0 / prep.y[mp]
        user_est = 1000.0 / pred[mp]
        if mt is not None:
            gpu_meas, gpu_est = prep.y[mt], pred[mt]
        else:
            r = prep.rate[mp] * np.array([x["osl"] for x, k in zip(prep.recs, mp) if k]) / prep.gpus[mp]
            gpu_meas = gpu_est = r  # open loop: the achieved rate is the input
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=user_meas, y=gpu_meas, mode="lines+markers", name="measured"))
        fig.add_trace(go.Scatter(x=user_est, y=gpu_est, mode="lines+markers", name="estimated", line={"dash": "dash"}))
        fig.update_layout(title=title, xaxis_title="output tokens/s per user (1000 / median TPOT)",
                          yaxis_title="output tokens/s per GPU", width=760, height=460, template="plotly_white")
        name = f"estimator_{fam}.svg"
        (out_dir / name).write_bytes(fig.to_image(format="svg"))
        names.append(name)
    return names


def write_generated_perf(cal: Calibration, ranges: dict) -> None:
    """Rewrite the CALIBRATION and ESTIMATE_RANGE block of tco/model/perf.py."""
    from tco.io.atomic import atomic_write_text

    text = PERF.read_text(encoding="utf-8")
    head, rest = text.split(CAL_BEGIN, 1)
    _, tail = rest.split(CAL_END, 1)
    import textwrap

    vals = "\n    ".join(textwrap.wrap(", ".join(f"{p}={getattr(cal, p):.4g}" for p in cal.__dataclass_fields__
                                           if p != "source") + ",", 100))
    rng = ",\n    ".join(f"({c!r}, {t!r}): ({lo}, {hi})" for (c, t), (lo, hi, _) in sorted(ranges.items()))
    block = (f"{CAL_BEGIN} (benchmarks/estimator_validation.py --write)\n"
             f"CALIBRATION = Calibration(\n    {vals}\n    source=\"fitted (benchmarks/estimator_validation.py)\",\n)\n"
             f"ESTIMATE_RANGE = {{\n    {rng},\n}}\n")
    atomic_write_text(PERF, head + block + CAL_END + tail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite docs/estimator.md, docs/img/ and tco/model/perf.py")
    args = ap.parse_args(argv)
    models, gpus = load_entries()
    recs = targets(load_rows(), models, gpus) + sweep_targets(models, gpus)
    prep = Prepared(recs)
    t0 = time.perf_counter()
    cal = calibrate(prep)
    ratio_in = prep.predict(cal) / prep.y
    gids = np.array([x["gpu_id"] for x in recs])
    ratio_loo = np.full(len(recs), np.nan)
    loo_cal = {}
    for g in sorted(set(gids)):
        c_g = calibrate(prep.subset(gids != g), cal, multi_start=False)
        test = prep.subset(gids == g)
        ratio_loo[gids == g] = test.predict(c_g) / test.y
        loo_cal[g] = c_g
    ranges = error_ranges(prep, ratio_loo)
    print("Calibration(" + ", ".join(f"{p}={getattr(cal, p):.4g}" for p in PARAMS) + ")")
    print(f"on a bound: {on_bound(cal) or 'none'}")
    print(f"[{len(recs)} targets, fitted in {time.perf_counter() - t0:.1f} s]\n")
    figs = figures(prep, cal, IMG) if args.write else []
    text = report(prep, cal, loo_cal, ratio_in, ratio_loo, ranges, figs)
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
        write_generated_perf(cal, ranges)
        print(f"\nwrote {DOC}, {PERF} and {len(figs)} figure(s) in {IMG}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
