"""Reading a Monte Carlo range against the point estimate (docs/finance.md "Monte Carlo").

Pure functions on draw arrays. The point estimate is the deterministic ``evaluate()`` total of an
option; its percentile says where it falls in the simulated distribution, and a P10-P90 range that
excludes it gets a reason built from the input distributions.

Units: money [USD]; percentiles [0-100].
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

#: where a base value must sit in its range (share of the width from the low end) to count as skewed
SKEW_LOW, SKEW_HIGH = 0.25, 0.75


def point_percentile(draws, point) -> np.ndarray:
    """Percentile of the point estimate among the draws [0-100], per option.

    = 100 x (count(draws < point) + 0.5 x count(draws == point)) / N   (mid-rank for ties, so a run whose
    draws all equal the point gives 50). ``draws`` [USD] has shape ``(N, options)``; ``point`` ``(options,)``.
    """
    x = np.asarray(draws, dtype=float)
    p = np.asarray(point, dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.abs(p))
    below = np.sum(x < p - tol, axis=0)
    equal = np.sum(np.abs(x - p) <= tol, axis=0)
    return 100.0 * (below + 0.5 * equal) / x.shape[0]


def skewed_inputs(uncertainties: Sequence) -> list[str]:
    """Inputs whose base value (mode) sits in the lowest or highest quarter of their (low, high) range."""
    out = []
    for u in uncertainties:
        width = float(u.high) - float(u.low)
        if width <= 0:
            continue
        frac = (float(u.mode) - float(u.low)) / width
        label = getattr(u, "label", "") or u.key
        if frac >= SKEW_HIGH:
            out.append(f"{label}: base {u.mode:g} at the top of its range {u.low:g}..{u.high:g}")
        elif frac <= SKEW_LOW:
            out.append(f"{label}: base {u.mode:g} at the bottom of its range {u.low:g}..{u.high:g}")
    return out


def range_note(p10: float, p90: float, point: float, uncertainties: Sequence) -> Optional[str]:
    """Why a P10-P90 range excludes the point estimate, or None when it includes it.

    The draws come from the input distributions (triangular or lognormal around each base value); when a
    base value sits at one end of its range, most draws move the total one way and the point estimate
    lands outside P10-P90. Without such an input the cause is the model's non-linearity (whole replicas,
    instances and servers, the fleet that never shrinks).
    """
    if p10 <= point <= p90:
        return None
    side = "above P90" if point > p90 else "below P10"
    skew = skewed_inputs(uncertainties)
    if skew:
        return (f"the point estimate lies {side} because some inputs' base values sit at one end of their ranges, "
                f"so most draws move the total the same way ({'; '.join(skew)})")
    return (f"the point estimate lies {side}: no input is skewed, so the cause is the model's non-linearity "
            "(whole replicas, instances and servers; the owned fleet never shrinks)")


__all__ = ["point_percentile", "skewed_inputs", "range_note", "SKEW_LOW", "SKEW_HIGH"]
