"""The Compare page's choice of the reference option (issue 15): the option every break-even month, saving
and payback is measured against.

The widget is the builder field ``reference`` (tco.scenario.builder.FIELDS): its value is an option name, or
``""`` for the default rule (tco.model.finance.reference_choice; the builder reads a blank text field as not
set, and the scenario's None arrives here as ``""``, since a selectbox shows a None value as no selection).
No formula here.
"""
from __future__ import annotations

from typing import Optional

import streamlit as st

from tco.scenario.builder import FIELD_BY_KEY, option_names

KEY = "reference"
DEFAULT = ""  # the widget's value for "no reference chosen": the default rule
AUTOMATIC = "Automatic: the cheapest API option that meets the SLO and the quality floor"
WHY = ("Self-hosting pays only if it beats what you would buy otherwise: the cheapest hosted API that meets "
       "your latency SLO and quality floor is that alternative, so it is the default reference. Pick another "
       "option to measure against it instead (e.g. renting, to see when owning pays). Saved in the scenario "
       "as `reference:`.")


def _label(name: Optional[str]) -> str:
    return AUTOMATIC if not name else name


def render_reference_choice(values: dict, api_rows: list[dict], self_host_rows: list[dict], slots: dict) -> None:
    """A selectbox over the options' names (as the builder names them) plus "Automatic", keyed by the builder
    field, with an error slot under it (``slots[KEY]``). A chosen option that no longer exists (renamed or
    deleted) stays selected, so the scenario's message says so next to it instead of a silent switch."""
    names = option_names(values, api_rows, self_host_rows)
    if st.session_state.get(KEY) is None:  # the scenario has none (set before the widget renders: allowed)
        st.session_state[KEY] = DEFAULT
    current = st.session_state[KEY]
    choices = [DEFAULT] + names + ([current] if current and current not in names else [])
    st.selectbox(FIELD_BY_KEY[KEY].label, choices, key=KEY, format_func=_label, help=WHY)
    slots[KEY] = st.empty()
