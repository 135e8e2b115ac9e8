"""CLI: ``optimize``: the cheapest configuration that meets the scenario's SLO.

    python -m tco optimize S.yaml [--top N] [--models ID|FAMILY ...] [--size "llama 8B-70B"]
        [--gpus ID ...] [--gpus-per-replica N ...] [--precisions P ...] [--payments P ...]
        [--no-apis] [--routes] [--allow-suspect] [--no-quality-floor] [--format table|json] [--out FILE] [--data DIR]

JSON: ``{"candidates": [{"model", "gpu", "gpus_per_replica", "precision", "payment",
"capacity_source", "feasible", "reason", "total_cash_usd", "npv_usd", "usd_per_million_tokens",
"tpot_ms", ...}], "searched", "feasible", "seconds", "mix"?}``, feasible first, then by total cash.
"""
from __future__ import annotations

import json

from tco.analysis import optimizer as opt
from tco.catalog import load_catalog
from tco.cli.common import write_output
from tco.core.exceptions import Problem, ScenarioError
from tco.scenario import load_scenario


def register(sub, import_sub) -> None:
    p = sub.add_parser("optimize", help="search models, GPUs, precisions and ways to pay for the cheapest within the SLO")
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--top", type=int, default=20, help="rows to show (0 = all; default 20)")
    p.add_argument("--models", nargs="+", help="model ids or families (default: all)")
    p.add_argument("--size", help="family and size range of total parameters, e.g. 'llama 8B-70B'")
    p.add_argument("--gpus", nargs="+", help="GPU ids (default: all)")
    p.add_argument("--gpus-per-replica", nargs="+", type=int, dest="gpus_per_replica",
                   default=list(opt.SEARCH_GPUS_PER_REPLICA))
    p.add_argument("--precisions", nargs="+", type=str.lower, default=list(opt.SEARCH_PRECISIONS),
                   choices=("bf16", "fp8", "fp4", "int8", "int4", "fp16"))
    p.add_argument("--payments", nargs="+", default=list(opt.PAYMENTS), choices=opt.PAYMENTS)
    p.add_argument("--no-apis", action="store_true", help="leave API offers out")
    p.add_argument("--routes", action="store_true",
                   help="also propose two-part cascades (cheap model + escalation) that meet the quality floor")
    p.add_argument("--allow-suspect", action="store_true", dest="allow_suspect",
                   help="keep candidates whose price rests on a catalog entry marked SUSPECT or low-confidence (flagged)")
    p.add_argument("--no-quality-floor", action="store_true", dest="no_quality_floor",
                   help="no default quality floor when the scenario sets none")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--out", help="write the output here (atomically)")
    p.add_argument("--data", help="data directory (default: the bundled data/)")
    p.set_defaults(func=cmd_optimize)


def space_from_args(args) -> opt.SearchSpace:
    models = tuple(args.models) if args.models else None
    lo = hi = None
    if args.size:
        try:
            fam, lo, hi = opt.parse_size_filter(args.size)
        except ValueError as exc:
            raise ScenarioError([Problem("optimize", None, "--size", str(exc))]) from None
        if fam:
            models = (models or ()) + (fam,)
    bad = [n for n in args.gpus_per_replica if n < 1 or n > 64]
    if bad:
        raise ScenarioError([Problem("optimize", None, "--gpus-per-replica", f"must be in 1..64, got {bad}")])
    return opt.SearchSpace(models=models, gpus=tuple(args.gpus) if args.gpus else None,
                           gpus_per_replica=tuple(args.gpus_per_replica), precisions=tuple(args.precisions),
                           payments=tuple(args.payments), min_params_b=lo, max_params_b=hi,
                           include_apis=not args.no_apis, allow_suspect=args.allow_suspect,
                           default_quality_floor=not args.no_quality_floor)


def cmd_optimize(args) -> int:
    scenario = load_scenario(args.scenario)
    catalog = load_catalog(args.data)
    result = opt.optimize(scenario, catalog, space_from_args(args), routes=args.routes)
    top = args.top or None
    if args.format == "json":
        text = json.dumps(opt.to_json(result, top), indent=2)
    else:
        text = opt.to_table(result, top)
    write_output(text, args.out)
    return 0
