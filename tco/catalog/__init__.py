"""Catalogs: load and validate data/ into typed records with provenance.

Each catalog is one YAML file in the data directory whose top-level key is the catalog name and
whose value is a list of entries (``gpus: [{id: h100-sxm, ...}, ...]``). Throughput profiles may
also be split over ``data/profiles/*.yaml`` (one profile, or a ``profiles:`` list, per file), which
is where ``python -m tco import ... --out data/profiles/x.yaml`` writes.

Conventions
-----------
* Every entry has ``id`` (lowercase, hyphenated; API offers are ``provider/model``), ``source`` and
  ``as_of``. ``kind`` is ``sourced`` (copied from the source), ``measured`` (a measurement),
  ``estimated`` (computed or estimated here; ``notes`` says how) or ``judgement`` (an assumption
  with no published figure).
* Money is USD; prices per token are USD per 1M tokens; power in kW or W as the field name says.
* Unknown fields are rejected (a typo must not silently drop a value).
* Problems are collected, not raised one by one: :class:`CatalogError` carries every problem as
  ``file: entry: field: message``.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from tco.core.constants import BYTES_PER_PARAM, PRECISIONS
from tco.core.exceptions import CatalogError, Problem
from tco.io.safeyaml import YamlLoadError, load_yaml_file

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"

ID_RE = r"^[a-z0-9][a-z0-9._+-]*(/[a-z0-9][a-z0-9._+-]*)*$"
Kind = Literal["sourced", "measured", "estimated", "judgement"]
Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"must be a finite number, got {v}")
    return v


def date_text(v: Any) -> Any:
    """A date as ISO text (YAML reads a bare 2025-09-01 as a date; as_of fields keep it as text)."""
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10]
    return v


class Entry(BaseModel):
    """Fields every catalog entry carries."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=ID_RE, max_length=200, description="Unique id, lowercase and hyphenated (see Ids); max 200 characters.")
    source: str = Field(min_length=1, description="Where the figures come from: URL(s) or document, with commit / page as given by the reference; several sources separated by semicolons.")
    as_of: str = Field(min_length=1, description="Date of the figures: YYYY-MM-DD, YYYY-MM or text that starts with a date (see as_of).")
    kind: Kind = Field("sourced", description="How the figures were obtained: sourced | measured | estimated | judgement (see kind).")
    notes: Optional[str] = Field(None, description="Caveats: confidence, SUSPECT flags, what was estimated and how, which duplicate rows were not used.")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nan(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, bool):
            f = cls.model_fields.get(info.field_name or "")
            if f is not None and not (f.annotation is bool or bool in getattr(f.annotation, "__args__", ())):
                raise ValueError(f"must be a number or text, got {v!r}")  # YAML `true` is not 1
        return _finite(v)

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_to_text(cls, v: Any) -> Any:
        return date_text(v)

    @property
    def as_of_date(self) -> Optional[_dt.date]:
        return parse_as_of(self.as_of)


_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def parse_as_of(text: str) -> Optional[_dt.date]:
    """The first ``YYYY-MM[-DD]`` in an as_of text, as a date (day 1 when missing); None if none."""
    m = _DATE_RE.search(str(text))
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


class ModelEntry(Entry):
    """An open-weight model's architecture."""

    name: str = Field(min_length=1, description="Display name.")
    family: str = Field(min_length=1, description="llama, mistral, falcon, qwen, deepseek, ...")
    total_params_b: float = Field(gt=0, description="All parameters; weight memory uses this (MoE models store every expert) [billions of parameters].")
    active_params_b: float = Field(gt=0, description="Parameters used per token; compute uses this. Equal to total for dense models, smaller for MoE; must be <= total_params_b [billions of parameters].")
    layers: int = Field(gt=0, description="Transformer layers [layers].")
    hidden_size: int = Field(gt=0, description="Model (hidden) dimension [-].")
    attention_heads: int = Field(gt=0, description="Query heads [heads].")
    kv_heads: int = Field(gt=0, description="Key/value heads (GQA / MQA); drives KV-cache size [heads].")
    head_dim: int = Field(gt=0, description="Dimension per head [-].")
    vocab_size: int = Field(gt=0, description="Vocabulary size [tokens].")
    max_context: int = Field(gt=0, description="Maximum context length [tokens].")
    license: str = Field(min_length=1, description="Licence name (notes say where it comes from).")
    experts_total: Optional[int] = Field(None, gt=0, description="MoE: routed experts per MoE layer (a shared expert is not counted; notes say so) [experts].")
    experts_per_token: Optional[int] = Field(None, gt=0, description="MoE: routed experts per token [experts].")

    @model_validator(mode="after")
    def _check(self) -> "ModelEntry":
        if self.active_params_b > self.total_params_b + 1e-9:
            raise ValueError(f"active_params_b ({self.active_params_b}) must be <= total_params_b ({self.total_params_b})")
        return self

    @property
    def is_moe(self) -> bool:
        return self.active_params_b < self.total_params_b - 1e-9


class GpuEntry(Entry):
    """An accelerator's specification (dense tensor throughput, sparsity already halved)."""

    name: str = Field(min_length=1, description="Display name.")
    vendor: str = Field(min_length=1, description="nvidia, amd, ...")
    memory_gb: float = Field(gt=0, description="Device memory [GB].")
    mem_bw_tbs: float = Field(gt=0, description="Memory bandwidth [TB/s].")
    bf16_tflops: float = Field(gt=0, description="Dense BF16 tensor throughput, also used for FP16 (cards without BF16 such as T4/V100 carry their FP16 figure and say so) [TFLOPS].")
    fp8_tflops: Optional[float] = Field(None, gt=0, description="Dense FP8 tensor throughput [TFLOPS]; absent = no FP8 support.")
    fp4_tflops: Optional[float] = Field(None, gt=0, description="Dense FP4 tensor throughput [TFLOPS]; absent = no FP4 support.")
    int8_tops: Optional[float] = Field(None, gt=0, description="Dense INT8 throughput [TOPS].")
    tdp_w: Optional[float] = Field(None, gt=0, description="Board power; absent when no GPU-only figure is published (GH200) [W].")
    confidence: str = Field("high", description="high | medium | low (or a combination), as the reference rates the source.")

    def tflops(self, precision: str) -> Optional[float]:
        """Dense tensor TFLOPS used for a weight precision [TFLOPS] (None when unsupported)."""
        p = precision.lower()
        if p in ("bf16", "fp16", "fp32"):
            return self.bf16_tflops
        if p in ("fp8",):
            return self.fp8_tflops
        if p == "int8":
            return self.int8_tops or self.fp8_tflops
        if p in ("fp4",):
            return self.fp4_tflops
        if p == "int4":  # weight-only int4: compute runs in bf16/fp8
            return self.fp8_tflops or self.bf16_tflops
        return None

    def supports(self, precision: str) -> bool:
        return self.tflops(precision) is not None


class RentalOfferEntry(Entry):
    """A cloud instance type and its hourly prices."""

    provider: str = Field(min_length=1, description="Cloud provider (e.g. AWS EC2, Lambda, RunPod).")
    instance_type: str = Field(min_length=1, description="Instance / SKU name as the provider spells it.")
    gpu: str = Field(description="GPU id (gpus catalog).")
    gpus_per_instance: int = Field(gt=0, description="GPUs in one instance [GPUs].")
    region: str = Field("", description="Region the on-demand price applies to (notes name the region of spot / reserved prices when different).")
    usd_per_instance_hour_on_demand: Optional[float] = Field(None, ge=0, description="On-demand price [USD/instance-hour].")
    usd_per_instance_hour_spot: Optional[float] = Field(None, ge=0, description="Spot / interruptible price, a volatile snapshot [USD/instance-hour].")
    usd_per_instance_hour_reserved: Optional[float] = Field(None, ge=0, description="Reserved / capacity-block effective price [USD/instance-hour].")

    @model_validator(mode="after")
    def _check(self) -> "RentalOfferEntry":
        if all(getattr(self, f) is None for f in RENT_PRICE_FIELDS.values()):
            raise ValueError("at least one of usd_per_instance_hour_on_demand, _spot, _reserved is required")
        return self

    def price(self, pricing: str) -> Optional[float]:
        """USD per instance-hour for a pricing type (on_demand | spot | reserved)."""
        return getattr(self, RENT_PRICE_FIELDS[pricing])


RENT_PRICE_FIELDS = {
    "on_demand": "usd_per_instance_hour_on_demand",
    "spot": "usd_per_instance_hour_spot",
    "reserved": "usd_per_instance_hour_reserved",
}


class ServerEntry(Entry):
    """A GPU server one can buy."""

    name: str = Field(min_length=1, description="Display name.")
    gpu: str = Field(description="GPU id (gpus catalog).")
    gpus_per_server: int = Field(gt=0, description="GPUs per server [GPUs].")
    price_usd: float = Field(gt=0, description="Purchase price per server [USD].")
    power_kw: float = Field(gt=0, description="Maximum power draw per server; the engine multiplies it by power_load_factor and pue, and colocation is charged per kW of it [kW].")
    confidence: str = Field("medium", description="high | medium | low.")
    low_confidence: bool = Field(False, description="True when the price or power is a weak figure (third-party quote, GPU-only MSRP x 8, power taken from another system).")


class FineTuningOffer(BaseModel):
    """An API offer's fine-tuning prices: training per 1M training tokens, and the fine-tuned model's
    inference prices [USD / 1M tokens] (docs/methodology.md#14-fine-tuning-tcofine_tuningpy)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    training_usd_per_million_tokens: float = Field(
        ge=0, description="Training price [USD / 1M training tokens] (LoRA when a full price is given too).")
    training_usd_per_million_tokens_full: Optional[float] = Field(
        None, ge=0, description="Full fine-tuning price [USD / 1M training tokens] when priced apart from LoRA.")
    input: float = Field(ge=0, description="Fine-tuned model input price [USD / 1M tokens].")
    output: float = Field(ge=0, description="Fine-tuned model output price [USD / 1M tokens].")
    cached_input: Optional[float] = Field(None, ge=0, description="Fine-tuned model cached-input price [USD / 1M tokens].")
    source: str = Field(min_length=1, description="Where the fine-tuning prices come from.")
    as_of: str = Field(min_length=1, description="Date of the fine-tuning prices.")
    kind: Kind = Field("sourced", description="sourced | measured | estimated | judgement.")
    notes: Optional[str] = Field(None, description="Caveats.")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nan(cls, v: Any) -> Any:
        if isinstance(v, (_dt.date, _dt.datetime)):
            return v.isoformat()[:10]
        if isinstance(v, bool):
            raise ValueError(f"must be a number or text, got {v!r}")
        return _finite(v)

    def training_price(self, method: str) -> float:
        """Training price for a method (lora | full) [USD / 1M training tokens]."""
        if method == "full" and self.training_usd_per_million_tokens_full is not None:
            return self.training_usd_per_million_tokens_full
        return self.training_usd_per_million_tokens


class ApiLatency(BaseModel):
    """Published median speed of a hosted API (tco/model/slo.py compares it with the scenario's SLO)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    ttft_median_ms: Optional[float] = Field(None, gt=0, description="Median time to first token [ms].")
    output_tokens_per_s_median: Optional[float] = Field(None, gt=0, description="Median output speed after the first token (TPOT = 1000 / speed) [tokens/s].")
    source: str = Field(min_length=1, description="Where the latency figures come from (URL).")
    as_of: str = Field(min_length=1, description="Date of the latency figures.")
    kind: Kind = Field("measured", description="measured (a benchmark) | sourced | estimated.")
    confidence: str = Field("medium", description="high | medium | low, as the source warrants.")
    notes: Optional[str] = Field(None, description="Prompt length, window, which endpoint.")

    @field_validator("ttft_median_ms", "output_tokens_per_s_median", mode="before")
    @classmethod
    def _no_nan(cls, v: Any) -> Any:
        return _finite(v)

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_to_text(cls, v: Any) -> Any:
        return date_text(v)

    @model_validator(mode="after")
    def _one_figure(self) -> "ApiLatency":
        if self.ttft_median_ms is None and self.output_tokens_per_s_median is None:
            raise ValueError("needs ttft_median_ms or output_tokens_per_s_median")
        return self


class ApiOfferEntry(Entry):
    """A hosted model's per-token prices (USD per 1M tokens)."""

    provider: str = Field(min_length=1, description="API provider.")
    model_name: str = Field(min_length=1, description="The provider's model name.")
    serves_model: Optional[str] = Field(None, description="Catalog model id this API serves (hosted open-weight models; must exist in data/models.yaml).")
    input: float = Field(ge=0, description="Input (prompt) price [USD / 1M tokens].")
    output: float = Field(ge=0, description="Output (completion) price [USD / 1M tokens].")
    cached_input: Optional[float] = Field(None, ge=0, description="Cached-input (cache read) price [USD / 1M tokens].")
    cache_write: Optional[float] = Field(None, ge=0, description="Cache-write price (Anthropic: 5-minute TTL) [USD / 1M tokens].")
    batch_input: Optional[float] = Field(None, ge=0, description="Batch API input price [USD / 1M tokens].")
    batch_output: Optional[float] = Field(None, ge=0, description="Batch API output price [USD / 1M tokens].")
    context_tokens: Optional[int] = Field(None, gt=0, description="Maximum input context (LiteLLM max_input_tokens) [tokens].")
    fine_tuning: Optional[FineTuningOffer] = Field(
        None, description="Fine-tuning offer: training price and the fine-tuned model's prices (absent: cannot be fine-tuned).")
    latency: Optional[ApiLatency] = Field(None, description="Published median TTFT and output speed, with source and as-of; used to check the scenario's SLO (docs/methodology.md section 16).")


class Stats(BaseModel):
    """Latency statistics [ms]; any subset may be known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: Optional[float] = Field(None, ge=0, description="Mean [ms].")
    median: Optional[float] = Field(None, ge=0, description="Median [ms].")
    p90: Optional[float] = Field(None, ge=0, description="90th percentile [ms].")
    p95: Optional[float] = Field(None, ge=0, description="95th percentile [ms].")
    p99: Optional[float] = Field(None, ge=0, description="99th percentile [ms].")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nan(cls, v: Any) -> Any:
        return _finite(v)


class ProfilePoint(BaseModel):
    """One point of a load sweep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    load: Optional[str] = Field(None, description="The load as published: QPS=8, QPS=INF, offline (infinite request rate).")
    request_rate: Optional[float] = Field(None, ge=0, description="Offered request rate; absent/null = unbounded (QPS=INF, offline) [req/s].")
    concurrency: Optional[float] = Field(None, gt=0, description="Concurrent requests held by the client (closed-loop benchmarks) [requests].")
    request_throughput_rps: Optional[float] = Field(None, ge=0, description="Completed requests per second [req/s].")
    output_tokens_per_s: Optional[float] = Field(None, ge=0, description="Output tokens per second of the whole replica (all its GPUs) [tokens/s].")
    ttft_ms: Stats = Field(default_factory=Stats, description="Time to first token [ms].")
    tpot_ms: Stats = Field(default_factory=Stats, description="Time per output token after the first [ms].")
    itl_ms: Stats = Field(default_factory=Stats, description="Inter-token latency [ms].")

    @field_validator("request_rate", "concurrency", "request_throughput_rps", "output_tokens_per_s", mode="before")
    @classmethod
    def _no_nan(cls, v: Any) -> Any:
        return _finite(v)


class ProfileEntry(Entry):
    """A throughput profile: one configuration measured (or estimated) along a load sweep."""

    model: str = Field(description="Model id (models catalog).")
    gpu: str = Field(description="GPU id (gpus catalog).")
    gpus: int = Field(gt=0, description="GPUs per replica (prefill and decode together when disaggregated) [GPUs].")
    precision: Precision = Field(description="Weight precision.")
    engine: str = Field("unknown", description="Serving engine and version, e.g. TensorRT-LLM + Triton v0.14.0; unknown when the source does not say (an importer never takes a client protocol for the engine).")
    endpoint: Optional[str] = Field(None, description="Client protocol / endpoint the benchmark used (e.g. openai, openai-chat, chat); not the engine.")
    missing: list[str] = Field(default_factory=list, description="What the profile format has but the source lacks: metrics (ttft_ms, tpot_ms, itl_ms, request_throughput_rps, output_tokens_per_s, load, isl, osl) and configuration fields the file does not state (engine, engine_version, tp; left empty, never guessed); written by the importers, each also explained in notes.")
    isl: Optional[float] = Field(None, gt=0, description="Mean input tokens per request of the benchmark [tokens].")
    osl: Optional[float] = Field(None, gt=0, description="Mean output tokens per request of the benchmark [tokens].")
    scenario: str = Field("online_serving", description="online_serving (request-rate sweep with latencies: use for SLO-bound capacity) | offline_throughput (infinite request rate, no latency bound: an upper bound on tokens/s).")
    points: list[ProfilePoint] = Field(min_length=1, description="Load sweep points.")
    engine_version: Optional[str] = Field(None, description="Engine version or container image as published.")
    tp: Optional[int] = Field(None, gt=0, description="Tensor-parallel degree (decode workers when disaggregated) [GPUs].")
    ep: Optional[int] = Field(None, gt=0, description="Expert-parallel degree (MoE) [GPUs].")
    dp_attention: Optional[bool] = Field(None, description="Data-parallel attention (one attention replica per GPU).")
    disaggregated: bool = Field(False, description="Prefill and decode on separate GPUs; `gpus` counts both.")
    speculative: Optional[str] = Field(None, description="Speculative decoding method (e.g. mtp); such profiles are not comparable at equal TPOT and never picked by default.")

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_unknown(cls, v: Any) -> Any:
        return "unknown" if v is None else v


class AssumptionEntry(Entry):
    """A default used when a scenario does not say (with a range for sensitivity)."""

    value: float = Field(description="Default used when a scenario does not set it [as unit].")
    unit: str = Field(min_length=1, description="Unit of value, low and high.")
    description: str = Field(min_length=1, description="What it is.")
    low: Optional[float] = Field(None, description="Low end of the plausible range (sensitivity / Monte Carlo) [as unit].")
    high: Optional[float] = Field(None, description="High end of the plausible range [as unit].")


COST_LINE_KINDS = ("one_off", "monthly", "per_gpu_month", "per_gpu_year", "per_server_month",
                   "per_million_tokens", "per_request")  # the same list as tco.scenario.COST_LINE_KINDS


class CostLineEntry(Entry):
    """A sourced cost beyond GPUs the app offers as a one-click scenario cost line (docs/data.md).

    Exactly one of ``amount_usd`` (in the units of ``line_kind``), ``share_of_server_capex`` (a
    per_server_month line: share x server price / depreciation months) or ``usd_per_gb`` (a
    per_million_tokens line: USD/GB x workload.egress_gb_per_million_tokens).
    """

    name: str = Field(min_length=1, max_length=100, description="Line-item name the scenario line gets.")
    category: Literal["software licence", "networking", "egress", "storage", "observability", "compliance",
                      "set-up"] = Field(description="What kind of cost it is.")
    line_kind: Literal["one_off", "monthly", "per_gpu_month", "per_gpu_year", "per_server_month",
                       "per_million_tokens", "per_request"] = Field(description="The scenario cost line's kind.")
    amount_usd: Optional[float] = Field(None, ge=0, description="Amount per the unit of line_kind (per month, per GPU-year, per 1M tokens, ...); exactly one of amount_usd, share_of_server_capex, usd_per_gb [USD].")
    share_of_server_capex: Optional[float] = Field(None, gt=0, le=1, description="A per_server_month line = share x server price / (12 x depreciation_years) [fraction 0-1].")
    usd_per_gb: Optional[float] = Field(None, ge=0, description="Price of data sent out; a per_million_tokens line = usd_per_gb x workload.egress_gb_per_million_tokens [USD/GB].")
    unit: str = Field(min_length=1, description="Unit of the published figure, as the source states it.")
    applies_to: Literal["all", "api", "self_host", "rent", "own"] = Field("all", description="Default option group.")
    amortize_months: Optional[int] = Field(None, ge=1, le=600, description="one_off only: accrual spread over this many months [months].")
    low: Optional[float] = Field(None, ge=0, description="Low end of the published range [as the value used].")
    high: Optional[float] = Field(None, ge=0, description="High end of the published range [as the value used].")
    confidence: str = Field("medium", description="high | medium | low, as the source warrants.")

    @model_validator(mode="after")
    def _check(self) -> "CostLineEntry":
        given = [f for f in ("amount_usd", "share_of_server_capex", "usd_per_gb") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"needs exactly one of amount_usd, share_of_server_capex, usd_per_gb; got {given or 'none'}")
        if self.share_of_server_capex is not None and self.line_kind != "per_server_month":
            raise ValueError("share_of_server_capex needs line_kind per_server_month")
        if self.usd_per_gb is not None and self.line_kind != "per_million_tokens":
            raise ValueError("usd_per_gb needs line_kind per_million_tokens")
        if self.amortize_months is not None and self.line_kind != "one_off":
            raise ValueError("amortize_months applies to line_kind one_off only")
        if self.line_kind in ("per_gpu_month", "per_gpu_year", "per_server_month") and self.applies_to == "api":
            raise ValueError(f"a {self.line_kind} line needs GPUs or servers; applies_to api has none")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self

    @property
    def value(self) -> float:
        """The figure used: amount_usd, share_of_server_capex or usd_per_gb."""
        return next(v for v in (self.amount_usd, self.share_of_server_capex, self.usd_per_gb) if v is not None)


#: catalog name -> (file name, entry schema)
CATALOGS: dict[str, tuple[str, type[Entry]]] = {
    "models": ("models.yaml", ModelEntry),
    "gpus": ("gpus.yaml", GpuEntry),
    "offers": ("rental_offers.yaml", RentalOfferEntry),
    "servers": ("servers.yaml", ServerEntry),
    "apis": ("api_offers.yaml", ApiOfferEntry),
    "profiles": ("profiles.yaml", ProfileEntry),
    "assumptions": ("assumptions.yaml", AssumptionEntry),
    "cost_lines": ("cost_lines.yaml", CostLineEntry),
}
#: Catalogs a data directory may leave out (an absent file is an empty catalog).
OPTIONAL_CATALOGS = ("profiles", "cost_lines")
#: The YAML top-level key of each catalog file.
TOP_KEYS = {
    "models": "models",
    "gpus": "gpus",
    "offers": "rental_offers",
    "servers": "servers",
    "apis": "api_offers",
    "profiles": "profiles",
    "assumptions": "assumptions",
    "cost_lines": "cost_lines",
}

#: Assumption ids the engine reads as defaults (a test checks they all exist in data/).
REQUIRED_ASSUMPTIONS = (
    "pue",
    "usd_per_kwh",
    "colo_usd_per_kw_month",
    "power_load_factor",
    "maintenance_share_per_year",
    "depreciation_years",
    "discount_rate",
    "fte_cost_per_year",
    "target_utilization",
    "spare_replicas",
    "staff_fte_rent",
    "staff_fte_own",
)


@dataclass(frozen=True)
class Catalog:
    """Every catalog, keyed by id. Read-only; share it between sessions."""

    models: dict[str, ModelEntry]
    gpus: dict[str, GpuEntry]
    offers: dict[str, RentalOfferEntry]
    servers: dict[str, ServerEntry]
    apis: dict[str, ApiOfferEntry]
    profiles: dict[str, ProfileEntry]
    assumptions: dict[str, AssumptionEntry]
    cost_lines: dict[str, CostLineEntry] = field(default_factory=dict)
    data_dir: str = ""
    files: dict[str, str] = field(default_factory=dict)  # catalog name -> file path shown in messages
    extra: dict[str, Any] = field(default_factory=dict)  # room for later catalogs (quality, ...)

    def get(self, catalog: str) -> dict[str, Entry]:
        return getattr(self, catalog)

    def assumption(self, key: str) -> float:
        try:
            return self.assumptions[key].value
        except KeyError as exc:
            raise CatalogError([Problem(self.files.get("assumptions", "assumptions.yaml"), key, None,
                                        "required assumption is missing")]) from exc

    def version(self) -> str:
        """A short hash of the content, for cache keys (computed once: the catalog is read-only; an edit
        makes a new Catalog with ``dataclasses.replace``)."""
        cached = self.__dict__.get("_version")
        if cached is None:
            import hashlib

            h = hashlib.sha256()
            for name in CATALOGS:
                for key in sorted(self.get(name)):
                    h.update(self.get(name)[key].model_dump_json().encode())
            cached = h.hexdigest()[:16]
            object.__setattr__(self, "_version", cached)  # frozen dataclass: a memo, not a field
        return cached


def format_validation_error(exc: ValidationError, prefix: tuple = ()) -> list[tuple[str, str]]:
    """Pydantic errors -> ``[(dotted.field.path, message)]`` with plain-language messages."""
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in prefix] + [str(p) for p in err.get("loc", ()) if p != "__root__"]
        path = ".".join(loc)
        out.append((path, _message(err)))
    return out


def _message(err: dict) -> str:
    typ = err.get("type", "")
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    got = f", got {inp!r}" if not isinstance(inp, (dict, list)) else ""
    bounds = {
        "greater_than_equal": ">=",
        "greater_than": ">",
        "less_than_equal": "<=",
        "less_than": "<",
    }
    if typ in bounds:
        limit = next(iter(ctx.values())) if ctx else "?"
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {bounds[typ]} {limit}{got}"
    if typ == "missing":
        return "required field is missing"
    if typ == "extra_forbidden":
        return "unknown field (check the spelling; see docs)"
    if typ in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return f"must be a number{got}"
    if typ in ("string_type",):
        return f"must be text{got}"
    if typ == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}{got}"
    if typ == "literal_error":
        return f"must be one of {ctx.get('expected')}{got}"
    if typ in ("bool_parsing", "bool_type"):
        return f"must be true or false{got}"
    if typ in ("list_type",):
        return f"must be a list{got}"
    if typ in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping{got}"
    if typ == "too_short":
        return f"must not be empty{got}"
    if typ == "value_error":
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    msg = str(err.get("msg", typ))
    return f"{msg}{got}"


def _parse_entries(path: Path, shown: str, top_key: str, schema: type[Entry],
                   problems: list[Problem], allow_single: bool = False,
                   rejected: set | None = None) -> list[Entry]:
    # ``rejected`` collects ids of entries that failed validation ("*" = file unusable), so the
    # cross-check does not bury the real problem under "unknown id" lines for every reference.
    rejected = set() if rejected is None else rejected
    try:
        doc = load_yaml_file(path)
    except YamlLoadError as exc:
        problems.append(Problem(shown, None, None, str(exc)))
        rejected.add("*")
        return []
    if allow_single and isinstance(doc, dict) and top_key not in doc and "points" in doc:
        items = [doc]
    elif not isinstance(doc, dict) or top_key not in doc:
        problems.append(Problem(shown, None, None, f"expected a mapping with a top-level '{top_key}:' list"))
        rejected.add("*")
        return []
    else:
        items = doc[top_key]
        extra = sorted(set(doc) - {top_key})
        if extra:
            problems.append(Problem(shown, None, None, f"unknown top-level key(s) {extra}; expected only '{top_key}'"))
    if items is None:
        items = []
    if not isinstance(items, list):
        problems.append(Problem(shown, None, top_key, "must be a list of entries"))
        rejected.add("*")
        return []
    out = []
    for i, raw in enumerate(items):
        label = f"entry {i + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            label = raw["id"]
        if not isinstance(raw, dict):
            problems.append(Problem(shown, label, None, "must be a mapping of fields"))
            continue
        try:
            out.append(schema.model_validate(raw))
        except ValidationError as exc:
            rejected.add(label)
            for fpath, msg in format_validation_error(exc):
                problems.append(Problem(shown, label, fpath or None, msg))
    return out


def _display_path(path: Path, data_dir: Path) -> str:
    try:
        return str(Path(data_dir.name) / path.relative_to(data_dir))
    except ValueError:
        return str(path)


def load_catalog(data_dir: str | Path | None = None) -> Catalog:
    """Load and validate every catalog in ``data_dir`` (default: the bundled data/).

    Raises :class:`CatalogError` listing every problem found (all files are checked).
    """
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise CatalogError([Problem(str(data_dir), None, None, "data directory not found")])
    loaded: dict[str, dict[str, Entry]] = {}
    files: dict[str, str] = {}
    rejected: dict[str, set] = {}
    origins: dict[str, dict[str, str]] = {}  # catalog -> id -> file it came from (profiles/*.yaml too)
    for name, (fname, schema) in CATALOGS.items():
        path = data_dir / fname
        shown = _display_path(path, data_dir)
        files[name] = shown
        rejected[name] = set()
        entries: list[tuple[str, Entry]] = []
        if path.exists():
            entries += [(shown, e) for e in _parse_entries(path, shown, TOP_KEYS[name], schema, problems,
                                                           rejected=rejected[name])]
        elif name not in OPTIONAL_CATALOGS:
            problems.append(Problem(shown, None, None, "catalog file is missing"))
            rejected[name].add("*")
        if name == "profiles" and (data_dir / "profiles").is_dir():
            for sub in sorted((data_dir / "profiles").glob("*.y*ml")):
                sshown = _display_path(sub, data_dir)
                entries += [(sshown, e) for e in _parse_entries(sub, sshown, "profiles", schema, problems,
                                                                allow_single=True, rejected=rejected[name])]
        by_id: dict[str, Entry] = {}
        for shown_file, e in entries:
            if e.id in by_id:
                problems.append(Problem(shown_file, e.id, "id", "duplicate id"))
                continue
            by_id[e.id] = e
            origins.setdefault(name, {})[e.id] = shown_file
        loaded[name] = by_id
    cross_check(loaded, files, problems, rejected, origins)
    if problems:
        raise CatalogError(problems)
    return Catalog(**loaded, data_dir=str(data_dir), files=files)


def cross_check(c: dict[str, dict[str, Entry]], files: dict[str, str], problems: list[Problem],
                rejected: dict[str, set] | None = None, origins: dict[str, dict[str, str]] | None = None) -> None:
    """Cross-catalog references (an offer's GPU, a profile's model, ...) exist: each broken one appended to
    ``problems`` (entries listed in ``rejected`` are skipped; ``origins`` names the file an entry came from)."""
    gpus, models = c.get("gpus", {}), c.get("models", {})
    origins = origins or {}
    rejected = rejected or {}

    def ref(cat: str, e: Entry, fieldname: str, target: dict, target_name: str) -> None:
        val = getattr(e, fieldname)
        bad = rejected.get(target_name + "s", set())
        if val is not None and val not in target and "*" not in bad and val not in bad:
            problems.append(Problem(origins.get(cat, {}).get(e.id, files[cat]), e.id, fieldname,
                                    f"unknown {target_name} id '{val}'"))

    for e in c.get("offers", {}).values():
        ref("offers", e, "gpu", gpus, "gpu")
    for e in c.get("servers", {}).values():
        ref("servers", e, "gpu", gpus, "gpu")
    for e in c.get("apis", {}).values():
        ref("apis", e, "serves_model", models, "model")
    for e in c.get("profiles", {}).values():
        ref("profiles", e, "model", models, "model")
        ref("profiles", e, "gpu", gpus, "gpu")
    assumptions = c.get("assumptions", {})
    if assumptions:
        for key in REQUIRED_ASSUMPTIONS:
            if key not in assumptions and key not in rejected.get("assumptions", set()):
                problems.append(Problem(files["assumptions"], key, None, "required assumption is missing"))


def weight_memory_gb(total_params_b: float, precision: str) -> float:
    """Weight memory [GB] = total params [1e9] x bytes per parameter of the precision [B] (1 GB = 1e9 B).

    MoE models store every expert, so this takes *total* parameters.
    """
    return total_params_b * BYTES_PER_PARAM[precision]


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, kv_dtype: str = "bf16") -> float:
    """KV-cache bytes per token [B] = 2 (K and V) x layers x kv_heads x head_dim x bytes of the KV dtype."""
    return 2.0 * layers * kv_heads * head_dim * BYTES_PER_PARAM[kv_dtype]


__all__ = [
    "Catalog", "load_catalog", "CATALOGS", "TOP_KEYS", "REQUIRED_ASSUMPTIONS", "Entry", "ModelEntry",
    "GpuEntry", "RentalOfferEntry", "ServerEntry", "ApiOfferEntry", "FineTuningOffer", "ProfileEntry", "ProfilePoint",
    "Stats", "AssumptionEntry", "weight_memory_gb", "kv_bytes_per_token", "parse_as_of",
    "format_validation_error", "PRECISIONS", "DEFAULT_DATA_DIR", "CostLineEntry", "OPTIONAL_CATALOGS",
    "COST_LINE_KINDS",
]
