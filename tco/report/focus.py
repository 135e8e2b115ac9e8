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
  PricingUnit come from the line-item registry (:mod:`tco.core.line_items`), one declaration per item; a row
  with BilledCost < 0 (residual sale proceeds) takes the item's negative category (``Credit``).
  ChargeClass is empty (null): a forecast has no corrections.
* Costs are in ``BillingCurrency`` = scenario ``finance.currency``, converted from USD with the one
  rate ``finance.usd_to_currency``. Decimals use '.', no thousands separators, up to 6 decimals.
* x_InputTokens / x_OutputTokens are the tokens the option serves in the month. They are written on the
  option's first line-item row of each month only (0 elsewhere) so that summing the column never
  double counts.
* Every text cell from a user or a data file goes through :func:`tco.report.export.safe_cell`.

One option or all (issue 20): the options of a scenario are ALTERNATIVES, so a sum over rows of several
options means nothing. :func:`to_focus_csv` with ``option=NAME`` writes that option only (the CLI and the
app default to the cheapest); ``option=None`` writes all of them with ``x_Option`` moved to the FIRST
column (:data:`FOCUS_COLUMNS_ALL`): filter on it before summing.

Tokens (FOCUS work on AI costs, 1.5 drafts): an API line item (``api``, ``api_overflow``) is written as
one row per token direction and cache action: input, cached input read, cache write, output, and batch
input / batch output when the scenario sends a batch share. Each row has ``ConsumedQuantity`` [tokens]
and ``ConsumedUnit`` = Tokens, ``PricingQuantity`` [1M tokens], the cost of those tokens, and
``SkuPriceDetails`` (a JSON object: model identity, token direction, cache action, batch, unit price);
``x_TokenType`` repeats the direction for filters. The rows of a month add up to the line item.
``x_Forecast`` is ``true`` on every row: this is a forecast, not a bill.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Optional

import numpy as np

from tco.core.line_items import PRICING_UNITS
from tco.core.line_items import get as line_item
from tco.engine import OptionResult, Result, price_trend_factor
from tco.report.export import safe_cell

FOCUS_COLUMNS = [
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency",
    "BilledCost", "EffectiveCost", "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "PricingCategory", "PricingQuantity", "PricingUnit", "ServiceCategory", "ServiceName", "ProviderName",
    "ConsumedQuantity", "ConsumedUnit", "SkuPriceDetails",
    "x_Scenario", "x_Option", "x_LineItem", "x_TokenType", "x_InputTokens", "x_OutputTokens", "x_Forecast",
]
#: all options in one file: x_Option first, so nobody sums alternatives by mistake
FOCUS_COLUMNS_ALL = ["x_Option"] + [c for c in FOCUS_COLUMNS if c != "x_Option"]
TOKEN_ITEMS = ("api", "api_overflow")

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
    if o.kind == "route":  # issue 19: only the router is the route's own (focus_rows lists its parts' rows)
        return "Route", f"{o.name} (router)"
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


def token_splits(result: Result, o: OptionResult, item: str) -> list[tuple[str, str, bool, np.ndarray, float]]:
    """(token direction, cache action, batch, tokens per month, price [USD / 1M tokens]) of an API line item.

    With input and output tokens I, O per month, shares c (cached read), w (cache write), b (batch):
    input I(1-b)(1-c-w) at p_in, cached read I(1-b)c at p_cached, cache write I(1-b)w at p_write,
    output O(1-b) at p_out, batch input I b at p_batch_in, batch output O b at p_batch_out. Cost of a row
    = tokens x price / 1e6 x the API price trend factor of the month; the rows add up to tco.model.costs.api_cost.
    Rows whose share is 0 are left out.
    """
    w = result.scenario.workload
    c, b = float(w.cached_input_share), float(w.batch_share)
    cw = float(getattr(w, "cache_write_share", 0.0) or 0.0)
    if item == "api":
        prices, i_tok, o_tok = o.params.prices, np.asarray(o.input_tokens, float), np.asarray(o.output_tokens, float)
    else:
        ov = o.fleet.overflow_requests if o.fleet is not None else None
        if ov is None or o.params.overflow is None:
            return []
        prices = o.params.overflow.prices
        i_tok, o_tok = np.asarray(ov, float) * w.input_tokens, np.asarray(ov, float) * w.output_tokens
    rows = [("input", "none", False, i_tok * (1 - b) * (1 - c - cw), prices.input),
            ("input", "read", False, i_tok * (1 - b) * c, prices.cached_input),
            ("input", "write", False, i_tok * (1 - b) * cw, prices.cache_write),
            ("output", "none", False, o_tok * (1 - b), prices.output),
            ("input", "none", True, i_tok * b, prices.batch_input),
            ("output", "none", True, o_tok * b, prices.batch_output)]
    shares = [(1 - b) * (1 - c - cw), (1 - b) * c, (1 - b) * cw, 1 - b, b, b]
    return [r for r, sh in zip(rows, shares) if sh > 0]


_TOKEN_TYPE = {("input", "none", False): "input", ("input", "read", False): "cached input read",
               ("input", "write", False): "cache write", ("output", "none", False): "output",
               ("input", "none", True): "batch input", ("output", "none", True): "batch output"}


def _model_identity(o: OptionResult, item: str) -> dict:
    p = o.params.overflow if item == "api_overflow" else o.params
    return {"x_ModelId": p.ref_id, "x_ModelName": p.service or p.ref_id, "x_ModelProvider": p.provider or ""}


def focus_rows(result: Result, option: Optional[str] = None) -> list[list[str]]:
    """The CSV rows (strings) in FOCUS_COLUMNS order: one option (``option``) or all of them (None). Raises
    KeyError for a line item missing from the registry and ValueError for a unit without a FOCUS PricingUnit
    (never a silent default)."""
    if option is not None and option not in [o.name for o in result.options]:
        raise ValueError(f"unknown option '{option}'; options: {', '.join(o.name for o in result.options)}")
    fi = result.finance_inputs
    currency = fi.get("currency") or result.scenario.finance.currency
    rate = float(fi.get("usd_to_currency") or result.scenario.finance.usd_to_currency)
    scen = safe_cell(result.scenario.name)
    rows = []
    trend = price_trend_factor(len(result.months), float(fi.get("api_price_change_per_year") or 0.0))
    for o in result.options:
        if option is not None and o.name != option:
            continue
        opt = safe_cell(o.name)
        # a route's rows are its parts' rows (each with its own provider and unit) plus its router (issue 19)
        entries = [(o, li) for li in o.line_items.values()] if o.kind != "route" else \
            [(pr.result, li) for pr in o.parts for li in pr.result.line_items.values()] \
            + [(o, li) for li in o.line_items.values() if li.name == "router"]
        # token rows of an API item, per entry (a route part's tokens are its share's)
        splits = {k: (token_splits(result, src, li.name) if li.name in TOKEN_ITEMS else [])
                  for k, (src, li) in enumerate(entries)}
        for m, label in enumerate(result.months):
            start, end = period(label)
            for k, (src, li) in enumerate(entries):
                pricing = PRICING_CATEGORY.get(src.params.pricing, "Standard") if src.payment == "rent" else "Standard"
                fm = li.focus if li.focus is not None else line_item(li.name).focus  # cost lines carry their own
                if li.unit not in PRICING_UNITS:
                    raise ValueError(f"line item {li.name!r}: unit {li.unit!r} has no FOCUS PricingUnit (tco.core.line_items)")
                provider, service = provider_and_service(result, src, li.name)
                first = k == 0
                parts = splits.get(k) or []
                costs_m = [float(tok[m]) * price / 1e6 * float(trend[m]) for _, _, _, tok, price in parts]
                if not parts or abs(sum(costs_m) - float(li.cash_usd[m])) > 1e-6 * max(1.0, abs(float(li.cash_usd[m]))):
                    parts, costs_m = [], []  # never silently wrong: one row for the item when the split does not add up
                if not parts:
                    parts, costs_m = [None], [float(li.cash_usd[m])]
                for j, (part, cost) in enumerate(zip(parts, costs_m)):
                    billed = cost * rate
                    accrual = billed if part is not None else float(li.accrual_usd[m]) * rate
                    if part is None:
                        qty, consumed, unit_c, sku, ttype = decimal(li.quantity[m]), "", "", "", ""
                    else:
                        direction, cache, batch, tok, price = part
                        ttype = _TOKEN_TYPE[(direction, cache, batch)]
                        qty, consumed, unit_c = decimal(float(tok[m]) / 1e6), decimal(tok[m]), "Tokens"
                        sku = safe_cell(json.dumps({**_model_identity(src, li.name), "x_TokenDirection": direction,
                                                    "x_CacheAction": cache, "x_Batch": batch,
                                                    "x_ListPriceUsdPer1MTokens": round(float(price), 6),
                                                    "x_PriceTrendFactor": round(float(trend[m]), 6)},
                                                   ensure_ascii=False, separators=(",", ":")))
                    desc = f"{o.name}: {fm.charge_description}" + (f" ({ttype})" if ttype else "") + f", {label}"
                    rows.append([
                        start, end, start, end, currency,
                        decimal(billed), decimal(accrual),
                        fm.category_for(round(billed, 6)), fm.charge_class, fm.charge_frequency,
                        safe_cell(desc),
                        pricing if li.name in ("rent", "reserved_unused") else "Standard",
                        qty, PRICING_UNITS[li.unit],
                        fm.service_category, safe_cell(service), safe_cell(provider),
                        consumed, unit_c, sku,
                        scen, opt, li.name, ttype,
                        decimal(o.input_tokens[m]) if first and j == 0 else "0",
                        decimal(o.output_tokens[m]) if first and j == 0 else "0",
                        "true",
                    ])
    return rows


def to_focus_csv(result: Result, option: Optional[str] = None) -> bytes:
    """The FOCUS-aligned CSV (UTF-8, ``\\n`` line ends) of one option, or of all options (``option=None``,
    x_Option first: the options are alternatives, filter before summing)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    rows = focus_rows(result, option)
    if option is None:
        pos = FOCUS_COLUMNS.index("x_Option")
        w.writerow(FOCUS_COLUMNS_ALL)
        w.writerows([r[pos]] + r[:pos] + r[pos + 1:] for r in rows)
    else:
        w.writerow(FOCUS_COLUMNS)
        w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def default_option(result: Result) -> Optional[str]:
    """The option a FOCUS export writes by default: the cheapest over the horizon (cash)."""
    c = result.cheapest
    return c.name if c is not None else None
