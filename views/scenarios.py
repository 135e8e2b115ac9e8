"""Scenarios: the bundled examples and your folder; load, save (asks before overwriting), compare 2-4.

Lists tco.scenario.store folders, evaluates the chosen scenarios through the cached engine and draws
tco.charts.scenarios figures. No formula here.

Several users may share the folder: the session remembers the version of each file it opened or saved
(``VERSIONS``) and saves over that version only (tco.scenario.store.save_tracked); when another user saved
in between, nothing is written, the scenario in effect stays as it is, and the page offers to reload the
file or to overwrite it.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco.charts import scenarios as charts_scenarios
from tco.core.exceptions import ProblemsError
from tco.io.shared_files import ConflictError, VersionConflict
from tco.scenario import load_scenario
from tco.scenario import store as scenario_store
from views import common, downloads

catalog = common.get_catalog()
ss = st.session_state
VERSIONS = "scen_versions"  # {file path: version this session opened or last saved}
CONFLICT = "scen_conflict"  # the save refused because another user saved in between: {path, name, message}
FLASH = "scen_flash"  # (kind, message) shown once, after a conflict button's callback


def remember(path, version) -> None:
    ss.setdefault(VERSIONS, {})[str(path)] = version


def overwrite_after_conflict() -> None:
    """Callback: write the scenario in effect over the other user's change (a deliberate choice)."""
    conflict = ss.pop(CONFLICT, None)
    if conflict is None:
        return
    try:
        saved = scenario_store.save_scenario(common.session_scenario(common.get_catalog()), conflict["name"],
                                             overwrite=True)
    except (ProblemsError, ConflictError) as exc:
        ss[FLASH] = ("error", f"Not saved: {exc}")
        return
    except OSError as exc:
        ss[FLASH] = ("error", f"Could not save: {exc.strerror or exc}")
        return
    remember(saved.path, saved.version)
    ss[FLASH] = ("success", f"Saved to {saved.path}, over the other user's change.")


def reload_after_conflict() -> None:
    """Callback: open the file as it is now (with the other user's change) as the scenario in effect."""
    conflict = ss.pop(CONFLICT, None)
    if conflict is None:
        return
    path = conflict["path"]
    try:
        scenario, version = scenario_store.open_scenario(path)
    except ProblemsError as exc:
        ss.get(VERSIONS, {}).pop(str(path), None)  # gone or broken: a next save starts afresh
        ss[FLASH] = ("error", f"Could not reload {path}: {exc}")
        return
    common.commit_scenario(scenario, origin=f"the file {path}")
    remember(path, version)
    ss[FLASH] = ("info", f"Reloaded {path} as it is now (the other user's version); your unsaved version was "
                         "replaced.")


st.title("Scenarios", anchor=False)
common.scenario_panel(catalog, common.session_scenario(catalog))  # the scenario in effect on every page
st.caption(f"Bundled examples (data/scenarios/) and your folder ({scenario_store.user_dir()}; set "
           f"{scenario_store.ENV} to change it).")
stored = scenario_store.list_scenarios()
good = [x for x in stored if x.name is not None]
bad = [x for x in stored if x.name is None]
if bad:
    with st.expander(f"{len(bad)} file(s) that do not load"):
        common.show_problems([x.problem or x.path.name for x in bad])

labels = [x.label for x in good]
by_label = {x.label: x for x in good}

st.subheader("Compare 2-4 scenarios", anchor=False)
chosen = st.multiselect("Scenarios", labels, default=labels[:2], max_selections=4, key="scen_compare")
if len(chosen) >= 2:
    results, problems = {}, []
    for label in chosen:
        item = by_label[label]
        try:
            yaml_text = load_scenario(str(item.path)).to_yaml()
        except ProblemsError as exc:
            problems += exc.problems
            continue
        res, probs = common.evaluate_yaml(yaml_text)
        if res is None:
            problems += probs
        else:
            results[item.name if item.name not in results else label] = res
    common.show_problems(problems)
    if len(results) >= 2:
        rows = charts_scenarios.compare_rows(results)
        table = pd.DataFrame([{
            "Scenario": r["scenario"], "Months": r["months"], "Cheapest option": r["cheapest_option"],
            "Cheapest total [USD]": common.money(r["cheapest_total_cash_usd"]),
            "vs first [USD]": common.money(r["cheapest_total_cash_usd_diff"]),
            "Cheapest NPV [USD]": common.money(r["cheapest_npv_usd"]),
            "Cheapest [USD/1M tokens]": f"${r['cheapest_usd_per_million_tokens']:,.3f}"
            if r["cheapest_usd_per_million_tokens"] is not None else "n/a",
            "Reference": r["reference"] or "-",
            "Reference total [USD]": common.money(r["reference_total_cash_usd"]),
            "Saving vs reference [USD]": common.money(r["saving_vs_reference_usd"]),
            "Best self-host": r["best_self_host"] or "-",
            "Its break-even": r["best_self_host_break_even"] or ("never" if r["best_self_host"] else "-"),
        } for r in rows])
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption("Cash basis over each scenario's own horizon; 'vs first' is the difference from the first scenario.")
        only = st.radio("Curves", ["every option", "cheapest option only"], horizontal=True, key="scen_curves")
        st.plotly_chart(charts_scenarios.cumulative_curves_figure(
            results, "all" if only == "every option" else "cheapest"), theme=None, key="chart_scenarios")
        downloads.chart(lambda r=results, w=("all" if only == "every option" else "cheapest"): charts_scenarios.cumulative_curves_figure(r, w), "scenarios", "cumulative-cost", "chart_scenarios")
else:
    st.info("Pick at least two scenarios to compare.", icon=":material/info:")

st.subheader("Open or save", anchor=False)
c1, c2 = st.columns(2)
with c1:
    to_load = st.selectbox("Scenario to open (replaces the scenario in effect)", labels, key="scen_load_choice")
    if st.button("Open on the Compare page", key="scen_load", icon=":material/open_in_new:") and to_load:
        item = by_label[to_load]
        try:
            scenario, version = scenario_store.open_scenario(item.path)
            common.commit_scenario(scenario, origin=f"the file {to_load}")
            if item.folder == "user":  # saving it again checks that nobody saved it in between
                remember(item.path, version)
                ss["scen_save_name"] = item.path.stem
            st.success(f"Loaded {to_load}: switch to the Compare page to see it.", icon=":material/check:")
        except ProblemsError as exc:
            common.show_problems(exc.problems)
with c2:
    name = st.text_input("Save the scenario in effect as", key="scen_save_name",
                         help="Letters, digits, - and _; other characters become -.")
    overwrite = st.checkbox("Overwrite if it exists", key="scen_overwrite")
    if st.button("Save to my folder", key="scen_save", icon=":material/save:"):
        ss.pop(CONFLICT, None)
        try:
            scenario = common.session_scenario(common.get_catalog())
            saved = scenario_store.save_tracked(scenario, name or scenario.name, ss.get(VERSIONS, {}),
                                                overwrite=overwrite)
            remember(saved.path, saved.version)
            st.success(f"Saved to {saved.path}", icon=":material/check:")
        except scenario_store.ScenarioExists:
            st.warning("A scenario with this file name exists: tick **Overwrite if it exists** to replace it.",
                       icon=":material/warning:")
        except ProblemsError as exc:
            common.show_problems(exc.problems)
        except VersionConflict as exc:  # another user saved in between: keep the edit, offer reload or overwrite
            path = scenario_store.path_for(name or scenario.name)
            ss[CONFLICT] = {"path": str(path), "name": name or scenario.name, "message": str(exc)}
        except ConflictError as exc:  # another process held the file's lock too long
            st.error(str(exc), icon=":material/error:")
        except OSError as exc:
            st.error(f"Could not save: {exc.strerror or exc}")
    if FLASH in ss:
        kind, message = ss.pop(FLASH)
        getattr(st, kind)(message)
    conflict = ss.get(CONFLICT)
    if conflict:
        st.error(conflict["message"], icon=":material/sync_problem:")
        k1, k2 = st.columns(2)
        k1.button("Reload the file", key="scen_conflict_reload", on_click=reload_after_conflict,
                  help="Open the file with the other user's change as the scenario in effect (yours is dropped)")
        k2.button("Save anyway (overwrite)", key="scen_conflict_overwrite", on_click=overwrite_after_conflict,
                  help="Write the scenario in effect over the other user's change")
