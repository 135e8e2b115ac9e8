"""What a page shows about the scenario in effect: a compact summary, what differs from the file it was
loaded from, names that follow an option's configuration, tokens per day, the break-even matrix, the SLO
status of each option and where the point estimate falls in a Monte Carlo range.

Pure (no Streamlit). Conventions: rates and shares in the scenario are fractions and are shown as
percent through :mod:`tco.core.percent`; money in USD; months as ``YYYY-MM``.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

import numpy as np

from tco.core.percent import plain_number, to_percent
from tco.scenario import is_generated_variant, unique_name

# ----------------------------------------------------------------------------------------------
# load: tokens per day <-> requests per day


def tokens_per_day(requests_per_day: float, input_tokens: float, output_tokens: float) -> float:
    """tokens_per_day [tokens/day] = requests_per_day [req/day] x (input_tokens + output_tokens) [tokens/req]."""
    return float(requests_per_day) * (float(input_tokens) + float(output_tokens))


def requests_per_day_from_tokens(tokens_per_day_: float, input_tokens: float, output_tokens: float) -> float:
    """requests_per_day [req/day] = tokens_per_day [tokens/day] / (input_tokens + output_tokens) [tokens/req].

    Raises ValueError when a request has no tokens (the load cannot be given in tokens then)."""
    per_request = float(input_tokens) + float(output_tokens)
    if per_request <= 0:
        raise ValueError("tokens per request (input + output) is 0: give the load in requests per day")
    return float(tokens_per_day_) / per_request


# ----------------------------------------------------------------------------------------------
# summary


def growth_text(workload) -> str:
    """One phrase for the forecast: 'compound 3 %/month', 'S-curve to 5,000,000 req/day', 'flat'..."""
    g = workload.growth
    if g is None:
        rate = workload.growth_per_month
        return "flat" if rate == 0 else f"compound {plain_number(to_percent(rate))} %/month"
    if g.kind == "compound":
        return "flat" if g.rate_per_month == 0 else f"compound {plain_number(to_percent(g.rate_per_month))} %/month"
    if g.kind == "linear":
        return f"linear {plain_number(g.requests_per_day_added_per_month)} req/day added per month"
    if g.kind == "s_curve":
        return (f"S-curve to {plain_number(g.ceiling_requests_per_day)} req/day (midpoint month "
                f"{plain_number(g.midpoint_month)})")
    return f"series of {len(g.requests_per_day)} months"


def summary_items(scenario, reference: Optional[str]) -> list[tuple[str, str]]:
    """(label, text) pairs: name, horizon, load and growth, SLO, reference, quality floor.

    ``reference`` is the option savings and break-even are measured against (the evaluated result's
    ``reference``); None when the scenario has no option that can be one."""
    w, slo = scenario.workload, scenario.slo
    events = f", {len(w.events)} event(s)" if w.events else ""
    shape = "daily profile" if w.daily_profile is not None else f"peak/average {plain_number(w.peak_to_average)}"
    bounds = [f"TTFT p95 {plain_number(slo.ttft_p95_ms)} ms" if slo.ttft_p95_ms else None,
              f"TPOT p95 {plain_number(slo.tpot_p95_ms)} ms" if slo.tpot_p95_ms else None]
    floor = scenario.quality_floor
    if floor is None:
        floor_text = "none"
    elif floor.at_least is not None:
        floor_text = f"{plain_number(floor.at_least)} Elo"
    else:
        floor_text = f"as good as {floor.at_least_as_good_as}"
    tpd = tokens_per_day(w.requests_per_day, w.input_tokens, w.output_tokens)
    return [
        ("Scenario", scenario.name),
        ("Horizon", f"{scenario.start}, {scenario.months} months"),
        ("Load", f"{plain_number(w.requests_per_day)} req/day ({plain_number(tpd)} tokens/day), "
                 f"{growth_text(w)}{events}, {shape}"),
        ("SLO", ", ".join(b for b in bounds if b) or "none"),
        ("Reference", reference or "none (no API option)"),
        ("Quality floor", floor_text),
    ]


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and path == "options":
        for opt in value:
            name = opt.get("name", "?") if isinstance(opt, dict) else "?"
            body = {k: v for k, v in opt.items() if k != "name"} if isinstance(opt, dict) else opt
            _flatten(body, f"options[{name}]", out)
            out.setdefault(f"options[{name}]", "present")
    else:
        out[path] = value


def flatten_document(doc: dict) -> dict[str, Any]:
    """Scenario document -> {dotted path: leaf value}; options keyed by name (``options[GPT-4o API].api``)."""
    out: dict[str, Any] = {}
    _flatten(doc, "", out)
    return out


def _show(v: Any) -> str:
    if v is None:
        return "(not set)"
    if isinstance(v, float):
        return plain_number(v)
    if isinstance(v, list):
        return f"[{len(v)} values]" if len(v) > 3 else str(v)
    return str(v)


def scenario_diff(origin: dict, current: dict) -> list[tuple[str, str, str]]:
    """(path, value in ``origin``, value now) for every leaf that differs, in path order; an option
    added or removed shows once as ``options[name]``. Values as text (fractions as in the file)."""
    a, b = flatten_document(origin), flatten_document(current)
    gone = {p for p in a if p.startswith("options[") and p.count(".") == 0 and p not in b}
    new = {p for p in b if p.startswith("options[") and p.count(".") == 0 and p not in a}
    rows = []
    for path in sorted(set(a) | set(b)):
        if any(path.startswith(g + ".") for g in gone | new):
            continue
        if a.get(path) != b.get(path):
            if path in gone:
                rows.append((path, "present", "(removed)"))
            elif path in new:
                rows.append((path, "(not set)", "added"))
            else:
                rows.append((path, _show(a.get(path)), _show(b.get(path))))
    return rows


# ----------------------------------------------------------------------------------------------
# names that follow the configuration


def self_host_auto_name(model_name: str, payment: str, gpus_per_replica: Any, gpu_name: str,
                        precision: Optional[str] = None, pricing: Optional[str] = None) -> str:
    """'Llama 3.1 70B rent 4x H100' (+ ' fp8' when not bf16, + ' spot'/' reserved' when not on demand).

    ``payment`` is 'rent' or 'own'; ``gpu_name`` the GPU's short name (first word of its catalog name)."""
    n = gpus_per_replica if gpus_per_replica not in (None, "") else 1
    try:
        n = int(n)
    except (TypeError, ValueError):
        pass
    name = f"{model_name} {payment} {n}x {gpu_name}"
    if precision and precision != "bf16":
        name += f" {precision}"
    if payment == "rent" and pricing and pricing != "on_demand":
        name += f" {pricing}"
    return name


def follow_names(previous: Sequence[dict], rows: Sequence[dict], auto_name: Callable[[dict], Optional[str]],
                 generated: frozenset = frozenset()) -> tuple[list[dict], bool]:
    """Rows whose name follows their configuration: ``(rows, changed)``.

    A row's name is regenerated with ``auto_name(row)`` when its configuration changed since ``previous``
    (same row index), the user did not change the name in the same edit, and the previous name was the
    previous configuration's automatic name (or a numbered copy of it, "<name> (2)"), a name the app
    generated (``generated``, e.g. the default scenario's labels) or blank. A name the user typed is never
    replaced. A generated name already used by another row gets the first free suffix " (2)", " (3)", ...
    (:func:`tco.scenario.unique_name`), so two rows with the same configuration never share a name."""
    out, changed = [], False
    for i, row in enumerate(rows):
        row = dict(row)
        prev = previous[i] if i < len(previous) else None
        new = None
        if prev is not None:
            config = {k: v for k, v in row.items() if k != "name"}
            prev_config = {k: v for k, v in prev.items() if k != "name"}
            name, prev_name = row.get("name"), prev.get("name")
            if config != prev_config and name == prev_name and (
                    not prev_name or is_generated_variant(prev_name, auto_name(prev)) or prev_name in generated):
                new = auto_name(row)
        elif not row.get("name"):
            new = auto_name(row)
        if new:
            others = {r.get("name") for r in out} | {r.get("name") for r in rows[i + 1:]}
            new = unique_name(new, others)
            if new != row.get("name"):
                row["name"] = new
                changed = True
        out.append(row)
    return out, changed


# ----------------------------------------------------------------------------------------------
# break-even matrix, SLO status


# ----------------------------------------------------------------------------------------------
# Monte Carlo: where the point estimate falls


def point_estimate_percentile(draws: np.ndarray, point: float) -> float:
    """Percentile [%] of ``point`` among ``draws``: 100 x share of draws at or below it."""
    draws = np.asarray(draws, dtype=float)
    if draws.size == 0:
        return math.nan
    return float(np.mean(draws <= point) * 100.0)


#: Monte Carlo / tornado input keys whose values are fractions (shown as percent).
FRACTION_KEYS = frozenset({"growth_per_month", "discount_rate", "api_price_change_per_year",
                           "rent_price_change_per_year", "electricity_price_change_per_year"})


def input_value_text(key: str, x: float, unit: str = "") -> str:
    """A Monte Carlo / tornado input value for the screen: percent for fractions, plain numbers otherwise."""
    if unit.startswith("fraction") or key in FRACTION_KEYS:
        return f"{plain_number(to_percent(x))} %"
    return plain_number(x)


def skewed_inputs(uncertainties: Sequence, ratio: float = 2.0) -> list[str]:
    """Labels of the sampled inputs whose base value sits far off the middle of their range (one side at least
    ``ratio`` times longer than the other, or the base at an end): they pull the draws away from the point
    estimate. Each item reads 'label: low .. high around base unit'."""
    out = []
    for u in uncertainties:
        below, above = u.mode - u.low, u.high - u.mode
        if below < 0 or above < 0 or (below == 0 and above == 0):
            continue
        if min(below, above) == 0 or max(below, above) / min(below, above) >= ratio:
            def fmt(x, u=u):
                return input_value_text(u.key, x, str(getattr(u, "unit", "")))
            out.append(f"{u.label or u.key}: {fmt(u.low)} .. {fmt(u.high)} around {fmt(u.mode)}")
    return out


def range_note(p10: float, p90: float, point: float, percentile: float, uncertainties: Sequence) -> Optional[str]:
    """Why a P10-P90 range excludes the point estimate (None when it does not)."""
    if p10 <= point <= p90:
        return None
    side = "above" if point > p90 else "below"
    skewed = skewed_inputs(uncertainties)
    why = ("the point estimate uses each input's base value, and these ranges are not centred on it: "
           + "; ".join(skewed)) if skewed else \
        "the inputs' combined effect is not symmetric around their base values (costs respond non-linearly)"
    return (f"The point estimate is {side} the P10-P90 range (percentile {plain_number(percentile, 3)}): {why}. "
            "Most draws therefore land " + ("below" if side == "above" else "above") + " it.")


__all__ = ["tokens_per_day", "requests_per_day_from_tokens", "growth_text", "summary_items", "flatten_document",
           "scenario_diff", "self_host_auto_name", "follow_names", "FRACTION_KEYS", "input_value_text", "point_estimate_percentile", "skewed_inputs", "range_note"]
