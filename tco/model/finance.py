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


# ----------------------------------------------------------------------------------------------
# One reference, break-even matrix, unit-cost splits (docs/methodology.md section 16)


def break_even_matrix(names: list[str], cash_m, labels: list[str]) -> dict[str, dict[str, Optional[str]]]:
    """Break-even of every option against every other: ``{row: {column: "YYYY-MM" | None}}``.

    Entry (row, column) = the first month from which the cumulative cash of ``row`` stays at or below
    the cumulative cash of ``column`` through the end of the horizon (:func:`break_even_index`); None
    when there is no such month. The diagonal is omitted. ``cash_m`` [USD per month] has shape
    ``(options, months)`` in the order of ``names``. One vectorised call over all pairs.
    """
    cash = np.asarray(cash_m, dtype=float).reshape(len(names), len(labels))
    idx = break_even_index(cash[:, None, :], cash[None, :, :])  # (rows, columns)
    return {r: {c: index_to_month(int(idx[i, j]), labels) for j, c in enumerate(names) if j != i}
            for i, r in enumerate(names)}


def reference_choice(names: list[str], kinds: list[str], total_cash_usd, eligible: list[bool],
                     requested: Optional[str] = None) -> tuple[Optional[str], str]:
    """The option every break-even, saving and payback is measured against, and why it was chosen.

    Rule: ``requested`` (the scenario's ``reference``) when given; else the API option with the lowest
    total cash [USD] over the horizon among the ``eligible`` ones (meets the SLO and the quality floor);
    else, when no API option is eligible, the cheapest API option with the reason saying so; else (no
    API option at all) the cheapest option. Ties go to the first in scenario order. None when there is
    no option.
    """
    if requested is not None:
        if requested not in names:
            raise ValueError(f"reference '{requested}' is not an option of the scenario ({', '.join(names)})")
        return requested, "chosen in the scenario (reference)"
    tot = np.asarray(total_cash_usd, dtype=float)
    api = [i for i, k in enumerate(kinds) if k == "api"]
    ok = [i for i in api if eligible[i]]
    if ok:
        i = min(ok, key=lambda j: (tot[j], j))
        return names[i], "cheapest API option over the horizon that meets the SLO and the quality floor"
    if api:
        i = min(api, key=lambda j: (tot[j], j))
        return names[i], ("no API option meets both the SLO and the quality floor (or it is not known): "
                          "the cheapest API option is used instead")
    if names:
        i = int(np.argmin(tot))
        return names[i], "no API option in the scenario: the cheapest option over the horizon is used"
    return None, "no option"


def usd_per_million_by_token_type(total_usd, input_share_of_cost, input_tokens, output_tokens) -> tuple[np.ndarray, np.ndarray]:
    """(USD per 1M input tokens, USD per 1M output tokens) [USD / 1M tokens].

    input  = total_usd x input_share_of_cost / input_tokens x 1e6
    output = total_usd x (1 - input_share_of_cost) / output_tokens x 1e6
    NaN where the token count is 0. ``input_share_of_cost`` [0-1] is the share of the cost that
    input tokens cause (APIs: their billed share; self-host: the prefill share of GPU time,
    :func:`prefill_share_of_gpu_time`).
    """
    total = np.asarray(total_usd, dtype=float)
    share = np.asarray(input_share_of_cost, dtype=float)
    tin, tout = np.asarray(input_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_in = np.where(tin > 0, total * share / tin * TOKENS_PER_MILLION, np.nan)
        p_out = np.where(tout > 0, total * (1.0 - share) / tout * TOKENS_PER_MILLION, np.nan)
    return p_in, p_out


def prefill_share_of_gpu_time(ttft_ms, tpot_ms, output_tokens_per_request) -> np.ndarray:
    """Share of a request's time on the replica spent in prefill [0-1] (the self-host split rule).

    share = TTFT / (TTFT + OSL x TPOT), with TTFT [ms] and TPOT [ms] the replica's latencies at its
    operating point (the capacity at the SLO) and OSL [tokens per request]. A request holds its slot of
    the batch for TTFT while its input is processed and for OSL x TPOT while its output is generated,
    so this is the share of the fleet's cost that input tokens cause. NaN when a latency is unknown.
    """
    ttft, tpot = np.asarray(ttft_ms, dtype=float), np.asarray(tpot_ms, dtype=float)
    decode = np.asarray(output_tokens_per_request, dtype=float) * tpot
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ttft + decode > 0, ttft / (ttft + decode), np.nan)


def usd_per_million_tokens_at_capacity(usd_per_month, capacity_tokens_per_month) -> np.ndarray:
    """Unit cost with the billed fleet fully used [USD / 1M tokens] (what published $/1M tables quote).

    = cost of the billed fleet [USD per month] / tokens the fleet can serve in that month at its SLO
    capacity [tokens per month] x 1e6; NaN where the capacity is 0.
    """
    cost = np.asarray(usd_per_month, dtype=float)
    cap = np.asarray(capacity_tokens_per_month, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cap > 0, cost / cap * TOKENS_PER_MILLION, np.nan)
