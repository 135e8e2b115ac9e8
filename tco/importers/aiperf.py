"""AIPerf (GenAI-Perf's successor) ``profile_export_aiperf.json`` and ``.csv``.

The layout is GenAI-Perf's with a richer ``input_config`` (concurrency under
``input_config.phases[*].concurrency``, models under ``input_config.models.items``) and a run date in
``start_time``; both are read by :mod:`tco.importers.genai_perf` (which also detects AIPerf files
given to ``tco import genai-perf``).
"""
from __future__ import annotations

from typing import Any

from tco.importers import genai_perf
from tco.importers.common import Parsed, display_name, fail

EXPECTED = "an AIPerf profile_export_aiperf.json object or profile_export_aiperf.csv"


def parse_doc(doc: Any, name: str) -> list[Parsed]:
    if not isinstance(doc, dict) or "request_throughput" not in doc:
        raise fail(display_name(name), f"no request_throughput metric: expected {EXPECTED}")
    return genai_perf.parse_doc(doc, name)


def parse_csv(data: bytes, name: str) -> list[Parsed]:
    return genai_perf.parse_csv(data, name, tool="aiperf")
