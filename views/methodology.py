"""Methodology: docs/methodology.md (every formula and convention) and the default assumptions."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from views import common

DOC = Path(__file__).resolve().parent.parent / "docs" / "methodology.md"

catalog = common.get_catalog()

text = DOC.read_text(encoding="utf-8") if DOC.is_file() else None
if text is None or not text.lstrip().startswith("# "):  # the document brings its own title
    st.title("Methodology")
if text is not None:
    # The document is ours (in the repository), not user input, so plain markdown is safe.
    st.markdown(text)
else:
    st.info("docs/methodology.md is not written yet: it will describe every formula and convention here.",
            icon=":material/info:")

st.header("Default assumptions", divider="gray")
st.caption(f"Used when a scenario does not set a value (`{catalog.files.get('assumptions', 'assumptions.yaml')}`). "
           "kind: sourced = copied from the source; estimated = computed here from sourced figures; "
           "judgement = no published figure, replace with your own.")
rows = [{"id": a.id, "value": a.value, "unit": a.unit, "low": a.low, "high": a.high, "kind": a.kind,
         "description": a.description, "source": a.source, "as of": a.as_of}
        for a in catalog.assumptions.values()]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="assumptions_table",
             column_config={"source": st.column_config.TextColumn("source", width="large"),
                            "description": st.column_config.TextColumn("description", width="large")})
