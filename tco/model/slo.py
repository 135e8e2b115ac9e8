"""The latency SLO for every option: met, missed or unknown, with the reason (docs/methodology.md "SLO").

Self-host options are sized at the SLO (:mod:`tco.model.capacity`): a configuration that cannot meet it has
no capacity and is infeasible; one that has a capacity meets it by construction, unless the capacity
was given inline (then nothing was checked).

API options are checked against the median latency figures of the API catalog (``latency`` of an
entry in data/api_offers.yaml: median time to first token [ms] and median output speed [tokens/s],
each with source and as-of). A published median cannot prove a p95, so the rule is:

* median > SLO (p95)                               -> ``missed`` (the p95 is at least the median);
* median x p95_over_median <= SLO                  -> ``met`` (p95 estimated from the median with the
  ratio of the assumptions catalog: ``api_ttft_p95_over_median``, ``api_tpot_p95_over_median``);
* otherwise                                        -> ``unknown`` (the median meets the SLO, the
  estimated p95 does not: not confirmed either way).

TPOT from an output speed: TPOT [ms] = 1000 / output_tokens_per_s. A metric the SLO does not set is
not checked; a metric the SLO sets and the catalog has no figure for gives ``unknown`` ("latency not
checked"), never ``met``. The worst status over TTFT and TPOT wins (missed > unknown > met).

A hybrid self-host option (``overflow``) serves the requests above its fleet with an API: those requests
meet the SLO only if that API does, so the option's status is the worst of its fleet's and its overflow
API's (:func:`hybrid_slo_check`), unless no request overflows over the horizon.

Units: latencies [ms], speeds [tokens/s].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from tco.core.percent import display_value

SloStatus = Literal["met", "missed", "unknown"]

#: order of severity: the worst status of the metrics is the option's status
_RANK = {"met": 0, "unknown": 1, "missed": 2}

NOT_CHECKED = "latency not checked"


@dataclass(frozen=True)
class SloCheck:
    """An option's SLO status and the reason (one sentence)."""

    status: SloStatus
    reason: str

    @property
    def feasible(self) -> bool:
        """False only when the SLO is known to be missed."""
        return self.status != "missed"


def tpot_ms_from_speed(output_tokens_per_s: Optional[float]) -> Optional[float]:
    """Time per output token [ms] = 1000 / output speed [tokens/s]; None when unknown or not > 0."""
    if output_tokens_per_s is None or output_tokens_per_s <= 0:
        return None
    return 1000.0 / float(output_tokens_per_s)


def median_vs_p95(metric: str, median_ms: Optional[float], slo_p95_ms: Optional[float],
                  p95_over_median: float) -> Optional[SloCheck]:
    """One metric of an API against a p95 limit (the rule in the module docstring).

    ``metric`` names it in the reason ("TTFT", "TPOT"); ``median_ms`` [ms]; ``slo_p95_ms`` [ms]
    (None: not set, returns None); ``p95_over_median`` [-] >= 1.
    """
    if slo_p95_ms is None:
        return None
    if median_ms is None:
        return SloCheck("unknown", f"{NOT_CHECKED}: no published {metric} figure for this API")
    est = median_ms * p95_over_median
    if median_ms > slo_p95_ms:
        return SloCheck("missed", f"{metric} median {median_ms:,.0f} ms already exceeds the SLO p95 {slo_p95_ms:,.0f} ms")
    if est <= slo_p95_ms:
        return SloCheck("met", f"{metric} p95 estimated {est:,.0f} ms (median {median_ms:,.0f} ms x {p95_over_median:g}) "
                               f"<= SLO {slo_p95_ms:,.0f} ms")
    return SloCheck("unknown", f"{metric} median {median_ms:,.0f} ms meets the SLO {slo_p95_ms:,.0f} ms but the p95 "
                               f"estimated {est:,.0f} ms (x {p95_over_median:g}) does not: not confirmed")


def combine(checks: list[Optional[SloCheck]], none_text: str) -> SloCheck:
    """The worst of several metric checks (missed > unknown > met); ``none_text`` when no metric is set."""
    got = [c for c in checks if c is not None]
    if not got:
        return SloCheck("met", none_text)
    worst = max(_RANK[c.status] for c in got)
    return SloCheck(next(c.status for c in got if _RANK[c.status] == worst),
                    "; ".join(c.reason for c in got if _RANK[c.status] == worst))


def api_slo_check(ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float], latency, ttft_p95_over_median: float,
                  tpot_p95_over_median: float) -> SloCheck:
    """SLO status of an API option from its catalog ``latency`` (an :class:`tco.catalog.ApiLatency` or None).

    With no SLO at all the status is ``met`` ("no latency SLO set").
    """
    if ttft_p95_ms is None and tpot_p95_ms is None:
        return SloCheck("met", "no latency SLO set")
    if latency is None:
        return SloCheck("unknown", f"{NOT_CHECKED}: the API catalog has no latency figure for this offer")
    ttft = None if latency.ttft_median_ms is None else float(latency.ttft_median_ms)
    tpot = tpot_ms_from_speed(latency.output_tokens_per_s_median)
    c = combine([median_vs_p95("TTFT", ttft, ttft_p95_ms, ttft_p95_over_median),
                 median_vs_p95("TPOT", tpot, tpot_p95_ms, tpot_p95_over_median)], "no latency SLO set")
    return SloCheck(c.status, f"{c.reason} (catalog latency: {latency.source}, as of {latency.as_of})")


def self_host_slo_check(ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float], capacity) -> SloCheck:
    """SLO status of a self-host option from its capacity (a :class:`tco.model.capacity.CapacityResult`).

    Infeasible capacity -> missed (its reason); capacity given inline -> unknown (nothing checked);
    otherwise met: the fleet is sized at the capacity that meets the SLO.
    """
    if capacity is None:
        return SloCheck("unknown", NOT_CHECKED)
    if not capacity.feasible:
        return SloCheck("missed", capacity.reason or "cannot meet the SLO")
    if capacity.source == "inline":
        return SloCheck("unknown", f"{NOT_CHECKED}: capacity_rps_per_replica given in the scenario")
    if ttft_p95_ms is None and tpot_p95_ms is None:
        return SloCheck("met", "no latency SLO set")
    got = []
    if capacity.ttft_ms is not None:
        got.append(f"TTFT {capacity.ttft_ms:,.0f} ms")
    if capacity.tpot_ms is not None:
        got.append(f"TPOT {capacity.tpot_ms:,.1f} ms")
    at = f" ({', '.join(got)} at the operating point)" if got else ""
    return SloCheck("met", f"sized at the {capacity.source} capacity that meets the SLO{at}")


def hybrid_slo_check(fleet: SloCheck, overflow_api: SloCheck, overflow_share: float, api_label: str) -> SloCheck:
    """SLO status of a hybrid option: its fleet's (:func:`self_host_slo_check`) and its overflow API's
    (:func:`api_slo_check`), the worst wins (missed > unknown > met).

    ``overflow_share`` [fraction 0-1] of the horizon's requests sent to the API: 0 means the API serves nothing
    and the fleet's status stands alone. Any overflow counts in full: a p95 target could absorb a few slow
    requests, but the API's figures are medians and this check does not count on it (conservative).
    ``api_label`` names the API in the reason.
    """
    if overflow_share <= 0:
        return SloCheck(fleet.status, f"{fleet.reason}; no request overflows to {api_label} over the horizon")
    api = SloCheck(overflow_api.status, f"overflow API {api_label} ({display_value(overflow_share, 'fraction')} of requests): "
                                        f"{overflow_api.reason}")
    fleet = SloCheck(fleet.status, f"fleet: {fleet.reason}")
    return combine([fleet, api], "")


__all__ = ["SloStatus", "SloCheck", "NOT_CHECKED", "tpot_ms_from_speed", "median_vs_p95", "combine",
           "api_slo_check", "self_host_slo_check", "hybrid_slo_check"]
