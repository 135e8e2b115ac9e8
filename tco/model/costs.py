"""Cost line items: one pure, broadcasting function per formula.

Conventions: money in USD, prices per token in USD per 1M tokens, month index on the last axis,
H = 730 hours per month. Parameters broadcast against the month axis, so an array of options
(shape ``(n, 1)``) or of Monte Carlo draws evaluates in one call. Every formula here is restated
in docs/methodology.md.
"""
from __future__ import annotations

import numpy as np

from tco.core.constants import HOURS_PER_MONTH, TOKENS_PER_MILLION

_EPS = 1e-9  # guards ceil() against floating-point noise such as 2.0000000000000004


def _ceil(x) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - _EPS)


def api_cost(input_tokens, output_tokens, p_input, p_output, p_cached_input, p_batch_input, p_batch_output,
             cached_input_share, batch_share, p_cache_write=0.0, cache_write_share=0.0) -> np.ndarray:
    """API bill [USD].

    cost = [(1 - b) x (input x ((1 - c - w) x p_in + c x p_cached + w x p_write) + output x p_out)
            + b x (input x p_batch_in + output x p_batch_out)] / 1e6

    input, output [tokens]; p_* [USD / 1M tokens]; c = cached_input_share (input tokens read from the
    prompt cache), w = cache_write_share (input tokens written to the prompt cache, e.g. Anthropic bills
    them at 1.25 x the input price), b = batch_share [0-1], c + w <= 1. The cache shares apply to the
    real-time requests. Callers pass the normal price where a cached, cache-write or batch price is unknown.
    Computed as input x P_in + output x P_out with the effective prices [USD/token]
    P_in = ((1 - b)((1 - c - w) p_in + c p_cached + w p_write) + b p_batch_in) / 1e6 and
    P_out = ((1 - b) p_out + b p_batch_out) / 1e6 (the same sum, two passes over the token arrays).
    """
    c, b, w = cached_input_share, batch_share, cache_write_share
    p_in_eff = ((1.0 - b) * ((1.0 - c - w) * p_input + c * p_cached_input + w * p_cache_write) + b * p_batch_input) \
        / TOKENS_PER_MILLION
    p_out_eff = ((1.0 - b) * p_output + b * p_batch_output) / TOKENS_PER_MILLION
    return input_tokens * p_in_eff + output_tokens * p_out_eff


def replicas_needed(peak_rps, capacity_rps_per_replica, target_utilization, spare_replicas, min_replicas=1) -> np.ndarray:
    """Replicas [count] = max(min_replicas, ceil(peak_rps / (capacity x target_utilization))) + spare_replicas.

    peak_rps and capacity [req/s]; target_utilization [0-1]; min_replicas defaults to 1.
    """
    serving = _ceil(np.asarray(peak_rps, dtype=float) / (np.asarray(capacity_rps_per_replica, dtype=float) * target_utilization))
    return np.maximum(min_replicas, serving) + spare_replicas


def gpus_from_replicas(replicas, gpus_per_replica) -> np.ndarray:
    """GPUs [count] = replicas x gpus_per_replica."""
    return np.asarray(replicas, dtype=float) * gpus_per_replica


def rent_cost_per_gpu(gpus, usd_per_gpu_hour, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Rental bill [USD] = gpus x usd_per_gpu_hour [USD/GPU-h] x hours [h] (H = 730 per month)."""
    return np.asarray(gpus, dtype=float) * usd_per_gpu_hour * hours


def instances_needed(gpus, gpus_per_instance) -> np.ndarray:
    """Instances [count] = ceil(gpus / gpus_per_instance)."""
    return _ceil(np.asarray(gpus, dtype=float) / gpus_per_instance)


def rent_cost_per_instance(gpus, gpus_per_instance, usd_per_instance_hour, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Rental bill [USD] = ceil(gpus / gpus_per_instance) x usd_per_instance_hour [USD/instance-h] x hours [h]."""
    return instances_needed(gpus, gpus_per_instance) * usd_per_instance_hour * hours


def servers_needed(gpus, gpus_per_server) -> np.ndarray:
    """Servers needed [count] = ceil(gpus / gpus_per_server)."""
    return _ceil(np.asarray(gpus, dtype=float) / gpus_per_server)


def owned_fleet(servers_needed_m) -> np.ndarray:
    """Owned servers [count]: the fleet never shrinks, owned_m = max(owned_{m-1}, servers_m) (running max)."""
    return np.maximum.accumulate(np.asarray(servers_needed_m, dtype=float), axis=-1)


def purchases(owned_m) -> np.ndarray:
    """Servers bought in month m [count] = owned_m - owned_{m-1} (owned_{-1} = 0)."""
    owned_m = np.asarray(owned_m, dtype=float)
    return np.diff(owned_m, axis=-1, prepend=0.0)


def capex(bought_m, server_price_usd) -> np.ndarray:
    """Capital expenditure [USD] (cash only) = bought_m x server_price [USD/server]."""
    return np.asarray(bought_m, dtype=float) * server_price_usd


def depreciating_servers(bought_m, life_months) -> np.ndarray:
    """Servers still inside their depreciation life in month m [count].

    = sum of bought_k for k in (m - life_months, m] = cum_bought_m - cum_bought_{m - life_months}
    life_months [months] = round(12 x depreciation_years); may differ per option (broadcasts).
    """
    bought_m = np.asarray(bought_m, dtype=float)
    cum = np.cumsum(bought_m, axis=-1)
    n = bought_m.shape[-1]
    m = np.arange(n)
    life = np.asarray(life_months, dtype=int)
    idx = m - life  # index of cum to subtract (exclusive lower end)
    if np.ndim(idx) == 1 and np.ndim(cum) == 1:
        lagged = np.where(idx >= 0, cum[np.clip(idx, 0, n - 1)], 0.0)
    else:
        idx_b = np.broadcast_to(idx, np.broadcast_shapes(idx.shape, cum.shape))
        cum_b = np.broadcast_to(cum, idx_b.shape)
        lagged = np.where(idx_b >= 0, np.take_along_axis(cum_b, np.clip(idx_b, 0, n - 1), axis=-1), 0.0)
    return cum - lagged


def depreciation(depreciating_m, server_price_usd, life_months) -> np.ndarray:
    """Straight-line depreciation [USD] (accrual only) = depreciating servers x server_price / life_months.

    Each server is written off over ``life_months`` = round(12 x depreciation_years) months from its purchase month.
    """
    return np.asarray(depreciating_m, dtype=float) * (np.asarray(server_price_usd, dtype=float) / np.asarray(life_months, dtype=float))


def power_cost(owned_m, server_power_kw, power_load_factor, pue, usd_per_kwh, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Electricity [USD] = owned x server_power_kw [kW] x power_load_factor x PUE x hours [h] x usd_per_kwh [USD/kWh]."""
    return np.asarray(owned_m, dtype=float) * (np.asarray(server_power_kw) * power_load_factor * pue * hours * usd_per_kwh)


def energy_kwh(owned_m, server_power_kw, power_load_factor, pue, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Facility energy [kWh] = owned x server_power_kw [kW] x power_load_factor x PUE x hours [h]."""
    return np.asarray(owned_m, dtype=float) * (np.asarray(server_power_kw) * power_load_factor * pue * hours)


def colo_cost(owned_m, server_power_kw, colo_usd_per_kw_month) -> np.ndarray:
    """Colocation [USD] = owned x server_power_kw [kW] x colo_usd_per_kw_month [USD/kW-month]."""
    return np.asarray(owned_m, dtype=float) * (np.asarray(server_power_kw) * colo_usd_per_kw_month)


def maintenance_cost(owned_m, server_price_usd, maintenance_share_per_year) -> np.ndarray:
    """Maintenance [USD] = owned x server_price [USD] x maintenance_share_per_year / 12."""
    return np.asarray(owned_m, dtype=float) * (np.asarray(server_price_usd) * maintenance_share_per_year / 12.0)


def staff_cost(staff_fte, fte_cost_per_year, months: int) -> np.ndarray:
    """Staff [USD per month] = staff_fte [FTE] x fte_cost_per_year [USD/FTE-year] / 12, every month."""
    per_month = np.asarray(staff_fte, dtype=float) * fte_cost_per_year / 12.0
    return np.broadcast_to(np.asarray(per_month)[..., None], np.shape(per_month) + (months,)).astype(float)


# ----------------------------------------------------------------------------------------------
# Traffic and fleet dynamics (restated in docs/methodology_traffic.md).
# Hourly arrays have the 24 hours of a typical day on the last axis, months just before it.


def spot_capacity(capacity_rps_per_replica, interruption_overhead) -> np.ndarray:
    """Usable capacity on spot [req/s] = capacity_rps_per_replica [req/s] x (1 - interruption_overhead)."""
    return np.asarray(capacity_rps_per_replica, dtype=float) * (1.0 - np.asarray(interruption_overhead, dtype=float))


def fleet_rps(serving_replicas, capacity_rps_per_replica, target_utilization) -> np.ndarray:
    """Load a fleet serves within plan [req/s] = serving_replicas x capacity [req/s] x target_utilization."""
    return np.asarray(serving_replicas, dtype=float) * capacity_rps_per_replica * target_utilization


def hourly_sum(x_mh, hours_per_slot=HOURS_PER_MONTH / 24.0) -> np.ndarray:
    """Monthly total of an hourly quantity [unit-hours] = sum over h of x_{m,h} x D, D = 730 / 24 [h].

    Each hour of the typical day occurs D times a month, so a GPU count per hour gives GPU-hours.
    """
    return np.sum(np.asarray(x_mh, dtype=float), axis=-1) * hours_per_slot


def reserved_used_gpus(gpus, reserved_gpus) -> np.ndarray:
    """Reserved GPUs doing work [GPUs] = min(gpus, reserved_gpus)."""
    return np.minimum(np.asarray(gpus, dtype=float), reserved_gpus)


def reserved_unused_gpus(gpus, reserved_gpus) -> np.ndarray:
    """Reserved GPUs idle [GPUs] = max(0, reserved_gpus - gpus) (never negative)."""
    return np.maximum(0.0, reserved_gpus - np.asarray(gpus, dtype=float))


def on_demand_gpus(gpus, reserved_gpus) -> np.ndarray:
    """GPUs billed on demand above the commitment [GPUs] = max(0, gpus - reserved_gpus)."""
    return np.maximum(0.0, np.asarray(gpus, dtype=float) - reserved_gpus)


def overflow_rps(hourly_rps_mh, fleet_rps_m) -> np.ndarray:
    """Load the fleet cannot take in hour h of month m [req/s] = max(0, hourly_rps_{m,h} - fleet_rps_m)."""
    return np.maximum(0.0, np.asarray(hourly_rps_mh, dtype=float) - np.asarray(fleet_rps_m, dtype=float)[..., None])


def overflow_requests(overflow_rps_mh, hours_per_slot=HOURS_PER_MONTH / 24.0) -> np.ndarray:
    """Requests sent to the API in month m [req] = sum over h of overflow_rps_{m,h} [req/s] x 3,600 [s/h] x D [h]."""
    return hourly_sum(np.asarray(overflow_rps_mh, dtype=float) * 3600.0, hours_per_slot)


def purchases_with_lead_time(needed_bought_m, lead_time_months) -> np.ndarray:
    """Servers bought in month t [count] when each is bought ``lead_time_months`` before first needed.

    bought_t = sum of needed_bought_k for k with max(0, k - L) = t; months before the horizon start are
    clamped to month 0 (servers needed in the first L months are all bought in month 0).
    Computed as bought = diff(cum_needed[min(t + L, M - 1)]), L [months] broadcasts per option.
    """
    nb = np.asarray(needed_bought_m, dtype=float)
    cum = np.cumsum(nb, axis=-1)
    n = nb.shape[-1]
    idx = np.minimum(np.arange(n) + np.asarray(lead_time_months, dtype=int), n - 1)
    idx = np.broadcast_to(idx, cum.shape)
    bought_by = np.take_along_axis(cum, idx, axis=-1)
    return np.diff(bought_by, axis=-1, prepend=0.0)


def refresh_purchases(first_bought_m, life_months) -> np.ndarray:
    """All purchases [count] when every server is replaced at the end of its depreciation life.

    total_t = sum over k >= 0 of first_bought_{t - k x life}: a server bought in month p is bought
    again in p + life, p + 2 life, ... within the horizon (the replacement is bought in the month its
    predecessor's depreciation ends). life_months [months] broadcasts per option.
    """
    first = np.asarray(first_bought_m, dtype=float)
    n = first.shape[-1]
    life = np.maximum(1, np.asarray(life_months, dtype=int))
    total = first.copy()
    t = np.arange(n)
    for k in range(1, n // int(np.min(life)) + 1):  # loop over refresh cycles, vectorised over months
        src = t - k * life
        src_b = np.broadcast_to(src, np.broadcast_shapes(src.shape, first.shape))
        shifted = np.take_along_axis(np.broadcast_to(first, src_b.shape), np.clip(src_b, 0, n - 1), axis=-1)
        total = total + np.where(src_b >= 0, shifted, 0.0)
    return total


def book_value_end(bought_m, server_price_usd, life_months) -> np.ndarray:
    """Book value at the end of the horizon [USD], after the last month's depreciation:

    BV = server_price / life x sum over p of bought_p x max(0, life - (M - p))
    (a server bought in month p has been depreciated for M - p months by the end of month M - 1).
    """
    bought = np.asarray(bought_m, dtype=float)
    n = bought.shape[-1]
    life = np.asarray(life_months, dtype=float)
    remaining = np.maximum(0.0, life - (n - np.arange(n)))  # [months] of life left per purchase month
    return np.sum(bought * remaining * np.asarray(server_price_usd, dtype=float) / life, axis=-1)


def residual_cash(retired_m, held_end, server_price_usd, residual_share) -> np.ndarray:
    """Residual proceeds [USD] (negative cash) = -residual_share x server_price x (retired_m + [m = M-1] x held_end).

    Servers retired in a month are sold that month; the servers still held are sold at the end of the horizon.
    held_end [servers] has one value per option (shape of retired_m without the month axis).
    """
    retired = np.asarray(retired_m, dtype=float).copy()
    retired[..., -1] += np.asarray(held_end, dtype=float)
    return 0.0 - np.asarray(residual_share, dtype=float) * server_price_usd * retired  # 0.0 - x: no -0.0 in outputs


def residual_accrual(residual_cash_m, book_value_end_usd) -> np.ndarray:
    """Residual on the books [USD] = book value written off - proceeds = BV - proceeds.

    Retired servers have been fully depreciated (BV 0: the proceeds are a gain, a negative cost); at the
    end of the horizon the remaining book value ``book_value_end_usd`` is written off against the proceeds
    (a loss when BV > proceeds). Over the horizon, depreciation + residual accrual = capex + residual cash.
    """
    out = np.asarray(residual_cash_m, dtype=float).copy()
    out[..., -1] += np.asarray(book_value_end_usd, dtype=float)
    return out


# ----------------------------------------------------------------------------------------------
# Costs beyond GPUs, cost of capital, reserved terms, availability (issue 18; restated in
# docs/methodology.md, "Costs beyond GPUs" and after). Month index on the last axis as above.


def month_range_mask(first_index, last_index, months: int) -> np.ndarray:
    """1.0 for months m with first_index <= m <= last_index, else 0.0 [-]; indices count from the start (may lie outside)."""
    m = np.arange(months)
    return ((m >= first_index) & (m <= last_index)).astype(float)


def one_off_cost(amount_usd, month_index: int, months: int) -> np.ndarray:
    """One-off cost [USD]: amount_usd [USD] in month ``month_index``, 0 in every other month (cash and accrual)."""
    out = np.zeros(months)
    if 0 <= month_index < months:
        out[month_index] = float(amount_usd)
    return out


def amortized_accrual(amount_usd, month_index: int, amortize_months: int, months: int) -> np.ndarray:
    """Accrual of a one-off amount spread evenly [USD per month] = amount_usd / N in months i .. i + N - 1.

    i = month_index, N = amortize_months. Months past the horizon are not in the array, so the horizon's
    accrual is amount x (months of the window inside the horizon) / N; cash stays amount in month i.
    """
    return float(amount_usd) / amortize_months * month_range_mask(month_index, month_index + amortize_months - 1, months)


def monthly_line_cost(amount_usd, months: int) -> np.ndarray:
    """Fixed monthly cost [USD per month] = amount_usd [USD/month] every month."""
    return np.full(months, float(amount_usd))


def per_gpu_month_cost(amount_usd, gpus_billed_m) -> np.ndarray:
    """Cost [USD] = amount_usd [USD/GPU-month] x GPUs billed in the month [GPUs]."""
    return float(amount_usd) * np.asarray(gpus_billed_m, dtype=float)


def per_gpu_year_cost(amount_usd, gpus_billed_m) -> np.ndarray:
    """Cost [USD] = amount_usd [USD/GPU-year] / 12 x GPUs billed in the month [GPUs]."""
    return float(amount_usd) / 12.0 * np.asarray(gpus_billed_m, dtype=float)


def per_server_month_cost(amount_usd, servers_m) -> np.ndarray:
    """Cost [USD] = amount_usd [USD/server-month] x servers (owned) or instances (rented) in the month [count]."""
    return float(amount_usd) * np.asarray(servers_m, dtype=float)


def per_million_tokens_cost(amount_usd, input_tokens_m, output_tokens_m) -> np.ndarray:
    """Cost [USD] = amount_usd [USD / 1M tokens] x (input + output tokens in the month) [tokens] / 1e6."""
    return float(amount_usd) * (np.asarray(input_tokens_m, dtype=float) + np.asarray(output_tokens_m, dtype=float)) \
        / TOKENS_PER_MILLION


def per_request_cost(amount_usd, requests_m) -> np.ndarray:
    """Cost [USD] = amount_usd [USD/request] x requests in the month [req]."""
    return float(amount_usd) * np.asarray(requests_m, dtype=float)


def cost_line_cash(kind: str, amount_usd, months: int, *, month_index: int = 0, first_index: int = 0,
                   last_index: int | None = None, gpus_billed_m=None, servers_m=None, input_tokens_m=None,
                   output_tokens_m=None, requests_m=None) -> np.ndarray:
    """Monthly cash of one cost line for one option [USD per month] (docs/methodology.md, "Costs beyond GPUs").

    one_off = amount in month_index; monthly = amount; per_gpu_month = amount x GPUs billed;
    per_gpu_year = amount / 12 x GPUs billed; per_server_month = amount x servers or instances;
    per_million_tokens = amount x (input + output) / 1e6; per_request = amount x requests.
    A recurring line is multiplied by month_range_mask(first_index, last_index) (default: the whole horizon).
    The quantities [per month] have shape (months,). Raises ValueError for an unknown kind.
    """
    if kind == "one_off":
        return one_off_cost(amount_usd, month_index, months)
    if kind == "monthly":
        base = monthly_line_cost(amount_usd, months)
    elif kind == "per_gpu_month":
        base = per_gpu_month_cost(amount_usd, gpus_billed_m)
    elif kind == "per_gpu_year":
        base = per_gpu_year_cost(amount_usd, gpus_billed_m)
    elif kind == "per_server_month":
        base = per_server_month_cost(amount_usd, servers_m)
    elif kind == "per_million_tokens":
        base = per_million_tokens_cost(amount_usd, input_tokens_m, output_tokens_m)
    elif kind == "per_request":
        base = per_request_cost(amount_usd, requests_m)
    else:
        raise ValueError(f"unknown cost line kind {kind!r}")
    last = months - 1 if last_index is None else last_index
    return np.asarray(base, dtype=float) * month_range_mask(first_index, last, months)


def cost_line_applies(applies_to, option_name: str, kind: str, payment: str) -> bool:
    """Whether a cost line applies to an option.

    applies_to: "all" | "api" | "self_host" | "rent" | "own" | list of option names; kind "api" | "self_host";
    payment "api" | "rent" | "own".
    """
    if isinstance(applies_to, (list, tuple)):
        return option_name in applies_to
    return applies_to == "all" or applies_to == kind or applies_to == payment


def egress_usd_per_million_tokens(usd_per_gb, gb_per_million_tokens) -> float:
    """Egress as a per-token price [USD / 1M tokens] = usd_per_gb [USD/GB] x gb_per_million_tokens [GB / 1M tokens]."""
    return float(usd_per_gb) * float(gb_per_million_tokens)


def share_of_capex_per_server_month(share_of_server_capex, server_price_usd, life_months) -> float:
    """A cost stated as a share of server capex, spread like depreciation [USD/server-month]
    = share_of_server_capex [-] x server_price_usd [USD] / life_months [months]."""
    return float(share_of_server_capex) * float(server_price_usd) / float(life_months)


def monthly_rate(annual_rate) -> np.ndarray:
    """Monthly rate equivalent to an annual one [1/month] = (1 + annual_rate)^(1/12) - 1."""
    return np.power(1.0 + np.asarray(annual_rate, dtype=float), 1.0 / 12.0) - 1.0


def book_value_start(bought_m, server_price_usd, life_months) -> np.ndarray:
    """Book value at the start of month m [USD], before that month's depreciation:

    BV_m = server_price x sum over p <= m of bought_p  -  sum over k < m of depreciation_k
         = server_price / life x sum over p <= m of bought_p x max(0, life - (m - p))
    A server is bought at the start of its month p (BV = price in month p) and written off over ``life``
    months by :func:`depreciation`, so it is worth 0 from month p + life. BV_start of month M equals
    :func:`book_value_end`. life_months [months] broadcasts per option.
    """
    bought = np.asarray(bought_m, dtype=float)
    dep = depreciation(depreciating_servers(bought, life_months), server_price_usd, life_months)
    cum_dep_before = np.cumsum(dep, axis=-1) - dep
    return np.cumsum(bought, axis=-1) * np.asarray(server_price_usd, dtype=float) - cum_dep_before


def capital_charge(book_value_start_m, annual_rate) -> np.ndarray:
    """Cost of capital tied up in owned servers [USD per month] (accrual only)
    = book value at the start of the month [USD] x ((1 + annual_rate)^(1/12) - 1)."""
    return np.asarray(book_value_start_m, dtype=float) * monthly_rate(annual_rate)


def economic_usd_per_gpu_hour(total_cost_usd, gpu_hours) -> np.ndarray:
    """Economic cost of an owned GPU [USD/GPU-hour] = (depreciation + capital charge + power + colo + maintenance
    + staff) over the horizon [USD] / GPU-hours owned [GPU-h] (owned GPUs x 730 h per month); NaN without GPU-hours."""
    gh = np.asarray(gpu_hours, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gh > 0, np.asarray(total_cost_usd, dtype=float) / np.where(gh > 0, gh, 1.0), np.nan)


def reserved_commitment_usd(reserved_gpus, usd_per_gpu_hour_reserved, term_months) -> float:
    """Reserved-term commitment [USD] = reserved_gpus [GPUs] x usd_per_gpu_hour_reserved [USD/GPU-h] x 730 [h/month]
    x term_months [months], at a price fixed for the term."""
    return float(reserved_gpus) * float(usd_per_gpu_hour_reserved) * HOURS_PER_MONTH * float(term_months)


def reserved_term_schedule(commitment_usd, term_months: int, upfront_share, start_index: int, months: int) -> dict:
    """Cash and accrual of a reserved term over the horizon (docs/methodology.md, "Reserved terms").

    C = commitment_usd [USD], T = term_months, u = upfront_share [0-1], s = start_index (month of the horizon).
    cash_m    = u x C in month s  +  (1 - u) x C / T in each month s .. s + T - 1
    accrual_m = C / T in each month s .. s + T - 1 (the upfront share is accrued evenly over the term)
    in_term_m = 1 in months s .. s + T - 1 inside the horizon, else 0
    commitment_after_horizon_usd = (1 - u) x C / T x (months of the term after the horizon)
    Returns {cash_usd, accrual_usd, in_term, commitment_after_horizon_usd}; cash inside the horizon plus the
    commitment after it equals C.
    """
    C, T, u = float(commitment_usd), int(term_months), float(upfront_share)
    in_term = month_range_mask(start_index, start_index + T - 1, months)
    cash = (1.0 - u) * C / T * in_term
    if 0 <= start_index < months:
        cash[start_index] += u * C
    after = max(0, start_index + T - months)
    return {"cash_usd": cash, "accrual_usd": C / T * in_term, "in_term": in_term,
            "commitment_after_horizon_usd": (1.0 - u) * C / T * after}


def availability_factor(mtbf_hours, repair_hours) -> np.ndarray:
    """Steady-state share of time a replica serves [-] = mtbf_hours / (mtbf_hours + repair_hours)."""
    mtbf, rep = np.asarray(mtbf_hours, dtype=float), np.asarray(repair_hours, dtype=float)
    return mtbf / (mtbf + rep)


def replicas_for_availability(serving_replicas, mtbf_hours, repair_hours) -> np.ndarray:
    """Replicas so that expected available capacity covers the planned serving replicas [count]
    = ceil(serving_replicas / (1 - repair_hours / (mtbf_hours + repair_hours))).

    Applied before the spare replicas (N+k) are added: total = this + spare_replicas.
    """
    return _ceil(np.asarray(serving_replicas, dtype=float) / availability_factor(mtbf_hours, repair_hours))


def startup_gpu_hours(replicas_mh, gpus_per_replica, startup_minutes, hours_per_slot=HOURS_PER_MONTH / 24.0) -> np.ndarray:
    """Extra GPU-hours billed to start replicas ahead of the hourly ramp [GPU-h per month].

    = sum over h of max(0, r_h - r_{h-1}) x gpus_per_replica x startup_minutes / 60 x D, D = 730 / 24 [h]
    r_h [replicas] is the autoscaled fleet of hour h of the typical day (h - 1 wraps to hour 23 of the same
    day: the day repeats). Every replica added in hour h is started startup_minutes earlier and billed for
    that time. A rule, not a simulation: it does not net a replica stopped shortly before (an upper bound
    when startup_minutes is longer than the gap).
    """
    r = np.asarray(replicas_mh, dtype=float)
    starts = np.maximum(0.0, r - np.roll(r, 1, axis=-1))
    return np.sum(starts, axis=-1) * np.asarray(gpus_per_replica, dtype=float) * (
        np.asarray(startup_minutes, dtype=float) / 60.0) * hours_per_slot
