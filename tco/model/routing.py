"""Routes: traffic split over options, or cascaded from a cheap option to a better one
(docs/methodology.md, section 15).

A route has members (option, share of requests):
* split: each part serves ``share`` of every month's requests (shares sum to 1);
* cascade: the first option serves every request (share 1) and ``escalate_share`` of the requests is
  sent again, in full (same input and output tokens), to the escalation option.

Each member is evaluated as an option of its own on a copy of the scenario whose traffic is scaled
by its share (:func:`part_scenario`); the route's line items are the members' items summed by name,
plus the ``router`` item. Every forecast kind is linear in its level parameters, so scaling them
scales every month's requests by exactly the share. A member with share 0 is left out.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from tco.core.constants import TOKENS_PER_MILLION


def scaled_workload(w, share: float):
    """The scenario Workload with every month's requests multiplied by ``share`` [0-1].

    requests_per_day, the linear forecast's requests_per_day_added_per_month, the s-curve's
    ceiling_requests_per_day and every value of a series are multiplied by share; growth rates, events
    (multipliers), the daily profile and token sizes are unchanged.
    """
    upd: dict = {"requests_per_day": w.requests_per_day * share}
    g = w.growth
    if g is not None:
        gu: dict = {}
        if g.requests_per_day_added_per_month is not None:
            gu["requests_per_day_added_per_month"] = g.requests_per_day_added_per_month * share
        if g.ceiling_requests_per_day is not None:
            gu["ceiling_requests_per_day"] = g.ceiling_requests_per_day * share
        if g.requests_per_day is not None:
            gu["requests_per_day"] = [x * share for x in g.requests_per_day]
        upd["growth"] = g.model_copy(update=gu)
    return w.model_copy(update=upd)


def part_scenario(scenario, part, share: float):
    """A copy of ``scenario`` with one option, ``part``, and the traffic scaled by ``share``.

    The quality floor is dropped (a route is judged as a whole); the fine-tuning block is kept (a
    fine-tuned part pays its runs in full: training does not scale with traffic).
    """
    return scenario.model_copy(update={"workload": scaled_workload(scenario.workload, share), "options": [part],
                                       "quality_floor": None})


def members(scenario, option) -> list[tuple[object, float]]:
    """(part Option, share) of a route option, names resolved; members with share 0 are left out."""
    return [(p, s) for p, s in scenario.route_members(option) if s > 0]


def router_cost(input_tokens_m, output_tokens_m, usd_per_million_tokens) -> np.ndarray:
    """Router bill [USD per month] = (input + output tokens of every request) [tokens] x price [USD / 1M tokens] / 1e6.

    Every request passes the router once (escalated requests are re-sent by it, not billed twice).
    """
    return (np.asarray(input_tokens_m, dtype=float) + np.asarray(output_tokens_m, dtype=float)) \
        * usd_per_million_tokens / TOKENS_PER_MILLION


def quality_weights(route) -> list[float]:
    """Weights of each member in the route's quality, in member order.

    split: the shares. cascade: the first model answers the requests that are not escalated
    (1 - escalate_share), the escalation model answers the escalated share.
    """
    if route.mode == "split":
        return [p.share for p in route.parts]
    s = float(route.escalate_share)
    return [1.0 - s, s]


def route_elo(elos: Sequence[Optional[float]], weights: Sequence[float]) -> Optional[float]:
    """Approximate quality of a route [Elo points] = sum of w_i x elo_i over members with w_i > 0.

    An approximation: Elo is not additive, and a router sends the hard requests to the strong model
    (a cascade usually does better than this mean). None when a member with weight > 0 has no figure.
    """
    total = 0.0
    for e, w in zip(elos, weights):
        if w <= 0:
            continue
        if e is None:
            return None
        total += w * e
    return total


ROUTE_QUALITY_NOTE = ("route quality = share-weighted mean of its parts' Elo (an approximation: a router that sends "
                      "hard requests to the strong model does better than this mean)")


def route_saving(result, route_name: str, basis: str = "cash") -> Optional[dict]:
    """Saving of a route against its largest part alone [USD], or None when a part is not also an option
    of ``result`` (an inline part has no evaluation on all the traffic).

    The largest part is the member that costs the most serving all the traffic alone (the option the
    route replaces, typically the big model); saving = part total - route total, share = saving / part
    total. ``basis``: cash | accrual.
    """
    o = next((x for x in result.options if x.name == route_name), None)
    if o is None or o.kind != "route" or not o.parts:
        return None
    by_name = {x.name: x for x in result.options}
    alone = [by_name.get(pr.name) for pr in o.parts]
    if any(a is None for a in alone):
        return None
    key = "total_cash_usd" if basis == "cash" else "total_accrual_usd"
    big = max(alone, key=lambda a: getattr(a, key))
    part_total, route_total = getattr(big, key), getattr(o, key)
    saving = part_total - route_total
    return {"route": route_name, "largest_part": big.name, "part_total_usd": part_total, "route_total_usd": route_total,
            "saving_usd": saving, "saving_share": saving / part_total if part_total else None, "basis": basis}


def with_route(doc: dict, name: str, mode: str, a: str, b: str, share: float,
               router_usd_per_million_tokens: Optional[float] = None) -> dict:
    """A scenario document (dict) with a two-member route over options ``a`` and ``b`` appended.

    split: ``a`` gets 1 - share of the requests, ``b`` share; cascade: ``a`` first, ``b`` escalation at share.
    """
    if mode == "split":
        route: dict = {"mode": "split", "parts": [{"option": a, "share": round(1.0 - share, 10)},
                                                  {"option": b, "share": round(share, 10)}]}
    else:
        route = {"mode": "cascade", "first": a, "escalate": b, "escalate_share": share}
    if router_usd_per_million_tokens:
        route["router_usd_per_million_tokens"] = router_usd_per_million_tokens
    out = dict(doc)
    out["options"] = list(doc.get("options", [])) + [{"name": name, "route": route}]
    return out


__all__ = ["route_saving", "with_route", "scaled_workload", "part_scenario", "members", "router_cost", "quality_weights", "route_elo",
           "ROUTE_QUALITY_NOTE"]
