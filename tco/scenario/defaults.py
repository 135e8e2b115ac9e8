"""The scenario the app opens with: a first screen that already answers the question.

Pure (no Streamlit). :func:`default_scenario` picks, from whatever the catalog holds:

* APIs: GPT-4o (the reference, first option), GPT-4o mini, and a hosted Llama 3.1 70B
  (an API offer whose ``serves_model`` is ``llama-3.1-70b``);
* self-host Llama 3.1 70B and 8B, each rented (cheapest on-demand catalog offer per GPU-hour for
  the GPU) and owned (catalog server for the GPU, firm prices before low-confidence ones), on a
  GPU / GPU count / precision that has a *measured* throughput profile when one exists, so capacity
  comes from measurements (70B bf16 on 4x H100, 8B bf16 on 1x H100 preferred).

Anything the catalog lacks is left out rather than invented. The workload numbers are an
illustrative mid-size product (1M requests/day, 1,000 input and 300 output tokens per request);
they are the user's to change.
"""
from __future__ import annotations

import datetime as _dt
from typing import Optional

from tco.catalog import Catalog
from tco.scenario import Scenario, parse_scenario

#: Illustrative workload (not sourced: a starting point the user replaces).
DEFAULT_WORKLOAD = {
    "requests_per_day": 1_000_000.0,  # [requests/day]
    "input_tokens": 1000.0,  # [tokens/request]
    "output_tokens": 300.0,  # [tokens/request]
    "growth_per_month": 0.03,  # [1/month] compound
    "peak_to_average": 2.0,  # [ratio] peak-hour / average load
    "cached_input_share": 0.0,  # [share of input tokens]
    "batch_share": 0.0,  # [share of requests]
}
#: Interactive-chat latency targets [ms].
DEFAULT_SLO = {"ttft_p95_ms": 2000.0, "tpot_p95_ms": 100.0}
DEFAULT_MONTHS = 36

#: Self-host targets: (model id, preferred GPU, preferred GPUs per replica, preferred precision).
SELF_HOST_TARGETS = (("llama-3.1-70b", "h100-sxm", 4, "bf16"), ("llama-3.1-8b", "h100-sxm", 1, "bf16"))
HOSTED_LLAMA = "llama-3.1-70b"
PREFERRED_HOSTS = ("together", "fireworks", "deepinfra", "groq")


def current_month(today: Optional[_dt.date] = None) -> str:
    d = today or _dt.date.today()
    return f"{d.year:04d}-{d.month:02d}"


def _find_api(catalog: Catalog, model_name: str) -> Optional[str]:
    hits = [a for a in catalog.apis.values() if a.model_name.lower() == model_name or a.id.endswith("/" + model_name)]
    hits.sort(key=lambda a: (a.provider.lower() != "openai", a.id))
    return hits[0].id if hits else None


def _hosted_llama(catalog: Catalog, model: str) -> Optional[str]:
    hits = [a for a in catalog.apis.values() if a.serves_model == model]

    def rank(a) -> tuple:
        prov = a.provider.lower()
        pref = next((i for i, p in enumerate(PREFERRED_HOSTS) if p in prov), len(PREFERRED_HOSTS))
        return pref, a.input + a.output, a.id

    hits.sort(key=rank)
    return hits[0].id if hits else None


def _gpu_per_hour(offer) -> Optional[float]:
    p = offer.usd_per_instance_hour_on_demand
    return None if p is None else p / offer.gpus_per_instance


def cheapest_offer(catalog: Catalog, gpu: str) -> Optional[str]:
    """Rental offer id for ``gpu`` with the lowest on-demand price per GPU-hour [USD/GPU-h]."""
    offers = [o for o in catalog.offers.values() if o.gpu == gpu and _gpu_per_hour(o) is not None]
    offers.sort(key=lambda o: (_gpu_per_hour(o), o.id))
    return offers[0].id if offers else None


def pick_server(catalog: Catalog, gpu: str) -> Optional[str]:
    """Server id for ``gpu``: firm figures before low-confidence ones, then lowest price per GPU."""
    servers = [s for s in catalog.servers.values() if s.gpu == gpu]
    servers.sort(key=lambda s: (s.low_confidence, s.price_usd / s.gpus_per_server, s.id))
    return servers[0].id if servers else None


def pick_configuration(catalog: Catalog, model: str, gpu: str, gpus: int, precision: str) -> Optional[tuple[str, int, str]]:
    """(gpu, gpus per replica, precision) for ``model``: a measured profile close to the preference,
    else the preference itself when the catalog has that GPU; None when neither exists.
    """
    profs = [p for p in catalog.profiles.values() if p.model == model and p.gpu in catalog.gpus]
    if profs:
        def rank(p) -> tuple:
            return (p.kind != "measured", p.scenario != "online_serving", p.gpu != gpu, p.precision != precision,
                    abs(p.gpus - gpus), cheapest_offer(catalog, p.gpu) is None, p.id)

        best = min(profs, key=rank)
        return best.gpu, best.gpus, best.precision
    if gpu in catalog.gpus:
        return gpu, gpus, precision
    return None


def default_options(catalog: Catalog) -> list[dict]:
    """The default option list as scenario dicts (API reference first)."""
    opts: list[dict] = []
    for model_name, label in (("gpt-4o", "GPT-4o API"), ("gpt-4o-mini", "GPT-4o mini API")):
        api = _find_api(catalog, model_name)
        if api:
            opts.append({"name": label, "api": api})
    hosted = _hosted_llama(catalog, HOSTED_LLAMA)
    if hosted:
        prov = catalog.apis[hosted].provider
        opts.append({"name": f"{catalog.models[HOSTED_LLAMA].name if HOSTED_LLAMA in catalog.models else 'Llama'} API ({prov})",
                     "api": hosted})
    for model, gpu, gpus, precision in SELF_HOST_TARGETS:
        if model not in catalog.models:
            continue
        conf = pick_configuration(catalog, model, gpu, gpus, precision)
        if conf is None:
            continue
        g, n, prec = conf
        mname = catalog.models[model].name
        gname = catalog.gpus[g].name.split()[0] if catalog.gpus[g].name else g
        base = {"model": model, "gpu": g, "gpus_per_replica": n, "precision": prec}
        offer = cheapest_offer(catalog, g)
        if offer:
            opts.append({"name": f"{mname} rent {n}x {gname}",
                         "self_host": {**base, "rent": {"offer": offer, "pricing": "on_demand"}}})
        server = pick_server(catalog, g)
        if server:
            opts.append({"name": f"{mname} own {n}x {gname}", "self_host": {**base, "own": {"server": server}}})
    return opts


def default_scenario(catalog: Catalog, start: Optional[str] = None) -> Scenario:
    """The scenario the Compare page opens with (see the module docstring)."""
    doc = {
        "name": "Self-host Llama or pay per token",
        "start": start or current_month(),
        "months": DEFAULT_MONTHS,
        "workload": dict(DEFAULT_WORKLOAD),
        "slo": dict(DEFAULT_SLO),
        "options": default_options(catalog),
    }
    return parse_scenario(doc, "default scenario")


__all__ = ["default_scenario", "default_options", "DEFAULT_WORKLOAD", "DEFAULT_SLO", "DEFAULT_MONTHS",
           "cheapest_offer", "pick_server", "pick_configuration", "current_month"]
