"""The scenario file: the public interface (documented in docs/scenario.md).

A scenario is a YAML mapping: name, start month, horizon, workload, SLO, finance and ops settings,
and the options to compare (API offers and self-host configurations). Unknown fields are rejected
so a typo never silently falls back to a default. Validation problems are reported as
``file: path.to.field: message``.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .catalog import format_validation_error
from .exceptions import Problem, ScenarioError
from .safeyaml import YamlLoadError, dump_yaml, load_yaml_file, load_yaml_text

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]
MAX_MONTHS = 240


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {v}")
        return v


class Workload(_Model):
    requests_per_day: float = Field(ge=0, le=1e12, description="Requests per day in the first month.")
    input_tokens: float = Field(ge=0, le=1e8, description="Mean input tokens per request [tokens].")
    output_tokens: float = Field(ge=0, le=1e8, description="Mean output tokens per request [tokens].")
    growth_per_month: float = Field(0.0, gt=-1, le=10, description="Compound growth per month; 0 = flat.")
    peak_to_average: float = Field(1.0, ge=1, le=1000, description="Peak-hour load / average load.")
    cached_input_share: float = Field(0.0, ge=0, le=1, description="Share of input tokens billed at the cached rate.")
    batch_share: float = Field(0.0, ge=0, le=1, description="Share of requests sent through a batch API.")


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

    @model_validator(mode="after")
    def _server_or_fields(self) -> "Own":
        if self.server is None:
            missing = [f for f in ("gpus_per_server", "server_price_usd", "server_power_kw") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"needs server (catalog id) or {', '.join(missing)}")
        return self


class SelfHost(_Model):
    model: str = Field(description="Model id (catalog).")
    gpu: str = Field(description="GPU id (catalog).")
    precision: Precision = Field("bf16", description="Weight precision.")
    gpus_per_replica: int = Field(1, ge=1, le=1024)
    capacity_rps_per_replica: Optional[float] = Field(None, gt=0, le=1e6, description="[req/s] overrides the profile-derived capacity.")
    target_utilization: Optional[float] = Field(None, gt=0, le=1, description="Share of capacity planned for at peak.")
    spare_replicas: Optional[int] = Field(None, ge=0, le=10000, description="Extra replicas (N+k).")
    staff_fte: Optional[float] = Field(None, ge=0, le=1000, description="Ops staff [FTE].")
    rent: Optional[Rent] = None
    own: Optional[Own] = None

    @model_validator(mode="after")
    def _rent_or_own(self) -> "SelfHost":
        if (self.rent is None) == (self.own is None):
            raise ValueError("needs exactly one of rent or own")
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


class Scenario(_Model):
    name: str = Field("Scenario", min_length=1, max_length=200)
    start: str = Field(description="First month, YYYY-MM.")
    months: int = Field(36, ge=1, le=MAX_MONTHS, description="Horizon [months].")
    workload: Workload
    slo: Slo = Field(default_factory=Slo)
    finance: Finance = Field(default_factory=Finance)
    ops: Ops = Field(default_factory=Ops)
    options: list[Option] = Field(min_length=1, max_length=100)

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> str:
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
           "SelfHost", "Option", "parse_scenario", "load_scenario", "load_scenario_text", "month_labels"]
