"""Data: edit, validate, diff and save the catalogs; import LiteLLM prices and benchmark profiles;
staleness and the sources behind a scenario's numbers.

Logic lives in tco.catalog.edit, tco.importers.litellm and tco.importers; this page reads widgets and draws.
Edits are kept per catalog in session state; every valid edit becomes this session's catalog at once
(views.common.get_catalog prefers it, with a "using edited, unsaved data" banner) until saved or reset.
Saving is on when the data directory (TCO_DATA_DIR, default the bundled data/) is writable; a
deployment turns it off with TCO_DATA_WRITABLE=0 (the page then offers downloads only). A save
changes only the lines of what changed (tco.catalog.edit.save_catalog). See docs/data_workflow.md.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Optional

import pandas as pd
import streamlit as st

from tco.catalog import CATALOGS, PRECISIONS
from tco.catalog import edit as ce
from tco.core.exceptions import ProblemsError, TcoError
from tco.core.limits import check_upload_size
from tco.importers import file_facts, import_bytes, litellm, warnings_of
from tco.io.safeyaml import dump_yaml
from tco.io.shared_files import ConflictError
from views import common
from views.catalog_session import (
    CONFLICT,
    DIRTY,
    FLASH,
    LOADED,
    PENDING,
    PICK,
    WRITABLE_ENV,
    base_key,
    data_path,
    editor_key,
    profile_ids_elsewhere,
    read_cached,
    read_file,
    refresh_session_catalog,
    writable,
)

LABELS = {"models": "Models", "gpus": "GPUs", "offers": "Rental offers", "servers": "Servers",
          "apis": "API prices", "profiles": "Throughput profiles", "assumptions": "Assumptions",
          "cost_lines": "Cost lines"}
COL_W = 150  # [px] column width (wide text columns: 2x); the browser test clicks cells by position
WIDE = {"notes", "source", "points", "description", "name", "missing"}

ss = st.session_state


def unit_label(name: str, fname: str) -> str:
    """Column header with the unit from the schema's description ('memory_gb [GB]')."""
    info = ce.schema_of(name).model_fields.get(fname)
    m = re.search(r"\[([^\]]+)\]", (info.description or "") if info else "")
    return f"{fname} [{m.group(1)}]" if m else fname


def column_config(name: str) -> dict:
    kinds, req = ce.field_kinds(name), ce.required_fields(name)
    cfg = {}
    for c in ce.columns(name):
        info = ce.schema_of(name).model_fields[c]
        kw = dict(label=unit_label(name, c), help=info.description, required=c in req,
                  width=2 * COL_W if c in WIDE else COL_W)
        k = kinds[c]
        if k in ("int", "float"):
            cfg[c] = st.column_config.NumberColumn(**kw, step=1 if k == "int" else None)
        elif k == "bool":
            cfg[c] = st.column_config.CheckboxColumn(**kw)
        elif k == "choice":
            cfg[c] = st.column_config.SelectboxColumn(**kw, options=ce.choices(name, c))
        else:
            cfg[c] = st.column_config.TextColumn(**kw)
    return cfg


def frame(name: str, entries: list[dict]) -> pd.DataFrame:
    """Typed table of entries (numbers as floats, flags as nullable booleans, text as objects)."""
    cols = ce.columns(name)
    df = pd.DataFrame(ce.entries_to_rows(name, entries), columns=cols)
    kinds = ce.field_kinds(name)
    for c in cols:
        if kinds[c] in ("int", "float"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        elif kinds[c] == "bool":
            df[c] = df[c].astype("boolean")
        else:
            df[c] = df[c].astype("object")
    return df


def records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if ce._empty(v) else v) for k, v in r.items()} for r in df.to_dict("records")]


def reset(name: str) -> None:
    for k in (editor_key(name), base_key(name)):
        ss.pop(k, None)
    ss.get(DIRTY, {}).pop(name, None)
    ss.get(PENDING, {}).pop(name, None)


def save(name: str, overwrite: bool = False) -> None:
    """Callback: validate the pending entries again, back up and write the file, drop the edits.

    The save names the file version these edits are based on (``LOADED``); when another user saved the
    file in between, nothing is written, the edits stay and the page offers reload or overwrite."""
    entries = ss.get(PENDING, {}).get(name)
    if entries is None or not writable():
        return
    try:
        res = ce.save_catalog(data_path(), name, entries, header=read_file(name).header,
                              expected=ss.get(LOADED, {}).get(name), check=not overwrite)
    except ConflictError as exc:
        ss[CONFLICT] = {"name": name, "message": str(exc)}
        return
    except (ProblemsError, OSError) as exc:
        ss[FLASH] = ("error", f"Not saved: {exc}")
        return
    common.load_catalog_cached.clear()
    read_cached.clear()
    reset(name)
    ss.pop(CONFLICT, None)
    ss.setdefault(LOADED, {})[name] = res.version
    ss[FLASH] = ("success", f"Saved {res.path.name}; previous version kept as "
                            f"{res.backup.relative_to(data_path()) if res.backup else '(none: new file)'}.")


def reload_file(name: str) -> None:
    """Callback (after a conflict): drop this catalog's edits and load the file as it is now."""
    reset(name)
    ss.pop(CONFLICT, None)
    ss.get(LOADED, {}).pop(name, None)
    read_cached.clear()
    ss[FLASH] = ("info", f"Reloaded {ce.CATALOGS[name][0]} as it is now; your edits of it were dropped.")


def set_base(name: str, entries: list[dict], message: str) -> None:
    """Callback: make ``entries`` the table's starting point (imports), shown as a diff until saved."""
    ss.pop(editor_key(name), None)
    ss.get(PENDING, {}).pop(name, None)
    ss[base_key(name)] = entries
    ss[PICK] = name
    ss[FLASH] = ("info", message)


# ----------------------------------------------------------------------------------------------
st.title("Data")
saved = common.get_saved_catalog()
st.caption(f"Edit the catalogs in `{data_path()}`. Every change is validated with the schemas of "
           "`python -m tco validate`; the rest of the app uses valid edits at once. "
           + ("Saving writes the file atomically and keeps a timestamped backup in `.backups/`."
              if writable() else "This deployment is read-only: download the edited file instead "
                                 f"(saving is off: {WRITABLE_ENV}=0 or a read-only data directory)."))
banner = st.empty()
if FLASH in ss:
    kind, msg = ss.pop(FLASH)
    getattr(st, kind)(msg)

if PICK not in ss and PICK + "_kept" in ss:  # widget state is dropped when the page is left
    ss[PICK] = ss[PICK + "_kept"]
name = st.selectbox("Catalog", list(CATALOGS), format_func=lambda n: f"{LABELS[n]} ({CATALOGS[n][0]})", key=PICK)
ss[PICK + "_kept"] = name
file = read_file(name)
loaded = ss.setdefault(LOADED, {})
loaded.setdefault(name, file.version)  # the version the edits are based on (named by the save)
if editor_key(name) not in ss and name in ss.get(PENDING, {}):
    # Streamlit drops a widget's state when its page or catalog is left; the edits live on in PENDING.
    ss[base_key(name)] = ss[PENDING][name]
base = ss.get(base_key(name), file.entries)
keep = profile_ids_elsewhere(saved) if name == "profiles" else set()
if name == "profiles" and keep:
    st.caption(f"{len(keep)} profile(s) from data/profiles/*.yaml are not shown here (edit those files directly).")

edited = st.data_editor(frame(name, base), key=editor_key(name), num_rows="dynamic", hide_index=True,
                        column_config=column_config(name), column_order=ce.columns(name), width="stretch")
entries = ce.rows_to_entries(name, records(edited))
others = (common.get_active_catalog() or (saved,))[0]
check = ce.validate_entries(name, entries, others, baseline=file.entries, keep_ids=keep)
diff = ce.diff_entries(file.entries, entries)
ss.setdefault(PENDING, {})[name] = entries
dirty = ss.setdefault(DIRTY, {})
if diff.empty:
    dirty.pop(name, None)
    if base_key(name) not in ss:  # no edits: the table shows the file as it is now
        loaded[name] = file.version
elif base_key(name) not in ss:
    ss[base_key(name)] = base  # edits started: keep the rows they apply to, even if the file changes on disk
if not diff.empty and check.ok:
    dirty[name] = {"models": [m for m in check.models if m is not None], "keep": sorted(keep),
                   "sig": hashlib.sha256(json.dumps(entries, sort_keys=True, default=str).encode()).hexdigest()}
refresh_session_catalog(saved)
if dirty:
    banner.warning(f"Using edited, unsaved data ({', '.join(LABELS[n] for n in dirty)}): every page of this "
                   "session computes with it until you save or reset.", icon=":material/edit_note:")

if check.problems:
    common.show_problems(check.problems, title=f"{len(check.problems)} problem(s): saving is disabled until they "
                                               "are fixed (the session keeps using the last valid data).")
    st.dataframe(pd.DataFrame([{"row": p.row + 1 if p.row is not None else None, "id": p.entry, "field": p.field,
                                "reason": p.message} for p in check.problems]),
                 hide_index=True, width="stretch", key="data_problems")
for w in check.warnings:
    st.warning(str(w))

st.subheader("Changes")
if diff.empty:
    st.caption("No changes against the file.")
else:
    st.caption(f"Against {file.path.name}: {diff.summary()}.")
    st.dataframe(pd.DataFrame(diff.rows()), hide_index=True, width="stretch", key="data_diff")
    st.code(diff.text(), language=None)

c1, c2, c3, c4 = st.columns(4)
c1.button("Save", key="data_save", type="primary", on_click=save, args=(name,),
          disabled=not (writable() and check.ok and not diff.empty),
          help="Atomic write of the changed lines, with a backup" if writable()
          else f"Read-only: {WRITABLE_ENV}=0 or the data directory is not writable")
c2.button("Reset", key="data_reset", on_click=reset, args=(name,), disabled=diff.empty and base_key(name) not in ss)
c3.download_button("Download YAML", lambda n=name, e=entries, h=file.header: ce.catalog_text(n, e, h).encode("utf-8"),
                   file_name=file.path.name, mime="application/x-yaml", on_click="ignore",
                   disabled=not check.ok, key="data_dl_yaml")
c4.download_button("Download CSV", lambda n=name, e=entries: ce.to_csv(n, e).encode("utf-8"), file_name=f"{file.path.stem}.csv",
                   mime="text/csv", on_click="ignore", key="data_dl_csv")
conflict = ss.get(CONFLICT)
if conflict and conflict["name"] == name:
    st.error(conflict["message"], icon=":material/sync_problem:")
    k1, k2 = st.columns(2)
    k1.button("Reload the file", key="data_conflict_reload", on_click=reload_file, args=(name,),
              help="Drop your edits of this catalog and load the file with the other user's change")
    k2.button("Save anyway (overwrite)", key="data_conflict_overwrite", type="secondary", on_click=save,
              args=(name, True), disabled=not (writable() and check.ok),
              help="Write your version of the file over the other user's change (a backup of theirs is kept)")

# ----------------------------------------------------------------------------------------------
with st.expander("Import a CSV of this catalog"):
    up = st.file_uploader("CSV (columns as in Download CSV)", type=["csv"], key=f"data_csv_{name}")
    if up is not None:
        try:
            raw = up.getvalue()
            check_upload_size(up.name, raw)
            rows = ce.from_csv(name, raw)
            d = ce.diff_entries(file.entries, rows)
            st.caption(f"{up.name}: {len(rows)} entries; against the file: {d.summary()}.")
            st.button("Load into the table", key="data_csv_load", on_click=set_base,
                      args=(name, rows, f"Loaded {up.name} into {LABELS[name]}: review the changes, then save."))
        except ProblemsError as exc:
            common.show_problems(exc.problems)

with st.expander("Import the LiteLLM price map (API prices)"):
    st.caption("`model_prices_and_context_window.json`: chat models with per-token prices, converted to USD per "
               "1M tokens. Same ids update prices, context, source and as_of; new ids are added; nothing is removed.")
    up = st.file_uploader("LiteLLM JSON", type=["json"], key="data_litellm")
    f1, f2, f3 = st.columns(3)
    providers = f1.text_input("Providers (comma-separated, empty = all)", key="data_litellm_providers")
    pattern = f2.text_input("Models (glob, or re:regex)", key="data_litellm_models")
    as_of = f3.date_input("Prices as of (empty: the file's date)", value=None, key="data_litellm_as_of",
                          help="Empty: the file's own last_updated date, else the import date (marked so)")
    if up is not None:
        try:
            raw = up.getvalue()
            check_upload_size(up.name, raw, litellm.MAX_BYTES)
            res = litellm.parse(raw, up.name, as_of=as_of.isoformat() if as_of else None,
                                providers=[p for p in providers.split(",") if p.strip()], models=pattern or None)
            if not res.offers:
                raise TcoError(f"{up.name}: no offer imported (skipped: "
                               f"{', '.join(f'{k} {v}' for k, v in sorted(res.skipped.items())) or 'nothing'})")
            api_base = ss.get(base_key("apis"), read_file("apis").entries)
            merged = litellm.merge_entries(api_base, litellm.to_catalog_doc(res)["api_offers"])
            d = ce.diff_entries(api_base, merged)
            skipped = ", ".join(f"{k}: {v}" for k, v in sorted(res.skipped.items())) or "none"
            st.caption(f"{len(res.offers)} offer(s); skipped {skipped}. Merge into API prices: {d.summary()}.")
            if not d.empty:
                st.dataframe(pd.DataFrame(d.rows()), hide_index=True, width="stretch", key="data_litellm_diff")
                st.button("Merge into the API prices table", key="data_litellm_merge", on_click=set_base,
                          args=("apis", merged, f"Merged {up.name}: review the changes, then save."))
        except (ProblemsError, TcoError) as exc:
            common.show_problems(getattr(exc, "problems", [str(exc)]))

with st.expander("Upload a throughput profile (vLLM, LLMPerf, GenAI-Perf, AIPerf)"):
    tools = {"vllm": "vLLM bench serve / sweep JSON", "llmperf": "LLMPerf *_summary.json",
             "genai-perf": "GenAI-Perf *_genai_perf.json / .csv", "aiperf": "AIPerf profile_export_aiperf.json / .csv"}
    st.caption("GPUs per replica, ISL and OSL come from the file where it states them (tp x pp in the test or "
               "file name; token totals); the GPUs field is used only when the file does not say.")
    p1, p2, p3, p4, p5 = st.columns(5)
    tool = p1.selectbox("Tool", list(tools), format_func=tools.get, key="data_prof_tool")
    pmodel = p2.selectbox("Model", sorted(saved.models), key="data_prof_model")
    pgpu = p3.selectbox("GPU", sorted(saved.gpus), key="data_prof_gpu")
    pgpus = p4.number_input("GPUs per replica", min_value=1, max_value=256, value=1, step=1, key="data_prof_gpus",
                            help="Used only when the file does not state it (tp x pp)")
    pprec = p5.selectbox("Precision", list(PRECISIONS), index=list(PRECISIONS).index("bf16") if "bf16" in PRECISIONS else 0,
                         key="data_prof_precision")
    up = st.file_uploader("Benchmark file", type=["json", "csv"], key="data_prof_file")
    if up is not None:
        try:
            raw = up.getvalue()
            check_upload_size(up.name, raw)
            facts = file_facts(tool, raw, up.name)
            prof = import_bytes(tool, raw, up.name, model=pmodel, gpu=pgpu, gpus=facts["gpus"] or int(pgpus),
                                precision=pprec, model_name=saved.models[pmodel].name)
            pv = ce.validate_entries("profiles", [prof])
            if not pv.ok:
                st.error("; ".join(str(p) for p in pv.problems))
            else:
                for w in warnings_of(prof):
                    st.warning(w)
                isl = f"{prof['isl']:g}" if prof.get("isl") else "not stated"
                osl = f"{prof['osl']:g}" if prof.get("osl") else "not stated"
                st.caption(f"Profile `{prof['id']}`: {len(prof['points'])} point(s), {prof['gpus']} GPU(s) per "
                           f"replica, ISL {isl}, OSL {osl}, as of {prof['as_of']}"
                           + (f"; the file lacks {', '.join(prof['missing'])}" if prof.get("missing") else "") + ".")
                clean = {k: v for k, v in prof.items() if v is not None and v != []}
                st.download_button("Download profile YAML", lambda p=clean: dump_yaml(p).encode("utf-8"),
                                   file_name=f"{prof['id']}.yaml", on_click="ignore", key="data_prof_dl")
                prof_base = ss.get(base_key("profiles"), read_file("profiles").entries)
                st.button("Add to the throughput profiles table", key="data_prof_add", on_click=set_base,
                          args=("profiles", [*[e for e in prof_base if e.get("id") != prof["id"]], clean],
                                f"Added profile {prof['id']}: review, then save."))
        except (ProblemsError, TcoError) as exc:
            common.show_problems(getattr(exc, "problems", [str(exc)]))

# ----------------------------------------------------------------------------------------------
st.subheader("Stale entries")
active = (common.get_active_catalog() or (saved,))[0]  # no second banner: this page shows its own
max_age = st.number_input("Older than [days]", min_value=1, max_value=3650, value=ce.DEFAULT_MAX_AGE_DAYS, step=30,
                          key="data_max_age")
stale = ce.stale_entries(active, int(max_age))
st.caption(f"{len(stale)} entries have an as_of more than {int(max_age)} days before today "
           f"({_dt.date.today().isoformat()}) or no date.")
if stale:
    st.dataframe(pd.DataFrame([{"catalog": LABELS[s.catalog], "id": s.id, "as_of": s.as_of, "age [days]": s.age_days,
                                "source": s.source} for s in stale]), hide_index=True, width="stretch",
                 key="data_stale")

st.subheader("Sources behind a scenario")
scen_files = sorted((Path(__file__).resolve().parent.parent / "data" / "scenarios").glob("*.yaml"))
choices = (["Compare page's current scenario"] if "compare_last_good_yaml" in ss else []) + [p.name for p in scen_files]
pick = st.selectbox("Scenario", choices, key="data_sources_scenario") if choices else None
scenario_yaml: Optional[str] = None
if pick == "Compare page's current scenario":
    scenario_yaml = ss["compare_last_good_yaml"]
elif pick:
    scenario_yaml = next(p for p in scen_files if p.name == pick).read_text(encoding="utf-8")
if scenario_yaml:
    result, problems = common.evaluate_yaml(scenario_yaml)
    if problems:
        common.show_problems(problems)
    if result is not None:
        st.dataframe(pd.DataFrame([{"option": o.name, "total cash [USD]": round(o.total_cash_usd, 2),
                                    "USD per 1M tokens": round(o.usd_per_million_tokens, 4)} for o in result.options]),
                     hide_index=True, width="stretch", key="data_totals")
        rows = ce.result_sources(result, int(max_age))
        st.caption(f"{len(rows)} source(s); stale = as_of older than {int(max_age)} days.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="data_sources")
