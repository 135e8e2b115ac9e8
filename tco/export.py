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

from .engine import Result

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
    :func:`tco.uncertainty.cost_range` (estimated capacities); without it, or for options whose capacity
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
            "break_even_month": o.break_even_month,
            "total_cash_usd_low": _num((cost_range or {}).get(o.name, (o.total_cash_usd,) * 2)[0]),
            "total_cash_usd_high": _num((cost_range or {}).get(o.name, (o.total_cash_usd,) * 2)[1]),
            "capacity_rps_per_replica": _num(cap.rps) if cap else None,
            "capacity_rps_per_replica_low": _num(cap.low) if cap and cap.low is not None else None,
            "capacity_rps_per_replica_high": _num(cap.high) if cap and cap.high is not None else None,
            "capacity_source": cap.source if cap else None,
            "notes": list(o.notes) + (list(cap.notes) if cap else []),
            "months": months,
        })
    return {
        "scenario": result.scenario.name,
        "start": result.scenario.start,
        "months": len(result.months),
        "reference": result.reference,
        "skipped": [{"name": n, "reason": r} for n, r in result.skipped],
        "options": out_opts,
    }


def to_json(result: Result, cost_range: Optional[dict] = None) -> str:
    return json.dumps(to_json_dict(result, cost_range), indent=2, allow_nan=False)


def fmt_usd(x: float) -> str:
    """Money for people: $1.23M, $456.7k, $3,456."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f}M"
    if a >= 1e5:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:,.0f}"


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
            "break_even_month": o.break_even_month if o.kind != "api" else None,
            "capacity_rps_per_replica": o.capacity.rps if o.capacity else None,
            "capacity_source": o.capacity.source if o.capacity else None,
            "max_gpus": float(o.gpus.max()) if o.gpus is not None else None,
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
    lines = [f"{s.name}: {s.start} + {s.months} months, {rpd0:,.0f} requests/day in the first month "
             f"({growth}), reference: {result.reference or 'none (no API option)'}", ""]
    header = f"{'option':<40} {'total cash':>12} {'accrual':>12} {'NPV':>12} {'$/1M tok':>9} {'break-even':>11}"
    lines += [header, "-" * len(header)]
    for r in summary_rows(result):
        be = r["break_even_month"] if r["kind"] != "api" else "-"
        if r["kind"] != "api" and be is None:
            be = "never"
        lines.append(f"{r['option'][:40]:<40} {fmt_usd(r['total_cash_usd']):>12} {fmt_usd(r['total_accrual_usd']):>12} "
                     f"{fmt_usd(r['npv_usd']):>12} {r['usd_per_million_tokens']:>9.3f} {be:>11}")
    cheapest = result.cheapest
    if cheapest:
        lines += ["", f"Cheapest over the horizon (cash): {cheapest.name}"]
    for o in result.options:
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
