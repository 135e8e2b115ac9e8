"""Compare: describe the workload, pick the options, see which is cheapest, by how much and from when.

Reads widgets, builds the scenario with tco.scenario.builder (validated like a scenario file),
evaluates it through the cached engine, and draws tco.charts figures. No formula lives here.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from tco import charts
from tco.analysis import traffic
from tco.charts import traffic as charts_traffic
from tco.core.exceptions import Problem, ProblemsError
from tco.core.filenames import file_name
from tco.core.percent import from_percent, implausible, plain_number
from tco.report import export
from tco.scenario import load_scenario, load_scenario_text
from tco.scenario import share as share_link
from tco.scenario.builder import (
    API_COLUMNS,
    FIELD_BY_KEY,
    PAY_OWN,
    PAYMENTS,
    PRECISIONS,
    PRICINGS,
    SELF_HOST_COLUMNS,
    describe,
    locate,
    validate_inputs,
)
from tco.scenario.defaults import default_scenario
from tco.scenario.store import list_scenarios
from tco.scenario.view import (
    follow_names,
    growth_text,
    requests_per_day_from_tokens,
    self_host_auto_name,
    tokens_per_day,
)
from views import common, downloads
from views.capacity_range_section import render_capacity_range_section
from views.cost_lines_section import render_cost_lines_section
from views.quality_section import render_quality_section
from views.reference_section import render_reference_choice
from views.routing_section import render_routing_section

_SPOT_HINT = "does not suit a strict latency SLO"

LAST_GOOD = common.SCENARIO_YAML  # the session scenario: the last valid inputs of any page

catalog = common.get_catalog()
ss = st.session_state
LOAD_MESSAGE = "compare_load_message"
LOAD_MODE, TOKENS_PER_DAY = "load_mode", "tokens_per_day"
GENERATED_NAMES = "compare_generated_names"
REQUESTS, TOKENS = "requests/day", "tokens/day"
if common.COMPARE_VALUES not in ss:  # the session's scenario (or the address's, or the default)
    common.set_compare_inputs(common.session_scenario(catalog))
stored = ss[common.COMPARE_VALUES]
for key in FIELD_BY_KEY:
    if key not in ss:
        ss[key] = stored.get(key)
extra_workload = (stored.get("extra") or {}).get("workload") or {}

slots: dict[str, st.delta_generator.DeltaGenerator] = {}


def number(key: str, step: float, fmt: str, help: str | None = None, integer: bool = False,
           optional: bool = False, disabled: bool = False) -> None:
    """A number input labelled from the builder's field table, with an error slot under it.

    No bounds here on purpose: the scenario model validates, and its message shows in the slot.
    ``optional`` inputs can be cleared (blank = no bound / catalog default).
    """
    f = FIELD_BY_KEY[key]
    kwargs = {"value": None} if optional else {}
    if integer:
        st.number_input(f.label, step=int(step), format="%d", key=key, help=help, disabled=disabled, **kwargs)
    else:
        st.number_input(f.label, step=float(step), format=fmt, key=key, help=help, disabled=disabled, **kwargs)
    slots[key] = st.empty()


#: Percent inputs with a plausibility limit (tco.core.percent.PLAUSIBLE): key -> quantity.
CHECKED = {"growth_pct": "growth_per_month", "discount_rate_pct": "discount_rate"}
unconfirmed: dict[str, str] = {}  # key -> reason, for implausible values not confirmed yet


def confirm_if_implausible(key: str) -> None:
    """Under a percent input: an implausible value needs an explicit tick, with the reason."""
    reason = implausible(CHECKED[key], from_percent(ss.get(key)) if isinstance(ss.get(key), (int, float)) else None)
    if reason is None:
        return
    if not st.checkbox(f"Use {plain_number(ss[key])} % anyway", key=f"confirm_{key}", help=reason):
        unconfirmed[key] = reason


def _load_mode_changed() -> None:
    """Entering the load as tokens/day starts from the current requests/day x tokens per request."""
    if ss.get(LOAD_MODE) == TOKENS:
        ss[TOKENS_PER_DAY] = tokens_per_day(ss.get("requests_per_day") or 0.0, ss.get("input_tokens") or 0.0,
                                            ss.get("output_tokens") or 0.0)


# ----------------------------------------------------------------------------------------------
# The answer on top (filled later), then inputs (left) beside the two main charts (right).

st.title("Self-host Llama or pay per token?", anchor=False)
panel_area = st.container()  # the scenario in effect, filled once evaluated
st.caption("Monthly cost of hosted APIs and of self-hosted Llama on rented or owned GPUs over your horizon. "
           "Cash basis unless stated: money out of the bank each month (servers paid when bought).")
answer_area = st.container()  # filled once the inputs below are read and evaluated
inputs_col, charts_col = st.columns([1.15, 2.5], gap="medium")

with inputs_col.container(border=True):
    st.subheader("Workload", anchor=False)
    mode = st.segmented_control("Load given as", [REQUESTS, TOKENS], default=REQUESTS, key=LOAD_MODE,
                                on_change=_load_mode_changed,
                                help="Tokens per day (input + output) is another way to give the load; the "
                                     "scenario stores requests per day, derived from it and shown below.") or REQUESTS
    derived_note = None
    if mode == TOKENS:
        if TOKENS_PER_DAY not in ss:
            _load_mode_changed()
        st.number_input("Tokens per day [input + output tokens/day]", min_value=0.0, step=1e6, format="%.0f",
                        key=TOKENS_PER_DAY, help="First month's average; requests/day = tokens/day / (input + "
                                                 "output tokens per request).")
        try:
            ss["requests_per_day"] = round(requests_per_day_from_tokens(
                ss[TOKENS_PER_DAY] or 0.0, ss.get("input_tokens") or 0.0, ss.get("output_tokens") or 0.0), 6)
            derived_note = "Derived from tokens per day and the tokens per request below."
        except ValueError as exc:
            derived_note = str(exc)
    number("requests_per_day", 50_000, "%.0f", "Average requests per day in the first month.",
           disabled=mode == TOKENS)
    if derived_note:
        st.caption(derived_note)
    c1, c2 = st.columns(2)
    with c1:
        number("input_tokens", 50, "%.0f", "Mean prompt length per request [tokens].")
    with c2:
        number("output_tokens", 50, "%.0f", "Mean completion length per request [tokens].")
    c1, c2 = st.columns(2)
    shaped = "growth" in extra_workload
    with c1:
        number("growth_pct", 0.5, "%.1f", "Compound growth of requests per month, in percent (8 = 8 %/month); "
               "0 = flat.", disabled=shaped)
        confirm_if_implausible("growth_pct")
    with c2:
        number("peak_to_average", 0.1, "%.2f", "Peak-hour load / average load; self-host fleets are sized for the peak.",
               disabled="daily_profile" in extra_workload)
    if shaped or "daily_profile" in extra_workload or extra_workload.get("events"):
        wl = common.session_scenario(catalog).workload
        bits = [f"forecast {growth_text(wl)}" if shaped else None,
                "a daily load profile (the peak is its largest hour)" if wl.daily_profile is not None else None,
                f"{len(wl.events)} traffic event(s)" if wl.events else None]
        st.caption("Set on the Traffic page: " + ", ".join(b for b in bits if b) + ". Change them there.")
    c1, c2 = st.columns(2)
    with c1:
        number("cached_input_pct", 5, "%.0f", "Share of input tokens billed at the API's cached-input price.")
    with c2:
        number("batch_pct", 5, "%.0f", "Share of requests sent through a batch API (discounted, not interactive).")
    c1, c2 = st.columns(2)
    with c1:
        number("months", 1, "%d", "Months to compare over (1-240).", integer=True)
    with c2:
        st.text_input(FIELD_BY_KEY["start"].label, key="start", help="First month of the horizon, e.g. 2026-01.")
        slots["start"] = st.empty()
    st.caption("Workload defaults are an illustrative mid-size product (tco/scenario/defaults.py), not sourced "
               "figures: replace them with yours.")

    st.subheader("Latency SLO", anchor=False)
    c1, c2 = st.columns(2)
    with c1:
        number("ttft_p95_ms", 100, "%.0f", "Time to first token, 95th percentile. Blank = no bound.",
               optional=True)
    with c2:
        number("tpot_p95_ms", 5, "%.0f", "Time per output token, 95th percentile. Blank = no bound.",
               optional=True)
    st.caption("A replica's capacity is the highest request rate whose measured p95 latencies meet "
               "both targets (throughput profiles in data/profiles.yaml).")

    with st.expander("Finance and staff"):
        number("discount_rate_pct", 1, "%.1f", "Annual rate for NPV, in percent (7 = 7 %/year). Blank = catalog "
               "default. " + common.assumption_caption(catalog, "discount_rate"), optional=True)
        confirm_if_implausible("discount_rate_pct")
        number("fte_cost_per_year", 10_000, "%.0f", "Fully loaded cost of one ops engineer. Blank = catalog default. "
               + common.assumption_caption(catalog, "fte_cost_per_year"), optional=True)
        st.caption("Blank fields use data/assumptions.yaml (hover the ? for the source and date).")
    st.text_input(FIELD_BY_KEY["scenario_name"].label, key="scenario_name")
    slots["scenario_name"] = st.empty()

values = {key: ss[key] for key in FIELD_BY_KEY}
values["extra"] = stored.get("extra") or {}
ss[common.COMPARE_VALUES] = values

# ----------------------------------------------------------------------------------------------
# Options


def _frame(rows: list[dict], columns: tuple[str, ...], numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for c in columns:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float) if c in numeric else df[c].astype(object)
    return df


def _records(df: pd.DataFrame) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _short_gpu(gpu_id) -> str:
    g = catalog.gpus.get(gpu_id) if gpu_id else None
    return (g.name.split()[0] if g is not None and g.name else str(gpu_id or "?"))


def self_host_name(row: dict):
    """The name a self-host row's configuration gives (the default scenario's naming)."""
    model = catalog.models.get(row.get("model")) if row.get("model") else None
    if model is None or not row.get("gpu"):
        return None
    pay = "own" if row.get("payment") == PAY_OWN else "rent"
    return self_host_auto_name(model.name, pay, row.get("gpus_per_replica"), _short_gpu(row.get("gpu")),
                               row.get("precision"), row.get("pricing"))


def api_name(row: dict):
    a = catalog.apis.get(row.get("api")) if row.get("api") else None
    return f"{a.model_name} API ({a.provider})" if a is not None else None


def editor(base_key: str, editor_key: str, columns: tuple[str, ...], numeric: tuple[str, ...], config: dict,
           auto_name=None):
    """A data_editor whose rows persist across page switches (the editor's own state does not). Names follow
    the configuration (``auto_name``) unless the user typed one (tco.scenario.view.follow_names)."""
    if editor_key not in ss:  # fresh editor: start from the last rows the user had
        ss[base_key + "_base"] = ss.get(base_key + "_current", ss[base_key + "_base"])
    base = ss[base_key + "_base"]
    memo = ss.get(base_key + "_frame")
    if memo is None or memo[0] is not base:  # the same rows as on the last run: the same frame (not rebuilt)
        memo = ss[base_key + "_frame"] = (base, _frame(base, columns, numeric))
    df = st.data_editor(memo[1], key=editor_key, num_rows="dynamic",
                        column_config=config, hide_index=True, width="stretch")
    rows = _records(df)
    if auto_name is not None:
        if GENERATED_NAMES not in ss:  # the default scenario's labels count as generated, not typed
            ss[GENERATED_NAMES] = frozenset(o.name for o in default_scenario(catalog).options)
        rows, renamed = follow_names(ss.get(base_key + "_current") or [], rows, auto_name, ss[GENERATED_NAMES])
        if renamed:  # show the new names: a fresh editor from these rows
            ss[base_key + "_base"] = ss[base_key + "_current"] = rows
            ss.pop(editor_key, None)
            st.rerun()
    ss[base_key + "_current"] = rows
    return rows


def rows_of_closed_tab(base_key: str) -> list[dict]:
    """The rows of an editor whose tab is not open (not built this run): the last rows it had."""
    return ss.get(base_key + "_current", ss[base_key + "_base"])


TAB_API, TAB_SELF_HOST, OPTIONS_TAB = "Hosted APIs", "Self-hosted (rent or own GPUs)", "compare_options_tab"
api_ids = sorted(catalog.apis)
with st.container(border=True):
    st.subheader("Options to compare", anchor=False)
    # Lazy tabs (issue 21): only the open tab's editor is built; the other's rows are the last ones it had.
    tab_api, tab_sh = st.tabs([TAB_API, TAB_SELF_HOST], key=OPTIONS_TAB, on_change="rerun")
    with tab_api:
        api_rows = rows_of_closed_tab(common.API_ROWS) if not tab_api.open else editor(common.API_ROWS, common.API_EDITOR, API_COLUMNS, (), {
            "name": st.column_config.TextColumn("Option name", width="medium", help="Label in charts and tables."),
            "api": st.column_config.SelectboxColumn("API offer [provider/model]", options=api_ids, width="large",
                                                    help="Prices per 1M tokens from data/api_offers.yaml."),
            "extra": None,
        }, auto_name=api_name)
        st.caption("The **reference** every option is compared with is the option chosen under **Reference option** "
                   "below (saved as the scenario's `reference`), else the cheapest API option that meets the SLO "
                   "and the quality floor; the answer below names it and why. "
                   "Prices: data/api_offers.yaml (LiteLLM price map and provider pages; source and as-of per "
                   "offer on the Catalogs page). Add or delete rows with the table's toolbar.")
    with tab_sh:
        sh_rows = rows_of_closed_tab(common.SELF_HOST_ROWS) if not tab_sh.open else editor(common.SELF_HOST_ROWS, common.SELF_HOST_EDITOR, SELF_HOST_COLUMNS,
                         ("gpus_per_replica", "usd_per_gpu_hour", "capacity_rps_per_replica"), {
            "name": st.column_config.TextColumn("Option name", width=185),
            "model": st.column_config.SelectboxColumn("Model", options=sorted(catalog.models), width=125),
            "gpu": st.column_config.SelectboxColumn("GPU", options=sorted(catalog.gpus), width=80),
            "gpus_per_replica": st.column_config.NumberColumn("GPUs/replica", min_value=1, step=1, format="%d",
                                                              width=80),
            "precision": st.column_config.SelectboxColumn("Precision", options=list(PRECISIONS), width="small"),
            "payment": st.column_config.SelectboxColumn("Pay by", options=list(PAYMENTS), width="medium"),
            "offer": st.column_config.SelectboxColumn("Rental offer", options=sorted(catalog.offers),
                                                      width="medium", help="data/rental_offers.yaml"),
            "pricing": st.column_config.SelectboxColumn("Pricing", options=list(PRICINGS), width="small"),
            "usd_per_gpu_hour": st.column_config.NumberColumn("Own price [USD/GPU-h]", min_value=0, format="$%.2f",
                                                              width="small",
                                                              help="Used with 'rent: own $/GPU-hour'."),
            "server": st.column_config.SelectboxColumn("Server to buy", options=sorted(catalog.servers),
                                                       width="medium", help="data/servers.yaml"),
            "capacity_rps_per_replica": st.column_config.NumberColumn(
                "Capacity override [req/s/replica]", min_value=0, format="%.2f", width="small",
                help="Blank = derived from the throughput profiles at the SLO."),
            "extra": None,
        }, auto_name=self_host_name)
        st.caption("Names follow the configuration (model, pay, GPUs, GPU, precision, pricing) unless you type one. "
                   "Capacity comes from measured throughput profiles (data/profiles.yaml) at the SLO; power, "
                   "colocation, maintenance, depreciation and staff defaults from data/assumptions.yaml. "
                   "The offer or server must use the row's GPU.")
    render_reference_choice(values, api_rows, sh_rows, slots)  # issue 15: the reference (views/reference_section.py)
    options_slot = st.empty()

# ----------------------------------------------------------------------------------------------
# Validate and evaluate

render_cost_lines_section(values, catalog, sh_rows)  # issue 18: costs beyond GPUs (views/cost_lines_section.py)
scenario, problems, origins = validate_inputs(values, api_rows, sh_rows)
for key, reason in unconfirmed.items():  # an implausible percent is not applied until confirmed
    problems.append(Problem("inputs", FIELD_BY_KEY[key].path, None, reason + " Tick the box to use it anyway."))
    scenario = None
result = None
if scenario is not None:
    scenario_yaml = scenario.to_yaml()
    result, problems = common.evaluate_yaml(scenario_yaml)


def _row_label(table: str, row: int) -> str:
    rows = api_rows if table == "api" else sh_rows
    name = rows[row].get("name") if 0 <= row < len(rows) else None
    kind = "API" if table == "api" else "Self-host"
    return f"{kind} row {row + 1}" + (f" ({name})" if name else "")


if problems:
    by_field: dict[str, list[str]] = {}
    other: list[str] = []
    for p in problems:
        kind, where = locate(p, origins)
        if kind == "field" and where in slots:
            by_field.setdefault(where, []).append(describe(p))
        elif kind in ("api", "self_host"):
            other.append(f"{_row_label(kind, where)}: {describe(p)}")
        else:
            other.append(describe(p))
    for key, msgs in by_field.items():
        common.show_problems(msgs, where=slots[key])
    if other:
        common.show_problems(other, title="Options to fix:", where=options_slot)
    if result is None and LAST_GOOD in ss:
        answer_area.warning("Some inputs are invalid (see the messages next to them). The results are for the "
                            "last valid inputs.", icon=":material/warning:")
        result, _ = common.evaluate_yaml(ss[LAST_GOOD])
    if result is None:
        answer_area.info("Fix the inputs marked in red to see the comparison.", icon=":material/info:")
        st.stop()
else:
    ss[LAST_GOOD] = scenario_yaml  # this page's inputs are the session scenario now
    common.sync_address(scenario, scenario_yaml)
with panel_area:
    common.scenario_panel(catalog, result.scenario, result, link_compare=False)

# ----------------------------------------------------------------------------------------------
# The answer: words, metrics, break-even months; then the cumulative cost and unit cost charts

months = len(result.months)
head = charts.headline(result)
with answer_area:
    for name, reason in result.skipped:
        st.warning(f"**{name}** left out: {reason}", icon=":material/block:")
    st.markdown(head["sentence"])
    if head["cheapest"] is not None:
        m = st.columns(4)
        cheapest = result.option(head["cheapest"])
        m[0].metric(f"Cheapest, {months} months", common.money(head["cheapest_total_usd"]),
                    help=f"{head['cheapest']}: cash paid over the horizon [USD].", border=True)
        if head["reference"]:
            share = head["saving_share"]
            m[1].metric("Saving vs reference", common.money(head["saving_usd"]),
                        delta=f"-{share:.0%} vs reference" if share else None, delta_color="inverse",
                        help=f"{head['reference']} total - cheapest total [USD, cash].", border=True)
            m[2].metric("Reference API total", common.money(head["reference_total_usd"]),
                        help=f"{head['reference']}: cash over the horizon [USD].", border=True)
        m[3].metric("Cheapest per 1M tokens", f"${cheapest.usd_per_million_tokens:,.2f}",
                    help=f"{head['cheapest']}: total accrual cost / (input + output tokens) x 1e6 [USD / 1M tokens].",
                    border=True)
    if head["break_even"]:
        st.markdown(f"**Break-even versus {head['reference'] or 'the reference'}** (first month from which the "
                    "cumulative cash cost stays at or below the reference's until the end of the horizon):")
        names = list(head["break_even"])
        for start in range(0, len(names), 4):
            cols = st.columns(4)
            for col, name in zip(cols, names[start:start + 4]):
                month = head["break_even"][name]
                col.metric(name, month or "never", help="never = not within the horizon" if month is None else
                           f"{name}: month {result.option(name).break_even_index + 1} of {months}.", border=True)
# Lighter reruns (issue 21): a widget that only affects its own section reruns only that section
# (st.fragment): the cost basis redraws the charts that depend on it, the breakdown option only the
# breakdown, the quality floor only the quality section. None of them changes the scenario; an input that
# does reruns the whole page, which redraws every fragment with the new result. Figures come from
# common.figure (built once per scenario, catalog and arguments, for every session). Heavy sections (the
# monthly breakdown, the quality tables, the matrices) are built only while their expander is open.


@st.fragment
def monthly_breakdown(result, key: str, basis: str) -> None:
    """The option selector and its monthly stack (a fragment inside the cost charts' fragment)."""
    names = [o.name for o in result.options]
    default = next((i for i, o in enumerate(result.options) if o.kind != "api"), 0)
    if ss.get("stack_option") not in names:
        ss.pop("stack_option", None)
    chosen = st.selectbox("Option for the monthly breakdown", names, index=default, key="stack_option")
    st.plotly_chart(common.figure("monthly_stack_figure", result, chosen, basis, key=key), theme=None, key="chart_stack")
    downloads.chart(lambda r=result, c=chosen, b=basis: charts.monthly_stack_figure(r, c, b), result.scenario.name, "monthly-breakdown", "chart_stack")


@st.fragment
def cost_charts(result, key: str) -> None:
    """The cost basis and every chart that depends on it: cumulative cost, unit cost, monthly breakdown."""
    basis = st.segmented_control(
        "Cost basis", ["cash", "accrual"], default="cash", key="basis",
        help="cash: server purchases count when paid (capex); accrual: they are spread as straight-line "
             "depreciation. Applies to the cost charts; the totals table shows both.") or "cash"
    st.plotly_chart(common.figure("cumulative_cost_figure", result, basis, key=key), theme=None, key="chart_cumulative")
    downloads.chart(lambda r=result, b=basis: charts.cumulative_cost_figure(r, b), result.scenario.name, "cumulative-cost", "chart_cumulative")
    st.plotly_chart(common.figure("unit_cost_figure", result, "accrual", key=key), theme=None, key="chart_unit_cost")
    downloads.chart(lambda r=result: charts.unit_cost_figure(r, "accrual"), result.scenario.name, "unit-cost", "chart_unit_cost")
    # Opening it reruns this fragment (the breakdown needs the basis chosen here), not the page.
    with st.expander("Monthly cost by line item, one option at a time", key="stack_open", on_change="rerun") as box:
        if box.open:
            monthly_breakdown(result, key, basis)


with charts_col:
    cost_charts(result, ss[LAST_GOOD])
    st.plotly_chart(common.figure("fleet_figure", result, key=ss[LAST_GOOD]), theme=None, key="chart_fleet")
    downloads.chart(lambda r=result: charts.fleet_figure(r), result.scenario.name, "fleet", "chart_fleet")

# ----------------------------------------------------------------------------------------------
# Table and downloads

st.subheader("Totals per option", anchor=False)
matrix = result.break_even_matrix  # tco.model.finance.break_even_matrix, computed by evaluate()
ref = result.reference
rows = []
for r in export.summary_rows(result):
    _o = result.option(r["option"])
    status, reason = _o.slo_status, _o.slo_reason  # tco.model.slo, computed by evaluate()
    rows.append({
        "Option": r["option"],
        "Kind": "API" if r["kind"] == "api" else f"self-host ({r['payment']})",
        "Cash [USD]": common.money(r["total_cash_usd"]),
        "Accrual [USD]": common.money(r["total_accrual_usd"]),
        "NPV [USD]": common.money(r["npv_usd"]),
        "Cost [USD/1M tokens]": f"${r['usd_per_million_tokens']:,.3f}",
        f"Break-even vs {ref or 'reference'}": "reference" if r["option"] == ref else
        ((matrix[r["option"]].get(ref) or "never") if ref else "-"),
        "SLO": {"met": "met", "missed": "missed", "unknown": "latency not checked"}[status],
        "SLO detail": reason,
        "Capacity [req/s/replica]": "-" if r["capacity_rps_per_replica"] is None else f"{r['capacity_rps_per_replica']:,.2f}",
        "Capacity source": r["capacity_source"] or "-",
        "Peak GPUs": "-" if r["max_gpus"] is None else f"{r['max_gpus']:,.0f}",
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption(f"Savings, break-even and payback are measured against the reference, **{ref or 'none'}**. "
           "Cash counts server purchases when paid; accrual spreads them as depreciation. NPV discounts cash "
           "at the discount rate. SLO: 'latency not checked' = no latency figure to check this API against "
           "(never assumed to meet it). Capacity source: measured (a profile point within the SLO), adjusted, "
           "estimated (the performance estimator) or inline (your override).")


def _break_even_matrix(result) -> None:
    names_ = [o.name for o in result.options]
    matrix_ = result.break_even_matrix
    st.dataframe(pd.DataFrame([{"Option": a, **{b: ("-" if a == b else (matrix_[a][b] or "never")) for b in names_}}
                               for a in names_]), hide_index=True, width="stretch", key="break_even_matrix")
    st.caption("Each cell: the first month from which the row option's cumulative cash stays at or below the column "
               "option's until the end of the horizon; never = not within the horizon. Read a self-hosted row "
               "against an API column for 'when does owning beat renting?'.")


def _notes(notes: list) -> None:
    for name, n in notes:
        st.markdown(f"- **{name}**: {n}")


common.on_demand("Break-even matrix: when does each option (row) beat each other option (column)?", "matrix_open",
                 lambda r=result: _break_even_matrix(r))
notes = [(o.name, n) for o in result.options for n in list(o.notes) + list(o.capacity.notes if o.capacity else ())]
if notes:
    common.on_demand("Notes on the options", "notes_open", lambda n=notes: _notes(n))
common.on_demand("Assumptions used, with source and as-of date", "assumptions_open",
                 lambda r=result: st.dataframe(pd.DataFrame(export.assumptions_rows(r)).astype(str), hide_index=True,
                                               width="stretch"))

# ----------------------------------------------------------------------------------------------
# Provenance: stale inputs; fleet vs API; typical day for hybrid options; quality next to cost

common.stale_inputs_notice(result)
if any(_SPOT_HINT in n for o in result.options for n in o.notes):
    st.warning("Spot options: spot capacity can be interrupted at short notice and does not suit a strict latency "
               "SLO.", icon=":material/bolt:")

shares = traffic.served_shares(result)
hybrids = [o.name for o in result.options if o.kind == "self_host" and o.params.is_hybrid]


@st.fragment
def typical_day_section(result, hybrids: list) -> None:
    """The hybrid option and month pickers and their typical-day chart (reruns alone)."""
    h1, h2 = st.columns(2)
    hy = h1.selectbox("Hybrid option", hybrids, key="typical_day_option")
    month = h2.selectbox("Month", result.months, key="typical_day_month")
    st.plotly_chart(charts_traffic.typical_day_figure(traffic.typical_day(result, hy, result.months.index(month))),
                    theme=None, key="chart_typical_day")
    downloads.chart(lambda r=result, h=hy, m=month: charts_traffic.typical_day_figure(traffic.typical_day(r, h, r.months.index(m))), result.scenario.name, "typical-day", "chart_typical_day")

render_capacity_range_section(result, catalog, where=answer_area)  # issue 16: cost range of estimated capacities, shown with the answer

if hybrids:
    st.subheader("Fleet vs API overflow", anchor=False)
    st.dataframe(pd.DataFrame([{"Option": x.option, "Served by the fleet": f"{x.fleet_share:.1%}",
                                "Sent to the API": f"{x.api_share:.1%}"} for x in shares if x.kind == "self_host"]),
                 hide_index=True, width="stretch")
    typical_day_section(result, hybrids)


st.subheader("Quality next to cost", anchor=False)
# On demand: the floor control, the table and the cost-against-quality chart are built only while open; its
# widgets rerun only this section (the floor here marks options, it does not change the scenario).
common.on_demand("Quality tiers (LMArena text Elo), quality floor and cost against quality", "compare_quality_open",
                 lambda r=result: render_quality_section(r, r.scenario, catalog, key_prefix="compare_quality",
                                                         heading=False))


@st.fragment
def routing_fragment(result, catalog) -> None:
    """Fine-tuning and routing: its widgets change only what this section shows (a modified copy of the
    scenario evaluated here), so they rerun only this section."""
    render_routing_section(result, catalog)


routing_fragment(result, catalog)

MAX_UPLOAD_BYTES = 1024 * 1024  # [B] largest scenario file accepted from the browser


def _load_upload() -> None:
    """Callback (runs before the widgets): an uploaded YAML replaces the inputs, or says what is wrong."""
    f = ss.get("compare_upload")
    if f is None:
        return
    data = f.getvalue()
    try:
        if len(data) > MAX_UPLOAD_BYTES:
            raise ProblemsError([common.Problem(f.name, None, None, f"file is {len(data):,} bytes; the limit is "
                                                                    f"{MAX_UPLOAD_BYTES:,}")])
        common.commit_scenario(load_scenario_text(data, f.name), origin=f"the file {f.name}")
        ss[LOAD_MESSAGE] = ("ok", f"Loaded {f.name}.")
    except ProblemsError as exc:
        ss[LOAD_MESSAGE] = ("error", [str(p) for p in exc.problems])


def _load_example() -> None:
    path = ss.get("compare_example")
    if path:
        try:
            common.commit_scenario(load_scenario(path), origin=f"the example {Path(path).stem}")
            ss[LOAD_MESSAGE] = ("ok", "Loaded the example.")
        except ProblemsError as exc:
            ss[LOAD_MESSAGE] = ("error", [str(p) for p in exc.problems])


st.subheader("Save, load and share", anchor=False)
s1, s2, s3 = st.columns(3)
with s1:
    if st.button("Share link", key="share_link", icon=":material/link:",
                 help="The address bar always holds the whole scenario (?s=...); this shows the link to copy."):
        ss["compare_share_url"] = True
    if ss.get("compare_share_url"):
        base = str(getattr(st.context, "url", "") or "").split("?", 1)[0]
        st.code(f"{base}?{share_link.share_query(result.scenario)}", language=None, wrap_lines=True)
with s2:
    st.file_uploader("Load a scenario (YAML)", type=["yaml", "yml"], key="compare_upload", on_change=_load_upload,
                     help="A scenario file as written by the YAML download or `python -m tco`; at most 1 MB.")
with s3:
    examples = {str(x.path): x.label for x in list_scenarios() if x.name is not None}
    st.selectbox("Examples and saved scenarios", list(examples), format_func=examples.get, index=None,
                 key="compare_example", on_change=_load_example, placeholder="choose one to open")
msg = ss.pop(LOAD_MESSAGE, None)
if msg and msg[0] == "ok":
    st.success(msg[1], icon=":material/check:")
elif msg:
    common.show_problems(msg[1], title="That file is not a scenario this tool can read; nothing was changed:")

st.subheader("Downloads", anchor=False)
d1, d2, d3 = st.columns(3)
downloads.csv("Monthly costs (long CSV)", lambda r=result: export.to_long_csv(r), result.scenario.name, "monthly",
              "download_csv", container=d1,
              help="scenario,option,month,line_item,cash_usd,accrual_usd,quantity,unit: the same bytes as "
                   "`python -m tco evaluate scenario.yaml --format csv --out FILE` (UTF-8 with BOM).")
d2.download_button("Scenario (YAML)", lambda r=result: r.scenario.to_yaml().encode("utf-8"),
                   file_name(result.scenario.name, "scenario"),
                   "application/x-yaml", on_click="ignore", key="download_yaml", icon=":material/download:",
                   help="Loads back with `python -m tco evaluate <file>`.")
downloads.csv("Assumptions used (CSV)", lambda r=result: export.assumptions_csv(r), result.scenario.name, "assumptions",
              "download_assumptions", container=d3,
              help="Every input behind the numbers with its origin, source and as-of date.")
downloads.report(result, catalog, common.catalog_version(), key="compare_report")
if result.skipped:
    st.caption("The CLI evaluates every option of the YAML and stops on the ones left out above; the CSV here "
               "covers the options that could be evaluated.")
