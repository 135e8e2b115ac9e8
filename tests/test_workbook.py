"""The live workbook recomputes: every bundled scenario's workbook, recalculated by an independent engine
(the ``formulas`` package), equals the engine's monthly cash and accrual, totals, NPV and $/1M tokens to the
cent; changing a price cell changes the total by what evaluate() gives for that price. Plus workbook hygiene
(dates, typed text, tables, defined names)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.scenario import load_scenario, parse_scenario
from tco.report.xlsx import to_xlsx
from tco.report.xlsx_live import to_live_xlsx

formulas = pytest.importorskip("formulas")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
MINI = ROOT / "tests" / "fixtures" / "mini_data"
FIN = ROOT / "tests" / "fixtures" / "finance_data" / "scenario.yaml"
CENT = 0.005


def recalc(path: Path) -> dict[tuple[str, str], object]:
    """(SHEET upper-case, cell) -> value, as the independent engine computes them from the formulas."""
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, v in sol.items():
        m = re.match(r"^'\[[^\]]+\](.+)'!([A-Z]+[0-9]+)$", key)
        if not m:
            continue
        val = v.value[0][0] if hasattr(v, "value") else v
        out[(m.group(1), m.group(2))] = val
    return out


def columns(ws) -> dict[str, str]:
    return {c.value: c.column_letter for c in ws[1]}


def check_against_engine(result, path: Path, values: dict) -> None:
    wb = openpyxl.load_workbook(path)
    cur = result.finance_inputs.get("currency") or "USD"
    rate = float(result.finance_inputs.get("usd_to_currency") or 1.0)
    summ = columns(wb["Summary"])
    from tco.analysis import payback_table

    pb = {r["option"]: r["payback_month"] for r in payback_table(result, "cash")}
    for k, o in enumerate(result.options, 1):
        sheet = f"Option {k}"
        cols = columns(wb[sheet])
        cash_c = cols["Cash [USD]"]
        acc_c = cols["Accrual [USD]"]
        for m in range(len(result.months)):
            got_cash = float(values[(sheet.upper(), f"{cash_c}{m + 2}")])
            got_acc = float(values[(sheet.upper(), f"{acc_c}{m + 2}")])
            assert got_cash == pytest.approx(float(o.cash_usd[m]), abs=CENT), (o.name, result.months[m], "cash")
            assert got_acc == pytest.approx(float(o.accrual_usd[m]), abs=CENT), (o.name, result.months[m], "accrual")
        r = k + 1
        assert wb["Summary"][f"A{r}"].value == o.name

        def s(col: str) -> float:
            return float(values[("SUMMARY", f"{summ[col]}{r}")])

        assert s(f"Total cash [{cur}]") == pytest.approx(o.total_cash_usd * rate, abs=CENT), o.name
        assert s(f"Total accrual [{cur}]") == pytest.approx(o.total_accrual_usd * rate, abs=CENT), o.name
        assert s(f"NPV (cash) [{cur}]") == pytest.approx(o.npv_usd * rate, abs=CENT), o.name
        assert s(f"Cost per 1M tokens (accrual) [{cur}]") == pytest.approx(o.usd_per_million_tokens * rate, abs=CENT)
        got_pb = values.get(("SUMMARY", f"{summ['Payback month vs reference (cash)']}{r}"))
        if o.kind == "self_host" and result.reference:
            if pb[o.name] is None:
                assert got_pb == "never", o.name
            else:  # an Excel date serial (days since 1899-12-30)
                d = dt.date(1899, 12, 30) + dt.timedelta(days=int(got_pb))
                assert d.strftime("%Y-%m") == pb[o.name], o.name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_live_workbook_recalculates_to_the_engine(scenario, tmp_path):
    cat = load_catalog(None)
    result = evaluate(load_scenario(str(scenario)), cat, file=str(scenario))
    path = tmp_path / "w.xlsx"
    path.write_bytes(to_live_xlsx(result))
    check_against_engine(result, path, recalc(path))


def _set_input(path: Path, name: str, value: float) -> float:
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == name:
            old = row[3].value
            row[3].value = value
            wb.save(path)
            return old
    raise KeyError(name)


def test_changing_price_cells_moves_totals_like_evaluate(tmp_path):
    cat = load_catalog(MINI)
    base = load_scenario(str(FIN))
    result = evaluate(base, cat)
    path = tmp_path / "w.xlsx"
    path.write_bytes(to_live_xlsx(result))
    old_in = _set_input(path, "o1_p_input", None) or 0.0  # API input price of option 1 [USD/1M tokens]
    _set_input(path, "o1_p_input", old_in * 1.5)
    old_rent = _set_input(path, "o2_usd_per_instance_hour", None)
    _set_input(path, "o2_usd_per_instance_hour", old_rent * 0.7)
    values = recalc(path)
    d = base.to_dict()
    d["options"][0]["prices"] = {"input": old_in * 1.5}
    d["options"][1]["self_host"]["rent"]["usd_per_instance_hour"] = old_rent * 0.7
    moved = evaluate(parse_scenario(d), cat)
    assert moved.options[0].total_cash_usd != pytest.approx(result.options[0].total_cash_usd, abs=1.0)
    assert moved.options[1].total_cash_usd != pytest.approx(result.options[1].total_cash_usd, abs=1.0)
    check_against_engine(moved, path, values)


def test_live_workbook_hygiene():
    cat = load_catalog(MINI)
    d = load_scenario(str(FIN)).to_dict()
    d["name"] = "=SUM(1,2) Ünïcode"
    d["options"][0]["name"] = "=HYPERLINK(\"x\")"
    result = evaluate(parse_scenario(d), cat)
    import io

    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(result)))
    assert wb.sheetnames[:3] == ["Summary", "Inputs", "Workload"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "B2" and len(ws.tables) == 1, ws.title
    # typed text, no visible marker
    assert wb["Summary"]["A2"].value == "=HYPERLINK(\"x\")" and wb["Summary"]["A2"].data_type == "s"
    assert wb["Option 1"]["A2"].data_type == "s"
    # months are real dates formatted yyyy-mm
    c = wb["Option 1"]["B2"]
    assert isinstance(c.value, dt.datetime) and c.value.date() == dt.date(2027, 1, 1) and c.number_format == "yyyy-mm"
    # every input has a defined name pointing at its value cell; origin and source columns are there
    names = wb.defined_names
    ih = [c.value for c in wb["Inputs"][1]]
    assert ih == ["Name", "Option", "Input", "Value", "Unit", "Origin", "Source", "As of", "Reference"]
    for row in wb["Inputs"].iter_rows(min_row=2):
        assert names[row[0].value].attr_text == f"Inputs!$D${row[0].row}"
    pue = next(r for r in wb["Inputs"].iter_rows(min_row=2, values_only=True) if r[0] == "o3_pue")
    assert pue[5] == "default" and pue[6] == "test"
    # one payback column, with its definition
    header = [c.value for c in wb["Summary"][1]]
    assert [h for h in header if h and ("ayback" in h or "reak-even" in h)] == ["Payback month vs reference (cash)"]


def test_values_workbook_rounds_money_and_uses_dates():
    import io

    cat = load_catalog(MINI)
    result = evaluate(load_scenario(str(FIN)), cat)
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(result, values_only=True)))
    mon = wb["Monthly"]
    assert isinstance(mon["A2"].value, dt.datetime) and mon["A2"].number_format == "yyyy-mm"
    for row in mon.iter_rows(min_row=2, min_col=2):
        for c in row:
            assert round(c.value, 2) == c.value
    li = wb["Line items"]
    assert isinstance(li["C2"].value, dt.datetime)
