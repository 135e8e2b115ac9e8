"""Conventions shared by every formula (documented in docs/methodology.md)."""

HOURS_PER_MONTH = 730.0  # [h] 8,760 / 12, the standard billing month
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0  # [d] = 30.4166...
SECONDS_PER_DAY = 86_400.0  # [s]
TOKENS_PER_MILLION = 1e6

#: Bytes per parameter (weights) or per element (KV cache) for each precision [B].
BYTES_PER_PARAM = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
}
PRECISIONS = tuple(BYTES_PER_PARAM)
KV_DTYPES = ("bf16", "fp16", "fp8")
