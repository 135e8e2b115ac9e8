"""Core commands: validate, evaluate, list."""
from __future__ import annotations

import argparse
import sys

from tco.analysis.capacity_range import cost_ranges
from tco.catalog import CATALOGS, load_catalog
from tco.model.quality import load_quality, validate_quality
from tco.cli.common import EXIT_FAIL, EXIT_INVALID, EXIT_OK, write_output
from tco.core.exceptions import CatalogError
from tco.core.filenames import DEFAULT_CSV_ENCODING, encode_csv
from tco.engine import evaluate
from tco.report import export
from tco.report.focus import default_option, to_focus_csv
from tco.scenario import load_scenario


def register(sub, import_sub) -> None:
    p = sub.add_parser("validate", help="check every catalog in the data directory")
    p.add_argument("--data", default=None, help="data directory (default: the bundled data/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("evaluate", help="evaluate a scenario file")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--data", default=None, help="data directory (default: the bundled data/)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json", "focus"],
                   help="output format (default: table)")
    p.add_argument("--out", default=None, help="write to this file instead of standard output")
    p.add_argument("--skip-infeasible", action="store_true", dest="skip_infeasible",
                   help="list options that cannot meet the SLO (APIs included) as skipped instead of failing")
    p.add_argument("--option", default=None, metavar="NAME",
                   help="--format focus: the option to export (default: the cheapest; options are alternatives)")
    p.add_argument("--all-options", action="store_true",
                   help="--format focus: every option in one file, x_Option first (filter on it before summing)")
    p.add_argument("--encoding", default=None, choices=["utf-8", "utf-8-sig"],
                   help="CSV and FOCUS text encoding (default: utf-8-sig, UTF-8 with a byte-order mark for "
                        "spreadsheets, when writing --out; utf-8 on standard output)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("list", help="list what a catalog holds, with source and as-of")
    p.add_argument("what", choices=list(_LIST_COLUMNS))
    p.add_argument("--data", default=None)
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.set_defaults(func=cmd_list)


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        cat = load_catalog(args.data)
    except CatalogError as exc:
        for p in exc.problems:
            print(str(p))
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return EXIT_FAIL
    problems = validate_quality(cat)
    if problems:
        for p in problems:
            print(str(p))
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_FAIL
    counts = ", ".join(f"{len(cat.get(name))} {name}" for name in CATALOGS)
    try:
        n_quality = len(load_quality(cat).entries)
        counts += f", {n_quality} quality scores"
    except Exception:  # noqa: BLE001 - the count is informative only
        pass
    print(f"ok: {counts} ({cat.data_dir})")
    return EXIT_OK


def evaluate_file(path: str, data: str | None = None, skip_infeasible: bool = False):

    scenario = load_scenario(path)
    catalog = load_catalog(data)
    return evaluate(scenario, catalog, skip_infeasible=skip_infeasible, file=path)


def cmd_evaluate(args: argparse.Namespace) -> int:


    result = evaluate_file(args.scenario, args.data, getattr(args, "skip_infeasible", False))
    encoding = args.encoding or (DEFAULT_CSV_ENCODING if args.out else "utf-8")
    if args.format == "csv":
        write_output(encode_csv(export.to_long_csv(result), encoding), args.out)
    elif args.format == "json":

        write_output(export.to_json(result, cost_ranges(result.scenario, load_catalog(args.data), result).as_dict()), args.out)
    elif args.format == "focus":

        if args.all_options and args.option:
            print("error: give --option NAME or --all-options, not both", file=sys.stderr)
            return EXIT_INVALID
        names = [o.name for o in result.options]
        if args.option is not None and args.option not in names:
            print(f"error: --option: unknown option '{args.option}'; options: {', '.join(names)}", file=sys.stderr)
            return EXIT_INVALID
        option = None if args.all_options else (args.option or default_option(result))
        if option is None:
            print("note: FOCUS export of ALL options (alternatives): filter on x_Option before summing costs",
                  file=sys.stderr)
        else:
            print(f"note: FOCUS export of option '{option}'" + ("" if args.option else " (the cheapest)"), file=sys.stderr)
        write_output(encode_csv(to_focus_csv(result, option), encoding), args.out)
    else:
        write_output(export.to_table(result), args.out)
        ranges = cost_ranges(result.scenario, load_catalog(args.data), result)  # nothing re-evaluated without estimates
        if ranges.any_ranged:
            print("note: " + ranges.sentence.replace("**", ""), file=sys.stderr)
    return EXIT_OK


_LIST_COLUMNS = {
    "models": ["id", "name", "total_params_b", "active_params_b", "max_context"],
    "gpus": ["id", "name", "memory_gb", "mem_bw_tbs", "bf16_tflops", "fp8_tflops"],
    "offers": ["id", "provider", "gpu", "gpus_per_instance", "usd_per_instance_hour_on_demand",
               "usd_per_instance_hour_spot", "usd_per_instance_hour_reserved"],
    "servers": ["id", "gpu", "gpus_per_server", "price_usd", "power_kw"],
    "apis": ["id", "provider", "serves_model", "input", "output", "cached_input"],
    "profiles": ["id", "model", "gpu", "gpus", "precision", "scenario"],
    "assumptions": ["id", "value", "unit", "kind"],
    "cost_lines": ["id", "category", "line_kind", "value", "unit", "applies_to", "kind"],
}


def cmd_list(args: argparse.Namespace) -> int:
    import json

    cat = load_catalog(args.data)
    entries = list(cat.get(args.what).values())
    cols = _LIST_COLUMNS[args.what] + ["as_of", "source"]
    if args.format == "json":
        write_output(json.dumps([e.model_dump(mode="json", exclude_none=True) for e in entries], indent=2), None)
        return EXIT_OK
    rows = [[("" if getattr(e, c, None) is None else str(getattr(e, c))) for c in cols] for e in entries]
    widths = [max(len(c), *(len(r[k]) for r in rows)) if rows else len(c) for k, c in enumerate(cols)]
    widths = [w if c == "id" else min(w, 40) for w, c in zip(widths, cols)]
    lines = ["  ".join(c.ljust(widths[k]) for k, c in enumerate(cols))]
    for r in rows:
        lines.append("  ".join((v if len(v) <= widths[k] else v[: widths[k] - 1] + "~").ljust(widths[k])
                               for k, v in enumerate(r)).rstrip())
    write_output("\n".join(lines), None)
    return EXIT_OK
