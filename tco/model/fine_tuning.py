"""Fine-tuning: training compute, GPUs, run schedule and cost (docs/methodology.md, section 14).

Conventions: FLOPs are floating-point operations (not per second); TFLOPS are 1e12 FLOP/s of dense
BF16 tensor throughput; parameters in billions (``*_params_b``) as in data/models.yaml; memory in GB
(1e9 bytes); money in USD; month indices count from the scenario start (0 = first month).

The pure formulas come first (one per function, formula and units in the docstring). ``plan_runs``
at the end chains them for one option of a scenario and records every input with its origin, so the
engine only adds the resulting ``fine_tuning`` line item.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from tco.core.constants import TOKENS_PER_MILLION
from tco.scenario import month_index

#: Training FLOPs per parameter per token [FLOP / (param x token)].
#: full: 6 = 2 (forward) + 4 (backward: activation and weight gradients); Kaplan et al. 2020,
#: arXiv:2001.08361, and MosaicML llm-foundry's MFU definition (3 x 2N per token).
#: lora: 4 = 2 (forward) + 2 (activation gradients only: frozen weights get no weight gradient);
#: Thinking Machines Lab, "LoRA Without Regret" (2025-09-29): a LoRA pass costs "slightly more than
#: 2/3" of a full fine-tuning pass (the adapters' own FLOPs, < 1 % of the model, are neglected).
FLOPS_PER_PARAM_TOKEN = {"full": 6.0, "lora": 4.0}

#: Training state bytes per parameter [B/param].
#: full, mixed-precision Adam: BF16 weights 2 + BF16 gradients 2 + FP32 master weights 4 + FP32 Adam
#: first and second moments 4 + 4 = 16 (ZeRO, Rajbhandari et al. 2019, arXiv:1910.02054, "16 Psi").
#: lora: the frozen base in BF16, 2 B/param; the adapters carry the full 16 B/param state.
STATE_BYTES_PER_PARAM = {"full": 16.0, "lora": 2.0}
ADAPTER_STATE_BYTES_PER_PARAM = 16.0

#: LoRA defaults for the memory estimate (not a cost driver: adapters are < 1 % of the parameters).
#: Rank 16 on the four attention projections (q, k, v, o; Hu et al. 2021 adapted W_q and W_v).
LORA_RANK = 16
#: Activation memory defaults: sequence length [tokens] and micro-batch [sequences] of a fine-tuning
#: step, with full activation checkpointing (judgement: a typical SFT setting; give your own).
TRAINING_SEQ_LEN = 4096
TRAINING_MICRO_BATCH = 1


def training_flops(active_params_b, training_tokens, epochs, method: str) -> np.ndarray:
    """Training compute of one run [FLOP].

    FLOPs = k x P_active x 1e9 x training_tokens x epochs, k = 6 (full) or 4 (LoRA)
    active_params_b [1e9 params] (MoE: the parameters active per token); training_tokens [tokens];
    epochs [-]. Attention FLOPs (3 x layers x 4 x d_model x seq per token, llm-foundry) are left out,
    as in the 6 N D rule.
    """
    k = FLOPS_PER_PARAM_TOKEN[method]
    return k * np.asarray(active_params_b, dtype=float) * 1e9 * np.asarray(training_tokens, dtype=float) * epochs


def training_gpu_hours(flops, bf16_tflops, mfu) -> np.ndarray:
    """GPU time of one run [GPU-h] = FLOPs / (bf16_tflops x 1e12 x mfu) / 3600.

    flops [FLOP]; bf16_tflops [TFLOPS] dense BF16 of one GPU; mfu [0-1] model FLOPs utilisation.
    Independent of the number of GPUs as long as the MFU holds (it falls at scale; see the MFU entry).
    """
    return np.asarray(flops, dtype=float) / (np.asarray(bf16_tflops, dtype=float) * 1e12 * mfu) / 3600.0


def lora_adapter_params_b(layers, hidden_size, kv_heads, head_dim, rank=LORA_RANK) -> float:
    """LoRA trainable parameters [1e9 params] with adapters on q, k, v, o of every layer.

    P_adapter = rank x layers x [2 x (h + h) + 2 x (h + kv_heads x head_dim)] / 1e9
    (an adapter on a d_in x d_out matrix has rank x (d_in + d_out) parameters; q, o are h x h, k, v are
    h x kv_heads x head_dim).
    """
    kv = kv_heads * head_dim
    return rank * layers * (2 * (hidden_size + hidden_size) + 2 * (hidden_size + kv)) / 1e9


def training_activation_gb(layers, hidden_size, seq_len=TRAINING_SEQ_LEN, micro_batch=TRAINING_MICRO_BATCH) -> float:
    """Activation memory with full activation checkpointing [GB].

    act = s x b x h x (2 x layers + 34) / 1e9: the BF16 input of every layer is kept (2 s b h bytes per
    layer) and one layer is recomputed at a time (34 s b h bytes; the 5 a s^2 b attention term is dropped,
    as with flash attention). Korthikanti et al. 2022, arXiv:2205.05198, sections 4.1 and 5.
    s = seq_len [tokens], b = micro_batch [sequences], h = hidden_size.
    """
    return seq_len * micro_batch * hidden_size * (2.0 * layers + 34.0) / 1e9


def training_memory_gb(total_params_b, method: str, adapter_params_b=0.0, activation_gb=0.0) -> float:
    """Memory to hold the training state [GB].

    full: 16 x P_total + act;  lora: 2 x P_total + 16 x P_adapter + act
    P [1e9 params], bytes per parameter from STATE_BYTES_PER_PARAM (mixed-precision Adam), act [GB].
    """
    mem = STATE_BYTES_PER_PARAM[method] * total_params_b + activation_gb
    if method == "lora":
        mem += ADAPTER_STATE_BYTES_PER_PARAM * adapter_params_b
    return float(mem)


def training_gpus(memory_gb, gpu_memory_gb) -> int:
    """GPUs needed to hold the training state [GPUs] = ceil(memory_gb / gpu_memory_gb).

    A lower bound: the state is assumed sharded evenly (FSDP / ZeRO-3) with no workspace margin; real
    jobs also round to whole nodes.
    """
    return max(1, math.ceil(memory_gb / gpu_memory_gb - 1e-9))


def wall_clock_hours(gpu_hours, gpus) -> float:
    """Duration of one run [h] = GPU-hours [GPU-h] / GPUs."""
    return float(gpu_hours) / gpus


def self_host_run_cost(gpu_hours, usd_per_gpu_hour) -> float:
    """Cost of one self-hosted run [USD] = GPU-hours [GPU-h] x usd_per_gpu_hour [USD/GPU-h]."""
    return float(gpu_hours) * usd_per_gpu_hour


def api_run_cost(training_usd_per_million_tokens, training_tokens, epochs) -> float:
    """Cost of one API fine-tuning job [USD] = price [USD / 1M tokens] x training_tokens x epochs / 1e6."""
    return training_usd_per_million_tokens * training_tokens * epochs / TOKENS_PER_MILLION


def run_interval_months(runs_per_year) -> int:
    """Months between runs = round(12 / runs_per_year), halves rounded up, at least 1."""
    return max(1, int(math.floor(12.0 / runs_per_year + 0.5)))


def run_months(start_index: int, runs_per_year, months: int) -> np.ndarray:
    """Month indices of the runs: start, start + n, start + 2n, ... < months, n = run_interval_months."""
    if start_index >= months:
        return np.zeros(0, dtype=int)
    return np.arange(start_index, months, run_interval_months(runs_per_year), dtype=int)


def monthly_from_runs(run_idx, cost_per_run, months: int) -> np.ndarray:
    """Monthly series [USD or unit per month]: cost_per_run in each run month, 0 elsewhere."""
    out = np.zeros(months)
    out[np.asarray(run_idx, dtype=int)] = cost_per_run
    return out


def switched_prices(base, tuned, first_run_index: int, months: int) -> np.ndarray:
    """Price per month [USD / 1M tokens]: ``base`` before the first run, ``tuned`` from it on (shape (months,))."""
    m = np.arange(months)
    return np.where(m >= first_run_index, float(tuned), float(base))


# ----------------------------------------------------------------------------------------------
# One option's plan


@dataclass(frozen=True)
class FineTuningRun:
    """One run: month label and index, GPU-hours [GPU-h], GPUs, wall-clock hours [h], cost [USD]
    (GPU fields are None for API fine-tuning)."""

    month: str
    index: int
    cost_usd: float
    gpu_hours: Optional[float] = None
    gpus: Optional[int] = None
    wall_hours: Optional[float] = None
    training_tokens: float = 0.0  # tokens processed = training_tokens x epochs
    option: str = ""  # the route part that trains (empty for the option itself)

    def to_dict(self) -> dict:
        out = {"month": self.month, "gpu_hours": self.gpu_hours, "gpus": self.gpus, "wall_hours": self.wall_hours,
               "cost_usd": self.cost_usd, "training_tokens": self.training_tokens}
        if self.option:
            out["option"] = self.option
        return out


@dataclass(frozen=True)
class FineTuningPlan:
    """Fine-tuning of one option: the runs, the monthly cost [USD] and quantity, the inputs used.

    ``assumptions`` rows are dicts with name, value, unit, origin, source, as_of, ref (the engine turns
    them into its AssumptionUsed records). ``price_switch`` (API only): the fine-tuned model's prices
    [USD / 1M tokens] by engine price key and the month index they apply from.
    """

    runs: tuple[FineTuningRun, ...]
    cost_usd: np.ndarray
    quantity: np.ndarray
    unit: str
    assumptions: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    price_switch: Optional[dict[str, Any]] = None


class FineTuningError(ValueError):
    """A fine-tuning input problem; ``path`` is the scenario field it concerns."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def _a(name, value, unit, origin, source="", as_of="", ref="") -> dict:
    return dict(name=name, value=value, unit=unit, origin=origin, source=source, as_of=as_of, ref=ref)


def cheapest_on_demand_gpu_hour(catalog, gpu_id: str):
    """(USD per GPU-hour, offer) of the cheapest on-demand rental offer for ``gpu_id``; (None, None) if none.

    usd_per_gpu_hour = usd_per_instance_hour_on_demand / gpus_per_instance.
    """
    best = (None, None)
    for offer in catalog.offers.values():
        if offer.gpu != gpu_id or offer.usd_per_instance_hour_on_demand is None:
            continue
        price = offer.usd_per_instance_hour_on_demand / offer.gpus_per_instance
        if best[0] is None or price < best[0]:
            best = (price, offer)
    return best


def plan_runs(ft, scenario, option, catalog, params: dict, path: str) -> FineTuningPlan:
    """The fine-tuning runs of ``option`` (a scenario Option with ``fine_tuned: true``).

    ``ft`` is the scenario's FineTuning block; ``params`` the engine's resolved parameters of the option (a
    tco.model.records record or a mapping; self-host: payment, rent_mode, usd_per_gpu_hour, usd_per_instance_hour,
    gpus_per_instance).
    Raises FineTuningError (naming ``path``) for an API without a fine-tuning offer, inline prices, or
    an owned GPU with no rental offer to price the training burst.
    """

    months = scenario.months
    labels = scenario.month_labels()
    start = month_index(scenario.start, ft.start) if ft.start else 0
    idx = run_months(start, ft.runs_per_year, months)
    tokens = ft.training_tokens * ft.epochs
    used = [_a("fine_tuning_runs", len(idx), "runs", "scenario",
               f"every {run_interval_months(ft.runs_per_year)} months from {labels[start] if start < months else ft.start}")]
    notes: list[str] = []
    if option.self_host is None:
        return _plan_api(ft, scenario, option, catalog, path, idx, labels, tokens, used, notes)
    sh = option.self_host
    model, gpu = catalog.models[sh.model], catalog.gpus[sh.gpu]
    m_file, g_file = catalog.files.get("models", "models"), catalog.files.get("gpus", "gpus")
    if ft.mfu is not None:
        mfu = float(ft.mfu)
        used.append(_a("fine_tuning_mfu", mfu, "fraction", "scenario"))
    else:
        a = catalog.assumptions.get("fine_tuning_mfu")
        if a is None:
            raise FineTuningError("fine_tuning.mfu", "required: the assumptions catalog has no fine_tuning_mfu")
        mfu = float(a.value)
        used.append(_a("fine_tuning_mfu", mfu, a.unit, "default", a.source, a.as_of,
                       f"{catalog.files.get('assumptions', 'assumptions')}: {a.id}"))
    flops = float(training_flops(model.active_params_b, ft.training_tokens, ft.epochs, ft.method))
    gpu_h = float(training_gpu_hours(flops, gpu.bf16_tflops, mfu))
    adapters = lora_adapter_params_b(model.layers, model.hidden_size, model.kv_heads, model.head_dim) \
        if ft.method == "lora" else 0.0
    mem = training_memory_gb(model.total_params_b, ft.method, adapters,
                             training_activation_gb(model.layers, model.hidden_size))
    n_gpus = training_gpus(mem, gpu.memory_gb)
    used += [
        _a("fine_tuning_active_params_b", model.active_params_b, "1e9 params", "catalog", model.source, model.as_of,
           f"{m_file}: {model.id}"),
        _a("fine_tuning_bf16_tflops", gpu.bf16_tflops, "TFLOPS", "catalog", gpu.source, gpu.as_of, f"{g_file}: {gpu.id}"),
        _a("fine_tuning_flops_per_run", flops, "FLOP", "default",
           f"{FLOPS_PER_PARAM_TOKEN[ft.method]:g} x P_active x tokens x epochs (docs/methodology.md section 14)"),
        _a("fine_tuning_memory_gb", round(mem, 3), "GB", "default",
           "training state (docs/methodology.md section 14)"),
    ]
    price, origin, src, as_of, ref = _gpu_hour_price(ft, sh, catalog, params, path)
    used.append(_a("fine_tuning_gpu_hour_usd", round(price, 6), "USD/GPU-hour", origin, src, as_of, ref))
    cost = self_host_run_cost(gpu_h, price)
    wall = wall_clock_hours(gpu_h, n_gpus)
    if model.is_moe:
        notes.append("fine-tuning FLOPs use the active parameters (MoE); memory holds every expert")
    runs = tuple(FineTuningRun(labels[i], int(i), cost, gpu_h, n_gpus, wall, tokens) for i in idx)
    return FineTuningPlan(runs, monthly_from_runs(idx, cost, months), monthly_from_runs(idx, gpu_h, months),
                          "GPU-hours", tuple(used), tuple(notes))


def _param(params, key: str):
    """A resolved parameter of the option: a mapping's item or a record's attribute (None when absent)."""
    return params.get(key) if isinstance(params, dict) else getattr(params, key, None)


def _gpu_hour_price(ft, sh, catalog, params, path: str):
    """(price [USD/GPU-h], origin, source, as_of, ref) of the training GPU-hours."""
    if ft.gpu_hour_usd is not None:
        return float(ft.gpu_hour_usd), "scenario", "", "", ""
    if _param(params, "payment") == "rent":
        offer = catalog.offers.get(sh.rent.offer) if sh.rent.offer else None
        src, as_of = (offer.source, offer.as_of) if offer is not None else ("", "")
        if _param(params, "rent_mode") == "gpu":
            return float(_param(params, "usd_per_gpu_hour")), \
                "scenario" if offer is None or sh.rent.usd_per_gpu_hour else "catalog", src, as_of, \
                "the option's own rental price"
        price = float(_param(params, "usd_per_instance_hour")) / float(_param(params, "gpus_per_instance"))
        return price, "catalog" if offer is not None and sh.rent.usd_per_instance_hour is None else "scenario", src, as_of, \
            f"the option's own rental price ({sh.rent.pricing}) / gpus_per_instance"
    price, offer = cheapest_on_demand_gpu_hour(catalog, sh.gpu)
    if price is None:
        raise FineTuningError("fine_tuning.gpu_hour_usd",
                              f"required for {path} (owned '{sh.gpu}'): no on-demand rental offer for that GPU in the catalog")
    return price, "catalog", offer.source, offer.as_of, \
        f"{catalog.files.get('offers', 'offers')}: {offer.id} (cheapest on-demand offer for {sh.gpu}; training bursts are rented)"


def _plan_api(ft, scenario, option, catalog, path, idx, labels, tokens, used, notes) -> FineTuningPlan:
    months = len(labels)
    if option.api is None:
        raise FineTuningError(f"{path}.fine_tuned", "inline-priced APIs cannot be fine-tuned (give an api id whose "
                                                    "catalog entry has a fine_tuning block)")
    offer = catalog.apis[option.api]
    ftb = offer.fine_tuning
    if ftb is None:
        have = sorted(k for k, e in catalog.apis.items() if e.fine_tuning is not None)
        raise FineTuningError(f"{path}.fine_tuned", f"API offer '{offer.id}' has no fine-tuning offer in the catalog "
                                                    f"(offers that can be fine-tuned: {', '.join(have) or 'none'})")
    ref = f"{catalog.files.get('apis', 'apis')}: {offer.id} fine_tuning"
    price = ftb.training_price(ft.method)
    used.append(_a("fine_tuning_training_usd_per_million_tokens", price, "USD/1M training tokens", "catalog",
                   ftb.source, ftb.as_of, ref))
    if ft.method == "full" and ftb.training_usd_per_million_tokens_full is None:
        notes.append(f"{offer.id}: one fine-tuning price for every method (the provider does not price full and LoRA apart)")
    if ftb.notes:
        notes.append(f"fine-tuning offer: {ftb.notes}")
    cost = api_run_cost(price, ft.training_tokens, ft.epochs)
    runs = tuple(FineTuningRun(labels[i], int(i), cost, training_tokens=tokens) for i in idx)
    switch = None
    if len(idx):
        # keys of tco.model.records.API_PRICE_KEYS
        tuned = {"input": ftb.input, "output": ftb.output,
                 "cached_input": ftb.cached_input if ftb.cached_input is not None else ftb.input}
        if ftb.cached_input is None and scenario.workload.cached_input_share > 0:
            notes.append("fine-tuned model has no cached-input price: cached input billed at its input price")
        # no batch or cache-write prices are published for fine-tuned models: billed at the tuned input/output prices
        tuned["batch_input"], tuned["batch_output"], tuned["cache_write"] = ftb.input, ftb.output, ftb.input
        if getattr(scenario.workload, "cache_write_share", 0) > 0:
            notes.append("fine-tuned model has no cache-write price: cache writes billed at its input price")
        for key in ("input", "output", "cached_input"):
            v = getattr(ftb, key)
            if v is not None:
                used.append(_a(f"fine_tuned_price_{key}", v, "USD/1M tokens", "catalog", ftb.source, ftb.as_of, ref))
        switch = {"prices": tuned, "from_index": int(idx[0]), "from_month": labels[int(idx[0])]}
    return FineTuningPlan(runs, monthly_from_runs(idx, cost, months), monthly_from_runs(idx, tokens / TOKENS_PER_MILLION, months),
                          "1M training tokens", tuple(used), tuple(notes), switch)


def with_fine_tuning(doc: dict, block: dict, option_names) -> dict:
    """A scenario document (dict) with the ``fine_tuning`` block set and ``fine_tuned: true`` on the named
    options (their other fields unchanged)."""
    names = set(option_names)
    out = dict(doc)
    out["fine_tuning"] = dict(block)
    out["options"] = [dict(o, fine_tuned=True) if o.get("name") in names else o for o in doc.get("options", [])]
    return out


__all__ = [
    "with_fine_tuning", "FLOPS_PER_PARAM_TOKEN", "STATE_BYTES_PER_PARAM", "ADAPTER_STATE_BYTES_PER_PARAM", "LORA_RANK", "TRAINING_SEQ_LEN",
    "TRAINING_MICRO_BATCH", "training_flops", "training_gpu_hours", "lora_adapter_params_b", "training_activation_gb",
    "training_memory_gb", "training_gpus", "wall_clock_hours", "self_host_run_cost", "api_run_cost",
    "run_interval_months", "run_months", "monthly_from_runs", "switched_prices", "FineTuningRun", "FineTuningPlan",
    "FineTuningError", "cheapest_on_demand_gpu_hour", "plan_runs",
]
