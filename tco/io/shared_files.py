"""Files several app processes share (catalogs, saved scenarios): read-modify-write under a lock.

Two users of the same deployment (two browser sessions, possibly in two server processes behind the
proxy, docs/deploy.md) may save the same file at the same moment. The rules:

* every save takes an inter-process lock on ``<file>.lock`` (``filelock``: ``fcntl.flock`` on POSIX),
  so two writers never interleave; the write itself stays atomic (temp file + rename);
* a save names the version it was based on (:func:`version_of` of the file when the user loaded it);
  when the file changed since, the save is refused with :class:`ConflictError`, naming the file and
  when it changed, and nothing is written: the user's edit is still on their screen, to reload or to
  save again with ``expected=None`` (overwrite, a deliberate choice);
* a lock not obtained within ``timeout_s`` raises :class:`ConflictError` too (never a silent wait
  forever, never a lost write).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
from pathlib import Path
from typing import Iterator, Optional

from filelock import FileLock, Timeout

from tco.core.exceptions import TcoError
from tco.io.atomic import atomic_write_bytes

#: [s] how long a save waits for another process's save to finish
LOCK_TIMEOUT_S = 10.0


class ConflictError(TcoError):
    """The file changed since it was loaded (another user saved), or its lock could not be taken."""


class VersionConflict(ConflictError):
    """The file changed since it was loaded: another user saved in between (reload, or overwrite)."""


def version_of_bytes(data: bytes) -> str:
    """The version stamp of a file holding ``data``: its SHA-256 hex (what :func:`version_of` reads back)."""
    return hashlib.sha256(data).hexdigest()


def version_of(path: str | Path) -> Optional[str]:
    """A version stamp of the file's content (SHA-256 hex), or None when the file does not exist."""
    try:
        return version_of_bytes(Path(path).read_bytes())
    except FileNotFoundError:
        return None


def lock_for(path: str | Path, timeout_s: float = LOCK_TIMEOUT_S) -> FileLock:
    """The inter-process lock guarding ``path`` (a ``.<name>.lock`` file beside it)."""
    path = Path(path)
    return FileLock(str(path.parent / f".{path.name}.lock"), timeout=timeout_s)


@contextlib.contextmanager
def locked(path: str | Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the inter-process lock of ``path`` for a whole read-modify-write (not re-entrant: one per save).

    Raises :class:`ConflictError` when the lock is not obtained within ``timeout_s``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock = lock_for(path, timeout_s)
        lock.acquire()
    except Timeout:
        raise ConflictError(f"{path.name}: another save is still in progress after {timeout_s:g} s; "
                            "your edit was not written: try again") from None
    try:
        yield
    finally:
        lock.release()


def check_version(path: str | Path, current: Optional[str], expected: Optional[str]) -> None:
    """Raise :class:`VersionConflict` when the file's version ``current`` (read under its lock) is not the
    ``expected`` one the user loaded (None: the file did not exist)."""
    if current == expected:
        return
    path = Path(path)
    when = _dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S") \
        if current is not None and path.exists() else "(deleted)"
    raise VersionConflict(f"{path.name}: another user saved it since you loaded it or last saved it (changed {when}); "
                          "your edit was not written and is still here: reload the file, or choose to overwrite "
                          "their change")


def save_if_unchanged(path: str | Path, data: bytes, expected: Optional[str], *, check: bool = True,
                      timeout_s: float = LOCK_TIMEOUT_S) -> str:
    """Write ``data`` to ``path`` atomically under its lock, if the file is still at version ``expected``.

    ``expected`` is what :func:`version_of` returned when the user loaded the file (None: the file did not
    exist). ``check=False`` overwrites whatever is there (the user chose to). Keeps the file's mode.
    Returns the new version. Raises :class:`ConflictError` when another save came in between.
    """
    path = Path(path)
    with locked(path, timeout_s):
        current = version_of(path)
        if check:
            check_version(path, current, expected)
        atomic_write_bytes(path, data)  # keeps the existing file's mode
        return version_of_bytes(data)
