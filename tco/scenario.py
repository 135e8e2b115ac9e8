"""The scenario file: the public interface (documented in docs/scenario.md).

A scenario is a YAML mapping: name, start month, horizon, workload, SLO, finance and ops settings,
and the options to compare (API offers and self-host configurations). Unknown fields are rejected
so a typo never silently falls back to a default. Validation problems are reported as
``file: path.to.field: message``.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .catalog import format_validation_error
from .exceptions import Problem, ScenarioError
from .safeyaml import YamlLoadError, dump_yaml, load_yaml_file, load_yaml_text

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]
MAX_MONTHS = 240


def _accepts_bool(model: type, field_name: Optional[str]) -> bool:
    f = model.model_fields.get(field_name or "")
    if f is None:
        return True
    ann = f.annotation
    return ann is bool or bool in getattr(ann, "__args__", ())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {v}")
        if isinstance(v, bool) and not _accepts_bool(cls, info.field_name):
            # YAML `true` would otherwise become 1 for a number field
            raise ValueError(f"must be a number, got {v!r}")
        return v


class Growth(_Model):
    """Traffic forecast (docs/scenario_traffic.md). Only the fields of the chosen ``kind`` may be given."""

    kind: Literal["compound", "linear", "s_curve", "series"] = Field(description="Forecast shape.")
    rate_per_month: Optional[float] = Field(None, gt=-1, le=10, description="compound: growth per month [1/month].")
    requests_per_day_added_per_month: Optional[float] = Field(
        None, ge=-1e12, le=1e12, description="linear: requests/day added each month [req/day/month].")
    ceiling_requests_per_day: Optional[float] = Field(None, ge=0, le=1e12, description="s_curve: level approached [req/day].")
    midpoint_month: Optional[float] = Field(None, ge=-1000, le=1000, description="s_curve: month index of fastest growth.")
    steepness: Optional[float] = Field(None, gt=0, le=100, description="s_curve: logistic steepness [1/month].")
    requests_per_day: Optional[list[float]] = Field(
        None, min_length=1, max_length=MAX_MONTHS, description="series: requests/day for each month [req/day].")

    @field_validator("requests_per_day")
    @classmethod
    def _series_values(cls, v: Optional[list[float]]) -> Optional[list[float]]:
        if v is not None:
            for i, x in enumerate(v):
                if not math.isfinite(x) or x < 0 or x > 1e12:
                    raise ValueError(f"value {i} must be a finite number in [0, 1e12], got {x}")
        return v

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "Growth":
        fields = _GROWTH_FIELDS[self.kind]
        missing = [f for f in fields if getattr(self, f) is None]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        other = sorted(f for fs in _GROWTH_FIELDS.values() for f in fs if f not in fields and getattr(self, f) is not None)
        if other:
            raise ValueError(f"kind {self.kind} does not use {', '.join(other)}")
        return self


_GROWTH_FIELDS = {
    "compound": ("rate_per_month",),
    "linear": ("requests_per_day_added_per_month",),
    "s_curve": ("ceiling_requests_per_day", "midpoint_month", "steepness"),
    "series": ("requests_per_day",),
}


class Event(_Model):
    """A step change: from ``month`` on, traffic is multiplied by ``multiply``."""

    month: str = Field(description="First month affected, YYYY-MM.")
    multiply: float = Field(ge=0, le=1e6, description="Factor applied from that month on.")

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v: Any) -> str:
        return parse_month(v)


class MixBucket(_Model):
    """One request-size bucket of ``workload.mix`` (docs/scenario_optimizer.md)."""

    share: float = Field(gt=0, le=1, description="Share of requests in this bucket [0-1].")
    input_tokens: float = Field(gt=0, le=1e8, description="Mean input tokens per request of the bucket [tokens].")
    output_tokens: float = Field(gt=0, le=1e8, description="Mean output tokens per request of the bucket [tokens].")


class Workload(_Model):
    requests_per_day: float = Field(ge=0, le=1e12, description="Requests per day in the first month.")
    input_tokens: float = Field(ge=0, le=1e8, description="Mean input tokens per request [tokens].")
    output_tokens: float = Field(ge=0, le=1e8, description="Mean output tokens per request [tokens].")
    growth_per_month: float = Field(0.0, gt=-1, le=10, description="Compound growth per month; 0 = flat.")
    peak_to_average: float = Field(1.0, ge=1, le=1000, description="Peak-hour load / average load.")
    cached_input_share: float = Field(0.0, ge=0, le=1, description="Share of input tokens billed at the cached rate.")
    batch_share: float = Field(0.0, ge=0, le=1, description="Share of requests sent through a batch API.")
    cache_write_share: float = Field(
        0.0, ge=0, le=1, description="Share of input tokens written to the prompt cache, billed at the API's "
        "cache_write price (e.g. Anthropic: 1.25 x input); cached_input_share + cache_write_share <= 1.")
    growth: Optional[Growth] = Field(None, description="Forecast shape; growth_per_month is the compound shorthand.")
    events: list[Event] = Field(default_factory=list, max_length=MAX_MONTHS, description="Step changes.")
    daily_profile: Optional[Union[str, list[float]]] = Field(
        None, description="Preset name or 24 hourly weights; replaces peak_to_average.")
    mix: Optional[list[MixBucket]] = Field(
        None, min_length=1, max_length=20,
        description="Request-size mix: buckets {share, input_tokens, output_tokens}, shares summing to 1 (optimizer).")

    @field_validator("mix")
    @classmethod
    def _mix_shares(cls, v: Optional[list[MixBucket]]) -> Optional[list[MixBucket]]:
        if v is not None and abs(sum(b.share for b in v) - 1.0) > 1e-6:
            raise ValueError(f"bucket shares must sum to 1, got {sum(b.share for b in v):g}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _series_fills_first_month(cls, data: Any) -> Any:
        # with a series forecast the first month is the series' first value: requests_per_day may be omitted
        if isinstance(data, dict) and "requests_per_day" not in data:
            g = data.get("growth")
            if isinstance(g, dict) and g.get("kind") == "series" and isinstance(g.get("requests_per_day"), list) \
                    and g["requests_per_day"] and isinstance(g["requests_per_day"][0], (int, float)):
                data = {**data, "requests_per_day": g["requests_per_day"][0]}
        return data

    @field_validator("daily_profile", mode="before")
    @classmethod
    def _profile(cls, v: Any) -> Any:
        from .workload import DAILY_PROFILES

        if v is None:
            return v
        if isinstance(v, str):
            if v not in DAILY_PROFILES:
                raise ValueError(f"unknown preset '{v}'; use one of {', '.join(DAILY_PROFILES)} or 24 numbers")
            return v
        if not isinstance(v, (list, tuple)):
            raise ValueError(f"must be a preset name or a list of 24 numbers, got {type(v).__name__}")
        if len(v) != 24:
            raise ValueError(f"needs 24 hourly weights (hours 0-23), got {len(v)}")
        out = []
        for h, x in enumerate(v):
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
                raise ValueError(f"hour {h}: weight must be a finite number >= 0, got {x!r}")
            out.append(float(x))
        if sum(out) <= 0:
            raise ValueError("at least one hourly weight must be > 0")
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "Workload":
        if self.cached_input_share + self.cache_write_share > 1.0 + 1e-12:
            raise ValueError(f"cached_input_share ({self.cached_input_share:g}) + cache_write_share "
                             f"({self.cache_write_share:g}) must not exceed 1 (shares of the same input tokens)")
        if self.growth is not None and self.growth_per_month != 0:
            raise ValueError("give growth or growth_per_month (its compound shorthand), not both")
        # peak_to_average 1 (its default) is accepted with a profile so that to_yaml() output reads back
        if self.daily_profile is not None and self.peak_to_average != 1.0:
            raise ValueError("give daily_profile or peak_to_average, not both (the profile's largest hour is the peak)")
        g = self.growth
        if g is not None and g.kind == "series" and abs(g.requests_per_day[0] - self.requests_per_day) > 1e-9 * max(1.0, self.requests_per_day):
            raise ValueError(f"requests_per_day ({self.requests_per_day:g}) differs from growth.requests_per_day[0] "
                             f"({g.requests_per_day[0]:g}); omit requests_per_day with a series")
        return self


class Slo(_Model):
    ttft_p95_ms: Optional[float] = Field(None, gt=0, description="Time to first token, 95th percentile [ms].")
    tpot_p95_ms: Optional[float] = Field(None, gt=0, description="Time per output token, 95th percentile [ms].")


class Finance(_Model):
    discount_rate: Optional[float] = Field(None, gt=-1, le=10, description="Annual discount rate for NPV.")
    api_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of API token prices, applied monthly as (1 + r)^(m/12); -0.3 = 30% cheaper a year.")
    rent_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of GPU rental prices, applied monthly as (1 + r)^(m/12).")
    electricity_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of the electricity price, applied monthly as (1 + r)^(m/12).")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of XLSX and FOCUS exports.")
    usd_to_currency: float = Field(1.0, gt=0, le=1e6, description="Units of `currency` per USD (one rate for the horizon).")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, description="First calendar month of the fiscal year (1 = January).")

    @model_validator(mode="after")
    def _usd_rate(self) -> "Finance":
        if self.currency == "USD" and self.usd_to_currency != 1.0:
            raise ValueError("usd_to_currency must be 1 when currency is USD")
        return self


class Ops(_Model):
    fte_cost_per_year: Optional[float] = Field(None, ge=0, le=1e8, description="Fully loaded cost of one FTE [USD/year].")


class ApiPrices(_Model):
    input: float = Field(ge=0, le=1e6, description="[USD / 1M input tokens]")
    output: float = Field(ge=0, le=1e6, description="[USD / 1M output tokens]")
    cached_input: Optional[float] = Field(None, ge=0, le=1e6, description="[USD / 1M cached input tokens]")
    cache_write: Optional[float] = Field(None, ge=0, le=1e6, description="[USD / 1M cache-write tokens]")
    batch_input: Optional[float] = Field(None, ge=0, le=1e6, description="[USD / 1M batch input tokens]")
    batch_output: Optional[float] = Field(None, ge=0, le=1e6, description="[USD / 1M batch output tokens]")


class PartialApiPrices(_Model):
    """Inline overrides on top of a catalog API offer (every field optional)."""

    input: Optional[float] = Field(None, ge=0, le=1e6)
    output: Optional[float] = Field(None, ge=0, le=1e6)
    cached_input: Optional[float] = Field(None, ge=0, le=1e6)
    cache_write: Optional[float] = Field(None, ge=0, le=1e6)
    batch_input: Optional[float] = Field(None, ge=0, le=1e6)
    batch_output: Optional[float] = Field(None, ge=0, le=1e6)


class Rent(_Model):
    offer: Optional[str] = Field(None, description="Rental offer id (catalog).")
    pricing: Literal["on_demand", "spot", "reserved"] = Field("on_demand", description="Which catalog price of the offer.")
    usd_per_gpu_hour: Optional[float] = Field(None, ge=0, le=1e4, description="[USD / GPU-hour]")
    usd_per_instance_hour: Optional[float] = Field(None, ge=0, le=1e6, description="[USD / instance-hour]")
    gpus_per_instance: Optional[int] = Field(None, ge=1, le=1024, description="GPUs per instance.")
    autoscale: bool = Field(False, description="Follow the hourly load (needs workload.daily_profile).")
    min_replicas: Optional[int] = Field(None, ge=0, le=100000, description="autoscale: floor on serving replicas (default 1).")
    reserved_gpus: Optional[int] = Field(None, ge=0, le=1000000, description="GPUs committed and billed every hour.")
    usd_per_gpu_hour_reserved: Optional[float] = Field(None, ge=0, le=1e4, description="[USD / reserved GPU-hour]")
    interruption_overhead: Optional[float] = Field(
        None, ge=0, lt=1, description="spot: share of capacity held against interruptions [0-1).")

    @model_validator(mode="after")
    def _traffic_fields(self) -> "Rent":
        if self.min_replicas is not None and not self.autoscale:
            raise ValueError("min_replicas needs autoscale: true")
        if self.interruption_overhead is not None and self.pricing != "spot":
            raise ValueError("interruption_overhead applies to pricing: spot only")
        if self.usd_per_gpu_hour_reserved is not None and not self.reserved_gpus:
            raise ValueError("usd_per_gpu_hour_reserved needs reserved_gpus > 0")
        return self

    @model_validator(mode="after")
    def _one_price(self) -> "Rent":
        if self.usd_per_gpu_hour is not None and self.usd_per_instance_hour is not None:
            raise ValueError("give usd_per_gpu_hour or usd_per_instance_hour, not both")
        if self.offer is None:
            if self.usd_per_gpu_hour is None and self.usd_per_instance_hour is None:
                raise ValueError("needs one of: offer, usd_per_gpu_hour, or usd_per_instance_hour + gpus_per_instance")
            if self.usd_per_instance_hour is not None and self.gpus_per_instance is None:
                raise ValueError("usd_per_instance_hour needs gpus_per_instance")
        return self


class Own(_Model):
    server: Optional[str] = Field(None, description="Server id (catalog); the fields below override it.")
    gpus_per_server: Optional[int] = Field(None, ge=1, le=1024)
    server_price_usd: Optional[float] = Field(None, ge=0, le=1e9, description="[USD per server]")
    server_power_kw: Optional[float] = Field(None, ge=0, le=1e4, description="Maximum power per server [kW].")
    power_load_factor: Optional[float] = Field(None, ge=0, le=1, description="Average draw / maximum power.")
    pue: Optional[float] = Field(None, ge=1, le=5, description="Power usage effectiveness.")
    usd_per_kwh: Optional[float] = Field(None, ge=0, le=100, description="[USD/kWh]")
    colo_usd_per_kw_month: Optional[float] = Field(None, ge=0, le=1e5, description="[USD per kW per month]")
    maintenance_share_per_year: Optional[float] = Field(None, ge=0, le=1, description="Share of server price per year.")
    depreciation_years: Optional[float] = Field(None, gt=0, le=30, description="Straight-line life [years].")
    lead_time_months: int = Field(0, ge=0, le=60, description="Servers are bought this many months before first needed.")
    refresh: bool = Field(False, description="Replace a server at the end of its depreciation life.")
    residual_share: Optional[float] = Field(
        None, ge=0, le=1, description="Share of the purchase price recovered at retirement or horizon end.")

    @model_validator(mode="after")
    def _server_or_fields(self) -> "Own":
        if self.server is None:
            missing = [f for f in ("gpus_per_server", "server_price_usd", "server_power_kw") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"needs server (catalog id) or {', '.join(missing)}")
        return self


class Overflow(_Model):
    """The API that takes the requests a hybrid fleet cannot serve."""

    api: Optional[str] = Field(None, description="API offer id (catalog).")
    prices: Optional[PartialApiPrices] = Field(None, description="Inline API prices [USD / 1M tokens]; inline wins.")

    @model_validator(mode="after")
    def _api_or_prices(self) -> "Overflow":
        if self.api is None and (self.prices is None or self.prices.input is None or self.prices.output is None):
            raise ValueError("needs api (catalog id) or prices with at least input and output")
        return self


class SelfHost(_Model):
    model: str = Field(description="Model id (catalog).")
    gpu: str = Field(description="GPU id (catalog).")
    precision: Precision = Field("bf16", description="Weight precision.")
    gpus_per_replica: int = Field(1, ge=1, le=1024)
    engine: Optional[str] = Field(None, max_length=100, description="Serving engine whose measured profile sets the capacity (e.g. vllm, sglang, trt-llm); default: the best measured.")
    capacity_rps_per_replica: Optional[float] = Field(None, ge=1e-6, le=1e6, description="[req/s] overrides the profile-derived capacity (>= 1e-6: smaller would overflow the replica count).")
    target_utilization: Optional[float] = Field(None, ge=0.01, le=1, description="Share of capacity planned for at peak (>= 0.01).")
    spare_replicas: Optional[int] = Field(None, ge=0, le=10000, description="Extra replicas (N+k).")
    staff_fte: Optional[float] = Field(None, ge=0, le=1000, description="Ops staff [FTE].")
    rent: Optional[Rent] = None
    own: Optional[Own] = None
    overflow: Optional[Overflow] = Field(None, description="Hybrid: send load above the fleet to this API.")
    base_replicas: Optional[int] = Field(None, ge=1, le=100000, description="Hybrid: serving replicas (spare excluded).")
    size_for_hour_percentile: Optional[float] = Field(
        None, gt=0, le=1, description="Hybrid: size the fleet for this percentile of the day's hourly load.")

    @model_validator(mode="after")
    def _rent_or_own(self) -> "SelfHost":
        if (self.rent is None) == (self.own is None):
            raise ValueError("needs exactly one of rent or own")
        sizing = (self.base_replicas is not None) + (self.size_for_hour_percentile is not None)
        if self.overflow is not None:
            if sizing != 1:
                raise ValueError("overflow needs exactly one of base_replicas or size_for_hour_percentile")
            if self.rent is not None and self.rent.autoscale:
                raise ValueError("overflow and rent.autoscale exclude each other (the hybrid fleet is fixed)")
        elif sizing:
            raise ValueError("base_replicas and size_for_hour_percentile need overflow (the API that takes the excess)")
        return self


class Option(_Model):
    name: str = Field(min_length=1, max_length=200, description="Label shown in tables and charts.")
    api: Optional[str] = Field(None, description="API offer id (catalog).")
    prices: Optional[PartialApiPrices] = Field(None, description="Inline API prices [USD / 1M tokens]; inline wins.")
    self_host: Optional[SelfHost] = None

    @model_validator(mode="after")
    def _kind(self) -> "Option":
        is_api = self.api is not None or self.prices is not None
        if is_api == (self.self_host is not None):
            raise ValueError("needs either api/prices or self_host (exactly one)")
        if self.api is None and self.prices is not None and (self.prices.input is None or self.prices.output is None):
            raise ValueError("inline prices without an api id need at least input and output")
        return self

    @property
    def kind(self) -> str:
        return "self_host" if self.self_host is not None else "api"


class QualityFloor(_Model):
    """Options below this quality are marked (and excluded by the optimizer); see docs/quality.md.

    Exactly one of ``at_least`` [Elo points] or ``at_least_as_good_as`` (an API offer or model id,
    resolved to its Elo by tco.quality.resolve_floor).
    """

    benchmark: Literal["lmarena_text_elo"] = Field("lmarena_text_elo", description="The cross-vendor tier (the only floor benchmark).")
    at_least: Optional[float] = Field(None, ge=0, le=5000, description="Minimum Elo [Elo points].")
    at_least_as_good_as: Optional[str] = Field(None, min_length=1, max_length=200,
                                               description="API offer or model id whose Elo is the floor.")

    @model_validator(mode="after")
    def _one(self) -> "QualityFloor":
        if (self.at_least is None) == (self.at_least_as_good_as is None):
            raise ValueError("needs exactly one of at_least or at_least_as_good_as")
        return self


class Scenario(_Model):
    name: str = Field("Scenario", min_length=1, max_length=200)
    start: str = Field(description="First month, YYYY-MM.")
    months: int = Field(36, ge=1, le=MAX_MONTHS, description="Horizon [months].")
    workload: Workload
    slo: Slo = Field(default_factory=Slo)
    finance: Finance = Field(default_factory=Finance)
    ops: Ops = Field(default_factory=Ops)
    options: list[Option] = Field(min_length=1, max_length=100)
    quality_floor: Optional[QualityFloor] = Field(None, description="Mark options below this quality (docs/quality.md).")

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> str:
        return parse_month(v)

    @model_validator(mode="after")
    def _traffic_needs(self) -> "Scenario":
        w = self.workload
        if w.growth is not None and w.growth.kind == "series" and len(w.growth.requests_per_day) < self.months:
            raise ValueError(f"workload.growth.requests_per_day: has {len(w.growth.requests_per_day)} values, "
                             f"the horizon has {self.months} months (one value per month)")
        for k, e in enumerate(w.events):
            if month_index(self.start, e.month) < 0:
                raise ValueError(f"workload.events[{k}].month: {e.month} is before the start {self.start} "
                                 "(requests_per_day already describes the first month)")
        if w.daily_profile is None:
            for o in self.options:
                sh = o.self_host
                if sh is not None and (sh.overflow is not None or (sh.rent is not None and sh.rent.autoscale)):
                    what = "overflow" if sh.overflow is not None else "rent.autoscale"
                    raise ValueError(f"option '{o.name}': {what} needs workload.daily_profile (the hourly load shape)")
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> "Scenario":
        seen = set()
        for i, o in enumerate(self.options):
            if o.name in seen:
                raise ValueError(f"option names must be unique; '{o.name}' appears twice")
            seen.add(o.name)
        return self

    def month_labels(self) -> list[str]:
        return month_labels(self.start, self.months)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())


def parse_month(v: Any) -> str:
    """A month as ``YYYY-MM`` (from text or a date). Raises ValueError for anything else (years 1900-2200)."""
    if isinstance(v, (_dt.date, _dt.datetime)):
        return f"{v.year:04d}-{v.month:02d}"
    s = str(v).strip()
    try:
        y, m = s.split("-")
        y, m = int(y), int(m)
        if not (1900 <= y <= 2200 and 1 <= m <= 12) or len(s) != 7:
            raise ValueError
    except ValueError:
        raise ValueError(f"must be a month YYYY-MM, got {v!r}") from None
    return s


def month_index(start: str, month: str) -> int:
    """Index of ``month`` (YYYY-MM) counted from ``start`` (YYYY-MM); negative before the start."""
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in month.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def month_labels(start: str, months: int) -> list[str]:
    y, m = (int(x) for x in start.split("-"))
    out = []
    for i in range(months):
        mm = m - 1 + i
        out.append(f"{y + mm // 12:04d}-{mm % 12 + 1:02d}")
    return out


def parse_scenario(doc: Any, file: str = "scenario") -> Scenario:
    """Validate a parsed document; raise ScenarioError with ``file: path: message`` lines."""
    if not isinstance(doc, dict):
        kind = "empty document" if doc is None else type(doc).__name__
        raise ScenarioError([Problem(file, None, None, f"expected a YAML mapping (name, start, workload, options...), got {kind}")])
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        problems = [Problem(file, path or None, None, msg) for path, msg in format_validation_error(exc)]
        raise ScenarioError(problems) from None


def load_scenario_text(text: str | bytes, file: str = "scenario") -> Scenario:
    try:
        doc = load_yaml_text(text)
    except YamlLoadError as exc:
        raise ScenarioError([Problem(file, None, None, str(exc))]) from None
    return parse_scenario(doc, file)


def load_scenario(path: str) -> Scenario:
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise ScenarioError([Problem(str(path), None, None, "file not found")])
    if not p.is_file():
        raise ScenarioError([Problem(str(path), None, None, "not a file")])
    try:
        doc = load_yaml_file(p)
    except YamlLoadError as exc:
        raise ScenarioError([Problem(p.name if False else str(path), None, None, str(exc))]) from None
    return parse_scenario(doc, str(path))


__all__ = ["Scenario", "Workload", "Slo", "Finance", "Ops", "ApiPrices", "PartialApiPrices", "Rent", "Own",
           "SelfHost", "Option", "parse_scenario", "load_scenario", "load_scenario_text", "month_labels",
           "Growth", "Event", "Overflow", "month_index", "MixBucket", "QualityFloor"]
