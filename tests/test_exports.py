"""Exports: FOCUS-aligned CSV (columns, types, periods, cash vs accrual), the XLSX workbook (opens with
openpyxl; its Summary equals the CLI JSON totals), currency conversion, and formula-injection
neutralisation of option and provider names."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from tco import analysis
from tco.catalog import load_catalog
from tco.cli import main
from tco.engine import evaluate
from tco.report.focus import FOCUS_COLUMNS_ALL, default_option, to_focus_csv
from tco.report.xlsx import to_xlsx
from tco.scenario import load_scenario, parse_scenario

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini_data"
SCEN = HERE / "fixtures" / "finance_data" / "scenario.yaml"
ISO = re.compile(r"^\d{4}-\d{2}-01T00:00:00Z$")
EVIL_OPTION = '=HYPERLINK("http://x","y")'
EVIL_PROVIDER = "+cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


@pytest.fixture(scope="module")
def result(cat):
    return evaluate(load_scenario(str(SCEN)), cat)


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_focus_columns_and_types(result):
    data = to_focus_csv(result)
    header = data.decode().splitlines()[0].split(",")
    assert header == FOCUS_COLUMNS_ALL and header[0] == "x_Option"  # all options: x_Option first, loud
    for c in ("BillingPeriodStart", "ChargePeriodEnd", "BilledCost", "EffectiveCost", "ChargeCategory", "ChargeFrequency",
              "PricingCategory", "PricingQuantity", "PricingUnit", "ServiceCategory", "ServiceName", "ProviderName",
              "x_Scenario", "x_Option", "x_LineItem", "x_InputTokens", "x_OutputTokens"):
        assert c in header
    rows = rows_of(data)
    # one row per line item and month; an API item has one row per token type (input, cached input read, output)
    n_items = sum(len(o.line_items) + (2 if "api" in o.line_items else 0) for o in result.options)
    assert len(rows) == n_items * result.scenario.months
    for r in rows:
        assert ISO.match(r["ChargePeriodStart"]) and ISO.match(r["ChargePeriodEnd"])
        assert r["BillingPeriodStart"] == r["ChargePeriodStart"] and r["BillingPeriodEnd"] == r["ChargePeriodEnd"]
        for c in ("BilledCost", "EffectiveCost", "PricingQuantity", "x_InputTokens", "x_OutputTokens"):
            float(r[c])  # a plain decimal
            assert "e" not in r[c].lower() and "," not in r[c] and "$" not in r[c]
        assert r["BillingCurrency"] == "USD"
        assert r["ChargeCategory"] in {"Usage", "Purchase"}
        assert r["ChargeFrequency"] in {"One-Time", "Recurring", "Usage-Based"}
        assert r["x_Forecast"] == "true"
        assert r["PricingCategory"] in {"Standard", "Dynamic", "Committed"}
    # exclusive end: December runs to the next 1 January
    dec = next(r for r in rows if r["ChargePeriodStart"] == "2027-12-01T00:00:00Z")
    assert dec["ChargePeriodEnd"] == "2028-01-01T00:00:00Z"


def test_focus_line_item_mapping_and_totals(result):
    rows = rows_of(to_focus_csv(result))
    by = {(r["x_Option"], r["x_LineItem"]) for r in rows}
    assert ("GPT-4o", "api") in by and ("Llama 70B owned", "capex") in by
    api = next(r for r in rows if r["x_LineItem"] == "api")
    assert (api["PricingUnit"], api["ServiceCategory"], api["ProviderName"]) == ("1000000 Tokens", "AI and Machine Learning", "openai")
    rent = next(r for r in rows if r["x_LineItem"] == "rent")
    assert (rent["PricingUnit"], rent["PricingCategory"], rent["ProviderName"]) == ("Instance-Hours", "Standard", "TestCloud")
    capex = [r for r in rows if r["x_LineItem"] == "capex" and float(r["BilledCost"]) > 0]
    assert capex and all(r["ChargeCategory"] == "Purchase" and r["ChargeFrequency"] == "One-Time"
                         and float(r["EffectiveCost"]) == 0 for r in capex)
    assert all(r["PricingUnit"] == "Servers" for r in capex)
    for o in result.options:
        mine = [r for r in rows if r["x_Option"] == o.name]
        assert sum(float(r["BilledCost"]) for r in mine) == pytest.approx(o.total_cash_usd, abs=0.01)
        assert sum(float(r["EffectiveCost"]) for r in mine) == pytest.approx(o.total_accrual_usd, abs=0.01)
        # tokens once per option-month, so the column sums to the option's tokens
        assert sum(float(r["x_InputTokens"]) for r in mine) == pytest.approx(o.input_tokens.sum(), rel=1e-9)


def test_spot_rent_is_dynamic(cat):
    d = load_scenario(str(SCEN)).to_dict()
    d["options"][1]["self_host"]["rent"]["pricing"] = "spot"
    d["options"][1]["self_host"]["rent"]["interruption_overhead"] = 0.1
    rows = rows_of(to_focus_csv(evaluate(parse_scenario(d), cat)))
    assert {r["PricingCategory"] for r in rows if r["x_LineItem"] == "rent"} == {"Dynamic"}
    assert all(r["x_Forecast"] == "true" for r in rows)


def test_currency_conversion(cat, result):
    d = load_scenario(str(SCEN)).to_dict()
    d["finance"].update(currency="EUR", usd_to_currency=0.9)
    eur = evaluate(parse_scenario(d), cat)
    rows = rows_of(to_focus_csv(eur))
    assert {r["BillingCurrency"] for r in rows} == {"EUR"}
    api = sum(float(r["BilledCost"]) for r in rows if r["x_Option"] == "GPT-4o")
    assert api == pytest.approx(result.options[0].total_cash_usd * 0.9, abs=0.01)
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(eur, values_only=True)))
    ws = wb["Summary"]
    assert ws["D1"].value == "Total cash [EUR]"
    assert ws["D2"].value == pytest.approx(result.options[0].total_cash_usd * 0.9)
    assert "EUR" in ws["D2"].number_format


def test_xlsx_summary_equals_cli_json(tmp_path, capsys):
    assert main(["evaluate", str(SCEN), "--data", str(MINI), "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)
    out = tmp_path / "r.xlsx"
    assert main(["report", str(SCEN), "--data", str(MINI), "--xlsx", str(out), "--values-only", "--sensitivity",
                 "--montecarlo", "300"]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Monthly", "Line items", "Assumptions", "Sensitivity", "Monte Carlo"]
    ws = wb["Summary"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    for k, opt in enumerate(js["options"], start=2):
        row = [c.value for c in ws[k]]
        assert row[col["Option"]] == opt["name"]
        assert row[col["Total cash [USD]"]] == pytest.approx(opt["total_cash_usd"], abs=0.005)  # to the cent
        assert row[col["Total accrual [USD]"]] == pytest.approx(opt["total_accrual_usd"], abs=0.005)
        assert row[col["NPV (cash) [USD]"]] == pytest.approx(opt["npv_usd"], abs=0.005)
        assert isinstance(row[col["Total cash [USD]"]], float)
    for name in wb.sheetnames:
        assert wb[name].freeze_panes == "B2"
        assert len(wb[name].tables) == 1  # one Excel table per sheet, so pivots work at once
    assert wb["Summary"].column_dimensions["A"].width >= 10
    # Monthly: each option's cash column sums to its total
    mon = wb["Monthly"]
    mh = [c.value for c in mon[1]]
    j = mh.index("GPT-4o cash [USD]")
    assert sum(r[j].value for r in mon.iter_rows(min_row=2)) == pytest.approx(js["options"][0]["total_cash_usd"], abs=0.005 * len(js["options"][0]["months"]))
    # Assumptions: every row has an origin; catalog defaults carry their source and as-of
    asm = list(wb["Assumptions"].iter_rows(min_row=2, values_only=True))
    pue = next(r for r in asm if r[1] == "pue")
    assert pue[4] == "default" and pue[5] == "test" and pue[6] == "2025-01-01"


def test_report_missing_file_is_located(tmp_path, capsys):
    assert main(["report", str(tmp_path / "none.yaml"), "--xlsx", str(tmp_path / "x.xlsx")]) != 0
    assert "none.yaml: file not found" in capsys.readouterr().err


@pytest.fixture()
def evil(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    p = data / "api_offers.yaml"
    p.write_text(p.read_text().replace("provider: openai", f"provider: \"{EVIL_PROVIDER}\""))
    cat = load_catalog(data)
    d = load_scenario(str(SCEN)).to_dict()
    d["options"][0]["name"] = EVIL_OPTION
    d["name"] = "@SUM(1+1)"
    return evaluate(parse_scenario(d), cat), cat


def test_focus_neutralises_formulas(evil):
    result, _ = evil
    rows = rows_of(to_focus_csv(result))
    api = [r for r in rows if r["x_LineItem"] == "api"]
    assert api and all(r["x_Option"] == "'" + EVIL_OPTION for r in api)
    assert all(r["ProviderName"] == "'" + EVIL_PROVIDER for r in api)
    assert all(r["ChargeDescription"].startswith("'=") for r in api)
    assert all(r["x_Scenario"] == "'@SUM(1+1)" for r in rows)
    for r in rows:
        for v in r.values():
            assert not v.startswith(("=", "+", "@", "\t", "\r")) and not (v.startswith("-") and not _is_number(v))


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def test_xlsx_neutralises_formulas(evil):
    """XLSX cells are typed: a name starting with '=' is a text cell holding exactly that text (no ' marker)."""
    result, cat = evil
    tor = analysis.tornado(result, cat)
    mc = analysis.monte_carlo(result, analysis.default_uncertainties(result, cat), 100, 0)
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(result, tor, mc, values_only=True)))
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    seen.add(c.value)
    assert EVIL_OPTION in seen and "'" + EVIL_OPTION not in seen
    assert EVIL_PROVIDER in seen  # Summary "Provider" column
    assert any(v.startswith("=HYPERLINK") and v.endswith("cash [USD]") for v in seen)  # Monthly header
    # the live workbook: formulas are the tool's own; every cell holding user text is a text cell
    live = openpyxl.load_workbook(io.BytesIO(to_xlsx(result, tor, mc)))
    texts = []
    for ws in live.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert "HYPERLINK" not in c.value and "cmd" not in c.value, (ws.title, c.coordinate, c.value)
                elif c.value == EVIL_OPTION:
                    texts.append((ws.title, c.data_type))
    assert ("Summary", "s") in texts and ("Option 1", "s") in texts and all(t == "s" for _, t in texts)


def test_focus_one_option_by_default_and_token_rows(result, tmp_path):
    """The export writes one option (default the cheapest) so that a sum over the file is meaningful; API
    tokens are one row per direction and cache action with ConsumedQuantity/ConsumedUnit and the model in
    SkuPriceDetails; the rows add up to the option's totals."""
    cheapest = default_option(result)
    assert cheapest == result.cheapest.name
    out = tmp_path / "f.csv"
    assert main(["evaluate", str(SCEN), "--data", str(MINI), "--format", "focus", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["x_Option"] for r in rows} == {cheapest}
    assert main(["evaluate", str(SCEN), "--data", str(MINI), "--format", "focus", "--option", "nope"]) == 2
    api = rows_of(to_focus_csv(result, "GPT-4o"))
    o = result.option("GPT-4o")
    assert sum(float(r["BilledCost"]) for r in api) == pytest.approx(o.total_cash_usd, abs=0.01)
    tok = [r for r in api if r["x_LineItem"] == "api"]
    assert {r["x_TokenType"] for r in tok} == {"input", "cached input read", "output"}  # cached share 0.2, no batch
    for r in tok:
        assert r["ConsumedUnit"] == "Tokens" and float(r["ConsumedQuantity"]) > 0
        sku = json.loads(r["SkuPriceDetails"])
        assert sku["x_ModelId"] == "openai/gpt-4o" and sku["x_TokenDirection"] in ("input", "output")
        assert sku["x_CacheAction"] in ("none", "read")
    jan = [r for r in tok if r["ChargePeriodStart"].startswith("2027-01")]
    assert sum(float(r["ConsumedQuantity"]) for r in jan) == pytest.approx(o.input_tokens[0] + o.output_tokens[0], rel=1e-9)
    assert sum(float(r["BilledCost"]) for r in jan) == pytest.approx(float(o.cash_usd[0]), abs=1e-5)
