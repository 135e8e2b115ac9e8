"""CLI: ``import vllm|llmperf|genai-perf|aiperf`` (benchmark files -> profile) and ``estimate``.

    python -m tco import vllm FILE|DIR... --model ID --gpu ID [--gpus N] --precision P [--engine NAME]
        [--select CONFIG] [--format yaml|json] [--out FILE] [--data DIR]

Import exits 2 with a one-line reason when a file is refused (no completed request, zero
throughput, several configurations without --select, not the tool's format); warnings (the
file's model does not look like --model) go to stderr and the profile's notes, exit 0.
    python -m tco estimate --model ID --gpu ID --gpus N --precision P --isl N --osl N
        [--concurrency N | --request-rate R] [--format table|json] [--data DIR]
    python -m tco estimate --batch IN.csv --out OUT.csv [--data DIR]

Batch CSV columns: model,gpu,gpus,precision,isl,osl,concurrency,request_rate (the last two may be
empty: max throughput); the output repeats them and adds output_tokens_per_s,
request_throughput_rps,ttft_ms,tpot_ms,max_concurrency,fits in the same row order.
"""
from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

from tco.catalog import PRECISIONS, ProfileEntry, format_validation_error, load_catalog
from tco.cli.common import EXIT_INVALID, write_output
from tco.core.exceptions import ImportFormatError, Problem, ScenarioError
from tco.importers import display_name, import_files, profile_text, stated_facts, warnings_of
from tco.io.atomic import atomic_write_text
from tco.model.perf import (
    capacity_range,
    config_arrays,
    estimate,
    estimate_arrays,
    estimate_range_arrays,
    estimated_capacity_at_slo,
)

LAYOUTS = ("tp", "best")
BATCH_IN = ("model", "gpu", "gpus", "precision", "isl", "osl", "concurrency", "request_rate")
BATCH_OUT = BATCH_IN + ("output_tokens_per_s", "request_throughput_rps", "ttft_ms", "tpot_ms", "max_concurrency", "fits")
MAX_BATCH_BYTES = 20 * 1024 * 1024  # [B]


def register(sub, import_sub) -> None:
    for tool, help_ in (("vllm", "vLLM bench serve --save-result JSON, vllm bench sweep summary or folder, nightly table"),
                        ("llmperf", "LLMPerf *_summary.json (or summaries keyed by concurrency)"),
                        ("genai-perf", "GenAI-Perf *_genai_perf.json or .csv (AIPerf files detected)"),
                        ("aiperf", "AIPerf profile_export_aiperf.json or .csv")):
        p = import_sub.add_parser(tool, help=f"import {help_} into a throughput profile")
        p.add_argument("files", nargs="+", metavar="FILE", help="files or folders (their *.json / *.csv)")
        _config_args(p, gpus_required=False)
        p.add_argument("--engine", help="serving engine and version (default: from the file, else unknown)")
        p.add_argument("--select", help="the configuration to import from a file that holds several")
        p.add_argument("--format", choices=("yaml", "json"), default="yaml")
        p.add_argument("--out", help="write the profile here (atomically); under data/profiles/ it joins the catalog")
        p.add_argument("--data", help="data directory (default: the bundled data/)")
        p.set_defaults(func=cmd_import, tool=tool)
    e = sub.add_parser("estimate", help="estimate throughput and latency (physics model, labelled estimated)")
    e.add_argument("--model")
    e.add_argument("--gpu")
    e.add_argument("--gpus", type=int)
    e.add_argument("--precision", type=str.lower, choices=PRECISIONS)
    e.add_argument("--isl", type=float, help="mean input tokens per request")
    e.add_argument("--osl", type=float, help="mean output tokens per request")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--concurrency", type=float)
    g.add_argument("--request-rate", type=float, dest="request_rate", help="[req/s]")
    e.add_argument("--ttft-slo-ms", type=float, dest="ttft_slo_ms",
                   help="p95 TTFT limit [ms]: also report the capacity at the SLO and its range")
    e.add_argument("--tpot-slo-ms", type=float, dest="tpot_slo_ms",
                   help="p95 TPOT limit [ms]: also report the capacity at the SLO and its range")
    e.add_argument("--layout", choices=LAYOUTS, default="tp",
                   help="tp (default): the --gpus GPUs run as one tensor-parallel group, as benchmarks run them; "
                        "best: max throughput may come from data-parallel copies of smaller TP groups "
                        "(what capacity planning uses)")
    e.add_argument("--format", choices=("table", "json"), default="table")
    e.add_argument("--batch", help="CSV of configurations (columns: " + ",".join(BATCH_IN) + ")")
    e.add_argument("--range", action="store_true",
                   help="--batch: append output_tokens_per_s_low,output_tokens_per_s_high (P10-P90 error range)")
    e.add_argument("--out", help="output CSV for --batch")
    e.add_argument("--data", help="data directory (default: the bundled data/)")
    e.set_defaults(func=cmd_estimate)


def _config_args(p, gpus_required: bool = True) -> None:
    p.add_argument("--model", required=True, help="model id (models catalog)")
    p.add_argument("--gpu", required=True, help="GPU id (gpus catalog)")
    p.add_argument("--gpus", type=int, required=gpus_required,
                   help="GPUs per replica" + ("" if gpus_required else " (default: from the file, e.g. tp8_pp1)"))
    p.add_argument("--precision", type=str.lower, required=True, choices=PRECISIONS)


def _check_ids(catalog, model: str, gpu: str, where: str = "options") -> None:
    problems = []
    if model not in catalog.models:
        problems.append(Problem(where, None, "--model", f"unknown model id '{model}' (see python -m tco list models)"))
    if gpu not in catalog.gpus:
        problems.append(Problem(where, None, "--gpu", f"unknown GPU id '{gpu}' (see python -m tco list gpus)"))
    if problems:
        raise ScenarioError(problems)


def validate_profile(profile: dict, name: str) -> ProfileEntry:
    from pydantic import ValidationError

    try:
        return ProfileEntry.model_validate(profile)
    except ValidationError as exc:
        raise ImportFormatError([Problem(name, profile.get("id"), f or None, m) for f, m in format_validation_error(exc)]) from None


def cmd_import(args) -> int:
    """Exit 0 (warnings, e.g. a model mismatch, on stderr and in the profile's notes); 2 when the file is
    refused (no completed request, zero throughput, several configurations, wrong format)."""

    if args.gpus is not None and args.gpus < 1:
        raise ScenarioError([Problem("options", None, "--gpus", f"must be >= 1, got {args.gpus}")])
    catalog = load_catalog(args.data)
    _check_ids(catalog, args.model, args.gpu)
    for f in args.files:
        if not Path(f).exists():
            print(f"error: {f}: file not found", file=sys.stderr)
            return 3
    profile = import_files(args.tool, args.files, model=args.model, gpu=args.gpu, gpus=args.gpus,
                           precision=args.precision, engine=args.engine, select=args.select,
                           model_name=catalog.models[args.model].name)
    validate_profile(profile, ", ".join(display_name(f) for f in args.files))
    if args.out:
        out = Path(args.out)
        if profile["id"] in catalog.profiles and not out.exists():
            print(f"error: {out}: profile id '{profile['id']}' already exists in the catalog "
                  f"({catalog.files.get('profiles')}); edit or remove it first", file=sys.stderr)
            return EXIT_INVALID
    write_output(profile_text(profile, args.format), args.out)
    for w in warnings_of(profile):
        print(f"warning: {w}", file=sys.stderr)
    print(f"configuration: {stated_facts(profile)}", file=sys.stderr)
    if profile.get("missing"):
        print(f"note: the file lacks {', '.join(profile['missing'])} (listed in the profile's missing)", file=sys.stderr)
    if args.out:
        print(f"wrote {args.out} (profile {profile['id']}, {len(profile['points'])} point(s))", file=sys.stderr)
    return 0


def _fmt(v, nd=1) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "" if v is None or math.isnan(v) else "inf"
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def cmd_estimate(args) -> int:
    catalog = load_catalog(args.data)
    if args.batch:
        if not args.out:
            print("error: --batch needs --out OUT.csv", file=sys.stderr)
            return EXIT_INVALID
        return _estimate_batch(catalog, args.batch, args.out, with_range=getattr(args, "range", False),
                               data_parallel=args.layout == "best")
    missing = [f"--{k}" for k in ("model", "gpu", "gpus", "precision", "isl", "osl") if getattr(args, k) is None]
    if missing:
        print(f"error: estimate needs {', '.join(missing)} (or --batch IN.csv --out OUT.csv)", file=sys.stderr)
        return EXIT_INVALID
    _check_ids(catalog, args.model, args.gpu)
    _check_numbers("options", args.gpus, args.isl, args.osl, args.concurrency, args.request_rate)
    e = estimate(catalog.models[args.model], catalog.gpus[args.gpu], args.gpus, args.precision, args.isl, args.osl,
                 concurrency=args.concurrency, request_rate=args.request_rate, data_parallel=args.layout == "best")
    row = {"model": args.model, "gpu": args.gpu, "gpus": args.gpus, "precision": args.precision, "isl": args.isl,
           "osl": args.osl, "concurrency": args.concurrency, "request_rate": args.request_rate,
           "output_tokens_per_s": e.output_tokens_per_s, "output_tokens_per_s_low": e.output_tokens_per_s_low,
           "output_tokens_per_s_high": e.output_tokens_per_s_high, "request_throughput_rps": e.request_throughput_rps,
           "ttft_ms": e.ttft_ms, "tpot_ms": e.tpot_ms, "max_concurrency": e.max_concurrency, "fits": e.fits,
           "max_output_tokens_per_s": e.max_output_tokens_per_s, "layout": args.layout, "kind": "estimated",
           "notes": list(e.notes)}
    if getattr(args, "ttft_slo_ms", None) is not None or getattr(args, "tpot_slo_ms", None) is not None:

        bad = [Problem("options", None, k, f"must be > 0, got {v}") for k, v in
               (("ttft_slo_ms", args.ttft_slo_ms), ("tpot_slo_ms", args.tpot_slo_ms))
               if v is not None and (not math.isfinite(v) or v <= 0)]
        if bad:
            raise ScenarioError(bad)
        m, g = catalog.models[args.model], catalog.gpus[args.gpu]
        rps, reason, _ = estimated_capacity_at_slo(m, g, args.gpus, args.precision, args.isl, args.osl,
                                                   args.ttft_slo_ms, args.tpot_slo_ms)
        lo, hi = capacity_range(rps, m, g, args.gpus)
        notes = row.pop("notes")
        row.update({"capacity_rps": rps, "capacity_rps_low": lo, "capacity_rps_high": hi,
                    "notes": notes + ([reason] if reason else [])})
    if args.format == "json":
        print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()},
                         indent=2))
    else:
        width = max(len(k) for k in row)
        for k, v in row.items():
            if k == "notes":
                for n in v:
                    print(f"{'note':<{width}}  {n}")
            elif v is not None:
                print(f"{k:<{width}}  {_fmt(v, 2)}")
    return 0


def _check_numbers(where: str, gpus, isl, osl, conc, rate, entry=None) -> None:
    problems = []
    for name, v, strict in (("gpus", gpus, True), ("isl", isl, True), ("osl", osl, True),
                            ("concurrency", conc, True), ("request_rate", rate, True)):
        if v is not None and (not math.isfinite(v) or v <= 0):
            problems.append(Problem(where, entry, name, f"must be > 0, got {v}"))
    if conc is not None and rate is not None:
        problems.append(Problem(where, entry, "concurrency", "give concurrency or request_rate, not both"))
    if problems:
        raise ScenarioError(problems)


def _estimate_batch(catalog, path: str, out: str, with_range: bool = False, data_parallel: bool = False) -> int:
    import numpy as np


    p = Path(path)
    if p.stat().st_size > MAX_BATCH_BYTES:
        raise ScenarioError([Problem(path, None, None, f"file is larger than {MAX_BATCH_BYTES:,} bytes")])
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(path, None, None, "not UTF-8 text: expected a CSV file")]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in BATCH_IN if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError([Problem(path, None, None, f"missing column(s) {', '.join(missing)}; expected {','.join(BATCH_IN)}")])
    rows, problems = list(reader), []
    parsed = []
    for i, r in enumerate(rows, start=2):
        entry = f"line {i}"

        def f(key, cast=float):
            s = (r.get(key) or "").strip()
            if not s:
                return None
            try:
                return cast(s)
            except ValueError:
                problems.append(Problem(path, entry, key, f"must be a number, got {s!r}"))
                return None

        m, g, prec = (r.get("model") or "").strip(), (r.get("gpu") or "").strip(), (r.get("precision") or "").strip().lower()
        if m not in catalog.models:
            problems.append(Problem(path, entry, "model", f"unknown model id '{m}'"))
        if g not in catalog.gpus:
            problems.append(Problem(path, entry, "gpu", f"unknown GPU id '{g}'"))
        if prec not in PRECISIONS:
            problems.append(Problem(path, entry, "precision", f"must be one of {', '.join(PRECISIONS)}, got '{prec}'"))
        vals = [f("gpus", int), f("isl"), f("osl"), f("concurrency"), f("request_rate")]
        for key, v in zip(("gpus", "isl", "osl"), vals[:3]):
            if v is None:
                problems.append(Problem(path, entry, key, "required"))
        try:
            _check_numbers(path, *vals, entry=entry)
        except ScenarioError as exc:
            problems += exc.problems
        parsed.append((m, g, prec, *vals))
    if problems:
        raise ScenarioError(problems)
    header = list(BATCH_OUT) + (["output_tokens_per_s_low", "output_tokens_per_s_high"] if with_range else [])
    if not parsed:
        atomic_write_text(out, ",".join(header) + "\n")
        return 0
    ms, gs, ns, ps, isl, osl, conc, rate = zip(*[(catalog.models[m], catalog.gpus[g], n, pr, i, o, c, r)
                                                  for m, g, pr, n, i, o, c, r in parsed])
    c = config_arrays(ms, gs, ns, ps, isl, osl)
    res = estimate_arrays(c, np.array([np.nan if v is None else v for v in conc], dtype=float),
                          np.array([np.nan if v is None else v for v in rate], dtype=float),
                          data_parallel=data_parallel)
    no_load = np.isnan(np.array([np.nan if v is None else v for v in conc], dtype=float)) & \
        np.isnan(np.array([np.nan if v is None else v for v in rate], dtype=float))
    lo_max, hi_max = estimate_range_arrays(c, res["output_tokens_per_s"], "max")
    lo_on, hi_on = estimate_range_arrays(c, res["output_tokens_per_s"], "online")
    lo, hi = np.where(no_load, lo_max, lo_on), np.where(no_load, hi_max, hi_on)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for i, r in enumerate(rows):
        w.writerow([(r.get(k) or "").strip() for k in BATCH_IN] + [
            _fmt(float(res["output_tokens_per_s"][i]), 2), _fmt(float(res["request_throughput_rps"][i]), 4),
            _fmt(float(res["ttft_ms"][i]), 2), _fmt(float(res["tpot_ms"][i]), 3),
            int(res["max_concurrency"][i]), _fmt(bool(res["fits"][i]))]
            + ([_fmt(float(lo[i]), 2), _fmt(float(hi[i]), 2)] if with_range else []))
    atomic_write_text(out, buf.getvalue())
    return 0
