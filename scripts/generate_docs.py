"""Write the generated field tables into docs/scenario.md and docs/data.md (from the schemas).

    .venv/bin/python scripts/generate_docs.py          # rewrite the tables
    .venv/bin/python scripts/generate_docs.py --check  # exit 1 when a table is out of date

tests/test_docs.py runs the check, so a schema change without regenerated docs fails the suite.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tco.catalog import CATALOGS, Entry  # noqa: E402
from tco.io.atomic import atomic_write_text  # noqa: E402
from tco.report.fielddocs import markdown_table, replace_block  # noqa: E402
from tco.scenario import Scenario  # noqa: E402


def blocks() -> dict[str, dict[str, str]]:
    """{doc file: {block name: table}}."""
    data = {"Entry": markdown_table(Entry)}
    for spec in CATALOGS.values():
        model = spec.model if hasattr(spec, "model") else spec[1]
        data[model.__name__] = markdown_table(model)
    return {"scenario.md": {"scenario": markdown_table(Scenario)}, "data.md": data}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for doc, tables in blocks().items():
        path = ROOT / "docs" / doc
        text = path.read_text(encoding="utf-8")
        new = text
        for name, table in tables.items():
            new = replace_block(new, name, table)
        if new != text:
            stale.append(doc)
            if not check:
                atomic_write_text(path, new)
    if check and stale:
        print(f"out of date: {', '.join(stale)} (run scripts/generate_docs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
