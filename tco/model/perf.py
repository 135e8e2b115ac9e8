"""Memory fit and the physics-based performance estimator (for configurations nobody measured).

Conventions
-----------
* A *replica* is one model copy served by ``gpus`` GPUs with tensor parallelism (TP = gpus).
* Memory is in GB (1e9 B) **per GPU**; time in seconds inside formulas, milliseconds in outputs
  (``ttft_ms``, ``tpot_ms``); throughput per replica (``output_tokens_per_s``,
  ``request_throughput_rps``).
* Every estimator output is labelled ``kind = "estimated"``; the method, its calibration on the
  measured reference rows and its measured error are in docs/estimator.md (regenerate the tables
  with ``python benchmarks/estimator_validation.py``).
* The hot path is vectorised: :func:`config_arrays` turns N configurations into numpy arrays and
  :func:`estimate_arrays` evaluates them all at once (no Python loop over configurations), so the
  optimizer can evaluate thousands of configurations per second.

The model (formulas, see docs/estimator.md and docs/capacity.md)
------------------------------------------------------------------
decode step at batch B and mean context L (per GPU, TP = N), a roofline for the always-used part
and one for the routed experts (MoE), plus collectives and fixed per-layer costs:
    t_shared  = max((shared bytes / N + B x L x kv_bytes / kv_split) / (bw x eff_bw),
                    B x (2 x shared_params x prec + 4 x layers x hidden x L) / N / (flops x eff_decode))
    t_experts = max(expert bytes touched(B) / N / (bw x eff_bw),
                    B x 2 x k x per_expert x moe x prec / N / (flops x eff_decode))
    t_step    = t_shared + t_experts + t_comm(B) + step_overhead + layers x layer_overhead
prefill work of one request of ISL tokens (compute-bound; weights are streamed by the decode steps
it is batched with):
    t_pf   = (ISL x parameter FLOPs per token + 2 x layers x hidden x ISL^2) / N / (flops x eff_prefill)
             + t_comm(ISL tokens)
serving B requests concurrently (continuous batching): GPU time per B requests
    T(B)   = B x t_pf + OSL x t_step(B, ISL + OSL/2)
    request_throughput_rps = B / T(B);  output_tokens_per_s = OSL x B / T(B)
at max throughput B is what the KV cache holds with ISL + kv_reserve x OSL tokens per sequence;
replicas without NVLink may run pipeline-parallel (the better of TP and PP).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np

from tco.catalog import GpuEntry, ModelEntry
from tco.core.constants import BYTES_PER_PARAM

#: Share of the memory left after weights and runtime overhead that the engine gives the KV cache [-]
#: (TensorRT-LLM's ``kv_cache_free_gpu_mem_fraction``, default 0.9; the reference table's runs used
#: 0.95 "where possible"). vLLM's ``gpu_memory_utilization`` 0.9 applies to the whole memory instead,
#: which leaves the KV cache less on small cards.
USABLE_MEMORY_FRACTION = 0.90
#: Runtime overhead per GPU outside weights and KV cache [GB]: CUDA context, cuBLAS/NCCL workspaces,
#: CUDA graphs and activation buffers (judgement: vLLM logs typically show 1-4 GB on 80 GB cards).
RUNTIME_OVERHEAD_GB = 3.0
#: Largest batch the engine schedules (TensorRT-LLM's default ``max_batch_size``; vLLM's
#: ``max_num_seqs`` defaults to 256, so vLLM max-throughput figures can be lower).
DEFAULT_MAX_BATCH = 2048
#: GPU-to-GPU bandwidth per direction for tensor-parallel all-reduce [GB/s], by GPU id prefix:
#: NVIDIA's per-GPU NVLink totals (A100 NVLink 3 600 GB/s, H100/H200 NVLink 4 900 GB/s, B200/GB200
#: NVLink 5 1.8 TB/s, both directions) halved; AMD MI300X Infinity Fabric 448 GB/s peer total halved
#: (approximation). Cards without NVLink (PCIe Gen4 x16 ~25 GB/s effective) get PCIE_GB_S.
#: B300/GB300 NVLink 5 1.8 TB/s and H20 NVLink 4 900 GB/s (the reference table gpus_new.csv) halved;
#: MI325X and MI355X: per-link Infinity Fabric bandwidth not captured, the MI300X figure is used.
LINK_GB_S_BY_GPU = {"b200": 900.0, "gb200": 900.0, "b300": 900.0, "gb300": 900.0, "h100-sxm": 450.0,
                    "h200": 450.0, "gh200": 450.0, "h20": 450.0, "a100": 300.0, "mi300x": 224.0,
                    "mi325x": 224.0, "mi355x": 224.0, "v100": 150.0}
PCIE_GB_S = 25.0
#: GPUs in one NVLink / Infinity Fabric domain [-]: GB200/GB300 NVL72 racks 72, HGX/OAM boards 8,
#: GH200 superchips 1 (NVLink-C2C to the CPU only; multi-GPU goes over the network). Beyond the domain
#: the collective runs over the scale-out network. PCIe cards: 1 (every collective over PCIe).
NVLINK_DOMAIN_BY_GPU = {"gb200": 72, "gb300": 72, "gh200": 1}
DEFAULT_NVLINK_DOMAIN = 8
#: Scale-out bandwidth per GPU and direction [GB/s]: one 400 Gb/s NIC per GPU (ConnectX-7 class) =
#: 50 GB/s (judgement: the usual HGX / MI300X cluster build), and its extra latency per collective
#: [us] (judgement: RDMA round trip a few us; not fitted, no multi-node aggregated rows to fit on).
SCALE_OUT_GB_S = 50.0
SCALE_OUT_LATENCY_US = 10.0
#: Bytes in one "GB" of device memory as vendors state it for HBM parts [B]: the figure is binary
#: (H100 "80GB" shows 81,559 MiB in nvidia-smi), so memory_gb x 2^30 bytes are on the device.
#: GDDR cards (L40S: 46,068 MiB for "48GB") are overstated by a few %, within the usable fraction.
DEVICE_BYTES_PER_GB = 2.0 ** 30
#: Ratios turning the estimator's median latencies into p95 [-].
#: TPOT: 1.03 = median over 2,562 non-speculative, aggregated points of online_sweeps.csv of the p95
#: derived from median and p99 (capacity.p95_from_median_p99); P10-P90 1.01-1.12.
#: TTFT: 1.5 (judgement, from the sample vLLM runs in the reference table samples: TTFT p99/mean 2.2
#: at 1 req/s, 1.25 at saturation). The sweeps show 2.1-20 (P10-P90), but closed-loop sweeps start all
#: users at once, a burst an open-loop workload does not have, so their TTFT tail is not used here.
TTFT_P95_OVER_MEDIAN = 1.5
TPOT_P95_OVER_MEDIAN = 1.03
#: Old names (the optimizer reads them); the estimator's latencies are medians.
TTFT_P95_OVER_MEAN = TTFT_P95_OVER_MEDIAN
TPOT_P95_OVER_MEAN = TPOT_P95_OVER_MEDIAN


@dataclass(frozen=True)
class Calibration:
    """Efficiency factors and fixed costs of the estimator, fitted on measured reference rows.

    The values are dimensionless shares of the datasheet peak except where a unit is given.
    """

    eff_bw: float  # [-] achieved / peak memory bandwidth in decode (not fitted, see CALIBRATION_BOUNDS)
    eff_decode: float  # [-] achieved / peak tensor FLOPS in decode
    eff_prefill: float  # [-] achieved / peak tensor FLOPS in prefill
    step_overhead_ms: float  # [ms] fixed scheduler + sampling time per decode step (not fitted, see BOUNDS)
    allreduce_latency_us: float  # [us] fixed latency of one collective inside the NVLink domain
    moe_factor: float = 1.0  # [-] MoE slowdown of the expert GEMMs (small, unbalanced): divides compute efficiency
    layer_overhead_us: float = 0.0  # [us] fixed time per layer per forward pass (kernel launches, norms)
    moe_layer_overhead_us: float = 0.0  # [us] extra fixed time per layer of an MoE model (routing, token
    #                                     permutation, expert kernel launches, expert-load imbalance)
    dequant_factor: float = 1.0  # [-] slowdown of GEMMs on weight-only quantised weights (dequantise to bf16)
    fp4_factor: float = 1.0  # [-] slowdown of FP4 (block-scaled) tensor-core GEMMs against the fitted efficiency
    link_eff: float = 0.8  # [-] achieved / nominal link bandwidth of the collectives (NVLink, PCIe, network)
    kv_reserve: float = 1.0  # [-] share of OSL the scheduler holds KV for per running sequence (0.5 = mean
    #                          context, pure paging; 1 = the full ISL+OSL reserved up front; not fitted)
    source: str = "judgement"


#: Fitted by benchmarks/estimator_validation.py on the TensorRT-LLM rows of
#: the reference table throughput_measured_dev.csv (offline max throughput; online mean TTFT/TPOT)
#: and the aggregated, non-speculative online sweeps of data/profiles/online_sweeps.yaml (output
#: tokens/s, median TPOT and TTFT at a concurrency). Rerun it after changing the model.
# BEGIN GENERATED CALIBRATION (benchmarks/estimator_validation.py --write)
CALIBRATION = Calibration(
    eff_bw=0.8, eff_decode=0.3998, eff_prefill=0.5228, step_overhead_ms=0.1, allreduce_latency_us=3.943,
    moe_factor=6.895, layer_overhead_us=53, moe_layer_overhead_us=41, dequant_factor=0.6841,
    fp4_factor=1.913, link_eff=0.701, kv_reserve=1,
    source="fitted (benchmarks/estimator_validation.py)",
)
ESTIMATE_RANGE = {
    ('dense', 'max'): (0.783, 1.347),
    ('dense', 'online'): (0.783, 1.347),
    ('moe', 'max'): (0.526, 2.672),
    ('moe', 'online'): (0.756, 1.589),
}
# END GENERATED CALIBRATION

#: Calibration parameters and their fitting bounds (a fitted value on a bound is a missing term).
#: Not fitted (judgement, stated in docs/estimator.md):
#: * ``step_overhead_ms`` 0.1 ms: with a per-layer fixed cost it went to its lower bound (the per-step
#:   cost is per layer: launches and norms scale with depth);
#: * ``eff_bw`` 0.8, the share of HBM/GDDR peak that memory-bound kernels reach: the data cannot tell it
#:   from the per-layer fixed cost (fitting both gives the same loss along a ridge from 0.68 to 1.0);
#: * ``kv_reserve`` 1.0: TensorRT-LLM's default scheduler (GUARANTEED_NO_EVICT) admits a request only
#:   when its whole ISL + OSL fits in the KV cache; fitted freely it went past 1.
CALIBRATION_BOUNDS = {
    "eff_decode": (0.02, 1.0), "eff_prefill": (0.05, 1.0),
    "allreduce_latency_us": (0.1, 200.0), "moe_factor": (0.2, 20.0),
    "layer_overhead_us": (0.01, 500.0), "moe_layer_overhead_us": (0.01, 1000.0), "dequant_factor": (0.2, 10.0),
    "fp4_factor": (0.2, 10.0), "link_eff": (0.05, 1.0),
}


# --------------------------------------------------------------------------------------------
# Building blocks (scalar or array)
# --------------------------------------------------------------------------------------------

def default_kv_dtype(precision: str) -> str:
    """KV-cache dtype used when the caller says ``auto``: fp8 for fp8/fp4 weights, else bf16.

    This is the configuration of the calibration data (TensorRT-LLM FP8/FP4 checkpoints run an FP8
    KV cache). vLLM's default is the model dtype (bf16): pass ``kv_dtype="bf16"`` for it.
    """
    return "fp8" if precision.lower() in ("fp8", "fp4") else "bf16"


def kv_shards(gpus, kv_heads):
    """How many ways the KV cache is split across a TP group [-] = min(gpus, kv_heads).

    Beyond ``kv_heads`` GPUs the KV heads are replicated, so per-GPU KV memory stops shrinking.
    """
    return np.minimum(gpus, kv_heads)


def uses_dp_attention(model: ModelEntry, gpus: int) -> bool:
    """Default layout: data-parallel attention for MoE models whose KV heads TP cannot split
    (kv_heads < gpus, e.g. DeepSeek's MLA): each GPU then holds the KV of its own sequences, the way
    SGLang and TensorRT-LLM serve DeepSeek-R1 (``dp_attention`` in the InferenceX sweeps)."""
    return bool(model.is_moe and model.kv_heads < gpus)


def kv_split(gpus, kv_heads, dp_attention):
    """Ways the KV cache is split over a replica [-]: gpus with DP attention, else min(gpus, kv_heads)."""
    return np.where(dp_attention, gpus, np.minimum(gpus, kv_heads))


def moe_split(total_params_b: float, active_params_b: float, experts_total: Optional[int],
              experts_per_token: Optional[int]) -> tuple[float, float]:
    """Split a model into always-used and per-expert parameters [billions].

    total = shared + E x per_expert and active = shared + k x per_expert, so
    per_expert = (total - active) / (E - k) and shared = active - k x per_expert.
    Dense models (or MoE without expert counts): (total, 0).
    """
    if (experts_total is None or experts_per_token is None or experts_total <= experts_per_token
            or active_params_b >= total_params_b):
        return float(total_params_b), 0.0
    per_expert = (total_params_b - active_params_b) / (experts_total - experts_per_token)
    shared = active_params_b - experts_per_token * per_expert
    if shared < 0:  # inconsistent counts: treat as dense upper bound
        return float(total_params_b), 0.0
    return shared, per_expert


def interconnect_gb_s(gpu: GpuEntry) -> float:
    """Collective bandwidth per GPU and direction inside the NVLink domain [GB/s]
    (LINK_GB_S_BY_GPU, nominal; PCIe for cards without NVLink). The share a collective achieves is the
    fitted ``Calibration.link_eff``."""
    gid = gpu.id.lower()
    if "pcie" not in gid:
        for prefix, gbs in LINK_GB_S_BY_GPU.items():
            if gid.startswith(prefix):
                return gbs
    return PCIE_GB_S


def nvlink_domain(gpu: GpuEntry) -> int:
    """GPUs that share one NVLink / Infinity Fabric domain [-] (1 for PCIe-only cards)."""
    gid = gpu.id.lower()
    if interconnect_gb_s(gpu) <= PCIE_GB_S:
        return 1
    for prefix, n in NVLINK_DOMAIN_BY_GPU.items():
        if gid.startswith(prefix):
            return n
    return DEFAULT_NVLINK_DOMAIN


def device_gb(memory_gb):
    """Device memory in 1e9-byte GB [GB] = memory_gb x 2^30 / 1e9 (see DEVICE_BYTES_PER_GB)."""
    return memory_gb * DEVICE_BYTES_PER_GB / 1e9


# --------------------------------------------------------------------------------------------
# Memory fit
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemoryFit:
    """Memory of one GPU of a replica [GB]; ``max_concurrency`` counts sequences of ``context_tokens``."""

    memory_gb: float  # [GB] device memory (1e9 B; memory_gb of the catalog x 2^30 / 1e9)
    usable_gb: float  # [GB] memory the engine uses = memory - (1 - usable fraction) x max(memory - weights - overhead, 0)
    weights_gb: float  # [GB] weights on one GPU
    overhead_gb: float  # [GB] runtime overhead on one GPU
    kv_gb_per_sequence: float  # [GB] KV cache of one sequence of context_tokens, on one GPU
    kv_gb: float  # [GB] KV cache at ``concurrency`` (or at max_concurrency when none was given)
    kv_budget_gb: float  # [GB] (memory - weights - overhead) x usable fraction (negative: weights do not fit)
    max_concurrency: int  # largest number of concurrent sequences that fit (0 = does not fit)
    context_tokens: float  # [tokens] per sequence
    kv_dtype: str
    concurrency: Optional[float] = None

    @property
    def fits(self) -> bool:
        """True when weights, overhead and at least one full-context sequence fit."""
        return self.max_concurrency >= 1

    @property
    def fits_at_concurrency(self) -> bool:
        return self.fits and (self.concurrency is None or self.concurrency <= self.max_concurrency)

    @property
    def reason(self) -> Optional[str]:
        if self.kv_budget_gb <= 0:
            return (f"does not fit in memory: weights {self.weights_gb:.1f} GB + overhead {self.overhead_gb:.1f} GB "
                    f"per GPU exceed the memory {self.memory_gb:.1f} GB")
        if self.max_concurrency < 1:
            return (f"does not fit in memory: one {self.context_tokens:.0f}-token sequence needs "
                    f"{self.kv_gb_per_sequence:.2f} GB of KV cache per GPU, {self.kv_budget_gb:.2f} GB is left")
        if not self.fits_at_concurrency:
            return f"does not fit in memory at concurrency {self.concurrency:g} (max {self.max_concurrency})"
        return None


def memory_fit(model: ModelEntry, gpu: GpuEntry, gpus: int, precision: str, context_tokens: float,
               concurrency: Optional[float] = None, kv_dtype: str = "auto",
               usable_fraction: float = USABLE_MEMORY_FRACTION,
               overhead_gb: float = RUNTIME_OVERHEAD_GB) -> MemoryFit:
    """Does a model fit a replica of ``gpus`` GPUs, and how many sequences does the KV cache hold?

    Per GPU [GB]:
      weights  = total_params [1e9] x bytes_per_param [B] / gpus      (MoE: *total* parameters)
      kv/seq   = context_tokens [tokens] x kv_bytes_per_token [B] / kv_split / 1e9
                 (kv_split = gpus with DP attention (:func:`uses_dp_attention`), else min(gpus, kv_heads))
      budget   = (memory_gb x 2^30 / 1e9 - weights - overhead_gb) x usable_fraction
      max_concurrency = floor(budget / kv/seq)

    Parameters
    ----------
    context_tokens : tokens held per sequence (ISL + OSL at the end of a request) [tokens]
    concurrency : concurrent sequences to check [-] (None: report the KV cache at max_concurrency)
    kv_dtype : ``bf16`` | ``fp16`` | ``fp8`` | ``auto`` (see :func:`default_kv_dtype`)
    usable_fraction : share of the memory left after weights and overhead that holds the KV cache [-]
    overhead_gb : runtime overhead per GPU [GB]
    """
    if gpus < 1:
        raise ValueError(f"gpus must be >= 1, got {gpus}")
    if context_tokens <= 0:
        raise ValueError(f"context_tokens must be > 0, got {context_tokens}")
    kv_dtype = default_kv_dtype(precision) if kv_dtype == "auto" else kv_dtype
    weights = model.total_params_b * BYTES_PER_PARAM[precision] / gpus
    kv_tok = 2.0 * model.layers * model.kv_heads * model.head_dim * BYTES_PER_PARAM[kv_dtype]  # [B/token]
    kv_seq = context_tokens * kv_tok / float(kv_split(gpus, model.kv_heads, uses_dp_attention(model, gpus))) / 1e9
    free = device_gb(gpu.memory_gb) - weights - overhead_gb
    budget = free * usable_fraction if free > 0 else free
    usable = device_gb(gpu.memory_gb) - (1.0 - usable_fraction) * max(free, 0.0)
    max_c = int(math.floor(budget / kv_seq + 1e-9)) if budget > 0 else 0
    kv_used = kv_seq * (concurrency if concurrency is not None else max_c)
    return MemoryFit(memory_gb=device_gb(gpu.memory_gb), usable_gb=usable, weights_gb=weights, overhead_gb=overhead_gb,
                     kv_gb_per_sequence=kv_seq, kv_gb=kv_used, kv_budget_gb=budget, max_concurrency=max(max_c, 0),
                     context_tokens=float(context_tokens), kv_dtype=kv_dtype, concurrency=concurrency)


# --------------------------------------------------------------------------------------------
# Configuration arrays
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfigArrays:
    """N configurations as aligned numpy arrays (one element per configuration)."""

    total_b: np.ndarray  # [1e9 params]
    active_b: np.ndarray  # [1e9 params]
    shared_b: np.ndarray  # [1e9 params] always read
    expert_b: np.ndarray  # [1e9 params] per expert (0 for dense)
    experts: np.ndarray  # [-] experts per MoE layer (1 for dense)
    experts_k: np.ndarray  # [-] experts routed per token (1 for dense)
    layers: np.ndarray  # [-]
    hidden: np.ndarray  # [-]
    kv_heads: np.ndarray  # [-]
    kv_bytes_tok: np.ndarray  # [B/token] whole model
    bytes_param: np.ndarray  # [B/param]
    memory_gb: np.ndarray  # [GB] per GPU (1e9 B)
    bw_bytes_s: np.ndarray  # [B/s] per GPU
    flops_s: np.ndarray  # [FLOP/s] dense tensor peak per GPU for the precision
    link_bytes_s: np.ndarray  # [B/s] nominal collective bandwidth per GPU inside the NVLink domain
    domain: np.ndarray  # [-] GPUs per NVLink domain (1 = PCIe only)
    gpus: np.ndarray  # [-] GPUs per replica (TP degree)
    isl: np.ndarray  # [tokens]
    osl: np.ndarray  # [tokens]
    dp_attn: np.ndarray = None  # [bool] data-parallel attention (KV split over all GPUs)
    weight_only: np.ndarray = None  # [bool] weight-only quantisation (no tensor cores for the precision)
    fp4: np.ndarray = None  # [bool] FP4 weights on FP4 tensor cores
    notes: tuple = field(default_factory=tuple)

    @property
    def kv_split(self) -> np.ndarray:
        """Ways the KV cache is split [-] (see :func:`kv_split`)."""
        return kv_split(self.gpus, self.kv_heads, self.dp_attn)

    def __len__(self) -> int:
        return int(self.gpus.shape[0])


def config_arrays(models: Sequence[ModelEntry], gpu_entries: Sequence[GpuEntry], gpus: Sequence[int],
                  precisions: Sequence[str], isl: Sequence[float], osl: Sequence[float],
                  kv_dtypes: Sequence[str] | str = "auto",
                  dp_attention: Optional[Sequence[Optional[bool]]] = None) -> ConfigArrays:
    """Pack N configurations (aligned sequences, or length-1 sequences broadcast) into arrays.

    Precisions the GPU has no tensor cores for (e.g. fp8 on A100) run as weight-only quantisation
    with bf16 compute: memory and bandwidth use the weight precision, FLOPS use bf16.
    ``dp_attention`` None (or None entries): the default layout of :func:`uses_dp_attention`.
    """
    cols = [list(models), list(gpu_entries), list(gpus), list(precisions), list(isl), list(osl)]
    if isinstance(kv_dtypes, str):
        kv_dtypes = [kv_dtypes]
    cols.append(list(kv_dtypes))
    cols.append([None] if dp_attention is None else list(dp_attention))
    n = max(len(c) for c in cols)
    for c in cols:
        if len(c) not in (1, n):
            raise ValueError(f"config_arrays: sequences must have length 1 or {n}, got {len(c)}")
    cols = [c * n if len(c) == 1 else c for c in cols]
    ms, gs, ns, ps, isls, osls, kvs, dps = cols
    notes = []
    rows = []
    dpa = [uses_dp_attention(m, int(n)) if d is None else bool(d) for m, n, d in zip(ms, ns, dps)]
    wo: list[bool] = []
    f4: list[bool] = []
    for m, g, p, kv in zip(ms, gs, ps, kvs):
        shared, per_exp = moe_split(m.total_params_b, m.active_params_b, m.experts_total, m.experts_per_token)
        kv = default_kv_dtype(p) if kv == "auto" else kv
        tf = g.tflops(p)
        wo.append(tf is None)
        f4.append(tf is not None and p.lower() == "fp4")
        if tf is None:
            tf = g.bf16_tflops
            note = f"{g.id} has no {p} tensor cores: estimated as weight-only {p} with bf16 compute"
            if note not in notes:
                notes.append(note)
        moe = per_exp > 0
        rows.append((
            m.total_params_b, m.active_params_b, shared, per_exp,
            (m.experts_total or 1) if moe else 1, (m.experts_per_token or 1) if moe else 1,
            m.layers, m.hidden_size, m.kv_heads,
            2.0 * m.layers * m.kv_heads * m.head_dim * BYTES_PER_PARAM[kv], BYTES_PER_PARAM[p],
            device_gb(g.memory_gb), g.mem_bw_tbs * 1e12, tf * 1e12, interconnect_gb_s(g) * 1e9, nvlink_domain(g),
        ))
    a = np.array(rows, dtype=float).T
    return ConfigArrays(*a, gpus=np.asarray(ns, dtype=float), isl=np.asarray(isls, dtype=float),
                        osl=np.asarray(osls, dtype=float), dp_attn=np.asarray(dpa, dtype=bool),
                        weight_only=np.asarray(wo, dtype=bool), fp4=np.asarray(f4, dtype=bool), notes=tuple(notes))


# --------------------------------------------------------------------------------------------
# Physics (vectorised)
# --------------------------------------------------------------------------------------------

def max_concurrency_arrays(c: ConfigArrays, context_tokens=None, usable_fraction: float = USABLE_MEMORY_FRACTION,
                           overhead_gb: float = RUNTIME_OVERHEAD_GB) -> np.ndarray:
    """Largest number of concurrent sequences that fit [-] (0 = does not fit); see :func:`memory_fit`."""
    ctx = (c.isl + c.osl) if context_tokens is None else np.asarray(context_tokens, dtype=float)
    weights = c.total_b * c.bytes_param / c.gpus  # [GB]
    kv_seq = ctx * c.kv_bytes_tok / c.kv_split / 1e9  # [GB]
    budget = (c.memory_gb - weights - overhead_gb) * usable_fraction
    return np.where(budget > 0, np.floor(budget / kv_seq + 1e-9), 0.0)


def running_batch_arrays(c: ConfigArrays, cal: Calibration, usable_fraction: float = USABLE_MEMORY_FRACTION,
                         overhead_gb: float = RUNTIME_OVERHEAD_GB) -> np.ndarray:
    """Sequences the KV cache holds while serving at full load [-] (0 = does not fit).

        B_kv = KV budget (:func:`memory_fit`) / (KV per sequence of ISL + r x OSL tokens)

    The scheduler holds, per running sequence, KV for ISL + r x OSL tokens (r = ``cal.kv_reserve``:
    0.5 is pure paging at the mean context; 1 is the whole ISL + OSL reserved when a request is
    admitted, TensorRT-LLM's default ``GUARANTEED_NO_EVICT`` policy).
    """
    return max_concurrency_arrays(c, c.isl + c.osl * cal.kv_reserve, usable_fraction, overhead_gb)


def collective_s(c: ConfigArrays, tokens, cal: Calibration) -> np.ndarray:
    """Tensor/expert-parallel communication of one forward pass over ``tokens`` tokens [s].

    Per layer, two collectives (attention and MLP outputs), each
        latency + 2 (N-1)/N x tokens x hidden x 2 B / link                       (ring all-reduce)
    and for MoE layers the expert all-to-all (dispatch + combine) adds
        2 x (N-1)/N x tokens x k x hidden x 2 B / link.
    Inside the NVLink domain (N <= domain): link = NVLink, latency = allreduce_latency. Beyond it
    the same bytes cross the scale-out network (SCALE_OUT_GB_S, + SCALE_OUT_LATENCY_US); PCIe-only
    cards (domain 1) use PCIe. With DP attention the attention output needs no all-reduce but
    the tokens are gathered for the MoE layer: same byte count. N = 1: no communication.
    """
    n = c.gpus
    frac = (n - 1.0) / np.maximum(n, 1.0)
    msg = tokens * c.hidden * 2.0  # [B] bf16 activations
    inside = n <= c.domain
    link = np.where(inside, c.link_bytes_s, np.minimum(c.link_bytes_s, SCALE_OUT_GB_S * 1e9)) * cal.link_eff
    lat = cal.allreduce_latency_us * 1e-6 + np.where(inside, 0.0, SCALE_OUT_LATENCY_US * 1e-6)
    moe_bytes = np.where(c.expert_b > 0, 2.0 * frac * msg * c.experts_k, 0.0)
    per_layer = 2.0 * (lat + 2.0 * frac * msg / link) + moe_bytes / link
    return np.where(n > 1, c.layers * per_layer, 0.0)


def fixed_pass_s(c: ConfigArrays, cal: Calibration) -> np.ndarray:
    """Fixed time of one forward pass [s] (kernel launches, norms, routing, sampling: time that does
    not shrink with batch or GPU count):

        t_fixed = step_overhead + layers x (layer_overhead + [MoE] moe_layer_overhead)

    (MoE models with dense layers in between, e.g. Llama 4 Maverick, are charged on every layer.)"""
    per_layer = cal.layer_overhead_us + np.where(c.expert_b > 0, cal.moe_layer_overhead_us, 0.0)
    return cal.step_overhead_ms * 1e-3 + c.layers * per_layer * 1e-6


def weights_touched_b(c: ConfigArrays, tokens) -> np.ndarray:
    """Parameters read in one forward pass over ``tokens`` tokens [1e9 params].

    shared + per_expert x E x (1 - (1 - k/E)^tokens): the expected number of distinct experts
    routed to by ``tokens`` independent tokens (dense models: all parameters).
    """
    frac = 1.0 - np.power(1.0 - c.experts_k / c.experts, np.maximum(tokens, 1.0))
    return c.shared_b + c.expert_b * c.experts * frac


def _precision_mult(c: ConfigArrays, cal: Calibration) -> np.ndarray:
    """GEMM slowdown from the weight precision [-]: ``cal.dequant_factor`` for weight-only quantisation
    (weights dequantised to bf16 inside the kernel, e.g. MXFP4 gpt-oss on Hopper / MI300X),
    ``cal.fp4_factor`` for FP4 weights on FP4 tensor cores (block-scaled GEMMs and the activation
    quantisation they need reach a smaller share of the FP4 peak), else 1."""
    wo = c.weight_only if c.weight_only is not None else False
    f4 = c.fp4 if c.fp4 is not None else False
    return np.where(wo, cal.dequant_factor, 1.0) * np.where(f4, cal.fp4_factor, 1.0)


def _param_flops_per_token(c: ConfigArrays, cal: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Parameter FLOPs of one token, per GPU, weighted by GEMM slowdowns [FLOP]: (shared, experts).

        shared  = 2 x shared_params x prec / N           (dense models: all parameters)
        experts = 2 x k x per_expert x moe x prec / N    (``cal.moe_factor``: expert GEMMs are small
                                                          and unbalanced)
    """
    prec = _precision_mult(c, cal)
    shared = 2.0 * c.shared_b * 1e9 * prec / c.gpus
    experts = 2.0 * c.experts_k * c.expert_b * 1e9 * cal.moe_factor * prec / c.gpus
    return shared, experts


def decode_step_s(c: ConfigArrays, batch, context_tokens, cal: Calibration = CALIBRATION) -> np.ndarray:
    """Time of one decode step for ``batch`` sequences of mean context ``context_tokens`` [s].

    A roofline for the always-used part (shared weights, attention over the KV cache) and one for the
    routed experts, which run as separate GEMMs after each other:

        t_shared  = max((shared x bpp / N + B x L x kv / kv_split) / (BW x eff_bw),
                        B x (f_shared + 4 layers hidden L / N) / (F x eff_decode))
        t_experts = max(touched_experts(B) x bpp / N / (BW x eff_bw), B x f_experts / (F x eff_decode))
        t_step    = t_shared + t_experts + collective_s(B) + fixed_pass_s

    (f_shared, f_experts: :func:`_param_flops_per_token`; touched_experts(B): the experts B tokens hit,
    :func:`weights_touched_b`.) Dense models have no expert term.
    """
    batch = np.maximum(np.asarray(batch, dtype=float), 1e-9)
    f_sh, f_ex = _param_flops_per_token(c, cal)
    bw = c.bw_bytes_s * cal.eff_bw
    fl = c.flops_s * cal.eff_decode
    kv_bytes = batch * context_tokens * c.kv_bytes_tok / c.kv_split
    t_sh = np.maximum((c.shared_b * 1e9 * c.bytes_param / c.gpus + kv_bytes) / bw,
                      batch * (f_sh + 4.0 * c.layers * c.hidden * context_tokens / c.gpus) / fl)
    touched_ex = weights_touched_b(c, batch) - c.shared_b
    t_ex = np.maximum(touched_ex * 1e9 * c.bytes_param / c.gpus / bw, batch * f_ex / fl)
    return t_sh + t_ex + collective_s(c, batch, cal) + fixed_pass_s(c, cal)


def _prefill_flops(c: ConfigArrays, cal: Calibration) -> np.ndarray:
    """FLOPs of one request's prefill per GPU [FLOP] = ISL x (f_shared + f_experts) + 2 layers hidden ISL^2 / N."""
    f_sh, f_ex = _param_flops_per_token(c, cal)
    return c.isl * (f_sh + f_ex) + 2.0 * c.layers * c.hidden * c.isl ** 2 / c.gpus


def prefill_work_s(c: ConfigArrays, cal: Calibration = CALIBRATION) -> np.ndarray:
    """GPU time one request's prefill adds to a running batch [s] (chunked prefill: compute-bound,
    its chunks ride on the decode steps, whose weight reads they share).

        t_pf = prefill FLOPs (:func:`_prefill_flops`) / (F x eff_prefill) + collective_s(ISL)
    """
    return _prefill_flops(c, cal) / (c.flops_s * cal.eff_prefill) + collective_s(c, c.isl, cal)


def prefill_alone_s(c: ConfigArrays, cal: Calibration = CALIBRATION) -> np.ndarray:
    """Prefill of one request on an idle replica [s] = max(compute, weight read) + comm + fixed pass time."""
    t_cmp = _prefill_flops(c, cal) / (c.flops_s * cal.eff_prefill)
    t_mem = weights_touched_b(c, c.isl) * 1e9 * c.bytes_param / c.gpus / (c.bw_bytes_s * cal.eff_bw)
    return np.maximum(t_cmp, t_mem) + collective_s(c, c.isl, cal) + fixed_pass_s(c, cal)


def _rps_at_batch(c: ConfigArrays, batch, t_pf, cal: Calibration):
    """Request throughput at a steady batch [req/s] = B / (B x t_pf + OSL x t_step(B)) and t_step [s]."""
    t_step = decode_step_s(c, batch, c.isl + c.osl / 2.0, cal)
    return batch / (batch * t_pf + c.osl * t_step), t_step


def tp_max_rps(c: ConfigArrays, cal: Calibration, max_batch: float, usable_fraction: float,
                overhead_gb: float) -> np.ndarray:
    """Max request throughput of one TP group [req/s] (0 where it does not fit)."""
    fits = max_concurrency_arrays(c, None, usable_fraction, overhead_gb) >= 1
    b_kv = running_batch_arrays(c, cal, usable_fraction, overhead_gb)
    b_max = np.maximum(np.minimum(b_kv, max_batch), 1.0)
    rps, _ = _rps_at_batch(c, b_max, prefill_work_s(c, cal), cal)
    return np.where(fits, rps, 0.0)


def pipeline_max_rps(c: ConfigArrays, cal: Calibration = CALIBRATION, max_batch: float = DEFAULT_MAX_BATCH,
                     usable_fraction: float = USABLE_MEMORY_FRACTION,
                     overhead_gb: float = RUNTIME_OVERHEAD_GB) -> np.ndarray:
    """Max request throughput of a replica of N GPUs without NVLink run pipeline-parallel [req/s]
    (0 where N = 1, where the GPUs share an NVLink domain, or where nothing fits).

    Across PCIe (or between GH200 superchips) a tensor-parallel all-reduce per layer costs more than
    the compute it splits, so engines serve such replicas with pipeline parallelism: each GPU holds
    layers / N layers (their weights and their share of every sequence's KV cache), and at full load
    the N stages work on different micro-batches at once. The replica then runs at the speed of one
    stage, modelled as one GPU holding 1/N of the model:

        rps_max,PP(N) = rps_max,TP(1) of (params / N, layers / N, KV bytes per token / N)

    The activation hand-over between stages (tokens x hidden x 2 B per step, under 1 % of a step at
    full load over PCIe) and the pipeline's fill and drain are left out.
    """
    n = c.gpus
    stage = replace(c, total_b=c.total_b / n, active_b=c.active_b / n, shared_b=c.shared_b / n,
                    expert_b=c.expert_b / n, layers=c.layers / n, kv_bytes_tok=c.kv_bytes_tok / n,
                    gpus=np.ones_like(n))
    rps = tp_max_rps(stage, cal, max_batch, usable_fraction, overhead_gb)
    return np.where((n > 1) & (c.domain <= 1), rps, 0.0)


def data_parallel_max_rps(c: ConfigArrays, cal: Calibration = CALIBRATION, max_batch: float = DEFAULT_MAX_BATCH,
                          usable_fraction: float = USABLE_MEMORY_FRACTION,
                          overhead_gb: float = RUNTIME_OVERHEAD_GB) -> np.ndarray:
    """Max request throughput of a replica of N GPUs run as N/t data-parallel copies of TP t [req/s].

        rps_max(N) = max over t in {N, N/2, N/4, ...} (integers) of N/t x rps_max,TP(t)

    At large batch the TP collectives can cost more than the GPUs they add, and an engine would
    then run smaller TP groups side by side (vLLM/SGLang data parallel); this keeps "more GPUs never
    give fewer tokens/s" true. 0 where nothing fits.
    """
    best = tp_max_rps(c, cal, max_batch, usable_fraction, overhead_gb)
    t = c.gpus.copy()
    copies = np.ones_like(t)
    while True:
        ok = (np.mod(t, 2.0) == 0) & (t >= 2)
        if not ok.any():
            return best
        t = np.where(ok, t / 2.0, t)
        copies = np.where(ok, copies * 2.0, copies)
        best = np.maximum(best, copies * tp_max_rps(replace(c, gpus=t), cal, max_batch, usable_fraction, overhead_gb))


def estimate_arrays(c: ConfigArrays, concurrency=None, request_rate=None, cal: Calibration = CALIBRATION,
                    max_batch: float = DEFAULT_MAX_BATCH, usable_fraction: float = USABLE_MEMORY_FRACTION,
                    overhead_gb: float = RUNTIME_OVERHEAD_GB, data_parallel: bool = True) -> dict[str, np.ndarray]:
    """Estimate N configurations at once.

    ``data_parallel``: max-throughput figures may split the replica into data-parallel TP groups
    (:func:`data_parallel_max_rps`); False keeps TP = N (the calibration compares with TP = N runs).

    ``concurrency`` and ``request_rate`` are arrays (or scalars) with NaN where not given; a row with
    neither is evaluated at max throughput (the largest batch that fits, capped at ``max_batch``;
    the running batch B_max is what the KV cache holds at ISL + kv_reserve x OSL tokens per sequence,
    :func:`running_batch_arrays`). Replicas without NVLink may reach their max throughput
    pipeline-parallel (:func:`pipeline_max_rps`), whatever ``data_parallel`` says.

    * concurrency C (closed loop): B = min(C, B_max); TPOT = t_step(B) + B x t_pf / OSL;
      with rho = rps x t_pf: TTFT = prefill alone x (1 + rho / (2 (1 - rho))) + t_step/2
      + (C - B) / rps (prefills queueing behind each other, then requests waiting for a slot).
    * request rate R (open loop): B solves rps(B) = R (bisection); with u = R / rps_max and
      rho = R x t_pf (GPU share spent on prefill): TPOT = t_step(B) / (1 - rho);
      TTFT = prefill alone x (1 + u / (2 (1 - u))) + t_step/2 (M/D/1-style queueing). R >= rps_max:
      saturated, TTFT = inf, throughput = max.

    Returns arrays [units]: ``output_tokens_per_s`` [tokens/s], ``request_throughput_rps`` [req/s],
    ``ttft_ms``, ``tpot_ms`` [ms] (medians), ``max_concurrency`` [-], ``batch`` [-],
    ``max_output_tokens_per_s`` [tokens/s], ``max_request_throughput_rps`` [req/s], ``fits`` [bool],
    ``saturated`` [bool]. Rows that do not fit carry NaN.
    """
    n = len(c)
    conc = np.full(n, np.nan) if concurrency is None else np.broadcast_to(np.asarray(concurrency, dtype=float), (n,))
    rate = np.full(n, np.nan) if request_rate is None else np.broadcast_to(np.asarray(request_rate, dtype=float), (n,))
    max_c = max_concurrency_arrays(c, None, usable_fraction, overhead_gb)
    fits = max_c >= 1
    # the running batch holds ISL + kv_reserve x OSL tokens per sequence; max_concurrency (reported)
    # counts sequences of the full ISL + OSL
    b_kv = running_batch_arrays(c, cal, usable_fraction, overhead_gb)
    b_max = np.maximum(np.minimum(b_kv, max_batch), 1.0)
    t_pf = prefill_work_s(c, cal)
    t_alone = prefill_alone_s(c, cal)
    rps_max, step_max = _rps_at_batch(c, b_max, t_pf, cal)
    # replicas without NVLink run pipeline-parallel at full load (the better of TP and PP)
    rps_max = np.maximum(rps_max, pipeline_max_rps(c, cal, max_batch, usable_fraction, overhead_gb))
    if data_parallel:
        rps_max = np.maximum(rps_max, data_parallel_max_rps(c, cal, max_batch, usable_fraction, overhead_gb))

    # default: max throughput
    batch = b_max.copy()
    rps = rps_max.copy()
    t_step = step_max.copy()
    ttft = t_alone + t_step / 2.0
    tpot = t_step + batch * t_pf / c.osl
    saturated = np.zeros(n, dtype=bool)

    has_c = ~np.isnan(conc)
    if has_c.any():
        bc = np.minimum(np.where(has_c, conc, 1.0), b_max)
        rps_c, step_c = _rps_at_batch(c, bc, t_pf, cal)
        wait = np.maximum(np.where(has_c, conc, 0.0) - bc, 0.0) / rps_c
        rho_c = np.clip(rps_c * t_pf, 0.0, 0.95)  # GPU share spent on prefill
        batch = np.where(has_c, bc, batch)
        rps = np.where(has_c, rps_c, rps)
        t_step = np.where(has_c, step_c, t_step)
        tpot = np.where(has_c, step_c + bc * t_pf / c.osl, tpot)
        ttft = np.where(has_c, t_alone * (1.0 + rho_c / (2.0 * (1.0 - rho_c))) + step_c / 2.0 + wait, ttft)
        saturated = saturated | (has_c & (conc > b_max))

    has_r = ~np.isnan(rate) & ~has_c
    if has_r.any():
        r = np.where(has_r, rate, 0.0)
        sat = has_r & (r >= rps_max)
        lo = np.full(n, 1e-6)
        hi = b_max.copy()
        for _ in range(48):  # bisection on the continuous batch; rps(B) increases with B
            mid = 0.5 * (lo + hi)
            f, _ = _rps_at_batch(c, mid, t_pf, cal)
            below = f < r
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        br = np.where(sat, b_max, hi)
        rps_r, step_r = _rps_at_batch(c, br, t_pf, cal)
        u = np.clip(r / rps_max, 0.0, 1.0)
        rho = np.clip(r * t_pf, 0.0, 0.999999)
        with np.errstate(divide="ignore", invalid="ignore"):
            tpot_r = np.where(sat, step_r + br * t_pf / c.osl, step_r / (1.0 - rho))
            ttft_r = np.where(sat, np.inf, t_alone * (1.0 + u / (2.0 * (1.0 - u))) + step_r / 2.0)
        batch = np.where(has_r, br, batch)
        rps = np.where(has_r, np.where(sat, rps_max, r), rps)
        t_step = np.where(has_r, step_r, t_step)
        tpot = np.where(has_r, tpot_r, tpot)
        ttft = np.where(has_r, ttft_r, ttft)
        saturated = saturated | sat

    nan = np.nan
    return {
        "output_tokens_per_s": np.where(fits, rps * c.osl, nan),
        "request_throughput_rps": np.where(fits, rps, nan),
        "ttft_ms": np.where(fits, ttft * 1e3, nan),
        "tpot_ms": np.where(fits, tpot * 1e3, nan),
        "max_concurrency": max_c,
        "batch": np.where(fits, batch, nan),
        "max_output_tokens_per_s": np.where(fits, rps_max * c.osl, nan),
        "max_request_throughput_rps": np.where(fits, rps_max, nan),
        "fits": fits,
        "saturated": saturated,
    }


# --------------------------------------------------------------------------------------------
# Scalar front end
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """Estimator output for one configuration (median latencies; always ``kind = 'estimated'``)."""

    output_tokens_per_s: Optional[float]  # [tokens/s] per replica
    request_throughput_rps: Optional[float]  # [req/s] per replica
    ttft_ms: Optional[float]  # [ms] median
    tpot_ms: Optional[float]  # [ms] median
    max_concurrency: int  # [-] sequences of ISL+OSL tokens that fit
    fits: bool
    batch: Optional[float] = None  # [-] mean running batch
    max_output_tokens_per_s: Optional[float] = None  # [tokens/s] at the largest batch
    saturated: bool = False
    kind: str = "estimated"
    notes: tuple[str, ...] = ()
    output_tokens_per_s_low: Optional[float] = None  # [tokens/s] P10 of the leave-one-GPU-out error range
    output_tokens_per_s_high: Optional[float] = None  # [tokens/s] P90


# --------------------------------------------------------------------------------------------
# Uncertainty
# --------------------------------------------------------------------------------------------

# ESTIMATE_RANGE (generated with CALIBRATION above): range of measured / estimated ratios [-] by kind
# of configuration and target, (P10, P90) of the leave-one-GPU-out ratios (each GPU predicted by a
# calibration that never saw it); see docs/estimator.md. ``online`` = output tokens/s at a
# concurrency (and so capacity at the SLO); ``max`` = max throughput.


def error_class(model: ModelEntry) -> str:
    """Kind of configuration for the error range: ``moe`` or ``dense``."""
    return "moe" if model.is_moe else "dense"


def estimate_range(value, model: ModelEntry, target: str = "online") -> tuple[Optional[float], Optional[float]]:
    """(low, high) of an estimated throughput or capacity [same unit as value]:
    value x P10 and value x P90 of the leave-one-GPU-out measured/estimated ratio (ESTIMATE_RANGE).
    None in, (None, None) out."""
    if value is None:
        return None, None
    lo, hi = ESTIMATE_RANGE[(error_class(model), target)]
    return float(value) * lo, float(value) * hi


def estimate_range_arrays(c: ConfigArrays, values, target: str = "online") -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`estimate_range`: (low, high) arrays [unit of values] for N configurations."""
    v = np.asarray(values, dtype=float)
    moe = c.expert_b > 0
    lo = np.where(moe, ESTIMATE_RANGE[("moe", target)][0], ESTIMATE_RANGE[("dense", target)][0])
    hi = np.where(moe, ESTIMATE_RANGE[("moe", target)][1], ESTIMATE_RANGE[("dense", target)][1])
    return v * lo, v * hi


def capacity_range(rps, model: ModelEntry, gpu: GpuEntry = None, gpus: int = 1) -> tuple[Optional[float], Optional[float]]:
    """(low, high) of an estimated capacity at the SLO [req/s] (:func:`estimate_range`, online)."""
    return estimate_range(rps, model, "online")


def _opt(x) -> Optional[float]:
    x = float(x)
    return None if math.isnan(x) else x


def estimate(model: ModelEntry, gpu: GpuEntry, gpus: int, precision: str, isl: float, osl: float,
             concurrency: Optional[float] = None, request_rate: Optional[float] = None, kv_dtype: str = "auto",
             cal: Calibration = CALIBRATION, max_batch: float = DEFAULT_MAX_BATCH,
             data_parallel: bool = True) -> Estimate:
    """Estimate one configuration (see :func:`estimate_arrays`; ``isl``/``osl`` in tokens).

    ``data_parallel`` False: the replica is one tensor-parallel group of ``gpus`` GPUs, as benchmarks
    run it; True (default): its max throughput may come from data-parallel copies of smaller TP
    groups (:func:`data_parallel_max_rps`)."""
    if concurrency is not None and request_rate is not None:
        raise ValueError("give concurrency or request_rate, not both")
    c = config_arrays([model], [gpu], [gpus], [precision], [isl], [osl], kv_dtype)
    out = estimate_arrays(c, np.nan if concurrency is None else concurrency,
                          np.nan if request_rate is None else request_rate, cal, max_batch,
                          data_parallel=data_parallel)
    notes = list(c.notes)
    if not bool(out["fits"][0]):
        fit = memory_fit(model, gpu, gpus, precision, isl + osl, kv_dtype=kv_dtype)
        notes.append(fit.reason or "does not fit in memory")
    if bool(out["saturated"][0]):
        notes.append("offered load exceeds the estimated maximum throughput: requests queue without bound")
    tok = _opt(out["output_tokens_per_s"][0])
    lo, hi = estimate_range(tok, model, "max" if concurrency is None and request_rate is None else "online")
    return Estimate(
        output_tokens_per_s=_opt(out["output_tokens_per_s"][0]),
        request_throughput_rps=_opt(out["request_throughput_rps"][0]),
        ttft_ms=_opt(out["ttft_ms"][0]), tpot_ms=_opt(out["tpot_ms"][0]),
        max_concurrency=int(out["max_concurrency"][0]), fits=bool(out["fits"][0]),
        batch=_opt(out["batch"][0]), max_output_tokens_per_s=_opt(out["max_output_tokens_per_s"][0]),
        saturated=bool(out["saturated"][0]), notes=tuple(notes),
        output_tokens_per_s_low=lo, output_tokens_per_s_high=hi,
    )


def request_rate_grid(rps_max: float, points: int = 160) -> np.ndarray:
    """Request rates from 0.1 % to 99.9 % of ``rps_max``, geometric [req/s] (for SLO searches)."""
    return rps_max * np.geomspace(1e-3, 0.999, points)


def estimated_capacity_at_slo(model: ModelEntry, gpu: GpuEntry, gpus: int, precision: str, isl: float, osl: float,
                              ttft_p95_ms: Optional[float], tpot_p95_ms: Optional[float], kv_dtype: str = "auto",
                              cal: Calibration = CALIBRATION, points: int = 160) -> tuple[Optional[float], Optional[str], Estimate]:
    """Highest request rate [req/s] whose estimated p95 TTFT and TPOT meet the SLO.

    p95 = estimated median x TTFT_P95_OVER_MEDIAN (TTFT) or TPOT_P95_OVER_MEDIAN (TPOT). The rate is
    searched on a geometric grid of ``points`` rates below the estimated maximum throughput.
    Returns (rps or None, reason when None, the estimate at the chosen rate or at max throughput).
    """
    top = estimate(model, gpu, gpus, precision, isl, osl, kv_dtype=kv_dtype, cal=cal)
    if not top.fits:
        return None, top.notes[-1] if top.notes else "does not fit in memory", top
    grid = request_rate_grid(top.request_throughput_rps, points)
    c = config_arrays([model], [gpu], [gpus], [precision], [isl], [osl], kv_dtype)
    c = ConfigArrays(**{k: (np.repeat(v, len(grid)) if isinstance(v, np.ndarray) else v)
                        for k, v in c.__dict__.items()})
    out = estimate_arrays(c, None, grid, cal)
    ok = np.ones(len(grid), dtype=bool)
    if ttft_p95_ms is not None:
        ok &= out["ttft_ms"] * TTFT_P95_OVER_MEDIAN <= ttft_p95_ms
    if tpot_p95_ms is not None:
        ok &= out["tpot_ms"] * TPOT_P95_OVER_MEDIAN <= tpot_p95_ms
    if not ok.any():
        lo = estimate(model, gpu, gpus, precision, isl, osl, request_rate=float(grid[0]), kv_dtype=kv_dtype, cal=cal)
        why = []
        if ttft_p95_ms is not None and lo.ttft_ms * TTFT_P95_OVER_MEDIAN > ttft_p95_ms:
            why.append(f"TTFT p95 ~{lo.ttft_ms * TTFT_P95_OVER_MEDIAN:.0f} ms > {ttft_p95_ms:g} ms")
        if tpot_p95_ms is not None and lo.tpot_ms * TPOT_P95_OVER_MEDIAN > tpot_p95_ms:
            why.append(f"TPOT p95 ~{lo.tpot_ms * TPOT_P95_OVER_MEDIAN:.1f} ms > {tpot_p95_ms:g} ms")
        return None, ("this configuration cannot meet the SLO even at light load (estimated: "
                      + "; ".join(why) + ")"), lo
    i = int(np.nonzero(ok)[0].max())
    rate = float(grid[i])
    return rate, None, estimate(model, gpu, gpus, precision, isl, osl, request_rate=rate, kv_dtype=kv_dtype, cal=cal)


__all__ = [
    "ESTIMATE_RANGE", "estimate_range", "estimate_range_arrays", "capacity_range", "error_class", "CALIBRATION_BOUNDS", "collective_s",
    "fixed_pass_s", "nvlink_domain", "data_parallel_max_rps", "uses_dp_attention", "kv_split", "TTFT_P95_OVER_MEDIAN", "TPOT_P95_OVER_MEDIAN",
    "USABLE_MEMORY_FRACTION", "RUNTIME_OVERHEAD_GB", "DEFAULT_MAX_BATCH", "TTFT_P95_OVER_MEAN",
    "TPOT_P95_OVER_MEAN", "Calibration", "CALIBRATION", "MemoryFit", "memory_fit", "ConfigArrays",
    "config_arrays", "estimate_arrays", "Estimate", "estimate", "decode_step_s", "prefill_work_s",
    "prefill_alone_s", "max_concurrency_arrays", "moe_split", "default_kv_dtype", "estimated_capacity_at_slo",
    "interconnect_gb_s",
]
