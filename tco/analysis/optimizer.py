"""The optimizer: the cheapest way to serve a scenario's workload within its latency SLO.

Pure (no Streamlit). :func:`optimize` takes the scenario's workload, SLO, finance and ops settings
and searches every configuration the catalogs allow (docs/scenario_optimizer.md):

* self-host: model x GPU x GPUs per replica (1, 2, 4, 8) x precision the GPU has tensor cores for
  (bf16, fp8, fp4) x way to pay: each catalog rental offer of that GPU at each price it lists
  (on-demand, reserved, spot; per-instance pricing) and each catalog server of that GPU (own);
* API: every API offer serving one of the chosen models, plus the scenario's own API options
  (its references).

Per candidate: memory fit, capacity at the SLO (measured, adjusted or estimated, labelled), the fleet
over the horizon, total cash, accrual, NPV, USD per 1M tokens and the p95 TPOT at the operating
point. Infeasible candidates are kept with the reason.

Speed: capacities of configurations without a measured profile come from one vectorised estimator
call over every configuration and every rate of the SLO search grid (the same grid and formulas as
:func:`tco.model.perf.estimated_capacity_at_slo`); configurations with profiles use
:func:`tco.model.capacity.capacity_at_slo`. Every feasible self-host candidate is then costed in ONE stacked
:func:`tco.engine.self_host_kernel` call, with parameters resolved by the engine's own resolver (so a
candidate costs exactly what ``evaluate()`` gives for the same option).

Mixed fleets (``workload.mix``): :func:`solve_mix` sizes one pool per request-size bucket, each on
its own configuration, as a small integer program per month (``scipy.optimize.milp``).

Units: money [USD], rates [req/s], latencies [ms], tokens [tokens].
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional, Sequence

import numpy as np

from tco.analysis.candidates import candidate_option
from tco.analysis.optimizer_rules import (
    DEFAULT_QUALITY_FLOOR,
    DEFAULT_QUALITY_FLOOR_REASON,
    SPOT_CAVEAT,
    replica_fits_unit,
    suspect_reason,
)
from tco.analysis.route_search import propose_routes
from tco.catalog import Catalog
from tco.core.exceptions import Problem, ScenarioError, TcoError
from tco.engine import (
    CoreOutput,
    Load,
    Rates,
    Resolver,
    Totals,
    compute_line_items,
    price_trend_factor,
    resolve_api_option,
    resolve_rates,
    resolve_self_host_option,
    scenario_load,
    stack_self_host,
    summarise,
)
from tco.engine.decision import api_option_slo
from tco.model import costs, perf
from tco.model import quality as q
from tco.model.capacity import CapacityResult, candidate_profiles, capacity_at_slo
from tco.model.records import ApiParams, SelfHostParams, Unservable
from tco.scenario import Option, QualityFloor, Scenario, parse_scenario

#: GPUs per replica searched by default.
SEARCH_GPUS_PER_REPLICA = (1, 2, 4, 8)
#: Precisions searched by default (each only on GPUs with tensor cores for it).
SEARCH_PRECISIONS = ("bf16", "fp8", "fp4")
#: Ways to pay: rental prices of catalog offers, and buying catalog servers.
PAYMENTS = ("on_demand", "reserved", "spot", "own")

REASON_NO_FIT = "does not fit in memory"
REASON_SLO = "cannot meet the SLO"
REASON_NO_OFFER = "no rental offer/server for this GPU"


@dataclass(frozen=True)
class SearchSpace:
    """What to search. ``None`` = everything in the catalog.

    ``models`` entries are model ids or family names (``llama``); ``min_params_b``/``max_params_b``
    bound total parameters [billions] (``"Llama 8B-70B"`` = families ``("llama",)``, 8 to 71).
    """

    models: Optional[tuple[str, ...]] = None
    gpus: Optional[tuple[str, ...]] = None
    gpus_per_replica: tuple[int, ...] = SEARCH_GPUS_PER_REPLICA
    precisions: tuple[str, ...] = SEARCH_PRECISIONS
    payments: tuple[str, ...] = PAYMENTS
    min_params_b: Optional[float] = None
    max_params_b: Optional[float] = None
    include_apis: bool = True
    #: (tco/analysis/optimizer_rules.py) keep catalog entries marked SUSPECT or low-confidence (flagged)
    allow_suspect: bool = False
    #: apply DEFAULT_QUALITY_FLOOR when the scenario sets no quality_floor
    default_quality_floor: bool = True


@dataclass(frozen=True)
class Candidate:
    """One configuration of the search, costed over the scenario's horizon (or infeasible, with a reason)."""

    name: str
    kind: str  # "api" | "self_host"
    model: Optional[str]  # catalog model id (APIs: the model served, else the provider's model name)
    gpu: Optional[str] = None
    gpus_per_replica: Optional[int] = None
    precision: Optional[str] = None
    payment: str = "api"  # api | on_demand | reserved | spot | own | none
    offer: Optional[str] = None  # rental offer id
    server: Optional[str] = None  # server id
    api: Optional[str] = None  # API offer id
    params_b: Optional[float] = None  # [1e9] total parameters of the model
    capacity_source: Optional[str] = None  # measured | adjusted | estimated
    capacity_rps: Optional[float] = None  # [req/s] per replica at the SLO (spot: before the interruption overhead)
    feasible: bool = True
    reason: Optional[str] = None
    total_cash_usd: Optional[float] = None  # [USD]
    total_accrual_usd: Optional[float] = None  # [USD]
    npv_usd: Optional[float] = None  # [USD]
    usd_per_million_tokens: Optional[float] = None  # [USD / 1M tokens]
    tpot_ms: Optional[float] = None  # [ms] p95 TPOT at the operating point (capacity)
    ttft_ms: Optional[float] = None  # [ms] p95 TTFT at the operating point
    max_replicas: Optional[float] = None  # [count] largest monthly fleet
    max_gpus: Optional[float] = None  # [count]
    gpus_m: Optional[np.ndarray] = field(default=None, repr=False)  # [count per month]
    cash_m: Optional[np.ndarray] = field(default=None, repr=False)  # [USD per month]
    option: Optional[dict] = field(default=None, repr=False)  # the scenario option (see candidate_option)
    notes: tuple[str, ...] = ()
    suspect: Optional[str] = None  # why the price rests on a suspect / low-confidence entry (only with allow_suspect)
    caveats: tuple[str, ...] = ()  # what a reader must know before choosing it (spot interruptions, suspect price)

    @property
    def sort_key(self) -> tuple:
        return (not self.feasible, self.total_cash_usd if self.total_cash_usd is not None else math.inf, self.name)

    def row(self) -> dict:
        """The CLI/JSON row."""
        return {k: getattr(self, k) for k in CANDIDATE_COLUMNS}


#: Columns of ``python -m tco optimize --format json`` rows (docs/scenario_optimizer.md).
CANDIDATE_COLUMNS = ("model", "gpu", "gpus_per_replica", "precision", "payment", "capacity_source", "feasible",
                     "reason", "total_cash_usd", "npv_usd", "usd_per_million_tokens", "tpot_ms",
                     "name", "kind", "offer", "server", "api", "total_accrual_usd", "capacity_rps", "max_gpus",
                     "suspect", "caveats")


@dataclass(frozen=True)
class MixAllocation:
    bucket: int  # index into workload.mix
    candidate: str  # candidate name (configuration and way to pay)
    replicas: int  # serving replicas in the peak month


@dataclass(frozen=True)
class MixResult:
    """Mixed fleet for one model: each request-size bucket on its own configuration (integer program)."""

    model: str
    total_usd: float  # [USD] sum over months of the monthly cost of the mixed fleet
    best_single: Optional[str]  # best single configuration serving every bucket
    best_single_total_usd: Optional[float]  # [USD]
    saving_usd: Optional[float]  # [USD] best single - mixed (>= 0)
    allocation: tuple[MixAllocation, ...]  # in the month with the highest peak
    monthly_usd: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    configs_considered: int = 0
    note: str = ("monthly cost: rent for rented units; for owned servers depreciation + power + colo + maintenance "
                 "(accrual); staff and spare replicas per configuration used")


@dataclass(frozen=True)
class OptimizerResult:
    candidates: list[Candidate]  # feasible first, then by total cash
    seconds: float  # [s] wall time of the search
    tpot_slo_ms: Optional[float]
    ttft_slo_ms: Optional[float]
    excluded_by_quality: int = 0
    quality_note: str = ""
    mix: Optional[MixResult] = None
    mix_note: str = ""
    routes: tuple = ()  # tco.analysis.route_search.RouteProposal, cheapest first (optimize(routes=True))
    routes_note: str = ""
    #: candidates left out before ranking, and the floor's reason when the default floor is used
    excluded_suspect: int = 0  # resting on a SUSPECT / low-confidence catalog entry (without allow_suspect)
    excluded_spanning: int = 0  # replica that would span separate instances or servers (never offered)
    allow_suspect: bool = False
    quality_floor_reason: str = ""

    @property
    def feasible(self) -> list[Candidate]:
        return [c for c in self.candidates if c.feasible]

    @property
    def best(self) -> Optional[Candidate]:
        f = self.feasible
        return f[0] if f else None

    def top(self, n: Optional[int]) -> list[Candidate]:
        return self.candidates if not n else self.candidates[:n]


# ----------------------------------------------------------------------------------------------
# Search space


def select_models(catalog: Catalog, space: SearchSpace) -> list[str]:
    """Model ids of the search: ids or families in ``space.models``, within the parameter bounds."""
    out = []
    want = None if not space.models else {m.lower() for m in space.models}
    for mid, m in sorted(catalog.models.items()):
        if want is not None and mid not in want and m.family.lower() not in want:
            continue
        if space.min_params_b is not None and m.total_params_b < space.min_params_b:
            continue
        if space.max_params_b is not None and m.total_params_b > space.max_params_b:
            continue
        out.append(mid)
    return out


def parse_size_filter(text: str) -> tuple[Optional[str], Optional[float], Optional[float]]:
    """``"Llama 8B-70B"`` -> ("llama", 8, 71); ``"70B"`` -> (None, 70, 71); ``"llama"`` -> ("llama", None, None).

    The upper bound gets one billion of slack so a nominal 70B (70.55B) model is included.
    """
    m = re.match(r"^\s*([A-Za-z][\w.-]*)?\s*(?:(\d+(?:\.\d+)?)\s*[bB]?\s*(?:-\s*(\d+(?:\.\d+)?)\s*[bB])?)?\s*$", text)
    if not m:
        raise ValueError(f"cannot read model filter {text!r}; write e.g. 'llama 8B-70B'")
    fam = m.group(1).lower() if m.group(1) else None
    lo = float(m.group(2)) if m.group(2) else None
    hi = float(m.group(3)) if m.group(3) else lo
    return fam, lo, (hi + 1.0 if hi is not None else None)


def size_label(params_b: Optional[float]) -> str:
    """'8B', '70B', '405B' (total parameters rounded)."""
    if params_b is None:
        return "API"
    return f"{params_b:.0f}B" if params_b >= 10 else f"{params_b:.1f}B".replace(".0B", "B")


def _payments_for_gpu(catalog: Catalog, gpu: str, payments: Sequence[str]) -> list[tuple[str, Optional[str], Optional[str]]]:
    """(payment, offer id, server id) ways to pay for a GPU."""
    out = []
    for oid, o in sorted(catalog.offers.items()):
        if o.gpu != gpu:
            continue
        for pricing in ("on_demand", "reserved", "spot"):
            if pricing in payments and o.price(pricing) is not None:
                out.append((pricing, oid, None))
    if "own" in payments:
        out += [("own", None, sid) for sid, s in sorted(catalog.servers.items()) if s.gpu == gpu]
    return out


def candidate_name(model: str, gpu: str, n: int, precision: str, payment: str, offer: Optional[str],
                   server: Optional[str]) -> str:
    how = f"own {server}" if payment == "own" else (f"rent {offer} {payment.replace('_', '-')}" if offer else "no offer")
    return f"{model} {n}x {gpu} {precision}, {how}"


def add_candidate_to_scenario(scenario: Scenario, c: Candidate) -> Scenario:
    """The scenario with the candidate appended as an option (name made unique)."""
    doc = scenario.to_dict()
    opt = candidate_option(c)
    names = {o["name"] for o in doc["options"]}
    base, k = opt["name"][:190], 2
    while opt["name"] in names:
        opt["name"] = f"{base} ({k})"
        k += 1
    doc["options"].append(opt)
    return parse_scenario(doc, "optimizer")


# ----------------------------------------------------------------------------------------------
# Capacities (vectorised estimator)


def estimated_capacities(catalog: Catalog, configs: Sequence[tuple[str, str, int, str]], isl: float, osl: float,
                         ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float],
                         points: int = 160) -> list[CapacityResult]:
    """:func:`tco.model.perf.estimated_capacity_at_slo` for many (model, gpu, gpus, precision) at once.

    Same method: the estimated max request throughput rps_max, a geometric grid of ``points`` rates
    from 0.1 % to 99.9 % of it, p95 = mean x TTFT_P95_OVER_MEAN (TTFT) or x TPOT_P95_OVER_MEAN
    (TPOT); the capacity is the highest grid rate meeting both limits. One estimator call covers
    every configuration and every rate.
    """
    n = len(configs)
    if n == 0:
        return []
    ms = [catalog.models[c[0]] for c in configs]
    gs = [catalog.gpus[c[1]] for c in configs]
    ca = perf.config_arrays(ms, gs, [c[2] for c in configs], [c[3] for c in configs], [isl], [osl])
    top = perf.estimate_arrays(ca)
    fits = np.asarray(top["fits"], dtype=bool)
    out: list[Optional[CapacityResult]] = [None] * n
    base_notes = ("estimated by the physics model (docs/estimator.md): no measured profile for this configuration",
                  f"p95 taken as mean x {perf.TTFT_P95_OVER_MEAN:g} (TTFT) and x {perf.TPOT_P95_OVER_MEAN:g} (TPOT)")
    for i in np.nonzero(~fits)[0]:
        m, g, k, p = configs[i]
        fit = perf.memory_fit(ms[i], gs[i], k, p, isl + osl)
        out[i] = CapacityResult(rps=None, source="estimated", notes=base_notes, reason=fit.reason or REASON_NO_FIT)
    idx = np.nonzero(fits)[0]
    if len(idx):
        k = len(idx)
        grid = top["request_throughput_rps"][idx][:, None] * np.geomspace(1e-3, 0.999, points)[None, :]  # [req/s]
        sub = perf.ConfigArrays(**{key: (v[idx] if isinstance(v, np.ndarray) else v) for key, v in ca.__dict__.items()})
        rows = np.arange(k)

        def p95_at(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            est = perf.estimate_arrays(sub, None, grid[rows, cols])
            ttft = est["ttft_ms"] * perf.TTFT_P95_OVER_MEAN  # [ms] p95
            tpot = est["tpot_ms"] * perf.TPOT_P95_OVER_MEAN
            ok = np.ones(k, dtype=bool)
            if ttft_p95_ms is not None:
                ok &= ttft <= ttft_p95_ms
            if tpot_p95_ms is not None:
                ok &= tpot <= tpot_p95_ms
            return ok, ttft, tpot

        # latencies rise with the offered rate, so the highest grid rate meeting the SLO is found by
        # bisection on the grid index (~log2(points) estimator calls instead of one per grid rate)
        lo, hi = np.full(k, -1), np.full(k, points)
        while np.any(hi - lo > 1):
            mid = (lo + hi) // 2
            ok, _, _ = p95_at(np.clip(mid, 0, points - 1))
            active = hi - lo > 1
            lo = np.where(active & ok, mid, lo)
            hi = np.where(active & ~ok, mid, hi)
        _, ttft, tpot = p95_at(np.maximum(lo, 0))
        for j, i in enumerate(idx):
            if lo[j] < 0:
                why = []
                if ttft_p95_ms is not None and ttft[j] > ttft_p95_ms:
                    why.append(f"TTFT p95 ~{ttft[j]:.0f} ms > {ttft_p95_ms:g} ms")
                if tpot_p95_ms is not None and tpot[j] > tpot_p95_ms:
                    why.append(f"TPOT p95 ~{tpot[j]:.1f} ms > {tpot_p95_ms:g} ms")
                out[i] = CapacityResult(rps=None, source="estimated", notes=base_notes,
                                        reason=("this configuration cannot meet the SLO even at light load (estimated: "
                                                + "; ".join(why) + ")"))
                continue
            rate = float(grid[j, lo[j]])
            out[i] = CapacityResult(rps=rate, source="estimated", notes=base_notes, output_tokens_per_s=rate * osl,
                                    ttft_ms=float(ttft[j]), tpot_ms=float(tpot[j]))
    return out  # type: ignore[return-value]


def capacities(catalog: Catalog, configs: Sequence[tuple[str, str, int, str]], isl: float, osl: float,
               ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float]) -> list[CapacityResult]:
    """Capacity at the SLO of each (model, gpu, gpus, precision): measured/adjusted from the nearest
    online profile (:func:`tco.model.capacity.capacity_at_slo`), else estimated (vectorised)."""
    out: list[Optional[CapacityResult]] = [None] * len(configs)
    est_idx = []
    for i, (m, g, k, p) in enumerate(configs):
        online, _ = candidate_profiles(catalog, m, g, k, p)
        if online:
            out[i] = capacity_at_slo(catalog, m, g, k, p, ttft_p95_ms, tpot_p95_ms, isl, osl)
        else:
            est_idx.append(i)
    for i, cap in zip(est_idx, estimated_capacities(catalog, [configs[i] for i in est_idx], isl, osl,
                                                    ttft_p95_ms, tpot_p95_ms)):
        out[i] = cap
    return out  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------
# Costing many options at once (the engine's resolver and kernels)


@dataclass
class SearchContext:
    """Scenario-wide inputs resolved once for a search: the load, the rates, the resolver (for provenance)."""

    scenario: Scenario
    catalog: Catalog
    resolver: Resolver
    load: Load
    rates: Rates

    @property
    def peak(self) -> np.ndarray:
        return self.load.peak_rps  # [req/s] per month


def search_context(scenario: Scenario, catalog: Catalog) -> SearchContext:
    """The load and rates of ``scenario`` resolved as evaluate() resolves them."""
    r = Resolver(scenario, catalog, "optimizer")
    return SearchContext(scenario, catalog, r, scenario_load(scenario), resolve_rates(r, needs_staff=True))


def cost_options(ctx: SearchContext, params: Sequence[ApiParams | SelfHostParams], quantities: bool = False
                 ) -> tuple[CoreOutput, Totals]:
    """Every line item and the totals of many resolved candidates at once (the engine's compute core)."""
    api_rows = [i for i, p in enumerate(params) if p.kind == "api"]
    sh_rows = [i for i, p in enumerate(params) if p.kind == "self_host"]
    core = compute_line_items(ctx.load, ctx.rates, ctx.scenario.months, [params[i] for i in api_rows],
                              [params[i] for i in sh_rows], api_rows, sh_rows, quantities=quantities, items=quantities)
    return core, summarise(core, ctx.load, ctx.rates.discount_rate)


# ----------------------------------------------------------------------------------------------
# The search


def _api_candidates(ctx: SearchContext, models: Sequence[str]) -> list[tuple[Candidate, Option]]:
    s, cat = ctx.scenario, ctx.catalog
    out: list[tuple[Candidate, Option]] = []
    seen_names = set()
    for o in s.options:  # the scenario's references, as written (inline prices kept)
        if o.kind == "api":
            entry = cat.apis.get(o.api) if o.api else None
            model = (entry.serves_model or entry.model_name) if entry is not None else None
            out.append((Candidate(name=o.name, kind="api", model=model, api=o.api or "inline",
                                  option=o.model_dump(mode="json", exclude_none=True)), o))
            seen_names.add(o.name)
    referenced = {o.api for o in s.options if o.kind == "api" and o.api}
    wanted = set(models)
    for aid, a in sorted(cat.apis.items()):
        if a.serves_model in wanted and aid not in referenced:
            name = aid if aid not in seen_names else f"{aid} (catalog)"
            params = cat.models[a.serves_model].total_params_b
            out.append((Candidate(name=name, kind="api", model=a.serves_model, api=aid, params_b=params),
                        Option(name=name, api=aid)))
    return out


def optimize(scenario: Scenario, catalog: Catalog, space: SearchSpace = SearchSpace(),
             progress: Optional[Callable[[float, str], None]] = None, mix_models: Optional[Sequence[str]] = None,
             routes: bool = False) -> OptimizerResult:
    """Search every candidate of ``space`` for ``scenario``; see the module docstring.

    ``progress(fraction, message)`` is called at each stage (the app draws a progress bar with it).
    ``mix_models``: models for the mixed-fleet program when ``workload.mix`` is given (default: the
    model of the cheapest feasible self-host candidate). ``routes``: also propose two-part cascades
    (a cheap candidate below the quality floor + an escalation candidate meeting it; tco.analysis.route_search).
    """
    t0 = time.perf_counter()

    def step(f: float, msg: str) -> None:
        if progress is not None:
            progress(f, msg)

    s, w, slo = scenario, scenario.workload, scenario.slo
    unknown = [g for g in (space.gpus or ()) if g not in catalog.gpus]
    if unknown:
        raise ScenarioError([Problem("optimizer", "gpus", None, f"unknown GPU id(s) {', '.join(unknown)}")])
    models = select_models(catalog, space)
    if space.models and not models:
        raise ScenarioError([Problem("optimizer", "models", None,
                                     f"no catalog model matches {', '.join(space.models)} (ids or families)")])
    gpus = sorted(space.gpus) if space.gpus else sorted(catalog.gpus)
    step(0.05, f"{len(models)} models x {len(gpus)} GPUs")
    ctx = search_context(s, catalog)

    # 1. configurations and their capacity at the SLO
    configs = [(m, g, n, p) for m in models for g in gpus for n in space.gpus_per_replica
               for p in space.precisions if catalog.gpus[g].supports(p)]
    step(0.15, f"capacity of {len(configs)} configurations at the SLO")
    caps = capacities(catalog, configs, w.input_tokens, w.output_tokens, slo.ttft_p95_ms, slo.tpot_p95_ms)
    step(0.6, "costing the feasible candidates")

    # 2. candidates: each configuration x each way to pay
    candidates: list[Candidate] = []
    feasible_rows: list[tuple[dict, SelfHostParams, float]] = []  # (Candidate fields, template, capacity [req/s])
    pay_cache: dict[str, list] = {}
    templates: dict[tuple, Any] = {}
    r = ctx.resolver
    excluded_spanning = excluded_suspect = 0
    for (m, g, n, p), cap in zip(configs, caps):
        if g not in pay_cache:
            pay_cache[g] = _payments_for_gpu(catalog, g, space.payments)
        pays = pay_cache[g]
        params_b = catalog.models[m].total_params_b
        base = dict(kind="self_host", model=m, gpu=g, gpus_per_replica=n, precision=p, params_b=params_b,
                    capacity_source=cap.source, capacity_rps=cap.rps, tpot_ms=cap.tpot_ms, ttft_ms=cap.ttft_ms,
                    notes=tuple(cap.notes))
        if not pays:
            reason = cap.reason if not cap.feasible else None
            candidates.append(Candidate(name=candidate_name(m, g, n, p, "none", None, None), payment="none",
                                        feasible=False, reason=_reason(reason) if reason else REASON_NO_OFFER,
                                        **base))
            continue
        for payment, offer, server in pays:
            unit = catalog.offers[offer].gpus_per_instance if offer else catalog.servers[server].gpus_per_server
            if replica_fits_unit(n, unit, "instance" if offer else "server") is not None:
                excluded_spanning += 1  # tensor parallelism across separate instances/servers is not offered
                continue
            suspect = suspect_reason(catalog.offers[offer] if offer else catalog.servers[server], payment if offer else None)
            if suspect and not space.allow_suspect:
                excluded_suspect += 1
                continue
            fields_ = dict(name=candidate_name(m, g, n, p, payment, offer, server), payment=payment, offer=offer,
                           server=server, suspect=suspect, caveats=_caveats(payment, suspect), **base)
            if not cap.feasible:
                candidates.append(Candidate(feasible=False, reason=_reason(cap.reason), **fields_))
                continue
            t = candidate_template(ctx, templates, Candidate(**fields_)) if (g, payment, offer, server) not in templates \
                else templates[(g, payment, offer, server)]
            if isinstance(t, str):
                candidates.append(Candidate(feasible=False, reason=t, **fields_))
                continue
            feasible_rows.append((fields_, t, cap.rps))

    if feasible_rows:
        core, tot = cost_self_host_candidates(ctx, [t for _, t, _ in feasible_rows],
                                              np.array([c for _, _, c in feasible_rows], dtype=float),
                                              np.array([f["gpus_per_replica"] for f, _, _ in feasible_rows], dtype=float))
        k = core.kernel
        max_rep, max_gpu = k["replicas"].max(axis=-1), k["gpus"].max(axis=-1)
        for j, (f, t, _) in enumerate(feasible_rows):
            f["notes"] = f["notes"] + t.notes
            candidates.append(Candidate(
                total_cash_usd=float(tot.cash_usd[j]), total_accrual_usd=float(tot.accrual_usd[j]),
                npv_usd=float(tot.npv_usd[j]), usd_per_million_tokens=float(tot.usd_per_million_tokens[j]),
                max_replicas=float(max_rep[j]), max_gpus=float(max_gpu[j]), gpus_m=k["gpus"][j], cash_m=core.cash[j],
                **f))

    # 3. APIs
    if space.include_apis:
        apis = _api_candidates(ctx, models)
        rows = []
        for c, o in apis:
            suspect = suspect_reason(catalog.apis.get(c.api)) if c.api and c.api != "inline" else None
            if suspect and not space.allow_suspect and c.option is None:  # the scenario's own options stay
                excluded_suspect += 1
                continue
            c = replace(c, suspect=suspect, caveats=_caveats("api", suspect))
            slo_check = api_option_slo(s, catalog, c.api if c.api != "inline" else None)  # the SLO binds APIs too
            if slo_check.status == "missed":
                candidates.append(replace(c, feasible=False, reason=f"{REASON_SLO}: {slo_check.reason}"))
                continue
            if slo_check.status == "unknown":
                c = replace(c, caveats=c.caveats + (f"SLO {slo_check.reason}",))
            before = len(r.problems)
            p = resolve_api_option(r, 0, o)
            if p is None or len(r.problems) > before:
                del r.problems[before:]
                candidates.append(replace(c, feasible=False, reason="unknown API offer"))
                continue
            rows.append((c, p))
        if rows:
            core, tot = cost_options(ctx, [p for _, p in rows])
            for j, (c, p) in enumerate(rows):
                candidates.append(replace(c, total_cash_usd=float(tot.cash_usd[j]), total_accrual_usd=float(tot.accrual_usd[j]),
                                          npv_usd=float(tot.npv_usd[j]), usd_per_million_tokens=float(tot.usd_per_million_tokens[j]),
                                          cash_m=core.cash[j], notes=p.notes))

    before_floor = list(candidates)
    # 4. quality floor (tco.model.quality); the default floor when the scenario sets none
    floor_reason = ""
    s_floor = s
    if getattr(s, "quality_floor", None) is None and space.default_quality_floor:
        if DEFAULT_QUALITY_FLOOR["at_least_as_good_as"] in catalog.apis:
            s_floor = s.model_copy(update={"quality_floor": QualityFloor(**DEFAULT_QUALITY_FLOOR)})
            floor_reason = DEFAULT_QUALITY_FLOOR_REASON
        else:
            floor_reason = (f"default quality floor not applied: the API catalog has no "
                            f"{DEFAULT_QUALITY_FLOOR['at_least_as_good_as']}")
    candidates, excluded, qnote = _apply_quality_floor(s_floor, catalog, candidates)
    candidates.sort(key=lambda c: c.sort_key)

    # 5. mixed fleet
    mix, mix_note = None, ""
    if w.mix:
        step(0.8, "mixed fleet: integer program per month")
        pool = [c for c in candidates if c.feasible and c.kind == "self_host"]
        targets = list(mix_models) if mix_models else ([pool[0].model] if pool else [])
        results = [x for x in (solve_mix(s, catalog, m, [c for c in pool if c.model == m], ctx) for m in targets) if x]
        if results:
            mix = min(results, key=lambda x: x.total_usd)
        else:
            mix_note = "no feasible self-host configuration for the mixed fleet"
    proposals, routes_note = ((), "")
    if routes:

        step(0.9, "two-part routes")
        proposals, routes_note = propose_routes(s, catalog, before_floor)
    step(1.0, "done")
    return OptimizerResult(candidates=candidates, seconds=time.perf_counter() - t0, tpot_slo_ms=slo.tpot_p95_ms,
                           ttft_slo_ms=slo.ttft_p95_ms, excluded_by_quality=excluded, quality_note=qnote, mix=mix,
                           mix_note=mix_note, routes=tuple(proposals), routes_note=routes_note,
                           excluded_suspect=excluded_suspect, excluded_spanning=excluded_spanning,
                           allow_suspect=space.allow_suspect, quality_floor_reason=floor_reason)


def candidate_template(ctx: SearchContext, templates: dict, c: Candidate) -> SelfHostParams | str:
    """The resolved record shared by every candidate with ``c``'s GPU and way to pay (or the reason it cannot be
    resolved), cached in ``templates`` under (gpu, payment, offer, server). The engine's resolver runs once
    per key, with a placeholder capacity; :func:`candidate_params` sets the configuration's own fields."""
    key = (c.gpu, c.payment, c.offer, c.server)
    if key not in templates:
        r = ctx.resolver
        opt = candidate_option(c)
        opt["self_host"]["capacity_rps_per_replica"] = 1.0
        before, used = len(r.problems), len(r.used)
        params = resolve_self_host_option(r, 0, Option.model_validate(opt))
        del r.used[used:]  # provenance of a template is not the scenario's
        if params is None or isinstance(params, Unservable) or len(r.problems) > before:
            why = "; ".join(str(x.message) for x in r.problems[before:]) or "could not be resolved"
            del r.problems[before:]
            templates[key] = why
        else:
            templates[key] = params
    return templates[key]


def candidate_params(ctx: SearchContext, templates: dict, c: Candidate, capacity_rps: float) -> SelfHostParams | str:
    """The resolved record of a self-host candidate (or the reason it cannot be resolved): its template
    (:func:`candidate_template`) with the configuration's GPUs per replica, model and capacity (spot:
    capacity x (1 - interruption overhead)), set the way :func:`tco.engine.resolve_self_host_option` sets them.
    """
    t = candidate_template(ctx, templates, c)
    if isinstance(t, str):
        return t
    cap = CapacityResult(rps=capacity_rps, source=c.capacity_source or "estimated")
    return replace(t, gpus_per_replica=float(c.gpus_per_replica), ref_id=c.model, capacity=cap,
                   capacity_rps=capacity_rps * (1.0 - t.interruption_overhead))


def _caveats(payment: str, suspect: Optional[str]) -> tuple[str, ...]:
    """Caveats shown with a candidate: spot interruptions; a price resting on a suspect entry."""
    out = []
    if payment == "spot":
        out.append(SPOT_CAVEAT)
    if suspect:
        out.append(f"suspect price: {suspect} (kept because --allow-suspect was given)")
    return tuple(out)


def cost_self_host_candidates(ctx: SearchContext, templates: Sequence[SelfHostParams], capacity_rps: np.ndarray,
                              gpus_per_replica: np.ndarray) -> tuple[CoreOutput, Totals]:
    """The compute core for many self-host candidates given as (template, capacity [req/s] before the spot
    overhead, GPUs per replica): the unique templates are stacked once and the two per-configuration
    columns set, exactly as :func:`candidate_params` + :func:`cost_options` would (without a record each)."""
    uniq: dict[int, int] = {}
    recs: list[SelfHostParams] = []
    for t in templates:
        if id(t) not in uniq:
            uniq[id(t)] = len(recs)
            recs.append(t)
    idx = np.fromiter((uniq[id(t)] for t in templates), dtype=int, count=len(templates))
    stacked = {key: v[idx] for key, v in stack_self_host(recs).items()}
    overhead = np.array([t.interruption_overhead for t in recs], dtype=float)[idx]
    stacked["capacity_rps"] = (np.asarray(capacity_rps, dtype=float) * (1.0 - overhead))[:, None]
    stacked["gpus_per_replica"] = np.asarray(gpus_per_replica, dtype=float)[:, None]
    core = compute_line_items(ctx.load, ctx.rates, ctx.scenario.months, (), list(templates), self_host_stack=stacked,
                              quantities=False, items=False)
    return core, summarise(core, ctx.load, ctx.rates.discount_rate)


def _reason(text: Optional[str]) -> str:
    """A capacity reason prefixed with its category (does not fit / cannot meet the SLO)."""
    text = text or "capacity could not be derived"
    low = text.lower()
    if low.startswith(REASON_NO_FIT) or low.startswith(REASON_SLO):
        return text
    if "does not fit" in low:
        return f"{REASON_NO_FIT}: {text}"
    if "cannot meet the slo" in low:
        return f"{REASON_SLO}: {text.split('cannot meet the SLO', 1)[-1].lstrip(': ')}".rstrip(": ")
    return text


def _apply_quality_floor(scenario: Scenario, catalog: Catalog, candidates: list[Candidate]
                         ) -> tuple[list[Candidate], int, str]:
    """Drop candidates below the scenario's ``quality_floor`` (:mod:`tco.model.quality`).

    Candidates with no comparable quality figure are kept (never treated as zero) and counted in the note.
    """
    floor = getattr(scenario, "quality_floor", None)
    if floor is None:
        return candidates, 0, ""
    try:
        qual = q.load_quality(catalog, catalog.data_dir or None)
    except TcoError as exc:
        return candidates, 0, f"quality floor not applied: {exc}"
    res = q.apply_floor(candidates, floor, catalog, qual, "optimizer")
    below = {id(c) for c in res.below}
    keep = [c for c in candidates if id(c) not in below]
    note = res.summary()
    if res.unknown:
        note += f" The {len(res.unknown)} candidate(s) with no comparable figure are kept, not ranked on quality."
    return keep, len(below), note


# ----------------------------------------------------------------------------------------------
# Results


def cheapest_per_size(result: OptimizerResult) -> list[Candidate]:
    """The cheapest feasible candidate for each model size (self-host and API offers of that model)."""
    best: dict[str, Candidate] = {}
    for c in result.feasible:
        if c.params_b is None:
            continue
        key = size_label(c.params_b)
        if key not in best or c.sort_key < best[key].sort_key:
            best[key] = c
    return sorted(best.values(), key=lambda c: (c.params_b or 0.0, c.sort_key))


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points not dominated in (x, y), both minimised, sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    out, best_y = [], math.inf
    for i in order:
        if points[i][1] < best_y:
            out.append(i)
            best_y = points[i][1]
    return out


def to_json(result: OptimizerResult, top: Optional[int] = None) -> dict:
    """The CLI's JSON: ``{"candidates": [...], "searched", "feasible", "seconds", ...}``."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    doc: dict[str, Any] = {
        "candidates": [{k: clean(v) for k, v in c.row().items()} for c in result.top(top)],
        "searched": len(result.candidates) + result.excluded_by_quality + result.excluded_suspect + result.excluded_spanning,
        "feasible": len(result.feasible),
        "excluded_by_quality_floor": result.excluded_by_quality,
        "quality_floor": result.quality_note,
        "quality_floor_reason": result.quality_floor_reason,
        "excluded_suspect": result.excluded_suspect,
        "excluded_spanning_instances": result.excluded_spanning,
        "allow_suspect": result.allow_suspect,
        "seconds": round(result.seconds, 3),
        "slo": {"ttft_p95_ms": result.ttft_slo_ms, "tpot_p95_ms": result.tpot_slo_ms},
    }
    if result.mix is not None:
        mx = result.mix
        doc["mix"] = {"model": mx.model, "total_usd": mx.total_usd, "best_single": mx.best_single,
                      "best_single_total_usd": mx.best_single_total_usd, "saving_usd": mx.saving_usd,
                      "allocation": [a.__dict__ for a in mx.allocation], "note": mx.note}
    if result.routes or result.routes_note:
        doc["routes"] = [{k: clean(v) for k, v in p.row().items()} for p in result.routes[:top or None]]
        doc["routes_note"] = result.routes_note
    return doc


def to_table(result: OptimizerResult, top: Optional[int] = 20) -> str:
    lines = [f"{len(result.candidates)} candidates, {len(result.feasible)} feasible, searched in {result.seconds:.2f} s"
             + (f"; {result.quality_note}" if result.quality_note else "")]
    if result.quality_floor_reason:
        lines.append(result.quality_floor_reason)
    if result.excluded_suspect:
        lines.append(f"{result.excluded_suspect} candidate(s) resting on a SUSPECT or low-confidence catalog price left out "
                     "(--allow-suspect keeps them, flagged)")
    elif result.allow_suspect:
        lines.append("--allow-suspect: candidates resting on a suspect or low-confidence price are kept and flagged")
    if result.excluded_spanning:
        lines.append(f"{result.excluded_spanning} candidate(s) not offered: a replica's GPUs must sit in one instance or server")
    header = f"{'#':>3} {'candidate':<62} {'source':<9} {'total cash':>12} {'NPV':>12} {'$/1M':>8} {'TPOT ms':>7}"
    lines += [header, "-" * len(header)]
    for i, c in enumerate(result.top(top), 1):
        if c.feasible:
            tp = f"{c.tpot_ms:7.1f}" if c.tpot_ms is not None else f"{'-':>7}"
            lines.append(f"{i:>3} {c.name[:62]:<62} {(c.capacity_source or 'api'):<9} {c.total_cash_usd:>12,.0f} "
                         f"{c.npv_usd:>12,.0f} {c.usd_per_million_tokens:>8.3f} {tp}")
            lines += [f"{'':>3} ! {cv}" for cv in c.caveats]
        else:
            lines.append(f"{i:>3} {c.name[:62]:<62} infeasible: {c.reason}")
    if result.mix is not None:
        mx = result.mix
        lines += ["", f"Mixed fleet ({mx.model}): {mx.total_usd:,.0f} USD vs best single configuration "
                  f"{mx.best_single} {mx.best_single_total_usd:,.0f} USD (saving {mx.saving_usd:,.0f} USD)"]
        lines += [f"  bucket {a.bucket}: {a.replicas} x {a.candidate}" for a in mx.allocation]
    if result.routes or result.routes_note:
        lines += ["", f"Routes: {result.routes_note}"]
        for i, p in enumerate(result.routes[:top or None], 1):
            saving = f"saves {p.saving_usd:,.0f}" if p.saving_usd is not None and p.saving_usd > 0 else "no saving"
            lines.append(f"{i:>3} {p.first[:40]} + {p.escalate_share:.0%} -> {p.escalate[:40]}: "
                         f"{p.total_cash_usd:,.0f} USD, Elo ~{p.elo:.0f} ({saving} vs the cheapest single meeting the floor)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Mixed fleets


def unit_costs(ctx: SearchContext, params: SelfHostParams) -> tuple[np.ndarray, float, float]:
    """(monthly cost of one unit [USD per month], GPUs per unit, staff cost per month [USD]) for the mixed fleet.

    Rent: one instance (or one GPU for per-GPU prices) for H = 730 h at the trended price
    (:func:`tco.model.costs.rent_cost_per_instance` / :func:`tco.model.costs.rent_cost_per_gpu`). Own: one server's
    accrual: :func:`tco.model.costs.depreciation` over round(12 x depreciation_years) months +
    :func:`tco.model.costs.power_cost` + :func:`tco.model.costs.colo_cost` + :func:`tco.model.costs.maintenance_cost`.
    Staff: :func:`tco.model.costs.staff_cost` (docs/methodology.md).
    """
    M = ctx.scenario.months
    p = params
    staff = float(costs.staff_cost(p.staff_fte, ctx.rates.fte_cost_per_year, 1)[0])
    if p.payment == "rent":
        rent_f = price_trend_factor(M, ctx.rates.rent_price_change_per_year)
        if p.rent_mode == "gpu":
            return costs.rent_cost_per_gpu(1.0, p.usd_per_gpu_hour * rent_f), 1.0, staff
        gpi = float(p.gpus_per_instance)
        return costs.rent_cost_per_instance(gpi, gpi, p.usd_per_instance_hour * rent_f), gpi, staff
    power_f = price_trend_factor(M, ctx.rates.electricity_price_change_per_year)
    per = (costs.depreciation(1.0, p.server_price_usd, p.life_months)
           + costs.power_cost(1.0, p.server_power_kw, p.power_load_factor, p.pue, p.usd_per_kwh * power_f)
           + costs.colo_cost(1.0, p.server_power_kw, p.colo_usd_per_kw_month)
           + costs.maintenance_cost(1.0, p.server_price_usd, p.maintenance_share_per_year))
    return np.broadcast_to(per, (M,)).astype(float), float(p.gpus_per_server), staff


def solve_mix(scenario: Scenario, catalog: Catalog, model: str, pool: Sequence[Candidate],
              ctx: Optional[SearchContext] = None, keep_per_bucket: int = 8) -> Optional[MixResult]:
    """Cheapest fleet where each request-size bucket of ``workload.mix`` may run on its own configuration.

    For each month m, with peak_b = peak_m x share_b [req/s] and configurations c (GPU, GPUs per
    replica, precision, way to pay) of ``model``:

        minimise    sum_c unit_cost_c,m x u_c + staff_c x z_c
        subject to  sum_c cap_bc x util_c x x_bc >= peak_b                      (each bucket served)
                    gpus_c x (sum_b x_bc + spare_c x z_c) <= gpus_per_unit_c x u_c   (units: instances/servers)
                    x_bc <= ceil(peak_b / (cap_bc x util_c)) x z_c               (config used)
                    x_bc, u_c integer >= 0, z_c in {0, 1}

    cap_bc [req/s] is the configuration's capacity at the SLO for the bucket's ISL/OSL (spot: x (1 -
    interruption overhead)). The best single configuration serves every bucket alone:
    u_c = ceil(gpus_c x (sum_b ceil(peak_b / (cap_bc util_c)) + spare_c) / gpus_per_unit_c).
    Returns None when no configuration can serve every bucket.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    mix = scenario.workload.mix
    if not mix or not pool:
        return None
    ctx = ctx or search_context(scenario, catalog)
    slo = scenario.slo
    configs = sorted({(c.model, c.gpu, int(c.gpus_per_replica), c.precision) for c in pool})
    cap_b = np.zeros((len(mix), len(configs)))  # [req/s]
    for b, bucket in enumerate(mix):
        for j, cap in enumerate(capacities(catalog, configs, bucket.input_tokens, bucket.output_tokens,
                                           slo.ttft_p95_ms, slo.tpot_p95_ms)):
            cap_b[b, j] = cap.rps if cap.feasible else 0.0
    cfg_index = {cfg: j for j, cfg in enumerate(configs)}
    templates: dict[tuple, Any] = {}
    rows = []  # (candidate, params, capacity per bucket, unit cost per month, gpus per unit, staff per month)
    for c in pool:
        p = candidate_params(ctx, templates, c, 1.0)  # capacities are per bucket here
        if isinstance(p, str):
            continue
        caps = cap_b[:, cfg_index[(c.model, c.gpu, int(c.gpus_per_replica), c.precision)]] * (1.0 - p.interruption_overhead)
        unit, gpu_per_unit, staff = unit_costs(ctx, p)
        rows.append((c, p, caps, unit, gpu_per_unit, staff))
    if not rows:
        return None
    shares = np.array([bk.share for bk in mix])
    peaks = ctx.peak[:, None] * shares[None, :]  # (M, B) [req/s]
    M, B = peaks.shape

    # single configurations (closed form), every month
    single_tot = []
    for c, p, caps, unit, gpu_per_unit, staff in rows:
        if np.any(caps <= 0):
            single_tot.append(math.inf)
            continue
        reps = np.maximum(1.0, np.ceil(peaks / (caps * p.target_utilization) - 1e-9)).sum(axis=1)  # (M,)
        units = np.ceil(p.gpus_per_replica * (reps + p.spare_replicas) / gpu_per_unit - 1e-9)
        single_tot.append(float(np.sum(units * unit + staff)))
    best_single = int(np.argmin(single_tot))
    if not math.isfinite(single_tot[best_single]):
        best_single = -1

    # prune: per bucket the cheapest configurations per req/s
    keep: set[int] = set()
    for b in range(B):
        cost_per_rps = [(rw[3].mean() / rw[4] * rw[1].gpus_per_replica / (rw[2][b] * rw[1].target_utilization)
                         if rw[2][b] > 0 else math.inf) for rw in rows]
        keep.update(i for i in np.argsort(cost_per_rps)[:keep_per_bucket] if math.isfinite(cost_per_rps[i]))
    if best_single >= 0:
        keep.add(best_single)
    sel = [rows[i] for i in sorted(keep)]
    C = len(sel)
    nx = B * C  # x_bc at b * C + c, then u_c, then z_c
    integrality = np.ones(nx + 2 * C)
    monthly = np.zeros(M)
    allocation: tuple[MixAllocation, ...] = ()
    peak_month = int(np.argmax(peaks.sum(axis=1)))
    solved: dict[tuple, tuple[float, np.ndarray]] = {}
    for m in range(M):
        key = tuple(np.round(peaks[m], 9)) + tuple(float(rw[3][m]) for rw in sel)
        if key not in solved:
            cost = np.concatenate([np.zeros(nx), [rw[3][m] for rw in sel], [rw[5] for rw in sel]])
            A, lo, hi = [], [], []
            ub = np.zeros(nx + 2 * C)
            for b in range(B):
                row = np.zeros(nx + 2 * C)
                for j, rw in enumerate(sel):
                    eff = rw[2][b] * rw[1].target_utilization
                    row[b * C + j] = eff
                    ub[b * C + j] = math.ceil(peaks[m, b] / eff - 1e-9) if eff > 0 else 0.0
                A.append(row), lo.append(max(peaks[m, b], 1e-12)), hi.append(np.inf)
            for j, rw in enumerate(sel):
                row = np.zeros(nx + 2 * C)
                for b in range(B):
                    row[b * C + j] = rw[1].gpus_per_replica
                row[nx + C + j] = rw[1].gpus_per_replica * rw[1].spare_replicas
                row[nx + j] = -rw[4]
                A.append(row), lo.append(-np.inf), hi.append(0.0)
                for b in range(B):
                    row = np.zeros(nx + 2 * C)
                    row[b * C + j] = 1.0
                    row[nx + C + j] = -max(ub[b * C + j], 1.0)
                    A.append(row), lo.append(-np.inf), hi.append(0.0)
            ub[nx:nx + C] = np.inf
            ub[nx + C:] = 1.0
            res = milp(cost, constraints=LinearConstraint(np.array(A), lo, hi), integrality=integrality,
                       bounds=Bounds(np.zeros(nx + 2 * C), ub))
            if not res.success:
                return None
            solved[key] = (float(res.fun), np.round(res.x).astype(int))
        monthly[m], x = solved[key]
        if m == peak_month:
            allocation = tuple(MixAllocation(b, sel[j][0].name, int(x[b * C + j]))
                               for b in range(B) for j in range(C) if x[b * C + j] > 0)
    total = float(monthly.sum())
    single_name = rows[best_single][0].name if best_single >= 0 else None
    single_usd = single_tot[best_single] if best_single >= 0 else None
    return MixResult(model=model, total_usd=total, best_single=single_name, best_single_total_usd=single_usd,
                     saving_usd=None if single_usd is None else single_usd - total, allocation=allocation,
                     monthly_usd=monthly, configs_considered=C)


__all__ = ["SearchSpace", "Candidate", "OptimizerResult", "MixResult", "MixAllocation", "optimize", "solve_mix",
           "candidate_option", "add_candidate_to_scenario", "cheapest_per_size", "pareto_front", "to_json",
           "to_table", "capacities", "estimated_capacities", "select_models", "parse_size_filter", "size_label",
           "CANDIDATE_COLUMNS", "REASON_NO_FIT", "REASON_SLO", "REASON_NO_OFFER"]
