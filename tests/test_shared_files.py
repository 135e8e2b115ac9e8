"""Shared files under several writers (tco.io.shared_files): no lost or corrupted write, conflicts reported."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import yaml

from tco.io.shared_files import ConflictError, VersionConflict, save_if_unchanged, version_of

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 50


def _save_catalog(path: str, base: str, r: int, who: int):
    """One catalog save based on the version read just now (the Data page's save)."""
    expected = version_of(path)
    text = base.replace("memory_gb: 80", f"memory_gb: {1000 + 10 * r + who}", 1)
    return lambda: save_if_unchanged(path, text.encode("utf-8"), expected)


def _save_scenario(path: str, base: str, r: int, who: int):
    """One scenario save by a session that opened the file just now (the Scenarios page's save)."""
    from tco.scenario import store

    scenario, version = store.open_scenario(path)
    versions = {str(Path(path).resolve()): version}
    mine = scenario.model_copy(update={"months": 10 + 10 * r + who})
    return lambda: store.save_tracked(mine, Path(path).stem, versions, Path(path).parent, overwrite=True)


def _writer(kind: str, path: str, who: int, rounds: int, barrier, results) -> None:
    base = Path(path).read_text(encoding="utf-8")
    prepare = {"catalog": _save_catalog, "scenario": _save_scenario}[kind]
    for r in range(rounds):
        barrier.wait()  # both read the same version ...
        save = prepare(path, base, r, who)
        barrier.wait()  # ... and save at the same moment
        try:
            save()
            results.put((r, who, "landed"))
        except ConflictError as exc:
            results.put((r, who, f"conflict: {exc}"))
        barrier.wait()  # the checker reads the file between rounds
        barrier.wait()


def _two_writers(kind: str, path: Path, rounds: int, check) -> None:
    """Two processes save ``path`` at the same moment, ``rounds`` times, both from the same version: every
    round exactly one save lands (``check(round, writer)`` reads the file), the other reports the conflict."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(3, timeout=120), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(kind, str(path), who, rounds, barrier, results)) for who in (1, 2)]
    for p in procs:
        p.start()
    outcomes: dict[int, list[tuple[int, str]]] = {}
    try:
        for r in range(rounds):
            barrier.wait()
            barrier.wait()
            barrier.wait()  # both saves are done
            for _ in range(2):
                rr, who, what = results.get(timeout=60)
                outcomes.setdefault(rr, []).append((who, what))
            landed = [who for who, what in outcomes[r] if what == "landed"]
            # both started from the same version: exactly one save lands, the other reports the conflict
            assert len(landed) == 1, outcomes[r]
            check(r, landed[0])
            conflict = [what for who, what in outcomes[r] if what != "landed"]
            assert "another user saved it" in conflict[0] and "reload" in conflict[0]
            barrier.wait()
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    assert len(outcomes) == rounds


def test_two_processes_saving_the_same_catalog_fifty_times(tmp_path):
    path = tmp_path / "gpus.yaml"
    path.write_bytes((ROOT / "data" / "gpus.yaml").read_bytes())
    assert "memory_gb: 80" in path.read_text()
    path.chmod(0o644)

    def check(r: int, who: int) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # the file always parses
        assert isinstance(doc, dict) and doc.get("gpus"), r
        assert f"memory_gb: {1000 + 10 * r + who}" in path.read_text(), r

    _two_writers("catalog", path, ROUNDS, check)
    assert (path.stat().st_mode & 0o777) == 0o644  # the file's mode is kept


def test_two_processes_saving_the_same_scenario(tmp_path):
    from tco.scenario import load_scenario
    from tco.scenario import store

    folder = tmp_path / "scenarios"
    s = load_scenario(str(next((ROOT / "data" / "scenarios").glob("*.yaml"))))
    path = store.save_scenario(s, "shared", folder).path

    def check(r: int, who: int) -> None:
        assert load_scenario(str(path)).months == 10 + 10 * r + who, r  # it parses, and holds the save that landed

    _two_writers("scenario", path, 20, check)
    assert [p.name for p in folder.glob("*.yaml")] == ["shared.yaml"]  # no stray file


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
    path = store.save_scenario(s, "shared", tmp_path).path
    v0 = version_of(path)
    store.save_scenario(s.model_copy(update={"name": "theirs"}), "shared", tmp_path, overwrite=True,
                        expected=v0, check=True)
    theirs = path.read_bytes()
    with pytest.raises(ConflictError):
        store.save_scenario(s.model_copy(update={"name": "mine"}), "shared", tmp_path, overwrite=True,
                            expected=v0, check=True)
    assert path.read_bytes() == theirs
    assert [p.name for p in tmp_path.glob("*.yaml")] == ["shared.yaml"]  # no stray file


def test_a_session_saves_over_the_version_it_opened_or_saved_only(tmp_path):
    """save_tracked: the Scenarios page's rule, two sessions (two version books) on one folder."""
    from tco.scenario import load_scenario
    from tco.scenario import store

    s = load_scenario(str(next((ROOT / "data" / "scenarios").glob("*.yaml"))))
    alice: dict = {}
    saved = store.save_tracked(s, "team", alice, tmp_path)  # a new file: created
    assert saved.version == version_of(saved.path)
    alice[str(saved.path)] = saved.version
    opened, bob_version = store.open_scenario(saved.path)  # Bob opens it ...
    bob = {str(saved.path): bob_version}
    assert opened == s and bob_version == saved.version
    with pytest.raises(store.ScenarioExists):  # replacing a file still asks first
        store.save_tracked(s.model_copy(update={"months": 12}), "team", alice, tmp_path)
    again = store.save_tracked(s.model_copy(update={"months": 12}), "team", alice, tmp_path,
                               overwrite=True)  # ... Alice saves again
    alice[str(again.path)] = again.version
    for overwrite in (False, True):  # Bob's save would replace Alice's: reported before any overwrite question
        with pytest.raises(VersionConflict, match="another user saved it"):
            store.save_tracked(s.model_copy(update={"months": 24}), "team", bob, tmp_path, overwrite=overwrite)
    assert load_scenario(str(saved.path)).months == 12  # nothing written
    carol: dict = {}  # never opened it: asked before replacing, as always
    with pytest.raises(store.ScenarioExists):
        store.save_tracked(s, "team", carol, tmp_path)
    forced = store.save_scenario(s.model_copy(update={"months": 24}), "team", tmp_path, overwrite=True)  # Bob overwrites
    assert load_scenario(str(saved.path)).months == 24 and forced.version == version_of(saved.path)
    with pytest.raises(VersionConflict):  # and now Alice is the one behind
        store.save_tracked(s, "team", alice, tmp_path, overwrite=True)
