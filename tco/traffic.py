"""Traffic helpers for the app and reports: daily-profile presets, the forecast, a typical day, and
the share of requests served by the fleet vs the overflow API.

Pure functions (no Streamlit). Conventions as in :mod:`tco.workload`: a month has D = 730 / 24 days;
hours 0..23 of a typical day; loads in requests/s [req/s]; requests per day [req/day].
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import workload
from .constants import SECONDS_PER_DAY
from .engine import Result
from .scenario import MAX_MONTHS, Scenario, parse_month, month_index, month_labels

PRESETS = tuple(workload.DAILY_PROFILES)
MAX_SERIES_CSV_BYTES = 64_000  # a 240-month series is ~5 kB; anything much larger is not a series


class SeriesCsvError(ValueError):
    """A `month,requests_per_day` CSV that cannot be used; the message says what and where."""


def preset_weights(name: str) -> list[float]:
    """The 24 raw weights of a preset (not normalised)."""
    if name not in workload.DAILY_PROFILES:
        raise KeyError(f"unknown daily profile preset '{name}' (presets: {', '.join(PRESETS)})")
    return list(workload.DAILY_PROFILES[name])


def relative_load(weights) -> list[float]:
    """Hourly load relative to the day's average [-] = w_h / mean(w) (what the 24-bar chart shows)."""
    return [float(x) for x in workload.daily_weights(list(weights))]


def forecast(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """Month labels and requests per day of each month [req/day] (growth and events applied)."""
    return scenario.month_labels(), workload.requests_per_day_forecast(scenario.workload, scenario.start, scenario.months)


def parse_series_csv(data: bytes | str, start: Optional[str] = None, max_bytes: int = MAX_SERIES_CSV_BYTES) -> tuple[str, list[float]]:
    """Read a ``month,requests_per_day`` CSV (a header row, then one row per consecutive month).

    Returns (first month YYYY-MM, requests per day per month). Raises SeriesCsvError naming the line.
    With ``start`` given, the series must begin at that month.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise SeriesCsvError(f"file too large ({len(raw):,} bytes; at most {max_bytes:,})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SeriesCsvError("not a UTF-8 text file") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise SeriesCsvError("the file is empty; expected a header month,requests_per_day and one row per month")
    header = [c.strip().lower() for c in rows[0]]
    if header[:2] != ["month", "requests_per_day"] or len(header) != 2:
        raise SeriesCsvError(f"line 1: expected the header month,requests_per_day, got {','.join(rows[0])[:80]!r}")
    body = rows[1:]
    if not body:
        raise SeriesCsvError("no data rows after the header")
    if len(body) > MAX_MONTHS:
        raise SeriesCsvError(f"{len(body)} rows; at most {MAX_MONTHS} months")
    months, values = [], []
    for n, row in enumerate(body, start=2):
        if len(row) != 2:
            raise SeriesCsvError(f"line {n}: expected 2 columns (month,requests_per_day), got {len(row)}")
        try:
            months.append(parse_month(row[0].strip()))
        except ValueError:
            raise SeriesCsvError(f"line {n}: month must be YYYY-MM, got {row[0].strip()[:20]!r}") from None
        try:
            v = float(row[1].strip())
        except ValueError:
            raise SeriesCsvError(f"line {n}: requests_per_day must be a number, got {row[1].strip()[:20]!r}") from None
        if not math.isfinite(v) or v < 0 or v > 1e12:
            raise SeriesCsvError(f"line {n}: requests_per_day must be a finite number in [0, 1e12], got {v:g}")
        values.append(v)
    expected = month_labels(months[0], len(months))
    for n, (got, want) in enumerate(zip(months, expected), start=2):
        if got != want:
            raise SeriesCsvError(f"line {n}: months must be consecutive; expected {want}, got {got}")
    if start is not None and months[0] != start:
        raise SeriesCsvError(f"the series starts {months[0]}, the scenario starts {start}")
    return months[0], values


@dataclass(frozen=True)
class TypicalDay:
    """One option's typical day in one month. Arrays have 24 values (hours 0..23)."""

    option: str
    month: str
    load_rps: np.ndarray  # [req/s] offered load
    capacity_rps: np.ndarray  # [req/s] load the serving fleet takes within plan (x target utilisation)
    overflow_rps: np.ndarray  # [req/s] load above capacity, sent to the overflow API (hybrid) else 0
    hybrid: bool
    shaped: bool  # False when the scenario has no daily profile (flat day at the month's average)


def _weights(scenario: Scenario) -> tuple[np.ndarray, bool]:
    p = scenario.workload.daily_profile
    return (workload.daily_weights(p), True) if p is not None else (np.ones(24), False)


def typical_day(result: Result, option: str, month: int = 0) -> TypicalDay:
    """Load, fleet capacity and overflow over the 24 hours of month index ``month`` for a self-host option.

    capacity = serving replicas x capacity_rps_per_replica x target_utilization (spare replicas excluded;
    per hour for autoscaled fleets); overflow = max(0, load - capacity) for hybrid options only.
    """
    o = result.option(option)
    if o.kind != "self_host":
        raise ValueError(f"option '{option}' is not self-hosted")
    m = int(month)
    w, shaped = _weights(result.scenario)
    load = float(result.requests_per_day[m]) / SECONDS_PER_DAY * w
    p, fleet = o.params, o.fleet
    per_replica = float(p.capacity_rps) * float(p.target_utilization)
    spare = float(p.spare_replicas)
    hybrid = p.is_hybrid
    if hybrid:
        cap = np.full(24, float(fleet.fleet_rps[m]))
    elif fleet is not None and fleet.replicas_by_hour is not None:
        cap = (np.asarray(fleet.replicas_by_hour[m], dtype=float) - spare) * per_replica
    else:
        cap = np.full(24, (float(o.replicas[m]) - spare) * per_replica)
    over = np.maximum(0.0, load - cap) if hybrid else np.zeros(24)
    return TypicalDay(option, result.months[m], load, cap, over, hybrid, shaped)


@dataclass(frozen=True)
class ServedShare:
    option: str
    kind: str
    requests: float  # [req] over the horizon
    fleet_requests: float  # [req]
    api_requests: float  # [req]

    @property
    def fleet_share(self) -> float:
        return self.fleet_requests / self.requests if self.requests > 0 else float("nan")

    @property
    def api_share(self) -> float:
        return self.api_requests / self.requests if self.requests > 0 else float("nan")


def served_shares(result: Result) -> list[ServedShare]:
    """Per option, requests over the horizon served by the own/rented fleet vs by an API [req].

    API options: all by the API; self-host: all by the fleet, except hybrid options whose overflow_requests
    go to the API.
    """
    out = []
    for o in result.options:
        total = float(np.sum(o.requests))
        if o.kind == "api":
            api = total
        else:
            ov = o.fleet.overflow_requests if o.fleet is not None else None
            api = float(np.sum(ov)) if ov is not None else 0.0
        out.append(ServedShare(o.name, o.kind, total, total - api, api))
    return out


def event_month_indices(scenario: Scenario) -> list[tuple[int, float]]:
    """(month index, factor) of each event inside the horizon (for chart markers)."""
    out = []
    for e in scenario.workload.events:
        k = month_index(scenario.start, e.month)
        if 0 <= k < scenario.months:
            out.append((k, e.multiply))
    return out


__all__ = ["PRESETS", "MAX_SERIES_CSV_BYTES", "SeriesCsvError", "preset_weights", "relative_load", "forecast",
           "parse_series_csv", "TypicalDay", "typical_day", "ServedShare", "served_shares", "event_month_indices"]
