"""File names and text encodings of the exports, shared by the CLI and the app's downloads.

File names follow ``<scenario-slug>_<what>.<ext>`` everywhere, e.g. ``chat-assistant_monthly.csv``,
``chat-assistant_focus.csv``, ``chat-assistant_workbook.xlsx``, ``chat-assistant_report.pdf``,
``chat-assistant_cumulative-cost.png``.

CSV meant for spreadsheets is written as UTF-8 with a byte-order mark (``utf-8-sig``) by default, so
Excel on Windows shows non-ASCII names (é, ü, 東京) correctly when the file is double-clicked; plain
``utf-8`` is available for tools that do not expect a BOM (docs/exports.md).
"""
from __future__ import annotations

import re
import unicodedata

ENCODINGS = ("utf-8", "utf-8-sig")
DEFAULT_CSV_ENCODING = "utf-8-sig"
BOM = b"\xef\xbb\xbf"

#: what -> extension of every export the CLI and the app write
WHAT = {
    "monthly": "csv",  # long CSV, one row per option x month x line item
    "assumptions": "csv",
    "focus": "csv",
    "workbook": "xlsx",
    "report": "pdf",
    "scenario": "yaml",
    "summary": "json",
}


def slug(name: str, fallback: str = "scenario") -> str:
    """A file-name-safe slug: ASCII letters, digits and '-' (accents folded, everything else a '-')."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:60].strip("-") or fallback


def file_name(scenario_name: str, what: str, ext: str = "") -> str:
    """``<scenario-slug>_<what>.<ext>``; ``ext`` defaults to the one registered for ``what``."""
    ext = ext or WHAT.get(what, "")
    if not ext:
        raise ValueError(f"file_name: no extension known for '{what}'")
    return f"{slug(scenario_name)}_{slug(what, 'export')}.{ext}"


def encode_csv(data: bytes | str, encoding: str = DEFAULT_CSV_ENCODING) -> bytes:
    """CSV bytes in ``encoding``: UTF-8 input gets a BOM for ``utf-8-sig`` (never two), loses it for ``utf-8``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, got '{encoding}'")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    return BOM + raw if encoding == "utf-8-sig" else raw
