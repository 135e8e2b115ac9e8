"""The live workbook: every month, total, $/1M tokens and NPV is an Excel formula over an ``Inputs`` sheet.

Sheets (each one an Excel table with its header in row 1, frozen panes and column widths):
  Summary     one row per option: total cash, total accrual, NPV, cost per 1M tokens (in the scenario's
              currency) and the payback month versus the reference API, all formulas
  Inputs      every assumption used (value, unit, origin, source, as of, catalog reference); each value
              has a defined name (``in_discount_rate``, ``o3_price_input``...) that the formulas use
  Workload    one row per month: requests per day, requests, tokens, peak load (formulas over Inputs)
  Option N    one sheet per option, one row per month: the fleet and every line item as formulas,
              then cash, accrual, cumulative cash, discount factor, discounted cash, savings versus
              the reference and whether they stay positive to the end (the payback rule)
  Monthly     each option's cash and accrual per month in the scenario's currency (formulas)

What is not reasonably an Excel formula is written as a number and labelled "computed by the tool":
an interpolated or estimated capacity, a non-compound traffic forecast (S-curve, series, events), the
hourly fleet of an autoscaled option (GPU-hours per month), a hybrid option's fleet and overflow
requests. Every price, share, count and rate used by the formulas is an input cell: change one in
Excel and every month, total, unit cost and NPV recomputes. The formulas restate tco.model.costs and
tco.model.finance one to one (docs/finance.md, "Live workbook").
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo

from tco.core.constants import HOURS_PER_MONTH, SECONDS_PER_DAY
from tco.engine import AssumptionUsed, OptionResult, Result
from tco.model import costs
from tco.model.workload import daily_weights

TOOL = "computed by the tool"
EPS = "1E-9"  # tco.model.costs._EPS: ceil(x - 1e-9) guards against floating-point noise
PAYBACK_TOL = "0.000001"  # tco.model.finance._TOL [USD]
PAYBACK_DEFINITION = ("Payback month: the first month from which the option's cumulative cash savings versus the "
                      "reference API (reference minus option) stay above zero through the end of the horizon; "
                      "'never' when they do not, blank for API options.")
DATE_FORMAT = "yyyy-mm"
QTY_FORMAT = "#,##0.######"
_BOLD = Font(bold=True)
_TOOL_FILL = PatternFill("solid", fgColor="EEEEEE")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def money_format(currency: str) -> str:
    """Excel number format for an amount in ``currency`` (two decimals, ISO code after the number)."""
    return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


def month_dates(start: str, months: int) -> list[dt.date]:
    """First day of each month of the horizon (written as real dates formatted yyyy-mm)."""
    y, m = (int(x) for x in start.split("-"))
    return [dt.date(y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1, 1) for i in range(months)]


def put_text(cell, value: str) -> None:
    """Write ``value`` as a typed text cell: text starting with '=' stays text, with no visible marker."""
    cell.value = value
    cell.data_type = "s"


def put(cell, value: Any) -> None:
    """Write a value: any text is a typed text cell (never a formula)."""
    if isinstance(value, str):
        put_text(cell, value)
    else:
        cell.value = value


def _table_name(title: str) -> str:
    return "T_" + re.sub(r"[^A-Za-z0-9_]", "_", title)


def finish_sheet(ws, ncols: int, nrows: int, widths: Optional[dict[int, float]] = None) -> None:
    """Bold wrapped header, frozen header row and first column, widths, and one Excel table over the data."""
    for c in ws[1][:ncols]:
        c.font = _BOLD
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    for i in range(ncols):
        ws.column_dimensions[get_column_letter(i + 1)].width = (widths or {}).get(i, 16)
    if nrows > 0:
        ws.add_table(Table(displayName=_table_name(ws.title), ref=f"A1:{get_column_letter(ncols)}{nrows + 1}",
                           tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=True)))


def unique_headers(headers: list[str]) -> list[str]:
    """Excel tables need distinct header texts: a repeated one gets ' (2)', ' (3)'..."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        k = h.lower()
        seen[k] = seen.get(k, 0) + 1
        out.append(h if seen[k] == 1 else f"{h} ({seen[k]})")
    return out


# ----------------------------------------------------------------------------------------------
# Inputs


@dataclass
class _Inputs:
    rows: list[list[Any]] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)  # defined name -> row in the Inputs sheet

    def add(self, name: str, option: str, label: str, value: Any, unit: str, origin: str, source: str = "",
            as_of: str = "", ref: str = "") -> str:
        if name in self.names:
            return name
        self.rows.append([name, option or "(all)", label, value, unit, origin, source, as_of, ref])
        self.names[name] = len(self.rows) + 1
        return name

    def add_used(self, name: str, a: Optional[AssumptionUsed], option: str, label: str, value: float, unit: str,
                 fallback_origin: str = TOOL) -> str:
        if a is not None:
            return self.add(name, option, label, value, a.unit or unit, a.origin, a.source, str(a.as_of or ""), a.ref)
        return self.add(name, option, label, value, unit, fallback_origin)


def _find(result: Result, option: str, *keys: str) -> Optional[AssumptionUsed]:
    for a in result.assumptions:
        if a.option == option and any(a.name == k or a.name.startswith(k + " (") for k in keys):
            return a
    return None


# ----------------------------------------------------------------------------------------------
# Column machinery: formulas are templates in which {key} is the cell of column ``key`` in this row,
# {key@prev} the row above, {key@all} the absolute range of the column, {key@last} its last cell,
# {wl:key} the same row of the Workload sheet.


@dataclass
class _Col:
    key: str
    header: str
    cells: Callable[[int], Any]  # month index -> value or formula template
    fmt: str = ""
    tool: bool = False
    text: bool = False  # a text column (e.g. the option name): never a formula


class _Sheet:
    def __init__(self, title: str, months: int, workload_cols: Optional[dict[str, str]] = None):
        self.title, self.months = title, months
        self.cols: list[_Col] = []
        self.wl = workload_cols or {}

    def add(self, key: str, header: str, cells: Callable[[int], Any], fmt: str = "", tool: bool = False,
            text: bool = False) -> None:
        self.cols.append(_Col(key, header + (f" ({TOOL})" if tool else ""), cells, fmt, tool, text))

    def letter(self, key: str) -> str:
        for i, c in enumerate(self.cols):
            if c.key == key:
                return get_column_letter(i + 1)
        raise KeyError(key)

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.cols)

    def ref(self, key: str, what: str = "all") -> str:
        """An absolute reference to column ``key`` from another sheet ('all' range or 'last' cell)."""
        col = self.letter(key)
        r = f"${col}$2:${col}${self.months + 1}" if what == "all" else f"${col}${self.months + 1}"
        return f"'{self.title}'!{r}"

    def expand(self, template: str, m: int) -> str:
        row = m + 2

        def sub(mt: re.Match) -> str:
            key, mod = mt.group(1), mt.group(2)
            if key.startswith("wl:"):
                return f"Workload!${self.wl[key[3:]]}{row}"
            col = self.letter(key)
            if mod == "prev":
                return f"{col}{row - 1}"
            if mod == "next":
                return f"{col}{row + 1}"
            if mod == "all":
                return f"${col}$2:${col}${self.months + 1}"
            if mod == "last":
                return f"${col}${self.months + 1}"
            return f"{col}{row}"

        return re.sub(r"\{([a-z_:0-9]+)(?:@(prev|next|all|last))?\}", sub, template)

    def write(self, wb: Workbook) -> Any:
        ws = wb.create_sheet(self.title)
        for j, h in enumerate(unique_headers([c.header for c in self.cols])):
            put_text(ws.cell(1, j + 1), h)
        for m in range(self.months):
            for j, c in enumerate(self.cols):
                v = c.cells(m)
                cell = ws.cell(m + 2, j + 1)
                if not c.text and isinstance(v, str) and v.startswith("="):
                    cell.value = self.expand(v, m)
                else:
                    put(cell, v)
                if c.fmt:
                    cell.number_format = c.fmt
                if c.tool:
                    cell.fill = _TOOL_FILL
        finish_sheet(ws, len(self.cols), self.months, {0: 34, 1: 10})
        return ws


# ----------------------------------------------------------------------------------------------


def _workload(result: Result, inp: _Inputs, dates: list[dt.date]) -> _Sheet:
    s = result.scenario
    w = s.workload
    M = s.months
    sh = _Sheet("Workload", M)
    inp.add("in_hours_per_month", "", "hours per month", HOURS_PER_MONTH, "h", "default",
            "Azure pricing guidance: 730 hours/month (8,760 / 12)", "", "convention")
    inp.add("in_input_tokens", "", "input tokens per request", w.input_tokens, "tokens/request", "scenario")
    inp.add("in_output_tokens", "", "output tokens per request", w.output_tokens, "tokens/request", "scenario")
    inp.add("in_cached_input_share", "", "cached input share", w.cached_input_share, "fraction", "scenario")
    inp.add("in_cache_write_share", "", "cache write share (input tokens written to the prompt cache)",
            float(getattr(w, "cache_write_share", 0.0) or 0.0), "fraction", "scenario")
    inp.add("in_batch_share", "", "batch share", w.batch_share, "fraction", "scenario")
    g = w.growth
    compound = (g is None or g.kind == "compound") and not w.events
    sh.add("month", "Month", lambda m: dates[m], DATE_FORMAT)
    sh.add("m", "Month index", lambda m: m)
    if compound:
        rate = g.rate_per_month if g is not None else w.growth_per_month
        inp.add("in_requests_per_day", "", "requests per day in the first month", w.requests_per_day, "req/day", "scenario")
        inp.add("in_growth_per_month", "", "compound growth per month", rate, "fraction/month", "scenario")
        sh.add("rpd", "Requests per day", lambda m: "=in_requests_per_day*POWER(1+in_growth_per_month,{m})", "#,##0.00")
    else:
        rpd = [float(x) for x in result.requests_per_day]
        what = g.kind.replace("_", "-") if g is not None else "compound"
        sh.add("rpd", f"Requests per day ({what} forecast{' with events' if w.events else ''})", lambda m: rpd[m],
               "#,##0.00", tool=True)
    if w.daily_profile is not None:

        peak = float(daily_weights(w.daily_profile).max())
        inp.add("in_peak_to_average", "", "peak-hour load / average (largest hour of the daily profile)", peak,
                "ratio", TOOL)
    else:
        inp.add("in_peak_to_average", "", "peak-hour load / average", w.peak_to_average, "ratio", "scenario")
    sh.add("requests", "Requests", lambda m: "={rpd}*in_hours_per_month/24", QTY_FORMAT)
    sh.add("input_tokens", "Input tokens", lambda m: "={requests}*in_input_tokens", "#,##0")
    sh.add("output_tokens", "Output tokens", lambda m: "={requests}*in_output_tokens", "#,##0")
    sh.add("tokens", "Tokens (input + output)", lambda m: "={input_tokens}+{output_tokens}", "#,##0")
    sh.add("peak_rps", "Peak load [req/s]", lambda m: f"={{rpd}}/{SECONDS_PER_DAY:g}*in_peak_to_average", QTY_FORMAT)
    return sh


_API_KEYS = (("input", "p_input"), ("output", "p_output"), ("cached_input", "p_cached_input"),
             ("batch_input", "p_batch_input"), ("batch_output", "p_batch_output"), ("cache_write", "p_cache_write"))


def _prices(prices) -> dict[str, float]:
    """tco.model.records.ApiPrices as {p_input: ...} [USD / 1M tokens]."""
    return {key: float(getattr(prices, label)) for label, key in _API_KEYS}


def option_inputs(o: OptionResult) -> dict[str, Any]:
    """The resolved inputs of an option (tco.model.records.ApiParams / SelfHostParams) as a flat dict, plus the
    tool-computed fleet series the workbook needs (hourly replicas of an autoscaled option)."""
    p = o.params
    if o.kind == "route":
        return {}  # a route's items are tool-computed columns (formulas_cover)
    if o.kind == "api":
        return _prices(p.prices)
    keys = ("payment", "capacity_rps", "target_utilization", "spare_replicas", "gpus_per_replica", "staff_fte",
            "rent_mode", "pricing", "usd_per_gpu_hour", "usd_per_instance_hour", "gpus_per_instance", "reserved_gpus",
            "usd_per_gpu_hour_reserved", "gpus_per_server", "server_price_usd", "server_power_kw", "power_load_factor",
            "pue", "usd_per_kwh", "colo_usd_per_kw_month", "maintenance_share_per_year", "depreciation_years",
            "lead_time_months", "refresh", "residual_share")
    d: dict[str, Any] = {k: getattr(p, k, None) for k in keys}
    if p.pricing == "spot":
        d["interruption_overhead"] = p.interruption_overhead
    fleet = o.fleet
    if p.autoscale and fleet is not None and fleet.replicas_by_hour is not None:
        d["autoscale"] = True
        d["replicas_mh"] = fleet.replicas_by_hour
    if p.residual_share is not None:
        d["has_residual"] = True
    if p.is_hybrid:
        d["is_hybrid"] = True
        d["overflow_prices"] = _prices(p.overflow.prices)
    return d


def _api_prices(result: Result, inp: _Inputs, o: OptionResult, prefix: str, prices: dict, key_prefix: str = "") -> dict:
    names = {}
    for label, key in _API_KEYS:
        a = _find(result, o.name, f"{key_prefix}price_{label}")
        names[key] = inp.add_used(f"{prefix}_{key_prefix}{key}", a, o.name, f"{key_prefix}price_{label}".replace("_", " "),
                                  float(prices[key]), "USD/1M tokens",
                                  "fallback: the input or output price (no such price known)")
    return names


def _api_formula(n: dict, inp_tokens: str, out_tokens: str) -> str:
    """tco.model.costs.api_cost x the API price trend of the month."""
    return (f"=((1-in_batch_share)*({inp_tokens}*((1-in_cached_input_share-in_cache_write_share)*{n['p_input']}"
            f"+in_cached_input_share*{n['p_cached_input']}+in_cache_write_share*{n['p_cache_write']})"
            f"+{out_tokens}*{n['p_output']})+in_batch_share*({inp_tokens}*{n['p_batch_input']}+"
            f"{out_tokens}*{n['p_batch_output']}))/1000000*{{api_trend}}")


def _ceil(x: str) -> str:
    return f"CEILING(MAX(0,{x}-{EPS}),1)"


#: line items the option sheets compute with Excel formulas; any other item is a column computed by the tool
FORMULA_ITEMS = frozenset({"api", "rent", "reserved_unused", "capex", "depreciation", "power", "colo", "maintenance",
                           "residual", "staff", "api_overflow"})


def formulas_cover(o: OptionResult) -> bool:
    """True when the sheet's formulas model this option's fleet and bills (else every item is tool-computed)."""
    if o.kind == "route":
        return False
    prm = o.params
    return not (getattr(prm, "fine_tuning", None) is not None or getattr(prm, "reserved_term_months", 0)
                or getattr(prm, "repair_hours", 0) or getattr(prm, "startup_minutes", 0))


def _tool_item(sh: "_Sheet", o: OptionResult, name: str, cash: list, accrual: list) -> None:
    """Cash and accrual columns of line item ``name``, as numbers computed by the tool."""
    li = o.line_items[name]
    key = f"tool_{len(sh.cols)}"
    c = [float(x) for x in li.cash_usd]
    a = [float(x) for x in li.accrual_usd]
    sh.add(key + "_c", f"{name} cash [USD]", lambda m, v=c: v[m], "#,##0.00", tool=True)
    sh.add(key + "_a", f"{name} accrual [USD]", lambda m, v=a: v[m], "#,##0.00", tool=True)
    cash.append(key + "_c")
    accrual.append(key + "_a")


def _option_sheet(result: Result, inp: _Inputs, k: int, o: OptionResult, dates: list[dt.date], wl: _Sheet,
                  ref_sheet: Optional[_Sheet]) -> _Sheet:
    M = result.scenario.months
    sh = _Sheet(f"Option {k}", M, {c.key: wl.letter(c.key) for c in wl.cols})
    P = f"o{k}"
    p = option_inputs(o)
    cash: list[str] = []
    accrual: list[str] = []
    sh.add("option", "Option", lambda m: o.name, text=True)
    sh.add("month", "Month", lambda m: dates[m], DATE_FORMAT)
    sh.add("m", "Month index", lambda m: m)
    money = "#,##0.00"

    if not formulas_cover(o):
        # features the sheet has no Excel formulas for (a route, fine-tuning, a reserved term, availability,
        # autoscale start-up): every line item is a column computed by the tool, still summed by formulas
        for name in o.line_items:
            _tool_item(sh, o, name, cash, accrual)
        return _finish_option_sheet(result, sh, o, M, cash, accrual, ref_sheet)
    if o.kind == "api" or (p.get("is_hybrid") and o.fleet is not None and o.fleet.overflow_requests is not None):
        sh.add("api_trend", "API price factor", lambda m: "=POWER(1+in_api_price_change_per_year,{m}/12)", "0.000000")
    if o.kind == "api":
        n = _api_prices(result, inp, o, P, p)
        sh.add("input_tokens", "Input tokens", lambda m: "={wl:input_tokens}", "#,##0")
        sh.add("output_tokens", "Output tokens", lambda m: "={wl:output_tokens}", "#,##0")
        sh.add("api_qty", "API tokens [1M tokens]", lambda m: "=({input_tokens}+{output_tokens})/1000000",
               QTY_FORMAT)
        f = _api_formula(n, "{input_tokens}", "{output_tokens}")
        sh.add("api", "api [USD]", lambda m: f, money)
        cash.append("api")
        accrual.append("api")
    else:
        _self_host_columns(result, inp, sh, P, o, cash, accrual)
    for name in o.line_items:  # cost lines, the capital charge: computed by the tool
        if name not in FORMULA_ITEMS:
            _tool_item(sh, o, name, cash, accrual)
    return _finish_option_sheet(result, sh, o, M, cash, accrual, ref_sheet)


def _finish_option_sheet(result: Result, sh: "_Sheet", o: OptionResult, M: int, cash: list, accrual: list,
                         ref_sheet: Optional["_Sheet"]) -> "_Sheet":
    money = "#,##0.00"
    sh.add("cash", "Cash [USD]", lambda m: "=" + "+".join("{%s}" % c for c in cash), money)
    acc = [c if c not in ("residual",) else "residual_accrual" for c in accrual]
    sh.add("accrual", "Accrual [USD]", lambda m: "=" + "+".join("{%s}" % c for c in acc), money)
    sh.add("cum_cash", "Cumulative cash [USD]", lambda m: "={cash}" if m == 0 else "={cum_cash@prev}+{cash}", money)
    sh.add("df", "Discount factor", lambda m: "=1/POWER(1+in_discount_rate,{m}/12)", "0.000000")
    sh.add("pv", "Discounted cash [USD]", lambda m: "={cash}*{df}", money)
    if ref_sheet is not None and o.kind == "self_host":
        rc = ref_sheet.letter("cum_cash")
        sh.add("savings", "Cumulative savings vs reference [USD]",
               lambda m: f"='{ref_sheet.title}'!{rc}{m + 2}-{{cum_cash}}", money)
        last = M - 1
        sh.add("stays", "Savings stay > 0 to the end (1 = yes)",
               lambda m: (f"=IF({{savings}}>{PAYBACK_TOL},1,0)" if m == last
                          else f"=IF(AND({{savings}}>{PAYBACK_TOL},{{stays@next}}=1),1,0)"))
    return sh


def _self_host_columns(result: Result, inp: _Inputs, sh: _Sheet, P: str, o: OptionResult, cash: list, accrual: list) -> None:
    p = option_inputs(o)
    name = o.name
    M = result.scenario.months
    money = "#,##0.00"
    hybrid = bool(p.get("is_hybrid")) and o.fleet is not None and o.fleet.overflow_requests is not None
    autoscale = bool(p.get("autoscale")) and "replicas_mh" in p

    def used(key: str, label: str, value: float, unit: str, *names: str) -> str:
        return inp.add_used(f"{P}_{key}", _find(result, name, *(names or (key,))), name, label, float(value), unit)

    cap_a = _find(result, name, "capacity_rps_per_replica")
    cap_label = "capacity per replica" + (" (usable on spot: x (1 - interruption overhead))"
                                          if "interruption_overhead" in p else "")
    if "interruption_overhead" in p:
        inp.add(f"{P}_capacity_rps", name, cap_label, float(p["capacity_rps"]), "req/s", TOOL,
                cap_a.source if cap_a else "", str(cap_a.as_of or "") if cap_a else "", cap_a.ref if cap_a else "")
    else:
        inp.add_used(f"{P}_capacity_rps", cap_a, name, cap_label, float(p["capacity_rps"]), "req/s")
    util = used("target_utilization", "target utilization", p["target_utilization"], "fraction")
    spare = used("spare_replicas", "spare replicas", p["spare_replicas"], "replicas")
    gpr = inp.add(f"{P}_gpus_per_replica", name, "GPUs per replica", float(p["gpus_per_replica"]), "GPUs", "scenario")
    fte = used("staff_fte", "staff", p["staff_fte"], "FTE", "staff_fte_rent", "staff_fte_own")
    cap = f"{P}_capacity_rps"

    if hybrid or autoscale:
        reps = [float(x) for x in o.replicas]
        label = "Replicas (fixed serving fleet + spare)" if hybrid else "Replicas in the peak hour"
        sh.add("replicas", label, lambda m: reps[m], QTY_FORMAT, tool=True)
    else:
        sh.add("peak_rps", "Peak load [req/s]", lambda m: "={wl:peak_rps}", QTY_FORMAT)
        sh.add("replicas", "Replicas",
               lambda m: f"=MAX(1,{_ceil('{peak_rps}/(' + cap + '*' + util + ')')})+{spare}", QTY_FORMAT)
    sh.add("gpus", "GPUs", lambda m: f"={{replicas}}*{gpr}", QTY_FORMAT)

    if p["payment"] == "rent":
        sh.add("rent_trend", "Rent price factor", lambda m: "=POWER(1+in_rent_price_change_per_year,{m}/12)", "0.000000")
        by_gpu = p.get("rent_mode") == "gpu"
        if by_gpu:
            price = used("usd_per_gpu_hour", "rent per GPU-hour", p["usd_per_gpu_hour"], "USD/GPU-hour")
            unit_h = "GPU-hours"
        else:
            price = used("usd_per_instance_hour", f"rent per instance-hour ({p.get('pricing', 'on_demand')})",
                         p["usd_per_instance_hour"], "USD/instance-hour")
            gpi = used("gpus_per_instance", "GPUs per instance", p["gpus_per_instance"], "GPUs")
            unit_h = "instance-hours"
        reserved = float(p.get("reserved_gpus", 0.0))
        if reserved:
            res = used("reserved_gpus", "reserved GPUs", reserved, "GPUs")
            pres = used("usd_per_gpu_hour_reserved", "reserved price per GPU-hour", p["usd_per_gpu_hour_reserved"],
                        "USD/GPU-hour")
        if autoscale:
            D = HOURS_PER_MONTH / 24.0
            gpus_mh = np.asarray(p["replicas_mh"], dtype=float) * float(p["gpus_per_replica"])
            od = costs.on_demand_gpus(gpus_mh, reserved)
            od_units = od if by_gpu else costs.instances_needed(od, float(p["gpus_per_instance"]))
            od_h = costs.hourly_sum(od_units, D)
            sh.add("od_hours", f"On-demand {unit_h} (hourly fleet of the typical day)", lambda m: float(od_h[m]),
                   QTY_FORMAT, tool=True)
            od_cost = f"{{od_hours}}*{price}*{{rent_trend}}"
            if reserved:
                used_h = costs.hourly_sum(costs.reserved_used_gpus(gpus_mh, reserved), D)
                unused_h = costs.hourly_sum(costs.reserved_unused_gpus(gpus_mh, reserved), D)
                sh.add("res_used_h", "Reserved GPU-hours used", lambda m: float(used_h[m]), QTY_FORMAT, tool=True)
                sh.add("res_unused_h", "Reserved GPU-hours idle", lambda m: float(unused_h[m]), QTY_FORMAT, tool=True)
        else:
            H = "in_hours_per_month"
            if reserved:
                sh.add("od_gpus", "On-demand GPUs", lambda m: f"=MAX(0,{{gpus}}-{res})", QTY_FORMAT)
                sh.add("res_used_h", "Reserved GPU-hours used", lambda m: f"=MIN({{gpus}},{res})*{H}", QTY_FORMAT)
                sh.add("res_unused_h", "Reserved GPU-hours idle", lambda m: f"=MAX(0,{res}-{{gpus}})*{H}", QTY_FORMAT)
                base = "{od_gpus}"
            else:
                base = "{gpus}"
            if by_gpu:
                sh.add("od_hours", f"On-demand {unit_h}", lambda m: f"={base}*{H}", QTY_FORMAT)
            else:
                sh.add("od_hours", f"On-demand {unit_h}", lambda m: f"={_ceil(base + '/' + gpi)}*{H}", QTY_FORMAT)
            od_cost = f"{{od_hours}}*{price}*{{rent_trend}}"
        if reserved:
            sh.add("rent", "rent [USD]", lambda m: f"={od_cost}+{{res_used_h}}*{pres}*{{rent_trend}}", money)
            sh.add("reserved_unused", "reserved_unused [USD]", lambda m: f"={{res_unused_h}}*{pres}*{{rent_trend}}", money)
            cash += ["rent", "reserved_unused"]
            accrual += ["rent", "reserved_unused"]
        else:
            sh.add("rent", "rent [USD]", lambda m: f"={od_cost}", money)
            cash.append("rent")
            accrual.append("rent")
    else:
        gps = used("gpus_per_server", "GPUs per server", p["gpus_per_server"], "GPUs")
        price = used("server_price_usd", "server price", p["server_price_usd"], "USD")
        kw = used("server_power_kw", "server power", p["server_power_kw"], "kW")
        load = used("power_load_factor", "power load factor", p["power_load_factor"], "fraction")
        pue = used("pue", "PUE", p["pue"], "ratio")
        kwh = used("usd_per_kwh", "electricity price", p["usd_per_kwh"], "USD/kWh")
        colo = used("colo_usd_per_kw_month", "colocation price", p["colo_usd_per_kw_month"], "USD/kW-month")
        maint = used("maintenance_share_per_year", "maintenance per year (share of price)", p["maintenance_share_per_year"],
                     "fraction/year")
        years = used("depreciation_years", "depreciation life", p["depreciation_years"], "years")
        life = inp.add(f"{P}_life_months", name, "depreciation life in months = ROUND(12 x years)",
                       f"=ROUND(12*{years},0)", "months", "formula")
        lead = inp.add(f"{P}_lead_time_months", name, "lead time (servers bought ahead)",
                       float(p.get("lead_time_months", 0.0)), "months",
                       "scenario" if p.get("lead_time_months") else "default (none)")
        sh.add("needed", "Servers needed", lambda m: f"={_ceil('{gpus}/' + gps)}", QTY_FORMAT)
        sh.add("owned", "Servers owned (never shrinks)", lambda m: "={needed}" if m == 0 else "=MAX({owned@prev},{needed})",
               QTY_FORMAT)
        sh.add("first_bought", "Servers bought (first purchase, lead time)",
               lambda m: (f"=INDEX({{owned@all}},MIN({{m}}+{lead},{M - 1})+1)" if m == 0 else
                          f"=INDEX({{owned@all}},MIN({{m}}+{lead},{M - 1})+1)-INDEX({{owned@all}},MIN({{m}}-1+{lead},{M - 1})+1)"),
               QTY_FORMAT)
        if p.get("refresh"):
            sh.add("bought", "Servers bought (with refresh at end of life)",
                   lambda m: f"=SUMPRODUCT({{first_bought@all}}*({{m@all}}<={{m}})*(MOD({{m}}-{{m@all}},{life})=0))",
                   QTY_FORMAT)
            bought = "bought"
        else:
            bought = "first_bought"
        sh.add("capex", "capex [USD]", lambda m: f"={{{bought}}}*{price}", money)
        sh.add("dep_servers", "Servers depreciating",
               lambda m: f"=SUMPRODUCT({{{bought}@all}}*({{m@all}}<={{m}})*({{m@all}}>{{m}}-{life}))", QTY_FORMAT)
        sh.add("depreciation", "depreciation [USD]", lambda m: f"={{dep_servers}}*{price}/{life}", money)
        sh.add("elec_trend", "Electricity price factor",
               lambda m: "=POWER(1+in_electricity_price_change_per_year,{m}/12)", "0.000000")
        sh.add("power_kwh", "Energy [kWh]", lambda m: f"={{owned}}*{kw}*{load}*{pue}*in_hours_per_month", QTY_FORMAT)
        sh.add("power", "power [USD]", lambda m: f"={{power_kwh}}*{kwh}*{{elec_trend}}", money)
        sh.add("colo", "colo [USD]", lambda m: f"={{owned}}*{kw}*{colo}", money)
        sh.add("maintenance", "maintenance [USD]", lambda m: f"={{owned}}*{price}*{maint}/12", money)
        cash += ["capex", "power", "colo", "maintenance"]
        accrual += ["depreciation", "power", "colo", "maintenance"]
        if p.get("has_residual"):
            share = used("residual_share", "resale value (share of price)", p["residual_share"], "fraction of price")
            last = M - 1
            sh.add("residual", "residual [USD] (cash: minus proceeds)",
                   lambda m: (f"=0-{share}*{price}*({{{bought}}}-{{first_bought}}"
                              + ("+{owned})" if m == last else ")")), money)
            bv = (f"{price}/{life}*SUMPRODUCT({{{bought}@all}}*(({life}-({M}-{{m@all}}))>0)*({life}-({M}-{{m@all}})))")
            sh.add("residual_accrual", "residual accrual [USD] (book value written off - proceeds)",
                   lambda m: "={residual}+" + bv if m == last else "={residual}", money)
            cash.append("residual")
            accrual.append("residual")
    fte_cost = "in_fte_cost_per_year"
    sh.add("staff", "staff [USD]", lambda m: f"={fte}*{fte_cost}/12", money)
    cash.append("staff")
    accrual.append("staff")
    if hybrid:
        ov = [float(x) for x in o.fleet.overflow_requests]
        sh.add("overflow_requests", "Overflow requests to the API", lambda m: ov[m], QTY_FORMAT, tool=True)
        n = _api_prices(result, inp, o, P, p["overflow_prices"], "overflow_")
        sh.add("api_overflow", "api_overflow [USD]",
               lambda m: _api_formula(n, "{overflow_requests}*in_input_tokens", "{overflow_requests}*in_output_tokens"), money)
        cash.append("api_overflow")
        accrual.append("api_overflow")


def _scenario_inputs(result: Result, inp: _Inputs) -> None:
    fi = result.finance_inputs
    s = result.scenario
    inp.add("in_usd_to_currency", "", f"{fi.get('currency') or s.finance.currency} per USD",
            float(fi.get("usd_to_currency") or s.finance.usd_to_currency), "currency/USD", "scenario")
    for key, label, unit in [("discount_rate", "discount rate", "fraction/year"),
                             ("fte_cost_per_year", "cost of one FTE", "USD/year"),
                             ("api_price_change_per_year", "API price change", "fraction/year"),
                             ("rent_price_change_per_year", "rent price change", "fraction/year"),
                             ("electricity_price_change_per_year", "electricity price change", "fraction/year")]:
        inp.add_used(f"in_{key}", _find(result, "", key), "", label, float(fi.get(key) or 0.0), unit,
                     "default (not used by any option)")


def build(result: Result) -> Workbook:
    """The live workbook (see the module docstring)."""
    s = result.scenario
    M = s.months
    cur = result.finance_inputs.get("currency") or s.finance.currency
    dates = month_dates(s.start, M)
    inp = _Inputs()
    _scenario_inputs(result, inp)
    wl = _workload(result, inp, dates)
    ref_k = next((k for k, o in enumerate(result.options, 1) if o.name == result.reference), None)
    sheets: list[_Sheet] = []
    ref_sheet = None
    if ref_k is not None:
        ref_sheet = _option_sheet(result, inp, ref_k, result.options[ref_k - 1], dates, wl, None)
    for k, o in enumerate(result.options, 1):
        sheets.append(ref_sheet if k == ref_k else _option_sheet(result, inp, k, o, dates, wl, ref_sheet))

    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    fmt = money_format(cur)
    header = ["Option", "Kind", "Payment", "Sheet", f"Total cash [{cur}]", f"Total accrual [{cur}]",
              f"NPV (cash) [{cur}]", f"Cost per 1M tokens (accrual) [{cur}]", "Payback month vs reference (cash)"]
    for j, h in enumerate(header):
        put_text(summary.cell(1, j + 1), h)
    tokens = f"SUM(Workload!${wl.letter('tokens')}$2:${wl.letter('tokens')}${M + 1})"
    y0, m0 = dates[0].year, dates[0].month
    for i, (o, sh) in enumerate(zip(result.options, sheets)):
        r = i + 2
        vals: list[Any] = [o.name, o.kind, o.payment, sh.title,
                           f"=SUM({sh.ref('cash')})*in_usd_to_currency", f"=SUM({sh.ref('accrual')})*in_usd_to_currency",
                           f"=SUM({sh.ref('pv')})*in_usd_to_currency",
                           f"=SUM({sh.ref('accrual')})/{tokens}*1000000*in_usd_to_currency"]
        if sh.has("stays"):
            st = f"SUM({sh.ref('stays')})"
            vals.append(f'=IF({st}>0,DATE({y0},{m0}+{M}-{st},1),"never")')
        else:
            vals.append("reference" if o.name == result.reference else "")
        for j, v in enumerate(vals):
            if j >= 4 and v.startswith("="):
                summary.cell(r, j + 1).value = v
            else:
                put(summary.cell(r, j + 1), v)
            if 4 <= j <= 7:
                summary.cell(r, j + 1).number_format = fmt
            if j == 8:
                summary.cell(r, j + 1).number_format = DATE_FORMAT
    finish_sheet(summary, len(header), len(result.options), {0: 44, 3: 10, 8: 20})
    r = len(result.options) + 3
    for k, v in [("Scenario", s.name), ("Start", dates[0]), ("Months", M), ("Reference API", result.reference or ""),
                 ("Currency", cur), ("Catalog version", result.catalog_version or ""),
                 ("Payback", PAYBACK_DEFINITION),
                 ("Inputs", "Yellow cells on the Inputs sheet are the assumptions: change one and every sheet "
                            "recomputes. Grey columns are computed by the tool (not an Excel formula)."),
                 ("Note", "Option sheets are in USD; Summary and Monthly in the currency above (one rate, Inputs).")]:
        put_text(summary.cell(r, 1), k)
        put(summary.cell(r, 2), v)
        if isinstance(v, dt.date):
            summary.cell(r, 2).number_format = DATE_FORMAT
        r += 1

    ws = wb.create_sheet("Inputs")
    ih = ["Name", "Option", "Input", "Value", "Unit", "Origin", "Source", "As of", "Reference"]
    for j, h in enumerate(ih):
        put_text(ws.cell(1, j + 1), h)
    for i, row in enumerate(inp.rows):
        for j, v in enumerate(row):
            c = ws.cell(i + 2, j + 1)
            if j == 3 and row[5] == "formula":
                c.value = v
            else:
                put(c, v)
        vc = ws.cell(i + 2, 4)
        if row[5] not in ("formula",):
            vc.fill = _INPUT_FILL if row[5] != TOOL else _TOOL_FILL
        wb.defined_names[row[0]] = DefinedName(row[0], attr_text=f"Inputs!$D${i + 2}")
    finish_sheet(ws, len(ih), len(inp.rows), {0: 34, 1: 30, 2: 40, 3: 14, 5: 18, 6: 60, 8: 36})

    wl.write(wb)
    for sh in sheets:
        sh.write(wb)

    ws = wb.create_sheet("Monthly")
    mh = ["Month"]
    for o, sh in zip(result.options, sheets):
        mh += [f"{sh.title} cash [{cur}]", f"{sh.title} accrual [{cur}]"]
    for j, h in enumerate(unique_headers(mh)):
        put_text(ws.cell(1, j + 1), h)
    for m in range(M):
        ws.cell(m + 2, 1, dates[m]).number_format = DATE_FORMAT
        for i, sh in enumerate(sheets):
            for t, key in enumerate(("cash", "accrual")):
                c = ws.cell(m + 2, 2 + 2 * i + t, f"='{sh.title}'!{sh.letter(key)}{m + 2}*in_usd_to_currency")
                c.number_format = fmt
    finish_sheet(ws, len(mh), M, {0: 10})
    return wb


def to_live_xlsx(result: Result) -> bytes:
    """The live workbook as bytes."""
    buf = io.BytesIO()
    build(result).save(buf)
    return buf.getvalue()
