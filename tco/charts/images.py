"""Static chart images (PNG, SVG) from plotly figures, through kaleido and the system's Chromium.

One helper for every chart of every page (:func:`chart_image`) and for the PDF report. kaleido finds
Chromium on its own; ``TCO_CHROMIUM`` (or ``BROWSER_PATH``) names another binary. A missing Chromium
is a :class:`ChartImageError` with a clear message, never a blank image.

:func:`print_friendly` restyles a figure so that it reads in black and white: every line gets its own
dash pattern and marker symbol, backgrounds are white and the grid light grey.
"""
from __future__ import annotations

import copy
import os
import shutil
from typing import Optional

import plotly.graph_objects as go

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px", "1px,3px")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down", "star")


class ChartImageError(RuntimeError):
    """A chart image could not be made (no Chromium, kaleido failure)."""


def chromium_path() -> Optional[str]:
    """The Chromium binary: $TCO_CHROMIUM, $BROWSER_PATH, /usr/bin/chromium, or chromium on the PATH."""
    for cand in (os.environ.get("TCO_CHROMIUM"), os.environ.get("BROWSER_PATH"), "/usr/bin/chromium"):
        if cand and os.path.exists(cand):
            return cand
    return shutil.which("chromium") or shutil.which("chromium-browser")


def print_friendly(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` that reads in black and white: one dash pattern and one marker symbol per line trace."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    k = 0
    for tr in out.data:
        if getattr(tr, "type", "") != "scatter":
            continue
        mode = tr.mode or "lines"
        if "lines" in mode:
            tr.line.dash = DASHES[k % len(DASHES)]
            tr.mode = "lines+markers"
            tr.marker.symbol = SYMBOLS[k % len(SYMBOLS)]
            tr.marker.size = 6
            n = len(tr.x) if tr.x is not None else 0
            tr.marker.maxdisplayed = min(n, 12) if n else 0
            k += 1
    out.update_layout(paper_bgcolor="white", plot_bgcolor="white", font={"color": "#000"})
    out.update_xaxes(gridcolor="#d0d0d0", linecolor="#000", showline=True)
    out.update_yaxes(gridcolor="#d0d0d0", linecolor="#000", showline=True)
    return out


def chart_image(fig: go.Figure, fmt: str = "png", width: int = 1000, height: int = 500, scale: float = 2.0) -> bytes:
    """``fig`` as PNG or SVG bytes (``width`` x ``height`` CSS pixels; PNG at ``scale`` x that resolution)."""
    if fmt not in FORMATS:
        raise ChartImageError(f"chart image format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    path = chromium_path()
    if path and not os.environ.get("BROWSER_PATH"):
        os.environ["BROWSER_PATH"] = path  # kaleido (choreographer) looks here first
    try:
        return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)
    except Exception as exc:  # noqa: BLE001 - kaleido raises several types; all mean "no image"
        raise ChartImageError(f"could not render the chart as {fmt.upper()} (kaleido with Chromium"
                              f"{' at ' + path if path else ', none found: install Debian chromium'}): {exc}") from exc
