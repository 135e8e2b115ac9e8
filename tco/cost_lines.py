"""Catalog cost lines -> scenario cost lines (the app's one-click additions; docs/data.md, cost_lines).

A :class:`tco.catalog.CostLineEntry` gives a sourced amount, a share of server capex or a price per GB;
:func:`scenario_cost_line` turns it into one ``costs:`` entry of a scenario (a plain dict, validated by
:class:`tco.scenario.CostLine`), with the catalog's source and the conversion in ``notes``.
"""
from __future__ import annotations

from typing import Optional, Union

from . import costs
from .catalog import CostLineEntry


class CostLineInputError(ValueError):
    """A catalog cost line needs an input the scenario does not give (the message says which)."""


def scenario_cost_line(entry: CostLineEntry, *, name: Optional[str] = None,
                       applies_to: Union[str, list[str], None] = None,
                       server_price_usd: Optional[float] = None, depreciation_years: Optional[float] = None,
                       egress_gb_per_million_tokens: Optional[float] = None) -> dict:
    """The scenario cost line for a catalog entry [dict for ``Scenario.costs``].

    amount_usd = entry.amount_usd, or share_of_server_capex x server_price_usd / (12 x depreciation_years)
    [USD/server-month], or usd_per_gb x egress_gb_per_million_tokens [USD / 1M tokens].
    Raises CostLineInputError naming the missing input.
    """
    how = ""
    if entry.amount_usd is not None:
        amount = entry.amount_usd
    elif entry.share_of_server_capex is not None:
        if server_price_usd is None or depreciation_years is None:
            raise CostLineInputError(f"cost line '{entry.id}' is a share of server capex: it needs an owned option's "
                                     "server price and depreciation life")
        life = round(12 * depreciation_years)
        amount = costs.share_of_capex_per_server_month(entry.share_of_server_capex, server_price_usd, life)
        how = (f"{entry.share_of_server_capex:g} x server price {server_price_usd:,.0f} USD / {life} months "
               f"= {amount:,.2f} USD per server-month")
    else:
        if egress_gb_per_million_tokens is None:
            raise CostLineInputError(f"cost line '{entry.id}' is priced per GB: set workload.egress_gb_per_million_tokens "
                                     "(no sourced default exists; measure your responses)")
        amount = costs.egress_usd_per_million_tokens(entry.usd_per_gb, egress_gb_per_million_tokens)
        how = (f"{entry.usd_per_gb:g} USD/GB x {egress_gb_per_million_tokens:g} GB per 1M tokens "
               f"= {amount:g} USD per 1M tokens")
    line = {"name": name or entry.name, "kind": entry.line_kind, "amount_usd": round(float(amount), 6),
            "applies_to": applies_to if applies_to is not None else entry.applies_to,
            "source": f"{entry.source.strip()} (as of {entry.as_of}; catalog cost_lines: {entry.id})"}
    if entry.amortize_months is not None:
        line["amortize_months"] = entry.amortize_months
    line["notes"] = "; ".join(x for x in (f"{entry.unit}", how) if x)
    return line


__all__ = ["scenario_cost_line", "CostLineInputError"]
