"""Capacity uncertainty carried into cost: ranges and Monte Carlo draws for estimated capacities.

An estimated capacity (``CapacityResult.source == "estimated"``) carries ``rps_low``/``rps_high``,
the P10-P90 of the estimator's leave-one-GPU-out error (docs/estimator.md). Measured, adjusted and
inline capacities are points. This module turns the range into

* :func:`capacity_scale_bounds`: per option, (low, high) capacity over the point capacity [-];
* :func:`capacity_scale_samples`: Monte Carlo draws of that scale, lognormal with P10/P90 at the range
  ends (points: always 1);
* :func:`cost_range`: per option, total cash [USD] at the high and at the low capacity, by evaluating
  the scenario twice with ``capacity_rps_per_replica`` pinned (the one engine, no second cost model).

Conventions: scales are multipliers of ``capacity_rps`` [-]; costs in USD over the horizon.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from tco.engine import evaluate

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


def cost_range(scenario, catalog, result) -> dict[str, tuple[float, float]]:
    """Total cash [USD] per self-host option at its high and low capacity: {name: (low, high)}.

    An option whose capacity is a point gets (total, total). Two extra evaluations of the scenario
    with every estimated option's ``capacity_rps_per_replica`` pinned to ``rps_high`` (cheaper) and
    ``rps_low`` (dearer).
    """

    out = {o.name: (o.total_cash_usd, o.total_cash_usd) for o in result.options}
    ranged = {o.name: o.capacity for o in result.options
              if o.capacity is not None and o.capacity.rps_low is not None and o.capacity.rps_high is not None}
    if not ranged:
        return out
    totals = {}
    for end in ("rps_high", "rps_low"):
        s = scenario.model_copy(deep=True)
        for opt in s.options:
            if opt.name in ranged and opt.self_host is not None:
                opt.self_host.capacity_rps_per_replica = float(getattr(ranged[opt.name], end))
        res = evaluate(s, catalog, skip_infeasible=True)
        totals[end] = {o.name: o.total_cash_usd for o in res.options}
    for name in ranged:
        lo, hi = totals["rps_high"].get(name), totals["rps_low"].get(name)
        if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
            out[name] = (min(lo, hi), max(lo, hi))
    return out


__all__ = ["capacity_scale_bounds", "capacity_scale_samples", "cost_range", "lognormal_from_p10_p90", "Z90"]
