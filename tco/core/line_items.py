"""The line-item registry: one declaration per cost line, read by the compute core, exports, charts and docs.

Each :class:`LineItemDef` says, once:

* ``name``, ``description``, ``unit`` (the unit of its monthly quantity, e.g. ``GPU-hours``);
* ``cash`` / ``accrual``: whether it counts in the cash view (money leaves when paid) and in the
  accrual view (cost recognised over time, e.g. depreciation). ``residual`` counts in both with a
  different amount in each (``accrual_key``);
* ``group``: which rows of the compute core produce it (``"api"`` options or ``"self_host"`` options;
  ``"any"``: both kernels, e.g. ``fine_tuning``; ``"route"``: route options, outside the core, e.g. ``router``),
  and ``amount_key`` / ``accrual_key`` / ``quantity_key``: the names of the arrays the core's kernels
  (:func:`tco.engine.api_kernel`, :func:`tco.engine.self_host_group_kernel`) return for it;
* ``applies(params)``: whether an option (a resolved :mod:`tco.model.records` record) has this line at all
  (an option without the line shows no row; the core's amount for it is an exact zero);
* ``focus``: its FinOps FOCUS mapping (ChargeCategory, ChargeClass, ChargeFrequency, ServiceCategory,
  the ChargeCategory of negative amounts such as sale proceeds) and the FOCUS PricingUnit of each
  engine unit (:data:`PRICING_UNITS`).

The registry's order is the order of the line items in every export and the order in which the core
adds them up (so every caller gets the same floating-point sums).

How to add a line item
----------------------
1. Write its formula as one pure, broadcasting function in :mod:`tco.model.costs` (formula and units in the
   docstring) and restate it in docs/methodology.md.
2. Compute it in the kernel of its group into ``out["<amount_key>"]`` and ``out["<quantity_key>"]``
   (the quantity only when ``quantities`` is true), shape ``(..., rows, months)``: API items in
   :func:`tco.engine.api_kernel`; self-host items in :func:`tco.engine.self_host_group_kernel`, which runs
   once per :class:`tco.engine.RowGroup` (rows sharing the way to pay and fleet features; owned-server
   items in ``tco.engine._own_items``). The core adds an item only for groups where ``applies`` is true for
   some row, so the kernel must give exact zeros on the other rows of the group. New per-option inputs go
   into the record (:class:`tco.model.records.SelfHostParams`, resolved in :func:`tco.engine.resolve_self_host_option`)
   and into :func:`tco.engine.stack_self_host` (a new 0/1 feature flag that changes what is computed also
   goes into :class:`tco.engine.RowGroup` and :func:`tco.engine.row_groups`).
3. ``register(LineItemDef(...))`` below, at the position it should take in exports. Every field is
   required; :func:`validate` (run by tests/test_line_items.py) fails on an incomplete entry, a FOCUS
   value outside the FOCUS 1.2 lists, or a unit without a PricingUnit.
4. Add its expected FOCUS mapping to ``EXPECTED_FOCUS`` in tests/test_line_items.py (the test fails until
   you do) and regenerate the table in docs/methodology.md: ``python -m tco.core.line_items``.

Items whose name comes from the scenario (DYNAMIC items, e.g. user-named cost lines ``cost_line:audit``)
are declared once as a :class:`LineItemFamily`: ``register_family(LineItemFamily(prefix="cost_line",
names_in=lambda params: [...], make=lambda name: LineItemDef(name=name, amount_key=name, ...)))``.
``names_in(params)`` lists the family's item names an option has (read from its record); ``make(name)``
builds the complete definition for one of them (the kernel writes ``out[name]``). :func:`get` resolves
``"cost_line:audit"`` through the family, and :func:`items_for` lists the static items followed by the
dynamic ones of a stack of options, in that order.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Optional, Sequence

#: FOCUS 1.2 ChargeCategory values
FOCUS_CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
#: FOCUS 1.2 ChargeClass: null (written as an empty cell) for regular charges; "Correction" for corrections
#: of a previous billing period (never produced by a forecast)
FOCUS_CHARGE_CLASSES = ("", "Correction")
#: FOCUS 1.2 ChargeFrequency values
FOCUS_CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
#: FOCUS 1.2 ServiceCategory values
FOCUS_SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools",
    "Multicloud", "Identity", "Integration", "Internet of Things", "Management and Governance", "Media",
    "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other")

#: engine unit -> FOCUS PricingUnit (FOCUS UnitFormat: "<count> <plural unit>" or "<Unit>-<Time unit>s")
PRICING_UNITS = {
    "1M tokens": "1000000 Tokens",
    "GPU-hours": "GPU-Hours",
    "instance-hours": "Instance-Hours",
    "servers": "Servers",
    "servers sold": "Servers",
    "kWh": "Kilowatt-Hours",
    "kW-months": "Kilowatt-Months",
    "FTE": "FTE-Months",
    "1M training tokens": "1000000 Tokens",
    # issue 18: cost lines, capital charge
    "one-off": "Units",
    "months": "Months",
    "GPU-months": "GPU-Months",
    "server-months": "Server-Months",
    "instance-months": "Instance-Months",
    "requests": "Requests",
    "USD book value": "Dollars",
}


@dataclass(frozen=True)
class FocusMapping:
    """How a line item's rows appear in the FOCUS CSV (:mod:`tco.report.focus`)."""

    charge_category: str  # FOCUS ChargeCategory of a row with BilledCost >= 0
    charge_frequency: str  # FOCUS ChargeFrequency
    service_category: str  # FOCUS ServiceCategory
    charge_description: str  # ChargeDescription stem: "<option>: <this>, <month>"
    negative_category: str  # ChargeCategory of a row with BilledCost < 0 (e.g. sale proceeds: "Credit")
    charge_class: str = ""  # FOCUS ChargeClass ("" = null: a regular charge, not a correction)

    def category_for(self, billed_cost: float) -> str:
        """ChargeCategory of one row: ``negative_category`` when the billed (cash) amount is negative."""
        return self.negative_category if billed_cost < 0 else self.charge_category


@dataclass(frozen=True)
class LineItemDef:
    """One line item (see the module docstring)."""

    name: str
    description: str
    unit: str  # unit of the monthly quantity (the default when ``unit_for`` is given)
    #: "api" | "self_host": which kernel computes it; "any": both; "route": route options (tco.model.routing);
    #: "all": cost lines, every option (tco.engine.cost_line_kernel)
    group: str
    cash: bool  # counts in the cash view
    accrual: bool  # counts in the accrual view
    amount_key: str  # kernel output [USD per month]: the cash amount (and the accrual amount unless accrual_key)
    quantity_key: str  # kernel output [unit per month]
    applies: Callable[[Any], bool]  # does an option (its resolved record) have this line?
    focus: FocusMapping
    accrual_key: str = ""  # kernel output of the accrual amount when it differs from the cash amount
    unit_for: Optional[Callable[[Any], str]] = None  # per-option unit (rent: GPU-hours or instance-hours)
    color: str = ""  # chart colour (#RRGGBB); "" = a palette colour picked from the name (tco.charts.line_item_color)

    def unit_of(self, params: Any) -> str:
        return self.unit_for(params) if self.unit_for is not None else self.unit

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit the item may carry (the ones :data:`PRICING_UNITS` must map)."""
        return tuple(UNIT_CHOICES.get(self.name, (self.unit,)))


@dataclass(frozen=True)
class LineItemFamily:
    """Line items whose names come from the scenario (``<prefix>:<name>``); see the module docstring."""

    prefix: str
    names_in: Callable[[Any], Iterable[str]]  # item names an option (resolved record) has
    make: Callable[[str], LineItemDef]  # the complete definition of one item name


#: which options compute an item: the API or the self-host kernel, both ("any"), or route options, whose items
#: are their parts' items plus their own (tco.engine.evaluate_route)
GROUPS = ("api", "self_host", "any", "route", "all")

REGISTRY: dict[str, LineItemDef] = {}
FAMILIES: dict[str, LineItemFamily] = {}
#: items whose unit depends on the option (unit_for): every unit they may take
UNIT_CHOICES: dict[str, tuple[str, ...]] = {}


def validate(item: LineItemDef) -> list[str]:
    """Problems of a definition (empty when complete and within the FOCUS 1.2 value lists)."""
    out = []
    for f in fields(item):
        v = getattr(item, f.name)
        if f.name in ("accrual_key", "unit_for", "color"):
            continue
        if v is None or (isinstance(v, str) and not v.strip()):
            out.append(f"{item.name or '?'}: {f.name} is empty")
    if item.group not in GROUPS:
        out.append(f"{item.name}: group must be one of {GROUPS}, got {item.group!r}")
    if not (item.cash or item.accrual):
        out.append(f"{item.name}: counts in neither the cash nor the accrual view")
    fm = item.focus
    if fm is None:
        return out + [f"{item.name}: no FOCUS mapping"]
    for attr in ("charge_frequency", "service_category", "charge_description", "charge_category", "negative_category"):
        if not str(getattr(fm, attr, "") or "").strip():
            out.append(f"{item.name}: focus.{attr} is empty")
    for attr in ("charge_category", "negative_category"):
        if getattr(fm, attr) not in FOCUS_CHARGE_CATEGORIES:
            out.append(f"{item.name}: focus.{attr} {getattr(fm, attr)!r} is not a FOCUS ChargeCategory")
    if fm.charge_class not in FOCUS_CHARGE_CLASSES:
        out.append(f"{item.name}: focus.charge_class {fm.charge_class!r} is not a FOCUS ChargeClass")
    if fm.charge_frequency not in FOCUS_CHARGE_FREQUENCIES:
        out.append(f"{item.name}: focus.charge_frequency {fm.charge_frequency!r} is not a FOCUS ChargeFrequency")
    if fm.service_category not in FOCUS_SERVICE_CATEGORIES:
        out.append(f"{item.name}: focus.service_category {fm.service_category!r} is not a FOCUS ServiceCategory")
    for u in item.units:
        if u not in PRICING_UNITS:
            out.append(f"{item.name}: unit {u!r} has no FOCUS PricingUnit in PRICING_UNITS")
    return out


def register(item: LineItemDef, units: Sequence[str] = ()) -> LineItemDef:
    """Add ``item`` to the registry (at the end of the order); ``units`` = every unit when it has ``unit_for``.

    Raises ValueError when the name is taken or the definition is incomplete (:func:`validate`).
    """
    if item.name in REGISTRY:
        raise ValueError(f"line item {item.name!r} is already registered")
    if units:
        UNIT_CHOICES[item.name] = tuple(units)
    problems = validate(item)
    if problems:
        UNIT_CHOICES.pop(item.name, None)
        raise ValueError("incomplete line item: " + "; ".join(problems))
    REGISTRY[item.name] = item
    return item


def register_family(family: LineItemFamily) -> LineItemFamily:
    """Add a family of dynamic line items (names ``<prefix>:<name>``). Raises ValueError when the prefix is taken."""
    if family.prefix in FAMILIES or ":" in family.prefix or not family.prefix:
        raise ValueError(f"line-item family prefix {family.prefix!r} is taken or invalid")
    FAMILIES[family.prefix] = family
    return family


def get(name: str) -> LineItemDef:
    """The definition of a static item or of a dynamic one (``<prefix>:<name>``). Raises KeyError when unknown."""
    if name in REGISTRY:
        return REGISTRY[name]
    prefix = name.split(":", 1)[0]
    if ":" in name and prefix in FAMILIES:
        return FAMILIES[prefix].make(name)
    raise KeyError(f"unknown line item {name!r}; registered: {', '.join(REGISTRY)}")


def names() -> tuple[str, ...]:
    """Static item names in registry order."""
    return tuple(REGISTRY)


def items_for(params: Sequence[Any]) -> list[LineItemDef]:
    """Static items, then the dynamic items any of ``params`` has (first-seen order)."""
    out = list(REGISTRY.values())
    seen: set[str] = set()
    for fam in FAMILIES.values():
        for p in params:
            for n in fam.names_in(p):
                if n not in seen:
                    seen.add(n)
                    out.append(fam.make(n))
    return out


def cash_and_accrual() -> dict[str, tuple[bool, bool]]:
    """line item -> (counts in cash, counts in accrual), in registry order."""
    return {n: (d.cash, d.accrual) for n, d in REGISTRY.items()}


# ----------------------------------------------------------------------------------------------
# The line items (registry order = export order = summation order)


def _is_api(p) -> bool:
    return getattr(p, "kind", "") == "api"


def _is_self_host(p) -> bool:
    return getattr(p, "kind", "") == "self_host"


def _rents(p) -> bool:
    return _is_self_host(p) and p.payment == "rent"


def _owns(p) -> bool:
    return _is_self_host(p) and p.payment == "own"


def _rent_unit(p) -> str:
    return "GPU-hours" if (p.rent_mode == "gpu" or p.has_reserved) else "instance-hours"


register(LineItemDef(
    name="api", color="#4E79A7", description="API bill for the tokens served (input, cached input, cache writes, output, batch)",
    unit="1M tokens", group="api", cash=True, accrual=True, amount_key="api", quantity_key="api_qty",
    applies=_is_api,
    focus=FocusMapping("Usage", "Usage-Based", "AI and Machine Learning", "API tokens", negative_category="Credit")))
register(LineItemDef(
    name="rent", color="#F28E2B", description="GPU rental (on-demand, spot, or the used part of a reservation)",
    unit="GPU-hours", group="self_host", cash=True, accrual=True, amount_key="rent", quantity_key="rent_qty",
    applies=_rents, unit_for=_rent_unit,
    focus=FocusMapping("Usage", "Usage-Based", "Compute", "GPU rental", negative_category="Credit")),
    units=("GPU-hours", "instance-hours"))
register(LineItemDef(
    name="reserved_unused", color="#9C755F", description="Reserved GPU-hours left idle, billed anyway (the commitment above the fleet)",
    unit="GPU-hours", group="self_host", cash=True, accrual=True, amount_key="reserved_unused",
    quantity_key="reserved_unused_qty", applies=lambda p: _rents(p) and p.has_reserved,
    focus=FocusMapping("Usage", "Recurring", "Compute", "Reserved GPU-hours not used (commitment)",
                       negative_category="Credit")))
register(LineItemDef(
    name="capex", color="#E15759", description="GPU server purchases, paid in the month bought (cash view only)",
    unit="servers", group="self_host", cash=True, accrual=False, amount_key="capex", quantity_key="capex_qty",
    applies=_owns,
    focus=FocusMapping("Purchase", "One-Time", "Compute", "GPU server purchase", negative_category="Credit")))
register(LineItemDef(
    name="depreciation", color="#FF9DA7", description="Straight-line depreciation of owned servers over round(12 x years) months "
    "(accrual view only)", unit="servers", group="self_host", cash=False, accrual=True, amount_key="depreciation",
    quantity_key="depreciation_qty", applies=_owns,
    focus=FocusMapping("Usage", "Recurring", "Compute", "GPU server depreciation (straight line)",
                       negative_category="Credit")))
register(LineItemDef(
    name="power", color="#EDC948", description="Electricity of owned servers (load factor x PUE)", unit="kWh", group="self_host",
    cash=True, accrual=True, amount_key="power", quantity_key="power_qty", applies=_owns,
    focus=FocusMapping("Usage", "Usage-Based", "Other", "Electricity", negative_category="Credit")))
register(LineItemDef(
    name="colo", color="#76B7B2", description="Colocation space and power capacity per kW", unit="kW-months", group="self_host",
    cash=True, accrual=True, amount_key="colo", quantity_key="colo_qty", applies=_owns,
    focus=FocusMapping("Usage", "Recurring", "Other", "Colocation", negative_category="Credit")))
register(LineItemDef(
    name="maintenance", color="#B07AA1", description="Hardware maintenance, a yearly share of the server price", unit="servers",
    group="self_host", cash=True, accrual=True, amount_key="maintenance", quantity_key="maintenance_qty",
    applies=_owns,
    focus=FocusMapping("Usage", "Recurring", "Compute", "Hardware maintenance", negative_category="Credit")))
register(LineItemDef(
    name="residual", color="#BAB0AC", description="Resale of owned servers: cash = -proceeds (at retirement or horizon end); "
    "accrual = book value written off - proceeds", unit="servers sold", group="self_host", cash=True, accrual=True,
    amount_key="residual", accrual_key="residual_accrual", quantity_key="residual_qty",
    applies=lambda p: _owns(p) and p.has_residual,
    # sale proceeds are money coming back, not usage: a negative BilledCost row is a Credit; a row with
    # BilledCost >= 0 (a book loss in the accrual view, or nothing sold) is an Adjustment of the purchase
    focus=FocusMapping("Adjustment", "One-Time", "Compute", "GPU server resale (residual value)",
                       negative_category="Credit")))
register(LineItemDef(
    name="staff", color="#59A14F", description="Operations staff (FTE x yearly cost / 12)", unit="FTE", group="self_host",
    cash=True, accrual=True, amount_key="staff", quantity_key="staff_qty", applies=_is_self_host,
    focus=FocusMapping("Usage", "Recurring", "Other", "Operations staff", negative_category="Credit")))
register(LineItemDef(
    name="api_overflow", color="#86BCB6", description="Hybrid: requests above the fixed fleet, billed by the overflow API",
    unit="1M tokens", group="self_host", cash=True, accrual=True, amount_key="api_overflow",
    quantity_key="api_overflow_qty", applies=lambda p: _is_self_host(p) and p.is_hybrid,
    focus=FocusMapping("Usage", "Usage-Based", "AI and Machine Learning", "Overflow API tokens",
                       negative_category="Credit")))
# issue 19 (docs/methodology.md sections 14-15)
register(LineItemDef(
    name="fine_tuning", description="Fine-tuning runs of a fine_tuned option, in the run months (self-hosted: "
    "GPU-hours x price; API: training tokens x the provider's price)", unit="GPU-hours", group="any", cash=True,
    accrual=True, amount_key="fine_tuning", quantity_key="fine_tuning_qty",
    applies=lambda p: getattr(p, "fine_tuning", None) is not None and getattr(p, "kind", "") != "route",
    unit_for=lambda p: p.fine_tuning.unit,
    focus=FocusMapping("Usage", "Usage-Based", "AI and Machine Learning", "Fine-tuning runs",
                       negative_category="Credit")),
    units=("GPU-hours", "1M training tokens"))
register(LineItemDef(
    name="router", description="Router / gateway price on every request's tokens (route options)",
    unit="1M tokens", group="route", cash=True, accrual=True, amount_key="router", quantity_key="router_qty",
    applies=lambda p: getattr(p, "kind", "") == "route" and p.router_usd_per_million_tokens is not None,
    focus=FocusMapping("Usage", "Usage-Based", "AI and Machine Learning", "Router / gateway",
                       negative_category="Credit")))


# ----------------------------------------------------------------------------------------------
# Issue 18: cost of capital, reserved terms, autoscale start-up (docs/methodology.md, sections 11-13)

register(LineItemDef(
    name="reserved_upfront", description="Reserved term: the upfront share of the commitment, paid in cash in the "
    "start month and accrued evenly over the term", unit="GPU-hours", group="self_host", cash=True, accrual=True,
    amount_key="reserved_upfront", accrual_key="reserved_upfront_accrual", quantity_key="reserved_upfront_qty",
    applies=lambda p: _rents(p) and p.has_reserved_term,
    focus=FocusMapping("Purchase", "One-Time", "Compute", "Reserved GPU term, upfront payment",
                       negative_category="Credit")))
register(LineItemDef(
    name="startup", description="Autoscale: GPU-hours billed while new replicas start, ahead of the hourly ramp",
    unit="GPU-hours", group="self_host", cash=True, accrual=True, amount_key="startup", quantity_key="startup_qty",
    applies=lambda p: _rents(p) and p.has_startup,
    focus=FocusMapping("Usage", "Usage-Based", "Compute", "GPU rental while replicas start", negative_category="Credit")))
register(LineItemDef(
    name="capital_charge", description="Cost of capital tied up in owned servers: book value at the start of the month "
    "x ((1 + discount_rate)^(1/12) - 1) (accrual view only)", unit="USD book value", group="self_host", cash=False,
    accrual=True, amount_key="capital_charge", quantity_key="capital_charge_qty",
    applies=lambda p: _owns(p) and p.include_capital_charge,
    focus=FocusMapping("Usage", "Recurring", "Other", "Cost of capital (book value x monthly rate)",
                       negative_category="Credit")))


# ----------------------------------------------------------------------------------------------
# Issue 18: the scenario's cost lines (``costs:``), one dynamic item per line, named by the line's ``name``.
# Family names are ``cost_line:<kind>:<name>``; the item itself (and every output) carries the plain name.

#: cost-line kind -> (ChargeCategory, ChargeFrequency, unit)
COST_LINE_KINDS = {
    "one_off": ("Purchase", "One-Time", "one-off"),
    "monthly": ("Usage", "Recurring", "months"),
    "per_gpu_month": ("Usage", "Recurring", "GPU-months"),
    "per_gpu_year": ("Usage", "Recurring", "GPU-months"),
    "per_server_month": ("Usage", "Recurring", "server-months"),
    "per_million_tokens": ("Usage", "Usage-Based", "1M tokens"),
    "per_request": ("Usage", "Usage-Based", "requests"),
}


def cost_line_key(name: str) -> str:
    """Kernel key of a cost line's cash amount (accrual: + ':accrual', quantity: + ':qty')."""
    return f"cost_line:{name}"


def _cost_line_names(p) -> list[str]:
    return [f"cost_line:{c.kind}:{c.name}" for c in getattr(p, "cost_lines", ())]


def _server_month_unit(p) -> str:
    """A per_server_month line counts instances on rented options, servers on owned ones."""
    return "instance-months" if getattr(p, "payment", "") == "rent" else "server-months"


def _make_cost_line(family_name: str) -> LineItemDef:
    _, kind, name = family_name.split(":", 2)
    category, frequency, unit = COST_LINE_KINDS[kind]
    key = cost_line_key(name)
    return LineItemDef(
        name=name, description=f"Cost line ({kind.replace('_', ' ')}) from the scenario", unit=unit, group="all",
        cash=True, accrual=True, amount_key=key, accrual_key=key + ":accrual", quantity_key=key + ":qty",
        applies=lambda p: name in {c.name for c in getattr(p, "cost_lines", ())},
        unit_for=_server_month_unit if kind == "per_server_month" else None,
        focus=FocusMapping(category, frequency, "Other", name, negative_category="Credit"))


register_family(LineItemFamily(prefix="cost_line", names_in=_cost_line_names, make=_make_cost_line))


# ----------------------------------------------------------------------------------------------
# Documentation generated from the registry (docs/methodology.md, between the markers below)

DOC_START = "<!-- line-items:start (generated from tco/core/line_items.py: python -m tco.core.line_items) -->"
DOC_END = "<!-- line-items:end -->"


def markdown_table() -> str:
    """The registry as a markdown table: views, units, FOCUS mapping, description."""
    lines = ["| Line item | Cash | Accrual | Unit (FOCUS PricingUnit) | FOCUS ChargeCategory (amount < 0) | "
             "ChargeFrequency | ServiceCategory | What it is |", "|---|---|---|---|---|---|---|---|"]
    for d in REGISTRY.values():
        fm = d.focus
        units = ", ".join(f"{u} (`{PRICING_UNITS[u]}`)" for u in d.units)
        lines.append(f"| `{d.name}` | {'yes' if d.cash else 'no'} | {'yes' if d.accrual else 'no'} | {units} | "
                     f"`{fm.charge_category}` (`{fm.negative_category}`) | `{fm.charge_frequency}` | "
                     f"`{fm.service_category}` | {d.description} |")
    return "\n".join(lines)


def update_doc(path: str) -> bool:
    """Rewrite the generated block of ``path``; True when it changed. Raises ValueError without the markers."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if DOC_START not in text or DOC_END not in text:
        raise ValueError(f"{path}: markers {DOC_START!r} .. {DOC_END!r} not found")
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    new = f"{head}{DOC_START}\n{markdown_table()}\n{DOC_END}{tail}"
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover - regenerates the docs
    import pathlib

    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "methodology.md"
    print(f"{doc}: {'updated' if update_doc(str(doc)) else 'up to date'}")
