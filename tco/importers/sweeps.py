"""Online serving sweeps (InferenceMAX / InferenceX CSV) -> throughput profiles.

Input: the columns of ``online_sweeps.csv`` (see docs/capacity.md, "Measured online sweeps"):
one row per (configuration, run, concurrency) with per-GPU output tokens/s and median / p99 TTFT
and TPOT. Output: :class:`tco.catalog.ProfileEntry` dicts, one per configuration, written to
``data/profiles/online_sweeps.yaml`` by ``scripts/import_online_sweeps.py``.

Conventions
-----------
* ISL/OSL in the CSV are nominal: each request's lengths are drawn from [0.8 L, L], so the
  profile's ``isl``/``osl`` are the means ``NOMINAL_TO_MEAN x L`` [tokens].
* A profile is one serving instance (``num_gpus`` GPUs; disaggregated rows count prefill and
  decode GPUs). Per replica: ``output_tokens_per_s = output_tok_s_per_gpu x num_gpus`` [tokens/s]
  and ``request_throughput_rps = output_tokens_per_s / osl_mean`` [req/s].
* The same configuration is re-run nightly; only the latest run per configuration is kept, latest
  meaning the highest GitHub Actions run id (:func:`run_order`); runs without a stated date carry
  the upper bound their notes give as ``as_of`` (e.g. "2026-01-19 (upper bound ...)").
* Rows on accelerators the catalog does not list, or without output throughput, are skipped and
  counted in the report.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

#: Mean request length over nominal length [-]: lengths uniform in [0.8 L, L] (reference README).
NOMINAL_TO_MEAN = 0.9

#: CSV model name -> catalog model id (R1 and R1-0528 share the V3 architecture).
MODEL_IDS = {"gpt-oss-120b": "gpt-oss-120b", "gpt-oss-20b": "gpt-oss-20b", "DeepSeek-R1": "deepseek-r1",
             "DeepSeek-R1-0528": "deepseek-r1"}
#: CSV runner label -> catalog GPU id (runner suffixes such as ``-trt`` or ``-amd_0`` name the machine pool).
GPU_IDS = {"h100": "h100-sxm", "h200": "h200", "b200": "b200", "b200-trt": "b200", "gb200": "gb200",
           "b300": "b300", "gb300": "gb300", "mi300x": "mi300x", "mi325x": "mi325x", "mi355x": "mi355x",
           "mi355x-amd_0": "mi355x"}

_RUN_RE = (re.compile(r"github_run_id=(\d+)"), re.compile(r"actions/runs/(\d+)"), re.compile(r"artifact (\S+?)[;,]"))
_DATE_BOUND_RE = re.compile(r"(?:committed to \S+|file committed) (\d{4}-\d{2}-\d{2})")
_DISAGG_RE = re.compile(r"DISAGG[^;]*?prefill tp(\d+) ep(\d+) dpa=(\w+) workers=(\d+) gpus=(\d+); "
                        r"decode tp(\d+) ep(\d+) dpa=(\w+) workers=(\d+) gpus=(\d+)")
_SPEC_RE = re.compile(r"spec=(\w+)")


class SweepImportError(ValueError):
    """A sweep row that cannot be read; the message names the file, the row and the column."""


@dataclass
class ImportReport:
    """What the import kept and skipped."""

    rows: int = 0
    kept_rows: int = 0
    profiles: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    older_runs_dropped: int = 0

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1



#: a model path on the benchmark's own cluster (e.g. model_id=/mnt/lustre01/models/x): only its last part
#: names the model; the path itself says nothing to a reader and is not a source
_CLUSTER_PATH_RE = re.compile(r"(model_id=)/(?:[\w.-]+/)*([\w.-]+)")


def strip_cluster_paths(text: str) -> str:
    """``model_id=/mnt/lustre01/models/gpt-oss-120b`` -> ``model_id=gpt-oss-120b (cluster path)``."""
    return _CLUSTER_PATH_RE.sub(r"\1\2 (cluster path)", text)


def _num(row: dict, col: str, where: str) -> Optional[float]:
    s = (row.get(col) or "").strip()
    if s == "":
        return None
    try:
        v = float(s)
    except ValueError:
        raise SweepImportError(f"{where}: {col}: not a number: {s!r}") from None
    return v


def run_key(row: dict) -> str:
    """Identifier of the benchmark run a row comes from (GitHub run id, artifact, else source path)."""
    notes = row.get("notes") or ""
    for rx in _RUN_RE:
        m = rx.search(notes)
        if m:
            return m.group(1)
    return f"{row.get('source_path', '')}@{row.get('source_commit', '')}"


def run_date(row: dict) -> tuple[str, str]:
    """(sortable date YYYY-MM-DD, as_of text) of a row's run.

    The ``date`` column when present; else the upper bound the notes state ("<= date"); else
    ``0000-00-00`` with as_of "run date not stated".
    """
    d = (row.get("date") or "").strip()
    if d:
        return d[:10], d[:10]
    m = _DATE_BOUND_RE.search(row.get("notes") or "")
    if m:
        return m.group(1), f"{m.group(1)} (upper bound: run date not stated, source file committed then)"
    return "0000-00-00", "run date not stated"


def run_order(run: str, rows: list[dict]) -> tuple:
    """Sort key of a run, latest last: GitHub Actions run id (ids increase with time in one
    repository; every InferenceMAX/InferenceX run in the CSV has one except the early aggregate
    files, which sort first), then the run date, then the number of points."""
    return (int(run) if run.isdigit() else -1, run_date(rows[0])[0], len(rows))


def _flag(v: str) -> Optional[bool]:
    v = (v or "").strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    return None


def config_of(row: dict, where: str) -> Optional[tuple]:
    """The configuration key of a row (None for rows whose model or GPU is not mapped)."""
    model = MODEL_IDS.get(row["model"].strip())
    gpu = GPU_IDS.get(row["gpu"].strip().lower())
    if model is None or gpu is None:
        return None
    notes = row.get("notes") or ""
    dis = _DISAGG_RE.search(notes)
    split = ""
    if dis:
        p_tp, p_ep, p_dpa, p_w, p_g, d_tp, d_ep, d_dpa, d_w, d_g = dis.groups()
        split = f"p{p_g}tp{p_tp}ep{p_ep}{'dpa' if p_dpa == 'true' else ''}-d{d_g}tp{d_tp}ep{d_ep}{'dpa' if d_dpa == 'true' else ''}"
    spec = _SPEC_RE.search(notes)
    spec_v = spec.group(1).lower() if spec and spec.group(1).lower() != "none" else None
    ep = _num(row, "ep", where)
    return (model, row["model"].strip(), gpu, int(float(row["num_gpus"])), int(float(row["tp"])),
            None if ep is None else int(ep), _flag(row.get("dp_attention", "")), row["framework"].strip().lower(),
            row["precision"].strip().lower(), int(float(row["isl"])), int(float(row["osl"])), split, spec_v)


def profile_id(key: tuple) -> str:
    """Catalog id of a configuration: model-gpu-xN-precision-engine-tpT[-epE][-dpa][-split][-spec]-islI-oslO."""
    model, raw_model, gpu, n, tp, ep, dpa, fw, prec, isl, osl, split, spec = key
    name = "deepseek-r1-0528" if raw_model == "DeepSeek-R1-0528" else model
    parts = [name, gpu, f"x{n}", prec, fw, f"tp{tp}"]
    if ep and ep > 1:
        parts.append(f"ep{ep}")
    if dpa:
        parts.append("dpa")
    if split:
        parts.append(split)
    if spec:
        parts.append(spec)
    parts += [f"isl{isl}", f"osl{osl}"]
    return re.sub(r"[^a-z0-9.-]+", "-", "-".join(parts).lower())


def read_rows(path: str | Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _stats(median: Optional[float], p99: Optional[float]) -> dict:
    return {k: round(v, 4) for k, v in (("median", median), ("p99", p99)) if v is not None}


def sweeps_to_profiles(rows: Iterable[dict], shown: str = "online_sweeps.csv") -> tuple[list[dict], ImportReport]:
    """Turn sweep rows into profile dicts (latest run per configuration). See the module docstring."""
    rep = ImportReport()
    groups: dict[tuple, dict[str, list]] = {}
    for i, row in enumerate(rows, start=2):  # row 1 is the header
        rep.rows += 1
        where = f"{shown}: row {i}"
        try:
            key = config_of(row, where)
        except (KeyError, ValueError) as e:
            raise SweepImportError(f"{where}: {e}") from None
        if key is None:
            rep.skip(f"model '{row.get('model')}' or GPU '{row.get('gpu')}' not in the catalog mapping")
            continue
        if _num(row, "output_tok_s_per_gpu", where) is None:
            rep.skip("no output throughput")
            continue
        groups.setdefault(key, {}).setdefault(run_key(row), []).append(row)
    out = []
    for key, runs in groups.items():
        latest = max(runs, key=lambda r: run_order(r, runs[r]))
        rep.older_runs_dropped += sum(len(v) for k, v in runs.items() if k != latest)
        rws = runs[latest]
        by_conc: dict[float, dict] = {}
        for r in rws:
            by_conc[float(r["concurrency"])] = r  # a repeated concurrency within a run: the last row wins
        out.append(_profile(key, [by_conc[c] for c in sorted(by_conc)], latest))
        rep.kept_rows += len(by_conc)
    out.sort(key=lambda p: p["id"])
    ids = [p["id"] for p in out]
    if len(set(ids)) != len(ids):
        dup = sorted({x for x in ids if ids.count(x) > 1})
        raise SweepImportError(f"{shown}: two configurations map to the same profile id: {dup[:3]}")
    rep.profiles = len(out)
    return out, rep


def _profile(key: tuple, rows: list[dict], run: str) -> dict:
    model, raw_model, gpu, n, tp, ep, dpa, fw, prec, isl, osl, split, spec = key
    r0 = rows[0]
    isl_m, osl_m = NOMINAL_TO_MEAN * isl, NOMINAL_TO_MEAN * osl
    points = []
    for r in rows:
        w = "row"
        tok = _num(r, "output_tok_s_per_gpu", w) * n
        pt = {"load": f"concurrency {int(float(r['concurrency']))}, request rate unbounded",
              "concurrency": float(r["concurrency"]),
              "request_throughput_rps": round(tok / osl_m, 6),
              "output_tokens_per_s": round(tok, 3)}
        tt = _stats(_num(r, "ttft_median_ms", w), _num(r, "ttft_p99_ms", w))
        tp_ = _stats(_num(r, "tpot_median_ms", w), _num(r, "tpot_p99_ms", w))
        itl = _num(r, "itl_median_ms", w)
        if tt:
            pt["ttft_ms"] = tt
        if tp_:
            pt["tpot_ms"] = tp_
        if itl is not None:
            pt["itl_ms"] = {"median": round(itl, 4)}
        points.append(pt)
    _, as_of = run_date(r0)
    src = f"https://github.com/{r0['source_repo']}/blob/{r0['source_commit']}/{r0['source_path']}"
    notes = [f"InferenceMAX/InferenceX closed-loop concurrency sweep (run {run}), "
             f"via the reference table online_sweeps.csv; checkpoint {raw_model}; nominal ISL/OSL {isl}/{osl} "
             f"(lengths drawn from [0.8 L, L]: means {isl_m:g}/{osl_m:g}); per-replica figures = per-GPU x {n} GPUs; "
             "request_throughput_rps = output tokens/s / mean OSL. Latest run of this configuration; "
             "earlier nightly runs dropped."]
    if split:
        notes.append(f"Disaggregated prefill/decode ({split}); per-GPU figures divide by all {n} GPUs; "
                     "tp/ep/dp_attention describe the decode workers.")
    if spec:
        notes.append(f"Speculative decoding ({spec}): TPOT not comparable with non-speculative runs; "
                     "never chosen by default.")
    if fw.endswith("trt-llm"):
        notes.append("TensorRT-LLM ITL is per streamed chunk: use TPOT.")
    notes.append(f"Source row notes: {strip_cluster_paths(r0.get('notes', ''))}")
    p = {"id": profile_id(key), "model": model, "gpu": gpu, "gpus": n, "precision": prec, "engine": fw}
    ver = (r0.get("framework_version") or "").strip()
    if ver:
        p["engine_version"] = ver
    p.update({"tp": tp})
    if ep is not None:
        p["ep"] = ep
    if dpa is not None:
        p["dp_attention"] = dpa
    if split:
        p["disaggregated"] = True
    if spec:
        p["speculative"] = spec
    p.update({"isl": isl_m, "osl": osl_m, "scenario": "online_serving", "points": points,
              "source": src, "as_of": as_of, "kind": "measured", "notes": " ".join(notes)})
    return p


HEADER = """\
# Measured online-serving sweeps (generated: do not edit by hand).
#
# Regenerate: python scripts/import_online_sweeps.py <the reference online_sweeps.csv> \\
#             --out data/profiles/online_sweeps.yaml
# From InferenceMAX / InferenceX (SemiAnalysis) closed-loop concurrency sweeps, latest run per
# configuration. isl/osl are the mean lengths (0.9 x nominal); points carry median and p99 TTFT
# and TPOT; output_tokens_per_s is per replica (per-GPU figure x gpus). See tco/importers/sweeps.py.
"""


def dump_profiles(profiles: list[dict], path: str | Path) -> None:
    """Write profiles as YAML (points in flow style, one line each)."""
    import yaml

    class _D(yaml.SafeDumper):
        pass

    def _point(d, data):
        return d.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)

    class _Pt(dict):
        pass

    _D.add_representer(_Pt, _point)
    body = [{**p, "points": [_Pt(pt) for pt in p["points"]]} for p in profiles]
    text = HEADER + yaml.dump({"profiles": body}, Dumper=_D, sort_keys=False, width=110, allow_unicode=True)
    Path(path).write_text(text, encoding="utf-8")


__all__ = ["NOMINAL_TO_MEAN", "MODEL_IDS", "GPU_IDS", "ImportReport", "SweepImportError", "sweeps_to_profiles",
           "dump_profiles", "read_rows", "run_key", "run_order", "run_date", "profile_id", "config_of"]
