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
