"""FOCUS-aligned CSV of a forecast (column names and meanings of FinOps FOCUS 1.2).

It is a FORECAST, so it is FOCUS-aligned, not a conformant FOCUS billing dataset: mandatory billing
columns such as BillingAccountId or InvoiceIssuerName have no meaning here and are left out
(docs/finance.md has the full mapping).

Conventions:
* One row per option x month x line item, in the order of the long CSV.
* Periods are UTC ISO 8601 ``YYYY-MM-DDTHH:mm:ssZ`` with an inclusive start and exclusive end
  (a month row of 2027-01 runs 2027-01-01T00:00:00Z .. 2027-02-01T00:00:00Z). Charge and billing
  periods are both the calendar month.
* BilledCost = cash view (capex in the purchase month); EffectiveCost = accrual view (depreciation).
  A capex row is ChargeCategory Purchase with BilledCost > 0 and EffectiveCost = 0, as FOCUS marks
  prepayments; sum BilledCost for cash and EffectiveCost for accrual, never both.
* Costs are in ``BillingCurrency`` = scenario ``finance.currency``, converted from USD with the one
  rate ``finance.usd_to_currency``. Decimals use '.', no thousands separators, up to 6 decimals.
* x_InputTokens / x_OutputTokens are the tokens the option serves in the month. They are written on the
  option's first line-item row of each month only (0 elsewhere) so that summing the column never
  double counts.
* Every text cell from a user or a data file goes through :func:`tco.export.safe_cell`.
"""
from __future__ import annotations

import csv
import io

from .engine import OptionResult, Result
from .export import safe_cell

FOCUS_COLUMNS = [
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency",
    "BilledCost", "EffectiveCost", "ChargeCategory", "ChargeFrequency", "ChargeDescription", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ServiceCategory", "ServiceName", "ProviderName",
    "x_Scenario", "x_Option", "x_LineItem", "x_InputTokens", "x_OutputTokens",
]

#: line item -> (ChargeCategory, ChargeFrequency, ServiceCategory, description)
LINE_ITEM_FOCUS = {
    "api": ("Usage", "Usage-Based", "AI and Machine Learning", "API tokens"),
    "rent": ("Usage", "Usage-Based", "Compute", "GPU rental"),
    "capex": ("Purchase", "One-Time", "Compute", "GPU server purchase"),
    "depreciation": ("Usage", "Recurring", "Compute", "GPU server depreciation (straight line)"),
    "power": ("Usage", "Usage-Based", "Other", "Electricity"),
    "colo": ("Usage", "Recurring", "Other", "Colocation"),
    "maintenance": ("Usage", "Recurring", "Compute", "Hardware maintenance"),
    "staff": ("Usage", "Recurring", "Other", "Operations staff"),
    # issue 19
    "fine_tuning": ("Usage", "Usage-Based", "AI and Machine Learning", "Fine-tuning runs"),
    "router": ("Usage", "Usage-Based", "AI and Machine Learning", "Router / gateway"),
}
_DEFAULT_FOCUS = ("Usage", "Usage-Based", "Other", "")

#: engine unit -> FOCUS UnitFormat pricing unit
PRICING_UNITS = {
    "1M tokens": "1000000 Tokens",
    "GPU-hours": "GPU-Hours",
    "instance-hours": "Instance-Hours",
    "servers": "Servers",
    "kWh": "Kilowatt-Hours",
    "kW-months": "Kilowatt-Months",
    "FTE": "FTE-Months",
    "1M training tokens": "1000000 Tokens",
}

#: rental pricing type -> FOCUS PricingCategory
PRICING_CATEGORY = {"on_demand": "Standard", "spot": "Dynamic", "reserved": "Committed"}


def period(label: str) -> tuple[str, str]:
    """(inclusive start, exclusive end) of month ``YYYY-MM`` as UTC ISO 8601."""
    y, m = (int(x) for x in label.split("-"))
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-01T00:00:00Z", f"{ny:04d}-{nm:02d}-01T00:00:00Z"


def decimal(x: float) -> str:
    """A FOCUS decimal: plain notation, '.', no separators, at most 6 decimals."""
    v = round(float(x), 6)
    if v == 0:
        return "0"
    return f"{v:.6f}".rstrip("0").rstrip(".")


def _provider_and_service(result: Result, o: OptionResult, line_item: str) -> tuple[str, str]:
    p = o.params
    if o.kind == "api":
        provider = p.get("provider") or (o.ref_id.split("/")[0] if "/" in o.ref_id else "inline price")
        return provider, p.get("service") or o.ref_id
    gpu = ""
    for so in result.scenario.options:
        if so.name == o.name and so.self_host is not None:
            gpu = so.self_host.gpu
    if line_item == "rent":
        return p.get("provider") or "inline price", p.get("service") or f"GPU rental ({gpu})"
    return "Self-hosted", f"Owned GPU servers ({gpu})" if o.payment == "own" else f"Self-hosted {o.ref_id}"


def focus_rows(result: Result) -> list[list[str]]:
    """The CSV rows (strings) in FOCUS_COLUMNS order."""
    fi = result.finance_inputs
    currency = fi.get("currency") or result.scenario.finance.currency
    rate = float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency)
    scen = safe_cell(result.scenario.name)
    rows = []
    for o in result.options:
        opt = safe_cell(o.name)
        pricing = PRICING_CATEGORY.get(o.params.get("pricing", ""), "Standard") if o.payment == "rent" else "Standard"
        for m, label in enumerate(result.months):
            start, end = period(label)
            for k, li in enumerate(o.line_items.values()):
                cat, freq, svc_cat, desc = LINE_ITEM_FOCUS.get(li.name, _DEFAULT_FOCUS)
                provider, service = _provider_and_service(result, o, li.name)
                first = k == 0
                rows.append([
                    start, end, start, end, currency,
                    decimal(li.cash_usd[m] * rate), decimal(li.accrual_usd[m] * rate),
                    cat, freq, safe_cell(f"{o.name}: {desc or li.name}, {label}"),
                    pricing if li.name == "rent" else "Standard",
                    decimal(li.quantity[m]), PRICING_UNITS.get(li.unit, li.unit),
                    svc_cat, safe_cell(service), safe_cell(provider),
                    scen, opt, li.name,
                    decimal(o.input_tokens[m]) if first else "0", decimal(o.output_tokens[m]) if first else "0",
                ])
    return rows


def to_focus_csv(result: Result) -> bytes:
    """The FOCUS-aligned CSV (UTF-8, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FOCUS_COLUMNS)
    w.writerows(focus_rows(result))
    return buf.getvalue().encode("utf-8")
