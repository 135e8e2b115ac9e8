"""Finance analyses on top of evaluate(): annual view, payback, break-even volume, tornado, Monte Carlo.

Conventions (docs/finance.md states every formula):

* Money is USD (the exports convert with ``finance.usd_to_currency``); months on the last axis.
* ``basis`` is ``"cash"`` (capex when paid) or ``"accrual"`` (straight-line depreciation).
* :func:`evaluate_batch` re-runs the engine's own kernels with a leading axis of N draws on the
  inputs (shape ``(N, options, months)``), with no Python loop over draws or months. The break-even
  sweep (draws = volumes) and Monte Carlo (draws = samples) both use it. With no draws it reproduces
  :func:`tco.engine.evaluate` bit for bit (tests/test_montecarlo.py checks this).
* The tornado builds one modified Scenario per input and bound and calls :func:`evaluate`, so each
  bar end is exactly what evaluating that scenario gives.

Draw keys understood by :func:`evaluate_batch` (absolute values unless ``_scale``, a multiplier of the
resolved value of every option that has it):
``requests_per_day`` [req/day], ``growth_per_month`` [fraction/month], ``tokens_scale`` (input and
output tokens per request), ``api_price_scale``, ``capacity_scale``, ``gpu_price_scale`` (rent prices),
``server_price_scale``, ``usd_per_kwh_scale``, ``target_utilization_scale`` (capped at 1),
``fte_cost_per_year`` [USD/FTE-year], ``api_price_change_per_year``, ``rent_price_change_per_year``,
``electricity_price_change_per_year`` [fraction/year], ``discount_rate`` [fraction/year].
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from tco.analysis import uncertainty
from tco.analysis.capacity_range import capacity_scale_samples
from tco.catalog import Catalog
from tco.core.months import month_index
from tco.engine import PRICE_TRENDS, Load, Rates, Result, compute_line_items, evaluate, stack_api, stack_self_host, summarise
from tco.model import finance, routing, workload
from tco.model.records import API_PRICE_KEYS, SelfHostParams
from tco.scenario import Scenario, parse_scenario

BASES = ("cash", "accrual")
METRICS = ("npv", "total_cash", "total_accrual")
DRAW_KEYS = ("requests_per_day", "growth_per_month", "tokens_scale", "api_price_scale", "capacity_scale",
             "gpu_price_scale", "server_price_scale", "usd_per_kwh_scale", "target_utilization_scale",
             "fte_cost_per_year", "api_price_change_per_year", "rent_price_change_per_year",
             "electricity_price_change_per_year", "discount_rate", "capacity_by_option")


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")


def option_series(result: Result, basis: str = "cash") -> np.ndarray:
    """Monthly cost [USD] of every option, shape ``(options, months)``, on a cash or accrual basis."""
    _check_basis(basis)
    M = len(result.months)
    rows = [o.cash_usd if basis == "cash" else o.accrual_usd for o in result.options]
    return np.asarray(rows, dtype=float).reshape(len(rows), M)


# ----------------------------------------------------------------------------------------------
# Annual (fiscal-year) view


def fiscal_year_of(label: str, fiscal_year_start_month: int = 1) -> int:
    """Fiscal year of a month ``YYYY-MM``, named by the calendar year in which the fiscal year ENDS.

    FY = year when month < start (or start = 1), else year + 1. With start 7, 2026-07 .. 2027-06 is FY2027.
    """
    y, m = (int(x) for x in label.split("-"))
    return y if (fiscal_year_start_month == 1 or m < fiscal_year_start_month) else y + 1


@dataclass(frozen=True)
class AnnualView:
    years: list[str]  # "FY2027"
    months_in_year: list[int]  # months of the horizon inside each fiscal year (< 12 = partial year)
    options: list[str]
    values: np.ndarray  # [USD] shape (options, years)
    basis: str
    fiscal_year_start_month: int


def annual_view(result: Result, basis: str = "cash", fiscal_year_start_month: Optional[int] = None) -> AnnualView:
    """Sum the monthly costs into fiscal years: value[o, y] = sum of month costs m whose fiscal year is y [USD]."""
    start = fiscal_year_start_month or int(result.finance_inputs.get("fiscal_year_start_month", 1) or 1)
    if not 1 <= start <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, got {start}")
    fy = np.array([fiscal_year_of(lbl, start) for lbl in result.months])
    years = np.unique(fy)
    onehot = (fy[:, None] == years[None, :]).astype(float)  # (M, Y)
    series = option_series(result, basis)
    return AnnualView([f"FY{y}" for y in years], [int(c) for c in onehot.sum(axis=0)], [o.name for o in result.options],
                      series @ onehot, basis, start)


# ----------------------------------------------------------------------------------------------
# NPV and payback


def _ref_index(result: Result) -> Optional[int]:
    for n, o in enumerate(result.options):
        if o.name == result.reference:
            return n
    return None


def payback_table(result: Result, basis: str = "cash") -> list[dict]:
    """One row per option: total, NPV (cash, at the scenario's discount rate), payback versus the reference.

    payback = first month m at which cumulative savings (reference - option) become and stay > 0 to the
    end of the horizon (tco.model.finance.payback_index); None for the reference, or never. API options other
    than the reference get a payback too (one reference for every option).
    """
    series = option_series(result, basis)
    ref = _ref_index(result)
    pb = finance.payback_index(series, series[ref]) if ref is not None else np.full(len(result.options), -1)
    rows = []
    for n, o in enumerate(result.options):
        idx = int(pb[n]) if (ref is not None and n != ref) else -1
        rows.append({
            "option": o.name, "kind": o.kind, "payment": o.payment,
            "total_usd": float(series[n].sum()), "npv_usd": o.npv_usd,
            "usd_per_million_tokens": o.usd_per_million_tokens,
            "payback_month": finance.index_to_month(idx, result.months),
            "payback_months": (idx + 1) if idx >= 0 else None,  # months from the start, counting the payback month
        })
    return rows


# ----------------------------------------------------------------------------------------------
# Batch evaluation with a leading draws axis


@dataclass(frozen=True)
class Batch:
    """Costs of every option for N input draws. Arrays are ``(N, options, months)`` or ``(N, options)``."""

    options: list[str]
    cash_usd: np.ndarray
    accrual_usd: np.ndarray
    npv_usd: np.ndarray  # (N, options), cash, each draw at its own discount rate

    def totals(self, basis: str = "cash") -> np.ndarray:
        _check_basis(basis)
        return (self.cash_usd if basis == "cash" else self.accrual_usd).sum(axis=-1)


def _draw_count(draws: dict) -> int:
    sizes = {int(np.shape(v)[0]) for v in draws.values()}  # capacity_by_option is (N, options)
    if len(sizes) > 1:
        raise ValueError(f"all draw arrays must have the same length, got {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def _compound_rate(w) -> Optional[float]:
    """The compound growth rate of a workload, or None when its forecast is not compound."""
    g = getattr(w, "growth", None)
    if g is None:
        return w.growth_per_month
    return g.rate_per_month if g.kind == "compound" else None


def _batch_requests_per_day(scenario: Scenario, draws: dict, N: int) -> np.ndarray:
    """Requests per day [req/day], shape (M,) without workload draws, else (N, M).

    Compound forecasts recompute (1 + g)^m from the drawn requests_per_day and growth, times the event
    multipliers, exactly as the engine does. Other forecast shapes are scaled as a whole by
    drawn requests_per_day / scenario requests_per_day (their growth is not drawn).
    """
    w, M = scenario.workload, scenario.months
    base = workload.requests_per_day_forecast(w, scenario.start, M)
    if "requests_per_day" not in draws and "growth_per_month" not in draws:
        return base
    rate = _compound_rate(w)
    if rate is not None:
        rpd = workload.requests_per_day_compound(np.asarray(draws.get("requests_per_day", w.requests_per_day), dtype=float),
                                                 np.asarray(draws.get("growth_per_month", rate), dtype=float), M)
        rpd = np.broadcast_to(rpd, (N, M))
        if w.events:
            rpd = rpd * workload.event_multipliers([month_index(scenario.start, e.month) for e in w.events],
                                                   [e.multiply for e in w.events], M)
        return rpd
    if "requests_per_day" not in draws or w.requests_per_day == 0:
        return np.broadcast_to(base, (N, M))
    return base * (np.asarray(draws["requests_per_day"], dtype=float)[:, None] / w.requests_per_day)


def evaluate_batch(result: Result, draws: Optional[dict[str, Any]] = None) -> Batch:
    """Re-evaluate every option of ``result`` for N draws of the inputs in ``draws`` (keys in DRAW_KEYS).

    Inputs not drawn keep the value ``result`` resolved. Shapes: draws ``(N,)``; output ``(N, options, months)``.
    The numbers come from the engine's compute core (:func:`tco.engine.compute_line_items`) applied to
    arrays with a leading draws axis, so a batch with every draw at its base value equals evaluate()
    exactly. Hybrid (overflow) options need each draw's own hourly fleet sizing and are evaluated one
    draw at a time (documented in docs/finance.md). Raises ValueError for unknown draw keys or draw
    arrays of different lengths.
    """
    draws = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in (draws or {}).items()}
    unknown = set(draws) - set(DRAW_KEYS)
    if unknown:
        raise ValueError(f"unknown draw keys: {sorted(unknown)}")
    N = _draw_count(draws)
    if N > 1 and any(o.kind == "self_host" and o.params.is_hybrid for o in result.options):
        parts = [evaluate_batch(result, {k: v[i:i + 1] for k, v in draws.items()}) for i in range(N)]
        return Batch(parts[0].options, np.concatenate([b.cash_usd for b in parts]),
                     np.concatenate([b.accrual_usd for b in parts]), np.concatenate([b.npv_usd for b in parts]))
    core, load, rates = batch_core(result, draws, N, quantities=False, detail=False)
    M = len(result.months)
    shape = (N, len(result.options), M)
    if not any(o.kind == "route" for o in result.options):
        npv = summarise(core, load, rates.discount_rate).npv_usd
        return Batch([o.name for o in result.options], np.broadcast_to(core.cash, shape),
                     np.broadcast_to(core.accrual, shape), np.broadcast_to(npv, shape[:2]))
    # routes (issue 19): the core has the other options (compact rows); each route is its parts re-evaluated
    # on their share of the drawn traffic, plus the router on the drawn tokens
    pos = [n for n, o in enumerate(result.options) if o.kind != "route"]
    cash, accrual = np.zeros(shape), np.zeros(shape)
    cash[:, pos, :], accrual[:, pos, :] = np.broadcast_to(core.cash, (N, len(pos), M)), \
        np.broadcast_to(core.accrual, (N, len(pos), M))
    for n, o in enumerate(result.options):
        if o.kind != "route":
            continue
        for pr in o.parts:
            d = dict(draws)
            if "requests_per_day" in d:
                d["requests_per_day"] = d["requests_per_day"] * pr.share
            b = evaluate_batch(pr.scenario_result, d)
            cash[:, n, :] += b.cash_usd[:, 0, :]
            accrual[:, n, :] += b.accrual_usd[:, 0, :]
        price = o.params.router_usd_per_million_tokens
        if price is not None:
            bill = np.broadcast_to(routing.router_cost(load.input_tokens, load.output_tokens, price), (N, 1, M))[:, 0, :]
            cash[:, n, :] += bill
            accrual[:, n, :] += bill
    npv = finance.npv(cash, rates.discount_rate)
    return Batch([o.name for o in result.options], cash, accrual, np.broadcast_to(npv, shape[:2]))


def batch_core(result: Result, draws: dict[str, np.ndarray], N: int, quantities: bool = False, detail: bool = True):
    """(core output, load, rates) of ``result`` with its inputs moved by ``draws`` (N draws each, see
    :func:`evaluate_batch`): the stacked records of the options are scaled, the load and rates drawn.
    ``detail``: also the per-item arrays and the fleet (not needed for totals)."""
    s = result.scenario
    w = s.workload
    M = len(result.months)
    fi = result.finance_inputs

    def get(key: str, base: Any, shape: tuple = (1, 1)) -> Any:
        """A draw as an ``(N,) + shape`` array (a scalar when N = 1), or the base value when not drawn."""
        if key not in draws:
            return base
        v = draws[key]
        return float(v[0]) if N == 1 else v.reshape((N,) + shape)

    rpd = _batch_requests_per_day(s, draws, N)
    if N == 1:
        rpd = np.asarray(rpd, dtype=float).reshape(M)  # the engine's own shapes
    else:
        rpd = np.asarray(rpd, dtype=float).reshape(N, 1, M)
    requests = workload.monthly_requests(rpd)
    ts = get("tokens_scale", 1.0)
    in_tok = w.input_tokens * ts if "tokens_scale" in draws else w.input_tokens
    out_tok = w.output_tokens * ts if "tokens_scale" in draws else w.output_tokens
    profile = getattr(w, "daily_profile", None)
    if profile is not None:
        weights = workload.daily_weights(profile)
        hourly = workload.hourly_rps(rpd, weights)  # (..., M, 24)
        peak = workload.peak_rps(rpd, float(weights.max()))
    else:
        hourly = None
        peak = workload.peak_rps(rpd, w.peak_to_average)
    load = Load(requests, workload.monthly_tokens(requests, in_tok), workload.monthly_tokens(requests, out_tok), peak,
                hourly, in_tok, out_tok, w.cached_input_share, w.batch_share, w.cache_write_share)
    rates = Rates(
        api_price_change_per_year=get("api_price_change_per_year", fi.get("api_price_change_per_year", 0.0)),
        rent_price_change_per_year=get("rent_price_change_per_year", fi.get("rent_price_change_per_year", 0.0)),
        electricity_price_change_per_year=get("electricity_price_change_per_year",
                                              fi.get("electricity_price_change_per_year", 0.0)),
        fte_cost_per_year=get("fte_cost_per_year", fi.get("fte_cost_per_year", 0.0), (1,)),
        discount_rate=get("discount_rate", fi.get("discount_rate", 0.0), (1,)))
    # positions among the options the core computes (route options are left out: their parts are evaluated apart)
    core_opts = [o for o in result.options if o.kind != "route"]
    api_rows = [n for n, o in enumerate(core_opts) if o.kind == "api"]
    sh_rows = [n for n, o in enumerate(core_opts) if o.kind == "self_host"]
    api = [core_opts[n].params for n in api_rows]
    sh: list[SelfHostParams] = [core_opts[n].params for n in sh_rows]
    api_stack = stack_api(api) if api else None
    if api_stack is not None and "api_price_scale" in draws:
        api_stack = {k: v * get("api_price_scale", 1.0) for k, v in api_stack.items()}
    sh_stack = stack_self_host(sh) if sh else None
    if sh_stack is not None:
        for key, pk in (("capacity_scale", "capacity_rps"), ("gpu_price_scale", "usd_per_gpu_hour"),
                        ("gpu_price_scale", "usd_per_instance_hour"), ("gpu_price_scale", "usd_per_gpu_hour_reserved"),
                        ("server_price_scale", "server_price_usd"), ("usd_per_kwh_scale", "usd_per_kwh")):
            if key in draws:
                sh_stack[pk] = sh_stack[pk] * get(key, 1.0)
        if "capacity_by_option" in draws:  # per-option capacity multipliers (N, options): estimated ranges
            v = draws["capacity_by_option"][:, sh_rows]
            sh_stack["capacity_rps"] = sh_stack["capacity_rps"] * (v[0].reshape(-1, 1) if N == 1
                                                                   else v.reshape((N, len(sh_rows), 1)))
        if "target_utilization_scale" in draws:
            sh_stack["target_utilization"] = np.minimum(1.0, sh_stack["target_utilization"]
                                                        * get("target_utilization_scale", 1.0))
        if "api_price_scale" in draws:  # a hybrid option's overflow API follows the API prices
            for k in [k for k in sh_stack if k.startswith("overflow_")]:
                sh_stack[k] = sh_stack[k] * get("api_price_scale", 1.0)
    core = compute_line_items(load, rates, M, api, sh, api_rows, sh_rows, api_stack, sh_stack, quantities=quantities,
                              items=detail, fleet=detail)
    return core, load, rates


# ----------------------------------------------------------------------------------------------
# Break-even volume


@dataclass(frozen=True)
class Crossing:
    self_host: str
    api: str
    requests_per_day: float  # [req/day] in the first month
    direction: str  # "self_host_cheaper_above" | "api_cheaper_above"

    @property
    def sentence(self) -> str:
        v = f"{self.requests_per_day:,.0f}"
        if self.direction == "self_host_cheaper_above":
            return f"self-hosting {self.self_host} beats {self.api} above {v} requests/day"
        return f"{self.api} beats self-hosting {self.self_host} again above {v} requests/day"


@dataclass(frozen=True)
class BreakEvenSweep:
    volumes: np.ndarray  # [req/day] (V,)
    options: list[str]
    kinds: list[str]
    totals: np.ndarray  # [USD] (V, options) total over the horizon
    basis: str
    base_volume: float
    crossings: list[Crossing]
    summaries: list[str] = field(default_factory=list)  # sentences, including "never" cases


def _bisect(f: Callable[[float], float], lo: float, hi: float, f_lo: float, rel_tol: float = 1e-7, max_iter: int = 200) -> float:
    """Smallest volume in (lo, hi] where sign(f) differs from sign(f(lo)), to rel_tol. f may jump (fleet steps)."""
    s_lo = f_lo > 0
    for _ in range(max_iter):
        if hi - lo <= rel_tol * max(hi, 1.0):
            break
        mid = 0.5 * (lo + hi)
        if (f(mid) > 0) == s_lo:
            lo = mid
        else:
            hi = mid
    return hi


def break_even_volume(result: Result, basis: str = "cash", low_factor: float = 0.05, high_factor: float = 20.0,
                      points: int = 121, volumes: Optional[Sequence[float]] = None) -> BreakEvenSweep:
    """Total cost over the horizon of every option against first-month requests per day.

    Sweep: ``points`` volumes spaced geometrically from low_factor to high_factor x the scenario's
    volume (all evaluated at once with evaluate_batch). For each (self-host, API) pair the sign changes
    of diff(v) = total_self_host(v) - total_api(v) between neighbouring sweep points are refined by
    bisection on v (each step one evaluation) until the bracket is below 1e-7 relative.
    """
    _check_basis(basis)
    base = float(result.scenario.workload.requests_per_day)
    if volumes is None:
        if base <= 0:
            base = 1000.0
        volumes = np.geomspace(base * low_factor, base * high_factor, points)
    vols = np.asarray(volumes, dtype=float)
    totals = evaluate_batch(result, {"requests_per_day": vols}).totals(basis)  # (V, n)
    names = [o.name for o in result.options]
    kinds = [o.kind for o in result.options]
    crossings: list[Crossing] = []
    summaries: list[str] = []
    for i, o in enumerate(result.options):
        if o.kind != "self_host":
            continue
        for j, a in enumerate(result.options):
            if a.kind != "api":
                continue
            diff = totals[:, i] - totals[:, j]

            def f(v: float, i=i, j=j) -> float:
                t = evaluate_batch(result, {"requests_per_day": np.array([v])}).totals(basis)[0]
                return float(t[i] - t[j])

            pos = diff > 0
            found = []
            for k in np.nonzero(pos[:-1] != pos[1:])[0]:
                v = _bisect(f, float(vols[k]), float(vols[k + 1]), float(diff[k]))
                found.append(Crossing(o.name, a.name, v, "self_host_cheaper_above" if pos[k] else "api_cheaper_above"))
            crossings += found
            if not found:
                rng = f"{vols[0]:,.0f}-{vols[-1]:,.0f} requests/day"
                if pos.all():
                    summaries.append(f"self-hosting {o.name} never beats {a.name} between {rng}")
                else:
                    summaries.append(f"self-hosting {o.name} beats {a.name} across {rng}")
            else:
                summaries += [c.sentence for c in found]
    return BreakEvenSweep(vols, names, kinds, totals, basis, float(result.scenario.workload.requests_per_day),
                          crossings, summaries)


# ----------------------------------------------------------------------------------------------
# Input ranges shared by the tornado and Monte Carlo


@dataclass(frozen=True)
class InputRange:
    key: str  # a DRAW_KEYS entry
    label: str
    low: float
    base: float
    high: float
    unit: str  # "x base" for multipliers, else the unit of the value
    origin: str  # "catalog range" | "+/- swing" | "judgement"


def _assumption(catalog: Optional[Catalog], key: str):
    return catalog.assumptions.get(key) if catalog is not None else None


def _origin_of(result: Result, name: str) -> str:
    for a in result.assumptions:
        if a.option == "" and a.name == name:
            return a.origin
    return "scenario"


def input_ranges(result: Result, catalog: Optional[Catalog] = None, swing: float = 0.25) -> list[InputRange]:
    """Low/base/high of each key input.

    Scenario-wide inputs taken from the assumptions catalog use its low/high (widened to include the
    base); inputs set in the scenario move by -/+ swing. Per-option inputs (capacity, GPU price, server
    price, power price, utilisation) are multipliers 1 -/+ swing, except power price and utilisation,
    which use the catalog's low/high relative to its default. A rate whose base is 0 moves by an absolute
    -/+ 0.1 per year (price changes) or -/+ 0.01 per month (growth), a judgement documented in docs/finance.md.
    Inputs that no option uses are left out.
    """
    s = result.scenario
    w = s.workload
    fi = result.finance_inputs
    has_sh = any(o.kind == "self_host" for o in result.options)
    has_api = any(o.kind == "api" for o in result.options)
    has_rent = any(o.payment == "rent" for o in result.options)
    has_own = any(o.payment == "own" for o in result.options)
    lo_f, hi_f = 1.0 - swing, 1.0 + swing
    out: list[InputRange] = []

    def absolute(key: str, label: str, base: float, unit: str, zero_step: float) -> None:
        a = _assumption(catalog, key)
        if _origin_of(result, key) == "default" and a is not None and a.low is not None and a.high is not None:
            out.append(InputRange(key, label, min(a.low, base), base, max(a.high, base), unit, "catalog range"))
        elif base == 0:
            out.append(InputRange(key, label, -zero_step, 0.0, zero_step, unit, "judgement"))
        else:
            lo, hi = sorted((base * lo_f, base * hi_f))
            out.append(InputRange(key, label, lo, base, hi, unit, "+/- swing"))

    def relative_to_catalog(key: str, label: str, assumption_key: str) -> None:
        a = _assumption(catalog, assumption_key)
        if a is not None and a.low is not None and a.high is not None and a.value > 0:
            out.append(InputRange(key, label, min(1.0, a.low / a.value), 1.0, max(1.0, a.high / a.value), "x base",
                                  "catalog range"))
        else:
            out.append(InputRange(key, label, lo_f, 1.0, hi_f, "x base", "+/- swing"))

    out.append(InputRange("requests_per_day", "Requests per day", w.requests_per_day * lo_f, w.requests_per_day,
                          w.requests_per_day * hi_f, "req/day", "+/- swing"))
    g = _compound_rate(w)
    if g is None:
        pass
    elif g == 0:
        out.append(InputRange("growth_per_month", "Growth per month", -0.01, 0.0, 0.01, "fraction/month", "judgement"))
    else:
        lo, hi = sorted((g * lo_f, g * hi_f))
        out.append(InputRange("growth_per_month", "Growth per month", max(lo, -0.99), g, hi, "fraction/month", "+/- swing"))
    out.append(InputRange("tokens_scale", "Tokens per request", lo_f, 1.0, hi_f, "x base", "+/- swing"))
    if has_sh:
        out.append(InputRange("capacity_scale", "Capacity per replica", lo_f, 1.0, hi_f, "x base", "+/- swing"))
    if has_rent:
        out.append(InputRange("gpu_price_scale", "GPU rental price", lo_f, 1.0, hi_f, "x base", "+/- swing"))
    if has_own:
        out.append(InputRange("server_price_scale", "Server price", lo_f, 1.0, hi_f, "x base", "+/- swing"))
        relative_to_catalog("usd_per_kwh_scale", "Power price", "usd_per_kwh")
    if has_sh:
        relative_to_catalog("target_utilization_scale", "Target utilisation", "target_utilization")
        absolute("fte_cost_per_year", "Staff cost per FTE", float(fi.get("fte_cost_per_year", 0.0)), "USD/FTE-year", 0.0)
    if has_api:
        absolute("api_price_change_per_year", "API price change per year",
                 float(fi.get("api_price_change_per_year", 0.0)), "fraction/year", 0.1)
    absolute("discount_rate", "Discount rate", float(fi.get("discount_rate", 0.0)), "fraction/year", 0.02)
    return [r for r in out if not (r.low == r.base == r.high)]


# ----------------------------------------------------------------------------------------------
# Tornado (one evaluate() per input and bound)


def default_pair(result: Result) -> tuple[str, Optional[str]]:
    """The default comparison: first self-host option vs the reference API (or the first two options)."""
    sh = [o.name for o in result.options if o.kind == "self_host"]
    if sh and result.reference:
        return sh[0], result.reference
    names = [o.name for o in result.options]
    return (names[0], names[1]) if len(names) > 1 else (names[0], None)


def metric_label(metric: str, options: tuple[str, Optional[str]]) -> str:
    a, b = options
    return f"{metric}({a})" + (f" - {metric}({b})" if b else "")


def metric_value(result: Result, metric: str, options: tuple[str, Optional[str]]) -> float:
    """npv | total_cash | total_accrual [USD] of option A, minus option B's when B is given (NaN if missing)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    attr = {"npv": "npv_usd", "total_cash": "total_cash_usd", "total_accrual": "total_accrual_usd"}[metric]
    vals = {o.name: getattr(o, attr) for o in result.options}
    a, b = options
    if a not in vals or (b is not None and b not in vals):
        return math.nan
    return float(vals[a] - (vals[b] if b is not None else 0.0))


def moved_scenario(result: Result, key: str, value: float) -> Scenario:
    """The scenario of ``result`` with one input moved to ``value`` (absolute, or a multiplier for *_scale keys).

    Per-option multipliers are applied to the value each option resolved (inline, catalog or default) and
    written inline, so evaluate() sees exactly the moved number.
    """
    s = result.scenario
    d = s.to_dict()
    wl, fin = d["workload"], d.setdefault("finance", {})
    if key == "requests_per_day":
        wl["requests_per_day"] = value
    elif key == "growth_per_month":
        if wl.get("growth") is not None:
            wl["growth"]["rate_per_month"] = value
        else:
            wl["growth_per_month"] = value
    elif key == "tokens_scale":
        wl["input_tokens"] = s.workload.input_tokens * value
        wl["output_tokens"] = s.workload.output_tokens * value
    elif key == "fte_cost_per_year":
        d.setdefault("ops", {})["fte_cost_per_year"] = value
    elif key in ("discount_rate",) + PRICE_TRENDS:
        fin[key] = value
    elif key in ("capacity_scale", "gpu_price_scale", "server_price_scale", "usd_per_kwh_scale",
                 "target_utilization_scale", "api_price_scale"):
        by_name = {o.name: o for o in result.options}
        for od in d["options"]:
            o = by_name.get(od["name"])
            if o is None:
                continue
            p = o.params
            if key == "api_price_scale" and o.kind == "api":
                od["prices"] = {k: getattr(p.prices, k) * value for k in API_PRICE_KEYS}
                continue
            if o.kind != "self_host":
                continue
            sh = od["self_host"]
            if key == "api_price_scale" and p.overflow is not None:  # as evaluate_batch: the overflow API too
                sh["overflow"]["prices"] = {k: getattr(p.overflow.prices, k) * value for k in API_PRICE_KEYS}
            elif key == "capacity_scale":
                # the capacity before the spot interruption overhead (the resolver applies it again)
                sh["capacity_rps_per_replica"] = p.capacity.rps * value
            elif key == "target_utilization_scale":
                sh["target_utilization"] = min(1.0, p.target_utilization * value)
            elif key == "gpu_price_scale" and o.payment == "rent":
                if p.rent_mode == "gpu":
                    sh["rent"]["usd_per_gpu_hour"] = p.usd_per_gpu_hour * value
                else:
                    sh["rent"]["usd_per_instance_hour"] = p.usd_per_instance_hour * value
                    sh["rent"]["gpus_per_instance"] = int(p.gpus_per_instance)
                if p.has_reserved:
                    sh["rent"]["usd_per_gpu_hour_reserved"] = p.usd_per_gpu_hour_reserved * value
            elif key == "server_price_scale" and o.payment == "own":
                sh["own"]["server_price_usd"] = p.server_price_usd * value
            elif key == "usd_per_kwh_scale" and o.payment == "own":
                sh["own"]["usd_per_kwh"] = p.usd_per_kwh * value
    else:
        raise ValueError(f"unknown input {key!r}")
    return parse_scenario(d, "sensitivity")


@dataclass(frozen=True)
class TornadoBar:
    key: str
    label: str
    low_input: float
    base_input: float
    high_input: float
    unit: str
    low_value: float  # metric [USD] with the input at low_input
    high_value: float

    @property
    def swing(self) -> float:
        return abs(self.high_value - self.low_value) if not (math.isnan(self.low_value) or math.isnan(self.high_value)) else 0.0


@dataclass(frozen=True)
class Tornado:
    metric: str
    options: tuple[str, Optional[str]]
    base: float
    bars: list[TornadoBar]  # sorted by swing, largest first

    def to_dict(self) -> dict:
        def num(x: float) -> Optional[float]:
            return None if x is None or math.isnan(x) else round(float(x), 6)

        return {"metric": metric_label(self.metric, self.options), "base": num(self.base),
                "parameters": [{"name": b.key, "label": b.label, "unit": b.unit, "base_input": num(b.base_input),
                                "low_input": num(b.low_input), "high_input": num(b.high_input),
                                "low_value": num(b.low_value), "high_value": num(b.high_value)} for b in self.bars]}


def tornado(result: Result, catalog: Catalog, metric: str = "npv", options: Optional[tuple[str, Optional[str]]] = None,
            swing: float = 0.25, ranges: Optional[list[InputRange]] = None,
            progress: Optional[Callable[[float], None]] = None) -> Tornado:
    """Sensitivity: each input moved alone to its low and high value, the scenario re-evaluated with evaluate().

    bar value = metric_value(evaluate(moved_scenario(result, key, bound)), metric, options); bars sorted
    by |high_value - low_value|, largest first.
    """
    options = options or default_pair(result)
    for name in options:
        if name is not None and name not in {o.name for o in result.options}:
            raise ValueError(f"unknown option {name!r}; options: {[o.name for o in result.options]}")
    ranges = ranges if ranges is not None else input_ranges(result, catalog, swing)
    base = metric_value(result, metric, options)
    bars = []
    for n, r in enumerate(ranges):
        vals = []
        for bound in (r.low, r.high):
            res = evaluate(moved_scenario(result, r.key, bound), catalog, skip_infeasible=True, file="sensitivity")
            vals.append(metric_value(res, metric, options))
        bars.append(TornadoBar(r.key, r.label, r.low, r.base, r.high, r.unit, vals[0], vals[1]))
        if progress:
            progress((n + 1) / len(ranges))
    bars.sort(key=lambda b: -b.swing)
    return Tornado(metric, options, base, bars)


# ----------------------------------------------------------------------------------------------
# Monte Carlo


@dataclass(frozen=True)
class Uncertain:
    """An uncertain input: triangular(low, mode, high), or lognormal with low/high as its P5/P95."""

    key: str
    low: float
    mode: float
    high: float
    dist: str = "triangular"  # "triangular" | "lognormal"
    label: str = ""


def sample(u: Uncertain, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of ``u`` (inverse CDF of one uniform per draw, so every input uses the same number of draws).

    Triangular: F(c) = (c - a) / (b - a); x = a + sqrt(U (b - a)(c - a)) if U < F(c), else
    b - sqrt((1 - U)(b - a)(b - c)). Lognormal: ln x ~ Normal(mu, sigma) with mu = (ln low + ln high) / 2,
    sigma = (ln high - ln low) / (2 x 1.6449) (low, high = P5, P95). Zero width returns the mode exactly.
    """
    a, c, b = float(u.low), float(u.mode), float(u.high)
    if not a <= c <= b:
        raise ValueError(f"{u.key}: need low <= mode <= high, got {a}, {c}, {b}")
    uni = rng.random(n)
    if b == a:
        return np.full(n, c)
    if u.dist == "lognormal":
        if a <= 0:
            raise ValueError(f"{u.key}: lognormal needs low > 0, got {a}")
        from scipy.special import ndtri

        mu = 0.5 * (math.log(a) + math.log(b))
        sigma = (math.log(b) - math.log(a)) / (2 * 1.6448536269514722)
        return np.exp(mu + sigma * ndtri(uni))
    if u.dist != "triangular":
        raise ValueError(f"{u.key}: unknown distribution {u.dist!r}")
    fc = (c - a) / (b - a)
    left = a + np.sqrt(uni * (b - a) * (c - a))
    right = b - np.sqrt((1.0 - uni) * (b - a) * (b - c))
    return np.where(uni < fc, left, right)


def default_uncertainties(result: Result, catalog: Optional[Catalog] = None, swing: float = 0.25,
                          dist: str = "triangular") -> list[Uncertain]:
    """The tornado's input ranges as triangular(low, base, high); ``dist='lognormal'`` where low > 0."""
    out = []
    for r in input_ranges(result, catalog, swing):
        d = "lognormal" if dist == "lognormal" and r.low > 0 else "triangular"
        out.append(Uncertain(r.key, r.low, r.base, r.high, d, r.label))
    return out


@dataclass(frozen=True)
class MonteCarlo:
    draws: int
    seed: Optional[int]
    options: list[str]
    basis: str
    totals: np.ndarray  # [USD] (N, options) total over the horizon on ``basis``
    npv: np.ndarray  # [USD] (N, options)
    uncertainties: list[Uncertain]
    #: the deterministic evaluate() values [USD] (options,), total on ``basis`` and NPV
    point_totals: Optional[np.ndarray] = None
    point_npv: Optional[np.ndarray] = None

    def stats(self, which: str = "total") -> list[dict]:
        """P10/P50/P90/mean per option, with the point estimate, its percentile among the draws
        (tco.analysis.uncertainty.point_percentile) and, when P10-P90 excludes it, the reason (``range_note``)."""
        x = self.totals if which == "total" else self.npv
        p10, p50, p90 = np.percentile(x, [10, 50, 90], axis=0)
        mean = x.mean(axis=0)
        point = self.point_totals if which == "total" else self.point_npv
        pct = uncertainty.point_percentile(x, point) if point is not None else None
        rows = []
        for i, n in enumerate(self.options):
            row = {"name": n, "p10": float(p10[i]), "p50": float(p50[i]), "p90": float(p90[i]), "mean": float(mean[i])}
            if point is not None:
                row["point"] = float(point[i])
                row["point_percentile"] = float(pct[i])
                row["range_note"] = uncertainty.range_note(float(p10[i]), float(p90[i]), float(point[i]),
                                                           self.uncertainties)
            rows.append(row)
        return rows

    def probability_cheapest(self) -> dict[str, float]:
        """Share of draws in which each option has the lowest total (ties go to the first listed)."""
        win = np.argmin(self.totals, axis=1)
        counts = np.bincount(win, minlength=len(self.options))
        return {n: float(counts[i] / self.draws) for i, n in enumerate(self.options)}

    def s_curve(self, points: int = 201) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per option: (sorted totals [USD], cumulative probability), thinned to ``points`` quantiles."""
        q = np.linspace(0.0, 1.0, points)
        vals = np.quantile(self.totals, q, axis=0)
        return {n: (vals[:, i], q) for i, n in enumerate(self.options)}

    def to_dict(self) -> dict:
        return {"draws": self.draws, "seed": self.seed, "basis": self.basis,
                "options": [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
                            for row in self.stats("total")],
                "npv": [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
                        for row in self.stats("npv")],
                "probability_cheapest": self.probability_cheapest(),
                "inputs": [{"name": u.key, "dist": u.dist, "low": u.low, "mode": u.mode, "high": u.high}
                           for u in self.uncertainties]}


def monte_carlo(result: Result, uncertainties: Sequence[Uncertain], draws: int = 10_000, seed: Optional[int] = 0,
                basis: str = "cash", chunk: int = 5_000, progress: Optional[Callable[[float], None]] = None) -> MonteCarlo:
    """Sample every uncertain input (seeded numpy Generator), evaluate all draws with evaluate_batch.

    Draws are processed in vectorised blocks of ``chunk`` (bounded memory, progress reporting); the
    numbers do not depend on ``chunk`` because every input is sampled up front.
    """
    _check_basis(basis)
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    rng = np.random.default_rng(seed)
    samples = {u.key: sample(u, draws, rng) for u in uncertainties}
    caps = [o.capacity for o in result.options]
    if any(c is not None and c.rps_low is not None for c in caps):
        # estimated capacities are drawn from their range (lognormal, P10/P90 at the ends; docs/estimator.md)
        samples["capacity_by_option"] = capacity_scale_samples(caps, draws, rng)
        samples.setdefault("requests_per_day", np.full(draws, float(result.scenario.workload.requests_per_day)))
    totals = np.empty((draws, len(result.options)))
    npv = np.empty_like(totals)
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        b = evaluate_batch(result, {k: v[start:stop] for k, v in samples.items()} or
                           {"requests_per_day": np.full(stop - start, result.scenario.workload.requests_per_day)})
        totals[start:stop] = b.totals(basis)
        npv[start:stop] = b.npv_usd
        if progress:
            progress(stop / draws)
    point_totals = option_series(result, basis).sum(axis=-1)
    point_npv = np.asarray([o.npv_usd for o in result.options], dtype=float)
    return MonteCarlo(draws, seed, [o.name for o in result.options], basis, totals, npv, list(uncertainties),
                      point_totals, point_npv)
