"""Rules the optimizer applies before ranking (docs/scenario_optimizer.md).

Pure functions, no engine import:

* a default quality floor, so the first answer is not a model far below what hosted APIs give;
* catalog entries whose own figures are marked suspect or low-confidence are left out unless the
  user allows them (then flagged);
* a replica's GPUs sit in ONE rental instance or ONE server (tensor parallelism needs the GPUs'
  NVLink/NVSwitch fabric; separate rental instances do not share it);
* spot options carry their interruption caveat.
"""
from __future__ import annotations

import re
from typing import Any, Optional

#: The optimizer's quality floor when the scenario sets none (docs/quality.md).
DEFAULT_QUALITY_FLOOR = {"benchmark": "lmarena_text_elo", "at_least_as_good_as": "openai/gpt-3.5-turbo"}
DEFAULT_QUALITY_FLOOR_REASON = (
    "default quality floor: at least as good as GPT-3.5 Turbo (LMArena text Elo), the oldest widely deployed "
    "hosted chat model in the API catalog; a model below it rarely replaces a hosted API. Set quality_floor in "
    "the scenario or pass --no-quality-floor to change it")

SPOT_CAVEAT = ("spot: the provider can reclaim the instances at short notice; plan for interruptions "
               "(capacity held back, retries) or it does not suit a strict latency SLO")

#: confidence texts counted as low
_LOW_CONFIDENCE = re.compile(r"^\s*(low|medium-low|low-medium)\b", re.IGNORECASE)
# upper-case SUSPECT in an entry's notes is the data convention for "this entry's figure is suspect" (docs/data.md)
_SUSPECT = re.compile(r"\bSUSPECT\b(?:/STALE)?[:\s]*(spot|on[- ]demand|reserved)?")


def suspect_reason(entry: Any, pricing: Optional[str] = None) -> Optional[str]:
    """Why a catalog entry's price should not be trusted without a check, or None.

    Suspect when its notes contain ``SUSPECT`` (when the word is followed by a pricing - ``SUSPECT spot`` -
    only that pricing is suspect), or when its ``confidence`` is low (low, medium-low, low-medium).
    ``pricing`` is on_demand | spot | reserved for rental offers, None otherwise.
    """
    if entry is None:
        return None
    notes = getattr(entry, "notes", None) or ""
    for m in _SUSPECT.finditer(notes):
        which = (m.group(1) or "").lower().replace(" ", "_").replace("-", "_")
        if not which or pricing is None or which == pricing:
            return f"catalog entry '{entry.id}' is marked SUSPECT in its notes" + (f" ({which.replace('_', '-')} price)" if which else "")
    conf = getattr(entry, "confidence", None)
    if isinstance(conf, str) and _LOW_CONFIDENCE.match(conf):
        return f"catalog entry '{entry.id}' has {conf.strip()} confidence"
    return None


def replica_fits_unit(gpus_per_replica: int, gpus_per_unit: Optional[int], unit: str = "instance") -> Optional[str]:
    """None when whole replicas fit in one billing unit; else the reason the candidate is not offered.

    A replica of n GPUs fits a unit (rental instance or server) of g GPUs when n <= g and g is a multiple
    of n, so every replica's GPUs sit in one unit and no unit holds a split replica. Per-GPU prices
    (``gpus_per_unit`` None) have no unit and always fit.
    """
    if gpus_per_unit is None:
        return None
    n, g = int(gpus_per_replica), int(gpus_per_unit)
    if n > g:
        return (f"a {n}-GPU replica would span {-(-n // g)} separate {g}-GPU {unit}s: tensor parallelism across "
                f"separate {unit}s is not offered (no shared NVLink)")
    if g % n:
        return f"{g}-GPU {unit}s cannot hold whole {n}-GPU replicas without splitting one across {unit}s"
    return None


__all__ = ["DEFAULT_QUALITY_FLOOR", "DEFAULT_QUALITY_FLOOR_REASON", "SPOT_CAVEAT", "suspect_reason",
           "replica_fits_unit"]
