"""What an answer needs beyond the line items: SLO status per option, the reference option,
GPUs billed next to GPUs used, and unit costs people compare. docs/methodology.md states every rule.

Pure functions on arrays, catalog entries and resolved parameters; :func:`tco.engine.evaluate` calls
them once per scenario. This module does not import the engine (no cycle).

Units: money [USD], GPUs [count per month], rates [req/s], tokens [tokens].
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from tco.catalog import Catalog
from tco.model import quality as q
from tco.core.constants import HOURS_PER_MONTH
from tco.core.exceptions import Problem, ScenarioError
from tco.model import costs, finance
from tco.model.slo import SloCheck, api_slo_check, hybrid_slo_check, self_host_slo_check

SECONDS_PER_HOUR = 3600.0

#: assumption ids of the median -> p95 ratios used for API latencies (tco/model/slo.py)
API_RATIO_KEYS = ("api_ttft_p95_over_median", "api_tpot_p95_over_median")


def api_option_slo(scenario, catalog: Catalog, api_id: Optional[str]) -> SloCheck:
    """SLO status of an API option: its catalog offer's latency figures against the scenario's SLO.

    Inline prices without an offer id have no figure: ``unknown`` ("latency not checked").
    """
    slo = scenario.slo
    entry = catalog.apis.get(api_id) if api_id else None
    missing = [k for k in API_RATIO_KEYS if k not in catalog.assumptions]
    if missing and (slo.ttft_p95_ms is not None or slo.tpot_p95_ms is not None) and entry is not None \
            and entry.latency is not None:
        return SloCheck("unknown", f"latency not checked: the assumptions catalog has no {', '.join(missing)}")
    ratios = [float(catalog.assumptions[k].value) if k in catalog.assumptions else 1.0 for k in API_RATIO_KEYS]
    return api_slo_check(slo.ttft_p95_ms, slo.tpot_p95_ms, entry.latency if entry is not None else None, *ratios)


def self_host_option_slo(scenario, capacity) -> SloCheck:
    """SLO status of a self-host option from its capacity at the SLO (:func:`tco.model.slo.self_host_slo_check`)."""
    return self_host_slo_check(scenario.slo.ttft_p95_ms, scenario.slo.tpot_p95_ms, capacity)


def option_slo(scenario, catalog: Catalog, option) -> SloCheck:
    """SLO status of an evaluated option (an :class:`tco.engine.OptionResult`): an API option's catalog latency,
    a self-host option's capacity at the SLO, and for a hybrid one also its overflow API's latency, weighed by
    the requests it overflows (:func:`tco.model.slo.hybrid_slo_check`)."""
    if option.kind == "api":
        return api_option_slo(scenario, catalog, option.ref_id if option.ref_id and option.ref_id != "inline" else None)
    fleet = self_host_option_slo(scenario, option.capacity)
    overflow = getattr(option.params, "overflow", None)
    if overflow is None:
        return fleet
    api_id = overflow.ref_id if overflow.ref_id and overflow.ref_id != "inline" else None
    sent = option.extra_monthly.get("overflow_requests")
    total = float(np.sum(option.requests))
    share = float(np.sum(sent)) / total if sent is not None and total > 0 else 0.0
    return hybrid_slo_check(fleet, api_option_slo(scenario, catalog, api_id), share, api_id or "(inline prices)")


def quality_eligible(scenario, catalog: Catalog, kinds: list[str], ref_ids: list[str]) -> tuple[list[bool], str]:
    """Whether each option meets the scenario's ``quality_floor`` (all True when there is none).

    An option with no comparable quality figure does not count as meeting the floor (it is not known).
    Returns (flags, note); the note says when the floor could not be applied.
    """
    floor = scenario.quality_floor
    if floor is None:
        return [True] * len(kinds), ""

    try:
        qual = q.load_quality(catalog, catalog.data_dir or None)
        spec = q.resolve_floor(floor, catalog, qual)
    except Exception as exc:  # noqa: BLE001 - a floor that cannot be applied is reported, not fatal
        return [True] * len(kinds), f"quality floor not applied: {exc}"
    out = []
    for kind, ref in zip(kinds, ref_ids):
        subject, _ = q.subject_for(kind, ref, catalog, qual)
        e = qual.elo(subject)
        out.append(q.floor_status(e.score if e is not None else None, spec.elo if spec else None) in ("meets", "no floor"))
    return out, ""


def _field(params: Any, key: str, default: Any = None) -> Any:
    """A resolved parameter from a typed record (tco.model.records) or a plain dict."""
    if isinstance(params, dict):
        return params.get(key, default)
    return getattr(params, key, default)


def gpus_billed(gpus_m, params: Any) -> np.ndarray:
    """GPUs billed per month [count]: what the invoice counts, next to the GPUs the replicas use.

    rent per instance: ceil((gpus - reserved) / gpus_per_instance) x gpus_per_instance + reserved;
    rent per GPU: gpus (reserved GPUs are billed even when idle: max(gpus, reserved));
    own: servers held x gpus_per_server (:func:`tco.model.costs.owned_fleet`: the fleet never shrinks).
    """
    gpus = np.asarray(gpus_m, dtype=float)
    reserved = float(_field(params, "reserved_gpus", 0.0) or 0.0)
    if _field(params, "payment") == "own":
        gps = float(_field(params, "gpus_per_server"))
        return costs.owned_fleet(costs.servers_needed(gpus, gps)) * gps
    if _field(params, "payment") == "rent":
        on_demand = costs.on_demand_gpus(gpus, reserved)
        if _field(params, "rent_mode") == "gpu":
            return on_demand + reserved
        gpi = float(_field(params, "gpus_per_instance"))
        return costs.instances_needed(on_demand, gpi) * gpi + reserved
    return gpus


def capacity_tokens_per_month(gpus_billed_m, gpus_per_replica, capacity_rps_per_replica,
                              tokens_per_request) -> np.ndarray:
    """Tokens the billed fleet can serve in a month at its SLO capacity [tokens per month].

    = floor(gpus_billed / gpus_per_replica) x capacity_rps_per_replica [req/s] x 3600 x 730 [s]
      x tokens_per_request (input + output) [tokens]
    """
    replicas = np.floor(np.asarray(gpus_billed_m, dtype=float) / float(gpus_per_replica) + 1e-9)
    return replicas * float(capacity_rps_per_replica) * SECONDS_PER_HOUR * HOURS_PER_MONTH * float(tokens_per_request)


def _api_bill(prices: Any, input_tokens, output_tokens, workload, with_output: bool = True) -> float:
    """Untrended API bill [USD] over the horizon (:func:`tco.model.costs.api_cost`), optionally input tokens only."""
    p, w = prices, workload
    out, bout = (p.output, p.batch_output) if with_output else (0.0, 0.0)
    return float(np.sum(costs.api_cost(input_tokens, output_tokens, p.input, out, p.cached_input, p.batch_input, bout,
                                       w.cached_input_share, w.batch_share, p.cache_write,
                                       getattr(w, "cache_write_share", 0.0))))


def api_input_share_of_cost(prices: Any, input_tokens, output_tokens, workload) -> float:
    """Share of an API bill paid for input tokens [0-1] (input, cached, cache-write and batch input prices
    with the workload's shares). ``prices``: a :class:`tco.model.records.ApiPrices` [USD / 1M tokens]. A price
    trend scales every price alike, so the share is computed on today's prices.
    """
    total = _api_bill(prices, input_tokens, output_tokens, workload)
    if total <= 0:
        return float("nan")
    return _api_bill(prices, input_tokens, output_tokens, workload, with_output=False) / total


def api_cached_input_usd_per_million(prices: Any, input_tokens, output_tokens, workload, api_bill_usd: float) -> float:
    """What a cached input token costs [USD / 1M tokens], price trends included; NaN without cached reads.

    = cached_input price x (API bill with trends / API bill at today's prices) (the horizon's mean trend
    factor, weighted by the bill).
    """
    w = workload
    if w.cached_input_share <= 0 or w.batch_share >= 1:
        return float("nan")
    today = _api_bill(prices, input_tokens, output_tokens, w)
    return float(prices.cached_input) * (api_bill_usd / today) if today > 0 else float("nan")


def unit_costs(kind: str, total_accrual_usd: float, accrual_m, input_tokens_total: float, output_tokens_total: float,
               input_share: float, billed_m=None, gpus_per_replica: Optional[float] = None,
               capacity_rps: Optional[float] = None, tokens_per_request: float = 0.0,
               usd_per_million_tokens: float = float("nan")) -> dict[str, Optional[float]]:
    """``usd_per_million_input_tokens``, ``usd_per_million_output_tokens``, ``usd_per_million_tokens_at_capacity``.

    Input/output: :func:`tco.model.finance.usd_per_million_by_token_type` with the option's input share of cost
    (API: its bill; self-host: prefill share of GPU time). At capacity: API = its unit cost at the
    scenario's load (prices per token do not depend on the load); self-host = sum of monthly accrual /
    sum of monthly tokens the billed fleet can serve (:func:`capacity_tokens_per_month`).
    """
    p_in, p_out = finance.usd_per_million_by_token_type(total_accrual_usd, input_share, input_tokens_total,
                                                        output_tokens_total)
    if kind == "api":
        at_cap = usd_per_million_tokens
    elif billed_m is None or not gpus_per_replica or not capacity_rps:
        at_cap = float("nan")
    else:
        cap = capacity_tokens_per_month(billed_m, gpus_per_replica, capacity_rps, tokens_per_request)
        at_cap = float(finance.usd_per_million_tokens_at_capacity(float(np.sum(accrual_m)), float(np.sum(cap))))

    def num(x) -> Optional[float]:
        v = float(x)
        return None if not np.isfinite(v) else v

    return {"usd_per_million_input_tokens": num(p_in), "usd_per_million_output_tokens": num(p_out),
            "usd_per_million_tokens_at_capacity": num(at_cap)}


# ----------------------------------------------------------------------------------------------
# The finishing step of evaluate(): SLO for every option, the reference, break-even, billed GPUs, unit costs


def finish(result, catalog: Catalog, skip_infeasible: bool = False, file: str = "scenario"):
    """The engine's Result completed with the answers beyond the line items (a new Result; ``result`` is not changed).

    1. SLO status of every option (:func:`option_slo`; a hybrid option's overflow API counts). An option known
       to miss the SLO (an API's figures, a hybrid's overflow API) is infeasible like a self-host option: listed in ``skipped`` with the reason when ``skip_infeasible``,
       else a :class:`ScenarioError` naming the option.
    2. The reference (:func:`tco.model.finance.reference_choice`): the scenario's ``reference``, else the
       cheapest API option over the horizon that meets the SLO (status ``met``) and the quality floor.
    3. ``break_even_month`` of every option other than the reference against it, and the break-even
       matrix of every option against every other (:func:`tco.model.finance.break_even_matrix`), on cash.
    4. GPUs billed per month next to GPUs used (:func:`gpus_billed`) and the unit costs of
       :func:`unit_costs`.
    """
    from dataclasses import replace


    s = result.scenario
    w = s.workload
    checks = {o.name: option_slo(s, catalog, o) for o in result.options}
    missed = [o for o in result.options if not checks[o.name].feasible]
    skipped = list(result.skipped)
    if missed:
        if not skip_infeasible:
            index = {opt.name: i for i, opt in enumerate(s.options)}
            raise ScenarioError([Problem(file, f"options[{index.get(o.name, '?')}] ({o.name})", None,
                                         f"SLO missed: {checks[o.name].reason}") for o in missed])
        skipped += [(o.name, f"SLO missed: {checks[o.name].reason}") for o in missed]
    options = [o for o in result.options if checks[o.name].feasible]
    names = [o.name for o in options]
    kinds = [o.kind for o in options]
    if s.reference is not None and s.reference not in names:
        why = next((r for n, r in skipped if n == s.reference), "not evaluated")
        raise ScenarioError([Problem(file, "reference", None, f"the reference option '{s.reference}' is infeasible: {why}")])
    quality_ok, qnote = quality_eligible(s, catalog, kinds, [o.ref_id for o in options])
    eligible = [checks[o.name].status == "met" and q for o, q in zip(options, quality_ok)]
    M = len(result.months)
    cash = np.asarray([o.cash_usd for o in options], dtype=float).reshape(len(options), M)
    tot = cash.sum(axis=-1)
    ref, ref_reason = finance.reference_choice(names, kinds, tot, eligible, s.reference)
    if qnote:
        ref_reason += f" ({qnote})"
    ref_pos = names.index(ref) if ref is not None else None
    be = finance.break_even_index(cash, cash[ref_pos]) if ref_pos is not None else np.full(len(options), -1)
    matrix = finance.break_even_matrix(names, cash, result.months) if options else {}
    tokens_per_request = float(w.input_tokens + w.output_tokens)
    out = []
    for n, o in enumerate(options):
        idx = -1 if n == ref_pos else int(be[n])
        p = o.params
        billed = gpus_billed(o.gpus, p) if o.gpus is not None else None
        if o.kind == "api":
            share = api_input_share_of_cost(p.prices, o.input_tokens, o.output_tokens, w)
            api_item = o.line_items.get("api")
            cached = api_cached_input_usd_per_million(p.prices, o.input_tokens, o.output_tokens, w,
                                                      float(np.sum(api_item.accrual_usd)) if api_item else 0.0)
            fleet_accrual = o.accrual_usd
        else:
            cap = o.capacity
            share = float(finance.prefill_share_of_gpu_time(
                cap.ttft_ms if cap is not None and cap.ttft_ms is not None else np.nan,
                cap.tpot_ms if cap is not None and cap.tpot_ms is not None else np.nan, w.output_tokens))
            overflow = o.line_items.get("api_overflow")
            fleet_accrual = o.accrual_usd - (overflow.accrual_usd if overflow is not None else 0.0)
            cached = float("nan")  # prefix caching is not modelled for self-hosted fleets
        units = unit_costs(o.kind, o.total_accrual_usd, fleet_accrual, float(np.sum(o.input_tokens)),
                           float(np.sum(o.output_tokens)), share, billed, _field(p, "gpus_per_replica"),
                           _field(p, "capacity_rps"), tokens_per_request, o.usd_per_million_tokens)
        units["usd_per_million_cached_input_tokens"] = float(cached) if np.isfinite(cached) else None
        out.append(replace(o, break_even_month=finance.index_to_month(idx, result.months), break_even_index=idx,
                           slo_status=checks[o.name].status, slo_reason=checks[o.name].reason, gpus_billed=billed,
                           **units))
    slo_checks = {n: (c.status, c.reason) for n, c in checks.items()}
    for name, why in result.skipped:  # self-host options without a capacity at the SLO
        slo_checks[name] = ("missed" if "slo" in why.lower() else "unknown", why)
    return replace(result, options=out, reference=ref, reference_reason=ref_reason, break_even_matrix=matrix,
                   skipped=skipped, slo_checks=slo_checks)


__all__ = ["api_option_slo", "self_host_option_slo", "option_slo", "quality_eligible", "gpus_billed", "capacity_tokens_per_month", "finish",
           "api_input_share_of_cost", "api_cached_input_usd_per_million", "unit_costs", "API_RATIO_KEYS"]
