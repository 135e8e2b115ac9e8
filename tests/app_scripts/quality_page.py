"""A tiny page for AppTest: evaluate a small scenario on the bundled data and draw the quality section.

Self-host capacity is inline (capacity_rps_per_replica), so no throughput profile is needed.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from tco.catalog import load_catalog  # noqa: E402
from tco.engine import evaluate  # noqa: E402
from tco.scenario import parse_scenario  # noqa: E402
from views.quality_section import render_quality_section  # noqa: E402

SCENARIO = {
    "name": "Quality test",
    "start": "2027-01",
    "months": 12,
    "workload": {"requests_per_day": 50000, "input_tokens": 1000, "output_tokens": 300, "peak_to_average": 2.0},
    "options": [
        {"name": "GPT-4o", "api": "openai/gpt-4o"},
        {"name": "GPT-4o mini", "api": "openai/gpt-4o-mini"},
        {"name": "Llama 3.1 70B on Together", "api": "together/llama-3.1-70b"},
        {"name": "Claude Haiku 4.5", "api": "anthropic/claude-haiku-4-5"},
        {"name": "In-house API", "prices": {"input": 0.5, "output": 1.5}},
        {"name": "Llama 3.1 8B rented", "self_host": {
            "model": "llama-3.1-8b", "gpu": "h100-sxm", "precision": "bf16", "gpus_per_replica": 1,
            "capacity_rps_per_replica": 4.0, "staff_fte": 0.1, "rent": {"usd_per_gpu_hour": 2.5}}},
    ],
}


@st.cache_resource
def _catalog():
    return load_catalog()


catalog = _catalog()
scenario = parse_scenario(SCENARIO, "quality_page")
result = evaluate(scenario, catalog)
render_quality_section(result, scenario, catalog)
