"""A candidate of the optimizer as a scenario option (what "use this" adds; routes are built from them too)."""
from __future__ import annotations

from typing import Any


def candidate_option(c) -> dict:
    """A scenario option (dict, as in the YAML) for a candidate: what "use this" adds to the scenario.

    Capacity is left to the engine (derived from profiles or the estimator at the scenario's SLO).
    """
    if c.kind == "api":
        if c.option is not None:
            return dict(c.option)
        return {"name": c.name, "api": c.api}
    sh: dict[str, Any] = {"model": c.model, "gpu": c.gpu, "precision": c.precision,
                          "gpus_per_replica": int(c.gpus_per_replica)}
    if c.payment == "own":
        sh["own"] = {"server": c.server}
    else:
        sh["rent"] = {"offer": c.offer, "pricing": c.payment}
    return {"name": c.name, "self_host": sh}
