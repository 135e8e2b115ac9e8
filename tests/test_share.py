"""Share links and the scenario folders: round trips give identical results; bad input gives clear errors."""
from __future__ import annotations

import base64
import zlib
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.core.exceptions import ScenarioError
from tco.engine import evaluate
from tco.scenario import load_scenario, load_scenario_text, share, store
from tco.scenario.builder import build_scenario, scenario_to_inputs

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _totals(result):
    return {o.name: (o.total_cash_usd, o.total_accrual_usd, o.npv_usd, o.usd_per_million_tokens,
                     tuple(o.cash_usd)) for o in result.options}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_app_state_round_trips(path, catalog):
    """app state -> YAML -> app state, and app state -> URL -> app state: identical evaluate() results."""
    original = load_scenario(str(path))
    values, api_rows, sh_rows = scenario_to_inputs(original)
    state = build_scenario(values, api_rows, sh_rows)  # what the Compare page holds
    expected = _totals(evaluate(state, catalog, skip_infeasible=True))

    via_yaml = build_scenario(*scenario_to_inputs(load_scenario_text(state.to_yaml())))
    via_url = build_scenario(*scenario_to_inputs(share.decode_scenario(share.encode_scenario(state))))
    assert via_yaml == state and via_url == state
    for s in (via_yaml, via_url):
        got = _totals(evaluate(s, catalog, skip_infeasible=True))
        assert got.keys() == expected.keys()
        for k in got:
            assert got[k] == expected[k]


def test_encoding_is_compact_stable_and_url_safe():
    s = load_scenario(str(BUNDLED[0]))
    a, b = share.encode_scenario(s), share.encode_scenario(s)
    assert a == b and a.startswith("v1.")
    assert set(a[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(a) < len(s.to_yaml())
    assert share.share_url("http://h:1/?x=1", s) == f"http://h:1/?s={a}"


def _packed(raw: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


@pytest.mark.parametrize("text, message", [
    ("", "empty share string"),
    ("hello", "not a share string"),
    ("v9.abc", "unsupported share format 'v9'"),
    ("v1.!!!!", "not valid base64url"),
    ("v1." + base64.urlsafe_b64encode(b"not zlib").decode(), "not valid compressed data"),
    (_packed(b"{not json"), "not valid JSON"),
    (_packed(b"[1, 2]"), "expected a YAML mapping"),
    (_packed(b'{"name": "x"}'), "required field is missing"),
    (_packed(b" " * 20_000), "larger than 16,384 bytes"),
    ("v1." + "A" * 20_000, "the limit is 16,384"),
])
def test_bad_share_strings(text, message):
    with pytest.raises(ScenarioError) as exc:
        share.decode_scenario(text)
    assert message in str(exc.value)
    assert str(exc.value).startswith("share link")


def test_truncated_link_is_reported():
    good = share.encode_scenario(load_scenario(str(BUNDLED[0])))
    with pytest.raises(ScenarioError, match="damaged"):
        share.decode_scenario(good[: len(good) // 2])


@pytest.mark.parametrize("name, stem", [
    ("../../x", "x"), ("/etc/passwd", "etc-passwd"), ("..\\..\\win", "win"), ("Support assistant (v2)",
                                                                             "support-assistant-v2"),
    ("a/../../b", "a-b"), ("...", None), ("", None),
])
def test_safe_names(name, stem):
    if stem is None:
        with pytest.raises(ScenarioError):
            store.safe_stem(name)
    else:
        assert store.safe_stem(name) == stem


def test_save_never_leaves_the_folder_or_overwrites(tmp_path, monkeypatch):
    folder = tmp_path / "user"
    monkeypatch.setenv(store.ENV, str(folder))
    s = load_scenario(str(BUNDLED[0]))
    p = store.save_scenario(s, "../../escape").path
    assert p.parent == folder.resolve() and p.name == "escape.yaml"
    assert not (tmp_path.parent / "escape.yaml").exists() and list(tmp_path.iterdir()) == [folder]
    with pytest.raises(store.ScenarioExists, match="overwrite"):
        store.save_scenario(s, "escape")
    s2 = s.model_copy(update={"name": "Changed"})
    store.save_scenario(s2, "escape", overwrite=True)
    assert load_scenario(str(p)).name == "Changed"
    listed = store.list_scenarios()
    assert any(x.folder == "user" and x.name == "Changed" for x in listed)
    assert sum(x.folder == "bundled" for x in listed) == len(BUNDLED) + len(list((ROOT / "data" / "scenarios").glob("*.yml")))
    (folder / "broken.yaml").write_text("name: [unclosed")
    broken = [x for x in store.list_scenarios() if x.path.name == "broken.yaml"]
    assert broken and broken[0].name is None and "YAML" in broken[0].problem
