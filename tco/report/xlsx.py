"""The XLSX workbook a finance team can pivot (openpyxl).

By default :func:`to_xlsx` writes the live workbook of :mod:`tco.report.xlsx_live` (formulas over an Inputs
sheet), plus the Sensitivity and Monte Carlo sheets below when computed. ``values_only=True`` writes
the values workbook described here.

Sheets (each an Excel table with its header in row 1, frozen panes, and column widths set):
  Summary      per option: total cash, total accrual, NPV, cost per 1M tokens, payback month
               (scenario, currency and exchange rate are listed below the table)
  Monthly      one row per month: each option's cash and accrual cost
  Line items   the long table (option x month x line item) with quantities and units
  Assumptions  every input and default used, with origin, source and as-of
  Sensitivity  tornado bars (when computed)        Monte Carlo  percentiles, P(cheapest) (when computed)
  Capacity range  per option whose capacity is estimated: capacity P10-P90 and the totals at both ends
               (when given and some capacity is estimated; measured capacities are points)

Money is converted from USD to ``finance.currency`` with ``finance.usd_to_currency``, rounded to the
cent and stored as numbers with a currency number format; months are real dates formatted yyyy-mm.
Every text cell is a typed text cell, so a name such as ``=HYPERLINK(...)`` stays text with no visible
marker (the CSV exports keep their leading ' guard).
"""
from __future__ import annotations

import io
from typing import Any, Optional

from openpyxl import Workbook

from tco.analysis import MonteCarlo, Tornado, metric_label, payback_table
from tco.analysis.capacity_range import CostRanges
from tco.engine import Result
from tco.report.focus import provider_and_service
from tco.report.xlsx_live import (
    DATE_FORMAT,
    PAYBACK_DEFINITION,
    build,
    finish_sheet,
    money_format,
    month_dates,
    put,
    unique_headers,
)

__all__ = ["money_format", "to_xlsx"]


def cents(x: Any) -> Any:
    """Money rounded to the cent (no floating-point noise such as 0.7999999999999999 in a cell)."""
    return None if x is None else round(float(x), 2) + 0.0


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], money_cols: set[int], fmt: str,
           widths: Optional[dict[int, float]] = None, first: bool = False, date_cols: frozenset = frozenset()):
    ws = wb.active if first else wb.create_sheet(title)
    ws.title = title
    for j, h in enumerate(unique_headers(header)):
        put(ws.cell(1, j + 1), h)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            c = ws.cell(i + 2, j + 1)
            put(c, cents(v) if j in money_cols and isinstance(v, (int, float)) else v)
            if j in money_cols:
                c.number_format = fmt
            elif j in date_cols:
                c.number_format = DATE_FORMAT
    auto = {}
    for i, h in enumerate(header):
        longest = max([len(str(h))] + [len(str(r[i])) for r in rows[:200] if i < len(r) and r[i] is not None])
        auto[i] = (widths or {}).get(i, min(60, max(10, longest + 2)))
    finish_sheet(ws, len(header), len(rows), auto)
    return ws


def to_xlsx(result: Result, tornado: Optional[Tornado] = None, montecarlo: Optional[MonteCarlo] = None,
            values_only: bool = False, capacity_ranges: Optional[CostRanges] = None) -> bytes:
    """The workbook as bytes: the live workbook (formulas over Inputs, :mod:`tco.report.xlsx_live`) by default, the
    values workbook of the module docstring with ``values_only``; Sensitivity and Monte Carlo sheets (values)
    are added to either when given, and the Capacity range sheet (values) when ``capacity_ranges``
    (:func:`tco.analysis.capacity_range.cost_ranges`) has an estimated capacity."""
    fi = result.finance_inputs
    cur = fi.get("currency") or result.scenario.finance.currency
    rate = float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency)
    fmt = money_format(cur)
    if not values_only:
        wb = build(result)
        _extra_sheets(wb, tornado, montecarlo, cur, rate, fmt, capacity_ranges)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    wb = Workbook()
    dates = month_dates(result.scenario.start, len(result.months))

    # Summary
    pb = {r["option"]: r for r in payback_table(result, "cash")}
    header = ["Option", "Kind", "Payment", f"Total cash [{cur}]", f"Total accrual [{cur}]", f"NPV (cash) [{cur}]",
              f"Cost per 1M tokens (accrual) [{cur}]", "Payback month vs reference (cash)", "Provider", "Service"]
    month_of = dict(zip(result.months, dates))

    def payback(o) -> Any:
        if o.name == result.reference:
            return "reference"
        if o.kind == "api" or result.reference is None:
            return ""
        return month_of.get(pb[o.name]["payback_month"], "never")

    rows = [[o.name, o.kind, o.payment, o.total_cash_usd * rate, o.total_accrual_usd * rate, o.npv_usd * rate,
             o.usd_per_million_tokens * rate, payback(o),
             *provider_and_service(result, o, "api" if o.kind == "api" else ("rent" if o.payment == "rent" else "capex"))]
            for o in result.options]
    ws = _sheet(wb, "Summary", header, rows, {3, 4, 5, 6}, fmt, first=True, date_cols=frozenset({7}))
    s = result.scenario
    r0 = ws.max_row + 2
    for i, (k, v) in enumerate([("Scenario", s.name), ("Start", dates[0]), ("Months", s.months),
                                ("Reference API", result.reference or ""), ("Currency", cur), (f"{cur} per USD", rate),
                                ("Discount rate per year", fi.get("discount_rate")),
                                ("Fiscal year starts in month", fi.get("fiscal_year_start_month", 1)),
                                ("Catalog version", result.catalog_version or ""), ("Payback", PAYBACK_DEFINITION),
                                ("Note", "Amounts converted from USD at one rate; JSON and long CSV exports stay in USD.")]):
        put(ws.cell(r0 + i, 1), k)
        put(ws.cell(r0 + i, 2), v)
        if k == "Start":
            ws.cell(r0 + i, 2).number_format = DATE_FORMAT

    # Monthly
    header = ["Month"]
    for o in result.options:
        header += [f"{o.name} cash [{cur}]", f"{o.name} accrual [{cur}]"]
    rows = []
    for m in range(len(result.months)):
        row: list[Any] = [dates[m]]
        for o in result.options:
            row += [float(o.cash_usd[m]) * rate, float(o.accrual_usd[m]) * rate]
        rows.append(row)
    _sheet(wb, "Monthly", header, rows, set(range(1, len(header))), fmt,
           widths={i: 18 for i in range(1, len(header))}, date_cols=frozenset({0}))

    # Line items
    header = ["Scenario", "Option", "Month", "Line item", f"Cash [{cur}]", f"Accrual [{cur}]", "Quantity", "Unit"]
    rows = []
    for o in result.options:
        for m in range(len(result.months)):
            for li in o.line_items.values():
                rows.append([s.name, o.name, dates[m], li.name, float(li.cash_usd[m]) * rate, float(li.accrual_usd[m]) * rate,
                             round(float(li.quantity[m]), 6), li.unit])
    _sheet(wb, "Line items", header, rows, {4, 5}, fmt, date_cols=frozenset({2}))

    # Assumptions: scenario inputs, then every resolved input with its provenance
    header = ["Option", "Input", "Value", "Unit", "Origin", "Source", "As of", "Reference"]
    w = s.workload
    rows = [["(all)", k, getattr(w, k), u, "scenario", "", "", ""] for k, u in
            [("requests_per_day", "req/day"), ("input_tokens", "tokens/request"), ("output_tokens", "tokens/request"),
             ("growth_per_month", "fraction/month"), ("peak_to_average", "ratio"), ("cached_input_share", "fraction"),
             ("batch_share", "fraction")]]
    rows += [["(all)", "currency", cur, "ISO 4217", "scenario", "", "", ""],
             ["(all)", "usd_to_currency", rate, f"{cur}/USD", "scenario", "", "", ""]]
    rows += [[a.option or "(all)", a.name, a.value if isinstance(a.value, (int, float)) else str(a.value), a.unit,
              a.origin, a.source, a.as_of, a.ref] for a in result.assumptions]
    _sheet(wb, "Assumptions", header, rows, set(), fmt, widths={5: 60})
    _extra_sheets(wb, tornado, montecarlo, cur, rate, fmt, capacity_ranges)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _extra_sheets(wb: Workbook, tornado: Optional[Tornado], montecarlo: Optional[MonteCarlo], cur: str, rate: float,
                  fmt: str, capacity_ranges: Optional[CostRanges] = None) -> None:
    """Sensitivity, Monte Carlo and Capacity range sheets (values; they are not recomputed by Excel)."""
    ranged = [o for o in capacity_ranges.options if o.ranged] if capacity_ranges is not None else []
    if ranged:
        header = ["Option", "Capacity [req/s/replica]", "Capacity P10 [req/s/replica]", "Capacity P90 [req/s/replica]",
                  f"Total cash [{cur}]", f"Total cash at P90 capacity [{cur}]", f"Total cash at P10 capacity [{cur}]",
                  f"Total accrual at P90 capacity [{cur}]", f"Total accrual at P10 capacity [{cur}]"]
        rows = [[o.name, o.capacity_rps, o.capacity_rps_low, o.capacity_rps_high, o.total_cash_usd * rate,
                 o.total_cash_usd_low * rate, o.total_cash_usd_high * rate, o.total_accrual_usd_low * rate,
                 o.total_accrual_usd_high * rate] for o in ranged]
        ws = _sheet(wb, "Capacity range", header, rows, set(range(4, 9)), fmt)
        put(ws.cell(ws.max_row + 2, 1), "Estimated capacities (no measured profile): P10-P90 of the estimator's "
                                        "leave-one-GPU-out error. Other capacities are measured or given (points).")
    if tornado is not None:
        header = ["Input", "Unit", "Low input", "Base input", "High input", f"Metric at low [{cur}]",
                  f"Metric at high [{cur}]", f"Swing [{cur}]"]
        rows = [[b.label, b.unit, b.low_input, b.base_input, b.high_input, b.low_value * rate, b.high_value * rate,
                 b.swing * rate] for b in tornado.bars]
        ws = _sheet(wb, "Sensitivity", header, rows, {5, 6, 7}, fmt)
        r0 = ws.max_row + 2
        put(ws.cell(r0, 1), "Metric")
        put(ws.cell(r0, 2), metric_label(tornado.metric, tornado.options))
        put(ws.cell(r0 + 1, 1), "Base")
        ws.cell(r0 + 1, 2, cents(tornado.base * rate)).number_format = fmt

    if montecarlo is not None:
        header = ["Option", f"Total P10 [{cur}]", f"Total P50 [{cur}]", f"Total P90 [{cur}]", f"Total mean [{cur}]",
                  f"NPV P10 [{cur}]", f"NPV P50 [{cur}]", f"NPV P90 [{cur}]", "P(cheapest)"]
        tot = montecarlo.stats("total")
        npv = montecarlo.stats("npv")
        pc = montecarlo.probability_cheapest()
        rows = [[t["name"], t["p10"] * rate, t["p50"] * rate, t["p90"] * rate, t["mean"] * rate,
                 n["p10"] * rate, n["p50"] * rate, n["p90"] * rate, pc[t["name"]]] for t, n in zip(tot, npv)]
        ws = _sheet(wb, "Monte Carlo", header, rows, set(range(1, 8)), fmt)
        for cell in ws["I"][1:len(rows) + 1]:
            cell.number_format = "0.0%"
        extra = [["Draws", montecarlo.draws, "Seed", montecarlo.seed if montecarlo.seed is not None else "", "Basis",
                  montecarlo.basis], ["Input", "Distribution", "Low", "Mode", "High"]]
        extra += [[u.label or u.key, u.dist, u.low, u.mode, u.high] for u in montecarlo.uncertainties]
        r0 = ws.max_row + 2
        for i, row in enumerate(extra):
            for j, v in enumerate(row):
                put(ws.cell(r0 + i, j + 1), v)
