"""The XLSX workbook a finance team can pivot (openpyxl).

Sheets (each with its header in row 1, frozen, and column widths set):
  Summary      per option: total cash, total accrual, NPV, payback, break-even, cost per 1M tokens
               (scenario, currency and exchange rate are listed below the table)
  Monthly      one row per month: each option's cash and accrual cost
  Line items   the long table (option x month x line item) with quantities and units
  Assumptions  every input and default used, with origin, source and as-of
  Sensitivity  tornado bars (when computed)        Monte Carlo  percentiles, P(cheapest) (when computed)

Money is converted from USD to ``finance.currency`` with ``finance.usd_to_currency`` and stored as
numbers with a currency number format. Every text cell from a user or a data file goes through
:func:`tco.export.safe_cell`, so a name such as ``=HYPERLINK(...)`` stays text.
"""
from __future__ import annotations

import io
from typing import Any, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .analysis import MonteCarlo, Tornado, metric_label, payback_table
from .engine import Result
from .export import safe_cell
from .focus import provider_and_service

_BOLD = Font(bold=True)


def money_format(currency: str) -> str:
    """Excel number format for an amount in ``currency`` (ISO code after the number)."""
    return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


def _text(v: Any) -> Any:
    return safe_cell(v) if isinstance(v, str) else v


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], money_cols: set[int], fmt: str,
           widths: Optional[dict[int, float]] = None, first: bool = False):
    ws = wb.active if first else wb.create_sheet(title)
    ws.title = title
    ws.append([_text(h) for h in header])
    for c in ws[1]:
        c.font = _BOLD
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append([_text(v) for v in r])
    for col in money_cols:
        letter = get_column_letter(col + 1)
        for cell in ws[letter][1:len(rows) + 1]:
            cell.number_format = fmt
    for i, h in enumerate(header):
        longest = max([len(str(h))] + [len(str(r[i])) for r in rows[:200] if i < len(r) and r[i] is not None])
        ws.column_dimensions[get_column_letter(i + 1)].width = (widths or {}).get(i, min(60, max(10, longest + 2)))
    ws.freeze_panes = "A2"
    return ws


def to_xlsx(result: Result, tornado: Optional[Tornado] = None, montecarlo: Optional[MonteCarlo] = None) -> bytes:
    """The workbook as bytes (see the module docstring for the sheets)."""
    fi = result.finance_inputs
    cur = fi.get("currency") or result.scenario.finance.currency
    rate = float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency)
    fmt = money_format(cur)
    wb = Workbook()

    # Summary
    pb = {r["option"]: r for r in payback_table(result, "cash")}
    header = ["Option", "Kind", "Payment", f"Total cash [{cur}]", f"Total accrual [{cur}]", f"NPV (cash) [{cur}]",
              f"Cost per 1M tokens (accrual) [{cur}]", "Payback month vs reference", "Break-even month vs reference",
              "Provider", "Service"]
    rows = [[o.name, o.kind, o.payment, o.total_cash_usd * rate, o.total_accrual_usd * rate, o.npv_usd * rate,
             o.usd_per_million_tokens * rate, pb[o.name]["payback_month"] or "", o.break_even_month or "",
             *provider_and_service(result, o, "api" if o.kind == "api" else ("rent" if o.payment == "rent" else "capex"))]
            for o in result.options]
    ws = _sheet(wb, "Summary", header, rows, {3, 4, 5, 6}, fmt, first=True)
    s = result.scenario
    ws.append([])
    for k, v in [("Scenario", s.name), ("Start", s.start), ("Months", s.months), ("Reference API", result.reference or ""),
                 ("Currency", cur), (f"{cur} per USD", rate), ("Discount rate per year", fi.get("discount_rate")),
                 ("Fiscal year starts in month", fi.get("fiscal_year_start_month", 1)),
                 ("Note", "Amounts converted from USD at one rate; JSON and long CSV exports stay in USD.")]:
        ws.append([k, _text(v)])

    # Monthly
    header = ["Month"]
    for o in result.options:
        header += [f"{o.name} cash [{cur}]", f"{o.name} accrual [{cur}]"]
    rows = []
    for m, label in enumerate(result.months):
        row: list[Any] = [label]
        for o in result.options:
            row += [float(o.cash_usd[m]) * rate, float(o.accrual_usd[m]) * rate]
        rows.append(row)
    _sheet(wb, "Monthly", [_text(h) for h in header], rows, set(range(1, len(header))), fmt,
           widths={i: 18 for i in range(1, len(header))})

    # Line items
    header = ["Scenario", "Option", "Month", "Line item", f"Cash [{cur}]", f"Accrual [{cur}]", "Quantity", "Unit"]
    rows = []
    for o in result.options:
        for m, label in enumerate(result.months):
            for li in o.line_items.values():
                rows.append([s.name, o.name, label, li.name, float(li.cash_usd[m]) * rate, float(li.accrual_usd[m]) * rate,
                             float(li.quantity[m]), li.unit])
    _sheet(wb, "Line items", header, rows, {4, 5}, fmt)

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

    if tornado is not None:
        header = ["Input", "Unit", "Low input", "Base input", "High input", f"Metric at low [{cur}]",
                  f"Metric at high [{cur}]", f"Swing [{cur}]"]
        rows = [[b.label, b.unit, b.low_input, b.base_input, b.high_input, b.low_value * rate, b.high_value * rate,
                 b.swing * rate] for b in tornado.bars]
        ws = _sheet(wb, "Sensitivity", header, rows, {5, 6, 7}, fmt)
        ws.append([])
        ws.append(["Metric", _text(metric_label(tornado.metric, tornado.options))])
        ws.append(["Base", tornado.base * rate])
        ws.cell(ws.max_row, 2).number_format = fmt

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
        ws.append([])
        ws.append(["Draws", montecarlo.draws, "Seed", montecarlo.seed if montecarlo.seed is not None else "", "Basis",
                   montecarlo.basis])
        ws.append(["Input", "Distribution", "Low", "Mode", "High"])
        for u in montecarlo.uncertainties:
            ws.append([u.label or u.key, u.dist, u.low, u.mode, u.high])

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
