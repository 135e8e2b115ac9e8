"""Finance commands: report (live XLSX workbook, one-page PDF), sensitivity (tornado), montecarlo.

Exit codes as in tco.cli: 0 ok; 2 invalid scenario or arguments (located message); 3 a file could not
be read or written. JSON shapes are documented in docs/finance.md.
"""
from __future__ import annotations

import argparse
import json
import sys

from tco import analysis
from tco.analysis.capacity_range import cost_ranges
from tco.catalog import load_catalog
from tco.cli.common import EXIT_FAIL, EXIT_INVALID, EXIT_OK, write_output
from tco.core.filenames import file_name
from tco.core.format import fmt_usd
from tco.engine import evaluate
from tco.report.pdf import ReportError, to_pdf
from tco.report.xlsx import to_xlsx
from tco.scenario import load_scenario


def register(sub, import_sub) -> None:
    p = sub.add_parser("report", help="write the live XLSX workbook (formulas over an Inputs sheet) and/or the "
                                      "one-page PDF decision report")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--xlsx", nargs="?", const="", default=None, metavar="FILE",
                   help="write the workbook (.xlsx); without FILE: <scenario-slug>_workbook.xlsx")
    p.add_argument("--pdf", nargs="?", const="", default=None, metavar="FILE",
                   help="write the one-page decision report (.pdf); without FILE: <scenario-slug>_report.pdf")
    p.add_argument("--values-only", action="store_true",
                   help="workbook of values (no formulas) instead of the live workbook")
    p.add_argument("--data", default=None, help="data directory (default: the bundled data/)")
    p.add_argument("--sensitivity", action="store_true", help="add the Sensitivity sheet (tornado)")
    p.add_argument("--montecarlo", type=int, default=0, metavar="N", help="add the Monte Carlo sheet with N draws")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("sensitivity", help="tornado: each key input moved to its low and high value")
    p.add_argument("scenario")
    p.add_argument("--data", default=None)
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.add_argument("--metric", default="npv", choices=["npv", "total_cash", "total_accrual"],
                   help="metric of option A minus option B (default: npv)")
    p.add_argument("--options", nargs="+", default=None, metavar="NAME",
                   help="option A [option B] (default: first self-host option vs the reference API)")
    p.add_argument("--swing", type=float, default=0.25, help="relative move where no catalog range applies (default 0.25)")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("montecarlo", help="Monte Carlo ranges (P10/P50/P90) and probability each option is cheapest")
    p.add_argument("scenario")
    p.add_argument("--data", default=None)
    p.add_argument("--draws", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dist", default="triangular", choices=["triangular", "lognormal"])
    p.add_argument("--basis", default="cash", choices=["cash", "accrual"])
    p.add_argument("--swing", type=float, default=0.25)
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_montecarlo)


def _load(args):
    scenario = load_scenario(args.scenario)
    catalog = load_catalog(args.data)
    return evaluate(scenario, catalog, file=args.scenario), catalog


def _invalid(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return EXIT_INVALID


def cmd_report(args: argparse.Namespace) -> int:

    if args.montecarlo < 0:
        return _invalid(f"--montecarlo: must be >= 0, got {args.montecarlo}")
    if args.xlsx is None and args.pdf is None:
        return _invalid("report: give --xlsx [FILE] and/or --pdf [FILE]")
    result, catalog = _load(args)
    if args.xlsx is not None:
        tor = analysis.tornado(result, catalog) if args.sensitivity and len(result.options) > 1 else None
        mc = None
        if args.montecarlo:
            mc = analysis.monte_carlo(result, analysis.default_uncertainties(result, catalog), args.montecarlo, args.seed)
        out = args.xlsx or file_name(result.scenario.name, "workbook")
        write_output(to_xlsx(result, tor, mc, values_only=args.values_only,
                             capacity_ranges=cost_ranges(result.scenario, catalog, result)), out)
        print(f"wrote {out}", file=sys.stderr)
    if args.pdf is not None:

        out = args.pdf or file_name(result.scenario.name, "report")
        try:
            pdf = to_pdf(result, catalog)
        except ReportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAIL
        write_output(pdf, out)
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    if not 0 < args.swing < 1:
        return _invalid(f"--swing: must be between 0 and 1, got {args.swing}")
    result, catalog = _load(args)
    names = [o.name for o in result.options]
    if args.options:
        if len(args.options) > 2:
            return _invalid("--options: give one or two option names")
        for n in args.options:
            if n not in names:
                return _invalid(f"--options: unknown option '{n}'; options: {', '.join(names)}")
        pair = (args.options[0], args.options[1] if len(args.options) > 1 else None)
    else:
        pair = analysis.default_pair(result)
    t = analysis.tornado(result, catalog, args.metric, pair, args.swing)
    if args.format == "json":
        write_output(json.dumps(t.to_dict(), indent=2, allow_nan=False), args.out)
        return EXIT_OK
    lines = [f"metric: {analysis.metric_label(t.metric, t.options)} = {fmt_usd(t.base)} (USD)", ""]
    head = f"{'input':<28} {'low':>12} {'high':>12} {'at low':>12} {'at high':>12} {'swing':>12}"
    lines += [head, "-" * len(head)]
    for b in t.bars:
        lines.append(f"{b.label[:28]:<28} {b.low_input:>12.4g} {b.high_input:>12.4g} {fmt_usd(b.low_value):>12} "
                     f"{fmt_usd(b.high_value):>12} {fmt_usd(b.swing):>12}")
    write_output("\n".join(lines), args.out)
    return EXIT_OK


def cmd_montecarlo(args: argparse.Namespace) -> int:
    if not 1 <= args.draws <= 1_000_000:
        return _invalid(f"--draws: must be between 1 and 1,000,000, got {args.draws}")
    if not 0 < args.swing < 1:
        return _invalid(f"--swing: must be between 0 and 1, got {args.swing}")
    result, catalog = _load(args)
    unc = analysis.default_uncertainties(result, catalog, args.swing, args.dist)
    mc = analysis.monte_carlo(result, unc, args.draws, args.seed, args.basis)
    if args.format == "json":
        write_output(json.dumps(mc.to_dict(), indent=2, allow_nan=False), args.out)
        return EXIT_OK
    pc = mc.probability_cheapest()
    lines = [f"{mc.draws:,} draws, seed {mc.seed}, total {mc.basis} cost over the horizon (USD)", ""]
    head = (f"{'option':<40} {'P10':>10} {'P50':>10} {'P90':>10} {'mean':>10} {'P(cheapest)':>12} {'point':>10} "
            f"{'point at':>9}")
    lines += [head, "-" * len(head)]
    notes = []
    for r in mc.stats("total"):
        lines.append(f"{r['name'][:40]:<40} {fmt_usd(r['p10']):>10} {fmt_usd(r['p50']):>10} {fmt_usd(r['p90']):>10} "
                     f"{fmt_usd(r['mean']):>10} {pc[r['name']]:>12.1%} {fmt_usd(r['point']):>10} "
                     f"{'P' + format(r['point_percentile'], '.0f'):>9}")
        if r.get("range_note"):
            notes.append(f"note: {r['name']}: {r['range_note']}")
    lines += ["", "point: the deterministic estimate (evaluate); point at: its percentile among the draws"] + notes
    write_output("\n".join(lines), args.out)
    return EXIT_OK
