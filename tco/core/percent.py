"""Percent on screen, fractions in files: the one conversion, the plausibility limits, plain numbers.

Conventions: scenario files, the engine and every export keep shares, rates and growth as
fractions (0.08 = 8 %). Every page shows and accepts percent. :func:`to_percent` and
:func:`from_percent` are the only place the factor 100 lives; pages and
``tco.scenario.builder`` call them.

Plausibility: a value outside :data:`PLAUSIBLE` is not refused by the scenario model (a file may
mean it), but a page asks for an explicit confirmation and shows the reason
(:func:`implausible`). Numbers on screen never use scientific notation (:func:`plain_number`).
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterable, Optional

PERCENT_PER_FRACTION = 100.0  # [%] per 1.0 fraction


def to_percent(fraction: Optional[float]) -> Optional[float]:
    """percent [%] = fraction x 100 (None stays None); rounded to 10 decimals so 0.07 shows as 7, not 7.000000000000001."""
    if fraction is None:
        return None
    return round(float(fraction) * PERCENT_PER_FRACTION, 10)


def from_percent(percent: Optional[float]) -> Optional[float]:
    """fraction = percent [%] / 100 (None stays None); rounded to 12 decimals so 7 is stored as 0.07."""
    if percent is None:
        return None
    return round(float(percent) / PERCENT_PER_FRACTION, 12)


#: Upper plausibility limit per quantity [fraction] and the reason shown when a value is above it.
PLAUSIBLE: dict[str, tuple[float, str]] = {
    "growth_per_month": (1.0, "above 100 %/month traffic more than doubles every month (x4,096 in a year); "
                              "if you meant a fraction, type it as percent (8 for 8 %/month)"),
    "discount_rate": (0.5, "a discount rate above 50 %/year discounts the third year to less than a third of its "
                           "value; if you meant a fraction, type it as percent (7 for 7 %/year)"),
    "price_change_per_year": (1.0, "a price change above +100 %/year doubles the price every year; if you meant a "
                                   "fraction, type it as percent (-30 for 30 % cheaper each year)"),
}


def implausible(quantity: str, fraction: Optional[float]) -> Optional[str]:
    """The reason ``fraction`` is implausible for ``quantity`` (a key of :data:`PLAUSIBLE`), else None."""
    if fraction is None or quantity not in PLAUSIBLE:
        return None
    limit, reason = PLAUSIBLE[quantity]
    if fraction > limit:
        return f"{plain_number(to_percent(fraction))} % is implausible: {reason}."
    return None


def plain_number(x: Optional[float], digits: int = 4) -> str:
    """``x`` with about ``digits`` significant figures and thousands separators, never in scientific notation
    (150000 -> '150,000'; 0.00012 -> '0.00012'; 2.5e39 -> '2,500,000,000,...')."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a" if x is None or x != x else ("inf" if x > 0 else "-inf")
    x = float(x)
    if x == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(x))))
    decimals = max(0, digits - 1 - magnitude)
    if decimals == 0:  # large: whole units; beyond 1e15 `digits` significant figures (no float noise)
        return f"{round(x):,}" if abs(x) < 1e15 else f"{Decimal(f'{x:.{digits}g}'):,.0f}"
    text = f"{round(x, decimals):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def shown_as_percent(x: Optional[float], unit: str) -> tuple[Optional[float], str]:
    """``(value, unit)`` as a page shows them: a unit starting with 'fraction' becomes percent
    ('fraction per year', 0.07 -> (7, '% per year'); 'fraction', 0.7 -> (70, '%')); any other unit is unchanged."""
    if unit.startswith("fraction"):
        return to_percent(x), "%" + unit[len("fraction"):]
    return x, unit


def shown_row(row: dict, fields: Iterable[str], unit_key: str = "unit") -> dict:
    """A catalog record (e.g. an assumption) as a page shows it: when ``row[unit_key]`` is a fraction, each of
    ``fields`` (value, low, high...) in percent and the unit with '%' (:func:`shown_as_percent`)."""
    unit = row.get(unit_key)
    if not isinstance(unit, str) or not unit.startswith("fraction"):
        return dict(row)
    out = dict(row)
    for f in fields:
        if isinstance(out.get(f), (int, float)) and not isinstance(out.get(f), bool):
            out[f] = to_percent(out[f])
    out[unit_key] = shown_as_percent(None, unit)[1]
    return out


def display_value(x: Optional[float], unit: str) -> str:
    """A value with its unit for labels: fractions become percent ('fraction/month' 0.03 -> '3 %/month')."""
    value, shown = shown_as_percent(x, unit)
    if shown != unit:
        return f"{plain_number(value)} {shown}"
    return f"{plain_number(x)} {unit}".rstrip()
