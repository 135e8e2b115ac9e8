"""Typed records passed between the layers: resolved option parameters and fleet outputs.

The engine's resolver (:class:`tco.engine.Resolver`) turns a scenario option into one of these
frozen records (inline value > catalog entry > assumptions default); the compute core
(:func:`tco.engine.compute_line_items`) stacks them into ``(options, 1)`` arrays; results carry them
back out (``OptionResult.params``, ``OptionResult.fleet``). Nothing writes into them after they are
built: outputs live in their own records.

Units: prices [USD / 1M tokens], rent [USD/GPU-hour or USD/instance-hour], power [kW], energy price
[USD/kWh], capacity [req/s per replica], counts [replicas, GPUs, servers], shares [0-1].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from tco.model.capacity import CapacityResult

#: price keys of an API option, in :class:`ApiPrices` field order [USD / 1M tokens]
API_PRICE_KEYS = ("input", "output", "cached_input", "batch_input", "batch_output", "cache_write")


@dataclass(frozen=True)
class ApiPrices:
    """Resolved token prices [USD / 1M tokens]; unknown cached/batch/cache-write prices already fall back
    to the normal price (with a note on the option)."""

    input: float
    output: float
    cached_input: float
    batch_input: float
    batch_output: float
    cache_write: float

    def scaled(self, factor: float) -> "ApiPrices":
        """Every price x ``factor``."""
        return ApiPrices(*(getattr(self, k) * factor for k in API_PRICE_KEYS))


@dataclass(frozen=True)
class ApiParams:
    """A resolved API option (or the overflow API of a hybrid self-host option)."""

    prices: ApiPrices
    ref_id: str  # API offer id, or "inline"
    provider: str = ""
    service: str = ""
    notes: tuple[str, ...] = ()
    fine_tuning: Optional[Any] = None  # tco.model.fine_tuning.FineTuningPlan of a fine_tuned option (issue 19)
    cost_lines: tuple = ()  # the scenario's cost lines (tco.scenario.CostLine) that apply to this option

    kind = "api"
    payment = "api"


@dataclass(frozen=True)
class SelfHostParams:
    """A resolved self-host option. Fields that do not apply to its way to pay keep their neutral value
    (documented per field) and are masked out by the compute core."""

    payment: str  # "rent" | "own"
    ref_id: str  # catalog model id
    capacity: CapacityResult
    capacity_rps: float  # [req/s] usable per replica (spot: x (1 - interruption_overhead))
    target_utilization: float  # [0-1]
    spare_replicas: float  # [replicas]
    gpus_per_replica: float  # [GPUs]
    staff_fte: float  # [FTE]
    gpu: str = ""  # catalog GPU id
    notes: tuple[str, ...] = ()
    # rent (payment == "rent")
    rent_mode: str = ""  # "gpu" (per-GPU price) | "instance" (per-instance price)
    pricing: str = ""  # on_demand | reserved | spot
    usd_per_gpu_hour: Optional[float] = None  # [USD/GPU-hour]
    usd_per_instance_hour: Optional[float] = None  # [USD/instance-hour]
    gpus_per_instance: Optional[float] = None  # [GPUs]
    provider: str = ""
    service: str = ""
    autoscale: bool = False
    min_replicas: float = 1.0  # [replicas] floor of an autoscaled fleet (one replica always on by default)
    reserved_gpus: float = 0.0  # [GPUs] committed, billed every hour
    usd_per_gpu_hour_reserved: float = 0.0  # [USD/GPU-hour]
    interruption_overhead: float = 0.0  # [0-1] spot capacity lost to interruptions
    # own (payment == "own")
    gpus_per_server: Optional[float] = None  # [GPUs]
    server_price_usd: Optional[float] = None  # [USD]
    server_power_kw: Optional[float] = None  # [kW]
    power_load_factor: Optional[float] = None  # [0-1]
    pue: Optional[float] = None  # [ratio >= 1]
    usd_per_kwh: Optional[float] = None  # [USD/kWh]
    colo_usd_per_kw_month: Optional[float] = None  # [USD/kW-month]
    maintenance_share_per_year: Optional[float] = None  # [fraction of price per year]
    depreciation_years: Optional[float] = None  # [years]
    lead_time_months: float = 0.0  # [months] servers bought this long before they are needed
    refresh: bool = False  # servers replaced at the end of their depreciation life
    residual_share: Optional[float] = None  # [fraction of price] resale value; None = no residual line
    # hybrid (an overflow API takes what the fixed fleet cannot)
    overflow: Optional[ApiParams] = None
    base_replicas: float = 0.0  # [replicas] fixed serving fleet; 0 = sized for hybrid_percentile
    hybrid_percentile: float = 1.0  # [0-1] hour percentile of the day's load the fleet is sized for
    fine_tuning: Optional[Any] = None  # tco.model.fine_tuning.FineTuningPlan of a fine_tuned option (issue 19)
    # issue 18: costs beyond GPUs, cost of capital, reserved terms, availability (docs/methodology.md 10-13)
    cost_lines: tuple = ()  # the scenario's cost lines (tco.scenario.CostLine) that apply to this option
    include_capital_charge: bool = False  # own: the accrual-only capital_charge line item
    mtbf_hours: float = 1.0  # [h] replica mean time between failures (neutral with repair_hours 0)
    repair_hours: float = 0.0  # [h] replica repair time; 0 = no availability haircut
    startup_minutes: float = 0.0  # [min] autoscale: a new replica is billed this long before it serves
    reserved_term_months: int = 0  # [months] 0 = no reserved term (reserved GPUs billed hourly every month)
    reserved_upfront_share: float = 0.0  # [0-1] of the term's commitment paid in the start month
    reserved_term_start: int = 0  # [month index] first month of the term

    kind = "self_host"

    @property
    def has_reserved_term(self) -> bool:
        return self.reserved_term_months > 0 and self.reserved_gpus > 0

    @property
    def has_startup(self) -> bool:
        return self.autoscale and self.startup_minutes > 0

    @property
    def is_hybrid(self) -> bool:
        return self.overflow is not None

    @property
    def has_residual(self) -> bool:
        return self.residual_share is not None

    @property
    def has_reserved(self) -> bool:
        return self.reserved_gpus > 0

    @property
    def life_months(self) -> int:
        """Depreciation life [months] = round(12 x depreciation_years) (1 for rented options: unused)."""
        return life_months(self.depreciation_years) if self.depreciation_years is not None else 1


def life_months(depreciation_years) -> int:
    """Depreciation life [months] = round(12 x depreciation_years): the one rounding rule used everywhere."""
    return int(round(12 * float(depreciation_years)))


@dataclass(frozen=True)
class RouteParams:
    """A route option (issue 19, tco.model.routing): its members evaluated on their shares, outside the compute core.

    ``parts``: tco.engine.RoutePartResult per member with share > 0; ``quality_weights``: (member name, weight
    in the route's quality) for every member; ``router_usd_per_million_tokens`` [USD / 1M tokens] or None."""

    mode: str  # "split" | "cascade"
    parts: tuple = ()
    quality_weights: tuple = ()
    router_usd_per_million_tokens: Optional[float] = None
    notes: tuple[str, ...] = ()
    fine_tuning: Optional[Any] = None  # always None: a route's parts carry their own fine-tuning

    kind = "route"
    payment = "route"
    ref_id = "route"


#: a resolved option
OptionParams = Union[ApiParams, SelfHostParams, RouteParams]


@dataclass(frozen=True)
class Unservable:
    """A self-host option whose capacity at the SLO could not be derived (``capacity.reason`` says why)."""

    capacity: CapacityResult


@dataclass(frozen=True)
class Fleet:
    """Fleet of one self-host option, per month (arrays of length months)."""

    replicas: np.ndarray  # [count] (autoscaled: the peak hour's)
    gpus: np.ndarray  # [count]
    servers: Optional[np.ndarray]  # [count] owned servers (None when rented)
    gpu_hours: Optional[np.ndarray] = None  # [GPU-hours] rented GPU-hours used (rented options)
    overflow_requests: Optional[np.ndarray] = None  # [req] sent to the overflow API (hybrid)
    fleet_rps: Optional[np.ndarray] = None  # [req/s] load the fixed fleet serves within plan (hybrid)
    replicas_by_hour: Optional[np.ndarray] = None  # [count] (months, 24) replicas each hour (autoscaled)
