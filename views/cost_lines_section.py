"""Compare page: the "Costs beyond GPUs" editor (issue 18).

Edits the scenario's ``costs:`` list (kept in the Compare inputs' ``extra`` mapping, the scenario fields no
other widget shows) and offers the sourced lines of data/cost_lines.yaml as one-click additions, each with
its source. Conversions are pure functions of tco.model.cost_lines; the scenario model validates, and its
messages show with the page's other problems. No formula lives here.
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from tco.model.cost_lines import ROW_COLUMNS, CostLineInputError, lines_to_rows, rows_to_lines, scenario_cost_line
from tco.scenario import COST_LINE_KINDS
from views.common import COMPARE_VALUES

BASE, VERSION, SYNC, ERROR = "cost_lines_base", "cost_lines_version", "cost_lines_sync", "cost_lines_error"
OPEN, REOPENED = "cost_lines_open", "cost_lines_reopened"  # the expander's state; it was closed since the last edit


def _add(catalog, server_price_usd) -> None:
    """Button callback: append the picked catalog line to the editor's lines and to the scenario inputs."""
    ss = st.session_state
    entry = catalog.cost_lines[ss["cost_line_pick"]]
    try:
        line = scenario_cost_line(entry, server_price_usd=server_price_usd,
                                  depreciation_years=catalog.assumption("depreciation_years"),
                                  egress_gb_per_million_tokens=ss.get("cost_line_egress_gb"))
    except CostLineInputError as exc:
        ss[ERROR] = str(exc)
        return
    version = ss.get(VERSION, 0)
    lines = rows_to_lines(ss.get(f"cost_lines_rows_{version}", ss.get(BASE) or [])) + [line]
    ss[BASE], ss[VERSION] = lines_to_rows(lines), version + 1
    extra = ss.setdefault(COMPARE_VALUES, {}).setdefault("extra", {})
    extra["costs"] = lines
    ss[SYNC] = json.dumps(lines, sort_keys=True, default=str)


def _owned_server_price(catalog, sh_rows: list[dict]):
    """Price [USD] of the first owned option's catalog server in the self-host rows (None when there is none)."""
    for r in sh_rows or []:
        sid = r.get("server")
        if isinstance(sid, str) and sid in catalog.servers:
            return catalog.servers[sid].price_usd
    return None


def render_cost_lines_section(values: dict, catalog, sh_rows: list[dict]) -> None:
    """Draw the editor and write the edited lines into ``values["extra"]["costs"]``."""
    ss = st.session_state
    extra = values.setdefault("extra", {})
    current = extra.get("costs") or []
    loaded = ss.get(SYNC) != json.dumps(current, sort_keys=True, default=str)  # a scenario was loaded or shared
    if loaded or ss.pop(REOPENED, False):  # (or the section was closed: its editor starts again from the scenario)
        ss[BASE] = lines_to_rows(current)
        ss[VERSION] = ss.get(VERSION, 0) + 1
    if loaded and current:
        ss[OPEN] = True  # a loaded scenario's cost lines are shown
    # Built on demand (issue 21): closed, the editor is not built and the scenario keeps its lines as they are.
    # Opening or closing reruns the page: these lines are part of the scenario every other section shows.
    with st.expander("Costs beyond GPUs", key=OPEN, on_change="rerun") as box:
        if not box.open:
            ss[REOPENED] = True
            ss[SYNC] = json.dumps(current, sort_keys=True, default=str)
            return
        st.caption("Licences, networking, egress, audits, observability, set-up: each line is its own line item in "
                   "every table, chart and export. Kinds: " + ", ".join(COST_LINE_KINDS) + ". applies_to: all, api, "
                   "self_host, rent, own, or option names separated by ';'. Formulas: docs/methodology.md, section 10.")
        entries = catalog.cost_lines
        if entries:
            c1, c2 = st.columns([3, 1])
            pick = c1.selectbox("Sourced line (data/cost_lines.yaml)", list(entries), key="cost_line_pick",
                                format_func=lambda i: f"{entries[i].name}: {entries[i].value:g} ({entries[i].unit})")
            e = entries[pick]
            st.caption(f"Source: {e.source.strip()} (as of {e.as_of}; {e.kind})")
            if e.usd_per_gb is not None:
                st.number_input("Egress per 1M tokens [GB] (no sourced default: measure yours)", min_value=0.0,
                                value=None, format="%.6f", key="cost_line_egress_gb")
            c2.button("Add line", key="cost_line_add", width="stretch", on_click=_add,
                      args=(catalog, _owned_server_price(catalog, sh_rows)))
            if ss.get(ERROR):
                st.error(ss.pop(ERROR))
        df = pd.DataFrame(ss.get(BASE) or [], columns=list(ROW_COLUMNS))
        for c in ROW_COLUMNS:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float) if c in ("amount_usd", "amortize_months") \
                else df[c].astype(object)
        edited = st.data_editor(df, num_rows="dynamic", hide_index=True, width="stretch",
                                key=f"cost_lines_editor_{ss.get(VERSION, 0)}", column_config={
                                    "kind": st.column_config.SelectboxColumn("kind", options=list(COST_LINE_KINDS)),
                                    "amount_usd": st.column_config.NumberColumn("amount [USD]", min_value=0),
                                    "amortize_months": st.column_config.NumberColumn("amortize [months]", min_value=1,
                                                                                     step=1, format="%d")})
        rows = edited.to_dict("records")
        ss[f"cost_lines_rows_{ss.get(VERSION, 0)}"] = rows
        lines = rows_to_lines(rows)
        st.caption(f"{len(lines)} cost line(s) in the scenario.")
    if lines:
        extra["costs"] = lines
    else:
        extra.pop("costs", None)
    ss[SYNC] = json.dumps(extra.get("costs") or [], sort_keys=True, default=str)
