"""Issue-18 line items for the engine: cost lines, capital charge, economic $/GPU-hour, reserved terms.

The formulas live in :mod:`tco.model.costs` (docs/methodology.md, sections 10-13); this module applies them
to one evaluated option's monthly quantities and returns line items the engine adds through its
registry. Conventions: months on the last axis, money in USD, H = 730 h per month.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from tco.core.constants import HOURS_PER_MONTH, TOKENS_PER_MILLION
from tco.model import costs
from tco.scenario import CostLine, month_index

#: FOCUS ChargeCategory of each cost-line kind (one_off = a purchase, the rest usage)
COST_LINE_CHARGE_CATEGORY = {"one_off": "Purchase", "monthly": "Usage", "per_gpu_month": "Usage",
                             "per_gpu_year": "Usage", "per_server_month": "Usage", "per_million_tokens": "Usage",
                             "per_request": "Usage"}
#: FOCUS ChargeFrequency of each kind
COST_LINE_CHARGE_FREQUENCY = {"one_off": "One-Time", "monthly": "Recurring", "per_gpu_month": "Recurring",
                              "per_gpu_year": "Recurring", "per_server_month": "Recurring",
                              "per_million_tokens": "Usage-Based", "per_request": "Usage-Based"}
#: quantity unit of each kind (per_server_month: "server-months" or "instance-months")
COST_LINE_UNITS = {"one_off": "one-off", "monthly": "months", "per_gpu_month": "GPU-months",
                   "per_gpu_year": "GPU-months", "per_server_month": "server-months",
                   "per_million_tokens": "1M tokens", "per_request": "requests"}


@dataclass(frozen=True)
class ExtraItem:
    """One issue-18 line item of one option: cash and accrual [USD per month], quantity [unit per month]."""

    name: str
    cash_usd: np.ndarray
    accrual_usd: np.ndarray
    quantity: np.ndarray
    unit: str
    charge_category: str  # FOCUS: "Usage" | "Purchase"
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class ResolvedCostLine:
    """A scenario cost line with its months turned into month indices of the horizon (what the engine carries)."""

    name: str
    kind: str
    amount_usd: float  # [USD] per the kind's unit
    applies_to: Union[str, tuple]
    month_index: int  # one_off: its month (0 = the start)
    first_index: int  # recurring: first month of the range
    last_index: int  # recurring: last month of the range (may lie past the horizon)
    amortize_months: Optional[int] = None
    notes: str = ""
    source: str = ""


def resolve_cost_line(line: CostLine, start: str, months: int) -> ResolvedCostLine:
    """A scenario cost line with month indices counted from ``start`` (YYYY-MM) over a ``months`` horizon."""
    i = month_index(start, line.month) if line.month is not None else 0
    first, last = ((month_index(start, line.months[0]), month_index(start, line.months[1]))
                   if line.months is not None else (0, months - 1))
    applies = tuple(line.applies_to) if isinstance(line.applies_to, list) else line.applies_to
    return ResolvedCostLine(line.name, line.kind, float(line.amount_usd), applies, i, first, last,
                            line.amortize_months, line.notes or "", line.source or "")


def cost_line_items(lines: Sequence[Union[CostLine, ResolvedCostLine]], start: str, months: int, option_name: str,
                    kind: str, payment: str,
                    *, requests_m, input_tokens_m, output_tokens_m, gpus_billed_m=None, servers_m=None,
                    servers_unit: str = "server-months", check_applies: bool = True) -> list[ExtraItem]:
    """The scenario's cost lines that apply to one option, as line items (docs/methodology.md, section 10).

    kind "api" | "self_host"; payment "api" | "rent" | "own". gpus_billed_m [GPUs] and servers_m [servers or
    instances] per month (zeros for API options). One_off lines: cash in their month, accrual spread over
    amortize_months when given. Every other kind: accrual = cash.
    """
    zeros = np.zeros(np.shape(requests_m))
    gpus = zeros if gpus_billed_m is None else np.asarray(gpus_billed_m, dtype=float)
    servers = zeros if servers_m is None else np.asarray(servers_m, dtype=float)
    out = []
    for line in lines:
        line = line if isinstance(line, ResolvedCostLine) else resolve_cost_line(line, start, months)
        if check_applies and not costs.cost_line_applies(line.applies_to, option_name, kind, payment):
            continue
        i, first, last = line.month_index, line.first_index, line.last_index
        cash = costs.cost_line_cash(line.kind, line.amount_usd, months, month_index=i, first_index=first,
                                    last_index=last, gpus_billed_m=gpus, servers_m=servers,
                                    input_tokens_m=input_tokens_m, output_tokens_m=output_tokens_m,
                                    requests_m=requests_m)
        if line.kind == "one_off" and line.amortize_months is not None:
            accrual = costs.amortized_accrual(line.amount_usd, i, line.amortize_months, months)
        else:
            accrual = cash
        mask = costs.month_range_mask(first, last, months)
        qty = {
            "one_off": costs.one_off_cost(1.0, i, months),
            "monthly": mask,
            "per_gpu_month": gpus * mask,
            "per_gpu_year": gpus * mask,
            "per_server_month": servers * mask,
            "per_million_tokens": (np.asarray(input_tokens_m, dtype=float) + np.asarray(output_tokens_m, dtype=float))
            / TOKENS_PER_MILLION * mask,
            "per_request": np.asarray(requests_m, dtype=float) * mask,
        }[line.kind]
        unit = servers_unit if line.kind == "per_server_month" else COST_LINE_UNITS[line.kind]
        out.append(ExtraItem(line.name, np.asarray(cash, dtype=float), np.asarray(accrual, dtype=float),
                             np.asarray(qty, dtype=float), unit, COST_LINE_CHARGE_CATEGORY[line.kind],
                             line.notes or f"cost line ({line.kind})", line.source or ""))
    return out


def rent_gpus_billed(billed_gpu_hours_m) -> np.ndarray:
    """GPUs billed in a month by a rented option [GPUs] = billed GPU-hours_m [GPU-h] / H [h] (a monthly average)."""
    return np.asarray(billed_gpu_hours_m, dtype=float) / HOURS_PER_MONTH


def rent_billed_gpu_hours(rent_qty_m, rent_unit: str, gpus_per_instance, reserved_unused_qty_m=None) -> np.ndarray:
    """Billed GPU-hours of a rented option [GPU-h]: the rent line's quantity in GPU-hours (instance-hours x
    gpus_per_instance when billed per instance) plus the idle reserved GPU-hours (billed too)."""
    q = np.asarray(rent_qty_m, dtype=float)
    if rent_unit == "instance-hours":
        q = q * float(gpus_per_instance)
    if reserved_unused_qty_m is not None:
        q = q + np.asarray(reserved_unused_qty_m, dtype=float)
    return q


def rent_instances(billed_gpu_hours_m, gpus_per_instance: Optional[float], replicas_m) -> np.ndarray:
    """Rented instances in a month [instances] = billed GPU-hours / H / gpus_per_instance when the option is
    billed per instance; else the replicas (one instance per replica)."""
    if gpus_per_instance:
        return np.asarray(billed_gpu_hours_m, dtype=float) / HOURS_PER_MONTH / float(gpus_per_instance)
    return np.asarray(replicas_m, dtype=float)


def capital_charge_item(bought_m, server_price_usd: float, life_months: int, discount_rate: float) -> ExtraItem:
    """The accrual-only ``capital_charge`` line item of an owned option (docs/methodology.md, section 11).

    charge_m = book value at the start of month m [USD] x ((1 + discount_rate)^(1/12) - 1); cash 0;
    quantity = the book value [USD].
    """
    bv = costs.book_value_start(bought_m, server_price_usd, life_months)
    charge = costs.capital_charge(bv, discount_rate)
    return ExtraItem("capital_charge", np.zeros(np.shape(bv)[-1]), np.asarray(charge, dtype=float), bv,
                     "USD book value", "Usage", "cost of capital tied up in owned servers (accrual only)")


def owned_economic_usd_per_gpu_hour(accrual_by_item: dict[str, np.ndarray], capital_charge_m, owned_servers_m,
                                    gpus_per_server: float) -> float:
    """Economic $/GPU-hour of an owned option [USD/GPU-h] = (depreciation + capital charge + power + colo +
    maintenance + staff) over the horizon / (owned servers x gpus_per_server x H summed over months)."""
    total = float(np.sum(capital_charge_m))
    for k in ("depreciation", "power", "colo", "maintenance", "staff"):
        if k in accrual_by_item:
            total += float(np.sum(accrual_by_item[k]))
    gpu_hours = float(np.sum(np.asarray(owned_servers_m, dtype=float) * gpus_per_server * HOURS_PER_MONTH))
    return float(costs.economic_usd_per_gpu_hour(total, gpu_hours))


@dataclass(frozen=True)
class ReservedTermPlan:
    """How a reserved term bills inside the horizon (docs/methodology.md, section 12)."""

    reserved_gpus_m: np.ndarray  # [GPUs] R inside the term, 0 outside
    price_factor_m: np.ndarray  # [-] (1 - upfront_share) inside the term: the share of p_r billed hourly
    upfront_cash_usd: np.ndarray  # [USD per month] u x C in the start month
    upfront_accrual_usd: np.ndarray  # [USD per month] u x C / T in each term month
    commitment_usd: float  # [USD] C
    commitment_after_horizon_usd: float  # [USD] (1 - u) x C / T x months of the term after the horizon
    in_term: np.ndarray  # [0/1] per month


def reserved_term_plan(reserved_gpus: float, usd_per_gpu_hour_reserved: float, term_months: int, upfront_share: float,
                       start_index: int, months: int) -> ReservedTermPlan:
    """Reserved GPUs, hourly price share and upfront item of a reserved term over the horizon.

    C = reserved_gpus x usd_per_gpu_hour_reserved x H x term_months (price fixed: no rent trend inside the term).
    Inside the term the reserved GPU-hours are billed at (1 - u) x p_r; the upfront share u x C is cash in the
    start month and accrues evenly over the term. Cash inside the horizon + commitment after it = C.
    """
    C = costs.reserved_commitment_usd(reserved_gpus, usd_per_gpu_hour_reserved, term_months)
    sch = costs.reserved_term_schedule(C, term_months, upfront_share, start_index, months)
    in_term = sch["in_term"]
    upfront_cash = np.zeros(months)
    if 0 <= start_index < months:
        upfront_cash[start_index] = upfront_share * C
    return ReservedTermPlan(reserved_gpus_m=reserved_gpus * in_term, price_factor_m=(1.0 - upfront_share) * in_term,
                            upfront_cash_usd=upfront_cash, upfront_accrual_usd=upfront_share * C / term_months * in_term,
                            commitment_usd=C, commitment_after_horizon_usd=float(sch["commitment_after_horizon_usd"]),
                            in_term=in_term)


def capital_and_commitment_rows(result) -> list[dict]:
    """Per self-host option of an evaluated result: economic USD/GPU-hour (owned), the capital charge over the
    horizon [USD] (owned, counted in accrual only when finance.include_capital_charge), the reserved-term
    upfront payments [USD] and the commitment still owed after the horizon [USD] (reserved terms). Options
    with none of these are left out."""
    rows = []
    for o in result.options:
        econ, after = o.economic_usd_per_gpu_hour, o.commitment_after_horizon_usd
        cc = o.line_items.get("capital_charge")
        up = o.line_items.get("reserved_upfront")
        if econ is None and after is None:
            continue
        rows.append({"option": o.name, "payment": o.payment, "economic_usd_per_gpu_hour": econ,
                     "capital_charge_usd": float(np.sum(cc.accrual_usd)) if cc is not None else None,
                     "reserved_upfront_usd": float(np.sum(up.cash_usd)) if up is not None else None,
                     "commitment_after_horizon_usd": after})
    return rows


__all__ = ["ExtraItem", "capital_and_commitment_rows", "cost_line_items", "ResolvedCostLine", "resolve_cost_line", "rent_gpus_billed", "rent_billed_gpu_hours", "rent_instances",
           "capital_charge_item", "owned_economic_usd_per_gpu_hour", "ReservedTermPlan", "reserved_term_plan",
           "COST_LINE_CHARGE_CATEGORY", "COST_LINE_CHARGE_FREQUENCY", "COST_LINE_UNITS"]
