"""Finance: totals, NPV, break-even and unit costs from monthly cash and accrual series.

Conventions: month index on the last axis; discount_rate is annual and applied monthly as
(1 + r)^(m / 12); money in USD.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from tco.core.constants import TOKENS_PER_MILLION

_TOL = 1e-6  # [USD] two cumulative costs this close count as equal


def discount_factors(months: int, discount_rate) -> np.ndarray:
    """Discount factor of month m = 1 / (1 + discount_rate)^(m / 12)."""
    m = np.arange(months, dtype=float)
    r = np.asarray(discount_rate, dtype=float)
    return 1.0 / np.power(1.0 + r[..., None], m / 12.0) if r.ndim else 1.0 / np.power(1.0 + r, m / 12.0)


def npv(cash_m, discount_rate) -> np.ndarray:
    """Net present value [USD] = sum over m of cash_m / (1 + discount_rate)^(m / 12)."""
    cash_m = np.asarray(cash_m, dtype=float)
    return np.sum(cash_m * discount_factors(cash_m.shape[-1], discount_rate), axis=-1)


def usd_per_million_tokens(total_accrual_usd, total_tokens) -> np.ndarray:
    """Unit cost [USD / 1M tokens] = total accrual cost [USD] / total (input + output) tokens x 1e6 (NaN if no tokens)."""
    total_tokens = np.asarray(total_tokens, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(total_tokens > 0, np.asarray(total_accrual_usd) / total_tokens * TOKENS_PER_MILLION, np.nan)


def stays_at_or_below_from(a_m, b_m) -> np.ndarray:
    """Boolean per month: from this month to the end of the horizon, a stays <= b (within 1e-6 USD)."""
    ok = np.asarray(a_m, dtype=float) <= np.asarray(b_m, dtype=float) + _TOL
    return np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)


def break_even_index(option_cash_m, reference_cash_m) -> np.ndarray:
    """Break-even month index: the first m from which cumulative option cash stays <= cumulative reference cash
    through the end of the horizon; -1 when there is none.
    """
    stays = stays_at_or_below_from(np.cumsum(option_cash_m, axis=-1), np.cumsum(reference_cash_m, axis=-1))
    first = np.argmax(stays, axis=-1)
    return np.where(stays.any(axis=-1), first, -1)


def payback_index(option_cash_m, reference_cash_m) -> np.ndarray:
    """Payback month index: the first m at which cumulative savings (reference - option) become and stay
    positive (> 0) to the end of the horizon; -1 when never.
    """
    savings = np.cumsum(reference_cash_m, axis=-1) - np.cumsum(option_cash_m, axis=-1)
    pos = savings > _TOL
    stays = np.flip(np.logical_and.accumulate(np.flip(pos, axis=-1), axis=-1), axis=-1)
    first = np.argmax(stays, axis=-1)
    return np.where(stays.any(axis=-1), first, -1)


def index_to_month(idx: int, labels: list[str]) -> Optional[str]:
    return None if idx is None or idx < 0 else labels[int(idx)]
