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
