"""Widget values <-> Scenario, so a page holds no logic and a scenario survives save/load/share.

Pure (no Streamlit). The Compare page keeps three things:

* ``values``: a flat dict of scalar widget values keyed by widget key (:data:`FIELDS`), in the
  units the widget shows (percentages as %, e.g. ``growth_pct`` = 3 for 3 %/month), plus
  ``"extra"``: every scenario field no widget shows (kept verbatim so nothing is lost);
* ``api_rows``: one dict per API option (:data:`API_COLUMNS`);
* ``self_host_rows``: one dict per self-host option (:data:`SELF_HOST_COLUMNS`).

Each row's ``extra`` is JSON text holding the option's fields that have no column (e.g.
``target_utilization``, own-server overrides); it is merged back when building.

:func:`build_scenario` validates through the same pydantic :class:`~tco.scenario.Scenario` as a
scenario file and raises :class:`~tco.core.exceptions.ScenarioError`; :func:`locate` maps each problem to
the widget key or table row it belongs to. :func:`scenario_to_inputs` is the inverse. The scenario's
options come out API rows first (in row order), then self-host rows. The reference is the ``reference``
field (an option name; None: the cheapest API option meeting the SLO and the quality floor).
"""
from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Optional, get_args

from tco.core.exceptions import Problem, ScenarioError
from tco.core.percent import from_percent, to_percent
from tco.scenario import Precision, Scenario, default_option_name, parse_scenario, unique_name


@dataclass(frozen=True)
class Field:
    key: str  # widget key
    path: str  # dotted path in the scenario document
    label: str  # widget label (with unit)
    percent: bool = False  # the widget shows percent, the scenario a fraction (tco.core.percent converts)
    integer: bool = False
    text: bool = False  # a text value (stripped; blank = not set), not a number


#: Scalar widgets of the Compare page, in display order.
FIELDS: tuple[Field, ...] = (
    Field("scenario_name", "name", "Scenario name", text=True),
    Field("start", "start", "Start [YYYY-MM]", text=True),
    Field("months", "months", "Horizon [months]", integer=True),
    Field("requests_per_day", "workload.requests_per_day", "Requests per day [req/day]"),
    Field("input_tokens", "workload.input_tokens", "Input [tokens/request]"),
    Field("output_tokens", "workload.output_tokens", "Output [tokens/request]"),
    Field("growth_pct", "workload.growth_per_month", "Growth [%/month]", percent=True),
    Field("peak_to_average", "workload.peak_to_average", "Peak / average [ratio]"),
    Field("cached_input_pct", "workload.cached_input_share", "Cached input [% of input]", percent=True),
    Field("batch_pct", "workload.batch_share", "Batch [% of requests]", percent=True),
    Field("ttft_p95_ms", "slo.ttft_p95_ms", "TTFT p95 [ms]"),
    Field("tpot_p95_ms", "slo.tpot_p95_ms", "TPOT p95 [ms]"),
    Field("discount_rate_pct", "finance.discount_rate", "Discount rate [%/year]", percent=True),
    Field("fte_cost_per_year", "ops.fte_cost_per_year", "Staff cost [USD/FTE-year]"),
    # None = the default rule: the cheapest API option meeting the SLO and the quality floor
    Field("reference", "reference", "Reference option (break-even, savings, payback)", text=True),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
FIELD_BY_PATH = {f.path: f for f in FIELDS}

API_COLUMNS = ("name", "api", "extra")
SELF_HOST_COLUMNS = ("name", "model", "gpu", "gpus_per_replica", "precision", "payment", "offer", "pricing",
                     "usd_per_gpu_hour", "server", "capacity_rps_per_replica", "extra")
#: Payment choices of the self-host table.
PAY_RENT_OFFER, PAY_RENT_PRICE, PAY_OWN = "rent: catalog offer", "rent: own $/GPU-hour", "own: buy servers"
PAYMENTS = (PAY_RENT_OFFER, PAY_RENT_PRICE, PAY_OWN)
PRICINGS = ("on_demand", "spot", "reserved")
PRECISIONS = tuple(get_args(Precision))


# ----------------------------------------------------------------------------------------------
# helpers


def _clean(v: Any) -> Any:
    """Editor cells -> plain Python: NaN/None/blank -> None, numpy scalars -> Python numbers."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, str) and not v.strip():
        return None
    if isinstance(v, str):
        return v.strip()
    return v


def _num(v: Any, percent: bool = False, integer: bool = False) -> Any:
    """Widget number -> scenario number, percent -> fraction when ``percent`` (keeps non-numbers so pydantic
    names the error)."""
    v = _clean(v)
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return v
    out = from_percent(v) if percent else v
    if integer and float(out).is_integer():
        return int(out)
    if isinstance(out, float) and out.is_integer() and integer:
        return int(out)
    return out


def _get(doc: dict, path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _set(doc: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    cur = doc
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    if value is None:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def _pop(doc: dict, path: str) -> Any:
    parts = path.split(".")
    cur: Any = doc
    for part in parts[:-1]:
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur.pop(parts[-1], None) if isinstance(cur, dict) else None


def _merge(base: dict, extra: dict) -> dict:
    """Deep merge ``extra`` into ``base`` (base wins for scalar conflicts: columns beat hidden extras)."""
    out = copy.deepcopy(extra)
    for k, v in base.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(v, out[k])
        else:
            out[k] = v
    return out


def _extra(text: Any, where: str, problems: list[Problem]) -> dict:
    text = _clean(text)
    if text is None:
        return {}
    if isinstance(text, dict):
        return copy.deepcopy(text)
    try:
        out = json.loads(text)
    except (TypeError, ValueError) as exc:
        problems.append(Problem("inputs", where, "extra", f"must be JSON text ({exc})"))
        return {}
    if not isinstance(out, dict):
        problems.append(Problem("inputs", where, "extra", "must be a JSON object"))
        return {}
    return out


def _blank(row: dict, columns) -> bool:
    return all(_clean(row.get(c)) is None for c in columns if c != "extra") and _clean(row.get("extra")) is None


def _dump(d: dict) -> Optional[str]:
    return json.dumps(d, sort_keys=True) if d else None


# ----------------------------------------------------------------------------------------------
# rows -> option dicts


def _api_option(row: dict, i: int, problems: list[Problem]) -> Optional[dict]:
    where = f"API options row {i + 1}"
    extra = _extra(row.get("extra"), where, problems)
    api = _clean(row.get("api"))
    if api is None and "prices" not in extra and "route" not in extra:  # a route option lives in the API table
        problems.append(Problem("inputs", where, "api", "choose an API offer"))
        return None
    opt: dict[str, Any] = {}
    if api is not None:
        opt["api"] = api
    opt = _merge(opt, extra)
    name = _clean(row.get("name")) or (default_option_name(opt) if api is not None else f"API {i + 1}")
    return {"name": str(name), **opt}


def _self_host_option(row: dict, i: int, problems: list[Problem]) -> Optional[dict]:
    where = f"Self-host options row {i + 1}"
    extra = _extra(row.get("extra"), where, problems)
    option_level = {k: extra.pop(k) for k in OPTION_LEVEL_KEYS if k in extra}  # e.g. fine_tuned: true
    model, gpu = _clean(row.get("model")), _clean(row.get("gpu"))
    missing = [c for c, v in (("model", model), ("gpu", gpu)) if v is None]
    for c in missing:
        problems.append(Problem("inputs", where, c, f"choose a {c}"))
    payment = _clean(row.get("payment")) or PAY_RENT_OFFER
    if payment not in PAYMENTS:
        problems.append(Problem("inputs", where, "payment", f"must be one of {list(PAYMENTS)}, got {payment!r}"))
        return None
    if missing:
        return None
    sh: dict[str, Any] = {"model": model, "gpu": gpu}
    for col, integer in (("gpus_per_replica", True), ("capacity_rps_per_replica", False)):
        v = _num(row.get(col), integer=integer)
        if v is not None:
            sh[col] = v
    prec = _clean(row.get("precision"))
    if prec is not None:
        sh["precision"] = prec
    extra_rent, extra_own = extra.pop("rent", None) or {}, extra.pop("own", None) or {}
    if payment == PAY_OWN:
        own = {"server": _clean(row.get("server"))}
        if own["server"] is None:
            own.pop("server")
            if not extra_own:
                problems.append(Problem("inputs", where, "server", "choose a server to buy"))
                return None
        sh["own"] = _merge(own, extra_own)
    else:
        rent: dict[str, Any] = {}
        if payment == PAY_RENT_OFFER:
            offer = _clean(row.get("offer"))
            if offer is None and not extra_rent:
                problems.append(Problem("inputs", where, "offer", "choose a rental offer (or pay an own $/GPU-hour)"))
                return None
            if offer is not None:
                rent["offer"] = offer
            pricing = _clean(row.get("pricing"))
            if pricing is not None:
                rent["pricing"] = pricing
            extra_rent = {k: v for k, v in extra_rent.items() if k != "usd_per_gpu_hour"}
        else:
            price = _num(row.get("usd_per_gpu_hour"))
            if price is None:
                problems.append(Problem("inputs", where, "usd_per_gpu_hour", "enter a price per GPU-hour [USD]"))
                return None
            rent["usd_per_gpu_hour"] = price
            extra_rent = {k: v for k, v in extra_rent.items()
                          if k not in ("offer", "pricing", "usd_per_instance_hour", "gpus_per_instance")}
        sh["rent"] = _merge(rent, extra_rent)
    opt = {"self_host": _merge(sh, extra)}
    # a name the user did not type follows the configuration
    name = _clean(row.get("name")) or default_option_name(opt)
    return {"name": str(name), **opt, **option_level}


#: Option-level fields a self-host row keeps in its extra YAML (not inside self_host).
OPTION_LEVEL_KEYS = ("fine_tuned",)


def build_document(values: dict, api_rows: list[dict], self_host_rows: list[dict]
                   ) -> tuple[dict, list[Problem], list[tuple[str, int]]]:
    """The scenario document (a dict, not yet validated), the problems found in the rows, and the
    origin of each built option: ``("api" | "self_host", row index)``.
    """
    problems: list[Problem] = []
    doc = copy.deepcopy(values.get("extra") or {})
    doc.pop("options", None)
    for f in FIELDS:
        if f.key in values:
            v = values[f.key]
            _set(doc, f.path, _clean(v) if f.text else _num(v, f.percent, f.integer))
    for section in ("slo", "finance", "ops"):
        if section in doc and not doc[section]:
            doc.pop(section)
    options: list[dict] = []
    origins: list[tuple[str, int]] = []
    typed: list[bool] = []  # whether the user typed the option's name
    for table, rows, columns, make in (("api", api_rows, API_COLUMNS, _api_option),
                                       ("self_host", self_host_rows, SELF_HOST_COLUMNS, _self_host_option)):
        for i, row in enumerate(rows):
            if _blank(row, columns):
                continue
            opt = make(row, i, problems)
            if opt is not None:
                options.append(opt)
                origins.append((table, i))
                typed.append(_clean(row.get("name")) is not None)
    # two unnamed options with the same configuration: the second is "<name> (2)" (typed names are kept,
    # a typed duplicate is the user's to fix and the scenario says so)
    taken = {o["name"] for o, t in zip(options, typed) if t}
    for o, t in zip(options, typed):
        if not t:
            o["name"] = unique_name(o["name"], taken)
            taken.add(o["name"])
    doc["options"] = options
    return doc, problems, origins


def option_names(values: dict, api_rows: list[dict], self_host_rows: list[dict]) -> list[str]:
    """The names the options built from these rows get (typed, generated or numbered), in scenario order:
    what a choice of one option (the reference) offers."""
    return [o["name"] for o in build_document(values, api_rows, self_host_rows)[0]["options"]]


def build_scenario(values: dict, api_rows: list[dict], self_host_rows: list[dict], file: str = "inputs") -> Scenario:
    """Validate widget values and option rows into a Scenario; raise ScenarioError with every problem.

    Problems in the rows are located as ``inputs: <table> row N: <column>: message``; validation
    problems keep the scenario path (``inputs: workload.peak_to_average: must be >= 1, got 0.5``).
    """
    doc, problems, _ = build_document(values, api_rows, self_host_rows)
    try:
        scenario = parse_scenario(doc, file)
    except ScenarioError as exc:
        raise ScenarioError(problems + exc.problems) from None
    if problems:
        raise ScenarioError(problems)
    return scenario


# ----------------------------------------------------------------------------------------------
# Scenario -> rows


def scenario_to_inputs(scenario: Scenario) -> tuple[dict, list[dict], list[dict]]:
    """The inverse of :func:`build_scenario`: ``(values, api_rows, self_host_rows)``."""
    doc = scenario.to_dict()
    options = doc.pop("options")
    values: dict[str, Any] = {}
    for f in FIELDS:
        v = _pop(doc, f.path)
        if v is not None and f.percent:
            v = to_percent(v)
        values[f.key] = v
    values["extra"] = doc
    api_rows: list[dict] = []
    sh_rows: list[dict] = []
    for opt in options:
        opt = copy.deepcopy(opt)
        name = opt.pop("name")
        if "self_host" not in opt:
            api = opt.pop("api", None)
            api_rows.append({"name": name, "api": api, "extra": _dump(opt)})
            continue
        sh = opt.pop("self_host")
        row: dict[str, Any] = {c: None for c in SELF_HOST_COLUMNS}
        row["name"] = name
        for c in ("model", "gpu", "gpus_per_replica", "precision", "capacity_rps_per_replica"):
            row[c] = sh.pop(c, None)
        if "own" in sh:
            own = sh.pop("own")
            row["payment"], row["server"] = PAY_OWN, own.pop("server", None)
            rest = {"own": own} if own else {}
        else:
            rent = sh.pop("rent")
            if "usd_per_gpu_hour" in rent:
                row["payment"], row["usd_per_gpu_hour"] = PAY_RENT_PRICE, rent.pop("usd_per_gpu_hour")
            else:
                row["payment"] = PAY_RENT_OFFER
                row["offer"], row["pricing"] = rent.pop("offer", None), rent.pop("pricing", None)
            rest = {"rent": rent} if rent else {}
        extra = {**sh, **rest, **opt}  # opt: option-level extras would be unusual; keep them anyway
        row["extra"] = _dump(extra)
        sh_rows.append(row)
    return values, api_rows, sh_rows


# ----------------------------------------------------------------------------------------------
# Where a problem belongs

_OPT_RE = re.compile(r"^options[\[.](\d+)\]?(?:\.(.*))?")
_ROW_RE = re.compile(r"^(API|Self-host) options row (\d+)$")


def locate(problem: Problem, origins: Optional[list[tuple[str, int]]] = None) -> tuple[str, Any]:
    """Where to show a problem: ``("field", widget_key)``, ``("api", row)``, ``("self_host", row)``
    (0-based table rows) or ``("scenario", None)``.

    ``origins`` is the third value of :func:`build_document` (option index -> table row).
    """
    entry = problem.entry or ""
    m = _ROW_RE.match(entry)
    if m:
        return ("api" if m.group(1) == "API" else "self_host", int(m.group(2)) - 1)
    m = _OPT_RE.match(entry)
    if m:
        i = int(m.group(1))
        if origins is not None and i < len(origins):
            return origins[i]
        return ("scenario", None)
    path = entry.split(" ")[0]
    while path:
        if path in FIELD_BY_PATH:
            return ("field", FIELD_BY_PATH[path].key)
        path = path.rpartition(".")[0]
    return ("scenario", None)


def describe(problem: Problem) -> str:
    """A problem as one line for a person: the widget label when known, else the scenario path."""
    kind, where = locate(problem)
    if kind == "field":
        f = FIELD_BY_KEY[where]
        note = " (the scenario stores this percentage as a fraction)" if f.percent else ""
        return f"{f.label} ({f.path}): {problem.message}{note}"
    entry = problem.entry or ""
    m = _OPT_RE.match(entry)
    if _ROW_RE.match(entry):  # the page prefixes its own row label
        entry = ""
    elif m and m.group(2):  # options.3.self_host.gpus_per_replica -> self_host.gpus_per_replica
        entry = m.group(2)
    elif m:
        entry = ""
    parts = [p for p in (entry, problem.field) if p]
    return ": ".join(parts + [problem.message])


def validate_inputs(values: dict, api_rows: list[dict], self_host_rows: list[dict], file: str = "inputs"
                    ) -> tuple[Optional[Scenario], list[Problem], list[tuple[str, int]]]:
    """(scenario or None, every problem, option origins) without raising: what a page needs to show
    each message next to its input (see :func:`locate`)."""
    doc, problems, origins = build_document(values, api_rows, self_host_rows)
    try:
        scenario = parse_scenario(doc, file)
    except ScenarioError as exc:
        return None, problems + exc.problems, origins
    return (None if problems else scenario), problems, origins


__all__ = ["FIELDS", "FIELD_BY_KEY", "API_COLUMNS", "SELF_HOST_COLUMNS", "PAYMENTS", "PAY_RENT_OFFER",
           "PAY_RENT_PRICE", "PAY_OWN", "PRICINGS", "PRECISIONS", "build_document", "build_scenario", "option_names",
           "scenario_to_inputs", "locate", "describe", "validate_inputs"]
