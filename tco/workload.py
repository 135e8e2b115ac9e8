"""Workload: the traffic forecast turned into requests, tokens and peak load per month.

Conventions: month index m = 0 .. months-1 is the last axis of every array; a month has
H = 730 hours and D = H / 24 days. Inputs broadcast (a leading axis of Monte Carlo draws works).
"""
from __future__ import annotations

import numpy as np

from .constants import DAYS_PER_MONTH, SECONDS_PER_DAY


def requests_per_day_compound(requests_per_day, growth_per_month, months: int) -> np.ndarray:
    """Requests per day in month m [req/day] = requests_per_day x (1 + growth)^m."""
    m = np.arange(months, dtype=float)
    rpd = np.asarray(requests_per_day, dtype=float)[..., None]
    g = np.asarray(growth_per_month, dtype=float)[..., None]
    out = rpd * np.power(1.0 + g, m)
    return out[0] if out.ndim == 2 and np.ndim(requests_per_day) == 0 and np.ndim(growth_per_month) == 0 else out


def monthly_requests(requests_per_day_m) -> np.ndarray:
    """Requests in month m [req] = requests_per_day_m [req/day] x D [day/month], D = 730 / 24."""
    return np.asarray(requests_per_day_m, dtype=float) * DAYS_PER_MONTH


def monthly_tokens(requests_m, tokens_per_request) -> np.ndarray:
    """Tokens in month m [tokens] = requests_m [req] x tokens per request [tokens/req]."""
    return np.asarray(requests_m, dtype=float) * tokens_per_request


def peak_rps(requests_per_day_m, peak_to_average) -> np.ndarray:
    """Peak-hour request rate [req/s] = requests_per_day_m / 86,400 [s/day] x peak_to_average."""
    return np.asarray(requests_per_day_m, dtype=float) / SECONDS_PER_DAY * peak_to_average


# ----------------------------------------------------------------------------------------------
# Traffic forecasts and the daily load shape (formulas in docs/methodology_traffic.md)

#: Daily profile presets: relative request weights for hours 0..23 (local time of the users).
#: These are illustrative shapes (kind: judgement), not measurements: edit them, or give your own
#: 24 weights from your traffic logs. Only their shape matters (they are normalised to mean 1).
DAILY_PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 24,
    # office traffic: quiet nights, a ramp 7-9h, a plateau 9-17h with a lunch dip, tail to 20h
    "business_hours": (0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.6, 2.2, 2.4, 2.4,
                       2.0, 2.3, 2.4, 2.3, 2.0, 1.4, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1),
    # consumer app: low early morning, rising through the day, peak 19-22h
    "consumer_evening": (0.6, 0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0,
                         1.1, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.1, 2.0, 1.6, 1.1),
    # batch jobs scheduled overnight, light interactive use by day
    "overnight_batch": (2.5, 2.5, 2.5, 2.5, 2.5, 2.0, 1.0, 0.5, 0.4, 0.4, 0.4, 0.4,
                        0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.5, 0.6, 1.0, 1.5, 2.2),
}


def requests_per_day_linear(requests_per_day, added_per_month, months: int) -> np.ndarray:
    """Requests per day in month m [req/day] = max(0, requests_per_day + added_per_month x m)."""
    m = np.arange(months, dtype=float)
    r0 = np.asarray(requests_per_day, dtype=float)[..., None]
    return np.maximum(0.0, r0 + np.asarray(added_per_month, dtype=float)[..., None] * m)


def requests_per_day_s_curve(requests_per_day, ceiling_requests_per_day, midpoint_month, steepness, months: int) -> np.ndarray:
    """Requests per day in month m [req/day], a logistic rescaled to start at requests_per_day:

    rpd_m = r0 + (ceiling - r0) x (L(m) - L(0)) / (1 - L(0)),  L(m) = 1 / (1 + exp(-steepness x (m - midpoint)))

    r0 = requests_per_day [req/day] (month 0 exactly); rpd tends to ceiling [req/day]; growth is fastest
    at midpoint_month [month]; steepness [1/month].
    """
    m = np.arange(months, dtype=float)
    r0 = np.asarray(requests_per_day, dtype=float)[..., None]
    cap = np.asarray(ceiling_requests_per_day, dtype=float)[..., None]
    mid = np.asarray(midpoint_month, dtype=float)[..., None]
    k = np.asarray(steepness, dtype=float)[..., None]
    logistic = 1.0 / (1.0 + np.exp(-k * (m - mid)))
    l0 = 1.0 / (1.0 + np.exp(k * mid))
    return r0 + (cap - r0) * (logistic - l0) / (1.0 - l0)


def requests_per_day_series(values, months: int) -> np.ndarray:
    """Requests per day in month m [req/day] = values[m] (the first ``months`` values of the series)."""
    v = np.asarray(values, dtype=float)
    if v.shape[-1] < months:
        raise ValueError(f"series has {v.shape[-1]} values, the horizon has {months} months")
    return v[..., :months].copy()


def event_multipliers(event_months, factors, months: int) -> np.ndarray:
    """Step-change multiplier of month m [-] = product of the factors of every event with month index <= m.

    event_months: month indices (0 = the first month; events at or after ``months`` have no effect).
    """
    mult = np.ones(months)
    for idx, f in zip(event_months, factors):  # loop over events, not months
        if 0 <= idx < months:
            mult[int(idx):] *= f
    return mult


def requests_per_day_forecast(w, start: str, months: int) -> np.ndarray:
    """Requests per day for each month [req/day] of a scenario ``Workload`` (forecast x events)."""
    from .scenario import month_index

    g = w.growth
    if g is None:
        rpd = requests_per_day_compound(w.requests_per_day, w.growth_per_month, months)
    elif g.kind == "compound":
        rpd = requests_per_day_compound(w.requests_per_day, g.rate_per_month, months)
    elif g.kind == "linear":
        rpd = requests_per_day_linear(w.requests_per_day, g.requests_per_day_added_per_month, months)
    elif g.kind == "s_curve":
        rpd = requests_per_day_s_curve(w.requests_per_day, g.ceiling_requests_per_day, g.midpoint_month, g.steepness, months)
    else:
        rpd = requests_per_day_series(g.requests_per_day, months)
    if w.events:
        rpd = rpd * event_multipliers([month_index(start, e.month) for e in w.events], [e.multiply for e in w.events], months)
    return rpd


def daily_weights(profile) -> np.ndarray:
    """Hourly weights normalised to mean 1 [-]: w_h / mean(w), from a preset name or 24 weights."""
    w = np.asarray(DAILY_PROFILES[profile] if isinstance(profile, str) else profile, dtype=float)
    if w.shape != (24,) or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ValueError("a daily profile is 24 finite weights >= 0, at least one > 0")
    return w / w.mean()


def hourly_rps(requests_per_day_m, weights) -> np.ndarray:
    """Request rate in hour h of month m [req/s] = requests_per_day_m / 86,400 x w_h / mean(w).

    Returns shape (..., months, 24). ``weights`` must already be normalised (see daily_weights).
    """
    return np.asarray(requests_per_day_m, dtype=float)[..., None] / SECONDS_PER_DAY * np.asarray(weights, dtype=float)


def hour_percentile(hourly_rps_mh, q) -> np.ndarray:
    """Nearest-rank percentile of the 24 hourly loads of each month [req/s].

    Sort the 24 hours of month m ascending, x_(1) <= ... <= x_(24); return x_(k) with k = ceil(q x 24)
    (q in (0, 1]; q = 1 is the peak hour). At least a share q of the hours has load <= the result.
    """
    x = np.sort(np.asarray(hourly_rps_mh, dtype=float), axis=-1)
    n = x.shape[-1]
    k = np.clip(np.ceil(np.asarray(q, dtype=float) * n - 1e-9).astype(int), 1, n)
    shape = np.broadcast_shapes(k.shape, x.shape[:-1])
    x = np.broadcast_to(x, shape + (n,))
    return np.take_along_axis(x, np.broadcast_to(k, shape)[..., None] - 1, axis=-1)[..., 0]
