"""`python -m tco`: the command line over the same engine as the app.

Exit codes: 0 success; 1 catalog problems (``validate``) or a failed operation; 2 invalid input
(scenario, options, import file); 3 a file could not be read or written.

Sub-commands live next to their domain modules: each ``tco.cli_*`` module listed in
``COMMAND_MODULES`` has ``register(subparsers)`` that adds its commands, each with
``set_defaults(func=handler)``; a handler takes the parsed args and returns an exit code.
"""
from __future__ import annotations

import argparse
import sys

from tco.cli import capacity, core, data, finance, optimize
from tco.cli.common import EXIT_FAIL, EXIT_INVALID, EXIT_IO, EXIT_OK
from tco.core.exceptions import CatalogError, ProblemsError, TcoError

#: sub-command modules, each with register(subparsers, import_subparsers)
COMMAND_MODULES = (core, capacity, finance, optimize, data)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tco", description="LLM self-host vs API cost planner.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    import_parser = sub.add_parser("import", help="import benchmark results or price maps")
    parser._import_sub = import_parser.add_subparsers(dest="source", metavar="SOURCE")  # type: ignore[attr-defined]
    parser._import_sub.required = True  # type: ignore[attr-defined]
    for mod in COMMAND_MODULES:
        mod.register(sub, parser._import_sub)  # type: ignore[attr-defined]
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CatalogError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return EXIT_FAIL
    except ProblemsError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return EXIT_INVALID
    except TcoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # pragma: no cover - `| head`
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
