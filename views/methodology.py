"""Methodology: every formula and convention (docs/*.md), and the default assumptions with sources."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from tco.core.percent import shown_row
from views import common

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: (file, tab title): the methodology first, then the documents it links to.
SECTIONS = (
    ("methodology.md", "Methodology"),
    ("capacity.md", "Capacity at the SLO"),
    ("estimator.md", "Estimator"),
    ("methodology_traffic.md", "Traffic and fleets"),
    ("finance.md", "Finance"),
    ("quality.md", "Quality"),
    ("scenario.md", "Scenario file"),
    ("scenario_traffic.md", "Traffic fields"),
    ("scenario_optimizer.md", "Optimizer fields"),
    ("data.md", "Catalog fields"),
    ("data_workflow.md", "Data workflow"),
    ("hardening.md", "Limits"),
)
_TITLES = dict(SECTIONS)
_LINK = re.compile(r"\[([^\]]+)\]\(([\w.-]+\.md)(#[\w-]+)?\)")


def _local_links(text: str) -> str:
    """Links to other docs/*.md files point at tabs on this page: name the tab instead of a dead link."""
    def repl(m: re.Match) -> str:
        title = _TITLES.get(m.group(2))
        return f"{m.group(1)} (tab *{title}*)" if title else m.group(1)
    return _LINK.sub(repl, text)


catalog = common.get_catalog()
st.title("Methodology")
st.caption("How every number is computed. Each formula lives in one pure function in `tco/`, with the "
           "formula and units in its docstring; these pages are the same documents as `docs/` in the repository.")

present = [(f, t) for f, t in SECTIONS if (DOCS / f).is_file()]
tabs = st.tabs([t for _, t in present] + ["Default assumptions"])
for tab, (fname, _) in zip(tabs, present):
    with tab:
        # Our own documents from the repository, not user input: plain markdown, no HTML.
        st.markdown(_local_links((DOCS / fname).read_text(encoding="utf-8")))

with tabs[-1]:
    st.caption(f"Used when a scenario does not set a value (`{catalog.files.get('assumptions', 'assumptions.yaml')}`). "
               "kind: sourced = copied from the source; estimated = computed here from sourced figures; "
               "judgement = no published figure, replace with your own.")
    rows = [shown_row({"id": a.id, "value": a.value, "unit": a.unit, "low": a.low, "high": a.high, "kind": a.kind,
                       "description": a.description, "source": a.source, "as of": a.as_of}, ("value", "low", "high"))
            for a in catalog.assumptions.values()]  # fractions in percent, as everywhere on screen
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="assumptions_table",
                 column_config={"source": st.column_config.TextColumn("source", width="large"),
                                "description": st.column_config.TextColumn("description", width="large")})
