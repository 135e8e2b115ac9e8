"""The scenario file: the public interface (documented in docs/scenario.md).

A scenario is a YAML mapping: name, start month, horizon, workload, SLO, finance and ops settings,
and the options to compare (API offers and self-host configurations). Unknown fields are rejected
so a typo never silently falls back to a default. Validation problems are reported as
``file: path.to.field: message``.
"""
from __future__ import annotations

import math
import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from tco.catalog import format_validation_error
from tco.core import line_items
from tco.core.constants import DAILY_PROFILES
from tco.core.exceptions import Problem, ScenarioError
from tco.core.months import month_index, month_labels, parse_month
from tco.io.safeyaml import YamlLoadError, dump_yaml, load_yaml_file, load_yaml_text

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
    midpoint_month: Optional[float] = Field(None, ge=-1000, le=1000, description="s_curve: month index of fastest growth (0 = the start month) [month index].")
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
    multiply: float = Field(ge=0, le=1e6, description="Factor applied to the load from that month on [-].")

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
    requests_per_day: float = Field(ge=0, le=1e12, description="Requests per day in the first month (or give tokens_per_day) [req/day].")
    tokens_per_day: Optional[float] = Field(
        None, ge=0, le=1e16,
        description="Tokens per day (input + output) in the first month; requests_per_day is then derived "
                    "= tokens_per_day / (input_tokens + output_tokens) [tokens/day].")
    input_tokens: float = Field(ge=0, le=1e8, description="Mean input tokens per request [tokens].")
    output_tokens: float = Field(ge=0, le=1e8, description="Mean output tokens per request [tokens].")
    growth_per_month: float = Field(0.0, gt=-1, le=10, description="Compound growth per month; 0 = flat, 0.05 = +5% a month [fraction / month].")
    peak_to_average: float = Field(1.0, ge=1, le=1000, description="Peak-hour load / average load [-].")
    cached_input_share: float = Field(0.0, ge=0, le=1, description="Share of input tokens billed at the cached rate [fraction 0-1].")
    batch_share: float = Field(0.0, ge=0, le=1, description="Share of requests sent through a batch API [fraction 0-1].")
    cache_write_share: float = Field(
        0.0, ge=0, le=1, description="Share of input tokens written to the prompt cache, billed at the API's "
        "cache_write price (e.g. Anthropic: 1.25 x input); cached_input_share + cache_write_share <= 1 [fraction 0-1].")
    growth: Optional[Growth] = Field(None, description="Forecast shape; growth_per_month is the compound shorthand.")
    events: list[Event] = Field(default_factory=list, max_length=MAX_MONTHS, description="Step changes.")
    daily_profile: Optional[Union[str, list[float]]] = Field(
        None, description="Preset name or 24 hourly weights (hours 0-23; only their shape matters); replaces peak_to_average [relative weight].")
    mix: Optional[list[MixBucket]] = Field(
        None, min_length=1, max_length=20,
        description="Request-size mix: buckets {share, input_tokens, output_tokens}, shares summing to 1 (optimizer).")
    egress_gb_per_million_tokens: Optional[float] = Field(
        None, ge=0, le=1e6,
        description="Data sent out per 1M (input + output) tokens [GB / 1M tokens]; needed by an egress cost line.")

    @field_validator("mix")
    @classmethod
    def _mix_shares(cls, v: Optional[list[MixBucket]]) -> Optional[list[MixBucket]]:
        if v is not None and abs(sum(b.share for b in v) - 1.0) > 1e-6:
            raise ValueError(f"bucket shares must sum to 1, got {sum(b.share for b in v):g}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _tokens_give_requests(cls, data: Any) -> Any:
        # tokens_per_day is the other way to give the load: requests_per_day is derived from it
        if not isinstance(data, dict) or data.get("tokens_per_day") is None:
            return data
        tpd = data["tokens_per_day"]
        if isinstance(tpd, bool) or not isinstance(tpd, (int, float)) or not math.isfinite(tpd):
            return data  # the field validator names the error
        g = data.get("growth")
        if isinstance(g, dict) and g.get("kind") == "series":
            raise ValueError("tokens_per_day cannot be used with a series forecast (its values are requests/day)")
        i, o = data.get("input_tokens"), data.get("output_tokens")
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (i, o)):
            return data  # missing or bad token counts: their own validators name the error
        if i + o <= 0:
            raise ValueError("tokens_per_day needs input_tokens + output_tokens > 0 (requests/day = tokens/day / tokens per request)")
        derived = derived_requests_per_day(float(tpd), float(i), float(o))
        given = data.get("requests_per_day")
        if given is not None and not (isinstance(given, (int, float)) and abs(given - derived) <= 1e-9 * max(1.0, derived)):
            raise ValueError(f"give requests_per_day or tokens_per_day, not both (tokens_per_day {tpd:g} gives "
                             f"{derived:g} requests/day, requests_per_day is {given!r})")
        return {**data, "requests_per_day": derived}

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


def derived_requests_per_day(tokens_per_day: float, input_tokens: float, output_tokens: float) -> float:
    """Requests per day [req/day] = tokens_per_day [tokens/day] / (input_tokens + output_tokens) [tokens/request]."""
    return tokens_per_day / (input_tokens + output_tokens)


class Slo(_Model):
    ttft_p95_ms: Optional[float] = Field(None, gt=0, description="Time to first token, 95th percentile [ms].")
    tpot_p95_ms: Optional[float] = Field(None, gt=0, description="Time per output token, 95th percentile [ms].")


class Finance(_Model):
    discount_rate: Optional[float] = Field(None, gt=-1, le=10, description="Annual discount rate for NPV; 0.08 = 8% [fraction / year].")
    api_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of API token prices, applied monthly as (1 + r)^(m/12); -0.3 = 30% cheaper a year [fraction / year].")
    rent_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of GPU rental prices, applied monthly as (1 + r)^(m/12) [fraction / year].")
    electricity_price_change_per_year: Optional[float] = Field(
        None, gt=-1, le=10, description="Yearly change of the electricity price, applied monthly as (1 + r)^(m/12) [fraction / year].")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of XLSX and FOCUS exports.")
    usd_to_currency: float = Field(1.0, gt=0, le=1e6, description="Units of `currency` per USD (one rate for the horizon) [currency / USD].")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, description="First calendar month of the fiscal year (1 = January) [month 1-12].")
    include_capital_charge: bool = Field(
        False, description="Owned options: add the accrual-only capital_charge line item (book value x monthly cost of capital).")

    @model_validator(mode="after")
    def _usd_rate(self) -> "Finance":
        if self.currency == "USD" and self.usd_to_currency != 1.0:
            raise ValueError("usd_to_currency must be 1 when currency is USD")
        return self


class Ops(_Model):
    fte_cost_per_year: Optional[float] = Field(None, ge=0, le=1e8, description="Fully loaded cost of one FTE [USD/year].")


class ApiPrices(_Model):
    input: float = Field(ge=0, le=1e6, description="Price of input (prompt) tokens [USD / 1M input tokens]")
    output: float = Field(ge=0, le=1e6, description="Price of output (completion) tokens [USD / 1M output tokens]")
    cached_input: Optional[float] = Field(None, ge=0, le=1e6, description="Price of input tokens read from the prompt cache [USD / 1M cached input tokens]")
    cache_write: Optional[float] = Field(None, ge=0, le=1e6, description="Price of input tokens written to the prompt cache [USD / 1M cache-write tokens]")
    batch_input: Optional[float] = Field(None, ge=0, le=1e6, description="Batch API price of input tokens [USD / 1M batch input tokens]")
    batch_output: Optional[float] = Field(None, ge=0, le=1e6, description="Batch API price of output tokens [USD / 1M batch output tokens]")


class PartialApiPrices(_Model):
    """Inline overrides on top of a catalog API offer (every field optional)."""

    input: Optional[float] = Field(None, ge=0, le=1e6, description="Price of input (prompt) tokens [USD / 1M input tokens]")
    output: Optional[float] = Field(None, ge=0, le=1e6, description="Price of output (completion) tokens [USD / 1M output tokens]")
    cached_input: Optional[float] = Field(None, ge=0, le=1e6, description="Price of input tokens read from the prompt cache [USD / 1M cached input tokens]")
    cache_write: Optional[float] = Field(None, ge=0, le=1e6, description="Price of input tokens written to the prompt cache [USD / 1M cache-write tokens]")
    batch_input: Optional[float] = Field(None, ge=0, le=1e6, description="Batch API price of input tokens [USD / 1M batch input tokens]")
    batch_output: Optional[float] = Field(None, ge=0, le=1e6, description="Batch API price of output tokens [USD / 1M batch output tokens]")


class ReservedTerm(_Model):
    """A reserved-capacity commitment (docs/methodology.md, "Reserved terms")."""

    term_months: int = Field(ge=1, le=120, description="Length of the commitment [months].")
    upfront_share: float = Field(0.0, ge=0, le=1, description="Share of the commitment paid in cash in the start month [0-1].")
    start: Optional[str] = Field(None, description="First month of the term, YYYY-MM (default: the scenario start).")

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Optional[str]:
        return None if v is None else parse_month(v)


class Availability(_Model):
    """Per-replica interruptions: the fleet adds replicas so expected available capacity covers the peak."""

    mtbf_hours: float = Field(gt=0, le=1e7, description="Mean time between failures of one replica [h].")
    repair_hours: float = Field(ge=0, le=1e5, description="Mean time to bring a failed replica back [h].")


class Rent(_Model):
    offer: Optional[str] = Field(None, description="Rental offer id (catalog).")
    pricing: Literal["on_demand", "spot", "reserved"] = Field("on_demand", description="Which catalog price of the offer.")
    usd_per_gpu_hour: Optional[float] = Field(None, ge=0, le=1e4, description="Rental price per GPU-hour (instead of an offer) [USD / GPU-hour]")
    usd_per_instance_hour: Optional[float] = Field(None, ge=0, le=1e6, description="Rental price per instance-hour (with gpus_per_instance) [USD / instance-hour]")
    gpus_per_instance: Optional[int] = Field(None, ge=1, le=1024, description="GPUs per instance [GPUs].")
    autoscale: bool = Field(False, description="Follow the hourly load (needs workload.daily_profile).")
    min_replicas: Optional[int] = Field(None, ge=0, le=100000, description="autoscale: floor on serving replicas (default 1) [replicas].")
    reserved_gpus: Optional[int] = Field(None, ge=0, le=1000000, description="GPUs committed and billed every hour [GPUs].")
    usd_per_gpu_hour_reserved: Optional[float] = Field(None, ge=0, le=1e4, description="Price of the reserved (committed) GPUs [USD / reserved GPU-hour]")
    interruption_overhead: Optional[float] = Field(
        None, ge=0, lt=1, description="spot: share of capacity held against interruptions, 0 <= x < 1 [fraction 0-1].")
    reserved_term: Optional[ReservedTerm] = Field(
        None, description="A fixed-price commitment for reserved_gpus over term_months (upfront share, payments past the horizon).")
    startup_minutes: Optional[float] = Field(
        None, ge=0, le=1440, description="autoscale: minutes a new replica needs before it serves; billed ahead of each ramp [min].")

    @model_validator(mode="after")
    def _traffic_fields(self) -> "Rent":
        if self.reserved_term is not None and not self.reserved_gpus:
            raise ValueError("reserved_term needs reserved_gpus > 0")
        if self.startup_minutes is not None and not self.autoscale:
            raise ValueError("startup_minutes needs autoscale: true (a fixed fleet starts once)")
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
    gpus_per_server: Optional[int] = Field(None, ge=1, le=1024, description="GPUs per server [GPUs].")
    server_price_usd: Optional[float] = Field(None, ge=0, le=1e9, description="Purchase price of one server [USD per server]")
    server_power_kw: Optional[float] = Field(None, ge=0, le=1e4, description="Maximum power per server [kW].")
    power_load_factor: Optional[float] = Field(None, ge=0, le=1, description="Average draw / maximum power [fraction 0-1].")
    pue: Optional[float] = Field(None, ge=1, le=5, description="Power usage effectiveness: facility power / IT power [-].")
    usd_per_kwh: Optional[float] = Field(None, ge=0, le=100, description="Electricity price [USD/kWh]")
    colo_usd_per_kw_month: Optional[float] = Field(None, ge=0, le=1e5, description="Colocation price per kW of server maximum power [USD per kW per month]")
    maintenance_share_per_year: Optional[float] = Field(None, ge=0, le=1, description="Yearly maintenance as a share of the server price [fraction / year].")
    depreciation_years: Optional[float] = Field(None, gt=0, le=30, description="Straight-line life [years].")
    lead_time_months: int = Field(0, ge=0, le=60, description="Servers are bought this many months before first needed [months].")
    refresh: bool = Field(False, description="Replace a server at the end of its depreciation life.")
    residual_share: Optional[float] = Field(
        None, ge=0, le=1, description="Share of the purchase price recovered at retirement or horizon end [fraction 0-1].")

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
    gpus_per_replica: int = Field(1, ge=1, le=1024, description="GPUs serving one model replica [GPUs].")
    engine: Optional[str] = Field(None, max_length=100, description="Serving engine whose measured profile sets the capacity (e.g. vllm, sglang, trt-llm); default: the best measured.")
    capacity_rps_per_replica: Optional[float] = Field(None, ge=1e-6, le=1e6, description="[req/s] overrides the profile-derived capacity (>= 1e-6: smaller would overflow the replica count).")
    target_utilization: Optional[float] = Field(None, ge=0.01, le=1, description="Share of capacity planned for at peak (>= 0.01) [fraction 0-1].")
    spare_replicas: Optional[int] = Field(None, ge=0, le=10000, description="Extra replicas (N+k) [replicas].")
    staff_fte: Optional[float] = Field(None, ge=0, le=1000, description="Ops staff [FTE].")
    rent: Optional[Rent] = Field(None, description="Rent the GPUs (give rent or own).")
    own: Optional[Own] = Field(None, description="Buy the servers (give rent or own).")
    overflow: Optional[Overflow] = Field(None, description="Hybrid: send load above the fleet to this API.")
    base_replicas: Optional[int] = Field(None, ge=1, le=100000, description="Hybrid: serving replicas (spare excluded) [replicas].")
    size_for_hour_percentile: Optional[float] = Field(
        None, gt=0, le=1, description="Hybrid: size the fleet for this percentile of the day's hourly load, 0.9 = p90 [fraction 0-1].")
    availability: Optional[Availability] = Field(
        None, description="Replica MTBF and repair time; adds replicas before the spare ones (docs/methodology.md).")

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


class FineTuning(_Model):
    """Repeated fine-tuning runs (docs/methodology.md#fine-tuning); applies to options with ``fine_tuned: true``."""

    training_tokens: float = Field(gt=0, le=1e15, description="Tokens in the training set, per run [tokens].")
    epochs: float = Field(1.0, gt=0, le=1000, description="Passes over the training set per run [epochs].")
    runs_per_year: float = Field(gt=0, le=12, description="Runs per year; one every round(12 / runs_per_year) months [runs/year].")
    method: Literal["lora", "full"] = Field("lora", description="lora (adapters, frozen base) | full (every weight).")
    start: Optional[str] = Field(None, description="Month of the first run, YYYY-MM (default: the scenario start).")
    gpu_hour_usd: Optional[float] = Field(
        None, ge=0, le=1e4, description="Self-host: training price [USD / GPU-hour] (default: see docs/methodology.md).")
    mfu: Optional[float] = Field(None, gt=0, le=1, description="Self-host: model FLOPs utilisation of training [0-1].")

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        return None if v is None else parse_month(v)


class RoutePart(_Model):
    """One part of a ``split`` route: an option (by name, or defined inline) and its share of requests."""

    option: Union[str, "Option"] = Field(description="Name of another option, or an inline option mapping.")
    share: float = Field(ge=0, le=1, description="Share of every month's requests sent to this part [0-1].")


class Route(_Model):
    """Routing over other options (docs/scenario.md#routes).

    split: ``parts`` with shares summing to 1. cascade: ``first`` serves every request, a share
    ``escalate_share`` is sent again, in full, to ``escalate``.
    """

    mode: Literal["split", "cascade"] = Field(description="split | cascade.")
    parts: Optional[list[RoutePart]] = Field(None, max_length=10, description="split: the parts and their shares.")
    first: Optional[Union[str, "Option"]] = Field(None, description="cascade: option that sees every request.")
    escalate: Optional[Union[str, "Option"]] = Field(None, description="cascade: option the escalated share is sent to.")
    escalate_share: Optional[float] = Field(None, ge=0, le=1, description="cascade: share of requests escalated [0-1].")
    router_usd_per_million_tokens: Optional[float] = Field(
        None, ge=0, le=1e6, description="Router / gateway price [USD / 1M tokens] on every request's tokens.")

    @model_validator(mode="after")
    def _fields_of_mode(self) -> "Route":
        if self.mode == "split":
            extra = [f for f in ("first", "escalate", "escalate_share") if getattr(self, f) is not None]
            if extra:
                raise ValueError(f"mode split does not use {', '.join(extra)} (those are cascade fields)")
            if not self.parts or len(self.parts) < 2:
                raise ValueError("mode split needs parts: at least two {option, share}")
            total = sum(p.share for p in self.parts)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"parts: shares must sum to 1, got {total:g}")
        else:
            if self.parts is not None:
                raise ValueError("mode cascade does not use parts (give first, escalate, escalate_share)")
            missing = [f for f in ("first", "escalate", "escalate_share") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"mode cascade needs {', '.join(missing)}")
        return self

    def members(self) -> list[tuple[Union[str, "Option"], float]]:
        """(option name or inline Option, share of requests) of every member: split parts; for a cascade
        the first option at share 1 and the escalation option at ``escalate_share``."""
        if self.mode == "split":
            return [(p.option, p.share) for p in self.parts]
        return [(self.first, 1.0), (self.escalate, float(self.escalate_share))]


class Option(_Model):
    name: str = Field(min_length=1, max_length=200, description="Label shown in tables and charts.")
    api: Optional[str] = Field(None, description="API offer id (catalog).")
    prices: Optional[PartialApiPrices] = Field(None, description="Inline API prices [USD / 1M tokens]; inline wins.")
    self_host: Optional[SelfHost] = Field(None, description="Serve an open-weight model on GPUs you rent or own.")
    route: Optional[Route] = Field(None, description="Routing over other options (split or cascade).")
    fine_tuned: bool = Field(False, description="Serve a model fine-tuned as the scenario's fine_tuning block says.")

    @model_validator(mode="after")
    def _kind(self) -> "Option":
        is_api = self.api is not None or self.prices is not None
        if is_api + (self.self_host is not None) + (self.route is not None) != 1:
            raise ValueError("needs exactly one of api/prices, self_host or route")
        if self.api is None and self.prices is not None and (self.prices.input is None or self.prices.output is None):
            raise ValueError("inline prices without an api id need at least input and output")
        if self.route is not None and self.fine_tuned:
            raise ValueError("fine_tuned applies to the route's parts, not to the route itself")
        return self

    @property
    def kind(self) -> str:
        if self.route is not None:
            return "route"
        return "self_host" if self.self_host is not None else "api"


class QualityFloor(_Model):
    """Options below this quality are marked (and excluded by the optimizer); see docs/quality.md.

    Exactly one of ``at_least`` [Elo points] or ``at_least_as_good_as`` (an API offer or model id,
    resolved to its Elo by tco.model.quality.resolve_floor).
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


#: Kinds of a cost line (docs/methodology.md, "Costs beyond GPUs").
COST_LINE_KINDS = ("one_off", "monthly", "per_gpu_month", "per_gpu_year", "per_server_month",
                   "per_million_tokens", "per_request")
#: Option groups a cost line can apply to (or a list of option names).
COST_LINE_GROUPS = ("all", "api", "self_host", "rent", "own")
#: Line-item names the engine uses itself: a cost line may not take one (compared case-insensitively).
#: The engine's registry (tco.core.line_items.REGISTRY) is checked too, so items other modules register are covered.
BUILTIN_LINE_ITEM_NAMES = ("api", "rent", "capex", "depreciation", "power", "colo", "maintenance", "staff",
                           "reserved_unused", "api_overflow", "residual", "capital_charge", "reserved_upfront", "reserved_commitment",
                           "startup", "fine_tuning", "router", "total")
_PER_FLEET_KINDS = ("per_gpu_month", "per_gpu_year", "per_server_month")


class CostLine(_Model):
    """A cost beyond GPUs: licence, networking, audit, egress, set-up... (docs/scenario.md, ``costs``)."""

    name: str = Field(min_length=1, max_length=100, description="Line-item name in every output (unique).")
    kind: Literal["one_off", "monthly", "per_gpu_month", "per_gpu_year", "per_server_month",
                  "per_million_tokens", "per_request"] = Field(description="How the amount becomes a monthly cost.")
    amount_usd: float = Field(ge=0, le=1e12, description="Amount per the kind's unit (per month, per GPU-year, per 1M tokens, ...) [USD].")
    applies_to: Union[Literal["all", "api", "self_host", "rent", "own"], list[str]] = Field(
        "all", description="all | api | self_host | rent | own, or a list of option names.")
    month: Optional[str] = Field(None, description="one_off: the month it is paid, YYYY-MM (default: the start).")
    months: Optional[list[str]] = Field(None, description="Recurring kinds: [first, last] months (YYYY-MM) it runs.")
    amortize_months: Optional[int] = Field(
        None, ge=1, le=600, description="one_off: spread the accrual evenly over this many months from its month [months].")
    notes: Optional[str] = Field(None, max_length=2000, description="Free text.")
    source: Optional[str] = Field(None, max_length=2000, description="Where the amount comes from.")

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Optional[str]:
        return None if v is None else parse_month(v)

    @field_validator("months", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ValueError(f"must be a range [first, last] of two months YYYY-MM, got {v!r}")
        first, last = parse_month(v[0]), parse_month(v[1])
        if month_index(first, last) < 0:
            raise ValueError(f"first month {first} is after last month {last}")
        return [first, last]

    @field_validator("applies_to", mode="before")
    @classmethod
    def _applies(cls, v: Any) -> Any:
        if isinstance(v, str) and v not in COST_LINE_GROUPS:
            raise ValueError(f"must be one of {', '.join(COST_LINE_GROUPS)} or a list of option names, got {v!r}")
        if isinstance(v, (list, tuple)):
            if not v:
                raise ValueError("a list of option names must not be empty")
            if any(not isinstance(x, str) or not x for x in v):
                raise ValueError(f"must be option names (text), got {v!r}")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v.strip() != v or not v.strip():
            raise ValueError(f"must not start or end with spaces, got {v!r}")
        if v.lower() in BUILTIN_LINE_ITEM_NAMES or v.lower() in {n.lower() for n in line_items.REGISTRY}:
            raise ValueError(f"'{v}' is a built-in line item; choose another name")
        return v

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "CostLine":
        if self.kind == "one_off":
            if self.months is not None:
                raise ValueError("months (a range) applies to recurring kinds; a one_off line uses month")
        else:
            if self.month is not None:
                raise ValueError(f"month applies to kind one_off; a {self.kind} line uses months: [first, last]")
            if self.amortize_months is not None:
                raise ValueError("amortize_months applies to kind one_off only")
        if self.kind in _PER_FLEET_KINDS and self.applies_to == "api":
            raise ValueError(f"a {self.kind} line needs GPUs or servers; applies_to api has none")
        return self


class Scenario(_Model):
    name: str = Field("Scenario", min_length=1, max_length=200, description="Scenario name shown in outputs.")
    start: str = Field(description="First month, YYYY-MM.")
    months: int = Field(36, ge=1, le=MAX_MONTHS, description="Horizon [months].")
    workload: Workload = Field(description="The load: requests, tokens per request, growth, hourly shape, caching.")
    slo: Slo = Field(default_factory=Slo, description="Latency targets (p95): self-host options are sized at them, API options are checked against them.")
    finance: Finance = Field(default_factory=Finance, description="Discounting, price trends, currency and fiscal year.")
    ops: Ops = Field(default_factory=Ops, description="Operations staff cost.")
    options: list[Option] = Field(min_length=1, max_length=100, description="The options compared: API, self-host or route.")
    quality_floor: Optional[QualityFloor] = Field(None, description="Mark options below this quality (docs/quality.md).")
    fine_tuning: Optional[FineTuning] = Field(None, description="Fine-tuning runs for options with fine_tuned: true.")
    costs: list[CostLine] = Field(default_factory=list, max_length=200,
                                  description="Costs beyond GPUs, each its own line item (docs/scenario.md).")
    reference: Optional[str] = Field(
        None, min_length=1, max_length=200,
        description="Name of the option break-even, savings and payback are measured against; default: the cheapest "
                    "API option over the horizon that meets the SLO and the quality floor.")

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
            inline = [m for o in self.options if o.route is not None for m, _ in o.route.members() if not isinstance(m, str)]
            for o in list(self.options) + inline:
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

    @model_validator(mode="after")
    def _fine_tuning_and_routes(self) -> "Scenario":
        ft = self.fine_tuning
        if ft is not None and ft.start is not None and month_index(self.start, ft.start) < 0:
            raise ValueError(f"fine_tuning.start: {ft.start} is before the scenario start {self.start}")
        by_name = {o.name: o for o in self.options}
        for k, o in enumerate(self.options):
            members = [o] + [m for m, _ in (o.route.members() if o.route is not None else []) if not isinstance(m, str)]
            if ft is None:
                for m in members:
                    if m.fine_tuned:
                        raise ValueError(f"options[{k}] ({o.name}): fine_tuned: true needs a fine_tuning block "
                                         "(training_tokens, runs_per_year, ...) in the scenario")
            if o.route is None:
                continue
            seen: set[str] = set()
            for j, (m, _share) in enumerate(o.route.members()):
                where = f"options[{k}] ({o.name}): route member {j + 1}"
                if isinstance(m, str):
                    target = by_name.get(m)
                    if target is None:
                        raise ValueError(f"{where}: no option named '{m}' (give an option name or an inline option)")
                    if target.route is not None:
                        raise ValueError(f"{where}: '{m}' is itself a route (routes cannot be nested)")
                    name = m
                else:
                    if m.route is not None:
                        raise ValueError(f"{where}: an inline part cannot be a route (routes cannot be nested)")
                    name = m.name
                if name in seen:
                    raise ValueError(f"{where}: '{name}' appears twice in the route")
                seen.add(name)
        return self

    def route_members(self, option: Option) -> list[tuple[Option, float]]:
        """(part Option, share) of a route option, names resolved to the scenario's options."""
        by_name = {o.name: o for o in self.options}
        return [(by_name[m] if isinstance(m, str) else m, share) for m, share in option.route.members()]

    @model_validator(mode="after")
    def _cost_lines(self) -> "Scenario":
        names: set[str] = set()
        options = {o.name for o in self.options}
        last = self.months - 1
        for k, c in enumerate(self.costs):
            where = f"costs[{k}] ({c.name})"
            if c.name.lower() in names:
                raise ValueError(f"{where}: cost line names must be unique (case-insensitive); '{c.name}' appears twice")
            names.add(c.name.lower())
            if isinstance(c.applies_to, list):
                unknown = [x for x in c.applies_to if x not in options]
                if unknown:
                    raise ValueError(f"{where}: applies_to: unknown option name(s) {unknown}; options are {sorted(options)}")
            if c.month is not None and not 0 <= month_index(self.start, c.month) <= last:
                raise ValueError(f"{where}: month {c.month} is outside the horizon {self.start} .. "
                                 f"{month_labels(self.start, self.months)[-1]}")
            if c.months is not None:
                a, b = (month_index(self.start, m) for m in c.months)
                if b < 0 or a > last:
                    raise ValueError(f"{where}: months {c.months[0]} .. {c.months[1]} lie outside the horizon {self.start} .. "
                                     f"{month_labels(self.start, self.months)[-1]}: the line would never apply")
        for o in self.options:
            sh = o.self_host
            term = sh.rent.reserved_term if sh is not None and sh.rent is not None else None
            if term is not None and term.start is not None and not 0 <= month_index(self.start, term.start) < self.months:
                raise ValueError(f"option '{o.name}': self_host.rent.reserved_term.start {term.start} is outside the horizon "
                                 f"{self.start} .. {month_labels(self.start, self.months)[-1]}")
        return self

    @model_validator(mode="after")
    def _reference_is_an_option(self) -> "Scenario":
        if self.reference is not None and self.reference not in {o.name for o in self.options}:
            raise ValueError(f"reference: '{self.reference}' is not the name of an option "
                             f"({', '.join(o.name for o in self.options)})")
        return self

    def month_labels(self) -> list[str]:
        return month_labels(self.start, self.months)

    def to_dict(self) -> dict:
        d = self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
        # issue-18 fields left at their defaults are omitted, so older scenarios serialise as before
        if not d.get("costs"):
            d.pop("costs", None)
        if not d.get("finance", {}).get("include_capital_charge", True):
            d["finance"].pop("include_capital_charge")
        if self.workload.tokens_per_day is not None:
            d["workload"].pop("requests_per_day", None)  # derived from tokens_per_day: one way to give the load
        return d

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())


RoutePart.model_rebuild()
Route.model_rebuild()


def default_option_name(option: Any) -> str:
    """The name an option gets from its configuration when the user typed none.

    API: its catalog id (``openai/gpt-4o``), or ``API (inline prices)``. Self-host:
    ``<model> <n>x <gpu> <precision>, rent <offer> <pricing>`` | ``rent <n> GPUs at $X/GPU-hour`` |
    ``own <server>``. ``option`` is an :class:`Option` or its dict (``name`` may be missing).
    """
    d = option.model_dump(mode="json", exclude_none=True) if isinstance(option, BaseModel) else dict(option or {})
    if d.get("route"):
        r = d["route"]
        names = [m if isinstance(m, str) else (m.get("option") if isinstance(m, dict) else "?")
                 for m in ([x.get("option") for x in r.get("parts", [])] if r.get("mode") == "split"
                           else [r.get("first"), r.get("escalate")])]
        names = [n if isinstance(n, str) else (n or {}).get("name", "inline option") for n in names]
        return f"route ({r.get('mode', 'split')}): " + " + ".join(names)
    sh = d.get("self_host")
    if not sh:
        return str(d["api"]) if d.get("api") else "API (inline prices)"
    head = f"{sh.get('model', '?')} {int(sh.get('gpus_per_replica', 1) or 1)}x {sh.get('gpu', '?')} {sh.get('precision', 'bf16')}"
    rent, own = sh.get("rent"), sh.get("own")
    if rent is not None:
        pricing = str(rent.get("pricing", "on_demand")).replace("_", "-")
        if rent.get("offer"):
            how = f"rent {rent['offer']} {pricing}"
        elif rent.get("usd_per_gpu_hour") is not None:
            how = f"rent at ${float(rent['usd_per_gpu_hour']):g}/GPU-hour"
        else:
            how = f"rent {pricing}"
    elif own is not None:
        how = f"own {own['server']}" if own.get("server") else "own servers"
    else:
        how = "self-hosted"
    if sh.get("overflow"):
        how += ", overflow to API"
    return f"{head}, {how}"


def unique_name(name: str, taken: Any) -> str:
    """``name``, or the first of ``name (2)``, ``name (3)``, ... not in ``taken``: generated option names stay
    unique when two options share a configuration (option names must be unique)."""
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def is_generated_variant(name: Any, generated: Optional[str]) -> bool:
    """Whether ``name`` is the generated name ``generated`` or a numbered copy of it (:func:`unique_name`)."""
    if not name or not generated:
        return False
    return name == generated or re.fullmatch(re.escape(generated) + r" \(\d+\)", str(name)) is not None


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
           "Growth", "Event", "Overflow", "month_index", "MixBucket", "QualityFloor", "FineTuning", "Route",
           "RoutePart", "CostLine", "ReservedTerm", "Availability", "COST_LINE_KINDS", "COST_LINE_GROUPS",
           "BUILTIN_LINE_ITEM_NAMES", "default_option_name", "unique_name", "is_generated_variant",
           "derived_requests_per_day"]
