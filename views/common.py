"""Helpers shared by every page: the cached catalog and evaluation, formatting, colours, errors.

Caching: the catalog is loaded once per data directory (``st.cache_resource``, shared read-only by
every session); an evaluation is cached on primitives only, the scenario as YAML text plus the
catalog's content hash (``st.cache_data``), so an unchanged rerun costs a dictionary lookup.
"""
from __future__ import annotations

import gc
import os
from typing import Iterable, Optional

import plotly.graph_objects as go
import streamlit as st

from tco import charts
from tco.catalog import Catalog, load_catalog
from tco.catalog.edit import DEFAULT_MAX_AGE_DAYS, is_stale
from tco.core.exceptions import CatalogError, Problem, ProblemsError, TcoError
from tco.engine import Result, evaluate
from tco.report import export
from tco.scenario import load_scenario_text
from tco.scenario.builder import FIELDS, scenario_to_inputs
from tco.scenario.defaults import default_scenario

#: Environment variable naming the data directory (default: the bundled data/).
DATA_DIR_ENV = "TCO_DATA_DIR"


def data_dir() -> Optional[str]:
    return os.environ.get(DATA_DIR_ENV) or None


@st.cache_resource(show_spinner="Loading catalogs...")
def _load_catalog(directory: Optional[str]) -> tuple[Catalog, str]:
    cat = load_catalog(directory)
    _freeze_long_lived()
    return cat, cat.version()


def _freeze_long_lived() -> None:
    """Move every object alive now (imported libraries, the catalog) out of the cyclic garbage collector's
    sight (``gc.freeze``): a full collection then scans only what reruns create (~1 ms instead of
    ~100-150 ms). Reference counting still frees frozen objects that are dropped; only reference cycles
    among them would stay. Streamlit's own collection after every run is off (.streamlit/config.toml).
    Once per process: a catalog loaded later (after a save on the Data page) is not frozen."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.collect()
        gc.freeze()


_FROZEN = False


#: Session-state key of the Data page's edited, unsaved catalog: ``(Catalog, version)``.
EDITED_CATALOG = "tco_edited_catalog"


def get_active_catalog() -> Optional[tuple[Catalog, str]]:
    """``(catalog, version)`` edited in this session on the Data page and not saved yet, else None."""
    return st.session_state.get(EDITED_CATALOG)


def _edited_banner() -> None:
    # Once per script run, never inside a cached function (it would be replayed).
    from streamlit.runtime.caching.cached_message_replay import in_cached_function
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or in_cached_function.get():
        return
    run = id(ctx.cursors)  # a new dict every run
    if st.session_state.get("_tco_edited_banner_run") == run:
        return
    st.session_state["_tco_edited_banner_run"] = run
    st.warning("Using edited, unsaved data (Data page): save or reset it there.", icon=":material/edit_note:")


def get_saved_catalog() -> Catalog:
    """The catalog as saved in the data directory (ignores this session's edits)."""
    try:
        return _load_catalog(data_dir())[0]
    except CatalogError as exc:
        show_problems(exc.problems, title="The catalogs in the data directory have problems; fix them and reload:")
        st.stop()
        raise  # unreachable: st.stop() raises


def get_catalog() -> Catalog:
    """The validated catalog (this session's edited data when there is some, with a banner); on
    problems, list every one with st.error and stop the page."""
    edited = get_active_catalog()
    if edited is not None:
        _edited_banner()
        return edited[0]
    return get_saved_catalog()


def catalog_version() -> str:
    """Content hash of the loaded catalog (part of every evaluation cache key)."""
    edited = get_active_catalog()
    if edited is not None:
        return edited[1]
    try:
        return _load_catalog(data_dir())[1]
    except CatalogError:
        return "invalid"


@st.cache_data(max_entries=64, show_spinner=False)
def evaluate_cached(scenario_yaml: str, catalog_version: str) -> Result:
    """evaluate() of a scenario given as YAML text, infeasible self-host options skipped (with reasons).

    ``catalog_version`` is only part of the cache key: a changed catalog never serves a stale result.
    Raises ScenarioError / TcoError (not cached) for scenarios the catalog cannot resolve.
    """
    scenario = load_scenario_text(scenario_yaml, "inputs")
    edited = get_active_catalog()
    catalog = edited[0] if edited is not None and edited[1] == catalog_version else _load_catalog(data_dir())[0]
    return evaluate(scenario, catalog, skip_infeasible=True, file="inputs")


class SharedFigure(go.Figure):
    """A figure shared read-only between reruns and sessions: its ``to_dict()`` is computed once.

    st.plotly_chart calls ``to_dict()`` on every rerun, a deep copy of the data, layout and template
    (~5-10 ms per chart). A figure from the shared cache below is never mutated, so the copy is made
    once. (Only an optimisation: with any other Streamlit behaviour the figure is still a valid Figure.)
    """

    def to_dict(self):
        cached = getattr(self, "_shared_dict", None)
        if cached is None:
            cached = self._shared_dict = super().to_dict()
        return cached


def shared_figure(fig: go.Figure) -> SharedFigure:
    """``fig`` as a :class:`SharedFigure` (the same object; call it on figures nobody mutates afterwards)."""
    fig.__class__ = SharedFigure
    return fig


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(builder: str, result_key: str, catalog_version: str, args: tuple, _result: Result):
    # cache_resource (not cache_data): pickling a Figure in and out of cache_data costs what the cache saves.
    # The figure is only read by st.plotly_chart, never mutated, so sharing it between sessions is safe.
    return shared_figure(getattr(charts, builder)(_result, *args))


def figure(builder: str, result: Result, *args, key: Optional[str] = None):
    """A tco.charts figure for ``result``, built once per (scenario, catalog, arguments) for all sessions.

    Building a plotly figure validates every property (~20-50 ms each); a rerun that changes nothing
    the chart depends on reuses the figure. ``key`` is the scenario YAML the result was evaluated from
    (when the page has it; otherwise it is rebuilt from the result, ~20 ms).
    """
    return _figure(builder, key or result.scenario.to_yaml(), catalog_version(), tuple(args), result)


#: Session key where the Compare page keeps its last valid scenario as YAML (views/compare.py).
COMPARE_YAML = "compare_last_good_yaml"


def compare_scenario(catalog: Catalog):
    """The Compare page's current scenario (other pages build on it), else the default scenario."""
    text = st.session_state.get(COMPARE_YAML)
    if not text:
        return default_scenario(catalog)
    try:
        return load_scenario_text(text, "inputs")
    except ProblemsError as exc:  # a stale YAML from an older version: fall back to the default scenario
        st.warning(f"Could not read the Compare page's scenario ({exc}); showing the default scenario.")
        return default_scenario(catalog)


def evaluate_yaml(scenario_yaml: str) -> tuple[Optional[Result], list[Problem]]:
    """(result, []) or (None, located problems): the page decides where to show them."""
    try:
        return evaluate_cached(scenario_yaml, catalog_version()), []
    except ProblemsError as exc:
        return None, list(exc.problems)
    except TcoError as exc:
        return None, [Problem("inputs", None, None, str(exc))]


# ----------------------------------------------------------------------------------------------
# formatting


def money(x: Optional[float]) -> str:
    """$1.23M, $456k, $3,456 (n/a for missing)."""
    return export.fmt_usd(x) if x is not None else "n/a"


def per_million(x: Optional[float]) -> str:
    """USD per 1M tokens with cents."""
    if x is None or x != x:
        return "n/a"
    return f"${x:,.2f} / 1M tokens"


def colors_for(result: Result) -> dict[str, str]:
    """Colour per option name, the same in every chart of the page."""
    return charts.result_colors(result)


def option_colors(names: Iterable[str]) -> dict[str, str]:
    return charts.option_colors(names)


def show_problems(problems: Iterable[Problem | str], title: Optional[str] = None, where=None) -> None:
    """Located problems as one st.error: an optional title, then one bullet per problem."""
    lines = [str(p) for p in problems]
    if not lines:
        return
    target = where if where is not None else st
    body = "\n".join(f"- {_escape(line)}" for line in lines)
    target.error(f"{title}\n\n{body}" if title else body, icon=":material/error:")


def _escape(text: str) -> str:
    """Keep user text from being read as markdown (ids with * or _ stay literal)."""
    for ch in ("\\", "*", "_", "[", "]", "<", ">", "#", "|"):
        text = text.replace(ch, "\\" + ch)
    return text


def assumption_caption(catalog: Catalog, key: str) -> str:
    """'default 1.58 ratio: <source> (as of <date>)' for an assumptions-catalog entry."""
    a = catalog.assumptions.get(key)
    if a is None:
        return ""
    src = a.source.split(" ,")[0].split(" ;")[0]
    if len(src) > 160:
        src = src[:157] + "..."
    return f"Default {a.value:g} {a.unit} ({a.kind}): {src} (as of {a.as_of})."


# ----------------------------------------------------------------------------------------------
# Compare-page inputs kept in session state (so they survive page switches and can be loaded)

#: Session-state keys of the Compare page's inputs (widget keys are in tco.scenario.builder.FIELDS).
COMPARE_VALUES = "compare_values"
API_EDITOR, SELF_HOST_EDITOR = "api_options_editor", "self_host_options_editor"
API_ROWS, SELF_HOST_ROWS = "api_rows", "self_host_rows"  # + "_base" / "_current"


def set_compare_inputs(scenario) -> None:
    """Make the Compare page show ``scenario`` on its next run (call before its widgets render, e.g.
    from a callback or another page): stores the values and rows and drops the widgets' own state.
    """
    values, api_rows, sh_rows = scenario_to_inputs(scenario)
    st.session_state[COMPARE_VALUES] = values
    for key, rows in ((API_ROWS, api_rows), (SELF_HOST_ROWS, sh_rows)):
        st.session_state[key + "_base"] = rows
        st.session_state[key + "_current"] = rows
    for key in [f.key for f in FIELDS] + [API_EDITOR, SELF_HOST_EDITOR]:
        st.session_state.pop(key, None)


def stale_inputs_notice(result: Result) -> None:
    """An info line and a table of the inputs behind ``result`` whose catalog figures are older than the
    staleness limit (or undated); nothing when all are current. Shown on every page with results."""
    import pandas as pd
    stale = [a for a in result.assumptions if a.origin in ("catalog", "default", "measured", "adjusted")
             and a.as_of and is_stale(a.as_of, DEFAULT_MAX_AGE_DAYS)]
    if not stale:
        return
    st.info(f"{len(stale)} input(s) come from catalog figures older than {DEFAULT_MAX_AGE_DAYS} days (or with no "
            "date): check them before relying on the numbers (Data page: update the catalogs).",
            icon=":material/history:")
    with st.expander("Inputs older than the staleness limit"):
        st.dataframe(pd.DataFrame([{"option": a.option or "(all)", "input": a.name, "value": str(a.value),
                                    "as of": a.as_of, "source": a.source} for a in stale]),
                     hide_index=True, width="stretch")
