"""Catalogs: browse what the planner knows (models, GPUs, rental offers, servers, API prices,
throughput profiles, default assumptions, costs beyond GPUs), each row with its source and as-of date.
Read-only here. Fractions in the files are shown in percent (tco.core.percent), like everywhere in the app."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco.core.percent import shown_row, to_percent
from views import common

catalog = common.get_catalog()

st.title("Catalogs")
st.caption(f"Every figure the planner uses, with where it comes from and when (data directory: "
           f"`{catalog.data_dir}`). Type in the filter to search every column.")

#: tab title -> (catalog name, leading columns); every other field follows, source and as_of last.
TABLES = {
    "Models": ("models", ["id", "name", "total_params_b", "active_params_b", "layers", "kv_heads", "max_context",
                          "license"]),
    "GPUs": ("gpus", ["id", "name", "vendor", "memory_gb", "mem_bw_tbs", "bf16_tflops", "fp8_tflops", "tdp_w"]),
    "Rental offers": ("offers", ["id", "provider", "instance_type", "gpu", "gpus_per_instance", "region",
                                 "usd_per_instance_hour_on_demand", "usd_per_instance_hour_spot",
                                 "usd_per_instance_hour_reserved"]),
    "Servers": ("servers", ["id", "name", "gpu", "gpus_per_server", "price_usd", "power_kw", "low_confidence"]),
    "API prices": ("apis", ["id", "provider", "model_name", "serves_model", "input", "output", "cached_input",
                            "batch_input", "batch_output"]),
    "Throughput profiles": ("profiles", ["id", "model", "gpu", "gpus", "precision", "engine", "isl", "osl",
                                         "scenario"]),
    "Assumptions": ("assumptions", ["id", "value", "unit", "low", "high", "description"]),
    "Costs beyond GPUs": ("cost_lines", ["id", "name", "category", "line_kind", "amount_usd", "share_of_server_capex",
                                         "usd_per_gb", "unit", "low", "high", "applies_to"]),
}
#: Fields in the unit of their entry's ``unit`` (shown in percent when that unit is a fraction).
IN_ENTRY_UNIT = ("value", "low", "high")
#: Column headers with units (fields not listed keep their name).
UNITS = {
    "total_params_b": "total params [B]", "active_params_b": "active params [B]", "max_context": "max context [tokens]",
    "memory_gb": "memory [GB]", "mem_bw_tbs": "bandwidth [TB/s]", "bf16_tflops": "BF16 [TFLOPS]",
    "fp8_tflops": "FP8 [TFLOPS]", "tdp_w": "TDP [W]",
    "usd_per_instance_hour_on_demand": "on-demand [USD/instance-h]", "usd_per_instance_hour_spot": "spot [USD/instance-h]",
    "usd_per_instance_hour_reserved": "reserved [USD/instance-h]", "price_usd": "price [USD]", "power_kw": "max power [kW]",
    "input": "input [USD/1M tok]", "output": "output [USD/1M tok]", "cached_input": "cached input [USD/1M tok]",
    "batch_input": "batch input [USD/1M tok]", "batch_output": "batch output [USD/1M tok]",
    "isl": "input [tokens]", "osl": "output [tokens]", "points": "load points",
    "share_of_server_capex": "share of server capex [%]", "amount_usd": "amount [USD, per unit]",
    "usd_per_gb": "[USD/GB]",
}


@st.cache_data(show_spinner=False)
def table(name: str, lead: tuple[str, ...], version: str) -> pd.DataFrame:
    """One catalog as a DataFrame (profiles: one row per profile with its point count)."""
    rows = []
    for e in common.get_catalog().get(name).values():
        d = e.model_dump(mode="json")
        if name == "profiles":
            d["points"] = len(d["points"])
        if d.get("share_of_server_capex") is not None:  # a fraction by its schema
            d["share_of_server_capex"] = to_percent(d["share_of_server_capex"])
        rows.append(shown_row(d, IN_ENTRY_UNIT))
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    tail = ["kind", "notes", "source", "as_of"]
    order = [c for c in lead if c in df] + [c for c in df if c not in lead and c not in tail] + [c for c in tail if c in df]
    return df[order].rename(columns=UNITS)


def search(df: pd.DataFrame, text: str) -> pd.DataFrame:
    if not text or df.empty:
        return df
    needle = text.strip().lower()
    mask = df.astype(str).apply(lambda col: col.str.lower().str.contains(needle, regex=False)).any(axis=1)
    return df[mask]


query = st.text_input("Filter", key="catalog_filter", placeholder="e.g. h100, llama-3.1-70b, lambda, 2025-",
                      help="Case-insensitive text search across every column of every table.")
tabs = st.tabs(list(TABLES))
version = common.catalog_version()
for tab, (title, (name, lead)) in zip(tabs, TABLES.items()):
    with tab:
        df = table(name, tuple(lead), version)
        shown = search(df, query)
        st.caption(f"{len(shown)} of {len(df)} entries, from `{catalog.files.get(name, name)}`.")
        st.dataframe(shown, hide_index=True, width="stretch", key=f"catalog_table_{name}",
                     column_config={"source": st.column_config.TextColumn("source", width="large"),
                                    "notes": st.column_config.TextColumn("notes", width="large")})
