"""The one-page decision report: HTML built here, printed to PDF by headless Chromium.

Content (one A4 page for up to 8 options; black-and-white friendly): the answer sentence, headline
figures, the cumulative cash cost chart (SVG from :mod:`tco.charts.images`, a dash pattern and marker per
option), one row per option with total cash (and its low-high range when the capacity is estimated,
tco.analysis.capacity_range), NPV, $/1M tokens, payback month versus the reference API, SLO status and
quality tier, the key assumptions with their sources, and the date and catalog version.

:func:`report_html` is pure (no browser); :func:`to_pdf` renders the chart and prints the page.
Money is in USD, cash basis unless stated (as on the Compare page).
"""
from __future__ import annotations

import datetime as dt
import html
import os
import re
import subprocess
import tempfile
from typing import Any, Optional

from tco import analysis, charts
from tco.analysis.capacity_range import CostRanges, cost_ranges
from tco.catalog import Catalog
from tco.charts.images import ChartImageError, chart_image, chromium_path, print_friendly
from tco.core.percent import plain_number
from tco.engine import Result
from tco.model.quality import load_quality, result_quality

MAX_OPTIONS = 8
PAYBACK_NOTE = ("Payback: first month from which cumulative cash savings versus the reference API stay above zero "
                "to the end of the horizon.")


class ReportError(RuntimeError):
    """The PDF could not be made (no Chromium, print failure)."""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def answer_text(result: Result) -> str:
    """The answer sentence as plain text (the headline without markdown)."""
    return charts.headline(result)["sentence"].replace("**", "")


def _answer_html(result: Result) -> str:
    parts = charts.headline(result)["sentence"].split("**")
    return "".join(f"<strong>{_e(p)}</strong>" if i % 2 else _e(p) for i, p in enumerate(parts))


def money(x: Optional[float]) -> str:
    """Whole dollars with separators ($1,234,567); 'n/a' for None."""
    if x is None:
        return "n/a"
    return ("-" if x < 0 else "") + f"${abs(x):,.0f}"


def slo_target(result: Result) -> str:
    """The scenario's latency SLO in words."""
    slo = result.scenario.slo
    bounds = [f"TTFT p95 <= {slo.ttft_p95_ms:g} ms" if slo.ttft_p95_ms is not None else "",
              f"TPOT p95 <= {slo.tpot_p95_ms:g} ms" if slo.tpot_p95_ms is not None else ""]
    return ", ".join(b for b in bounds if b) or "no SLO set"


def slo_status(result: Result, o) -> str:
    """What the report can say about the latency SLO of an option (short): the engine's status
    (tco.model.slo, tco.engine.decision), with its reason for an API (the catalog latency it rests on)."""
    words = {"met": "met", "missed": "missed", "unknown": "not checked"}[o.slo_status]
    if o.kind == "self_host":
        cap = o.capacity
        if cap is not None and cap.source == "inline":
            return f"{words}: capacity given in the scenario"
        return f"{words}: fleet sized at the SLO ({cap.source if cap is not None else '?'} capacity)"
    if o.slo_status == "unknown":
        return "not checked (no latency figure for this API)"
    return f"{words} (the API's published median latency; JSON slo_reason)"


def quality_status(result: Result, catalog: Optional[Catalog]) -> dict[str, str]:
    """Option -> Elo tier text ('no comparable figure' when none), or {} without a quality catalog."""
    if catalog is None:
        return {}
    try:

        q = load_quality(catalog)
        return {oq.name: (f"{oq.elo:.0f}" if oq.elo is not None else oq.tier_text)
                for oq in result_quality(result, catalog, q)}
    except Exception:  # noqa: BLE001 - a missing or invalid quality catalog leaves the column out
        return {}


def _short(text: str, n: int = 95) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def _find(result: Result, option: str, key: str):
    return next((a for a in result.assumptions if a.option == option and (a.name == key or a.name.startswith(key + " ("))),
                None)


def _source(a) -> str:
    src = a.source or a.origin
    return _short(src) + (f" (as of {a.as_of})" if a.as_of else "")


#: per option kind: the inputs that set its cost (first one found gives the source)
_OPTION_KEYS = {"api": ("price_input", "price_output", "price_cached_input"),
                "rent": ("usd_per_gpu_hour", "usd_per_instance_hour", "capacity_rps_per_replica"),
                "own": ("server_price_usd", "server_power_kw", "capacity_rps_per_replica")}


def key_assumptions(result: Result) -> list[tuple[str, str, str]]:
    """(input, values with units, source and as-of): the workload, each option's prices and capacity, the
    discount rate and the cost of staff. One row per option, so at most 8 + 3 rows."""
    w = result.scenario.workload
    rows = [("Workload", f"{w.requests_per_day:,.0f} requests/day in month 1; {w.input_tokens:g} input + "
             f"{w.output_tokens:g} output tokens/request", "scenario")]
    for k, o in enumerate(result.options, 1):
        found = [a for a in (_find(result, o.name, key) for key in _OPTION_KEYS[o.payment]) if a is not None]
        if not found:
            continue
        vals = "; ".join(f"{a.name.replace('_', ' ')} {plain_number(a.value)} {a.unit}".strip() if isinstance(a.value, (int, float))
                         else f"{a.name} {a.value}" for a in found)
        rows.append((f"{k}. {_short(o.name, 40)}", vals, _source(found[0])))
    for key in ("discount_rate", "fte_cost_per_year"):
        a = _find(result, "", key)
        if a is not None:
            v = f"{plain_number(a.value)} {a.unit}".strip() if isinstance(a.value, (int, float)) else str(a.value)
            rows.append((key.replace("_", " "), v, _source(a)))
    return rows


_CSS = """
@page { size: A4; margin: 9mm 10mm; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 7.4pt; color: #000; margin: 0; }
h1 { font-size: 13pt; margin: 0 0 1mm 0; }
.meta { color: #333; font-size: 7.5pt; margin-bottom: 2mm; }
.answer { font-size: 10pt; border: 1.2pt solid #000; padding: 2mm 3mm; margin-bottom: 2mm; }
.figs { display: flex; gap: 3mm; margin-bottom: 2mm; }
.fig { flex: 1; border: 0.6pt solid #000; padding: 1.2mm 2mm; }
.fig b { display: block; font-size: 11pt; }
.chart svg, .chart img { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2mm; }
th, td { border: 0.5pt solid #555; padding: 0.3mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #e6e6e6; font-weight: bold; }
td.n { text-align: right; white-space: nowrap; }
h2 { font-size: 9.5pt; margin: 1.5mm 0 1mm 0; }
.small { font-size: 6.6pt; color: #222; }
td { word-break: break-word; }
.cheapest td { font-weight: bold; }
"""


def report_html(result: Result, catalog: Optional[Catalog] = None, chart_svg: str = "", catalog_version: str = "",
                today: Optional[dt.date] = None, ranges: Optional[CostRanges] = None) -> str:
    """The report page as HTML (self-contained; ``chart_svg`` is inlined when given).

    ``ranges``: the options' cost ranges from estimated capacities; computed from ``catalog`` when not given
    (two more evaluations, only when some capacity is estimated)."""
    s = result.scenario
    if ranges is None and catalog is not None and result.options:
        ranges = cost_ranges(s, catalog, result)
    ranged = {o.name: o for o in ranges.options if o.ranged} if ranges is not None else {}
    today = today or dt.date.today()
    version = catalog_version or result.catalog_version or (catalog.version() if catalog is not None else "")
    h = charts.headline(result)
    ref = result.reference
    pb = {r["option"]: r for r in analysis.payback_table(result, "cash")} if result.options else {}
    quality = quality_status(result, catalog)
    cheapest = h["cheapest"]
    figs = [("Cheapest option", cheapest or "n/a"), ("Its total cash", money(h["cheapest_total_usd"]))]
    if ref:
        figs.append((f"Reference API ({ref})", money(h["reference_total_usd"])))
    if h["saving_usd"] is not None:
        figs.append(("Saving vs reference", money(h["saving_usd"])
                     + (f" ({h['saving_share']:.0%})" if h["saving_share"] is not None else "")))
    rows = []
    for k, o in enumerate(result.options, 1):
        if o.kind == "api":
            payback = "reference" if o.name == ref else "-"
        else:
            payback = (pb.get(o.name, {}).get("payback_month") or "never") if ref else "-"
        cls = ' class="cheapest"' if o.name == cheapest else ""
        r = ranged.get(o.name)
        span = (f"<br><span class='small'>{money(r.total_cash_usd_low)}-{money(r.total_cash_usd_high)} "
                "(estimated capacity)</span>") if r is not None else ""
        rows.append(f"<tr{cls}><td>{k}</td><td>{_e(o.name)}</td><td class='n'>{money(o.total_cash_usd)}{span}</td>"
                    f"<td class='n'>{money(o.npv_usd)}</td><td class='n'>${o.usd_per_million_tokens:,.3f}</td>"
                    f"<td>{_e(payback)}</td><td>{_e(slo_status(result, o))}</td>"
                    f"<td>{_e(quality.get(o.name, 'n/a'))}</td></tr>")
    assumptions = "".join(f"<tr><td>{_e(a)}</td><td>{_e(v)}</td><td>{_e(src)}</td></tr>"
                          for a, v, src in key_assumptions(result))
    skipped = "".join(f"<li>{_e(n)}: {_e(r)}</li>" for n, r in result.skipped)
    notes = f"<p class='small'>Not evaluated: <ul class='small'>{skipped}</ul></p>" if skipped else ""
    chart = f"<div class='chart'>{chart_svg}</div>" if chart_svg else ""
    range_note = (f"<div class='small'>{_e(ranges.sentence.replace('**', ''))} Other self-hosted capacities "
                  "are measured or given (points).</div>") if ranged else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(s.name)}: decision report</title>
<style>{_CSS}</style></head><body>
<h1>{_e(s.name)}: self-host or pay per token?</h1>
<div class="meta">{_e(s.start)} + {s.months} months &middot; report of {today.isoformat()} &middot;
catalog version {_e(version or 'n/a')} &middot; USD, cash basis unless stated</div>
<div class="answer">{_answer_html(result)}</div>
{range_note}
<div class="figs">{''.join(f'<div class="fig">{_e(a)}<b>{_e(b)}</b></div>' for a, b in figs)}</div>
{chart}
<h2>Options</h2>
<table><thead><tr><th>#</th><th>Option</th><th>Total cash</th><th>NPV (cash)</th><th>$/1M tokens (accrual)</th>
<th>Payback vs {_e(ref or 'reference')}</th><th>Latency SLO ({_e(slo_target(result))})</th><th>Quality (Elo)</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<div class="small">{_e(PAYBACK_NOTE)}</div>
{notes}
<h2>Key assumptions and sources</h2>
<table class="small"><thead><tr><th>Input</th><th>Value</th><th>Source</th></tr></thead>
<tbody>{assumptions}</tbody></table>
<div class="small">Every input, with origin, source and as-of date, is in the workbook (tco report --xlsx) and on
the Compare page. Generated by the LLM TCO planner.</div>
</body></html>"""


def cumulative_chart_svg(result: Result) -> str:
    """The cumulative cash chart as inline SVG, restyled for print (black and white)."""
    fig = print_friendly(charts.cumulative_cost_figure(result, "cash"))
    number = {o.name: k for k, o in enumerate(result.options, 1)}
    for tr in fig.data:
        if tr.name in number:
            short = tr.name if len(tr.name) <= 34 else tr.name[:33] + "\u2026"
            tr.name = f"{number[tr.name]}. {short}"
    fig.update_layout(title={"text": ""}, height=230, margin={"l": 60, "r": 10, "t": 6, "b": 28},
                      legend={"orientation": "v", "x": 1.01, "y": 1, "font": {"size": 9}, "tracegroupgap": 0})
    svg = chart_image(fig, "svg", width=1000, height=230).decode("utf-8")
    return re.sub(r"^<\?xml[^>]*>", "", svg)


def print_pdf(page_html: str, timeout: float = 120.0) -> bytes:
    """Print ``page_html`` to PDF with headless Chromium (A4, no header or footer)."""
    path = chromium_path()
    if not path:
        raise ReportError("no Chromium found to print the PDF (install Debian's chromium or set TCO_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="tco-report-") as d:
        src = os.path.join(d, "report.html")
        out = os.path.join(d, "report.pdf")
        with open(src, "w", encoding="utf-8") as f:
            f.write(page_html)
        cmd = [path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={os.path.join(d, 'profile')}", "--no-pdf-header-footer",
               "--print-to-pdf-no-header", f"--print-to-pdf={out}", "file://" + src]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print the report: {exc}") from exc
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            raise ReportError(f"Chromium printed no PDF (exit {proc.returncode}): "
                              f"{proc.stderr.decode('utf-8', 'replace')[-400:]}")
        with open(out, "rb") as f:
            return f.read()


def to_pdf(result: Result, catalog: Optional[Catalog] = None, catalog_version: str = "",
           today: Optional[dt.date] = None) -> bytes:
    """The one-page decision report as PDF bytes."""
    if len(result.options) > MAX_OPTIONS:
        raise ReportError(f"the one-page report holds at most {MAX_OPTIONS} options; the scenario has "
                          f"{len(result.options)}")
    try:
        svg = cumulative_chart_svg(result) if result.options else ""
    except ChartImageError as exc:
        raise ReportError(str(exc)) from exc
    return print_pdf(report_html(result, catalog, svg, catalog_version, today))
