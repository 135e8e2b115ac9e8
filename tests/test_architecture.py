"""The layers of tco/ hold (docs/architecture.md): checked facts, not a picture.

* ``lint-imports`` keeps the layers contract in ``.importlinter`` (no upward import, hence no cycle
  between layers);
* no module imports a private (``_name``) name from another module: a name another module needs is
  public;
* no import inside a function in tco/ (the way cycles get dodged);
* views never import the command line; every module of tco/ sits in a layer package.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("cli", "report", "charts", "analysis", "engine", "model", "scenario", "importers", "catalog", "io", "core")


def _py(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_import_linter_layers_contract_is_kept():
    exe = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(exe), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "KEPT" in proc.stdout and "BROKEN" not in proc.stdout


def test_the_contract_names_every_layer_package():
    text = (ROOT / ".importlinter").read_text()
    for layer in LAYERS:
        assert f"tco.{layer}\n" in text, layer
    packages = {p.name for p in (ROOT / "tco").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS), packages ^ set(LAYERS)
    loose = sorted(p.name for p in (ROOT / "tco").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert not loose, f"modules outside a layer package: {loose}"


def test_no_private_name_is_imported_from_another_module():
    bad = []
    for f in _py("tco", "views", "benchmarks", "scripts", "tests"):
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in ("tco", "views")):
                bad += [f"{f.relative_to(ROOT)}:{node.lineno}: {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert not bad, "\n".join(bad)


def test_no_import_inside_a_function_in_tco():
    bad = []
    for f in _py("tco"):
        for fn in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                        if getattr(node, "level", 0) or (mod or "").startswith("tco"):
                            bad.append(f"{f.relative_to(ROOT)}:{node.lineno}: {mod}")
    assert not bad, "\n".join(bad)


def test_views_never_import_the_command_line():
    bad = []
    for f in _py("views"):
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tco.cli"):
                bad.append(f"{f.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "tco" and any(a.name == "cli" for a in node.names):
                bad.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


def test_tco_never_imports_streamlit():
    bad = [str(f.relative_to(ROOT)) for f in _py("tco") if "streamlit" in f.read_text()
           and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "streamlit" in ast.unparse(n)
                   for n in ast.walk(ast.parse(f.read_text())))]
    assert not bad, bad


def test_no_package_attribute_shadows_one_of_its_modules():
    """``from tco.model import finance`` in tco/charts/__init__.py would make ``from tco.charts import finance``
    return tco.model.finance: a package never binds a name of one of its own modules to something else."""
    bad = []
    for init in sorted((ROOT / "tco").glob("*/__init__.py")):
        pkg = init.parent
        subs = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
        for node in ast.parse(init.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module != f"tco.{pkg.name}":
                bad += [f"{init.relative_to(ROOT)}:{node.lineno}: {a.asname or a.name}" for a in node.names
                        if (a.asname or a.name) in subs]
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign)):
                names = [node.name] if hasattr(node, "name") else [t.id for t in node.targets if isinstance(t, ast.Name)]
                bad += [f"{init.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if n in subs]
    assert not bad, bad
