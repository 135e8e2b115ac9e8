"""Cost line items: one pure, broadcasting function per formula.

Conventions: money in USD, prices per token in USD per 1M tokens, month index on the last axis,
H = 730 hours per month. Parameters broadcast against the month axis, so an array of options
(shape ``(n, 1)``) or of Monte Carlo draws evaluates in one call. Every formula here is restated
in docs/methodology.md.
"""
from __future__ import annotations

import numpy as np

from .constants import HOURS_PER_MONTH, TOKENS_PER_MILLION

_EPS = 1e-9  # guards ceil() against floating-point noise such as 2.0000000000000004


def _ceil(x) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - _EPS)


def api_cost(input_tokens, output_tokens, p_input, p_output, p_cached_input, p_batch_input, p_batch_output,
             cached_input_share, batch_share) -> np.ndarray:
    """API bill [USD].

    cost = [(1 - b) x (input x ((1 - c) x p_in + c x p_cached) + output x p_out)
            + b x (input x p_batch_in + output x p_batch_out)] / 1e6

    input, output [tokens]; p_* [USD / 1M tokens]; c = cached_input_share, b = batch_share [0-1].
    Callers pass the normal price where a cached or batch price is unknown.
    """
    c, b = cached_input_share, batch_share
    realtime = input_tokens * ((1.0 - c) * p_input + c * p_cached_input) + output_tokens * p_output
    batch = input_tokens * p_batch_input + output_tokens * p_batch_output
    return ((1.0 - b) * realtime + b * batch) / TOKENS_PER_MILLION


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

    Each server is written off over ``life_months`` = 12 x depreciation_years months from its purchase month.
    """
    return np.asarray(depreciating_m, dtype=float) * np.asarray(server_price_usd, dtype=float) / np.asarray(life_months, dtype=float)


def power_cost(owned_m, server_power_kw, power_load_factor, pue, usd_per_kwh, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Electricity [USD] = owned x server_power_kw [kW] x power_load_factor x PUE x hours [h] x usd_per_kwh [USD/kWh]."""
    return np.asarray(owned_m, dtype=float) * server_power_kw * power_load_factor * pue * hours * usd_per_kwh


def energy_kwh(owned_m, server_power_kw, power_load_factor, pue, hours=HOURS_PER_MONTH) -> np.ndarray:
    """Facility energy [kWh] = owned x server_power_kw [kW] x power_load_factor x PUE x hours [h]."""
    return np.asarray(owned_m, dtype=float) * server_power_kw * power_load_factor * pue * hours


def colo_cost(owned_m, server_power_kw, colo_usd_per_kw_month) -> np.ndarray:
    """Colocation [USD] = owned x server_power_kw [kW] x colo_usd_per_kw_month [USD/kW-month]."""
    return np.asarray(owned_m, dtype=float) * server_power_kw * colo_usd_per_kw_month


def maintenance_cost(owned_m, server_price_usd, maintenance_share_per_year) -> np.ndarray:
    """Maintenance [USD] = owned x server_price [USD] x maintenance_share_per_year / 12."""
    return np.asarray(owned_m, dtype=float) * server_price_usd * maintenance_share_per_year / 12.0


def staff_cost(staff_fte, fte_cost_per_year, months: int) -> np.ndarray:
    """Staff [USD per month] = staff_fte [FTE] x fte_cost_per_year [USD/FTE-year] / 12, every month."""
    per_month = np.asarray(staff_fte, dtype=float) * fte_cost_per_year / 12.0
    return np.broadcast_to(np.asarray(per_month)[..., None], np.shape(per_month) + (months,)).astype(float)
