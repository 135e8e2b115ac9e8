"""The line-item registry (tco/core/line_items.py): every item complete, computed by the core, exported with an
explicit FOCUS mapping; the registry rejects incomplete entries and supports dynamic (scenario-named) items."""
from __future__ import annotations

import ast
import csv
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tco.core import line_items
from tco.catalog import load_catalog
from tco.engine import LINE_ITEMS, evaluate
from tco.report.focus import to_focus_csv
from tco.core.line_items import (FOCUS_CHARGE_CATEGORIES, FOCUS_CHARGE_CLASSES, FOCUS_CHARGE_FREQUENCIES,
                            FOCUS_SERVICE_CATEGORIES, PRICING_UNITS, REGISTRY, FocusMapping, LineItemDef,
                            LineItemFamily)
from tco.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "fixtures" / "mini_data"
SH = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 1, "capacity_rps_per_replica": 1.0,
      "target_utilization": 1.0, "spare_replicas": 0, "staff_fte": 0.5}
TWO_LEVEL = [1.0] * 12 + [3.0] * 12


def every_item_scenario():
    """One option per way to pay, together producing every registered line item."""
    return parse_scenario({
        "name": "every line item", "start": "2027-01", "months": 24,
        "workload": {"requests_per_day": 172_800, "input_tokens": 100, "output_tokens": 50, "daily_profile": TWO_LEVEL,
                     "cached_input_share": 0.3, "cache_write_share": 0.1},
        "ops": {"fte_cost_per_year": 120_000},
        # issue 19: a fine-tuned self-host option (fine_tuning) and a route with a router price (router)
        "fine_tuning": {"training_tokens": 1e7, "runs_per_year": 4, "mfu": 0.4, "gpu_hour_usd": 2.0},
        "finance": {"include_capital_charge": True},
        "options": [
            {"name": "api", "prices": {"input": 1.0, "output": 2.0, "cached_input": 0.1, "cache_write": 1.25}},
            {"name": "rent reserved", "self_host": {**SH, "rent": {"usd_per_gpu_hour": 2.5, "reserved_gpus": 8,
                                                                    "usd_per_gpu_hour_reserved": 1.5,
                                                                    "reserved_term": {"term_months": 12, "upfront_share": 0.5},
                                                                    "autoscale": True, "startup_minutes": 10}}},
            {"name": "rent instance", "self_host": {**SH, "rent": {"offer": "test-8x-h100"}}},
            {"name": "own residual", "self_host": {**SH, "own": {"server": "test-server", "residual_share": 0.4,
                                                                  "depreciation_years": 3}}},
            {"name": "hybrid", "self_host": {**SH, "base_replicas": 2, "rent": {"usd_per_gpu_hour": 2.0},
                                             "overflow": {"prices": {"input": 1, "output": 2}}}},
            {"name": "fine-tuned", "fine_tuned": True, "self_host": {**SH, "rent": {"usd_per_gpu_hour": 2.5}}},
            {"name": "route", "route": {"mode": "split", "router_usd_per_million_tokens": 0.01,
                                        "parts": [{"option": "api", "share": 0.5}, {"option": "fine-tuned", "share": 0.5}]}},
        ]})


@pytest.fixture(scope="module")
def cat():
    return load_catalog(MINI)


@pytest.fixture(scope="module")
def result(cat):
    return evaluate(every_item_scenario(), cat)


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_every_registered_item_is_complete():
    assert list(REGISTRY) == ["api", "rent", "reserved_unused", "capex", "depreciation", "power", "colo", "maintenance",
                              "residual", "staff", "api_overflow", "fine_tuning", "router", "reserved_upfront",
                              "startup", "capital_charge"]
    for name, d in REGISTRY.items():
        assert line_items.validate(d) == [], name
        assert d.name == name
    assert LINE_ITEMS == {n: (d.cash, d.accrual) for n, d in REGISTRY.items()}


def test_an_incomplete_item_is_refused():
    base = REGISTRY["power"]
    for bad in (replace(base, name="x1", description=""),
                replace(base, name="x2", unit="parsecs"),
                replace(base, name="x3", focus=replace(base.focus, charge_category="Sale")),
                replace(base, name="x4", focus=replace(base.focus, charge_frequency="Monthly")),
                replace(base, name="x5", focus=replace(base.focus, service_category="GPUs")),
                replace(base, name="x6", focus=replace(base.focus, negative_category="")),
                replace(base, name="x7", cash=False, accrual=False),
                replace(base, name="x8", group="both")):
        with pytest.raises(ValueError, match="incomplete line item"):
            line_items.register(bad)
        assert bad.name not in REGISTRY
    with pytest.raises(ValueError, match="already registered"):
        line_items.register(base)


def test_every_item_is_computed_by_the_core(result, cat):
    assert result.catalog_version == cat.version() and result.catalog_version
    seen = {n for o in result.options for n in o.line_items}
    assert seen == set(REGISTRY)
    for o in result.options:
        for name, li in o.line_items.items():
            d = REGISTRY[name]
            # a route's items are its parts' items (plus its own router)
            assert d.applies(o.params) or (o.kind == "route" and any(d.applies(pr.result.params) for pr in o.parts))
            if o.kind == "route":  # the parts' unit, or "mixed (...)" when two parts' units differ
                assert li.unit in PRICING_UNITS or li.unit.startswith("mixed (")
            else:
                assert li.unit == d.unit_of(o.params) and li.unit in PRICING_UNITS
            if not d.cash:
                assert not np.any(li.cash_usd)
            if not d.accrual:
                assert not np.any(li.accrual_usd)
        np.testing.assert_allclose(o.cash_usd, sum(li.cash_usd for li in o.line_items.values()), rtol=0, atol=1e-9)


#: the explicit FOCUS mapping of every line item:
#: (ChargeCategory if BilledCost >= 0, if < 0, ChargeClass, ChargeFrequency, ServiceCategory, PricingUnits)
EXPECTED_FOCUS = {
    "api": ("Usage", "Credit", "", "Usage-Based", "AI and Machine Learning", {"1000000 Tokens"}),
    "rent": ("Usage", "Credit", "", "Usage-Based", "Compute", {"GPU-Hours", "Instance-Hours"}),
    "reserved_unused": ("Usage", "Credit", "", "Recurring", "Compute", {"GPU-Hours"}),
    "capex": ("Purchase", "Credit", "", "One-Time", "Compute", {"Servers"}),
    "depreciation": ("Usage", "Credit", "", "Recurring", "Compute", {"Servers"}),
    "power": ("Usage", "Credit", "", "Usage-Based", "Other", {"Kilowatt-Hours"}),
    "colo": ("Usage", "Credit", "", "Recurring", "Other", {"Kilowatt-Months"}),
    "maintenance": ("Usage", "Credit", "", "Recurring", "Compute", {"Servers"}),
    "residual": ("Adjustment", "Credit", "", "One-Time", "Compute", {"Servers"}),
    "staff": ("Usage", "Credit", "", "Recurring", "Other", {"FTE-Months"}),
    "api_overflow": ("Usage", "Credit", "", "Usage-Based", "AI and Machine Learning", {"1000000 Tokens"}),
    "fine_tuning": ("Usage", "Credit", "", "Usage-Based", "AI and Machine Learning", {"GPU-Hours", "1000000 Tokens"}),
    "router": ("Usage", "Credit", "", "Usage-Based", "AI and Machine Learning", {"1000000 Tokens"}),
    "reserved_upfront": ("Purchase", "Credit", "", "One-Time", "Compute", {"GPU-Hours"}),
    "startup": ("Usage", "Credit", "", "Usage-Based", "Compute", {"GPU-Hours"}),
    "capital_charge": ("Usage", "Credit", "", "Recurring", "Other", {"Dollars"}),
}


def test_every_item_has_an_explicit_focus_mapping():
    assert set(EXPECTED_FOCUS) == set(REGISTRY), "add the new line item's FOCUS mapping to EXPECTED_FOCUS"
    for name, (pos, neg, cls, freq, svc, units) in EXPECTED_FOCUS.items():
        fm = REGISTRY[name].focus
        assert (fm.charge_category, fm.negative_category, fm.charge_class, fm.charge_frequency, fm.service_category) \
            == (pos, neg, cls, freq, svc), name
        assert {PRICING_UNITS[u] for u in REGISTRY[name].units} == units, name


def test_focus_csv_rows_follow_the_registry(result):
    rows = rows_of(to_focus_csv(result))
    by_item: dict[str, list[dict]] = {}
    for r in rows:
        by_item.setdefault(r["x_LineItem"], []).append(r)
    assert set(by_item) == set(REGISTRY)
    for name, rs in by_item.items():
        pos, neg, cls, freq, svc, units = EXPECTED_FOCUS[name]
        for r in rs:
            billed = float(r["BilledCost"])
            assert r["ChargeCategory"] == (neg if billed < 0 else pos), (name, r)
            assert r["ChargeClass"] == cls and r["ChargeFrequency"] == freq and r["ServiceCategory"] == svc
            assert r["PricingUnit"] in units, (name, r["PricingUnit"])
    # the residual sale: negative BilledCost (proceeds), exported as a Credit, never as Usage
    sale = [r for r in by_item["residual"] if float(r["BilledCost"]) < 0]
    assert sale and all(r["ChargeCategory"] == "Credit" and r["PricingUnit"] == "Servers" for r in sale)
    assert all(r["ChargeCategory"] == "Adjustment" for r in by_item["residual"] if float(r["BilledCost"]) >= 0)
    # the reserved commitment left idle and the hybrid overflow have their own mapping (no default)
    assert all(r["ChargeFrequency"] == "Recurring" and r["PricingCategory"] == "Standard" for r in by_item["reserved_unused"])
    assert all(r["ProviderName"] == "inline price" for r in by_item["api_overflow"])


def test_focus_values_are_within_the_focus_lists(result):
    for r in rows_of(to_focus_csv(result)):
        assert r["ChargeCategory"] in FOCUS_CHARGE_CATEGORIES
        assert r["ChargeClass"] in FOCUS_CHARGE_CLASSES
        assert r["ChargeFrequency"] in FOCUS_CHARGE_FREQUENCIES
        assert r["ServiceCategory"] in FOCUS_SERVICE_CATEGORIES
        assert r["PricingUnit"] in set(PRICING_UNITS.values())


def test_dynamic_family_items(cat):
    """A family registers items named by the scenario: get() resolves them, items_for() lists them."""
    def make(name: str) -> LineItemDef:
        return LineItemDef(name=name, description=f"user cost line {name.split(':', 1)[1]}", unit="FTE",
                           group="self_host", cash=True, accrual=True, amount_key=name, quantity_key=name + "_qty",
                           applies=lambda p: False,
                           focus=FocusMapping("Usage", "Recurring", "Other", "User cost line", "Credit"))

    fam = LineItemFamily(prefix="test_line", names_in=lambda p: ["test_line:audit"] if p.kind == "self_host" else [],
                         make=make)
    line_items.register_family(fam)
    try:
        assert line_items.get("test_line:audit").description == "user cost line audit"
        assert line_items.validate(line_items.get("test_line:audit")) == []
        res = evaluate(every_item_scenario(), cat)
        names = [d.name for d in line_items.items_for([o.params for o in res.options])]
        assert names[:len(REGISTRY)] == list(REGISTRY) and names[len(REGISTRY):] == ["test_line:audit"]
        with pytest.raises(ValueError):
            line_items.register_family(fam)
    finally:
        line_items.FAMILIES.pop("test_line", None)
    with pytest.raises(KeyError):
        line_items.get("test_line:audit")


def test_no_module_imports_a_private_name_from_another():
    """No `from x import _name` and no `module._name` access across modules (tco/, views/, tests/, app.py)."""
    offenders = []
    files = [*ROOT.glob("tco/**/*.py"), *ROOT.glob("views/**/*.py"), *ROOT.glob("tests/**/*.py"),
             *ROOT.glob("benchmarks/*.py"), ROOT / "app.py"]
    modules = {p.stem for p in ROOT.glob("tco/**/*.py")} | {"tco"}
    for f in files:
        if not f.exists():
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] in modules | {""}:
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        offenders.append(f"{f.relative_to(ROOT)}:{node.lineno} imports {a.name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                offenders.append(f"{f.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not offenders, "\n".join(offenders)


def test_methodology_table_is_generated_from_the_registry():
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    block = text.split(line_items.DOC_START, 1)[1].split(line_items.DOC_END, 1)[0].strip()
    assert block == line_items.markdown_table(), "stale: run python -m tco.core.line_items"
    for name in REGISTRY:
        assert f"`{name}`" in (ROOT / "docs" / "finance.md").read_text(encoding="utf-8") or f"`{name}`" in block


def test_focus_billing_currency_is_an_iso_code(cat):
    """BillingCurrency is the scenario's ISO 4217 code (focus-validator's BillingCurrency_IsCurrencyCode, here
    without the validator's venv)."""
    import re

    s = every_item_scenario().model_dump()
    s["finance"] = {"currency": "EUR", "usd_to_currency": 0.9}
    rows = rows_of(to_focus_csv(evaluate(parse_scenario(s), cat)))
    assert rows and all(re.fullmatch(r"[A-Z]{3}", r["BillingCurrency"]) and r["BillingCurrency"] == "EUR" for r in rows)
