"""Catalog cost lines -> scenario cost lines (the app's one-click additions; docs/data.md, cost_lines).

A :class:`tco.catalog.CostLineEntry` gives a sourced amount, a share of server capex or a price per GB;
:func:`scenario_cost_line` turns it into one ``costs:`` entry of a scenario (a plain dict, validated by
:class:`tco.scenario.CostLine`), with the catalog's source and the conversion in ``notes``.
"""
from __future__ import annotations

from typing import Optional, Union

from tco.catalog import CostLineEntry
from tco.model import costs


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




#: editor table columns of a scenario cost line (the app's "Costs beyond GPUs" editor)
ROW_COLUMNS = ("name", "kind", "amount_usd", "applies_to", "month", "first_month", "last_month", "amortize_months",
               "source", "notes")


def lines_to_rows(lines: list[dict]) -> list[dict]:
    """Scenario ``costs:`` entries -> editor rows: ``applies_to`` a list of names joined by "; ", ``months``
    split into first_month / last_month."""
    rows = []
    for c in lines or []:
        a = c.get("applies_to", "all")
        months = c.get("months") or [None, None]
        rows.append({"name": c.get("name"), "kind": c.get("kind"), "amount_usd": c.get("amount_usd"),
                     "applies_to": "; ".join(a) if isinstance(a, list) else a, "month": c.get("month"),
                     "first_month": months[0], "last_month": months[1], "amortize_months": c.get("amortize_months"),
                     "source": c.get("source"), "notes": c.get("notes")})
    return rows


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def rows_to_lines(rows: list[dict]) -> list[dict]:
    """Editor rows -> scenario ``costs:`` entries (blank cells dropped; validation is the scenario's job).

    ``applies_to``: all, api, self_host, rent, own, or option names separated by ";".
    """
    out = []
    for r in rows or []:
        if all(_blank(r.get(k)) for k in ROW_COLUMNS):
            continue
        c: dict = {}
        for k in ("name", "kind", "month", "source", "notes"):
            if not _blank(r.get(k)):
                c[k] = str(r[k]).strip()
        if not _blank(r.get("amount_usd")):
            c["amount_usd"] = r["amount_usd"]
        if not _blank(r.get("amortize_months")):
            v = r["amortize_months"]
            c["amortize_months"] = int(v) if isinstance(v, float) and v.is_integer() else v
        a = r.get("applies_to")
        if not _blank(a):
            a = str(a).strip()
            names = [x.strip() for x in a.split(";") if x.strip()]
            c["applies_to"] = a if (len(names) == 1 and a in ("all", "api", "self_host", "rent", "own")) else names
        if not _blank(r.get("first_month")) or not _blank(r.get("last_month")):
            c["months"] = [None if _blank(r.get("first_month")) else str(r["first_month"]).strip(),
                           None if _blank(r.get("last_month")) else str(r["last_month"]).strip()]
        out.append(c)
    return out


__all__ = ["scenario_cost_line", "CostLineInputError", "lines_to_rows", "rows_to_lines", "ROW_COLUMNS"]
