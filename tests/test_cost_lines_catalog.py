"""The cost_lines catalog (data/cost_lines.yaml): schema, validation, docs, and the one-click conversion."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tco.catalog import CostLineEntry, load_catalog
from tco.model.cost_lines import CostLineInputError, scenario_cost_line
from tco.core.exceptions import CatalogError
from tco.scenario import CostLine

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini_data"


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_bundled_cost_lines_load_with_sources(cat):
    assert {"nvidia-ai-enterprise", "networking-share-of-server-capex", "egress-aws-internet",
            "soc2-type2-audit"} <= set(cat.cost_lines)
    for e in cat.cost_lines.values():
        assert e.source.strip() and e.as_of.strip()


def test_figures_copied_from_the_reference(cat):
    # other_costs.csv: NVAIE 4,500 USD per GPU per year; AWS egress 0.09 USD/GB; SOC 2 Type 2 25,000-75,000 per audit
    assert cat.cost_lines["nvidia-ai-enterprise"].amount_usd == 4500
    assert cat.cost_lines["egress-aws-internet"].usd_per_gb == 0.09
    soc = cat.cost_lines["soc2-type2-audit"]
    assert (soc.amount_usd, soc.low, soc.high) == (pytest.approx(50_000 / 12, abs=0.01), pytest.approx(25_000 / 12, abs=0.01),
                                                   6250)
    assert soc.kind == "estimated"  # converted here (midpoint / 12)
    # Azure Migrate: network HW/SW = 10 % of compute + storage cost
    assert cat.cost_lines["networking-share-of-server-capex"].share_of_server_capex == 0.1


def test_unused_assumptions_were_moved(cat):
    assert "software_license_usd_per_gpu_year" not in cat.assumptions
    assert "egress_usd_per_gb" not in cat.assumptions


def test_cost_line_entry_fields_are_documented():
    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    assert "CostLineEntry" in text and "data/cost_lines.yaml" in text
    assert [f for f in CostLineEntry.model_fields if f"`{f}`" not in text] == []


def test_missing_file_is_an_empty_catalog():
    assert load_catalog(MINI).cost_lines == {}


def _broken(tmp_path, body: str) -> str:
    d = tmp_path / "data"
    shutil.copytree(MINI, d)
    (d / "cost_lines.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError) as e:
        load_catalog(d)
    return str(e.value)


BASE = "cost_lines:\n  - {id: x, name: X, category: networking, line_kind: %s, unit: u, source: s, as_of: '2026-01', %s}\n"


@pytest.mark.parametrize("kind, fields, expect", [
    ("monthly", "amount_usd: 1, usd_per_gb: 2", "needs exactly one of amount_usd, share_of_server_capex, usd_per_gb"),
    ("monthly", "notes: n", "needs exactly one of"),
    ("monthly", "share_of_server_capex: 0.1", "share_of_server_capex needs line_kind per_server_month"),
    ("monthly", "usd_per_gb: 0.1", "usd_per_gb needs line_kind per_million_tokens"),
    ("weekly", "amount_usd: 1", "x: line_kind: must be one of"),
    ("monthly", "amount_usd: -1", "x: amount_usd: must be >= 0"),
    ("per_gpu_year", "amount_usd: 1, applies_to: api", "applies_to api has none"),
    ("monthly", "amount_usd: 1, amortize_months: 3", "amortize_months applies to line_kind one_off only"),
    ("monthly", "amount_usd: 1, low: 3, high: 2", "low (3.0) must be <= high (2.0)"),
])
def test_bad_entries_name_file_entry_and_field(tmp_path, kind, fields, expect):
    msg = _broken(tmp_path, BASE % (kind, fields))
    assert "data/cost_lines.yaml: x" in msg and expect in msg


def test_scenario_line_from_an_amount(cat):
    line = scenario_cost_line(cat.cost_lines["nvidia-ai-enterprise"])
    assert line["name"] == "NVIDIA AI Enterprise licence" and line["kind"] == "per_gpu_year"
    assert line["amount_usd"] == 4500 and line["applies_to"] == "own"
    assert "catalog cost_lines: nvidia-ai-enterprise" in line["source"]
    CostLine.model_validate(line)  # a valid scenario cost line


def test_scenario_line_from_a_share_of_capex(cat):
    # 0.1 x 270,000 USD / (12 x 4) months = 562.50 USD per server-month
    e = cat.cost_lines["networking-share-of-server-capex"]
    line = scenario_cost_line(e, server_price_usd=270_000, depreciation_years=4, applies_to=["Owned H100"])
    assert line["amount_usd"] == pytest.approx(562.5) and line["kind"] == "per_server_month"
    assert line["applies_to"] == ["Owned H100"] and "562.50 USD per server-month" in line["notes"]
    with pytest.raises(CostLineInputError, match="needs an owned option's server price"):
        scenario_cost_line(e)


def test_scenario_line_from_a_price_per_gb(cat):
    # 0.09 USD/GB x 0.004 GB per 1M tokens = 0.00036 USD per 1M tokens
    e = cat.cost_lines["egress-aws-internet"]
    line = scenario_cost_line(e, egress_gb_per_million_tokens=0.004)
    assert line["amount_usd"] == pytest.approx(0.00036) and line["kind"] == "per_million_tokens"
    with pytest.raises(CostLineInputError, match="workload.egress_gb_per_million_tokens"):
        scenario_cost_line(e)


def test_every_bundled_line_converts(cat):
    for e in cat.cost_lines.values():
        line = scenario_cost_line(e, server_price_usd=100_000, depreciation_years=4, egress_gb_per_million_tokens=0.01)
        CostLine.model_validate(line)
