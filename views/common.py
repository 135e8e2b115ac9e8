"""Helpers shared by every page: the cached catalog and evaluation, formatting, colours, errors.

Caching: the catalog is loaded once per data directory (``st.cache_resource``, shared read-only by
every session); an evaluation is cached on primitives only, the scenario as YAML text plus the
catalog's content hash (``st.cache_data``), so an unchanged rerun costs a dictionary lookup.
"""
from __future__ import annotations

import gc
import os
from typing import Callable, Iterable, Optional

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tco import charts
from tco.catalog import Catalog, load_catalog
from tco.core.exceptions import CatalogError, Problem, ProblemsError, TcoError
from tco.core.percent import display_value
from tco.engine import Result, evaluate
from tco.report import export
from tco.scenario import load_scenario_text, share
from tco.scenario.builder import FIELDS, scenario_to_inputs
from tco.scenario.defaults import default_scenario
from tco.scenario.view import scenario_diff, summary_items

#: Environment variable naming the data directory (default: the bundled data/).
DATA_DIR_ENV = "TCO_DATA_DIR"


def data_dir() -> Optional[str]:
    return os.environ.get(DATA_DIR_ENV) or None


@st.cache_resource(show_spinner="Loading catalogs...")
def load_catalog_cached(directory: Optional[str]) -> tuple[Catalog, str]:
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
        return load_catalog_cached(data_dir())[0]
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
        return load_catalog_cached(data_dir())[1]
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
    catalog = edited[0] if edited is not None and edited[1] == catalog_version else load_catalog_cached(data_dir())[0]
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


# ----------------------------------------------------------------------------------------------
# Sections built on demand


@st.fragment
def on_demand(label: str, key: str, draw: Callable[[], None]) -> None:
    """An expander whose contents are built and sent only while it is open (``draw()`` runs then).

    Closed, it costs one message per rerun instead of its tables or charts. It is a fragment: opening or
    closing it reruns this section alone, not the page. ``draw`` must only read what the page computed
    (the page's own full rerun, on any input that changes the scenario, calls it again with the new
    result); a widget inside it that changes the scenario must call ``st.rerun(scope="app")``. The label
    stays the same on every run (it is part of the expander's identity: a new label would close it).
    """
    with st.expander(label, key=key, on_change="rerun") as box:
        if box.open:
            draw()


# ----------------------------------------------------------------------------------------------
# The one scenario of the session (the same document a scenario file holds)
#
# Every page reads it (session_scenario) and writes it (commit_scenario); every page's numbers come
# from evaluating it. It lives in session state as YAML under SCENARIO_YAML and, encoded, in the
# address bar (?s=..., tco.scenario.share), so a reload, a bookmark or a copied address restores it. The file,
# example, link or default it was loaded from is kept (ORIGIN_*) to show what differs from it.

#: Session key of the session scenario as YAML (its historical name: the Compare page's last valid scenario).
SCENARIO_YAML = COMPARE_YAML = "compare_last_good_yaml"
ORIGIN_YAML, ORIGIN_LABEL = "tco_origin_yaml", "tco_origin_label"
SHARE_ERROR = "tco_share_error"  # problems of a share link that could not be opened (shown once)
#: Prefixes of page widget keys that show scenario values: dropped when the scenario is replaced from
#: elsewhere (reset, load, "use this") so every page shows the new scenario, not stale widget state.
PAGE_WIDGET_PREFIXES = ("traffic_", "fin_", "cap_use_")


def _default_scenario(catalog: Catalog):
    return default_scenario(catalog)


def session_scenario(catalog: Catalog):
    """The scenario in effect: the session's, else the one in the address (?s=), else the default."""
    ss = st.session_state
    text = ss.get(SCENARIO_YAML)
    if text:
        try:
            return load_scenario_text(text, "inputs")
        except ProblemsError as exc:  # a stale YAML from an older version: fall back to the default scenario
            st.warning(f"Could not read the session's scenario ({exc}); showing the default scenario.")
    scenario, label = None, "the default scenario"
    if not text and share.PARAM in st.query_params:
        try:
            scenario, label = share.decode_scenario(st.query_params[share.PARAM]), "the link (address bar)"
        except ProblemsError as exc:
            ss[SHARE_ERROR] = [str(p) for p in exc.problems]
    if scenario is None:
        scenario = _default_scenario(catalog)
    commit_scenario(scenario, origin=label, source="page")
    return scenario


#: Kept for the pages written before the session scenario existed.


def commit_scenario(scenario, origin: Optional[str] = None, source: str = "other") -> None:
    """Make ``scenario`` the session's scenario and put it in the address bar.

    ``origin``: the file, link or default it was just loaded from (differences are shown against it).
    ``source``: ``"compare"`` (the Compare page's own inputs made it: nothing else to refresh), ``"page"``
    (another page's widgets made it: the Compare inputs are refreshed) or ``"other"`` (a reset, a load, a
    "use this": the Compare inputs are refreshed and every page's scenario widgets start again from it)."""
    ss = st.session_state
    text = scenario.to_yaml()
    ss[SCENARIO_YAML] = text
    if origin is not None:
        ss[ORIGIN_YAML], ss[ORIGIN_LABEL] = text, origin
    if source != "compare":
        set_compare_inputs(scenario)
    if source == "other":
        for key in [k for k in ss if isinstance(k, str) and k.startswith(PAGE_WIDGET_PREFIXES)]:
            ss.pop(key, None)
    sync_address(scenario, text)


#: Session key of (scenario YAML, its ?s= encoding): the router hook reuses it instead of parsing the YAML again.
ADDRESS_CACHE = "tco_address_cache"


def sync_address(scenario, text: Optional[str] = None) -> None:
    """Keep ``?s=`` equal to ``scenario`` (set only when it changed; a scenario too large for a link
    leaves the address without it and says so). ``text``: the scenario's YAML when the caller has it
    (the encoding is then remembered for :func:`keep_scenario_in_address` on the next run)."""
    try:
        encoded = share.encode_scenario(scenario)
    except ProblemsError:
        if share.PARAM in st.query_params:
            del st.query_params[share.PARAM]
        st.session_state["tco_address_note"] = "The scenario is too large for the address: save it as a file."
        return
    if text is not None:
        st.session_state[ADDRESS_CACHE] = (text, encoded)
    st.session_state.pop("tco_address_note", None)
    if st.query_params.get(share.PARAM) != encoded:
        st.query_params[share.PARAM] = encoded


def keep_scenario_in_address() -> None:
    """Router hook (app.py, every page): a page switch must not drop ``?s=`` while the session has a scenario,
    so a reload or a copied address on any page (Catalogs, Methodology...) keeps it."""
    ss = st.session_state
    text = ss.get(SCENARIO_YAML)
    if not text:
        return
    cached = ss.get(ADDRESS_CACHE)
    if not cached or cached[0] != text:
        try:
            cached = (text, share.encode_scenario(load_scenario_text(text, "inputs")))
        except ProblemsError:
            return  # unreadable or too large: the page that reads the scenario says so
        ss[ADDRESS_CACHE] = cached
    if st.query_params.get(share.PARAM) != cached[1]:
        st.query_params[share.PARAM] = cached[1]


def reset_to_default(catalog: Catalog) -> None:
    """Callback: the default scenario replaces the session's (and the address's)."""
    commit_scenario(_default_scenario(catalog), origin="the default scenario")


@st.cache_data(max_entries=64, show_spinner=False)
def _origin_dict(origin_text: str) -> dict:
    # The file, link or default a session's scenario came from changes rarely; parsed once, not every rerun.
    return load_scenario_text(origin_text, "origin").to_dict()


def scenario_panel(catalog: Catalog, scenario, result: Optional[Result] = None, link_compare: bool = True) -> None:
    """The scenario in effect, compact: name, horizon, load and growth, SLO, reference, quality floor; what
    differs from the file it was loaded from; a way back to Compare's answer and a reset to the default."""
    ss = st.session_state
    if ss.get(SHARE_ERROR):
        show_problems(ss.pop(SHARE_ERROR), title="The shared link could not be opened; showing the default scenario:")
    if result is None and ss.get(SCENARIO_YAML):
        result, _ = evaluate_yaml(ss[SCENARIO_YAML])
    reference = result.reference if result is not None else None
    with st.container(border=True, key="scenario_panel"):
        items = summary_items(scenario, reference)
        st.caption(" · ".join(f"**{label}:** {escape_markdown(text)}" for label, text in items))
        origin_text, origin_label = ss.get(ORIGIN_YAML), ss.get(ORIGIN_LABEL, "the default scenario")
        diff = []
        if origin_text:
            try:
                diff = scenario_diff(_origin_dict(origin_text), scenario.to_dict())
            except ProblemsError:
                diff = []
        c1, c2 = st.columns([4, 1])
        if diff:
            with c1.expander(f"{len(diff)} change(s) from {origin_label}"):
                st.dataframe(pd.DataFrame(diff, columns=["Field", "In " + origin_label, "Now"]).astype(str),
                             hide_index=True, width="stretch")
        else:
            c1.caption(f"As loaded from {origin_label}. Every page reads and changes this one scenario; the address "
                       "bar holds it (reload or copy the address to keep it).")
        if ss.get("tco_address_note"):
            c1.caption(ss["tco_address_note"])
        if link_compare:
            try:
                c2.page_link("views/compare.py", label="Compare's answer", icon=":material/compare_arrows:")
            except Exception:  # the page run on its own (tests), outside the app's navigation
                c2.caption("Compare's answer: the Compare page (top menu).")
    with st.sidebar:  # out of the page's own controls (and first-button lookups in tests)
        st.caption("The scenario in effect is the same on every page and in the address bar: reload, bookmark or "
                   "copy the address to keep it.")
        st.button("Reset to default", key="tco_reset_default", icon=":material/restart_alt:",
                  on_click=reset_to_default, args=(catalog,),
                  help="Replace the scenario (every page and the address) by the default scenario.")


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
    body = "\n".join(f"- {escape_markdown(line)}" for line in lines)
    target.error(f"{title}\n\n{body}" if title else body, icon=":material/error:")


def escape_markdown(text: str) -> str:
    """Keep user text from being read as markdown (ids with * or _ stay literal)."""
    for ch in ("\\", "*", "_", "[", "]", "<", ">", "#", "|"):
        text = text.replace(ch, "\\" + ch)
    return text


def assumption_caption(catalog: Catalog, key: str) -> str:
    """'Default 1.58 ratio: <source> (as of <date>)' for an assumptions-catalog entry (a fraction in percent:
    'Default 7 % per year')."""
    a = catalog.assumptions.get(key)
    if a is None:
        return ""
    src = a.source.split(" ,")[0].split(" ;")[0]
    if len(src) > 160:
        src = src[:157] + "..."
    return f"Default {display_value(a.value, a.unit)} ({a.kind}): {src} (as of {a.as_of})."


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
    from tco.catalog.edit import DEFAULT_MAX_AGE_DAYS, is_stale

    stale = [a for a in result.assumptions if a.origin in ("catalog", "default", "measured", "adjusted")
             and a.as_of and is_stale(a.as_of, DEFAULT_MAX_AGE_DAYS)]
    if not stale:
        return
    st.info(f"{len(stale)} input(s) come from catalog figures older than {DEFAULT_MAX_AGE_DAYS} days (or with no "
            "date): check them before relying on the numbers (Data page: update the catalogs).",
            icon=":material/history:")
    on_demand("Inputs older than the staleness limit", "stale_inputs_open", lambda: st.dataframe(
        pd.DataFrame([{"option": a.option or "(all)", "input": a.name, "value": str(a.value), "as of": a.as_of,
                       "source": a.source} for a in stale]), hide_index=True, width="stretch"))
