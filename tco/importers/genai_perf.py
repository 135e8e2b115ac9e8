"""NVIDIA GenAI-Perf ``*_genai_perf.json`` / ``*_genai_perf.csv`` and AIPerf (its successor)
``profile_export_aiperf.json`` / ``.csv``. Latencies in ms.

One file = one point. GenAI-Perf's and AIPerf's ``inter_token_latency`` is per request
(request latency - TTFT) / (output tokens - 1), vLLM's TPOT definition, so it is stored as
``tpot_ms``. The CSV has a statistics block (``Metric,avg,min,max,p99,...``), a blank line and a
``Metric,Value`` block of system metrics (throughputs may sit in either); numbers may carry
thousands separators.

* Load: GenAI-Perf ``input_config.concurrency`` / ``request_rate`` (flat or under
  ``perf_analyzer.stimulus``); AIPerf ``input_config.phases[*].concurrency`` / ``request_rate`` of the
  phases kept in the results (``exclude_from_results`` false). The CSV does not record the load.
* Date: AIPerf ``start_time`` (ISO); GenAI-Perf JSON has none.
* Model: ``input_config.model`` (GenAI-Perf, a list) or ``input_config.models.items[*].name``
  (AIPerf); a run over several models is refused (its figures mix them).
* Endpoint: ``input_config.endpoint_type`` / ``input_config.endpoint.type`` (``chat``, ...).
* A run with ``request_count`` 0 or zero throughput is refused.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Optional

from tco.importers.common import Parsed, check_measured, display_name, fail, load_json, num, parse_date, stats

EXPECTED_JSON = ("a GenAI-Perf *_genai_perf.json or AIPerf profile_export_aiperf.json object (metrics "
                 "time_to_first_token, inter_token_latency, request_throughput, output_token_throughput)")
EXPECTED_CSV = "a GenAI-Perf / AIPerf profile CSV (header 'Metric,avg,...', then a 'Metric,Value' block)"
EXPECTED = EXPECTED_JSON


def _stats(m: Optional[dict]) -> dict:
    if not isinstance(m, dict):
        return {}
    return stats(mean=num(m.get("avg")), median=num(m.get("p50")), p90=num(m.get("p90")), p95=num(m.get("p95")),
                 p99=num(m.get("p99")))


def _avg(m) -> Optional[float]:
    return num(m.get("avg")) if isinstance(m, dict) else None


def is_aiperf(d: Any) -> bool:
    cfg = d.get("input_config") if isinstance(d, dict) else None
    return isinstance(d, dict) and ("aiperf_version" in d or isinstance(cfg, dict) and isinstance(cfg.get("phases"), list))


def _load_settings(cfg) -> tuple[Optional[float], Optional[float], list[str]]:
    """(concurrency, request_rate, notes) from input_config: GenAI-Perf (flat or perf_analyzer.stimulus)
    or AIPerf (phases kept in the results)."""
    notes: list[str] = []
    if not isinstance(cfg, dict):
        return None, None, notes
    conc, rate = num(cfg.get("concurrency")), num(cfg.get("request_rate"))
    pa = cfg.get("perf_analyzer")
    stim = pa.get("stimulus") if isinstance(pa, dict) else None
    if isinstance(stim, dict):
        conc = conc or num(stim.get("concurrency"))
        rate = rate or num(stim.get("request_rate"))
    phases = [p for p in cfg.get("phases") or [] if isinstance(p, dict) and not p.get("exclude_from_results")]
    concs = sorted({num(p.get("concurrency")) for p in phases if num(p.get("concurrency"))})
    rates = sorted({num(p.get("request_rate")) for p in phases if num(p.get("request_rate"))})
    if len(concs) > 1 or len(rates) > 1:
        notes.append(f"phases at several loads ({', '.join(f'{c:g}' for c in concs + rates)}): load not recorded")
    else:
        conc = conc or (concs[0] if concs else None)
        rate = rate or (rates[0] if rates else None)
    return conc, rate, notes


def _models(cfg) -> list[str]:
    if not isinstance(cfg, dict):
        return []
    m = cfg.get("model")
    if isinstance(m, str):
        return [m]
    if isinstance(m, list):
        return [str(x) for x in m if x]
    ms = cfg.get("models")
    items = ms.get("items") if isinstance(ms, dict) else ms if isinstance(ms, list) else None
    if isinstance(items, list):
        return [str(x.get("name")) if isinstance(x, dict) else str(x) for x in items if x]
    return []


def _endpoint(cfg) -> Optional[str]:
    if not isinstance(cfg, dict):
        return None
    ep = cfg.get("endpoint")
    if isinstance(ep, dict) and isinstance(ep.get("type"), str):
        return ep["type"]
    v = cfg.get("endpoint_type")
    return v if isinstance(v, str) and v else None


def parse_doc(d: Any, name: str) -> list[Parsed]:
    shown = display_name(name)
    aiperf = is_aiperf(d)
    if not isinstance(d, dict) or "request_throughput" not in d or "time_to_first_token" not in d and "request_latency" not in d:
        raise fail(shown, f"no request_throughput / time_to_first_token metrics: expected {EXPECTED_JSON}")
    cfg = d.get("input_config")
    count = _avg(d.get("request_count"))
    if count is not None and count <= 0:
        raise fail(shown, "no completed request (request_count 0): nothing was measured; not imported")
    if d.get("was_cancelled") is True:
        raise fail(shown, "the run was cancelled (was_cancelled true): not imported")
    models = _models(cfg)
    if len(models) > 1:
        raise fail(shown, f"the run mixes {len(models)} models ({', '.join(models)}): its figures are not one "
                          "configuration's; not imported")
    conc, rate, notes = _load_settings(cfg)
    point = {"concurrency": conc, "request_rate": rate, "request_throughput_rps": _avg(d.get("request_throughput")),
             "output_tokens_per_s": _avg(d.get("output_token_throughput")),
             "ttft_ms": _stats(d.get("time_to_first_token")), "tpot_ms": _stats(d.get("inter_token_latency")),
             # AIPerf's gap between streamed chunks = vLLM's ITL (GenAI-Perf has no such metric)
             "itl_ms": _stats(d.get("inter_chunk_latency"))}
    check_measured(point, name)
    tool = "aiperf" if aiperf else "genai-perf"
    engine = None
    if aiperf:
        notes.append(f"{shown}: AIPerf {d.get('aiperf_version', '')}".rstrip())
    return [Parsed([point], isl=_avg(d.get("input_sequence_length")), osl=_avg(d.get("output_sequence_length")),
                   weight=count or 1.0, as_of=parse_date(d.get("start_time")), engine=engine,
                   endpoint=_endpoint(cfg), model=models[0] if models else None, tool=tool, notes=notes)]


_UNIT = re.compile(r"\s*\([^)]*\)\s*$")


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _UNIT.sub("", label).strip().lower()).strip("_")


def parse_csv(data: bytes, name: str, tool: str = "genai-perf") -> list[Parsed]:
    shown = display_name(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(shown, f"not UTF-8 text: expected {EXPECTED_CSV}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or rows[0][0].strip() != "Metric" or "avg" not in [c.strip() for c in rows[0]]:
        raise fail(shown, f"first line is not 'Metric,avg,...': expected {EXPECTED_CSV}")
    header = [c.strip().lower() for c in rows[0]]
    table: dict[str, dict] = {}
    system: dict[str, Optional[float]] = {}
    block = 1
    for r in rows[1:]:
        if not r or not any(c.strip() for c in r):
            continue
        if r[0].strip() == "Metric":
            block = 2
            continue
        if block == 1:
            table[_key(r[0])] = {h: num(v) for h, v in zip(header[1:], r[1:])}
        elif len(r) >= 2:
            system[_key(r[0])] = num(r[1])

    def sysval(key: str) -> Optional[float]:
        return system[key] if system.get(key) is not None else (table.get(key) or {}).get("avg")

    if sysval("request_throughput") is None or not table:
        raise fail(shown, f"no 'Request Throughput' metric: expected {EXPECTED_CSV}")

    def st(key: str) -> dict:
        m = table.get(key)
        return {} if m is None else stats(mean=m.get("avg"), median=m.get("p50"), p90=m.get("p90"),
                                          p95=m.get("p95"), p99=m.get("p99"))

    count = sysval("request_count")
    if count is not None and count <= 0:
        raise fail(shown, "no completed request (Request Count 0): nothing was measured; not imported")
    point = {"request_throughput_rps": sysval("request_throughput"),
             "output_tokens_per_s": sysval("output_token_throughput"),
             "ttft_ms": st("time_to_first_token"), "tpot_ms": st("inter_token_latency")}
    check_measured(point, name)
    isl = (table.get("input_sequence_length") or {}).get("avg")
    osl = (table.get("output_sequence_length") or {}).get("avg")
    label = "AIPerf" if tool == "aiperf" else "GenAI-Perf"
    return [Parsed([point], isl=isl, osl=osl, weight=count or 1.0, tool=tool,
                   notes=[f"{shown}: the {label} CSV does not record the load (concurrency / request rate), the "
                          "model or the run date"])]


def parse(data: bytes, name: str) -> list[Parsed]:

    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return parse_doc(load_json(data, name, EXPECTED_JSON), name)
    if head.startswith(b"Metric"):
        return parse_csv(data, name)
    raise fail(display_name(name), f"neither JSON nor CSV: expected {EXPECTED_JSON} or {EXPECTED_CSV}")
