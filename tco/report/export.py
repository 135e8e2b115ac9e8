"""Exports built from a Result: long CSV, JSON, a readable table, the assumptions list.

Pure functions returning bytes/str/dict, shared by the CLI and the app's download buttons (so the
app's CSV is byte-for-byte the CLI's).

Long CSV columns: ``scenario,option,month,line_item,cash_usd,accrual_usd,quantity,unit``
(one row per option x month x line item; money with 2 decimals, quantity with 6 significant
decimals). Text cells that a spreadsheet would run as a formula are neutralised with a leading '.
"""
from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, Optional

from tco.core.format import fmt_usd
from tco.engine import Result

LONG_COLUMNS = ["scenario", "option", "month", "line_item", "cash_usd", "accrual_usd", "quantity", "unit"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula: prefix ' when it starts with = + - @ tab or CR."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _money(x: float) -> str:
    v = round(float(x), 2)
    return "0.00" if v == 0 else f"{v:.2f}"


def _qty(x: float) -> str:
    v = float(x)
    if v == 0:
        return "0"
    return f"{v:.6f}".rstrip("0").rstrip(".")


def long_rows(result: Result) -> list[list[str]]:
    rows = []
    scen = safe_cell(result.scenario.name)
    for o in result.options:
        name = safe_cell(o.name)
        for m, label in enumerate(result.months):
            for li in o.line_items.values():
                rows.append([scen, name, label, li.name, _money(li.cash_usd[m]), _money(li.accrual_usd[m]),
                             _qty(li.quantity[m]), li.unit])
    return rows


def to_long_csv(result: Result) -> bytes:
    """The monthly long-format CSV (UTF-8, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LONG_COLUMNS)
    w.writerows(long_rows(result))
    return buf.getvalue().encode("utf-8")


def _num(x) -> Any:
    if x is None:
        return None
    v = float(x)
    if math.isnan(v) or math.isinf(v):
        return None
    return round(v, 6)


def to_json_dict(result: Result, cost_range: Optional[dict] = None) -> dict:
    """The JSON document of ``python -m tco evaluate --format json``.

    ``cost_range``: {option name: (total_cash_usd_low, total_cash_usd_high)} from
    :func:`tco.analysis.capacity_range.cost_range` (estimated capacities); without it, or for options whose capacity
    is a point, low = high = total_cash_usd. ``capacity_rps_per_replica_low/high`` are the estimate's
    P10-P90 range (= the point for measured, adjusted and inline capacities).
    """
    out_opts = []
    for o in result.options:
        months = []
        for m, label in enumerate(result.months):
            row: dict[str, Any] = {
                "month": label,
                "requests": _num(o.requests[m]),
                "input_tokens": _num(o.input_tokens[m]),
                "output_tokens": _num(o.output_tokens[m]),
                "peak_rps": _num(o.peak_rps[m]),
            }
            if o.replicas is not None:
                row["replicas"] = _num(o.replicas[m])
                row["gpus"] = _num(o.gpus[m])
                if o.gpus_billed is not None:  # whole instances / servers: what the invoice counts
                    row["gpus_billed"] = _num(o.gpus_billed[m])
            if o.servers is not None:
                row["servers"] = _num(o.servers[m])
            for extra_key, arr in (o.extra_monthly or {}).items():
                row[extra_key] = _num(arr[m])
            row["cash_usd"] = _num(o.cash_usd[m])
            row["accrual_usd"] = _num(o.accrual_usd[m])
            row["line_items"] = {li.name: {"cash_usd": _num(li.cash_usd[m]), "accrual_usd": _num(li.accrual_usd[m])}
                                 for li in o.line_items.values()}
            months.append(row)
        cap = o.capacity
        out_opts.append({
            "name": o.name,
            "kind": o.kind,
            "payment": o.payment,
            "total_cash_usd": _num(o.total_cash_usd),
            "total_accrual_usd": _num(o.total_accrual_usd),
            "npv_usd": _num(o.npv_usd),
            "usd_per_million_tokens": _num(o.usd_per_million_tokens),
            "usd_per_million_input_tokens": _num(o.usd_per_million_input_tokens),
            "usd_per_million_output_tokens": _num(o.usd_per_million_output_tokens),
            "usd_per_million_cached_input_tokens": _num(o.usd_per_million_cached_input_tokens),
            "usd_per_million_tokens_at_capacity": _num(o.usd_per_million_tokens_at_capacity),
            "break_even_month": o.break_even_month,
            **({"economic_usd_per_gpu_hour": _num(o.economic_usd_per_gpu_hour)}
               if o.economic_usd_per_gpu_hour is not None else {}),
            **({"commitment_after_horizon_usd": _num(o.commitment_after_horizon_usd)}
               if o.commitment_after_horizon_usd is not None else {}),
            "is_reference": o.name == result.reference,
            "slo_status": o.slo_status,
            "slo_reason": o.slo_reason,
            "total_cash_usd_low": _num((cost_range or {}).get(o.name, (o.total_cash_usd,) * 2)[0]),
            "total_cash_usd_high": _num((cost_range or {}).get(o.name, (o.total_cash_usd,) * 2)[1]),
            "capacity_rps_per_replica": _num(cap.rps) if cap else None,
            "capacity_rps_per_replica_low": _num(cap.low) if cap and cap.low is not None else None,
            "capacity_rps_per_replica_high": _num(cap.high) if cap and cap.high is not None else None,
            "capacity_source": cap.source if cap else None,
            "notes": list(o.notes) + (list(cap.notes) if cap else []),
            **_issue19_fields(o),
            "months": months,
        })
    w = result.scenario.workload
    checks = result.slo_checks or {}
    return {
        "scenario": result.scenario.name,
        "start": result.scenario.start,
        "months": len(result.months),
        "workload": {"requests_per_day": _num(w.requests_per_day), "tokens_per_day": _num(w.tokens_per_day),
                     "requests_per_day_derived_from_tokens_per_day": w.tokens_per_day is not None},
        "reference": result.reference,
        "reference_reason": result.reference_reason,
        "break_even_matrix": result.break_even_matrix,
        "skipped": [{"name": n, "reason": r, "slo_status": checks.get(n, ("unknown", r))[0],
                     "slo_reason": checks.get(n, ("unknown", r))[1]} for n, r in result.skipped],
        "options": out_opts,
    }


def _issue19_fields(o) -> dict:
    """fine_tuning_runs (fine-tuned options and routes with a fine-tuned part) and, for a route, its mode and
    parts (name, share, role, kind, payment, totals) and quality weights."""
    out: dict[str, Any] = {}
    if o.fine_tuning_runs:
        out["fine_tuning_runs"] = [{k: (_num(v) if isinstance(v, float) else v) for k, v in run.to_dict().items()}
                                   for run in o.fine_tuning_runs]
    if o.kind == "route":
        out["mode"] = getattr(o.params, "mode", None)
        out["parts"] = [{"name": pr.name, "share": _num(pr.share), "role": pr.role, "kind": pr.result.kind,
                         "payment": pr.result.payment, "total_cash_usd": _num(pr.result.total_cash_usd),
                         "total_accrual_usd": _num(pr.result.total_accrual_usd)} for pr in o.parts]
        out["quality_weights"] = {n: _num(w) for n, w in o.quality_weights}
    return out


def to_json(result: Result, cost_range: Optional[dict] = None) -> str:
    return json.dumps(to_json_dict(result, cost_range), indent=2, allow_nan=False)


def summary_rows(result: Result) -> list[dict]:
    """Per-option totals (the table of the app and the CLI)."""
    rows = []
    for o in result.options:
        rows.append({
            "option": o.name,
            "kind": o.kind,
            "payment": o.payment,
            "total_cash_usd": o.total_cash_usd,
            "total_accrual_usd": o.total_accrual_usd,
            "npv_usd": o.npv_usd,
            "usd_per_million_tokens": o.usd_per_million_tokens,
            "usd_per_million_input_tokens": o.usd_per_million_input_tokens,
            "usd_per_million_output_tokens": o.usd_per_million_output_tokens,
            "usd_per_million_cached_input_tokens": o.usd_per_million_cached_input_tokens,
            "usd_per_million_tokens_at_capacity": o.usd_per_million_tokens_at_capacity,
            "break_even_month": o.break_even_month,  # against the reference (None for the reference itself)
            "is_reference": o.name == result.reference,
            "slo_status": o.slo_status,
            "slo_reason": o.slo_reason,
            "capacity_rps_per_replica": o.capacity.rps if o.capacity else None,
            "capacity_source": o.capacity.source if o.capacity else None,
            "max_gpus": float(o.gpus.max()) if o.gpus is not None else None,
            "max_gpus_billed": float(o.gpus_billed.max()) if o.gpus_billed is not None else None,
        })
    return rows


def to_table(result: Result) -> str:
    """A readable summary per option for the terminal."""
    s = result.scenario
    g = s.workload.growth
    if g is None or g.kind == "compound":
        rate = g.rate_per_month if g is not None else s.workload.growth_per_month
        growth = f"growth {rate:.1%}/month"
    else:
        growth = f"{g.kind.replace('_', '-')} forecast"
    rpd0 = float(result.requests_per_day[0]) if len(result.requests_per_day) else 0.0
    tpd = s.workload.tokens_per_day
    load = (f"{tpd:,.0f} tokens/day = {rpd0:,.0f} requests/day (derived) in the first month" if tpd is not None
            else f"{rpd0:,.0f} requests/day in the first month")
    lines = [f"{s.name}: {s.start} + {s.months} months, {load} ({growth})",
             f"Reference: {result.reference or 'none'} ({result.reference_reason}); break-even, savings and payback "
             "are against it", ""]
    header = (f"{'option':<40} {'total cash':>12} {'accrual':>12} {'NPV':>12} {'$/1M tok':>9} {'$/1M full':>9} "
              f"{'GPUs used/billed':>16} {'SLO':>7} {'break-even':>11}")
    lines += [header, "-" * len(header)]
    for r in summary_rows(result):
        be = "reference" if r["is_reference"] else (r["break_even_month"] or "never")
        gpus = (f"{r['max_gpus']:.0f}/{r['max_gpus_billed']:.0f}" if r["max_gpus"] is not None
                and r["max_gpus_billed"] is not None else "-")
        full = r["usd_per_million_tokens_at_capacity"]
        full_s = f"{full:>9.3f}" if full is not None else f"{'n/a':>9}"
        lines.append(f"{r['option'][:40]:<40} {fmt_usd(r['total_cash_usd']):>12} {fmt_usd(r['total_accrual_usd']):>12} "
                     f"{fmt_usd(r['npv_usd']):>12} {r['usd_per_million_tokens']:>9.3f} {full_s} {gpus:>16} "
                     f"{r['slo_status']:>7} {be:>11}")
    lines += ["", "$/1M full: the billed fleet at full use (what published $/1M tables quote); GPUs: peak month, "
              "used by replicas / billed (whole instances or servers)"]
    cheapest = result.cheapest
    if cheapest:
        lines += ["", f"Cheapest over the horizon (cash): {cheapest.name}"]
    for o in result.options:
        if o.slo_status != "met":
            lines.append(f"SLO {o.slo_status}: {o.name}: {o.slo_reason}")
        for n in o.notes:
            lines.append(f"note: {o.name}: {n}")
        if o.capacity and o.capacity.notes:
            for n in o.capacity.notes:
                lines.append(f"note: {o.name}: capacity: {n}")
    for name, reason in result.skipped:
        lines.append(f"skipped: {name}: {reason}")
    return "\n".join(lines) + "\n"


def assumptions_rows(result: Result) -> list[dict]:
    return [{"option": a.option or "(all)", "name": a.name, "value": a.value, "unit": a.unit, "origin": a.origin,
             "source": a.source, "as_of": a.as_of, "ref": a.ref} for a in result.assumptions]


def assumptions_csv(result: Result) -> bytes:
    buf = io.StringIO()
    cols = ["option", "name", "value", "unit", "origin", "source", "as_of", "ref"]
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in assumptions_rows(result):
        w.writerow([safe_cell(str(row[c])) if isinstance(row[c], str) else row[c] for c in cols])
    return buf.getvalue().encode("utf-8")
