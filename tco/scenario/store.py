"""Scenario folders: the bundled examples (data/scenarios/) and a user folder.

The user folder is ``$TCO_SCENARIO_DIR`` (default ``~/.tco/scenarios``). Saving writes atomically
(:mod:`tco.io.atomic`) under the file's inter-process lock (:mod:`tco.io.shared_files`) and under a
sanitised file name: letters, digits, ``-`` and ``_`` only, so a name such as ``../../x`` can never
leave the folder; an existing file is never replaced unless ``overwrite=True``. Listing reads each file's scenario name; files that do not load are listed with
their problem instead of being hidden.

Several users may share the user folder (docs/deploy.md). A session remembers the version of each file
it opened (:func:`open_scenario`) or saved (:attr:`SavedScenario.version`); :func:`save_tracked` saves
only over that version, so a save that would silently replace another user's newer file raises
:class:`tco.io.shared_files.ConflictError` instead (nothing written; the caller offers reload or overwrite).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

from tco.catalog import DEFAULT_DATA_DIR
from tco.core.exceptions import Problem, ScenarioError
from tco.io.atomic import atomic_write_bytes
from tco.io.safeyaml import MAX_YAML_BYTES
from tco.io.shared_files import check_version, locked, version_of, version_of_bytes
from tco.scenario import Scenario, load_scenario, load_scenario_text

ENV = "TCO_SCENARIO_DIR"
DEFAULT_USER_DIR = Path("~/.tco/scenarios")
BUNDLED_DIR = DEFAULT_DATA_DIR / "scenarios"
MAX_STEM = 80  # [characters] of a saved file name


class ScenarioExists(ScenarioError):
    """Saving would replace an existing file; ask, then save with overwrite=True."""


@dataclass(frozen=True)
class SavedScenario:
    path: Path
    version: str  # the file's version as written (tco.io.shared_files.version_of): what a next save expects


@dataclass(frozen=True)
class StoredScenario:
    path: Path
    folder: str  # "bundled" | "user"
    name: Optional[str]  # scenario name, None when the file does not load
    problem: Optional[str] = None

    @property
    def label(self) -> str:
        shown = self.name or self.path.stem
        return f"{shown} ({self.folder}: {self.path.name})"


def user_dir() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_USER_DIR).expanduser()


def safe_stem(name: str) -> str:
    """A file name stem from any text: runs of other characters become '-', no dots, no slashes.

    ``"../../x"`` -> ``"x"``; ``"Support assistant (v2)"`` -> ``"support-assistant-v2"``.
    """
    stem = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-_")[:MAX_STEM].strip("-_")
    if not stem:
        raise ScenarioError([Problem("scenario store", None, "name", f"no usable file name in {name!r}")])
    return stem


def list_scenarios(folders: Optional[list[tuple[str, Path]]] = None) -> list[StoredScenario]:
    """Every *.yaml / *.yml in the bundled and user folders, sorted by folder then file name."""
    folders = folders if folders is not None else [("bundled", BUNDLED_DIR), ("user", user_dir())]
    out = []
    for label, folder in folders:
        if not folder.is_dir():
            continue
        for p in sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml"))):
            try:
                st = p.stat()
            except OSError:  # removed while listing
                continue
            name, problem = _read_name(str(p), st.st_mtime_ns, st.st_size)
            out.append(StoredScenario(p, label, name, problem))
    return out


@lru_cache(maxsize=1024)
def _read_name(path: str, mtime_ns: int, size: int) -> tuple[Optional[str], Optional[str]]:
    """(scenario name, None) or (None, problems) for a file; memoised on its modification time and size,
    so listing the folders on every page rerun reads only new or changed files."""
    try:
        return load_scenario(path).name, None
    except ScenarioError as exc:
        return None, "; ".join(str(x) for x in exc.problems)


def path_for(name: str, folder: Optional[Path] = None) -> Path:
    folder = (folder or user_dir()).resolve()
    path = (folder / f"{safe_stem(name)}.yaml").resolve()
    if path.parent != folder:  # belt and braces: safe_stem already allows no separators
        raise ScenarioError([Problem("scenario store", None, "name", f"{name!r} would leave the folder")])
    return path


def open_scenario(path: str | Path) -> tuple[Scenario, str]:
    """A stored scenario and the version of the file it was read from (one read, so the two match).

    Raises :class:`ScenarioError` naming the file when it cannot be read or does not load.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ScenarioError([Problem(str(p), None, None, f"file is {size:,} bytes; the limit is {MAX_YAML_BYTES:,}")])
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(str(p), None, None, f"cannot read file: {exc.strerror or exc}")]) from None
    return load_scenario_text(raw, str(p)), version_of_bytes(raw)


def save_scenario(scenario: Scenario, name: Optional[str] = None, folder: Optional[Path] = None,
                  overwrite: bool = False, expected: Optional[str] = None, check: bool = False) -> SavedScenario:
    """Write ``scenario`` as YAML into ``folder`` (default: the user folder) atomically; returns the path and
    the version written.

    The existence check and the write run under the file's inter-process lock
    (:func:`tco.io.shared_files.locked`), so two users saving the same name at once never both "create"
    it. Raises :class:`ScenarioExists` when the file exists and ``overwrite`` is False. With ``check``,
    the file must still be at version ``expected`` (:func:`tco.io.shared_files.version_of` when the
    user opened it; None: it did not exist), else :class:`tco.io.shared_files.ConflictError` and
    nothing is written.
    """
    path = path_for(name or scenario.name, folder)
    data = scenario.to_yaml().encode("utf-8")
    with locked(path):
        if check:
            check_version(path, version_of(path), expected)
        if path.exists() and not overwrite:
            raise ScenarioExists([Problem(str(path), None, None, "a scenario with this file name exists; "
                                          "confirm to overwrite it")])
        atomic_write_bytes(path, data)
    return SavedScenario(path, version_of_bytes(data))


def save_tracked(scenario: Scenario, name: Optional[str], versions: Mapping[str, Optional[str]],
                 folder: Optional[Path] = None, overwrite: bool = False) -> SavedScenario:
    """Save as one session of several users: ``versions`` maps a file path (``str``) to the version this
    session opened or last saved there (None: the file did not exist then).

    A file in ``versions`` must still be at that version (else :class:`tco.io.shared_files.VersionConflict`,
    nothing written: another user saved in between); that check comes first, so the conflict is reported
    even when ``overwrite`` is off. An existing file is replaced only with ``overwrite`` (else
    :class:`ScenarioExists`). The caller records the returned version under ``str(result.path)``.
    """
    key = str(path_for(name or scenario.name, folder))
    if key in versions:
        return save_scenario(scenario, name, folder, overwrite=overwrite, expected=versions[key], check=True)
    return save_scenario(scenario, name, folder, overwrite=overwrite)


__all__ = ["ENV", "BUNDLED_DIR", "StoredScenario", "SavedScenario", "ScenarioExists", "user_dir", "safe_stem",
           "list_scenarios", "path_for", "open_scenario", "save_scenario", "save_tracked"]
