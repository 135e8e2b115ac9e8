"""This session's unsaved catalog edits, shared by the Data page (table edits, imports) and the
Capacity page ("use in Compare" adds an uploaded profile).

Edits live per catalog in session state: ``PENDING[name]`` the entries, ``DIRTY[name]`` the
validated models; every valid edit becomes this session's catalog at once
(``views.common.get_catalog`` prefers it, with a banner) until saved or reset on the Data page.
``LOADED[name]`` is the version of the file (``CatalogFile.version``) the edits are based on: a save
names it, so a file another user saved in between is reported (``CONFLICT``), never overwritten
silently (tco.io.shared_files).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import streamlit as st

from tco.catalog import DEFAULT_DATA_DIR
from tco.catalog import edit as ce
from tco.core.exceptions import Problem
from views import common

#: Environment variable that turns saving off ("0") or on ("1"); unset: on when the data directory is writable.
WRITABLE_ENV = "TCO_DATA_WRITABLE"
#: Session-state keys
PICK, DIRTY, PENDING, FLASH = "data_catalog", "data_dirty", "data_pending", "data_flash"
LOADED, CONFLICT = "data_loaded_version", "data_conflict"


def editor_key(name: str) -> str:
    return f"data_editor_{name}"


def base_key(name: str) -> str:
    return f"data_base_{name}"


def data_path() -> Path:
    return Path(common.data_dir() or DEFAULT_DATA_DIR)


def writable() -> bool:
    """Saving allowed: not turned off (``TCO_DATA_WRITABLE=0``) and the data directory is writable."""
    return os.environ.get(WRITABLE_ENV, "1") != "0" and os.access(data_path(), os.W_OK)


@st.cache_data(max_entries=32, show_spinner=False)
def read_cached(directory: str, name: str, stamp: tuple) -> ce.CatalogFile:
    return ce.read_catalog_file(directory, name)


def read_file(name: str) -> ce.CatalogFile:
    path = ce.catalog_path(data_path(), name)
    st_ = path.stat() if path.exists() else None
    return read_cached(str(data_path()), name, (st_.st_mtime_ns, st_.st_size) if st_ else None)


def profile_ids_elsewhere(saved) -> set[str]:
    """Profiles loaded from data/profiles/*.yaml (not editable here, but their ids are taken)."""
    in_file = {e.get("id") for e in read_file("profiles").entries}
    return {k for k in saved.profiles if k not in in_file}


def refresh_session_catalog(saved) -> None:
    """Rebuild this session's edited catalog from every catalog with valid, unsaved changes."""
    ss = st.session_state
    dirty: dict = ss.get(DIRTY, {})
    if not dirty:
        ss.pop(common.EDITED_CATALOG, None)
        return
    sig = hashlib.sha256(json.dumps([id(saved)] +
                                    [[n, d["sig"]] for n, d in sorted(dirty.items())]).encode()).hexdigest()
    if ss.get("data_session_sig") == sig and common.EDITED_CATALOG in ss:
        return
    cat = saved
    for n, d in dirty.items():
        cat = ce.catalog_with(cat, n, d["models"], keep_ids=d["keep"])
    ss[common.EDITED_CATALOG] = (cat, cat.version())
    ss["data_session_sig"] = sig


def add_entry(name: str, entry: dict) -> list[Problem]:
    """Add (or replace, same id) one entry in this session's unsaved edits of catalog ``name``; it is
    used by every page at once and shown on the Data page as a change to save. Problems if invalid."""
    ss = st.session_state
    saved = common.get_saved_catalog()
    file = read_file(name)
    ss.setdefault(LOADED, {}).setdefault(name, file.version)
    base = ss.get(PENDING, {}).get(name) or ss.get(base_key(name)) or file.entries
    entries = [e for e in base if e.get("id") != entry.get("id")] + [entry]
    keep = profile_ids_elsewhere(saved) if name == "profiles" else set()
    check = ce.validate_entries(name, entries, saved, baseline=file.entries, keep_ids=keep)
    if not check.ok:
        return [Problem(ce.CATALOGS[name][0], p.entry, p.field, p.message) for p in check.problems]
    ss.pop(editor_key(name), None)
    ss[base_key(name)] = entries
    ss.setdefault(PENDING, {})[name] = entries
    ss.setdefault(DIRTY, {})[name] = {
        "models": [m for m in check.models if m is not None], "keep": sorted(keep),
        "sig": hashlib.sha256(json.dumps(entries, sort_keys=True, default=str).encode()).hexdigest()}
    refresh_session_catalog(saved)
    return []
