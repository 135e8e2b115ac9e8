"""Quality next to cost: a self-contained section any page can call (the Compare page does).

``render_quality_section(result, scenario, catalog)`` draws: a floor control (none, an Elo number, or
"at least as good as" an API offer), a table of each option's quality tier next to its cost with the
floor status, the cost-vs-Elo chart with the Pareto frontier, and the other benchmarks of the
options' models grouped by source and setting (on demand: a toggle, off by default). Everything is computed by tco.model.quality and
tco.charts.quality; this file only reads widgets and draws.

The floor starts from ``scenario.quality_floor`` when set; changing it here does not edit the
scenario. Widget keys start with ``key_prefix`` so the section can appear twice on a page.
"""
from __future__ import annotations

from typing import Any, Optional

import pandas as pd
import streamlit as st

from tco import charts
from tco.catalog import Catalog
from tco.model.quality import (
    ELO_BENCHMARK,
    NO_FIGURE,
    FloorSpec,
    Quality,
    apply_floor,
    comparable_table,
    floor_status,
    load_quality,
    resolve_floor,
    result_quality,
    subject_for,
)
from tco.charts.quality import METRIC_LABELS, cost_quality_figure
from tco.core.exceptions import CatalogError, ScenarioError
from views import downloads

FLOOR_NONE, FLOOR_ELO, FLOOR_REF = "No floor", "Elo at least", "At least as good as"
_STATUS_TEXT = {"meets": "meets", "below": "below the floor", "unknown": f"unknown ({NO_FIGURE})", "no floor": ""}


@st.cache_resource(show_spinner=False, max_entries=8)
def _quality_for(data_dir: str, catalog_version: str, _catalog: Catalog) -> tuple[Optional[Quality], list[str]]:
    # Keyed on primitives (data directory, catalog content hash); the catalog object is not hashed.
    try:
        return load_quality(_catalog), []
    except CatalogError as exc:
        return None, [str(p) for p in exc.problems]


def _catalog() -> Catalog:
    from views import common

    return common.get_catalog()


def get_quality(catalog: Catalog) -> tuple[Optional[Quality], list[str]]:
    """(quality catalog, problems as text): cached per data directory and catalog content."""
    return _quality_for(str(catalog.data_dir), catalog.version(), catalog)


def _reference_choices(catalog: Catalog, quality: Quality) -> dict[str, str]:
    """API offer id -> 'id (Elo 1288)' for every offer that has an Elo, best first."""
    out = []
    for oid in catalog.apis:
        subject, _ = subject_for("api", oid, catalog, quality)
        e = quality.elo(subject)
        if e is not None:
            out.append((-e.score, oid, f"{oid} (Elo {e.score:.0f})"))
    out.sort()
    return {oid: label for _, oid, label in out}


def _initial_floor(scenario: Any) -> tuple[str, Optional[float], Optional[str]]:
    f = getattr(scenario, "quality_floor", None)
    if f is None:
        return FLOOR_NONE, None, None
    if getattr(f, "at_least_as_good_as", None):
        return FLOOR_REF, None, f.at_least_as_good_as
    return FLOOR_ELO, float(f.at_least), None


def floor_control(catalog: Catalog, quality: Quality, scenario: Any, key_prefix: str = "quality") -> Optional[FloorSpec]:
    """The floor widgets; returns the resolved floor (None = no floor)."""
    mode0, elo0, ref0 = _initial_floor(scenario)
    refs = _reference_choices(catalog, quality)
    ss = st.session_state
    mode_key, elo_key, ref_key = f"{key_prefix}_floor_mode", f"{key_prefix}_floor_elo", f"{key_prefix}_floor_ref"
    if mode_key not in ss:
        ss[mode_key] = mode0
    if elo_key not in ss:
        ss[elo_key] = float(elo0 if elo0 is not None else 1250.0)
    if ref_key not in ss or ss[ref_key] not in refs:
        ss[ref_key] = ref0 if ref0 in refs else ("openai/gpt-4o-mini" if "openai/gpt-4o-mini" in refs
                                                  else next(iter(refs), None))
    c1, c2 = st.columns([1.2, 2])
    with c1:
        mode = st.radio("Quality floor", (FLOOR_NONE, FLOOR_ELO, FLOOR_REF), key=mode_key, horizontal=False,
                        help="Options below the floor are marked. Quality = LMArena text Elo (one snapshot).")
    spec: Optional[FloorSpec] = None
    with c2:
        if mode == FLOOR_ELO:
            v = st.number_input("Minimum LMArena text Elo", min_value=0.0, max_value=5000.0, step=5.0,
                                format="%.0f", key=elo_key)
            spec = resolve_floor(float(v), catalog, quality)
        elif mode == FLOOR_REF and refs:
            ref = st.selectbox("At least as good as (API offer)", list(refs), key=ref_key,
                               format_func=lambda k: refs.get(k, k))
            try:
                spec = resolve_floor({"at_least_as_good_as": ref}, catalog, quality)
            except ScenarioError as exc:  # cannot happen for the listed offers; keep the page alive
                st.error(str(exc))
        elif mode == FLOOR_REF:
            st.info(f"No API offer in the catalog has a {NO_FIGURE.replace('no ', '')}.")
    return spec


def quality_rows_frame(rows, floor: Optional[FloorSpec], elo_label: str) -> pd.DataFrame:
    """The table shown: one row per option, quality next to cost (pure; tested)."""
    out = []
    for r in rows:
        status = floor_status(r.elo, floor.elo if floor else None)
        e = r.elo_entry
        out.append({
            "option": r.name,
            "kind": {"api": "API", "route": "route"}.get(r.kind, "self-host"),
            elo_label: r.tier_text,
            "scored as": (e.label if e is not None else ""),
            "linked via": (f"{r.via}: {r.subject}" if r.subject else (r.via or "no catalog id")),
            "USD / 1M tokens": r.cost.get("usd_per_million_tokens"),
            "total cash USD": r.cost.get("total_cash_usd"),
            "floor": _STATUS_TEXT[status],
        })
    return pd.DataFrame(out)


def render_quality_section(result: Any, scenario: Any = None, catalog: Optional[Catalog] = None,
                           key_prefix: str = "quality", heading: bool = True) -> Optional[FloorSpec]:
    """Draw the quality section for an evaluated ``result``; returns the floor in force (or None).

    ``heading=False`` leaves out its subheader (the caller drew one, e.g. above an expander)."""
    catalog = catalog if catalog is not None else _catalog()
    scenario = scenario if scenario is not None else getattr(result, "scenario", None)
    quality, problems = get_quality(catalog)
    if heading:
        st.subheader("Quality next to cost", anchor=False)
    if quality is None:
        st.error("The quality catalog has problems; quality is not shown:\n\n" + "\n".join(f"- {p}" for p in problems))
        return None
    elo_label = quality.elo_label()
    st.caption(f"Quality tier: {elo_label}, from {quality.elo_source() or 'the quality catalog'}. The only figure measured the same "
               "way for open and hosted models; other benchmarks are shown below only within their own "
               f"source and setting. \"{NO_FIGURE}\" means none was found: never read it as zero. "
               "See the Methodology page.")
    floor = floor_control(catalog, quality, scenario, key_prefix)
    rows = result_quality(result, catalog, quality)
    split = apply_floor(rows, floor, catalog, quality)
    if floor is not None:
        msg = (f"Floor {floor.label}: {len(split.kept)} option(s) meet it, {split.excluded_count} below it"
               + (f", {len(split.unknown)} with {NO_FIGURE} (cannot be checked)" if split.unknown else "") + ".")
        (st.warning if split.excluded_count or split.unknown else st.success)(msg)
    table = quality_rows_frame(rows, floor, "LMArena text Elo")
    st.dataframe(table, hide_index=True, width="stretch", key=f"{key_prefix}_table",
                 column_config={"USD / 1M tokens": st.column_config.NumberColumn(format="dollar"),
                                "total cash USD": st.column_config.NumberColumn(format="dollar")})
    metric = st.radio("Cost axis", list(METRIC_LABELS), key=f"{key_prefix}_metric", horizontal=True,
                      format_func=lambda m: METRIC_LABELS[m].split(" [")[0])
    colors = None
    try:
        colors = charts.result_colors(result)
    except Exception:  # a result without a scenario (tests): default colours
        colors = None
    fig = cost_quality_figure(rows, metric=metric, floor_elo=floor.elo if floor else None,
                              floor_label=floor.label if floor else "", elo_label=elo_label, colors=colors)
    st.plotly_chart(fig, theme=None, key=f"{key_prefix}_chart")
    downloads.chart(lambda f=fig: f, getattr(getattr(result, "scenario", None), "name", "") or "quality", "cost-vs-quality", f"{key_prefix}_chart")
    st.caption("Dotted staircase: the Pareto frontier, the cheapest option at each quality level (for any "
               "floor, the cheapest option meeting it is the next frontier point at or to the right of the "
               "floor). Diamonds are self-hosted, circles APIs; hollow grey markers are below the floor. "
               "Elo differences within the confidence interval (about +-3 to +-7) are not significant.")
    subjects = sorted({r.subject for r in rows if r.subject})
    # Drawn on demand (issue 21: heavy tables only when asked for): off, nothing is computed or sent.
    if st.toggle(f"Show other benchmarks ({len(subjects)} model(s); each row is one source and setting, never "
                 "compare across rows)", key=f"{key_prefix}_show_benchmarks", value=False):
        data = comparable_table(subjects, quality)
        if not data:
            st.write(f"The options' models have {NO_FIGURE} beyond the Elo.")
        else:
            st.dataframe(pd.DataFrame(data), hide_index=True, width="stretch", key=f"{key_prefix}_benchmarks",
                         column_config={"source": st.column_config.LinkColumn("source"),
                                        "setting": st.column_config.TextColumn("setting", width="large")})
    return floor


__all__ = ["render_quality_section", "floor_control", "quality_rows_frame", "get_quality", "ELO_BENCHMARK"]
