"""Scenario folders: the bundled examples (data/scenarios/) and a user folder.

The user folder is ``$TCO_SCENARIO_DIR`` (default ``~/.tco/scenarios``). Saving writes atomically
(:mod:`tco.io.atomic`) under the file's inter-process lock (:mod:`tco.io.shared_files`) and under a
sanitised file name: letters, digits, ``-`` and ``_`` only, so a name such as ``../../x`` can never
leave the folder; an existing file is never replaced unless ``overwrite=True``. Listing reads each file's scenario name; files that do not load are listed with
their problem instead of being hidden.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from tco.catalog import DEFAULT_DATA_DIR
from tco.core.exceptions import Problem, ScenarioError
from tco.io.atomic import atomic_write_text
from tco.io.shared_files import check_version, locked, version_of
from tco.scenario import Scenario, load_scenario

ENV = "TCO_SCENARIO_DIR"
DEFAULT_USER_DIR = Path("~/.tco/scenarios")
BUNDLED_DIR = DEFAULT_DATA_DIR / "scenarios"
MAX_STEM = 80  # [characters] of a saved file name


class ScenarioExists(ScenarioError):
    """Saving would replace an existing file; ask, then save with overwrite=True."""


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


def save_scenario(scenario: Scenario, name: Optional[str] = None, folder: Optional[Path] = None,
                  overwrite: bool = False, expected: Optional[str] = None, check: bool = False) -> Path:
    """Write ``scenario`` as YAML into ``folder`` (default: the user folder) atomically; returns the path.

    The existence check and the write run under the file's inter-process lock
    (:func:`tco.io.shared_files.locked`), so two users saving the same name at once never both "create"
    it. Raises :class:`ScenarioExists` when the file exists and ``overwrite`` is False. With ``check``,
    the file must still be at version ``expected`` (:func:`tco.io.shared_files.version_of` when the
    user opened it; None: it did not exist), else :class:`tco.io.shared_files.ConflictError` and
    nothing is written.
    """
    path = path_for(name or scenario.name, folder)
    text = scenario.to_yaml()
    with locked(path):
        if check:
            check_version(path, version_of(path), expected)
        if path.exists() and not overwrite:
            raise ScenarioExists([Problem(str(path), None, None, "a scenario with this file name exists; "
                                          "confirm to overwrite it")])
        atomic_write_text(path, text)
    return path


__all__ = ["ENV", "BUNDLED_DIR", "StoredScenario", "ScenarioExists", "user_dir", "safe_stem", "list_scenarios",
           "path_for", "save_scenario"]
