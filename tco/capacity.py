"""Capacity: requests per second one replica sustains within the SLO.

Owned by the capacity work (issue 4). The engine calls only :func:`capacity_at_slo`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

CapacitySource = Literal["inline", "measured", "adjusted", "estimated"]


@dataclass(frozen=True)
class CapacityResult:
    """Capacity of one replica at the SLO.

    ``rps`` is None when the configuration cannot meet the SLO (or nothing is known); ``reason`` says why.
    """

    rps: Optional[float]  # [req/s] per replica
    source: CapacitySource
    profile_id: Optional[str] = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    reason: Optional[str] = None

    @property
    def feasible(self) -> bool:
        return self.rps is not None and self.rps > 0


def capacity_at_slo(catalog, model: str, gpu: str, gpus: int, precision: str,
                    ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float],
                    input_tokens: float, output_tokens: float) -> CapacityResult:
    """Highest sustained request rate [req/s] of one replica whose TTFT and TPOT meet the SLO."""
    raise NotImplementedError("capacity_at_slo is implemented by the capacity module work")
