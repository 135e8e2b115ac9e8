"""Two-part routes proposed by the optimizer (``python -m tco optimize --routes``; docs/scenario_optimizer.md).

A cheap candidate below the scenario's quality floor and a candidate that meets it make a cascade:
the cheap one serves every request and a share S is escalated to the strong one. Under the route
quality approximation of tco.model.routing (weighted mean of Elo), the smallest share that meets the floor is

    S* = (floor - elo_cheap) / (elo_strong - elo_cheap),  rounded up to the next ``share_step``

Each pair is then evaluated by the engine (tco.engine.evaluate on a scenario holding only the route),
so its cost is exactly what adding the route to the scenario gives. Proposals are sorted by total cash;
``saving_usd`` is against the cheapest single candidate that meets the floor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from tco.analysis.candidates import candidate_option
from tco.core.exceptions import TcoError
from tco.engine import evaluate
from tco.model import quality as q
from tco.scenario import parse_scenario

#: Cheapest candidates per model kept on each side of the floor (pairs = cheap x strong).
ROUTE_CHEAP_MODELS = 5
ROUTE_STRONG_MODELS = 4
#: Escalation shares are rounded up to this step [fraction].
ROUTE_SHARE_STEP = 0.05


@dataclass(frozen=True)
class RouteProposal:
    name: str
    first: str  # candidate name (below the floor)
    escalate: str  # candidate name (meets the floor)
    escalate_share: float  # [0-1]
    elo: float  # [Elo points] approximate route quality (weighted mean)
    total_cash_usd: float  # [USD]
    npv_usd: float  # [USD]
    usd_per_million_tokens: float  # [USD / 1M tokens]
    saving_usd: Optional[float]  # [USD] cheapest single candidate meeting the floor - this route
    option: dict  # the scenario option (YAML mapping) of the route

    def row(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "first", "escalate", "escalate_share", "elo", "total_cash_usd",
                                                "npv_usd", "usd_per_million_tokens", "saving_usd")}


def escalate_share_for_floor(elo_cheap: float, elo_strong: float, floor_elo: float, step: float = ROUTE_SHARE_STEP
                             ) -> Optional[float]:
    """Smallest escalation share [0-1] whose weighted-mean Elo meets the floor, rounded up to ``step``.

    S* = (floor - elo_cheap) / (elo_strong - elo_cheap). None when no share below 1 does it (the strong
    model alone is then the answer) or when the cheap model already meets the floor (no route needed).
    """
    if elo_cheap >= floor_elo or elo_strong <= elo_cheap or elo_strong < floor_elo:
        return None
    s = (floor_elo - elo_cheap) / (elo_strong - elo_cheap)
    s = math.ceil(s / step - 1e-9) * step
    return round(s, 10) if s < 1.0 else None


def _cheapest_per_model(rows: Sequence[tuple[Any, float]], n: int) -> list[tuple[Any, float]]:
    best: dict[str, tuple[Any, float]] = {}
    for c, elo in sorted(rows, key=lambda r: r[0].total_cash_usd):
        best.setdefault(c.model or c.name, (c, elo))
    return list(best.values())[:n]


def _part_option(c) -> dict:

    opt = candidate_option(c)
    if c.kind == "self_host" and c.capacity_rps is not None:
        opt["self_host"]["capacity_rps_per_replica"] = float(c.capacity_rps)  # the capacity the search found
    return opt


def propose_routes(scenario, catalog, candidates: Sequence[Any], quality=None,
                   cheap_models: int = ROUTE_CHEAP_MODELS, strong_models: int = ROUTE_STRONG_MODELS,
                   step: float = ROUTE_SHARE_STEP) -> tuple[list[RouteProposal], str]:
    """Cascades (cheap candidate + escalation) meeting the scenario's quality floor, cheapest first, and a note.

    ``candidates`` are the optimizer's candidates before the floor was applied.
    """

    if scenario.quality_floor is None:
        return [], "routes need a quality_floor in the scenario (the floor the route must meet)"
    qual = quality if quality is not None else q.load_quality(catalog, catalog.data_dir or None)
    spec = q.resolve_floor(scenario.quality_floor, catalog, qual, "optimizer")
    rated = []
    for c in candidates:
        if not c.feasible or c.total_cash_usd is None:
            continue
        elo = q.option_quality(c, catalog, qual).elo
        if elo is not None:
            rated.append((c, elo))
    cheap = _cheapest_per_model([r for r in rated if r[1] < spec.elo], cheap_models)
    strong = _cheapest_per_model([r for r in rated if r[1] >= spec.elo], strong_models)
    best_single = min((c.total_cash_usd for c, _ in strong), default=None)
    out: list[RouteProposal] = []
    skipped = 0
    for c1, e1 in cheap:
        for c2, e2 in strong:
            share = escalate_share_for_floor(e1, e2, spec.elo, step)
            if share is None:
                continue
            first, esc = _part_option(c1), _part_option(c2)
            if first["name"] == esc["name"]:
                esc["name"] = esc["name"] + " (escalation)"
            name = f"{c1.name} -> {c2.name} at {share:.0%}"
            route = {"name": name[:200], "route": {"mode": "cascade", "first": first, "escalate": esc,
                                                   "escalate_share": share}}
            doc = scenario.to_dict()
            doc.update(options=[route])
            doc.pop("quality_floor", None)
            try:

                res = evaluate(parse_scenario(doc, "optimizer"), catalog, skip_infeasible=True)
            except TcoError:
                skipped += 1
                continue
            if not res.options:
                skipped += 1
                continue
            o = res.options[0]
            elo = (1.0 - share) * e1 + share * e2
            out.append(RouteProposal(name=route["name"], first=c1.name, escalate=c2.name, escalate_share=share, elo=elo,
                                     total_cash_usd=o.total_cash_usd, npv_usd=o.npv_usd,
                                     usd_per_million_tokens=o.usd_per_million_tokens,
                                     saving_usd=None if best_single is None else best_single - o.total_cash_usd,
                                     option=route))
    out.sort(key=lambda p: (p.total_cash_usd, p.name))
    dearer = [p for p in out if p.saving_usd is not None and p.saving_usd <= 0]
    out = [p for p in out if p not in dearer]
    note = (f"{len(out)} cascades of {len(cheap)} cheap x {len(strong)} strong candidates meet the floor "
            f"({spec.label}) under the route quality approximation (weighted mean of Elo; docs/methodology.md "
            f"section 15) for less than the cheapest single candidate meeting it")
    if dearer:
        note += f"; {len(dearer)} more cost at least as much and are not listed"
    if skipped:
        note += f"; {skipped} could not be evaluated"
    return out, note


__all__ = ["RouteProposal", "escalate_share_for_floor", "propose_routes", "ROUTE_CHEAP_MODELS", "ROUTE_STRONG_MODELS",
           "ROUTE_SHARE_STEP"]
