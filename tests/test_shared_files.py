"""Shared files under several writers (tco.io.shared_files): no lost or corrupted write, conflicts reported."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import yaml

from tco.io.shared_files import ConflictError, save_if_unchanged, version_of

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 50


def _writer(path: str, who: int, barrier, results) -> None:
    base = Path(path).read_text(encoding="utf-8")
    for r in range(ROUNDS):
        barrier.wait()  # both read the same version ...
        expected = version_of(path)
        text = base.replace("memory_gb: 80", f"memory_gb: {1000 + 10 * r + who}", 1)
        barrier.wait()  # ... and save at the same moment
        try:
            save_if_unchanged(path, text.encode("utf-8"), expected)
            results.put((r, who, "landed"))
        except ConflictError as exc:
            results.put((r, who, f"conflict: {exc}"))
        barrier.wait()  # the checker reads the file between rounds
        barrier.wait()


def test_two_processes_saving_the_same_catalog_fifty_times(tmp_path):
    path = tmp_path / "gpus.yaml"
    path.write_bytes((ROOT / "data" / "gpus.yaml").read_bytes())
    assert "memory_gb: 80" in path.read_text()
    path.chmod(0o644)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(3, timeout=120), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(path), who, barrier, results)) for who in (1, 2)]
    for p in procs:
        p.start()
    outcomes: dict[int, list[tuple[int, str]]] = {}
    try:
        for r in range(ROUNDS):
            barrier.wait()
            barrier.wait()
            barrier.wait()  # both saves are done
            for _ in range(2):
                rr, who, what = results.get(timeout=60)
                outcomes.setdefault(rr, []).append((who, what))
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # the file always parses
            assert isinstance(doc, dict) and doc.get("gpus"), r
            landed = [who for who, what in outcomes[r] if what == "landed"]
            # both started from the same version: exactly one save lands, the other reports the conflict
            assert len(landed) == 1, outcomes[r]
            assert f"memory_gb: {1000 + 10 * r + landed[0]}" in path.read_text(), r
            conflict = [what for who, what in outcomes[r] if what != "landed"]
            assert "another user saved it" in conflict[0] and "reload" in conflict[0]
            barrier.wait()
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    assert len(outcomes) == ROUNDS
    assert (path.stat().st_mode & 0o777) == 0o644  # the file's mode is kept


def test_overwrite_is_a_deliberate_choice(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\n")
    v0 = version_of(path)
    save_if_unchanged(path, b"a: 2\n", v0)
    with pytest.raises(ConflictError):
        save_if_unchanged(path, b"a: 3\n", v0)  # based on the old version
    assert path.read_text() == "a: 2\n"  # nothing written
    save_if_unchanged(path, b"a: 3\n", v0, check=False)
    assert path.read_text() == "a: 3\n"


def test_a_new_file_expects_no_version(tmp_path):
    path = tmp_path / "new.yaml"
    assert version_of(path) is None
    save_if_unchanged(path, b"x: 1\n", None)
    with pytest.raises(ConflictError):
        save_if_unchanged(path, b"x: 2\n", None)  # someone created it in between


def test_a_catalog_save_based_on_an_old_version_raises_and_writes_nothing(tmp_path):
    from tco.catalog import edit as ce

    data = tmp_path / "data"
    data.mkdir()
    (data / "gpus.yaml").write_bytes((ROOT / "data" / "gpus.yaml").read_bytes())
    mine = ce.read_catalog_file(data, "gpus")  # the version I loaded
    assert mine.version == version_of(data / "gpus.yaml")
    theirs = [dict(e) for e in mine.entries]
    theirs[0]["notes"] = "their edit"
    res = ce.save_catalog(data, "gpus", theirs, expected=mine.version, check=True)  # another user saves first
    assert res.version == version_of(data / "gpus.yaml")
    after_theirs = (data / "gpus.yaml").read_bytes()
    backups = ce.list_backups(data, "gpus")

    edited = [dict(e) for e in mine.entries]
    edited[0]["notes"] = "my edit"
    with pytest.raises(ConflictError, match="another user saved it"):
        ce.save_catalog(data, "gpus", edited, expected=mine.version, check=True)
    assert (data / "gpus.yaml").read_bytes() == after_theirs  # nothing written
    assert ce.list_backups(data, "gpus") == backups  # not even a backup
    ce.save_catalog(data, "gpus", edited, expected=mine.version, check=False)  # overwrite, deliberately
    assert ce.read_catalog_file(data, "gpus").entries[0]["notes"] == "my edit"


def test_a_scenario_save_based_on_an_old_version_raises_and_writes_nothing(tmp_path):
    from tco.scenario import load_scenario
    from tco.scenario import store

    s = load_scenario(str(next((ROOT / "data" / "scenarios").glob("*.yaml"))))
    path = store.save_scenario(s, "shared", tmp_path)
    v0 = version_of(path)
    store.save_scenario(s.model_copy(update={"name": "theirs"}), "shared", tmp_path, overwrite=True,
                        expected=v0, check=True)
    theirs = path.read_bytes()
    with pytest.raises(ConflictError):
        store.save_scenario(s.model_copy(update={"name": "mine"}), "shared", tmp_path, overwrite=True,
                            expected=v0, check=True)
    assert path.read_bytes() == theirs
    assert [p.name for p in tmp_path.glob("*.yaml")] == ["shared.yaml"]  # no stray file
