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
* ChargeCategory, ChargeClass, ChargeFrequency, ServiceCategory, the ChargeDescription stem and the
  PricingUnit come from the line-item registry (:mod:`tco.line_items`), one declaration per item; a row
  with BilledCost < 0 (residual sale proceeds) takes the item's negative category (``Credit``).
  ChargeClass is empty (null): a forecast has no corrections.
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
from .line_items import PRICING_UNITS
from .line_items import get as line_item

FOCUS_COLUMNS = [
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency",
    "BilledCost", "EffectiveCost", "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "PricingCategory", "PricingQuantity", "PricingUnit", "ServiceCategory", "ServiceName", "ProviderName",
    "x_Scenario", "x_Option", "x_LineItem", "x_InputTokens", "x_OutputTokens",
]

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


def provider_and_service(result: Result, o: OptionResult, line_item: str) -> tuple[str, str]:
    """(ProviderName, ServiceName) of an option's line item: the API provider and model, the rental provider
    and offer, "Self-hosted" for owned servers and staff; the overflow API's for ``api_overflow``."""
    p = o.params
    if o.kind == "api":
        provider = p.provider or (o.ref_id.split("/")[0] if "/" in o.ref_id else "inline price")
        return provider, p.service or o.ref_id
    gpu = p.gpu
    if line_item in ("rent", "reserved_unused"):
        return p.provider or "inline price", p.service or f"GPU rental ({gpu})"
    if line_item == "api_overflow" and p.overflow is not None:
        ov = p.overflow
        return ov.provider or (ov.ref_id.split("/")[0] if "/" in ov.ref_id else "inline price"), ov.service or ov.ref_id
    return "Self-hosted", f"Owned GPU servers ({gpu})" if o.payment == "own" else f"Self-hosted {o.ref_id}"


def focus_rows(result: Result) -> list[list[str]]:
    """The CSV rows (strings) in FOCUS_COLUMNS order. Raises KeyError for a line item missing from the
    registry and ValueError for a unit without a FOCUS PricingUnit (never a silent default)."""
    fi = result.finance_inputs
    currency = fi.get("currency") or result.scenario.finance.currency
    rate = float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency)
    scen = safe_cell(result.scenario.name)
    rows = []
    for o in result.options:
        opt = safe_cell(o.name)
        pricing = PRICING_CATEGORY.get(o.params.pricing, "Standard") if o.payment == "rent" else "Standard"
        for m, label in enumerate(result.months):
            start, end = period(label)
            for k, li in enumerate(o.line_items.values()):
                d = line_item(li.name)
                fm = d.focus
                if li.unit not in PRICING_UNITS:
                    raise ValueError(f"line item {li.name!r}: unit {li.unit!r} has no FOCUS PricingUnit (tco.line_items)")
                provider, service = provider_and_service(result, o, li.name)
                first = k == 0
                billed = float(li.cash_usd[m]) * rate
                rows.append([
                    start, end, start, end, currency,
                    decimal(billed), decimal(li.accrual_usd[m] * rate),
                    fm.category_for(round(billed, 6)), fm.charge_class, fm.charge_frequency,
                    safe_cell(f"{o.name}: {fm.charge_description}, {label}"),
                    pricing if li.name in ("rent", "reserved_unused") else "Standard",
                    decimal(li.quantity[m]), PRICING_UNITS[li.unit],
                    fm.service_category, safe_cell(service), safe_cell(provider),
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
