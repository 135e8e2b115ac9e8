"""CLI: ``import litellm`` (the LiteLLM price map -> API offers).

    python -m tco import litellm FILE [--providers P,P...] [--models PATTERN] [--as-of DATE]
        [--format yaml|json] [--out FILE [--merge [--yes]] [--force]]

* ``--format json`` (default when printing): ``{"offers": [...], "skipped": {reason: count}}``;
  ``--format yaml``: an ``api_offers:`` document (valid API catalog entries).
* ``--models``: a glob (``'*llama*'``) or ``re:<regex>``; ``--providers``: LiteLLM provider names,
  comma-separated or repeated.
* ``--out FILE`` writes atomically and refuses to replace an existing file unless ``--force``.
* ``--out CATALOG --merge``: merges the offers into an existing API catalog (same id and same prices:
  the entry stays as it is, with its as_of and source; same id, new prices: prices, context, source,
  as_of and notes updated; new ids added; nothing removed), prints the diff and writes only with
  ``--yes`` (then with a timestamped backup in ``<dir>/.backups/``); only the changed lines of the
  file change (comments, order and the file mode stay). Without ``--yes`` it is a dry run, exit 0.
* No offer imported (filters matched nothing, or not a price map's entries): exit 1.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tco.catalog import edit as ce
from tco.cli.common import EXIT_FAIL, EXIT_INVALID, write_output
from tco.core.exceptions import CatalogError, Problem
from tco.importers import litellm, read_bytes
from tco.io.safeyaml import dump_yaml


def register(sub, import_sub) -> None:
    p = import_sub.add_parser("litellm", help="import the LiteLLM price map (model_prices_and_context_window.json)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--providers", action="append", default=[],
                   help="keep these LiteLLM providers only (comma-separated or repeated), e.g. openai,groq")
    p.add_argument("--models", help="keep keys matching this glob (e.g. '*llama*') or re:<regex>")
    p.add_argument("--as-of", dest="as_of", help="date of the prices (default: the file's last_updated, else its modification date)")
    p.add_argument("--format", choices=("yaml", "json"), default=None,
                   help="json (default when printing) or yaml (an api_offers: catalog document)")
    p.add_argument("--out", help="write here (atomically)")
    p.add_argument("--merge", action="store_true", help="merge into the API catalog at --out; prints the diff")
    p.add_argument("--yes", action="store_true", help="with --merge: write the merged catalog (else a dry run)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file (without --merge)")
    p.set_defaults(func=cmd_litellm)


def cmd_litellm(args) -> int:

    path = Path(args.file)
    if not path.exists():
        print(f"error: {path}: file not found", file=sys.stderr)
        return 3
    data = read_bytes(path, litellm.MAX_BYTES)
    providers = [p for arg in args.providers for p in arg.split(",") if p.strip()]
    res = litellm.parse(data, path.name, as_of=args.as_of, mtime=os.stat(path).st_mtime, providers=providers,
                        models=args.models)
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(res.skipped.items())) or "none"
    summary = f"{len(res.offers)} offer(s) imported from {path.name}; skipped: {skipped}"
    if not res.offers:
        print(f"error: {path.name}: no offer imported (skipped: {skipped}); check --providers / --models",
              file=sys.stderr)
        return EXIT_FAIL
    if args.merge:
        if not args.out:
            print("error: --merge needs --out CATALOG (the API catalog to merge into)", file=sys.stderr)
            return EXIT_INVALID
        return _merge(args, res, summary)
    fmt = args.format or "json"
    if fmt == "json":
        text = json.dumps(res.to_json(), indent=2) + "\n"
    else:
        doc = litellm.to_catalog_doc(res)
        v = ce.validate_entries("apis", doc["api_offers"])
        if not v.ok:  # sanitised ids make this unexpected; say so rather than write a bad catalog
            raise CatalogError([Problem(path.name, p.entry, p.field, p.message) for p in v.problems])
        text = f"# Imported from the LiteLLM price map {path.name} (prices USD per 1M tokens).\n" + dump_yaml(doc)
    if args.out and Path(args.out).exists() and not args.force:
        print(f"error: {args.out} exists; use --merge to merge into it or --force to replace it", file=sys.stderr)
        return EXIT_INVALID
    write_output(text, args.out)
    print(summary, file=sys.stderr)
    return 0


def _merge(args, res, summary: str) -> int:
    out = Path(args.out)
    if out.exists():
        header, existing = ce.parse_catalog_text("apis", out.read_bytes(), str(out))
    else:
        header, existing = "", []
    imported = litellm.to_catalog_doc(res)["api_offers"]
    merged = litellm.merge_entries(existing, imported)
    v = ce.validate_entries("apis", merged)
    if not v.ok:
        raise CatalogError([Problem(str(out), p.entry, p.field, p.message) for p in v.problems])
    diff = ce.diff_entries(existing, merged)
    sys.stdout.write(diff.text())
    print(summary, file=sys.stderr)
    if diff.empty:
        print(f"{out}: already up to date; nothing written", file=sys.stderr)
        return 0
    if not args.yes:
        print(f"dry run: {out} not changed; add --yes to write it", file=sys.stderr)
        return 0
    # Write next to the catalog: the target's folder is the data directory of this file.
    saved = _save_apis(out, lambda current: litellm.merge_entries(current, imported), header)
    print(f"wrote {out} ({diff.summary()}); backup: {saved.backup or 'none (new file)'}", file=sys.stderr)
    return 0


def _save_apis(out: Path, entries, header: str):
    """Save an API catalog at any path: only the changed lines, a backup in <its folder>/.backups/."""

    return ce.save_catalog_file(out, "apis", entries, header=header)
