"""Capacity uncertainty carried into cost: ranges and Monte Carlo draws for estimated capacities.

An estimated capacity (``CapacityResult.source == "estimated"``) carries ``rps_low``/``rps_high``,
the P10-P90 of the estimator's leave-one-GPU-out error (docs/estimator.md). Measured, adjusted and
inline capacities are points. This module turns the range into

* :func:`capacity_scale_bounds`: per option, (low, high) capacity over the point capacity [-];
* :func:`capacity_scale_samples`: Monte Carlo draws of that scale, lognormal with P10/P90 at the range
  ends (points: always 1);
* :func:`cost_ranges`: per option, total cash and accrual [USD], cost per 1M tokens and break-even
  month at the high and at the low capacity, by evaluating the scenario twice with
  ``capacity_rps_per_replica`` pinned (the one engine, no second cost model), and what that does to the
  answer: which options may be the cheapest within the ranges, whose break-even month moves
  (:class:`CostRanges`); :func:`cost_range` is its {name: (cash low, cash high)} view (``evaluate --format json``).

Conventions: scales are multipliers of ``capacity_rps`` [-]; costs in USD over the horizon. "Low" cost
comes from the high capacity end (fewer replicas) and "high" cost from the low end.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from tco.core.format import fmt_usd
from tco.engine import Result, evaluate

#: Standard normal 90th percentile [-]: P10/P90 of a lognormal sit at mu -/+ Z90 sigma.
Z90 = 1.2815515655446004


def capacity_scale_bounds(capacities: Sequence) -> np.ndarray:
    """(n, 2) array of (low, high) capacity / point capacity [-] per option (1, 1 for points or None)."""
    out = np.ones((len(capacities), 2))
    for i, cap in enumerate(capacities):
        if cap is None or not cap.rps or cap.rps_low is None or cap.rps_high is None:
            continue
        out[i] = (cap.rps_low / cap.rps, cap.rps_high / cap.rps)
    return out


def lognormal_from_p10_p90(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of ln X when X's P10 is ``lo`` and P90 is ``hi`` [-]:
    mu = (ln lo + ln hi) / 2, sigma = (ln hi - ln lo) / (2 x 1.2816)."""
    lo, hi = np.log(np.asarray(lo, dtype=float)), np.log(np.asarray(hi, dtype=float))
    return (lo + hi) / 2.0, (hi - lo) / (2.0 * Z90)


def capacity_scale_samples(capacities: Sequence, draws: int, rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """(draws, n) multipliers of each option's capacity [-]: lognormal with P10/P90 at the range ends
    for estimated capacities, exactly 1 for points (measured, adjusted, inline)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    b = capacity_scale_bounds(capacities)
    mu, sigma = lognormal_from_p10_p90(b[:, 0], b[:, 1])
    z = rng.standard_normal((draws, len(capacities)))
    return np.exp(mu + sigma * z)


@dataclass(frozen=True)
class OptionCostRange:
    """One option's cost at its capacity range. For a point capacity (API, measured, adjusted, inline) every
    ``_low``/``_high`` equals the point and ``ranged`` is False."""

    name: str
    kind: str  # "api" | "self_host"
    capacity_source: Optional[str]  # measured | adjusted | estimated | inline | None (API, route)
    ranged: bool  # the capacity is an estimate with a range (the costs below differ at its ends)
    capacity_rps: Optional[float]  # [req/s/replica] point
    capacity_rps_low: Optional[float]  # [req/s/replica] P10 end (estimated) or the point
    capacity_rps_high: Optional[float]  # [req/s/replica] P90 end (estimated) or the point
    total_cash_usd: float  # [USD] over the horizon, at the point capacity
    total_cash_usd_low: float  # [USD] at the high capacity end
    total_cash_usd_high: float  # [USD] at the low capacity end
    total_accrual_usd: float  # [USD]
    total_accrual_usd_low: float  # [USD]
    total_accrual_usd_high: float  # [USD]
    usd_per_million_tokens: float  # [USD / 1M tokens] accrual
    usd_per_million_tokens_low: float  # [USD / 1M tokens]
    usd_per_million_tokens_high: float  # [USD / 1M tokens]
    break_even_month: Optional[str]  # vs the reference, cash ("YYYY-MM"; None = not within the horizon)
    break_even_month_cheap_end: Optional[str]  # at the high capacity end
    break_even_month_dear_end: Optional[str]  # at the low capacity end

    @property
    def break_even_moves(self) -> bool:
        return self.ranged and len({self.break_even_month, self.break_even_month_cheap_end,
                                    self.break_even_month_dear_end}) > 1


@dataclass(frozen=True)
class CostRanges:
    """Every option's cost range and what the ranges do to the answer (cash, whole horizon)."""

    options: tuple[OptionCostRange, ...]
    reference: Optional[str]
    cheapest: Optional[str]  # at the point capacities (Result.cheapest)
    may_be_cheapest: tuple[str, ...]  # options whose low end is at or below every other option's high end
    sentence: str  # the answer in words (markdown); "" when no capacity is estimated

    @property
    def any_ranged(self) -> bool:
        return any(o.ranged for o in self.options)

    def option(self, name: str) -> OptionCostRange:
        return next(o for o in self.options if o.name == name)

    def as_dict(self) -> dict[str, tuple[float, float]]:
        """{name: (total_cash_usd_low, total_cash_usd_high)} (:func:`cost_range`)."""
        return {o.name: (o.total_cash_usd_low, o.total_cash_usd_high) for o in self.options}


def may_be_cheapest(names: Sequence[str], low: Sequence[float], high: Sequence[float]) -> list[str]:
    """Options that can be the cheapest when each option's total [USD] lies anywhere in [low, high]:
    option i qualifies when low_i <= min over j != i of high_j. Ranges are taken as independent (the
    estimator's errors for two configurations are not assumed to move together)."""
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    out = []
    for i, name in enumerate(names):
        others = np.delete(hi, i)
        if not others.size or lo[i] <= others.min():
            out.append(name)
    return out


def _pinned(scenario, catalog, ranged: dict, end: str) -> Result:
    s = scenario.model_copy(deep=True)
    for opt in s.options:
        if opt.name in ranged and opt.self_host is not None:
            opt.self_host.capacity_rps_per_replica = float(getattr(ranged[opt.name], end))
    return evaluate(s, catalog, skip_infeasible=True)


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def _names(names: Sequence[str]) -> str:
    names = [f"**{n}**" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def ranges_sentence(options: Sequence[OptionCostRange], reference: Optional[str], cheapest: Optional[str],
                    may: Sequence[str]) -> str:
    """The answer's capacity caveat in words (markdown): the estimated options with their cost ranges,
    whether the cheapest option can change within them, and whose break-even month moves."""
    ranged = [o for o in options if o.ranged]
    if not ranged:
        return ""
    spans = "; ".join(f"**{o.name}** is {fmt_usd(o.total_cash_usd_low)}-{fmt_usd(o.total_cash_usd_high)}"
                      for o in ranged)
    many = len(ranged) > 1
    words = (f"Capacity of {len(ranged)} option{'s' if many else ''} is estimated, not measured; over "
             f"{'their' if many else 'its'} P10-P90 range (the estimator's leave-one-GPU-out error) the total cash "
             f"of {spans}.")
    if cheapest is not None:
        others = [n for n in may if n != cheapest]
        if others:
            words += (f" Within these ranges the cheapest option may be {_names(others)} instead of **{cheapest}**: "
                      "measure before you decide.")
        else:
            words += f" Within these ranges **{cheapest}** stays the cheapest."
    moved = [o for o in ranged if o.break_even_moves and o.name != reference]
    for o in moved:
        ends = sorted({o.break_even_month_cheap_end or "never", o.break_even_month_dear_end or "never"},
                      key=lambda m: (m == "never", m))
        words += (f" Break-even of **{o.name}** versus **{reference}** falls between {ends[0]} and {ends[-1]} "
                  f"(point estimate: {o.break_even_month or 'never'}).")
    if reference and ranged and not moved and any(o.name != reference for o in ranged):
        words += f" Break-even months versus **{reference}** do not change within the ranges."
    return words


def cost_ranges(scenario, catalog, result: Result) -> CostRanges:
    """Every option's cost at the ends of its capacity range, and whether the answer changes within them.

    An estimated capacity (``rps_low``/``rps_high`` set) is pinned (``capacity_rps_per_replica``) to
    ``rps_high`` in one evaluation of the scenario (its cheap end: fewer replicas) and to ``rps_low`` in
    another (its dear end); points (measured, adjusted, inline, APIs) keep their value in both. With no
    estimated capacity nothing is re-evaluated.
    """
    ranged = {o.name: o.capacity for o in result.options
              if o.capacity is not None and o.capacity.rps_low is not None and o.capacity.rps_high is not None}
    ends = {end: _pinned(scenario, catalog, ranged, end) for end in ("rps_high", "rps_low")} if ranged else {}
    ref = result.reference
    out = []
    for o in result.options:
        cap = o.capacity
        vals = {}
        for end, res in ends.items():
            try:
                e = res.option(o.name)
            except KeyError:
                continue
            if _finite(e.total_cash_usd) and _finite(e.total_accrual_usd):
                be = res.break_even_matrix.get(o.name, {}).get(ref) if ref and o.name != ref else None
                vals[end] = (e.total_cash_usd, e.total_accrual_usd, e.usd_per_million_tokens, be)
        point = (o.total_cash_usd, o.total_accrual_usd, o.usd_per_million_tokens, o.break_even_month)
        is_ranged = o.name in ranged and len(vals) == 2
        cheap, dear = (vals["rps_high"], vals["rps_low"]) if is_ranged else (point, point)
        lo_hi = [(min(a, b), max(a, b)) for a, b in zip(cheap[:3], dear[:3])]
        out.append(OptionCostRange(
            name=o.name, kind=o.kind, capacity_source=cap.source if cap is not None else None, ranged=is_ranged,
            capacity_rps=cap.rps if cap is not None else None,
            capacity_rps_low=cap.low if cap is not None else None,
            capacity_rps_high=cap.high if cap is not None else None,
            total_cash_usd=o.total_cash_usd, total_cash_usd_low=lo_hi[0][0], total_cash_usd_high=lo_hi[0][1],
            total_accrual_usd=o.total_accrual_usd, total_accrual_usd_low=lo_hi[1][0],
            total_accrual_usd_high=lo_hi[1][1], usd_per_million_tokens=o.usd_per_million_tokens,
            usd_per_million_tokens_low=lo_hi[2][0], usd_per_million_tokens_high=lo_hi[2][1],
            break_even_month=o.break_even_month if o.name != ref else None,
            break_even_month_cheap_end=cheap[3] if o.name != ref else None,
            break_even_month_dear_end=dear[3] if o.name != ref else None))
    cheapest = result.cheapest.name if result.cheapest is not None else None
    may = may_be_cheapest([o.name for o in out], [o.total_cash_usd_low for o in out],
                          [o.total_cash_usd_high for o in out])
    return CostRanges(tuple(out), ref, cheapest, tuple(may), ranges_sentence(out, ref, cheapest, may))


def cost_range(scenario, catalog, result) -> dict[str, tuple[float, float]]:
    """Total cash [USD] per option at its high and low capacity: {name: (low, high)}.

    An option whose capacity is a point gets (total, total). See :func:`cost_ranges` (two extra
    evaluations of the scenario with every estimated option's ``capacity_rps_per_replica`` pinned to
    ``rps_high`` (cheaper) and ``rps_low`` (dearer)).
    """
    return cost_ranges(scenario, catalog, result).as_dict()


__all__ = ["capacity_scale_bounds", "capacity_scale_samples", "cost_range", "cost_ranges", "CostRanges", "OptionCostRange",
           "may_be_cheapest", "ranges_sentence", "lognormal_from_p10_p90", "Z90"]
