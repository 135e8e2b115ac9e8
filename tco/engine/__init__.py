"""evaluate() and the compute core: a scenario and the catalogs in, monthly costs for every option out.

Flow (docs/architecture.md):

1. **Resolve** each option (:class:`Resolver`: inline value > catalog entry > assumptions default, each
   recorded with its origin) into a typed record (:mod:`tco.model.records`: :class:`~tco.model.records.ApiParams`,
   :class:`~tco.model.records.SelfHostParams`).
2. **Load** of the scenario (:func:`scenario_load`: requests, tokens, peak and hourly req/s per month)
   and its scenario-wide **rates** (:class:`Rates`: price trends, staff cost).
3. **Compute core** (:func:`compute_line_items`): stacks the records into ``(options, 1)`` arrays and
   computes every line item of the registry (:mod:`tco.core.line_items`) for all options at once with the pure
   formulas of :mod:`tco.model.costs`, on ``(..., options, months)`` arrays: a leading axis of N draws is
   allowed (Monte Carlo, break-even sweep), and the options may be thousands of optimizer candidates.
   :func:`evaluate`, :func:`tco.analysis.evaluate_batch` and :func:`tco.analysis.optimizer.optimize` all call it.
4. **Finance** (:func:`summarise`): totals, NPV, USD per 1M tokens with :mod:`tco.model.finance`.

Result columns (documented once, here and in docs/methodology.md):
    LineItem.cash_usd / accrual_usd  [USD per month], quantity [unit per month], unit
    OptionResult.requests / input_tokens / output_tokens [per month], peak_rps [req/s]
    OptionResult.replicas / gpus / servers [count per month] for self-host options (servers: owned)
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence, Union

import numpy as np

from tco.catalog import Catalog
from tco.core import line_items
from tco.core.constants import HOURS_PER_MONTH, TOKENS_PER_MILLION
from tco.core.exceptions import EvaluationError, Problem, ScenarioError
from tco.engine import decision
from tco.model import beyond_gpus, costs, finance, fine_tuning, routing, workload
from tco.model.capacity import CapacityResult, capacity_at_slo
from tco.model.records import API_PRICE_KEYS, ApiParams, ApiPrices, Fleet, OptionParams, RouteParams, SelfHostParams, Unservable
from tco.scenario import Option, Scenario, month_index

#: line item -> (counts in cash, counts in accrual), in registry order (tco.core.line_items is the source)
LINE_ITEMS = line_items.cash_and_accrual()


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
    focus: Optional[line_items.FocusMapping] = None  # its FOCUS mapping (from the registry; picklable)


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
    params: OptionParams  # the resolved inputs (tco.model.records)
    replicas: Optional[np.ndarray] = None
    gpus: Optional[np.ndarray] = None
    servers: Optional[np.ndarray] = None
    capacity: Optional[CapacityResult] = None
    notes: tuple[str, ...] = ()
    ref_id: str = ""  # api offer id, or model id for self-host
    fleet: Optional[Fleet] = None  # self-host options: the fleet per month (tco.model.records.Fleet)
    extra_monthly: dict[str, np.ndarray] = field(default_factory=dict)  # JSON extras: gpu_hours, overflow_requests
    fine_tuning_runs: tuple = ()  # tco.model.fine_tuning.FineTuningRun, one per run (a route: its parts' runs)
    parts: tuple = ()  # route options: RoutePartResult, one per member evaluated (share > 0)
    quality_weights: tuple = ()  # route options: (member name, weight in the route's quality)
    economic_usd_per_gpu_hour: Optional[float] = None  # [USD/GPU-h] owned options (docs/methodology.md, section 11)
    commitment_after_horizon_usd: Optional[float] = None  # [USD] reserved-term payments owed after the horizon

    # filled by tco.engine.decision.finish (docs/methodology.md "SLO", "Billed vs used", "Unit costs")
    slo_status: str = "unknown"  # met | missed | unknown
    slo_reason: str = ""
    gpus_billed: Optional[np.ndarray] = None  # [count per month] whole instances / servers billed
    usd_per_million_input_tokens: Optional[float] = None  # [USD / 1M input tokens]
    usd_per_million_output_tokens: Optional[float] = None  # [USD / 1M output tokens]
    usd_per_million_cached_input_tokens: Optional[float] = None  # [USD / 1M cached input tokens] APIs with cached reads
    usd_per_million_tokens_at_capacity: Optional[float] = None  # [USD / 1M tokens] billed fleet fully used

@dataclass(frozen=True)
class RoutePartResult:
    """One member of a route evaluated on its share of the traffic (tco.model.routing.part_scenario)."""

    name: str
    share: float  # share of requests [0-1]
    role: str  # "part" (split) | "first" | "escalate" (cascade)
    result: "OptionResult"
    scenario_result: Optional["Result"] = None  # the member's own evaluation (tco.analysis.evaluate_batch re-uses it)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    months: list[str]
    options: list[OptionResult]
    assumptions: list[AssumptionUsed]
    reference: Optional[str]  # name of the reference option (tco.engine.decision.finish: scenario's reference or cheapest eligible API)
    requests_per_day: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (option name, reason)
    catalog_version: str = ""  # content hash of the catalog evaluated against (Catalog.version())
    #: scenario-wide finance inputs as resolved: discount_rate, fte_cost_per_year, *_price_change_per_year
    #: [fraction/year], currency, usd_to_currency, fiscal_year_start_month (see docs/finance.md)
    finance_inputs: dict[str, Any] = field(default_factory=dict)
    # (tco.engine.decision.finish) why the reference was chosen; {row: {column: "YYYY-MM" | None}} on cash;
    # SLO (status, reason) of every evaluated option, skipped ones included
    reference_reason: str = ""
    break_even_matrix: dict[str, dict[str, Optional[str]]] = field(default_factory=dict)
    slo_checks: dict[str, tuple[str, str]] = field(default_factory=dict)

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


class Resolver:
    """Resolves scenario inputs against the catalogs, recording each value used (``used``) and each
    problem found (``problems``: unknown ids, missing prices) instead of raising on the first."""

    def __init__(self, scenario: Scenario, catalog: Catalog, file: str = "scenario"):
        self.s, self.c, self.file = scenario, catalog, file
        self.used: list[AssumptionUsed] = []
        self.problems: list[Problem] = []

    def default(self, option: str, key: str, inline: Any, unit: str = "") -> float:
        """The inline value, else the assumptions catalog's. Raises EvaluationError when neither exists."""
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
        """The inline value, else ``entry.attr`` of a catalog entry; None when neither is known."""
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
        """The entry ``key`` of ``catalog``; None (problem recorded) when unknown."""
        table = self.c.get(catalog)
        if key not in table:
            self.problems.append(Problem(self.file, path, None, f"unknown {catalog[:-1] if catalog.endswith('s') else catalog} id '{key}'"
                                         f" (see python -m tco list {catalog})"))
            return None
        return table[key]

    def trend_rate(self, key: str, inline: Any) -> float:
        """A price trend [fraction/year] from the scenario, else the assumptions catalog, else 0 (no trend),
        recorded either way."""
        if inline is None and key not in self.c.assumptions:
            self.used.append(AssumptionUsed("", key, 0.0, "fraction per year", "default",
                                            "no trend: assumption missing from the catalog"))
            return 0.0
        return self.default("", key, inline, "fraction per year")


def resolve_api_option(r: Resolver, i: int, o: Option) -> Optional[ApiParams]:
    """The resolved prices of API option ``o`` (index ``i``); None when a problem was recorded.
    Raises EvaluationError when the input or output price is unknown."""
    p = resolve_api_prices(r, f"options[{i}]", o.name, o.api, o.prices)
    lines = scenario_cost_lines(r.s, o.name, "api", "api")
    return replace(p, cost_lines=lines) if (p is not None and lines) else p


def scenario_cost_lines(scenario: Scenario, name: str, kind: str, payment: str) -> tuple:
    """The scenario's cost lines (``costs:``) that apply to option ``name``, with their months as indices of the
    horizon (:class:`tco.model.beyond_gpus.ResolvedCostLine`; docs/methodology.md, section 10)."""
    return tuple(beyond_gpus.resolve_cost_line(c, scenario.start, scenario.months) for c in scenario.costs
                 if costs.cost_line_applies(c.applies_to, name, kind, payment))


def resolve_api_prices(r: Resolver, path: str, name: str, api_id: Optional[str], inline, key_prefix: str = ""
                       ) -> Optional[ApiParams]:
    """API prices of an option (or of a hybrid option's overflow API, ``key_prefix="overflow_"``).

    A cached-input, batch or cache-write price that the workload needs (its share > 0) but nobody gives
    falls back to the input (or output) price, with a note. Raises EvaluationError when the input or
    output price is unknown; None when ``api_id`` is not in the catalog (problem recorded).
    """
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
    if w.cached_input_share > 0:
        p_cached = price("cached_input", p_in, "input")
    else:
        known = r.from_entry(name, f"{key_prefix}price_cached_input", getattr(inline, "cached_input", None) if inline else None,
                             entry, "cached_input", "apis", "USD/1M tokens")
        p_cached = known if known is not None else p_in
    if w.batch_share > 0:
        p_bin = price("batch_input", p_in, "input")
        p_bout = price("batch_output", p_out, "output")
    else:
        p_bin, p_bout = p_in, p_out
    p_write = price("cache_write", p_in, "input") if w.cache_write_share > 0 else p_in
    return ApiParams(prices=ApiPrices(p_in, p_out, p_cached, p_bin, p_bout, p_write), ref_id=api_id or "inline",
                     provider=entry.provider if entry is not None else "",
                     service=entry.model_name if entry is not None else "", notes=tuple(notes))


def _entry_for_gpu(r: Resolver, path: str, catalog: str, entry_id: Optional[str], gpu: str):
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


def resolve_self_host_option(r: Resolver, i: int, o: Option) -> Union[SelfHostParams, Unservable, None]:
    """The resolved inputs of self-host option ``o`` (index ``i``).

    Returns :class:`~tco.model.records.Unservable` when its capacity at the SLO cannot be derived, None when a
    problem was recorded in ``r.problems`` (unknown ids, a missing price). Raises EvaluationError when a
    required assumption is missing from the catalog.
    """
    sh = o.self_host
    path = f"options[{i}].self_host"
    model = r.lookup(f"{path}.model", "models", sh.model)
    gpu = r.lookup(f"{path}.gpu", "gpus", sh.gpu)
    if model is None or gpu is None:
        return None
    name = o.name
    notes: list[str] = []
    w, slo = r.s.workload, r.s.slo
    p: dict[str, Any] = dict(gpus_per_replica=float(sh.gpus_per_replica), ref_id=sh.model, gpu=sh.gpu)
    # capacity
    if sh.capacity_rps_per_replica is not None:
        cap = CapacityResult(rps=float(sh.capacity_rps_per_replica), source="inline")
        r.used.append(AssumptionUsed(name, "capacity_rps_per_replica", sh.capacity_rps_per_replica, "req/s", "scenario"))
    else:
        try:
            cap = capacity_at_slo(r.c, sh.model, sh.gpu, sh.gpus_per_replica, sh.precision, slo.ttft_p95_ms,
                                  slo.tpot_p95_ms, w.input_tokens, w.output_tokens, engine=sh.engine)
        except NotImplementedError:
            cap = CapacityResult(rps=None, source="measured", reason="no capacity model available; give capacity_rps_per_replica")
        if cap.feasible:
            prof = r.c.profiles.get(cap.profile_id) if cap.profile_id else None
            r.used.append(AssumptionUsed(name, "capacity_rps_per_replica", round(cap.rps, 6), "req/s", cap.source,
                                         prof.source if prof else "estimator (docs/estimator.md)",
                                         prof.as_of if prof else "", f"profile {cap.profile_id}" if cap.profile_id else ""))
    if not cap.feasible:
        return Unservable(cap)
    p["capacity"] = cap
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
    if not _resolve_traffic(r, path, o, p, notes):
        return None
    _resolve_beyond_gpus(r, o, p)
    return SelfHostParams(notes=tuple(notes), **p)


def _resolve_beyond_gpus(r: Resolver, o: Option, p: dict) -> None:
    """Issue-18 inputs of a self-host option: cost lines, capital charge, availability, start-up, reserved term."""
    sh, name = o.self_host, o.name
    lines = scenario_cost_lines(r.s, name, "self_host", p["payment"])
    if lines:
        p["cost_lines"] = lines
    if p["payment"] == "own" and r.s.finance.include_capital_charge:
        p["include_capital_charge"] = True
    if sh.availability is not None:
        p["mtbf_hours"], p["repair_hours"] = float(sh.availability.mtbf_hours), float(sh.availability.repair_hours)
        r.used.append(AssumptionUsed(name, "availability", round(float(costs.availability_factor(
            p["mtbf_hours"], p["repair_hours"])), 6), "fraction of time a replica serves", "scenario"))
    rent = sh.rent
    if rent is not None and rent.startup_minutes:
        p["startup_minutes"] = float(rent.startup_minutes)
        r.used.append(AssumptionUsed(name, "startup_minutes", rent.startup_minutes, "min", "scenario"))
    if rent is not None and rent.reserved_term is not None and p.get("reserved_gpus"):
        t = rent.reserved_term
        p["reserved_term_months"] = int(t.term_months)
        p["reserved_upfront_share"] = float(t.upfront_share)
        p["reserved_term_start"] = month_index(r.s.start, t.start) if t.start is not None else 0
        r.used.append(AssumptionUsed(name, "reserved_term_months", t.term_months, "months", "scenario"))
        r.used.append(AssumptionUsed(name, "reserved_upfront_share", t.upfront_share, "fraction", "scenario"))


_SPOT_NOTE = "spot capacity can be interrupted at short notice: it does not suit a strict latency SLO"


def _resolve_traffic(r: Resolver, path: str, o: Option, p: dict, notes: list[str]) -> bool:
    """Fleet-dynamics inputs of a self-host option (docs/methodology_traffic.md): autoscaling, reservations,
    spot, lead time, refresh, residual value, hybrid overflow; False when a problem was recorded."""
    sh, name = o.self_host, o.name
    if sh.rent is not None:
        rent = sh.rent
        offer = r.c.offers.get(rent.offer) if rent.offer else None
        if rent.autoscale:
            p["autoscale"] = True
            p["min_replicas"] = float(rent.min_replicas if rent.min_replicas is not None else 1)
            r.used.append(AssumptionUsed(name, "min_replicas", int(p["min_replicas"]), "replicas",
                                         "scenario" if rent.min_replicas is not None else "default",
                                         "" if rent.min_replicas is not None else "default: one replica always on"))
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
                # a catalog without the assumption: no overhead, said in the notes
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
            p["refresh"] = True
        if own.residual_share is not None:
            p["residual_share"] = float(own.residual_share)
            r.used.append(AssumptionUsed(name, "residual_share", own.residual_share, "fraction of price", "scenario"))
    if sh.overflow is not None:
        ov = sh.overflow
        api = resolve_api_prices(r, f"{path}.overflow", name, ov.api, ov.prices, "overflow_")
        if api is None:
            return False
        notes.extend(api.notes)
        p["overflow"] = api
        if sh.base_replicas is not None:
            p["base_replicas"] = float(sh.base_replicas)
            r.used.append(AssumptionUsed(name, "base_replicas", sh.base_replicas, "replicas", "scenario"))
        else:
            p["hybrid_percentile"] = float(sh.size_for_hour_percentile)
            r.used.append(AssumptionUsed(name, "size_for_hour_percentile", sh.size_for_hour_percentile, "fraction", "scenario"))
    return True


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


# ----------------------------------------------------------------------------------------------
# Load and rates: the scenario-wide inputs of the core


@dataclass(frozen=True)
class Load:
    """What the options serve each month. Arrays have months on the last axis (``hourly_rps``: months, 24)
    and may carry leading draw axes (Monte Carlo: ``(N, 1, months)``)."""

    requests: np.ndarray  # [req/month]
    input_tokens: np.ndarray  # [tokens/month]
    output_tokens: np.ndarray  # [tokens/month]
    peak_rps: np.ndarray  # [req/s] the month's peak
    hourly_rps: Optional[np.ndarray]  # [req/s] typical day of each month (None without a daily profile)
    input_per_request: Any  # [tokens] (float, or draws)
    output_per_request: Any  # [tokens]
    cached_input_share: float = 0.0  # [0-1] of input tokens read from the prompt cache
    batch_share: float = 0.0  # [0-1] of requests sent through a batch API
    cache_write_share: float = 0.0  # [0-1] of input tokens written to the prompt cache

    @property
    def total_tokens(self) -> Any:
        """Input + output tokens over the horizon [tokens] (per draw when the load has draws)."""
        return np.sum(self.input_tokens + self.output_tokens, axis=-1)


def scenario_load(scenario: Scenario, requests_per_day: Optional[np.ndarray] = None) -> Load:
    """The load of ``scenario`` (``requests_per_day`` [req/day] per month: the forecast when not given)."""
    w = scenario.workload
    rpd = workload.requests_per_day_forecast(w, scenario.start, scenario.months) if requests_per_day is None \
        else requests_per_day
    requests = workload.monthly_requests(rpd)
    if w.daily_profile is not None:  # the largest hour of the typical day is the peak
        weights = workload.daily_weights(w.daily_profile)
        hourly = workload.hourly_rps(rpd, weights)  # (M, 24) [req/s]
        peak = workload.peak_rps(rpd, float(weights.max()))
    else:
        hourly = None
        peak = workload.peak_rps(rpd, w.peak_to_average)
    return Load(requests, workload.monthly_tokens(requests, w.input_tokens), workload.monthly_tokens(requests, w.output_tokens),
                peak, hourly, w.input_tokens, w.output_tokens, w.cached_input_share, w.batch_share, w.cache_write_share)


@dataclass(frozen=True)
class Rates:
    """Scenario-wide rates (floats, or draw arrays shaped to broadcast against ``(..., options, 1)``)."""

    api_price_change_per_year: Any = 0.0  # [fraction/year]
    rent_price_change_per_year: Any = 0.0  # [fraction/year]
    electricity_price_change_per_year: Any = 0.0  # [fraction/year]
    fte_cost_per_year: Any = 0.0  # [USD/FTE-year]; draws shaped (N, 1)
    discount_rate: Any = 0.0  # [fraction/year]; draws shaped (N, 1)


def resolve_rates(r: Resolver, needs_staff: bool = True) -> Rates:
    """The scenario's rates, resolved and recorded by ``r`` (staff cost only when a self-host option needs it).
    Raises EvaluationError when the discount rate or staff cost is neither given nor in the assumptions catalog."""
    s = r.s
    discount = r.default("", "discount_rate", s.finance.discount_rate)
    trends = {key: r.trend_rate(key, getattr(s.finance, key)) for key in PRICE_TRENDS}
    fte = r.default("", "fte_cost_per_year", s.ops.fte_cost_per_year, "USD/year") if needs_staff else 0.0
    return Rates(fte_cost_per_year=fte, discount_rate=discount, **trends)


# ----------------------------------------------------------------------------------------------
# Stacking records into arrays (options on axis -2)


def _col(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def stack_api(params: Sequence[ApiParams]) -> dict[str, np.ndarray]:
    """Price columns ``(n, 1)`` [USD / 1M tokens] of API records, keyed by :data:`tco.model.records.API_PRICE_KEYS`.

    A fine-tuned API (its record's ``fine_tuning.price_switch``) bills the fine-tuned model's prices from its
    first run on (tco.model.fine_tuning.switched_prices): the columns are then ``(n, months)``."""
    out = {k: _col([getattr(p.prices, k) for p in params]) for k in API_PRICE_KEYS}
    switched = [(j, p.fine_tuning) for j, p in enumerate(params)
                if p.fine_tuning is not None and p.fine_tuning.price_switch is not None]
    if switched:
        months = len(switched[0][1].cost_usd)
        for k in API_PRICE_KEYS:
            col = np.repeat(out[k], months, axis=1)
            for j, plan in switched:
                sw = plan.price_switch
                col[j] = fine_tuning.switched_prices(getattr(params[j].prices, k), sw["prices"][k], sw["from_index"],
                                                     months)
            out[k] = col
    return out


def stack_fine_tuning(params: Sequence[Any], months: int) -> dict[str, np.ndarray]:
    """The ``fine_tuning`` line item of stacked records: cost [USD] and quantity per month, ``(n, months)``
    (zeros for options that are not fine-tuned; tco.model.fine_tuning.plan_runs made the plans)."""
    cost, qty = np.zeros((len(params), months)), np.zeros((len(params), months))
    for j, p in enumerate(params):
        plan = getattr(p, "fine_tuning", None)
        if plan is not None:
            cost[j], qty[j] = plan.cost_usd, plan.quantity
    return {"fine_tuning": cost, "fine_tuning_qty": qty}


#: stacked self-host parameters taken as they are from the record (None -> 1.0, a neutral value masked out)
SELF_HOST_KEYS = ("capacity_rps", "target_utilization", "spare_replicas", "gpus_per_replica", "staff_fte",
                  "usd_per_gpu_hour", "usd_per_instance_hour", "gpus_per_instance", "gpus_per_server",
                  "server_price_usd", "server_power_kw", "power_load_factor", "pue", "usd_per_kwh",
                  "colo_usd_per_kw_month", "maintenance_share_per_year", "min_replicas", "reserved_gpus",
                  "usd_per_gpu_hour_reserved", "lead_time_months", "base_replicas", "hybrid_percentile",
                  # issue 18 (neutral values: mtbf 1 h with repair 0 h = always available; no term; no start-up)
                  "mtbf_hours", "repair_hours", "startup_minutes", "reserved_term_months", "reserved_upfront_share",
                  "reserved_term_start")


def stack_self_host(params: Sequence[SelfHostParams]) -> dict[str, np.ndarray]:
    """Stacked ``(n, 1)`` arrays of self-host records for :func:`self_host_kernel`: the fields of
    :data:`SELF_HOST_KEYS`, the 0/1 masks is_rent, rent_by_gpu, is_own, autoscale, refresh, has_residual,
    is_hybrid, residual_share (0 without a residual), life_months = round(12 x depreciation_years), and the
    overflow API prices ``overflow_<price>`` (the input price of 0 for non-hybrid rows)."""
    def get(v) -> float:
        return 1.0 if v is None else float(v)

    out = {k: _col([get(getattr(p, k)) for p in params]) for k in SELF_HOST_KEYS}
    out["is_rent"] = _col([p.payment == "rent" for p in params])
    out["rent_by_gpu"] = _col([p.rent_mode == "gpu" for p in params])
    out["is_own"] = _col([p.payment == "own" for p in params])
    out["autoscale"] = _col([p.autoscale for p in params])
    out["refresh"] = _col([p.refresh for p in params])
    out["has_residual"] = _col([p.has_residual for p in params])
    out["residual_share"] = _col([p.residual_share or 0.0 for p in params])
    out["is_hybrid"] = _col([p.is_hybrid for p in params])
    out["life_months"] = _col([p.life_months for p in params])
    out["include_capital_charge"] = _col([p.include_capital_charge for p in params])
    # the reserved price fixed for a term: apply_self_host_trends leaves this copy untrended
    out["usd_per_gpu_hour_reserved_fixed"] = out["usd_per_gpu_hour_reserved"]
    for k in API_PRICE_KEYS:
        out[f"overflow_{k}"] = _col([getattr(p.overflow.prices, k) if p.overflow is not None else 0.0 for p in params])
    return out


# ----------------------------------------------------------------------------------------------
# Vectorised kernels (options on axis -2, months on axis -1)


def api_kernel(input_m, output_m, prices: dict[str, np.ndarray], cached_share, batch_share,
               cache_write_share=0.0) -> dict[str, np.ndarray]:
    """API line item for stacked options: prices are ``(n, 1)`` (or ``(n, M)`` with trends) arrays keyed by
    API_PRICE_KEYS; returns the bill ``api`` [USD] and ``api_qty`` [1M tokens], shape ``(..., n, M)``."""
    cost = costs.api_cost(input_m, output_m, prices["input"], prices["output"], prices["cached_input"],
                          prices["batch_input"], prices["batch_output"], cached_share, batch_share,
                          prices["cache_write"], cache_write_share)
    qty = np.broadcast_to((input_m + output_m) / TOKENS_PER_MILLION, cost.shape)
    return {"api": cost, "api_qty": qty}


def _rows(p: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The stacked parameters of a subset of options (axis -2)."""
    # C order: numpy lays out a fancy index on a middle axis index-first, and every array computed from such a
    # view would inherit the transposed layout (slow when mixed with C-ordered arrays)
    return {k: np.ascontiguousarray(np.asarray(v)[..., rows, :]) for k, v in p.items()}


def _rent_bill(gpus_slots, slot_hours, p: dict[str, np.ndarray], reserved_gpus, by_gpu: bool,
               quantities: bool = True) -> dict[str, np.ndarray]:
    """Rental bill over slots of a month (the last axis): 1 slot of H = 730 h for a fixed fleet, 24 slots of
    D = 730 / 24 h for an autoscaled one. Reserved GPUs are billed every hour at the reserved price, the GPUs
    above them at the on-demand (or spot) price (per GPU when ``by_gpu``, else ceil(gpus / gpus_per_instance)
    instances).
    """
    res = np.asarray(reserved_gpus, dtype=float)[..., None]
    od = costs.on_demand_gpus(gpus_slots, res)
    p_res = np.asarray(p["usd_per_gpu_hour_reserved"], dtype=float)
    if by_gpu:
        p_gpu = np.asarray(p["usd_per_gpu_hour"], dtype=float)[..., None]
        od_cost = costs.hourly_sum(od * p_gpu, slot_hours)
    else:
        od_instances = costs.instances_needed(od, p["gpus_per_instance"][..., None])
        p_inst = np.asarray(p["usd_per_instance_hour"], dtype=float)[..., None]
        od_cost = costs.hourly_sum(od_instances * p_inst, slot_hours)
    used_res_h = costs.hourly_sum(costs.reserved_used_gpus(gpus_slots, res), slot_hours)  # [GPU-h]
    unused_res_h = costs.hourly_sum(costs.reserved_unused_gpus(gpus_slots, res), slot_hours)  # [GPU-h]
    out = {"rent": od_cost + used_res_h * p_res, "reserved_unused": unused_res_h * p_res}
    if quantities:
        has_res = np.asarray(p["reserved_gpus"], dtype=float) > 0  # a commitment in some month (term: outside too)
        if by_gpu:
            od_qty = billed_od_gpu_h = costs.hourly_sum(od, slot_hours)
        else:
            od_qty = costs.hourly_sum(od_instances, slot_hours)
            billed_od_gpu_h = costs.hourly_sum(od_instances * p["gpus_per_instance"][..., None], slot_hours)
        # GPU-hours (or instance-hours per instance without a commitment; with one: billed GPU-hours)
        out["rent_qty"] = np.where(has_res, used_res_h + billed_od_gpu_h, od_qty)
        out["reserved_unused_qty"] = unused_res_h
        out["gpu_hours"] = costs.hourly_sum(gpus_slots, slot_hours)
    return out


@dataclass(frozen=True)
class RowGroup:
    """Self-host rows computed together: they share the way to pay and the fleet features used, so one
    kernel pass computes only what they need (no masks, no branch computed for nothing)."""

    payment: str  # "rent" | "own"
    by_gpu: bool = False  # rent priced per GPU-hour (else per instance-hour)
    autoscale: bool = False
    reserved: bool = False
    hybrid: bool = False
    refresh: bool = False
    residual: bool = False
    lead_time: bool = False
    # issue 18 (docs/methodology.md, sections 11-13)
    reserved_term: bool = False  # reserved GPUs committed for a fixed-price term
    availability: bool = False  # replicas added for MTBF / repair time
    startup: bool = False  # autoscale start-up lead billed
    capital_charge: bool = False  # own: the capital_charge line item


def row_groups(p: dict[str, np.ndarray]) -> list[tuple[RowGroup, np.ndarray]]:
    """(group, row indices) of stacked self-host parameters (:func:`stack_self_host`), in first-row order."""
    def flag(key: str) -> np.ndarray:
        return np.asarray(p[key])[..., 0].reshape(-1) > 0

    rent = flag("is_rent")

    def optional(key: str) -> np.ndarray:  # issue-18 flags (stacks built without them: never set)
        return flag(key) if key in p else np.zeros(rent.shape[0], dtype=bool)

    names = ("rent_by_gpu", "autoscale", "reserved_gpus", "is_hybrid", "refresh", "has_residual", "lead_time_months")
    extra = ("reserved_term_months", "repair_hours", "startup_minutes", "include_capital_charge")  # issue 18
    flags = np.stack([rent] + [flag(k) for k in names] + [optional(k) for k in extra], axis=-1)  # (n, 12)
    # features that do not apply to the way to pay are ignored (rent: no refresh/residual/lead time; own: no
    # per-GPU price, autoscaling or reservation)
    flags[:, 1:4] &= rent[:, None]
    flags[:, 5:8] &= ~rent[:, None]
    flags[:, 8] &= flags[:, 3]  # a reserved term needs reserved GPUs (rented)
    flags[:, 10] &= flags[:, 2]  # start-up lead: autoscaled rows only
    flags[:, 11] &= ~rent  # capital charge: owned rows only
    codes = flags.astype(np.int64) @ (1 << np.arange(flags.shape[1]))
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    out = []
    for u in np.argsort(first):  # groups in first-row order
        f = flags[first[u]]
        g = RowGroup("rent", bool(f[1]), bool(f[2]), bool(f[3]), bool(f[4]), reserved_term=bool(f[8]),
                     availability=bool(f[9]), startup=bool(f[10])) if f[0] else \
            RowGroup("own", hybrid=bool(f[4]), refresh=bool(f[5]), residual=bool(f[6]), lead_time=bool(f[7]),
                     availability=bool(f[9]), capital_charge=bool(f[11]))
        out.append((g, np.flatnonzero(inverse.reshape(-1) == u)))
    return out


def self_host_group_kernel(peak_rps_m, p: dict[str, np.ndarray], fte_cost_per_year, months: int,
                           hourly_rps_mh: Optional[np.ndarray], group: RowGroup,
                           quantities: bool = True, discount_rate=0.0) -> dict[str, np.ndarray]:
    """Fleet and line items of one :class:`RowGroup` of stacked self-host parameters (``(..., g, 1)`` arrays; rent
    and power prices may already carry their monthly trend, ``(..., g, months)``); outputs ``(..., g, months)``.

    ``hourly_rps_mh`` [req/s], shape (months, 24), is the typical day of each month (given when the scenario
    has a daily profile); autoscaled and hybrid rows need it. ``capacity_rps`` is the usable capacity (spot:
    already x (1 - interruption_overhead)). Leading draw axes broadcast through. Outputs: replicas, gpus,
    servers (own), gpu_hours (rent), fleet_rps and overflow_requests (hybrid), replicas_mh (autoscaled,
    ``(..., g, months, 24)``) and the amount and quantity keys of the group's line items (tco.core.line_items);
    quantities (and gpu_hours) only when ``quantities``.
    """
    out: dict[str, np.ndarray] = {}
    if group.reserved_term:
        p = _reserved_term_inputs(p, months, out)
    reserved = p["reserved_gpus_m"] if group.reserved_term else p["reserved_gpus"]
    cap, util, spare = p["capacity_rps"], p["target_utilization"], p["spare_replicas"]

    def available(serving, axis_h: bool = False):
        # availability (issue 18): ceil(serving / (1 - repair / (mtbf + repair))), before the spare replicas
        if not group.availability:
            return serving
        mtbf, repair = p["mtbf_hours"], p["repair_hours"]
        if axis_h:
            mtbf, repair = mtbf[..., None], repair[..., None]
        return costs.replicas_for_availability(serving, mtbf, repair)

    if group.hybrid or group.autoscale:
        if hourly_rps_mh is None:
            raise EvaluationError("autoscaled and hybrid options need the workload's daily_profile")
    if group.hybrid:
        # a fixed serving fleet (base_replicas, or sized for an hour percentile of the day's load); the excess
        # of each hour goes to the API
        q_rps = workload.hour_percentile(hourly_rps_mh, p["hybrid_percentile"])  # (g, M)
        sized = costs.replicas_needed(q_rps, cap, util, 0.0)
        serving = np.where(p["base_replicas"] > 0, p["base_replicas"], sized)
        fleet = costs.fleet_rps(serving, cap, util)  # [req/s]
        replicas = available(serving) + spare
        out["fleet_rps"] = fleet
        out["overflow_requests"] = costs.overflow_requests(costs.overflow_rps(hourly_rps_mh, fleet))
    elif group.availability:
        replicas = available(costs.replicas_needed(peak_rps_m, cap, util, 0.0)) + spare
    else:
        replicas = costs.replicas_needed(peak_rps_m, cap, util, spare)
    gpus = costs.gpus_from_replicas(replicas, p["gpus_per_replica"])
    if group.payment == "rent":
        if group.autoscale:
            # replicas for each hour of the typical day, (g, M, 24); the month's peak-hour fleet is reported
            if group.availability:
                replicas_mh = available(costs.replicas_needed(hourly_rps_mh, cap[..., None], util[..., None], 0.0,
                                                              p["min_replicas"][..., None]), axis_h=True) + spare[..., None]
            else:
                replicas_mh = costs.replicas_needed(hourly_rps_mh, cap[..., None], util[..., None], spare[..., None],
                                                    p["min_replicas"][..., None])
            gpus_mh = costs.gpus_from_replicas(replicas_mh, p["gpus_per_replica"][..., None])
            out.update(_rent_bill(gpus_mh, HOURS_PER_MONTH / 24.0, p, reserved, group.by_gpu, quantities))
            if group.startup:
                # start-up lead (issue 18): each replica added is billed startup_minutes before its hour
                s_gh = costs.startup_gpu_hours(replicas_mh, p["gpus_per_replica"], p["startup_minutes"])
                price = p["usd_per_gpu_hour"] if group.by_gpu else p["usd_per_instance_hour"] / p["gpus_per_instance"]
                out["startup"], out["startup_qty"] = s_gh * price, s_gh
            out["replicas_mh"] = replicas_mh
            replicas = replicas_mh.max(axis=-1)
            gpus = costs.gpus_from_replicas(replicas, p["gpus_per_replica"])
        elif group.reserved:
            out.update(_rent_bill(gpus[..., None], HOURS_PER_MONTH, p, reserved, group.by_gpu, quantities))
        elif group.by_gpu:  # the core always-on fleet, H hours a month
            out["rent"] = costs.rent_cost_per_gpu(gpus, p["usd_per_gpu_hour"])
            if quantities:
                out["rent_qty"] = out["gpu_hours"] = gpus * HOURS_PER_MONTH
        else:
            out["rent"] = costs.rent_cost_per_instance(gpus, p["gpus_per_instance"], p["usd_per_instance_hour"])
            if quantities:
                out["rent_qty"] = costs.instances_needed(gpus, p["gpus_per_instance"]) * HOURS_PER_MONTH
                out["gpu_hours"] = gpus * HOURS_PER_MONTH
    else:
        _own_items(out, gpus, p, group, quantities, discount_rate)
    out["replicas"], out["gpus"] = replicas, gpus
    out["staff"] = costs.staff_cost(p["staff_fte"][..., 0], fte_cost_per_year, months)
    if quantities:
        out["staff_qty"] = np.broadcast_to(p["staff_fte"], out["staff"].shape)
    return out


def _own_items(out: dict[str, np.ndarray], gpus: np.ndarray, p: dict[str, np.ndarray], group: RowGroup,
               quantities: bool, discount_rate=0.0) -> None:
    """Owned servers: in service (the fleet never shrinks), bought lead_time months ahead, refreshed at the end of
    their depreciation life, sold at retirement or the end of the horizon (residual)."""
    owned = costs.owned_fleet(costs.servers_needed(gpus, p["gpus_per_server"]))
    first_bought = costs.purchases(owned)
    if group.lead_time:
        first_bought = costs.purchases_with_lead_time(first_bought, p["lead_time_months"])
    life = p["life_months"].astype(int)
    bought = costs.refresh_purchases(first_bought, life) if group.refresh else first_bought
    dep_servers = costs.depreciating_servers(bought, life)
    price = p["server_price_usd"]
    out["servers"] = owned
    out["capex"] = costs.capex(bought, price)
    out["depreciation"] = costs.depreciation(dep_servers, price, life)
    out["power"] = costs.power_cost(owned, p["server_power_kw"], p["power_load_factor"], p["pue"], p["usd_per_kwh"])
    out["colo"] = costs.colo_cost(owned, p["server_power_kw"], p["colo_usd_per_kw_month"])
    out["maintenance"] = costs.maintenance_cost(owned, price, p["maintenance_share_per_year"])
    if group.capital_charge:
        # cost of capital (issue 18): book value at the start of the month x monthly rate (accrual only)
        bv = costs.book_value_start(bought, price, life)
        rate = costs.monthly_rate(discount_rate)
        out["capital_charge"] = costs.capital_charge(bv, rate[..., None] if np.ndim(rate) else discount_rate)
        out["capital_charge_qty"] = bv
    if group.residual:
        retired = bought - first_bought  # with refresh, each replacement retires its predecessor the same month
        res_cash = costs.residual_cash(retired, owned[..., -1], price, p["residual_share"])
        out["residual"] = res_cash
        out["residual_accrual"] = costs.residual_accrual(res_cash, costs.book_value_end(bought, price, life))
        if quantities:
            retired_qty = retired.copy()
            retired_qty[..., -1] += owned[..., -1]
            out["residual_qty"] = retired_qty
    if quantities:
        out["capex_qty"], out["depreciation_qty"], out["maintenance_qty"] = bought, dep_servers, owned
        out["power_qty"] = costs.energy_kwh(owned, p["server_power_kw"], p["power_load_factor"], p["pue"])
        out["colo_qty"] = owned * p["server_power_kw"]


def _overflow_items(k: dict[str, np.ndarray], p: dict[str, np.ndarray], load: "Load", rates: "Rates",
                    months: int) -> None:
    """A hybrid group's overflow requests billed like an API option at its overflow prices (api_overflow)."""
    ov_prices = {key: np.asarray(p[f"overflow_{key}"]) for key in API_PRICE_KEYS}
    ov_req = k["overflow_requests"]
    ko = api_kernel(workload.monthly_tokens(ov_req, load.input_per_request),
                    workload.monthly_tokens(ov_req, load.output_per_request),
                    ov_prices, load.cached_input_share, load.batch_share, load.cache_write_share)
    k["api_overflow"] = ko["api"] * price_trend_factor(months, rates.api_price_change_per_year)
    k["api_overflow_qty"] = ko["api_qty"]


def _group_trends(p: dict[str, np.ndarray], group: RowGroup, months: int, rates: "Rates") -> dict[str, np.ndarray]:
    """The group's prices x their monthly trend factor (:func:`price_trend_factor`): the rent price it pays
    (per GPU or per instance; reserved too) x the rent trend, owned servers' usd_per_kwh x the electricity trend."""
    out = dict(p)
    if group.payment == "rent":
        f = price_trend_factor(months, rates.rent_price_change_per_year)
        keys = ["usd_per_gpu_hour" if group.by_gpu else "usd_per_instance_hour"]
        if group.reserved:
            keys.append("usd_per_gpu_hour_reserved")
    else:
        f = price_trend_factor(months, rates.electricity_price_change_per_year)
        keys = ["usd_per_kwh"]
    for key in keys:
        out[key] = p[key] * f
    return out


def _place(chunks: list[tuple[np.ndarray, Any]], n: int, months: int, lead: Optional[tuple] = None) -> np.ndarray:
    """One ``lead + (n, months)`` array from (rows, values) chunks (zeros elsewhere)."""
    if lead is None:
        lead = np.broadcast_shapes(*[np.shape(v)[:-2] for _, v in chunks]) if chunks else ()
    out = np.zeros(lead + (n, months))
    for rows, v in chunks:
        out[..., rows, :] = v
    return out


def _param(p: dict[str, np.ndarray], key: str, neutral: float) -> np.ndarray:
    """Stacked parameter ``key``, or its neutral value shaped like ``capacity_rps`` (stacks without the key)."""
    return np.asarray(p[key], dtype=float) if key in p else np.full(np.shape(p["capacity_rps"]), neutral)


def _reserved_term_inputs(p: dict[str, np.ndarray], months: int, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Reserved terms (issue 18; docs/methodology.md, section 12): a copy of ``p`` with ``reserved_gpus_m``
    (R inside the term, 0 outside; R every month without a term) and the reserved price inside the term
    fixed at (1 - upfront_share) x p_r (no trend); the ``reserved_upfront`` item's arrays into ``out``."""
    q = dict(p)
    m = np.arange(months)
    R = np.asarray(p["reserved_gpus"], dtype=float)
    T = _param(p, "reserved_term_months", 0.0)
    start = _param(p, "reserved_term_start", 0.0)
    u = _param(p, "reserved_upfront_share", 0.0)
    fixed = _param(p, "usd_per_gpu_hour_reserved_fixed", 0.0)
    has_term = (T > 0) & (R > 0)
    in_term = (has_term & (m >= start) & (m < start + T)).astype(float)
    q["reserved_gpus_m"] = np.where(has_term, R * in_term, R)
    q["usd_per_gpu_hour_reserved"] = np.where(in_term > 0, fixed * (1.0 - u), p["usd_per_gpu_hour_reserved"])
    commitment = costs.reserved_commitment_usd(1.0, 1.0, 1.0) * R * fixed * T  # R x p_r x H x T [USD]
    out["reserved_upfront"] = np.where(has_term & (m == start), u * commitment, 0.0)
    out["reserved_upfront_accrual"] = u * commitment / np.maximum(T, 1.0) * in_term
    out["reserved_upfront_qty"] = u * R * HOURS_PER_MONTH * in_term  # [GPU-h] the share of the term's GPU-hours prepaid
    return q


def self_host_kernel(peak_rps_m, p: dict[str, np.ndarray], fte_cost_per_year, months: int,
                     hourly_rps_mh: Optional[np.ndarray] = None, quantities: bool = True) -> dict[str, np.ndarray]:
    """Fleet and line items for every row of stacked self-host parameters (:func:`stack_self_host`), shape
    ``(..., n, months)``: :func:`self_host_group_kernel` per :func:`row_groups` group, each output placed on its
    rows (exact zeros on rows it does not apply to). ``replicas_mh`` (autoscaled rows only) is
    ``(a, months, 24)`` for the rows listed in ``auto_rows``."""
    n = np.shape(p["is_rent"])[-2]
    chunks: dict[str, list] = {}
    auto: list[tuple[np.ndarray, np.ndarray]] = []
    for g, rows in row_groups(p):
        k = self_host_group_kernel(peak_rps_m, _rows(p, rows), fte_cost_per_year, months, hourly_rps_mh, g, quantities)
        if "replicas_mh" in k:
            auto.append((rows, k.pop("replicas_mh")))
        for key, v in k.items():
            chunks.setdefault(key, []).append((rows, v))
    out = {key: _place(ch, n, months) for key, ch in chunks.items()}
    if auto:
        out["auto_rows"] = np.concatenate([r for r, _ in auto])
        out["replicas_mh"] = np.concatenate([v for _, v in auto], axis=-3)
    return out


# ----------------------------------------------------------------------------------------------
# The compute core


@dataclass(frozen=True)
class ItemArrays:
    """One line item over the options of ``rows`` (positions in the option list), shape ``(..., len(rows), M)``."""

    item: line_items.LineItemDef
    rows: np.ndarray
    cash: np.ndarray  # [USD per month] (exact zeros when the item is not in the cash view)
    accrual: np.ndarray  # [USD per month]
    quantity: Optional[np.ndarray]  # [unit per month] (None when quantities were not asked for)


@dataclass(frozen=True)
class CoreOutput:
    """Every line item, the monthly totals and the self-host fleet for a stack of options."""

    months: int
    n_options: int
    api_rows: np.ndarray  # option positions of the API rows
    self_host_rows: np.ndarray  # option positions of the self-host rows
    items: dict[str, ItemArrays]  # registry order (empty when not asked for)
    cash: np.ndarray  # [USD per month] (..., n_options, M): sum of the items' cash in registry order
    accrual: np.ndarray  # [USD per month] (..., n_options, M)
    #: the self-host fleet, rows in ``self_host`` order, ``(..., n_self_host, M)``: replicas, gpus, servers (0 when
    #: rented), gpu_hours (0 when owned; with quantities), overflow_requests and fleet_rps (0 unless hybrid);
    #: replicas_mh ``(a, M, 24)`` for the self-host rows listed in auto_rows (empty when not asked for)
    kernel: dict[str, np.ndarray]

    def item_row(self, name: str, option: int) -> Optional[tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
        """(cash, accrual, quantity) of line item ``name`` for option position ``option``; None when the item is
        not computed for that option (it does not apply: an exact zero)."""
        ia = self.items.get(name)
        if ia is None:
            return None
        hit = np.flatnonzero(ia.rows == option)
        if not hit.size:
            return None
        j = int(hit[0])
        q = None if ia.quantity is None else ia.quantity[..., j, :]
        return ia.cash[..., j, :], ia.accrual[..., j, :], q


_FLEET_KEYS = ("replicas", "gpus", "servers", "gpu_hours", "overflow_requests", "fleet_rps")


def compute_line_items(load: Load, rates: Rates, months: int, api: Sequence[ApiParams] = (),
                       self_host: Sequence[SelfHostParams] = (), api_rows: Optional[Sequence[int]] = None,
                       self_host_rows: Optional[Sequence[int]] = None, api_stack: Optional[dict[str, np.ndarray]] = None,
                       self_host_stack: Optional[dict[str, np.ndarray]] = None, quantities: bool = True,
                       items: bool = True, fleet: bool = True) -> CoreOutput:
    """THE compute core: every registered line item for API and self-host options over ``months``.

    ``api`` / ``self_host`` are the resolved records; ``api_rows`` / ``self_host_rows`` their positions in the
    option list (default: API options first). ``api_stack`` / ``self_host_stack`` replace the stacked arrays
    of :func:`stack_api` / :func:`stack_self_host` (the batch analysis scales them by its draws); ``load`` and
    ``rates`` may carry a leading draw axis. Price trends are applied here: API prices x
    price_trend_factor(api rate), rent prices (incl. reserved) x rent factor, usd_per_kwh x electricity factor.
    Self-host rows are computed by :class:`RowGroup` (:func:`self_host_group_kernel`); a hybrid option's overflow
    requests are billed like an API option at its overflow prices. Totals add the line items in registry order,
    so every caller gets the same sums to the last bit. ``items`` / ``fleet`` / ``quantities``: whether to
    return the per-item arrays, the fleet and the quantities (Monte Carlo needs only the totals).
    """
    api, self_host = list(api), list(self_host)
    n_api, n_sh = len(api), len(self_host)
    api_rows = np.arange(n_api) if api_rows is None else np.asarray(api_rows, dtype=int)
    sh_rows = n_api + np.arange(n_sh) if self_host_rows is None else np.asarray(self_host_rows, dtype=int)
    n = n_api + n_sh
    M = months
    defs = line_items.items_for(list({id(p): p for p in api + self_host}.values()))
    # (option positions, kernel outputs, records) of every group of rows computed together
    blocks: list[tuple[np.ndarray, dict[str, np.ndarray], list, np.ndarray]] = []
    if n_api:
        prices = api_stack if api_stack is not None else stack_api(api)
        k = api_kernel(load.input_tokens, load.output_tokens, prices, load.cached_input_share, load.batch_share,
                       load.cache_write_share)
        k["api"] = k["api"] * price_trend_factor(M, rates.api_price_change_per_year)  # every price follows the trend
        if any(p.fine_tuning is not None for p in api):
            k.update(stack_fine_tuning(api, M))
        blocks.append((api_rows, k, api, np.arange(n_api)))
    if n_api and any(p.cost_lines for p in api):
        cost_line_outputs(blocks[0][1], api, load, M)
    if n_sh:
        stacked = self_host_stack if self_host_stack is not None else stack_self_host(self_host)
        for g, idx in row_groups(stacked):
            sub = _group_trends(_rows(stacked, idx), g, M, rates)
            recs = [self_host[i] for i in idx]
            lines = any(p.cost_lines for p in recs)  # cost lines count GPUs and servers from the quantities
            k = self_host_group_kernel(load.peak_rps, sub, rates.fte_cost_per_year, M, load.hourly_rps, g,
                                       quantities or lines, rates.discount_rate)
            if g.hybrid:
                _overflow_items(k, sub, load, rates, M)
            if any(p.fine_tuning is not None for p in recs):
                k.update(stack_fine_tuning(recs, M))
            if lines:
                cost_line_outputs(k, recs, load, M, sub, g)
            blocks.append((sh_rows[idx], k, recs, idx))
    cash_chunks, acc_chunks = [], []
    item_chunks: dict[str, list] = {}
    for rows, k, recs, _ in blocks:
        cash_parts, acc_parts = [], []
        uniq = list({id(p): p for p in recs}.values())  # candidates share records: ask each one once
        for d in defs:
            if not any(d.applies(p) for p in uniq):
                continue  # no option of the block has it: an exact zero
            if d.amount_key not in k or (d.accrual_key and d.accrual_key not in k):
                raise EvaluationError(f"line item {d.name!r}: the {d.group} kernel has no output {d.amount_key!r}")
            amount = k[d.amount_key]
            acc_amount = k[d.accrual_key] if d.accrual_key else amount
            if d.cash:
                cash_parts.append(amount)
            if d.accrual:
                acc_parts.append(acc_amount)
            if items:
                item_chunks.setdefault(d.name, []).append(
                    (rows, amount if d.cash else 0.0, acc_amount if d.accrual else 0.0,
                     k[d.quantity_key] if quantities else None))
        cash_chunks.append((rows, cash_parts))
        acc_chunks.append((rows, acc_parts))
    lead = np.broadcast_shapes(*[np.shape(v)[:-2] for _, ps in cash_chunks + acc_chunks for v in ps]) if blocks else ()
    out_items: dict[str, ItemArrays] = {}
    for d in defs:
        ch = item_chunks.get(d.name)
        if not ch:
            continue
        rows = np.concatenate([c[0] for c in ch])
        shape = (len(rows), M)

        def cat(pos: int) -> np.ndarray:
            parts = [c[pos] if np.shape(c[pos])[-2:] == (len(c[0]), M) else
                     np.broadcast_to(c[pos], np.broadcast_shapes(np.shape(c[pos]), (len(c[0]), M))) for c in ch]
            if len(parts) == 1:
                return parts[0]
            lead_i = np.broadcast_shapes(*[np.shape(x)[:-2] for x in parts])
            return np.concatenate([np.broadcast_to(x, lead_i + np.shape(x)[-2:]) for x in parts], axis=-2)

        c_arr, a_arr = cat(1), cat(2)
        q_arr = cat(3) if quantities else None
        assert c_arr.shape[-2:] == shape
        out_items[d.name] = ItemArrays(d, rows, c_arr, a_arr, q_arr)
    kernel: dict[str, np.ndarray] = {}
    if fleet and n_sh:
        sh_blocks = [(idx, k) for _, k, _, idx in blocks[1 if n_api else 0:]]
        for key in _FLEET_KEYS:
            parts = [(idx, k[key]) for idx, k in sh_blocks if key in k]
            if parts:
                kernel[key] = _place(parts, n_sh, M)
        auto = [(idx, k["replicas_mh"]) for idx, k in sh_blocks if "replicas_mh" in k]
        if auto:
            kernel["auto_rows"] = np.concatenate([i for i, _ in auto])
            kernel["replicas_mh"] = np.concatenate([v for _, v in auto], axis=-3)
    cash_total = _totals(cash_chunks, n, M, lead)
    return CoreOutput(M, n, api_rows, sh_rows, out_items, cash_total, _totals(acc_chunks, n, M, lead, cash_chunks, cash_total),
                      kernel)


def _totals(chunks: list[tuple[np.ndarray, list]], n: int, months: int, lead: tuple,
            same_as: Optional[list] = None, same_total: Optional[np.ndarray] = None) -> np.ndarray:
    """``lead + (n, months)`` totals: for each (rows, parts) block, parts[0] + parts[1] + ... (left to right,
    the same sum as :func:`_sum`) written on its rows; 0 on rows of no block. Consecutive rows are summed in
    place in the output (no temporary arrays). A block whose parts are the very arrays of block ``same_as``
    (accrual = cash: API, rent) is copied from ``same_total``."""
    covered = sum(len(r) for r, _ in chunks)
    out = np.empty(lead + (n, months)) if covered == n else np.zeros(lead + (n, months))
    for b, (rows, parts) in enumerate(chunks):
        if same_as is not None and len(parts) == len(same_as[b][1]) and all(x is y for x, y in zip(parts, same_as[b][1])):
            out[..., rows, :] = same_total[..., rows, :]
            continue
        if len(rows) and np.array_equal(rows, np.arange(rows[0], rows[0] + len(rows))):
            view = out[..., int(rows[0]):int(rows[0]) + len(rows), :]
            if not parts:
                view[...] = 0.0
                continue
            if len(parts) == 1:
                view[...] = parts[0]
            else:
                np.add(parts[0], parts[1], out=view)
            for x in parts[2:]:
                np.add(view, x, out=view)
        else:
            out[..., rows, :] = _sum(parts)
    return out


def cost_line_outputs(k: dict[str, np.ndarray], recs: Sequence[OptionParams], load: Load, months: int,
                      p: Optional[dict[str, np.ndarray]] = None, group: Optional[RowGroup] = None) -> None:
    """The scenario's cost lines (issue 18; docs/methodology.md, section 10) of one block of rows into its kernel
    outputs ``k``: ``cost_line:<name>`` [USD per month] (cash), ``...:accrual`` and ``...:qty``, shape
    ``(..., rows, months)``, exact zeros on rows a line does not apply to. GPUs billed and servers/instances come
    from the block's self-host outputs (``p``, ``group``: its stacked parameters; None for API rows)."""
    g, M = len(recs), months

    def draws(a) -> tuple:  # leading draw axes of a load array ((..., 1, M) with draws, (M,) without)
        return np.shape(a)[:-2] if np.ndim(a) >= 3 else ()

    gpus_billed = servers = np.zeros((g, M))
    if p is not None and group is not None:
        if group.payment == "rent":
            rent_gh = np.asarray(k["rent_qty"], dtype=float) * (1.0 if (group.by_gpu or group.reserved)
                                                                 else p["gpus_per_instance"])
            rent_gh = rent_gh + k.get("reserved_unused_qty", 0.0)
            gpus_billed = beyond_gpus.rent_gpus_billed(rent_gh)
            servers = k["replicas"] if group.by_gpu else rent_gh / HOURS_PER_MONTH / p["gpus_per_instance"]
        else:
            gpus_billed = k["servers"] * p["gpus_per_server"]
            servers = k["servers"]
    lead = np.broadcast_shapes(draws(load.requests), draws(load.input_tokens), draws(load.output_tokens),
                               np.shape(gpus_billed)[:-2], np.shape(servers)[:-2])
    gpus_billed = np.broadcast_to(gpus_billed, lead + (g, M))
    servers = np.broadcast_to(servers, lead + (g, M))

    def per_row(a) -> np.ndarray:  # a load array as lead + (M,)
        a = np.asarray(a, dtype=float)
        return np.broadcast_to(a if np.ndim(a) < 3 else a[..., 0, :], lead + (M,))

    req, inp, outp = per_row(load.requests), per_row(load.input_tokens), per_row(load.output_tokens)
    out: dict[str, np.ndarray] = {}
    for j, rec in enumerate(recs):
        for item in beyond_gpus.cost_line_items(rec.cost_lines, "", M, "", rec.kind, rec.payment,
                                                requests_m=req, input_tokens_m=inp, output_tokens_m=outp,
                                                gpus_billed_m=gpus_billed[..., j, :], servers_m=servers[..., j, :],
                                                check_applies=False):
            key = line_items.cost_line_key(item.name)
            for suffix, arr in (("", item.cash_usd), (":accrual", item.accrual_usd), (":qty", item.quantity)):
                if key + suffix not in out:
                    out[key + suffix] = np.zeros(lead + (g, M))
                out[key + suffix][..., j, :] = arr
    k.update(out)

def _sum(parts: list) -> Any:
    """parts[0] + parts[1] + ... (left to right: the same floating-point sum everywhere; 0.0 when empty)."""
    if not parts:
        return 0.0
    s = parts[0]
    for x in parts[1:]:
        s = s + x
    return s


def compute_options(params: Sequence[OptionParams], load: Load, rates: Rates, months: int,
                    quantities: bool = True) -> CoreOutput:
    """:func:`compute_line_items` for a list of resolved options in their order."""
    api_rows = [i for i, p in enumerate(params) if p.kind == "api"]
    sh_rows = [i for i, p in enumerate(params) if p.kind == "self_host"]
    return compute_line_items(load, rates, months, [params[i] for i in api_rows], [params[i] for i in sh_rows],
                              api_rows, sh_rows, quantities=quantities)


@dataclass(frozen=True)
class Totals:
    """Horizon totals of a core output (per option; per draw and option with draws)."""

    cash_usd: np.ndarray  # [USD]
    accrual_usd: np.ndarray  # [USD]
    npv_usd: np.ndarray  # [USD] of the cash series at the discount rate
    usd_per_million_tokens: np.ndarray  # [USD / 1M tokens] accrual total / (input + output tokens)


def summarise(core: CoreOutput, load: Load, discount_rate) -> Totals:
    """Totals, NPV (tco.model.finance.npv) and USD per 1M tokens (tco.model.finance.usd_per_million_tokens, accrual)."""
    tot_cash, tot_acc = core.cash.sum(axis=-1), core.accrual.sum(axis=-1)
    tokens = load.total_tokens
    return Totals(tot_cash, tot_acc, finance.npv(core.cash, discount_rate),
                  finance.usd_per_million_tokens(tot_acc, tokens if np.ndim(tokens) == 0 else np.asarray(tokens)))


# ----------------------------------------------------------------------------------------------


def _beyond_gpus_totals(p: OptionParams, items: dict[str, LineItem], fleet: Optional[Fleet], discount_rate,
                        months: int) -> tuple[Optional[float], Optional[float]]:
    """(economic USD/GPU-hour of an owned option, reserved-term commitment after the horizon [USD]); None where
    it does not apply (docs/methodology.md, sections 14-15)."""
    economic = after = None
    if p.kind == "self_host" and p.payment == "own" and fleet is not None and "capex" in items:
        charge = beyond_gpus.capital_charge_item(items["capex"].quantity, p.server_price_usd, p.life_months,
                                                 float(discount_rate))
        economic = beyond_gpus.owned_economic_usd_per_gpu_hour({k: li.accrual_usd for k, li in items.items()},
                                                               charge.accrual_usd, fleet.servers, p.gpus_per_server)
    if p.kind == "self_host" and p.payment == "rent" and p.has_reserved_term:
        after = beyond_gpus.reserved_term_plan(p.reserved_gpus, p.usd_per_gpu_hour_reserved, p.reserved_term_months,
                                               p.reserved_upfront_share, p.reserved_term_start,
                                               months).commitment_after_horizon_usd
    return economic, after


def evaluate(scenario: Scenario, catalog: Catalog, skip_infeasible: bool = False, file: str = "scenario") -> Result:
    """Evaluate every option of ``scenario`` over its horizon.

    Raises :class:`ScenarioError` listing every unknown id, missing price and (unless ``skip_infeasible``)
    every self-host option whose capacity cannot be derived (no profile, SLO cannot be met); with
    ``skip_infeasible`` such options are listed in ``Result.skipped`` with the reason. Raises
    :class:`EvaluationError` when a required price or assumption is missing.
    """
    s = scenario
    M = s.months
    labels = s.month_labels()
    r = Resolver(s, catalog, file)
    load = scenario_load(s)
    rpd = workload.requests_per_day_forecast(s.workload, s.start, M)
    rates = resolve_rates(r, needs_staff=any(o.self_host is not None for o in s.options))

    resolved: list[tuple[int, Option, OptionParams]] = []
    skipped: list[tuple[str, str]] = []
    for i, o in enumerate(s.options):
        if o.kind == "route":
            rp = resolve_route_option(r, i, o, skipped, skip_infeasible)
            if rp is not None:
                resolved.append((i, o, rp))
            continue
        p = resolve_api_option(r, i, o) if o.kind == "api" else resolve_self_host_option(r, i, o)
        if p is None:
            continue
        if isinstance(p, Unservable):
            reason = p.capacity.reason or "capacity could not be derived"
            if skip_infeasible:
                skipped.append((o.name, reason))
                continue
            r.problems.append(Problem(r.file, f"options[{i}] ({o.name})", None, reason))
            continue
        if o.fine_tuned:
            p = resolve_fine_tuning(r, i, o, p)
            if p is None:
                continue
        resolved.append((i, o, p))
    if r.problems:
        raise ScenarioError(r.problems)

    # the compute core takes the API and self-host options; a route's items are its parts' (route_line_items)
    core_pos = [n for n, (_, o, _) in enumerate(resolved) if o.kind != "route"]
    compact = {n: j for j, n in enumerate(core_pos)}
    core = compute_options([resolved[n][2] for n in core_pos], load, rates, M)
    cash, accrual = np.zeros((len(resolved), M)), np.zeros((len(resolved), M))
    cash[core_pos], accrual[core_pos] = core.cash, core.accrual
    route_items: dict[int, dict[str, LineItem]] = {}
    for n, (_, o, p) in enumerate(resolved):
        if o.kind == "route":
            # totals: the parts' totals in member order, then the router (the order tco.analysis.evaluate_batch adds them)
            route_items[n] = route_line_items(p, load)
            router = route_items[n].get("router")
            cash[n] = _sum([np.zeros(M)] + [pr.result.cash_usd for pr in p.parts] + ([router.cash_usd] if router else []))
            accrual[n] = _sum([np.zeros(M)] + [pr.result.accrual_usd for pr in p.parts]
                              + ([router.accrual_usd] if router else []))
    tot = Totals(cash.sum(axis=-1), accrual.sum(axis=-1), finance.npv(cash, rates.discount_rate),
                 finance.usd_per_million_tokens(accrual.sum(axis=-1), load.total_tokens))
    ref_pos = next((n for n, (_, o, _) in enumerate(resolved) if o.kind == "api"), None)
    be = finance.break_even_index(cash, cash[ref_pos]) if ref_pos is not None else np.full(len(resolved), -1)
    fleets = {int(pos): j for j, pos in enumerate(core.self_host_rows)}
    k = core.kernel
    auto_rows = list(k.get("auto_rows", ()))

    at: dict[int, list[tuple[ItemArrays, int]]] = {}  # option position -> (item, row in the item), registry order
    for ia in core.items.values():
        for j, pos in enumerate(ia.rows.tolist()):
            at.setdefault(pos, []).append((ia, j))
    options: list[OptionResult] = []
    for n, (i, o, p) in enumerate(resolved):
        if o.kind == "route":
            options.append(_route_result(o, p, route_items[n], load, cash[n], accrual[n], tot, n, be, ref_pos, labels))
            continue
        items: dict[str, LineItem] = {}
        for ia, j in at.get(compact[n], ()):  # rows of the core are the non-route options, in order
            d = ia.item
            if d.applies(p):
                items[d.name] = LineItem(d.name, ia.cash[j], ia.accrual[j], ia.quantity[j], d.unit_of(p), d.focus)
        fleet, extra = None, {}
        if compact[n] in fleets:
            j = fleets[compact[n]]
            fleet = Fleet(
                replicas=k["replicas"][j], gpus=k["gpus"][j], servers=k["servers"][j] if p.payment == "own" else None,
                gpu_hours=k["gpu_hours"][j] if p.payment == "rent" else None,
                overflow_requests=k["overflow_requests"][j] if p.is_hybrid else None,
                fleet_rps=k["fleet_rps"][j] if p.is_hybrid else None,
                replicas_by_hour=k["replicas_mh"][auto_rows.index(j)] if (p.autoscale and j in auto_rows) else None)
            if fleet.gpu_hours is not None:
                extra["gpu_hours"] = fleet.gpu_hours
            if fleet.overflow_requests is not None:
                extra["overflow_requests"] = fleet.overflow_requests
        economic, after = _beyond_gpus_totals(p, items, fleet, rates.discount_rate, M)
        is_ref = n == ref_pos
        be_idx = -1 if (o.kind == "api" or is_ref) else int(be[n])
        options.append(OptionResult(
            name=o.name, kind=o.kind, payment=p.payment, line_items=items,
            requests=load.requests, input_tokens=load.input_tokens, output_tokens=load.output_tokens,
            peak_rps=load.peak_rps, cash_usd=cash[n], accrual_usd=accrual[n], total_cash_usd=float(tot.cash_usd[n]),
            total_accrual_usd=float(tot.accrual_usd[n]), npv_usd=float(tot.npv_usd[n]),
            usd_per_million_tokens=float(tot.usd_per_million_tokens[n]),
            break_even_month=finance.index_to_month(be_idx, labels), break_even_index=be_idx, params=p,
            replicas=fleet.replicas if fleet else None, gpus=fleet.gpus if fleet else None,
            servers=fleet.servers if fleet else None, capacity=getattr(p, "capacity", None), notes=p.notes,
            ref_id=p.ref_id, fleet=fleet, extra_monthly=extra,
            fine_tuning_runs=p.fine_tuning.runs if p.fine_tuning is not None else (),
            economic_usd_per_gpu_hour=economic, commitment_after_horizon_usd=after,
        ))
    r.used.insert(0, AssumptionUsed("", "hours_per_month", HOURS_PER_MONTH, "h", "default",
                                    "Azure pricing guidance: 730 hours/month (8,760 / 12)", "", "convention"))
    return decision.finish(Result(scenario=s, months=labels, options=options, assumptions=r.used,
                  reference=resolved[ref_pos][1].name if ref_pos is not None else None,
                  requests_per_day=rpd, skipped=skipped, catalog_version=catalog.version(),
                  finance_inputs=dict(discount_rate=rates.discount_rate, fte_cost_per_year=rates.fte_cost_per_year,
                                      **{key: getattr(rates, key) for key in PRICE_TRENDS},
                                      currency=s.finance.currency, usd_to_currency=s.finance.usd_to_currency,
                                      fiscal_year_start_month=s.finance.fiscal_year_start_month)),
                           catalog, skip_infeasible, file)


# ----------------------------------------------------------------------------------------------
# Fine-tuning and routes (issue 19; docs/methodology.md sections 14-15)


def resolve_fine_tuning(r: Resolver, i: int, o: Option, p: OptionParams) -> Optional[OptionParams]:
    """The record of a ``fine_tuned`` option with its runs planned (tco.model.fine_tuning.plan_runs) and the inputs
    recorded in ``r``; None (problem recorded) when the option cannot be fine-tuned."""
    try:
        plan = fine_tuning.plan_runs(r.s.fine_tuning, r.s, o, r.c, p, f"options[{i}]")
    except fine_tuning.FineTuningError as exc:
        located = exc.path.startswith("options")
        r.problems.append(Problem(r.file, exc.path if located else f"options[{i}] ({o.name})",
                                  None if located else exc.path, exc.message))
        return None
    for a in plan.assumptions:
        r.used.append(AssumptionUsed(o.name, **a))
    return replace(p, fine_tuning=plan, notes=tuple(p.notes) + tuple(plan.notes))


def resolve_route_option(r: Resolver, i: int, o: Option, skipped: list, skip_infeasible: bool) -> Optional[RouteParams]:
    """Evaluate each member of route option ``o`` on its share of the traffic (tco.model.routing.part_scenario, a
    member with share 0 is left out). None when a member cannot be served (the route is skipped with the
    member's reason, or a problem is recorded) or has a problem of its own (recorded, located in the route)."""
    s, route = r.s, o.route
    where = f"options[{i}] ({o.name})"
    roles = ["part"] * len(route.parts) if route.mode == "split" else ["first", "escalate"]
    parts: list[RoutePartResult] = []
    for (part, share), role in zip(s.route_members(o), roles):
        if share <= 0:
            continue
        try:
            sub = evaluate(routing.part_scenario(s, part, share), r.c, skip_infeasible=True, file=r.file)
        except ScenarioError as exc:
            for pr in exc.problems:
                r.problems.append(Problem(r.file, f"{where}: route part '{part.name}'", None,
                                          ": ".join(str(x) for x in (pr.entry, pr.field, pr.message) if x)))
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
                r.used.append(replace(a, option=f"{o.name} / {a.option}"))
        parts.append(RoutePartResult(part.name, float(share), role, sub.options[0], sub))
    if route.router_usd_per_million_tokens is not None:
        r.used.append(AssumptionUsed(o.name, "router_usd_per_million_tokens", route.router_usd_per_million_tokens,
                                     "USD/1M tokens", "scenario"))
    notes = tuple(f"{pr.name}: {x}" for pr in parts
                  for x in list(pr.result.notes) + list(pr.result.capacity.notes if pr.result.capacity else ()))
    names = [m.name for m, _ in s.route_members(o)]
    return RouteParams(mode=route.mode, parts=tuple(parts),
                       quality_weights=tuple(zip(names, routing.quality_weights(route))),
                       router_usd_per_million_tokens=route.router_usd_per_million_tokens, notes=notes)


def route_line_items(p: RouteParams, load: Load) -> dict[str, LineItem]:
    """A route's line items in registry order: its parts' items summed by name (quantities too; the unit
    says "mixed" when the parts' units differ), plus ``router`` = tco.model.routing.router_cost on the load's tokens."""
    out: dict[str, LineItem] = {}
    for d in line_items.items_for([pr.result.params for pr in p.parts]):
        if d.name == "router":
            continue
        have = [pr.result.line_items[d.name] for pr in p.parts if d.name in pr.result.line_items]
        if not have:
            continue
        units = sorted({li.unit for li in have})
        out[d.name] = LineItem(d.name, _sum([li.cash_usd for li in have]), _sum([li.accrual_usd for li in have]),
                               _sum([li.quantity for li in have]),
                               units[0] if len(units) == 1 else f"mixed ({'; '.join(units)})")
    router = line_items.get("router")
    if router.applies(p):
        bill = routing.router_cost(load.input_tokens, load.output_tokens, p.router_usd_per_million_tokens)
        out["router"] = LineItem("router", bill, bill.copy(), (load.input_tokens + load.output_tokens) / TOKENS_PER_MILLION,
                                 router.unit)
    return out


def _route_result(o: Option, p: RouteParams, items: dict[str, LineItem], load: Load, cash: np.ndarray,
                  accrual: np.ndarray, tot: "Totals", n: int, be: np.ndarray, ref_pos: Optional[int],
                  labels: list[str]) -> OptionResult:
    def fleet_sum(key: str) -> Optional[np.ndarray]:
        arrs = [getattr(pr.result, key) for pr in p.parts if getattr(pr.result, key) is not None]
        return _sum(arrs) if arrs else None

    be_idx = -1 if ref_pos is None else int(be[n])
    runs = tuple(replace(run, option=pr.name) for pr in p.parts for run in pr.result.fine_tuning_runs)
    return OptionResult(
        name=o.name, kind="route", payment="route", line_items=items, requests=load.requests,
        input_tokens=load.input_tokens, output_tokens=load.output_tokens, peak_rps=load.peak_rps, cash_usd=cash,
        accrual_usd=accrual, total_cash_usd=float(tot.cash_usd[n]), total_accrual_usd=float(tot.accrual_usd[n]),
        npv_usd=float(tot.npv_usd[n]), usd_per_million_tokens=float(tot.usd_per_million_tokens[n]),
        break_even_month=finance.index_to_month(be_idx, labels), break_even_index=be_idx, params=p,
        replicas=fleet_sum("replicas"), gpus=fleet_sum("gpus"), servers=fleet_sum("servers"), notes=p.notes,
        ref_id="route", fine_tuning_runs=runs, parts=p.parts, quality_weights=p.quality_weights)

