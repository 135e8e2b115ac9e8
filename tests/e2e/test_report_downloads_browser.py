"""Issue 20 in a real browser: the Compare page's live workbook (XLSX), one-page report (PDF) and a chart
as PNG download, with the file names <scenario-slug>_<what>.<ext>."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e


def _download(page, label: str, tmp_path, nth: int = 0):
    with page.expect_download(timeout=240_000) as info:
        page.get_by_role("button", name=label, exact=True).nth(nth).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(str(path))
    return path


def test_compare_page_downloads_workbook_report_and_chart_png(app_page, tmp_path):
    page = app_page
    xlsx = _download(page, "Workbook (XLSX, live formulas)", tmp_path)
    assert xlsx.name.endswith("_workbook.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert wb.sheetnames[:3] == ["Summary", "Inputs", "Workload"]
    assert wb["Summary"]["E2"].data_type == "f"  # totals are formulas over the Inputs sheet

    png = _download(page, "PNG", tmp_path)  # the first chart of the page: cumulative cost
    assert png.name.endswith("_cumulative-cost.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 5_000

    pdf = _download(page, "One-page report (PDF)", tmp_path)
    assert pdf.name.endswith("_report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Pages:           1" in info
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        assert "cheapest option over" in text
