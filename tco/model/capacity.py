"""Capacity: requests per second one replica sustains within the SLO.

The engine calls only :func:`capacity_at_slo`. Method (docs/capacity.md):

1. Profiles: of the catalog's profiles with the same model, GPU, GPUs per replica and precision,
   keep ``online_serving`` ones (offline max-throughput runs have no latency bound and are never
   used as SLO capacity), of the requested engine if the option names one (:func:`engine_matches`;
   speculative-decoding profiles only when named), and take those nearest the workload in ISL/OSL
   (distance = |ln(ISL_w / ISL_p)| + |ln(OSL_w / OSL_p)|). Several at that distance (engines,
   parallel layouts): the one with the highest capacity at the SLO ("best measured"); with no engine
   asked, a profile whose engine is ``unknown`` is used only when no profile of a named engine is as near.
2. Statistic: the SLO is a p95. Per metric we use p95 if the profile gives it, else a p95 derived
   from the median and p99 when both are published (lognormal tail, :func:`p95_from_median_p99`),
   else p99 (a conservative stand-in), else p90 (optimistic, said so), else the mean or median
   ("means only"). TPOT falls back to ITL when a profile has no TPOT.
3. Capacity: walk the sweep in load order; the capacity is the throughput where the first latency
   crosses its limit, interpolated linearly between the last point that meets the SLO and the first
   that does not. Every point meets it: the highest measured throughput (no extrapolation). The
   lightest point already fails: infeasible (``rps=None``, "cannot meet the SLO").
4. ISL/OSL adjustment (source ``adjusted``), when the workload's mean ISL or OSL differs from the
   profile's by more than ``ADJUST_TOLERANCE``: each point is rescaled with the estimator's physics
   before step 3 (see :func:`adjust_points`).
5. No usable profile: the estimator (source ``estimated``), see
   :func:`tco.model.perf.estimated_capacity_at_slo`.

Units: request rates [req/s], latencies [ms], token counts [tokens].
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal, Optional, Sequence

import numpy as np

from tco.model import perf

CapacitySource = Literal["inline", "measured", "adjusted", "estimated"]

#: Relative ISL/OSL difference below which a profile is used as measured, without adjustment [-].
ADJUST_TOLERANCE = 0.10
#: Statistics tried for a p95 SLO, in order, with the note each one adds.
STAT_ORDER = (
    ("p95", None),
    ("p95_from_median_p99", "p95 derived from median and p99 (lognormal tail: p50 x (p99/p50)^(1.645/2.326))"),
    ("p99", "p99 used as a conservative stand-in for p95"),
    ("p90", "p90 used as an optimistic stand-in for p95"),
    ("mean", "means only: the profile publishes no percentiles; the p95 is likely higher"),
    ("median", "medians only: the profile publishes no percentiles; the p95 is likely higher"),
)


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
    output_tokens_per_s: Optional[float] = None  # [tokens/s] per replica at rps (workload OSL)
    ttft_ms: Optional[float] = None  # [ms] TTFT statistic at the operating point (see notes for which)
    tpot_ms: Optional[float] = None  # [ms] TPOT statistic at the operating point
    rps_low: Optional[float] = None  # [req/s] low end of the estimate's range (estimated only; measured: None)
    rps_high: Optional[float] = None  # [req/s] high end of the estimate's range
    engine: Optional[str] = None  # serving engine of the profile used (None when estimated)

    @property
    def low(self) -> Optional[float]:
        """Low end of the capacity [req/s]: ``rps_low`` for estimates, ``rps`` for measured points."""
        return self.rps_low if self.rps_low is not None else self.rps

    @property
    def high(self) -> Optional[float]:
        """High end of the capacity [req/s]: ``rps_high`` for estimates, ``rps`` for measured points."""
        return self.rps_high if self.rps_high is not None else self.rps

    @property
    def feasible(self) -> bool:
        return self.rps is not None and self.rps > 0


@dataclass(frozen=True)
class Sweep:
    """A profile's load sweep as arrays in load order (NaN where unknown)."""

    rps: np.ndarray  # [req/s] completed request throughput
    ttft_ms: np.ndarray  # [ms] chosen statistic
    tpot_ms: np.ndarray  # [ms] chosen statistic
    concurrency: np.ndarray  # [-] (NaN when the point was rate-driven)
    ttft_stat: Optional[str] = None
    tpot_stat: Optional[str] = None
    notes: tuple[str, ...] = ()


#: Standard normal quantiles used by :func:`p95_from_median_p99` [-].
Z95, Z99 = 1.6448536269514722, 2.3263478740408408


def p95_from_median_p99(median_ms, p99_ms):
    """p95 of a latency from its median and p99 [ms], assuming a lognormal tail.

    ln x is normal with mean ln(p50) and sigma = ln(p99/p50) / z99, so
        p95 = p50 x (p99 / p50)^(z95 / z99),  z95 = 1.645, z99 = 2.326  (exponent 0.7071)
    i.e. log-linear in the normal quantile between p50 and p99. p99 < p50 (inconsistent) gives p99.
    Works on scalars and numpy arrays.
    """
    m = np.asarray(median_ms, dtype=float)
    p = np.asarray(p99_ms, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((m > 0) & (p >= m), m * np.power(p / np.where(m > 0, m, 1.0), Z95 / Z99), p)
    return float(out) if out.ndim == 0 else out


def stat_value(stats, key: str) -> Optional[float]:
    """A statistic of a Stats record [ms]; ``p95_from_median_p99`` is derived (None if either is missing)."""
    if stats is None:
        return None
    if key == "p95_from_median_p99":
        if stats.median is None or stats.p99 is None:
            return None
        return p95_from_median_p99(stats.median, stats.p99)
    return getattr(stats, key)


def pick_statistic(stats_list: Sequence, metric: str) -> tuple[Optional[str], Optional[str]]:
    """First statistic of STAT_ORDER known at every point that has any value for ``metric``.

    Returns (statistic name or None, note or None).
    """
    present = [s for s in stats_list if s is not None and any(stat_value(s, k) is not None for k, _ in STAT_ORDER)]
    if not present:
        return None, None
    for key, note in STAT_ORDER:
        if all(stat_value(s, key) is not None for s in present):
            return key, (f"{metric}: {note}" if note else None)
    for key, note in STAT_ORDER:  # mixed: the best statistic some points have
        if any(stat_value(s, key) is not None for s in present):
            return key, f"{metric}: {note or 'p95'} (only at some points)"
    return None, None  # pragma: no cover


def _load_key(p) -> tuple:
    rate = p.request_rate if p.request_rate is not None else math.inf
    conc = p.concurrency if p.concurrency is not None else math.inf
    return (rate, conc, p.request_throughput_rps or 0.0)


def profile_sweep(profile) -> Sweep:
    """The load sweep of a ProfileEntry in load order, with the statistics chosen for a p95 SLO.

    A point's throughput is ``request_throughput_rps``, else ``output_tokens_per_s / osl``.
    Throughput is made non-decreasing along the sweep (running maximum) so that capacity never
    falls when a heavier point happened to complete fewer requests.
    """
    pts = sorted(profile.points, key=_load_key)
    notes = []
    tt_stat, tt_note = pick_statistic([p.ttft_ms for p in pts], "TTFT")
    tp_src = "tpot_ms"
    tp_stat, tp_note = pick_statistic([p.tpot_ms for p in pts], "TPOT")
    if tp_stat is None:
        tp_src = "itl_ms"
        tp_stat, tp_note = pick_statistic([p.itl_ms for p in pts], "TPOT (from ITL)")
        if tp_stat is not None:
            notes.append("TPOT taken from inter-token latency (the profile has no TPOT)")
    notes += [n for n in (tt_note, tp_note) if n]
    rps, tt, tp, cc = [], [], [], []
    for p in pts:
        r = p.request_throughput_rps
        if r is None and p.output_tokens_per_s is not None and profile.osl:
            r = p.output_tokens_per_s / profile.osl
        rps.append(np.nan if r is None else r)
        v = stat_value(p.ttft_ms, tt_stat) if tt_stat else None
        tt.append(np.nan if v is None else v)
        v = stat_value(getattr(p, tp_src), tp_stat) if tp_stat else None
        tp.append(np.nan if v is None else v)
        cc.append(np.nan if p.concurrency is None else p.concurrency)
    rps_a = np.array(rps, dtype=float)
    keep = ~np.isnan(rps_a)
    rps_a = np.fmax.accumulate(rps_a[keep]) if keep.any() else rps_a[keep]
    return Sweep(rps_a, np.array(tt)[keep], np.array(tp)[keep], np.array(cc)[keep], tt_stat, tp_stat, tuple(notes))


def capacity_from_sweep(sweep: Sweep, ttft_limit_ms: Optional[float], tpot_limit_ms: Optional[float]
                        ) -> tuple[Optional[float], Optional[str], Optional[int], float]:
    """Highest throughput [req/s] meeting both limits, interpolated along the sweep.

    For each point i: ok_i = TTFT_i <= ttft_limit and TPOT_i <= tpot_limit (unknown = no limit
    checked). With k the first failing point (k >= 1):
        f = min over failing metrics of (limit - x_{k-1}) / (x_k - x_{k-1})
        rps = rps_{k-1} + f x (rps_k - rps_{k-1})
    Returns (rps or None, reason when None, index of the last good point or None, f in [0, 1]).
    """
    n = len(sweep.rps)
    if n == 0:
        return None, "the profile has no point with a request throughput", None, 0.0

    def viol(i: int) -> list[tuple[str, float, float]]:
        out = []
        if ttft_limit_ms is not None and not np.isnan(sweep.ttft_ms[i]) and sweep.ttft_ms[i] > ttft_limit_ms:
            out.append(("ttft", float(sweep.ttft_ms[i]), ttft_limit_ms))
        if tpot_limit_ms is not None and not np.isnan(sweep.tpot_ms[i]) and sweep.tpot_ms[i] > tpot_limit_ms:
            out.append(("tpot", float(sweep.tpot_ms[i]), tpot_limit_ms))
        return out

    for k in range(n):
        bad = viol(k)
        if not bad:
            continue
        if k == 0:
            what = "; ".join(f"{m.upper()} {v:.1f} ms > {lim:g} ms" for m, v, lim in bad)
            return None, (f"this configuration cannot meet the SLO: at the lightest measured load "
                          f"({sweep.rps[0]:.3g} req/s) {what}"), None, 0.0
        f = 1.0
        for m, v, lim in bad:
            prev = float((sweep.ttft_ms if m == "ttft" else sweep.tpot_ms)[k - 1])
            if np.isnan(prev) or v <= prev:
                f = min(f, 0.0)
            else:
                f = min(f, (lim - prev) / (v - prev))
        f = float(np.clip(f, 0.0, 1.0))
        return float(sweep.rps[k - 1] + f * (sweep.rps[k] - sweep.rps[k - 1])), None, k - 1, f
    return float(sweep.rps[-1]), None, n - 1, 0.0


def _interp(sweep_vals: np.ndarray, i: Optional[int], f: float) -> Optional[float]:
    if i is None or len(sweep_vals) == 0:
        return None
    a = float(sweep_vals[i])
    b = float(sweep_vals[min(i + 1, len(sweep_vals) - 1)])
    v = a + f * (b - a)
    return None if math.isnan(v) else v


def profile_distance(profile, isl: float, osl: float) -> float:
    """|ln(ISL_w/ISL_p)| + |ln(OSL_w/OSL_p)|; a profile without ISL/OSL counts as 10 (far)."""
    if not profile.isl or not profile.osl or isl <= 0 or osl <= 0:
        return 10.0
    return abs(math.log(isl / profile.isl)) + abs(math.log(osl / profile.osl))


def candidate_profiles(catalog, model: str, gpu: str, gpus: int, precision: str) -> tuple[list, list]:
    """(online profiles, offline profiles) for exactly this model, GPU, GPU count and precision."""
    online, offline = [], []
    for p in getattr(catalog, "profiles", {}).values():
        if p.model == model and p.gpu == gpu and p.gpus == gpus and p.precision == precision.lower():
            (online if p.scenario == "online_serving" else offline).append(p)
    return online, offline


def adjust_points(sweep: Sweep, model, gpu_entry, gpus: int, precision: str, isl_p: float, osl_p: float,
                  isl_w: float, osl_w: float) -> Sweep:
    """Rescale a sweep measured at (ISL_p, OSL_p) to a workload (ISL_w, OSL_w).

    GPU time per request is a x ISL + b x OSL with a = prefill work per input token and
    b = decode step time / batch per output token, both from the estimator at the point's batch
    (batch = concurrency, else rps x (TTFT + OSL x TPOT) / 1000 by Little's law). Then per point:
        rps'  = rps  x (a ISL_p + b OSL_p) / (a ISL_w + b OSL_w)
        TTFT' = TTFT x t_prefill(ISL_w) / t_prefill(ISL_p)
        TPOT' = TPOT x t_step(batch', ISL_w + OSL_w/2) / t_step(batch, ISL_p + OSL_p/2)
    with batch' = batch x rps'/rps x (OSL_w / OSL_p) (Little's law at the new request length).
    """
    if len(sweep.rps) == 0:
        return sweep
    n = len(sweep.rps)
    cp = perf.config_arrays([model], [gpu_entry], [gpus], [precision], [isl_p], [osl_p])
    cw = perf.config_arrays([model], [gpu_entry], [gpus], [precision], [isl_w], [osl_w])
    tt = np.where(np.isnan(sweep.ttft_ms), 0.0, sweep.ttft_ms)
    tp = np.where(np.isnan(sweep.tpot_ms), 0.0, sweep.tpot_ms)
    batch = np.where(np.isnan(sweep.concurrency), sweep.rps * (tt + osl_p * tp) / 1000.0, sweep.concurrency)
    batch = np.maximum(batch, 1.0)
    cal = perf.CALIBRATION
    a_p = perf.prefill_work_s(cp, cal)[0] / isl_p
    a_w = perf.prefill_work_s(cw, cal)[0] / isl_w
    step_p = perf.decode_step_s(cp, batch, isl_p + osl_p / 2.0, cal)
    b = step_p / batch
    scale = (a_p * isl_p + b * osl_p) / (a_w * isl_w + b * osl_w)
    rps_w = sweep.rps * scale
    batch_w = np.maximum(batch * scale * osl_w / osl_p, 1.0)
    step_w = perf.decode_step_s(cw, batch_w, isl_w + osl_w / 2.0, cal)
    ttft_ratio = perf.prefill_alone_s(cw, cal)[0] / perf.prefill_alone_s(cp, cal)[0]
    return Sweep(np.fmax.accumulate(rps_w), sweep.ttft_ms * ttft_ratio, sweep.tpot_ms * step_w / step_p,
                 np.where(np.isnan(sweep.concurrency), np.nan, batch_w[:n]), sweep.ttft_stat, sweep.tpot_stat,
                 sweep.notes)


def capacity_from_profile(profile, ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float],
                          input_tokens: float, output_tokens: float, model=None, gpu_entry=None) -> CapacityResult:
    """Capacity at the SLO from one profile (adjusted to the workload's ISL/OSL when needed)."""
    sweep = profile_sweep(profile)
    notes = list(sweep.notes)
    source: CapacitySource = "measured" if profile.kind == "measured" else "estimated"
    if profile.kind not in ("measured",):
        notes.append(f"profile {profile.id} is kind '{profile.kind}'")
    need_adjust = bool(profile.isl and profile.osl) and (
        abs(input_tokens / profile.isl - 1.0) > ADJUST_TOLERANCE or abs(output_tokens / profile.osl - 1.0) > ADJUST_TOLERANCE)
    if need_adjust and model is not None and gpu_entry is not None:
        sweep = adjust_points(sweep, model, gpu_entry, profile.gpus, profile.precision, profile.isl, profile.osl,
                              input_tokens, output_tokens)
        source = "adjusted"
        notes.append(f"adjusted from ISL/OSL {profile.isl:g}/{profile.osl:g} to {input_tokens:g}/{output_tokens:g} "
                     "(prefill + decode time model, docs/capacity.md)")
    elif need_adjust:
        notes.append(f"profile ISL/OSL {profile.isl:g}/{profile.osl:g} differ from the workload's "
                     f"{input_tokens:g}/{output_tokens:g}; not adjusted (model or GPU not in the catalog)")
    elif not (profile.isl and profile.osl):
        notes.append("the profile does not state its ISL/OSL: used as is")
    if ttft_p95_ms is not None and sweep.ttft_stat is None:
        notes.append("the profile has no TTFT figures: the TTFT limit is not checked")
    if tpot_p95_ms is not None and sweep.tpot_stat is None:
        notes.append("the profile has no TPOT/ITL figures: the TPOT limit is not checked")
    rps, reason, i, f = capacity_from_sweep(sweep, ttft_p95_ms, tpot_p95_ms)
    if rps is not None and i == len(sweep.rps) - 1:
        notes.append("the SLO is met at every measured point: capacity capped at the highest measured load")
    return CapacityResult(rps=rps, source=source, profile_id=profile.id, notes=tuple(notes), reason=reason,
                          output_tokens_per_s=None if rps is None else rps * output_tokens,
                          ttft_ms=_interp(sweep.ttft_ms, i, f), tpot_ms=_interp(sweep.tpot_ms, i, f))


def _norm_engine(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def engine_matches(profile, wanted: Optional[str]) -> bool:
    """Does a profile belong to the engine an option asks for?

    ``wanted`` is an engine name, optionally with a speculative method after ``+`` (``sglang+mtp``).
    Case and punctuation are ignored and the name may be a prefix (``tensorrt`` matches
    ``TensorRT-LLM v1.0``). No engine asked (None): every non-speculative profile matches.
    """
    spec = getattr(profile, "speculative", None)
    if not wanted:
        return spec is None
    base, _, want_spec = wanted.partition("+")
    if (want_spec.strip().lower() or None) != (spec.lower() if spec else None):
        return False
    return _norm_engine(profile.engine).startswith(_norm_engine(base))


def engine_known(profile) -> bool:
    """Does the profile name its serving engine? (importers write ``unknown`` when the source does not say)"""
    return _norm_engine(profile.engine) not in ("", "unknown")


def _select_engine(online: list, engine: Optional[str]) -> list:
    """Profiles of the asked engine; exact name matches win over prefix matches."""
    hits = [p for p in online if engine_matches(p, engine)]
    if engine:
        base = _norm_engine(engine.partition("+")[0])
        exact = [p for p in hits if _norm_engine(p.engine) == base]
        return exact or hits
    return hits


def capacity_at_slo(catalog, model: str, gpu: str, gpus: int, precision: str,
                    ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float],
                    input_tokens: float, output_tokens: float, engine: Optional[str] = None) -> CapacityResult:
    """Highest sustained request rate [req/s] of one replica whose TTFT and TPOT meet the SLO.

    Parameters: ``ttft_p95_ms``/``tpot_p95_ms`` the SLO [ms] (None = no limit);
    ``input_tokens``/``output_tokens`` the workload's mean ISL/OSL [tokens/request];
    ``engine`` the serving engine to use (None: the best measured, see the module docstring).
    Nearest online profile first (measured or adjusted), else the estimator (estimated, with a range).
    """
    precision = precision.lower()
    m = getattr(catalog, "models", {}).get(model)
    g = getattr(catalog, "gpus", {}).get(gpu)
    online_all, offline = candidate_profiles(catalog, model, gpu, gpus, precision)
    online = _select_engine(online_all, engine)
    pre_notes = []
    if offline and not online_all:
        shown = ", ".join(p.id for p in offline[:2]) + (f" and {len(offline) - 2} more" if len(offline) > 2 else "")
        pre_notes.append(f"{len(offline)} offline max-throughput profile(s) ignored ({shown}): "
                         "no latency bound, not an SLO capacity")
    if engine and online_all and not online:
        engines = sorted({p.engine + (f"+{p.speculative}" if getattr(p, "speculative", None) else "") for p in online_all})
        pre_notes.append(f"no measured profile for engine '{engine}' (measured: {', '.join(engines)}): estimated instead")
    if online:
        dist = {p.id: profile_distance(p, input_tokens, output_tokens) for p in online}
        d_min = min(dist.values())
        near = [p for p in online if dist[p.id] <= d_min + 1e-9]
        if any(p.kind == "measured" for p in near):
            near = [p for p in near if p.kind == "measured"]
        if not engine and any(engine_known(p) for p in near) and not all(engine_known(p) for p in near):
            dropped = [p.id for p in near if not engine_known(p)]
            near = [p for p in near if engine_known(p)]
            pre_notes.append(f"{len(dropped)} profile(s) of an unknown engine not used ({', '.join(dropped[:3])}"
                             f"{' ...' if len(dropped) > 3 else ''}): a profile of a named engine is as near")
        results = [(capacity_from_profile(p, ttft_p95_ms, tpot_p95_ms, input_tokens, output_tokens, m, g), p)
                   for p in sorted(near, key=lambda p: p.id)]
        res, best = max(results, key=lambda rp: (rp[0].rps if rp[0].rps is not None else -1.0))
        extra = []
        if len(online) > len(near):
            extra.append(f"nearest of {len(online)} profiles in ISL/OSL")
        if len(results) > 1:
            shown = ", ".join(f"{p.id}: {'-' if r.rps is None else f'{r.rps:.3g}'}" for r, p in results[:6])
            extra.append(f"best measured of {len(results)} profiles at this ISL/OSL"
                         f"{'' if engine else ' (any engine)'}: {shown}" + (" ..." if len(results) > 6 else ""))
        return CapacityResult(**{**res.__dict__, "notes": tuple(pre_notes) + res.notes + tuple(extra),
                                 "engine": best.engine})
    if m is None or g is None:
        missing = "model" if m is None else "GPU"
        return CapacityResult(rps=None, source="estimated", notes=tuple(pre_notes),
                              reason=f"no profile and unknown {missing} id '{model if m is None else gpu}': nothing to estimate from")
    rps, reason, est = perf.estimated_capacity_at_slo(m, g, gpus, precision, input_tokens, output_tokens,
                                                      ttft_p95_ms, tpot_p95_ms)
    lo, hi = perf.capacity_range(rps, m, g, gpus)
    notes = pre_notes + ["estimated by the physics model (docs/estimator.md): no measured profile for this configuration",
                         f"p95 taken as median x {perf.TTFT_P95_OVER_MEDIAN:g} (TTFT) and x {perf.TPOT_P95_OVER_MEDIAN:g} (TPOT)"]
    if lo is not None:
        notes.append(f"range {lo:.3g}-{hi:.3g} req/s: P10-P90 of the leave-one-GPU-out error (docs/estimator.md)")
    notes += list(est.notes)
    return CapacityResult(rps=rps, source="estimated", profile_id=None, notes=tuple(dict.fromkeys(notes)),
                          reason=reason, output_tokens_per_s=None if rps is None else rps * output_tokens,
                          ttft_ms=None if est.ttft_ms is None else est.ttft_ms * perf.TTFT_P95_OVER_MEDIAN,
                          tpot_ms=None if est.tpot_ms is None else est.tpot_ms * perf.TPOT_P95_OVER_MEDIAN,
                          rps_low=lo, rps_high=hi)


__all__ = ["CapacityResult", "CapacitySource", "capacity_at_slo", "capacity_from_profile", "capacity_from_sweep",
           "profile_sweep", "pick_statistic", "p95_from_median_p99", "stat_value", "engine_matches", "engine_known", "adjust_points", "candidate_profiles", "profile_distance", "Sweep",
           "ADJUST_TOLERANCE", "STAT_ORDER"]
