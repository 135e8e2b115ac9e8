"""Download buttons shared by every page: one call per place.

- :func:`chart` adds "PNG" and "SVG" buttons under a chart; the image is rendered only when clicked
  (kaleido with the system's Chromium, tco.charts.images), from a builder of the figure.
- :func:`report` adds the live workbook (XLSX) and the one-page PDF decision report.
- :func:`csv` serves CSV bytes as UTF-8 with a byte-order mark (Excel on Windows reads accents right).

File names follow ``<scenario-slug>_<what>.<ext>`` (tco.core.filenames), the same as the CLI's defaults.
"""
from __future__ import annotations

from typing import Callable, Optional

import plotly.graph_objects as go
import streamlit as st

from tco.analysis.capacity_range import cost_ranges
from tco.charts.images import FORMATS, chart_image
from tco.core.filenames import encode_csv, file_name

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart(build: Callable[[], go.Figure], scenario_name: str, what: str, key: str, container=None) -> None:
    """PNG and SVG download buttons for the figure ``build()`` returns (built and rendered on click), in
    ``container`` (a column, say) or the page."""
    # One horizontal row (1 block) rather than columns (4 blocks): every element is a message on each rerun.
    row = (container or st).container(horizontal=True, gap="small")
    for fmt in FORMATS:
        row.download_button(fmt.upper(), data=lambda f=fmt: chart_image(build(), f), file_name=file_name(scenario_name, what, fmt),
                            mime=FORMATS[fmt], on_click="ignore", key=f"{key}_dl_{fmt}", icon=":material/image:",
                            help=f"This chart as a {fmt.upper()} image (rendered when you click; a few seconds).")


def csv(label: str, data: Callable[[], bytes], scenario_name: str, what: str, key: str, help: Optional[str] = None,
        container=None) -> None:
    """A CSV download in UTF-8 with a BOM (tco.core.filenames.DEFAULT_CSV_ENCODING)."""
    (container or st).download_button(label, data=lambda: encode_csv(data()), file_name=file_name(scenario_name, what, "csv"),
                                      mime="text/csv", on_click="ignore", key=key, icon=":material/download:", help=help)


def ranges_of(result, catalog):
    """The cost ranges of estimated capacities for a workbook (None without a catalog; computed on click)."""
    return cost_ranges(result.scenario, catalog, result) if catalog is not None else None


def report(result, catalog=None, catalog_version: str = "", key: str = "report", workbook: Optional[Callable[[], bytes]] = None,
           container=None) -> None:
    """Live workbook (XLSX) and one-page decision report (PDF) buttons for ``result``."""
    from tco.report.pdf import to_pdf
    from tco.report.xlsx import to_xlsx

    where = container or st
    c1, c2 = where.columns(2)
    name = result.scenario.name
    c1.download_button("Workbook (XLSX, live formulas)", data=workbook or (lambda r=result: to_xlsx(r, capacity_ranges=ranges_of(r, catalog))),
                       file_name=file_name(name, "workbook"), mime=XLSX_MIME, on_click="ignore", key=f"{key}_xlsx",
                       icon=":material/download:",
                       help="Inputs sheet with every assumption and its source; monthly sheets are Excel formulas "
                            "over it, so changing an input recomputes every month, total and NPV.")
    c2.download_button("One-page report (PDF)", data=lambda r=result: to_pdf(r, catalog, catalog_version),
                       file_name=file_name(name, "report"), mime="application/pdf", on_click="ignore", key=f"{key}_pdf",
                       icon=":material/picture_as_pdf:",
                       help="The answer, headline figures, cumulative cost chart, $/1M tokens, payback, SLO and quality "
                            "per option, key assumptions with sources (rendered when you click; a few seconds).")
