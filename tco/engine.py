"""evaluate(): a scenario and the catalogs in, monthly costs for every option out.

Flow: resolve each option's parameters (inline value > catalog entry > assumptions default, each
recorded with its origin), then compute every line item for all options at once on
``(options, months)`` arrays with the pure functions of :mod:`tco.costs`, then finance.

Result columns (documented once, here and in docs/methodology.md):
    LineItem.cash_usd / accrual_usd  [USD per month], quantity [unit per month], unit
    OptionResult.requests / input_tokens / output_tokens [per month], peak_rps [req/s]
    OptionResult.replicas / gpus / servers [count per month] for self-host options (servers: owned)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from . import costs, finance, fine_tuning, routing, workload
from .capacity import CapacityResult, capacity_at_slo
from .catalog import Catalog
from .constants import HOURS_PER_MONTH, TOKENS_PER_MILLION
from .exceptions import EvaluationError, Problem
from .scenario import Option, Scenario

#: line item -> (counts in cash, counts in accrual)
LINE_ITEMS = {
    "api": (True, True),
    "rent": (True, True),
    "capex": (True, False),
    "depreciation": (False, True),
    "power": (True, True),
    "colo": (True, True),
    "maintenance": (True, True),
    "staff": (True, True),
    # issue 5 (docs/methodology_traffic.md)
    "reserved_unused": (True, True),  # committed GPU-hours left idle, billed anyway
    "api_overflow": (True, True),  # hybrid: requests above the fleet billed by the overflow API
    # residual: cash = -proceeds (sale at retirement or horizon end); accrual = book value written off
    # - proceeds (gain < 0, loss > 0). Both flags are True but the two series differ.
    "residual": (True, True),
    # issue 19 (docs/methodology.md sections 11-12)
    "fine_tuning": (True, True),  # training runs, in the run months
    "router": (True, True),  # router / gateway price on a route's tokens
}


@dataclass(frozen=True)
class AssumptionUsed:
    """One input behind the numbers: its value and where it came from."""

    option: str  # option name, or "" for scenario-wide inputs
    name: str
    value: Any
    unit: str
    origin: str  # "scenario" | "catalog" | "default"
    source: str = ""
    as_of: str = ""
    ref: str = ""  # catalog file and entry id, when from a catalog


@dataclass(frozen=True)
class LineItem:
    name: str
    cash_usd: np.ndarray  # [USD per month]
    accrual_usd: np.ndarray  # [USD per month]
    quantity: np.ndarray  # [unit per month]
    unit: str


@dataclass(frozen=True)
class OptionResult:
    name: str
    kind: str  # "api" | "self_host"
    payment: str  # "api" | "rent" | "own"
    line_items: dict[str, LineItem]
    requests: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    peak_rps: np.ndarray
    cash_usd: np.ndarray
    accrual_usd: np.ndarray
    total_cash_usd: float
    total_accrual_usd: float
    npv_usd: float
    usd_per_million_tokens: float
    break_even_month: Optional[str]
    break_even_index: int
    replicas: Optional[np.ndarray] = None
    gpus: Optional[np.ndarray] = None
    servers: Optional[np.ndarray] = None
    capacity: Optional[CapacityResult] = None
    notes: tuple[str, ...] = ()
    ref_id: str = ""  # api offer id, or model id for self-host
    params: dict[str, Any] = field(default_factory=dict)
    extra_monthly: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. gpu_hours, overflow_requests
    fine_tuning_runs: tuple = ()  # tco.fine_tuning.FineTuningRun, one per run (a route: its parts' runs)
    parts: tuple = ()  # route options: RoutePartResult, one per member evaluated
    quality_weights: tuple = ()  # route options: (part name, weight in the route's quality)


@dataclass(frozen=True)
class RoutePartResult:
    """One member of a route as evaluated on its share of the traffic."""

    name: str
    share: float  # share of requests [0-1]
    role: str  # "part" (split) | "first" | "escalate" (cascade)
    result: "OptionResult"
    scenario_result: Optional["Result"] = None  # the part's own evaluation (re-used by tco.analysis.evaluate_batch)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    months: list[str]
    options: list[OptionResult]
    assumptions: list[AssumptionUsed]
    reference: Optional[str]  # name of the reference API option (the first API option)
    requests_per_day: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (option name, reason)
    catalog_version: str = ""
    #: scenario-wide finance inputs as resolved: discount_rate, fte_cost_per_year, *_price_change_per_year
    #: [fraction/year], currency, usd_to_currency, fiscal_year_start_month (see docs/finance.md)
    finance_inputs: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> OptionResult:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    @property
    def cheapest(self) -> Optional[OptionResult]:
        return min(self.options, key=lambda o: o.total_cash_usd) if self.options else None


# ----------------------------------------------------------------------------------------------
# Resolution: inline > catalog > default, with provenance


class _Resolver:
    def __init__(self, scenario: Scenario, catalog: Catalog, file: str = "scenario"):
        self.s, self.c, self.file = scenario, catalog, file
        self.used: list[AssumptionUsed] = []
        self.problems: list[Problem] = []

    def default(self, option: str, key: str, inline: Any, unit: str = "") -> float:
        if inline is not None:
            self.used.append(AssumptionUsed(option, key, inline, unit, "scenario"))
            return float(inline)
        a = self.c.assumptions.get(key)
        if a is None:
            raise EvaluationError(f"assumption '{key}' is missing from {self.c.files.get('assumptions', 'assumptions.yaml')}")
        self.used.append(AssumptionUsed(option, key, a.value, a.unit or unit, "default", a.source, a.as_of,
                                        f"{self.c.files.get('assumptions', 'assumptions.yaml')}: {a.id}"))
        return float(a.value)

    def from_entry(self, option: str, key: str, inline: Any, entry, attr: str, catalog: str, unit: str = "") -> Optional[float]:
        if inline is not None:
            self.used.append(AssumptionUsed(option, key, inline, unit, "scenario"))
            return float(inline)
        if entry is None:
            return None
        val = getattr(entry, attr)
        if val is None:
            return None
        self.used.append(AssumptionUsed(option, key, val, unit, "catalog", entry.source, entry.as_of,
                                        f"{self.c.files.get(catalog, catalog)}: {entry.id}"))
        return float(val)

    def lookup(self, path: str, catalog: str, key: str):
        table = self.c.get(catalog)
        if key not in table:
            self.problems.append(Problem(self.file, path, None, f"unknown {catalog[:-1] if catalog.endswith('s') else catalog} id '{key}'"
                                         f" (see python -m tco list {catalog})"))
            return None
        return table[key]


def _resolve_api(r: _Resolver, i: int, o: Option) -> Optional[dict]:
    return _resolve_api_prices(r, f"options[{i}]", o.name, o.api, o.prices)


def _resolve_api_prices(r: _Resolver, path: str, name: str, api_id: Optional[str], inline, key_prefix: str = "") -> Optional[dict]:
    """API prices of an option (or of a hybrid option's overflow API, ``key_prefix="overflow_"``)."""
    entry = r.lookup(f"{path}.api", "apis", api_id) if api_id else None
    if api_id and entry is None:
        return None
    notes = []

    def price(key: str, fallback: Optional[float] = None, fallback_key: str = "") -> float:
        v = r.from_entry(name, f"{key_prefix}price_{key}", getattr(inline, key) if inline else None, entry, key, "apis",
                         "USD/1M tokens")
        if v is None:
            if fallback is None:
                raise EvaluationError(f"{path}.prices.{key}: required")
            notes.append(f"{key_prefix.replace('_', ' ')}no {key.replace('_', ' ')} price known: billed at the {fallback_key} price")
            return fallback
        return v

    p_in = price("input")
    p_out = price("output")
    w = r.s.workload
    p_cached = price("cached_input", p_in, "input") if w.cached_input_share > 0 else (
        r.from_entry(name, f"{key_prefix}price_cached_input", getattr(inline, "cached_input", None) if inline else None, entry,
                     "cached_input", "apis", "USD/1M tokens") or p_in)
    if w.batch_share > 0:
        p_bin = price("batch_input", p_in, "input")
        p_bout = price("batch_output", p_out, "output")
    else:
        p_bin, p_bout = p_in, p_out
    return dict(p_input=p_in, p_output=p_out, p_cached_input=p_cached, p_batch_input=p_bin, p_batch_output=p_bout,
                notes=notes, ref_id=api_id or "inline",
                provider=entry.provider if entry is not None else "", service=entry.model_name if entry is not None else "")


def _entry_for_gpu(r: _Resolver, path: str, catalog: str, entry_id: Optional[str], gpu: str):
    """The rental offer or server ``entry_id`` of ``catalog`` (None when not given); False, with the problem
    recorded, when the id is unknown or the entry is for another GPU than the option's."""
    if not entry_id:
        return None
    entry = r.lookup(path, catalog, entry_id)
    if entry is None:
        return False
    if entry.gpu != gpu:
        r.problems.append(Problem(r.file, path, None,
                                  f"{catalog[:-1]} '{entry.id}' has gpu '{entry.gpu}', option uses '{gpu}'"))
        return False
    return entry


def _resolve_self_host(r: _Resolver, i: int, o: Option) -> Optional[dict]:
    sh = o.self_host
    path = f"options[{i}].self_host"
    model = r.lookup(f"{path}.model", "models", sh.model)
    gpu = r.lookup(f"{path}.gpu", "gpus", sh.gpu)
    if model is None or gpu is None:
        return None
    name = o.name
    notes: list[str] = []
    w, slo = r.s.workload, r.s.slo
    p: dict[str, Any] = dict(gpus_per_replica=float(sh.gpus_per_replica), ref_id=sh.model, notes=notes)
    # capacity
    if sh.capacity_rps_per_replica is not None:
        cap = CapacityResult(rps=float(sh.capacity_rps_per_replica), source="inline")
        r.used.append(AssumptionUsed(name, "capacity_rps_per_replica", sh.capacity_rps_per_replica, "req/s", "scenario"))
    else:
        try:
            cap = capacity_at_slo(r.c, sh.model, sh.gpu, sh.gpus_per_replica, sh.precision, slo.ttft_p95_ms,
                                  slo.tpot_p95_ms, w.input_tokens, w.output_tokens)
        except NotImplementedError:
            cap = CapacityResult(rps=None, source="measured", reason="no capacity model available; give capacity_rps_per_replica")
        if cap.feasible:
            prof = r.c.profiles.get(cap.profile_id) if cap.profile_id else None
            r.used.append(AssumptionUsed(name, "capacity_rps_per_replica", round(cap.rps, 6), "req/s", cap.source,
                                         prof.source if prof else "estimator (docs/estimator.md)",
                                         prof.as_of if prof else "", f"profile {cap.profile_id}" if cap.profile_id else ""))
    p["capacity"] = cap
    if not cap.feasible:
        return p
    p["capacity_rps"] = cap.rps
    p["target_utilization"] = r.default(name, "target_utilization", sh.target_utilization)
    p["spare_replicas"] = r.default(name, "spare_replicas", sh.spare_replicas, "replicas")
    staff_key = "staff_fte_rent" if sh.rent is not None else "staff_fte_own"
    p["staff_fte"] = r.default(name, staff_key, sh.staff_fte, "FTE")
    if sh.rent is not None:
        p["payment"] = "rent"
        rent = sh.rent
        offer = _entry_for_gpu(r, f"{path}.rent.offer", "offers", rent.offer, sh.gpu)
        if offer is False:
            return None
        if rent.usd_per_gpu_hour is not None:
            p.update(rent_mode="gpu", usd_per_gpu_hour=float(rent.usd_per_gpu_hour))
            r.used.append(AssumptionUsed(name, "usd_per_gpu_hour", rent.usd_per_gpu_hour, "USD/GPU-hour", "scenario"))
        else:
            price = r.from_entry(name, f"usd_per_instance_hour ({rent.pricing})", rent.usd_per_instance_hour, offer,
                                 f"usd_per_instance_hour_{rent.pricing}", "offers", "USD/instance-hour")
            if price is None:
                r.problems.append(Problem(r.file, f"{path}.rent.pricing", None,
                                          f"offer '{offer.id}' has no {rent.pricing} price; give usd_per_instance_hour"))
                return None
            gpi = r.from_entry(name, "gpus_per_instance", rent.gpus_per_instance, offer, "gpus_per_instance", "offers", "GPUs")
            p.update(rent_mode="instance", usd_per_instance_hour=price, gpus_per_instance=gpi)
        p["pricing"] = rent.pricing
        p["provider"] = offer.provider if offer is not None else ""
        p["service"] = f"{offer.id} ({offer.instance_type})" if offer is not None else ""
    else:
        p["payment"] = "own"
        own = sh.own
        server = _entry_for_gpu(r, f"{path}.own.server", "servers", own.server, sh.gpu)
        if server is False:
            return None
        p["gpus_per_server"] = r.from_entry(name, "gpus_per_server", own.gpus_per_server, server, "gpus_per_server", "servers", "GPUs")
        p["server_price_usd"] = r.from_entry(name, "server_price_usd", own.server_price_usd, server, "price_usd", "servers", "USD")
        p["server_power_kw"] = r.from_entry(name, "server_power_kw", own.server_power_kw, server, "power_kw", "servers", "kW")
        if server is not None and server.low_confidence and (own.server_price_usd is None or own.server_power_kw is None):
            notes.append(f"server '{server.id}' figures are low confidence: {server.notes or 'see catalog'}")
        p["power_load_factor"] = r.default(name, "power_load_factor", own.power_load_factor)
        p["pue"] = r.default(name, "pue", own.pue)
        p["usd_per_kwh"] = r.default(name, "usd_per_kwh", own.usd_per_kwh, "USD/kWh")
        p["colo_usd_per_kw_month"] = r.default(name, "colo_usd_per_kw_month", own.colo_usd_per_kw_month, "USD/kW-month")
        p["maintenance_share_per_year"] = r.default(name, "maintenance_share_per_year", own.maintenance_share_per_year)
        p["depreciation_years"] = r.default(name, "depreciation_years", own.depreciation_years, "years")
    if not _resolve_traffic(r, path, o, p):
        return None
    return p


_SPOT_NOTE = "spot capacity can be interrupted at short notice: it does not suit a strict latency SLO"


def _resolve_traffic(r: _Resolver, path: str, o: Option, p: dict) -> bool:
    """Issue-5 parameters of a self-host option (docs/methodology_traffic.md); False when a problem was recorded."""
    sh, name, notes = o.self_host, o.name, p["notes"]
    if sh.rent is not None:
        rent = sh.rent
        offer = r.c.offers.get(rent.offer) if rent.offer else None
        if rent.autoscale:
            p["autoscale"] = 1.0
            p["min_replicas"] = float(rent.min_replicas if rent.min_replicas is not None else 1)
            r.used.append(AssumptionUsed(name, "min_replicas", int(p["min_replicas"]), "replicas",
                                         "scenario" if rent.min_replicas is not None else "default",
                                         "" if rent.min_replicas is not None else "issue 5 default: 1"))
        if rent.reserved_gpus:
            p["reserved_gpus"] = float(rent.reserved_gpus)
            r.used.append(AssumptionUsed(name, "reserved_gpus", rent.reserved_gpus, "GPUs", "scenario"))
            if rent.usd_per_gpu_hour_reserved is not None:
                p["usd_per_gpu_hour_reserved"] = float(rent.usd_per_gpu_hour_reserved)
                r.used.append(AssumptionUsed(name, "usd_per_gpu_hour_reserved", rent.usd_per_gpu_hour_reserved,
                                             "USD/GPU-hour", "scenario"))
            elif offer is not None and offer.usd_per_instance_hour_reserved is not None:
                p["usd_per_gpu_hour_reserved"] = offer.usd_per_instance_hour_reserved / offer.gpus_per_instance
                r.used.append(AssumptionUsed(name, "usd_per_gpu_hour_reserved", round(p["usd_per_gpu_hour_reserved"], 6),
                                             "USD/GPU-hour", "catalog", offer.source, offer.as_of,
                                             f"{r.c.files.get('offers', 'offers')}: {offer.id} (reserved / gpus_per_instance)"))
            else:
                r.problems.append(Problem(r.file, f"{path}.rent.usd_per_gpu_hour_reserved", None,
                                          "reserved_gpus needs usd_per_gpu_hour_reserved (or an offer with a reserved price)"))
                return False
        if rent.pricing == "spot":
            if rent.interruption_overhead is None and "spot_interruption_overhead" not in r.c.assumptions:
                # core behaviour (issue 2) for catalogs without the assumption: no overhead, said in the notes
                overhead = 0.0
                notes.append("no interruption overhead applied (give rent.interruption_overhead; the assumptions "
                             "catalog has no spot_interruption_overhead)")
            else:
                overhead = r.default(name, "spot_interruption_overhead", rent.interruption_overhead)
            p["interruption_overhead"] = overhead
            p["capacity_rps"] = float(costs.spot_capacity(p["capacity_rps"], overhead))
            notes.append(_SPOT_NOTE)
    else:
        own = sh.own
        if own.lead_time_months:
            p["lead_time_months"] = float(own.lead_time_months)
            r.used.append(AssumptionUsed(name, "lead_time_months", own.lead_time_months, "months", "scenario"))
        if own.refresh:
            p["refresh"] = 1.0
        if own.residual_share is not None:
            p["has_residual"], p["residual_share"] = 1.0, float(own.residual_share)
            r.used.append(AssumptionUsed(name, "residual_share", own.residual_share, "fraction of price", "scenario"))
    if sh.overflow is not None:
        ov = sh.overflow
        api = _resolve_api_prices(r, f"{path}.overflow", name, ov.api, ov.prices, "overflow_")
        if api is None:
            return False
        notes.extend(api["notes"])
        p["is_hybrid"] = 1.0
        p["overflow_prices"] = {k: api[k] for k in _API_PRICE_KEYS}
        p["overflow_ref"] = api["ref_id"]
        if sh.base_replicas is not None:
            p["base_replicas"] = float(sh.base_replicas)
            r.used.append(AssumptionUsed(name, "base_replicas", sh.base_replicas, "replicas", "scenario"))
        else:
            p["hybrid_percentile"] = float(sh.size_for_hour_percentile)
            r.used.append(AssumptionUsed(name, "size_for_hour_percentile", sh.size_for_hour_percentile, "fraction", "scenario"))
    return True


_API_PRICE_KEYS = ("p_input", "p_output", "p_cached_input", "p_batch_input", "p_batch_output")


# ----------------------------------------------------------------------------------------------
# Price trends (docs/finance.md)

PRICE_TRENDS = ("api_price_change_per_year", "rent_price_change_per_year", "electricity_price_change_per_year")


def price_trend_factor(months: int, change_per_year) -> np.ndarray:
    """Price multiplier of month m = (1 + change_per_year)^(m / 12); change_per_year [fraction/year] broadcasts
    (a ``(N, 1)`` array of Monte Carlo draws gives ``(N, months)``). -0.3 = 30% cheaper each year.
    """
    m = np.arange(months, dtype=float)
    r = np.asarray(change_per_year, dtype=float)
    return np.power(1.0 + r, m / 12.0)


def apply_self_host_trends(p: dict[str, np.ndarray], months: int, rent_change_per_year,
                           electricity_change_per_year) -> dict[str, np.ndarray]:
    """Return stacked self-host parameters with rent prices [USD/GPU-h, USD/instance-h] and usd_per_kwh [USD/kWh]
    multiplied month by month by their price trend factor (their shape becomes ``(..., n, months)``).
    """
    out = dict(p)
    rent_f = price_trend_factor(months, rent_change_per_year)
    power_f = price_trend_factor(months, electricity_change_per_year)
    out["usd_per_gpu_hour"] = p["usd_per_gpu_hour"] * rent_f
    out["usd_per_instance_hour"] = p["usd_per_instance_hour"] * rent_f
    out["usd_per_kwh"] = p["usd_per_kwh"] * power_f
    return out


def _trend_rate(r: "_Resolver", key: str, inline: Any) -> float:
    """A price trend from the scenario, else the assumptions catalog, else 0 (no trend), recorded either way."""
    if inline is None and key not in r.c.assumptions:
        r.used.append(AssumptionUsed("", key, 0.0, "fraction per year", "default",
                                     "no trend: assumption missing from the catalog"))
        return 0.0
    return r.default("", key, inline, "fraction per year")


# ----------------------------------------------------------------------------------------------
# Vectorised kernels (options on axis -2, months on axis -1)


def _col(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def api_kernel(input_m, output_m, prices: dict[str, np.ndarray], cached_share, batch_share) -> dict[str, np.ndarray]:
    """API line item for stacked options: prices are ``(n, 1)`` arrays; returns cash and quantity ``(n, M)``."""
    cost = costs.api_cost(input_m, output_m, prices["p_input"], prices["p_output"], prices["p_cached_input"],
                          prices["p_batch_input"], prices["p_batch_output"], cached_share, batch_share)
    qty = np.broadcast_to((input_m + output_m) / TOKENS_PER_MILLION, cost.shape)
    return {"api": cost, "api_qty": qty}


def _traffic_param(p: dict[str, np.ndarray], key: str, like: np.ndarray, neutral: float) -> np.ndarray:
    """Issue-5 parameter, or its neutral value when the stack predates those fields."""
    return p[key] if key in p else np.full(np.shape(like), neutral)


def _rows(p: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The stacked parameters of a subset of options (axis 0)."""
    return {k: np.asarray(v)[rows] for k, v in p.items()}


def _rent_bill(gpus_slots, slot_hours, p: dict[str, np.ndarray], reserved_gpus) -> dict[str, np.ndarray]:
    """Rental bill over slots of a month (the last axis): 1 slot of H = 730 h for a fixed fleet, 24 slots of
    D = 730 / 24 h for an autoscaled one. Reserved GPUs are billed every hour at the reserved price, the GPUs
    above them at the on-demand (or spot) price (per GPU, or ceil(gpus / gpus_per_instance) instances).
    """
    by_gpu = p["rent_by_gpu"] > 0  # (n, 1)
    res = np.asarray(reserved_gpus, dtype=float)[..., None]
    od = costs.on_demand_gpus(gpus_slots, res)
    od_instances = costs.instances_needed(od, p["gpus_per_instance"][..., None])
    p_gpu = np.asarray(p["usd_per_gpu_hour"], dtype=float)[..., None]
    p_inst = np.asarray(p["usd_per_instance_hour"], dtype=float)[..., None]
    od_cost = np.where(by_gpu, costs.hourly_sum(od * p_gpu, slot_hours), costs.hourly_sum(od_instances * p_inst, slot_hours))
    p_res = np.asarray(_traffic_param(p, "usd_per_gpu_hour_reserved", p["rent_by_gpu"], 0.0), dtype=float)
    used_res_h = costs.hourly_sum(costs.reserved_used_gpus(gpus_slots, res), slot_hours)  # [GPU-h]
    unused_res_h = costs.hourly_sum(costs.reserved_unused_gpus(gpus_slots, res), slot_hours)  # [GPU-h]
    od_qty = np.where(by_gpu, costs.hourly_sum(od, slot_hours), costs.hourly_sum(od_instances, slot_hours))
    has_res = np.asarray(reserved_gpus, dtype=float) > 0
    billed_od_gpu_h = np.where(by_gpu, costs.hourly_sum(od, slot_hours),
                               costs.hourly_sum(od_instances * p["gpus_per_instance"][..., None], slot_hours))
    return {
        "rent": od_cost + used_res_h * p_res,
        # GPU-hours (or instance-hours per instance without a commitment; with one: billed GPU-hours)
        "rent_qty": np.where(has_res, used_res_h + billed_od_gpu_h, od_qty),
        "reserved_unused": unused_res_h * p_res,
        "reserved_unused_qty": unused_res_h,
        "gpu_hours": costs.hourly_sum(gpus_slots, slot_hours),
    }


def self_host_kernel(peak_rps_m, p: dict[str, np.ndarray], fte_cost_per_year, months: int,
                     hourly_rps_mh: Optional[np.ndarray] = None) -> dict[str, np.ndarray]:
    """Fleet and line items for stacked self-host options. ``p`` holds ``(n, 1)`` parameter arrays:
    capacity_rps, target_utilization, spare_replicas, gpus_per_replica, staff_fte, is_rent, rent_by_gpu,
    usd_per_gpu_hour, usd_per_instance_hour, gpus_per_instance, is_own, gpus_per_server, server_price_usd,
    server_power_kw, power_load_factor, pue, usd_per_kwh, colo_usd_per_kw_month, maintenance_share_per_year,
    life_months. Non-applicable parameters are ignored through the is_* masks.

    Issue 5 (optional keys, neutral when absent): autoscale, min_replicas, reserved_gpus,
    usd_per_gpu_hour_reserved, lead_time_months, refresh, has_residual, residual_share, is_hybrid,
    base_replicas, hybrid_percentile, overflow p_* prices. ``hourly_rps_mh`` [req/s], shape (months, 24), is
    the typical day of each month (given when the scenario has a daily profile); autoscaled and hybrid
    options need it. ``capacity_rps`` is the usable capacity (spot: already x (1 - interruption_overhead)).
    """
    out: dict[str, np.ndarray] = {}
    cap, util, spare = p["capacity_rps"], p["target_utilization"], p["spare_replicas"]
    replicas = costs.replicas_needed(peak_rps_m, cap, util, spare)
    is_rent, is_own = p["is_rent"], p["is_own"]
    n = np.shape(is_rent)[0]
    autoscale = _traffic_param(p, "autoscale", is_rent, 0.0)
    is_hybrid = _traffic_param(p, "is_hybrid", is_rent, 0.0)
    hyb = np.flatnonzero(np.reshape(is_hybrid, (n, -1))[:, 0] > 0) if hourly_rps_mh is not None else np.zeros(0, int)
    if hyb.size:
        # hybrid rows only: a fixed serving fleet (base_replicas, or sized for an hour percentile of the
        # day's load); the excess of each hour goes to the API
        sub = _rows(p, hyb)
        c_h, u_h = sub["capacity_rps"], sub["target_utilization"]
        q_rps = workload.hour_percentile(hourly_rps_mh, _traffic_param(sub, "hybrid_percentile", c_h, 1.0))  # (h, M)
        sized = costs.replicas_needed(q_rps, c_h, u_h, 0.0)
        base = _traffic_param(sub, "base_replicas", c_h, 0.0)
        serving = np.where(base > 0, np.broadcast_to(base, sized.shape), sized)
        fleet = costs.fleet_rps(serving, c_h, u_h)  # [req/s]
        replicas = np.array(np.broadcast_to(replicas, (n, months)), dtype=float)
        replicas[hyb] = serving + sub["spare_replicas"]
        out["fleet_rps"] = costs.fleet_rps(replicas - spare, cap, util)
        out["fleet_rps"][hyb] = fleet
        out["overflow_requests"] = np.zeros((n, months))
        out["overflow_requests"][hyb] = costs.overflow_requests(costs.overflow_rps(hourly_rps_mh, fleet))
    gpus = costs.gpus_from_replicas(replicas, p["gpus_per_replica"])
    out["replicas"], out["gpus"] = replicas, gpus
    # rent: the core always-on fleet (one slot of H hours); autoscaled options follow the 24 hours of the day
    reserved = _traffic_param(p, "reserved_gpus", is_rent, 0.0)
    bill = _rent_bill(gpus[..., None], HOURS_PER_MONTH, p, reserved)
    auto_rows = np.flatnonzero(np.reshape(autoscale, (n, -1))[:, 0] > 0) if hourly_rps_mh is not None else np.zeros(0, int)
    if auto_rows.size:
        # autoscaled rows only: replicas for each hour of the typical day, (a, M, 24)
        sub = _rows(p, auto_rows)
        replicas_mh = costs.replicas_needed(hourly_rps_mh, sub["capacity_rps"][..., None], sub["target_utilization"][..., None],
                                            sub["spare_replicas"][..., None],
                                            _traffic_param(sub, "min_replicas", sub["capacity_rps"], 1.0)[..., None])
        gpus_mh = costs.gpus_from_replicas(replicas_mh, sub["gpus_per_replica"][..., None])
        auto = _rent_bill(gpus_mh, HOURS_PER_MONTH / 24.0, sub, _traffic_param(sub, "reserved_gpus", sub["capacity_rps"], 0.0))
        bill = {k: np.array(np.broadcast_to(v, (n, months)), dtype=float) for k, v in bill.items()}
        for k in bill:
            bill[k][auto_rows] = auto[k]
        out["auto_rows"], out["replicas_mh"] = auto_rows, replicas_mh  # (a, M, 24) for the rows in auto_rows
        # the month's peak-hour fleet is what the JSON reports as replicas/gpus for autoscaled options
        out["replicas"] = np.array(np.broadcast_to(replicas, (n, months)), dtype=float)
        out["replicas"][auto_rows] = replicas_mh.max(axis=-1)
        out["gpus"] = costs.gpus_from_replicas(out["replicas"], p["gpus_per_replica"])
    for k in ("rent", "rent_qty", "reserved_unused", "reserved_unused_qty", "gpu_hours"):
        out[k] = is_rent * bill[k]
    # own: servers in service (the fleet never shrinks), bought lead_time months ahead, refreshed at end of life
    needed = costs.servers_needed(gpus, p["gpus_per_server"])
    owned = costs.owned_fleet(needed) * is_own
    first_bought = costs.purchases_with_lead_time(costs.purchases(owned), _traffic_param(p, "lead_time_months", is_own, 0.0))
    life = p["life_months"].astype(int)
    refresh = _traffic_param(p, "refresh", is_own, 0.0)
    bought = np.where(refresh > 0, costs.refresh_purchases(first_bought, life), first_bought) if np.any(refresh > 0) else first_bought
    dep_servers = costs.depreciating_servers(bought, life)
    out["servers"] = owned
    out["capex"] = costs.capex(bought, p["server_price_usd"])
    out["capex_qty"] = bought
    has_residual = _traffic_param(p, "has_residual", is_own, 0.0)
    retired = bought - first_bought  # with refresh, each replacement retires its predecessor the same month
    res_cash = costs.residual_cash(retired, owned[..., -1], p["server_price_usd"], _traffic_param(p, "residual_share", is_own, 0.0))
    out["residual"] = has_residual * res_cash
    out["residual_accrual"] = has_residual * costs.residual_accrual(res_cash, costs.book_value_end(bought, p["server_price_usd"], life))
    retired_qty = retired.copy()
    retired_qty[..., -1] += owned[..., -1]
    out["residual_qty"] = has_residual * retired_qty
    out["depreciation"] = costs.depreciation(dep_servers, p["server_price_usd"], life)
    out["depreciation_qty"] = dep_servers
    out["power"] = costs.power_cost(owned, p["server_power_kw"], p["power_load_factor"], p["pue"], p["usd_per_kwh"])
    out["power_qty"] = costs.energy_kwh(owned, p["server_power_kw"], p["power_load_factor"], p["pue"])
    out["colo"] = costs.colo_cost(owned, p["server_power_kw"], p["colo_usd_per_kw_month"])
    out["colo_qty"] = owned * p["server_power_kw"]
    out["maintenance"] = costs.maintenance_cost(owned, p["server_price_usd"], p["maintenance_share_per_year"])
    out["maintenance_qty"] = owned
    out["staff"] = costs.staff_cost(p["staff_fte"][..., 0], fte_cost_per_year, months)
    out["staff_qty"] = np.broadcast_to(p["staff_fte"], out["staff"].shape)
    return out


_SH_KEYS = ("capacity_rps", "target_utilization", "spare_replicas", "gpus_per_replica", "staff_fte", "usd_per_gpu_hour",
            "usd_per_instance_hour", "gpus_per_instance", "gpus_per_server", "server_price_usd", "server_power_kw",
            "power_load_factor", "pue", "usd_per_kwh", "colo_usd_per_kw_month", "maintenance_share_per_year")


def _stack_self_host(params: list[dict]) -> dict[str, np.ndarray]:
    def get(p: dict, k: str) -> float:
        v = p.get(k)
        return 1.0 if v is None else float(v)  # neutral value for non-applicable fields (masked out)

    out = {k: _col([get(p, k) for p in params]) for k in _SH_KEYS}
    out["is_rent"] = _col([1.0 if p["payment"] == "rent" else 0.0 for p in params])
    out["rent_by_gpu"] = _col([1.0 if p.get("rent_mode") == "gpu" else 0.0 for p in params])
    out["is_own"] = _col([1.0 if p["payment"] == "own" else 0.0 for p in params])
    out["life_months"] = _col([round(12 * p.get("depreciation_years", 1.0)) for p in params])
    for k, neutral in _TRAFFIC_KEYS.items():
        out[k] = _col([float(p.get(k, neutral)) for p in params])
    return out


#: issue-5 stacked parameters and their neutral value (the core behaviour)
_TRAFFIC_KEYS = {"autoscale": 0.0, "min_replicas": 1.0, "reserved_gpus": 0.0, "usd_per_gpu_hour_reserved": 0.0,
                 "lead_time_months": 0.0, "refresh": 0.0, "has_residual": 0.0, "residual_share": 0.0,
                 "is_hybrid": 0.0, "base_replicas": 0.0, "hybrid_percentile": 1.0}


# ----------------------------------------------------------------------------------------------
# Fine-tuning and routes (issue 19; docs/methodology.md sections 11-12)


def _resolve_fine_tuning(r: _Resolver, i: int, o: Option, p: dict) -> None:
    """Plan the fine-tuning runs of option ``i`` into ``p["fine_tuning_plan"]`` (problems recorded in ``r``)."""
    try:
        plan = fine_tuning.plan_runs(r.s.fine_tuning, r.s, o, r.c, p, f"options[{i}]")
    except fine_tuning.FineTuningError as exc:
        r.problems.append(Problem(r.file, exc.path if exc.path.startswith("options") else f"options[{i}] ({o.name})",
                                  None if exc.path.startswith("options") else exc.path, exc.message))
        return
    for a in plan.assumptions:
        r.used.append(AssumptionUsed(o.name, **a))
    p["notes"].extend(plan.notes)
    p["fine_tuning_plan"] = plan
    if plan.price_switch is not None:
        p["price_switch"] = plan.price_switch  # kept in OptionResult.params for tco.analysis.evaluate_batch


def _apply_price_switch(prices: dict[str, np.ndarray], rows: list[dict], api_factor: np.ndarray, months: int) -> None:
    """Fine-tuned API rows: from the first run on, the fine-tuned model's prices (times the price trend)."""
    for j, p in enumerate(rows):
        plan = p.get("fine_tuning_plan")
        if plan is None or plan.price_switch is None:
            continue
        sw = plan.price_switch
        for key in _API_PRICE_KEYS:
            if prices[key].shape[-1] != months:
                prices[key] = np.array(np.broadcast_to(prices[key], (len(rows), months)), dtype=float)
            base = p[key]
            prices[key][j] = fine_tuning.switched_prices(base, sw["prices"][key], sw["from_index"], months) * api_factor


def _runs_of(p: dict) -> tuple:
    plan = p.get("fine_tuning_plan")
    if plan is not None:
        return plan.runs
    return tuple(p.get("route_runs", ()))


def _resolve_route(r: _Resolver, i: int, o: Option, catalog: Catalog, file: str, input_m: np.ndarray,
                   output_m: np.ndarray, route_items: dict, skipped: list, skip_infeasible: bool) -> Optional[dict]:
    """Evaluate each member of route option ``i`` on its share of the traffic (tco.routing.part_scenario) and
    sum their line items by name into ``route_items[i]``, plus ``router``. Returns the route's params, or
    None when it was skipped or a problem was recorded."""
    from .exceptions import ScenarioError

    s, route, M = r.s, o.route, r.s.months
    where = f"options[{i}] ({o.name})"
    roles = ["part"] * len(route.parts) if route.mode == "split" else ["first", "escalate"]
    parts: list[RoutePartResult] = []
    for (part, share), role in zip(s.route_members(o), roles):
        if share <= 0:
            continue  # a member with no traffic is left out (no fleet is kept for it)
        try:
            sub = evaluate(routing.part_scenario(s, part, share), catalog, skip_infeasible=True, file=file)
        except ScenarioError as exc:
            for pr in exc.problems:
                r.problems.append(Problem(r.file, f"{where}: route part '{part.name}'",
                                          None, ": ".join(str(x) for x in (pr.entry, pr.field, pr.message) if x)))
            return None
        if sub.skipped:
            reason = f"route part '{part.name}' ({share:g} of requests): {sub.skipped[0][1]}"
            if skip_infeasible:
                skipped.append((o.name, reason))
            else:
                r.problems.append(Problem(r.file, where, None, reason))
            return None
        for a in sub.assumptions:
            if a.option:
                r.used.append(AssumptionUsed(f"{o.name} / {a.option}", a.name, a.value, a.unit, a.origin, a.source,
                                             a.as_of, a.ref))
        parts.append(RoutePartResult(part.name, float(share), role, sub.options[0], sub))
    items: dict[str, LineItem] = {}
    for pr in parts:
        for name, li in pr.result.line_items.items():
            if name in items:
                prev = items[name]
                unit = prev.unit if prev.unit == li.unit else f"mixed ({prev.unit}; {li.unit})"
                items[name] = LineItem(name, prev.cash_usd + li.cash_usd, prev.accrual_usd + li.accrual_usd,
                                       prev.quantity + li.quantity, unit)
            else:
                items[name] = li
    notes = [f"{pr.name}: {n}" for pr in parts
             for n in list(pr.result.notes) + list(pr.result.capacity.notes if pr.result.capacity else ())]
    if route.router_usd_per_million_tokens is not None:
        r.used.append(AssumptionUsed(o.name, "router_usd_per_million_tokens", route.router_usd_per_million_tokens,
                                     "USD/1M tokens", "scenario"))
        bill = routing.router_cost(input_m, output_m, route.router_usd_per_million_tokens)
        items["router"] = LineItem("router", bill, bill.copy(), (input_m + output_m) / TOKENS_PER_MILLION, "1M tokens")
    route_items[i] = items

    def total(key: str) -> Optional[np.ndarray]:
        arrs = [getattr(pr.result, key) for pr in parts if getattr(pr.result, key) is not None]
        return np.sum(arrs, axis=0) if arrs else None

    weights = routing.quality_weights(route)
    names = [pt.name for pt, _ in s.route_members(o)]
    runs = tuple(fine_tuning.FineTuningRun(**{**run.__dict__, "option": pr.name})
                 for pr in parts for run in pr.result.fine_tuning_runs)
    return dict(payment="route", ref_id="route", notes=notes, mode=route.mode, route_parts=parts,
                router_usd_per_million_tokens=route.router_usd_per_million_tokens,
                quality_weights=tuple(zip(names, weights)), route_runs=runs,
                fleet={"replicas": total("replicas"), "gpus": total("gpus"), "servers": total("servers"), "extra": {}})


# ----------------------------------------------------------------------------------------------


def evaluate(scenario: Scenario, catalog: Catalog, skip_infeasible: bool = False, file: str = "scenario") -> Result:
    """Evaluate every option of ``scenario`` over its horizon.

    Raises :class:`EvaluationError` for unknown ids; an option whose capacity cannot be derived
    (no profile, SLO cannot be met) raises too, unless ``skip_infeasible`` is set, in which case
    it is listed in ``Result.skipped`` with the reason.
    """
    s = scenario
    M = s.months
    labels = s.month_labels()
    r = _Resolver(s, catalog, file)
    w = s.workload
    rpd = workload.requests_per_day_forecast(w, s.start, M)
    requests = workload.monthly_requests(rpd)
    input_m = workload.monthly_tokens(requests, w.input_tokens)
    output_m = workload.monthly_tokens(requests, w.output_tokens)
    if w.daily_profile is not None:  # the largest hour of the typical day is the peak (issue 5)
        weights = workload.daily_weights(w.daily_profile)
        hourly = workload.hourly_rps(rpd, weights)  # (M, 24) [req/s]
        peak = workload.peak_rps(rpd, float(weights.max()))
    else:
        hourly = None
        peak = workload.peak_rps(rpd, w.peak_to_average)
    discount_rate = r.default("", "discount_rate", s.finance.discount_rate)
    trends = {key: _trend_rate(r, key, getattr(s.finance, key)) for key in PRICE_TRENDS}
    api_factor = price_trend_factor(M, trends["api_price_change_per_year"])  # (M,)
    needs_staff = any(o.self_host is not None for o in s.options)
    fte_cost = r.default("", "fte_cost_per_year", s.ops.fte_cost_per_year, "USD/year") if needs_staff else 0.0

    resolved: list[tuple[int, Option, dict]] = []
    skipped: list[tuple[str, str]] = []
    route_items: dict[int, dict[str, LineItem]] = {}
    for i, o in enumerate(s.options):
        if o.kind == "route":
            p = _resolve_route(r, i, o, catalog, file, input_m, output_m, route_items, skipped, skip_infeasible)
            if p is not None:
                resolved.append((i, o, p))
            continue
        p = _resolve_api(r, i, o) if o.kind == "api" else _resolve_self_host(r, i, o)
        if p is None:
            continue
        if o.fine_tuned and (p.get("capacity") is None or p["capacity"].feasible):
            _resolve_fine_tuning(r, i, o, p)
        cap = p.get("capacity")
        if cap is not None and not cap.feasible:
            reason = cap.reason or "capacity could not be derived"
            if skip_infeasible:
                skipped.append((o.name, reason))
                continue
            r.problems.append(Problem(r.file, f"options[{i}] ({o.name})", None, reason))
            continue
        resolved.append((i, o, p))
    if r.problems:
        from .exceptions import ScenarioError

        raise ScenarioError(r.problems)

    api_rows = [(i, o, p) for i, o, p in resolved if o.kind == "api"]
    sh_rows = [(i, o, p) for i, o, p in resolved if o.kind == "self_host"]
    per_option: dict[int, dict[str, LineItem]] = {}
    fleet: dict[int, dict[str, np.ndarray]] = {}

    def item(name: str, cash: np.ndarray, qty: np.ndarray, unit: str) -> LineItem:
        in_cash, in_accrual = LINE_ITEMS[name]
        zero = np.zeros(M)
        cash = np.asarray(cash, dtype=float)
        return LineItem(name, cash if in_cash else zero, cash if in_accrual else zero, np.asarray(qty, dtype=float), unit)

    if api_rows:
        prices = {k: _col([p[k] for _, _, p in api_rows]) * api_factor for k in
                  ("p_input", "p_output", "p_cached_input", "p_batch_input", "p_batch_output")}
        _apply_price_switch(prices, [p for _, _, p in api_rows], api_factor, M)
        k = api_kernel(input_m, output_m, prices, w.cached_input_share, w.batch_share)
        for j, (i, o, p) in enumerate(api_rows):
            per_option[i] = {"api": item("api", k["api"][j], k["api_qty"][j], "1M tokens")}
    if sh_rows:
        stacked = apply_self_host_trends(_stack_self_host([p for _, _, p in sh_rows]), M,
                                         trends["rent_price_change_per_year"], trends["electricity_price_change_per_year"])
        # the reserved price follows the rent trend like the on-demand one
        stacked["usd_per_gpu_hour_reserved"] = stacked["usd_per_gpu_hour_reserved"] * price_trend_factor(
            M, trends["rent_price_change_per_year"])
        k = self_host_kernel(peak, stacked, fte_cost, M, hourly)
        hybrid_rows = [j for j, (_, _, p) in enumerate(sh_rows) if p.get("is_hybrid")]
        if hybrid_rows:
            # overflow requests billed like an API option: workload token means, cached and batch shares
            ov_prices = {key: _col([sh_rows[j][2]["overflow_prices"][key] for j in hybrid_rows]) * api_factor
                         for key in _API_PRICE_KEYS}
            ov_req = k["overflow_requests"][hybrid_rows]
            ko = api_kernel(workload.monthly_tokens(ov_req, w.input_tokens), workload.monthly_tokens(ov_req, w.output_tokens),
                            ov_prices, w.cached_input_share, w.batch_share)
        for j, (i, o, p) in enumerate(sh_rows):
            items: dict[str, LineItem] = {}
            extra: dict[str, np.ndarray] = {}
            if p["payment"] == "rent":
                unit = "GPU-hours" if p.get("rent_mode") == "gpu" or p.get("reserved_gpus") else "instance-hours"
                items["rent"] = item("rent", k["rent"][j], k["rent_qty"][j], unit)
                if p.get("reserved_gpus"):
                    items["reserved_unused"] = item("reserved_unused", k["reserved_unused"][j], k["reserved_unused_qty"][j],
                                                    "GPU-hours")
                extra["gpu_hours"] = k["gpu_hours"][j]
            else:
                items["capex"] = LineItem("capex", k["capex"][j], np.zeros(M), k["capex_qty"][j], "servers")
                items["depreciation"] = LineItem("depreciation", np.zeros(M), k["depreciation"][j],
                                                 k["depreciation_qty"][j], "servers")
                items["power"] = item("power", k["power"][j], k["power_qty"][j], "kWh")
                items["colo"] = item("colo", k["colo"][j], k["colo_qty"][j], "kW-months")
                items["maintenance"] = item("maintenance", k["maintenance"][j], k["maintenance_qty"][j], "servers")
                if p.get("has_residual"):
                    items["residual"] = LineItem("residual", k["residual"][j], k["residual_accrual"][j],
                                                 k["residual_qty"][j], "servers sold")
            items["staff"] = item("staff", k["staff"][j], k["staff_qty"][j], "FTE")
            if p.get("is_hybrid"):
                h = hybrid_rows.index(j)
                items["api_overflow"] = item("api_overflow", ko["api"][h], ko["api_qty"][h], "1M tokens")
                extra["overflow_requests"] = k["overflow_requests"][j]
                p["fleet_rps_m"] = k["fleet_rps"][j]
            if "replicas_mh" in k and p.get("autoscale"):
                p["replicas_mh"] = k["replicas_mh"][list(k["auto_rows"]).index(j)]
            per_option[i] = items
            fleet[i] = {"replicas": k["replicas"][j], "gpus": k["gpus"][j],
                        "servers": k["servers"][j] if p["payment"] == "own" else None, "extra": extra}

    for i, o, p in resolved:
        plan = p.get("fine_tuning_plan")
        if plan is not None:
            per_option[i]["fine_tuning"] = item("fine_tuning", plan.cost_usd, plan.quantity, plan.unit)
    per_option.update(route_items)
    for i, o, p in resolved:
        if o.kind == "route":
            fleet[i] = p.pop("fleet")

    # finance, vectorised over options
    order = [i for i, _, _ in resolved]
    cash = np.array([sum(li.cash_usd for li in per_option[i].values()) for i in order]).reshape(len(order), M)
    accrual = np.array([sum(li.accrual_usd for li in per_option[i].values()) for i in order]).reshape(len(order), M)
    total_tokens = float(np.sum(input_m + output_m))
    npvs = finance.npv(cash, discount_rate) if order else np.zeros(0)
    ref_pos = next((n for n, (_, o, _) in enumerate(resolved) if o.kind == "api"), None)
    be = finance.break_even_index(cash, cash[ref_pos]) if ref_pos is not None else np.full(len(order), -1)
    tot_cash_all, tot_acc_all = cash.sum(axis=-1), accrual.sum(axis=-1)
    unit_all = finance.usd_per_million_tokens(tot_acc_all, total_tokens)  # one call for every option

    options: list[OptionResult] = []
    for n, (i, o, p) in enumerate(resolved):
        is_ref = n == ref_pos
        be_idx = -1 if (o.kind == "api" or is_ref) else int(be[n])
        tot_acc = float(tot_acc_all[n])
        f = fleet.get(i, {})
        options.append(OptionResult(
            name=o.name, kind=o.kind, payment=p.get("payment", "api"), line_items=per_option[i],
            requests=requests, input_tokens=input_m, output_tokens=output_m, peak_rps=peak,
            cash_usd=cash[n], accrual_usd=accrual[n], total_cash_usd=float(tot_cash_all[n]),
            total_accrual_usd=tot_acc, npv_usd=float(npvs[n]),
            usd_per_million_tokens=float(unit_all[n]),
            break_even_month=finance.index_to_month(be_idx, labels), break_even_index=be_idx,
            replicas=f.get("replicas"), gpus=f.get("gpus"), servers=f.get("servers"),
            capacity=p.get("capacity"), notes=tuple(p.get("notes", ())), ref_id=p.get("ref_id", ""),
            params={k: v for k, v in p.items() if k not in ("notes", "capacity", "fine_tuning_plan", "route_parts")},
            extra_monthly=f.get("extra", {}),
            fine_tuning_runs=_runs_of(p),
            parts=tuple(p.get("route_parts", ())),
            quality_weights=tuple(p.get("quality_weights", ())),
        ))
    r.used.insert(0, AssumptionUsed("", "hours_per_month", HOURS_PER_MONTH, "h", "default",
                                    "Azure pricing guidance: 730 hours/month (8,760 / 12)", "", "convention"))
    return Result(scenario=s, months=labels, options=options, assumptions=r.used,
                  reference=resolved[ref_pos][1].name if ref_pos is not None else None,
                  requests_per_day=rpd, skipped=skipped, catalog_version="",
                  finance_inputs=dict(discount_rate=discount_rate, fte_cost_per_year=fte_cost, **trends,
                                      currency=s.finance.currency, usd_to_currency=s.finance.usd_to_currency,
                                      fiscal_year_start_month=s.finance.fiscal_year_start_month))
