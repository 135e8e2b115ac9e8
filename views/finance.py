"""Finance: cash vs accrual, annual (fiscal-year) view, NPV and payback, break-even volume, tornado,
Monte Carlo, and the FOCUS CSV / XLSX downloads.

The page reads the session scenario (views.common.session_scenario); the finance settings here are its
``finance:`` block and are written back as they change, so Compare, the address bar and every download
follow. Sensitivity and Monte Carlo are what-ifs (the scenario is unchanged). Rates show as percent
(tco.core.percent). Every number comes from tco.analysis, every figure from tco.charts.finance, every download
from a pure tested builder.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco import analysis
from tco.charts import finance as charts_finance
from tco.core.exceptions import ProblemsError
from tco.core.percent import display_value, from_percent, implausible, plain_number, to_percent
from tco.model import beyond_gpus
from tco.report.focus import default_option, to_focus_csv
from tco.report.xlsx import to_xlsx
from tco.scenario import parse_scenario
from tco.scenario.view import input_value_text, point_estimate_percentile, range_note
from views import common, downloads
from views.capacity_range_section import render_range_caption

MC_RESULT = "finance_mc_result"
#: Tornado inputs that are scenario fields, so a what-if value can be applied: key -> (section, field).
APPLY_PATHS = {"requests_per_day": ("workload", "requests_per_day"), "growth_per_month": ("workload", "growth_per_month"),
               "discount_rate": ("finance", "discount_rate"),
               "api_price_change_per_year": ("finance", "api_price_change_per_year"),
               "fte_cost_per_year": ("ops", "fte_cost_per_year")}

catalog = common.get_catalog()
ss = st.session_state
base = common.session_scenario(catalog)

st.title("Finance")
panel = st.container()
st.caption("The finance settings below change the scenario: Compare's NPV, the address bar and every download use "
           "them. Rates are in percent (7 = 7 %/year; the scenario file stores 0.07).")


def _default(key: str, inline, fallback: float = 0.0) -> float:
    if inline is not None:
        return float(inline)
    a = catalog.assumptions.get(key)
    return float(a.value) if a is not None else fallback


fin = base.finance
unconfirmed: list[str] = []


def percent_input(where, label: str, key: str, assumption: str, inline, quantity: str, lo: float, hi: float,
                  step: float, fallback: float = 0.0) -> float:
    """A rate shown and typed in percent; returns the fraction. An implausible value needs a tick."""
    pct = where.number_input(f"{label} [%]", min_value=lo, max_value=hi, step=step, format="%.2f",
                             value=float(to_percent(_default(assumption, inline, fallback))), key=key,
                             help=common.assumption_caption(catalog, assumption))
    value = from_percent(pct)
    reason = implausible(quantity, value)
    if reason:
        where.warning(reason, icon=":material/warning:")
        if not where.checkbox(f"Use {plain_number(pct)} % anyway", key=f"{key}_confirm"):
            unconfirmed.append(f"{label}: {reason}")
    return value


with st.expander("Finance settings", expanded=True):
    c1, c2, c3 = st.columns(3)
    rate = percent_input(c1, "Discount rate per year", "fin_discount_rate", "discount_rate", fin.discount_rate,
                         "discount_rate", -50.0, 1000.0, 0.5, 0.07)
    fy_start = c1.selectbox("Fiscal year starts in month", list(range(1, 13)), index=fin.fiscal_year_start_month - 1,
                            key="fin_fy_start")
    api_chg = percent_input(c2, "API price change per year", "fin_api_change", "api_price_change_per_year",
                            fin.api_price_change_per_year, "price_change_per_year", -99.0, 500.0, 5.0)
    rent_chg = percent_input(c2, "GPU rental price change per year", "fin_rent_change", "rent_price_change_per_year",
                             fin.rent_price_change_per_year, "price_change_per_year", -99.0, 500.0, 5.0)
    elec_chg = percent_input(c2, "Electricity price change per year", "fin_elec_change",
                             "electricity_price_change_per_year", fin.electricity_price_change_per_year,
                             "price_change_per_year", -99.0, 500.0, 1.0)
    currency = c3.text_input("Currency (ISO code)", value=fin.currency, max_chars=3, key="fin_currency").strip().upper()
    fx = c3.number_input("Units of currency per USD", min_value=0.000001, value=float(fin.usd_to_currency), format="%.4f",
                         key="fin_fx", help="One rate for the whole horizon; JSON and long CSV exports stay in USD.")
    st.caption("Price changes apply month by month as (1 + r)^(m/12): -30 % = 30 % cheaper each year. "
               "API prices for constant capability have fallen ~10x a year (a16z, Epoch), but the same model's price "
               "moves far less; GPU rental prices have moved both ways (see docs/finance.md).")



def _inline(key: str, value: float):
    """Keep a value inline only when the scenario set it or the user moved it off the catalog default, so the
    result still reports catalog defaults as such (and the tornado uses the catalog's low/high for them)."""
    inline = getattr(fin, key)
    return value if (inline is not None or value != _default(key, None)) else None


doc = base.to_dict()
doc["finance"] = {k: v for k, v in dict(
    discount_rate=_inline("discount_rate", rate), api_price_change_per_year=_inline("api_price_change_per_year", api_chg),
    rent_price_change_per_year=_inline("rent_price_change_per_year", rent_chg),
    electricity_price_change_per_year=_inline("electricity_price_change_per_year", elec_chg), currency=currency or "USD",
    usd_to_currency=1.0 if (currency or "USD") == "USD" else fx, fiscal_year_start_month=fy_start,
    include_capital_charge=fin.include_capital_charge or None).items() if v is not None}  # issue 18: kept from the scenario
try:
    edited = parse_scenario(doc, "finance settings")
except ProblemsError as exc:
    common.show_problems(exc.problems, title="The finance settings are not valid (the scenario is unchanged):")
    edited = None
if unconfirmed:
    common.show_problems([u + " Not applied; tick the box to use it anyway." for u in unconfirmed],
                         title="Not applied to the scenario:")
elif edited is not None and edited.to_yaml() != ss.get(common.SCENARIO_YAML):
    common.commit_scenario(edited, source="page")
    base = edited
scenario_yaml = base.to_yaml()  # the numbers below are always the session scenario's
with panel:
    common.scenario_panel(catalog, base)

result, problems = common.evaluate_yaml(scenario_yaml)
if result is None:
    common.show_problems(problems, title="This scenario cannot be evaluated:")
    st.stop()
for name, reason in result.skipped:
    st.warning(f"Skipped {name}: {reason}")

cur, fxr = charts_finance.currency_of(result)
st.caption(f"Amounts in **{cur}**" + (f" at {fxr:g} {cur} per USD (one rate)." if cur != "USD" else "."))


basis = st.radio("Basis", ["cash", "accrual"], horizontal=True, key="finance_basis",
                 help="Cash: servers paid when bought. Accrual: servers depreciated straight-line. "
                      "Applies to every cost chart and table on this page.")

# ----------------------------------------------------------------------------------------------
st.subheader("NPV and payback")
rows = analysis.payback_table(result, basis)
st.dataframe(pd.DataFrame([{
    "Option": r["option"], f"Total {basis} [{cur}]": r["total_usd"] * fxr, f"NPV (cash) [{cur}]": r["npv_usd"] * fxr,
    f"Cost per 1M tokens [{cur}]": r["usd_per_million_tokens"] * fxr,
    "Payback vs " + (result.reference or "reference"): r["payback_month"] or ("-" if r["kind"] == "api" else "never"),
} for r in rows]), hide_index=True, width="stretch",
    column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in
                   (f"Total {basis} [{cur}]", f"NPV (cash) [{cur}]")})
st.caption(f"NPV at {result.finance_inputs.get('discount_rate', 0):.1%} a year, monthly discounting (1 + r)^(m/12). "
           "Payback: the first month from which cumulative savings against the reference API stay positive.")
render_range_caption(result, catalog, basis, cur, fxr)  # issue 16: totals of estimated capacities as low-high
st.plotly_chart(charts_finance.cumulative_chart(result, basis), theme=None, width="stretch", key="fin_cum")
cap_rows = beyond_gpus.capital_and_commitment_rows(result)  # issue 18: capital charge and commitments
if cap_rows:
    st.dataframe(pd.DataFrame([{"Option": r["option"], "Economic [USD/GPU-h]": r["economic_usd_per_gpu_hour"],
                                "Capital charge [USD]": r["capital_charge_usd"], "Reserved upfront [USD]": r["reserved_upfront_usd"],
                                "Owed after the horizon [USD]": r["commitment_after_horizon_usd"]} for r in cap_rows]),
                 hide_index=True, width="stretch")
    st.caption("Economic $/GPU-hour of owned GPUs = (depreciation + capital charge + power + colo + maintenance + staff) "
               "/ GPU-hours (docs/methodology.md, section 11); the capital charge counts in accrual totals only with "
               "finance.include_capital_charge. Reserved terms: payments still owed after the horizon are not in its cash.")
downloads.chart(lambda r=result, b=basis: charts_finance.cumulative_chart(r, b), result.scenario.name, "cumulative-cost", "fin_cum")

st.subheader("Annual view")
view = analysis.annual_view(result, basis, fy_start)
st.plotly_chart(charts_finance.annual_chart(view, cur, fxr), theme=None, width="stretch", key="fin_annual")
downloads.chart(lambda v=view, c=cur, x=fxr: charts_finance.annual_chart(v, c, x), result.scenario.name, "annual", "fin_annual")
table = pd.DataFrame(view.values * fxr, index=view.options,
                     columns=[y if m == 12 else f"{y} ({m} mo)" for y, m in zip(view.years, view.months_in_year)])
st.dataframe(table, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in table.columns})

# ----------------------------------------------------------------------------------------------
st.subheader("Break-even volume")
sweep = analysis.break_even_volume(result, basis)
st.plotly_chart(charts_finance.break_even_chart(sweep, cur, fxr), theme=None, width="stretch", key="fin_breakeven")
downloads.chart(lambda v=sweep, c=cur, x=fxr: charts_finance.break_even_chart(v, c, x), result.scenario.name, "break-even-volume", "fin_breakeven")
for sentence in sweep.summaries or ["Add an API option and a self-host option to see break-even volumes."]:
    st.markdown(f"- {common.escape_markdown(sentence)}")
st.caption("Total cost over the horizon at each first-month volume (growth and traffic shape unchanged); crossings "
           "found on the sweep and refined by bisection.")

# ----------------------------------------------------------------------------------------------
st.subheader("Sensitivity (tornado, what-if)")
st.caption("What-if: each input is moved alone; the scenario is unchanged. To keep a value, set it in the finance "
           "settings above or on the page that owns it.")
names = [o.name for o in result.options]
if len(names) >= 2:
    a_def, b_def = analysis.default_pair(result)
    c1, c2, c3 = st.columns(3)
    metric = c1.selectbox("Metric", list(analysis.METRICS), key="fin_metric",
                          format_func=lambda m: {"npv": "NPV (cash)", "total_cash": "Total cash",
                                                 "total_accrual": "Total accrual"}[m])
    opt_a = c2.selectbox("Option A", names, index=names.index(a_def), key="fin_opt_a")
    opt_b = c3.selectbox("minus option B", names, index=names.index(b_def) if b_def in names else 0, key="fin_opt_b")

    @st.cache_data(max_entries=16, show_spinner=False)
    def _tornado(yaml_text: str, version: str, metric: str, a: str, b: str) -> analysis.Tornado:
        res = common.evaluate_cached(yaml_text, version)
        return analysis.tornado(res, catalog, metric, (a, b if b != a else None))

    with st.spinner("Re-evaluating the scenario for each input..."):
        tor = _tornado(scenario_yaml, common.catalog_version(), metric, opt_a, opt_b)
    st.plotly_chart(charts_finance.tornado_chart(tor, cur, fxr), theme=None, width="stretch", key="fin_tornado")
    downloads.chart(lambda v=tor, c=cur, x=fxr: charts_finance.tornado_chart(v, c, x), result.scenario.name, "tornado", "fin_tornado")
    st.caption("Each input moved alone to its low and high value (catalog range where the value is a catalog default, "
               "else -/+25%); bars sorted by swing.")
    applicable = [b for b in tor.bars if b.key in APPLY_PATHS
                  and not (b.key == "growth_per_month" and base.workload.growth is not None)]
    if applicable:
        a1, a2, a3 = st.columns([2, 1, 1])
        pick = a1.selectbox("What-if to keep", [b.key for b in applicable], key="fin_apply_input",
                            format_func=lambda k: next(b.label for b in applicable if b.key == k))
        bar = next(b for b in applicable if b.key == pick)
        end = a2.radio("Value", ["low", "high"], horizontal=True, key="fin_apply_end",
                       format_func=lambda e: f"{e}: {display_value(getattr(bar, e + '_input'), bar.unit)}")

        def _apply_what_if(key=pick, value=getattr(bar, end + "_input")) -> None:
            doc = base.to_dict()
            section, field = APPLY_PATHS[key]
            doc.setdefault(section, {})[field] = round(float(value), 12)
            common.commit_scenario(parse_scenario(doc, "finance what-if"))

        a3.button("Apply to the scenario", key="fin_apply_what_if", on_click=_apply_what_if,
                  icon=":material/check:", help="Makes this input's low or high value part of the scenario "
                                                 "(every page, the address and the downloads).")
else:
    tor = None
    st.info("Add a second option to compare sensitivities.")

# ----------------------------------------------------------------------------------------------
st.subheader("Monte Carlo (what-if)")
c1, c2, c3 = st.columns(3)
draws = c1.number_input("Draws", min_value=100, max_value=200_000, value=5_000, step=1_000, key="fin_draws")
seed = c2.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="fin_seed")
dist = c3.selectbox("Distribution", ["triangular", "lognormal"], key="fin_dist",
                    help="Triangular(low, base, high); lognormal uses low/high as P5/P95 (positive inputs only).")
mc_key = (scenario_yaml, int(draws), int(seed), dist, basis)
if st.button("Run Monte Carlo", key="fin_run_mc", type="primary"):
    bar = st.progress(0.0, text="Sampling and evaluating draws...")
    unc = analysis.default_uncertainties(result, catalog, dist=dist)
    mc_new = analysis.monte_carlo(result, unc, int(draws), int(seed), basis,
                                  progress=lambda f: bar.progress(min(1.0, f), text=f"Evaluated {f:.0%} of the draws"))
    bar.empty()
    ss[MC_RESULT] = (mc_key, mc_new)
mc = ss[MC_RESULT][1] if MC_RESULT in ss and ss[MC_RESULT][0] == mc_key else None
if mc is not None:
    pc = mc.probability_cheapest()
    mc_rows, range_notes = [], []
    for i, r in enumerate(mc.stats("total")):
        o = result.option(r["name"])
        point = o.total_cash_usd if mc.basis == "cash" else o.total_accrual_usd
        pct = point_estimate_percentile(mc.totals[:, i], point)
        mc_rows.append({"Option": r["name"], f"Point estimate [{cur}]": point * fxr,
                        "Point's percentile": f"P{plain_number(pct, 3)}", f"P10 [{cur}]": r["p10"] * fxr,
                        f"P50 [{cur}]": r["p50"] * fxr, f"P90 [{cur}]": r["p90"] * fxr, f"Mean [{cur}]": r["mean"] * fxr,
                        "P(cheapest)": f"{plain_number(pc[r['name']] * 100, 3)} %"})
        note = range_note(r["p10"], r["p90"], point, pct, mc.uncertainties)
        if note:
            range_notes.append(f"**{common.escape_markdown(r['name'])}**: {note}")
    st.dataframe(pd.DataFrame(mc_rows), hide_index=True, width="stretch", key="fin_mc_table",
                 column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in
                                (f"Point estimate [{cur}]", f"P10 [{cur}]", f"P50 [{cur}]", f"P90 [{cur}]",
                                 f"Mean [{cur}]")})
    for note in range_notes:
        st.info(note, icon=":material/info:")
    st.caption("Point's percentile: the share of draws at or below the point estimate (the scenario's own numbers, "
               "every input at its base value). Each input's distribution: "
               + "; ".join(f"{u.label or u.key} {u.dist}(low {input_value_text(u.key, u.low)}, base "
                           f"{input_value_text(u.key, u.mode)}, high {input_value_text(u.key, u.high)})"
                           for u in mc.uncertainties) + ".")
    st.plotly_chart(charts_finance.s_curve_chart(mc, cur, fxr), theme=None, width="stretch", key="fin_scurve")
    downloads.chart(lambda v=mc, c=cur, x=fxr: charts_finance.s_curve_chart(v, c, x), result.scenario.name, "monte-carlo", "fin_scurve")
else:
    st.caption("Uncertain inputs: the tornado's ranges as distributions; all draws are evaluated at once.")

# ----------------------------------------------------------------------------------------------
common.stale_inputs_notice(result)  # before the exports that carry these figures
st.subheader("Downloads")
c1, c2 = st.columns(2)
downloads.csv("FOCUS-aligned CSV", lambda r=result: to_focus_csv(r, default_option(r)), result.scenario.name, "focus",
              "fin_dl_focus", container=c1, help="The cheapest option only (options are alternatives: a sum over "
                                                  "several means nothing); `tco evaluate --format focus --all-options` "
                                                  "writes them all with x_Option first.")
downloads.report(result, catalog, common.catalog_version(), key="fin_report", container=c2,
                 workbook=lambda r=result, t=tor, m=mc: to_xlsx(r, t, m, capacity_ranges=downloads.ranges_of(r, catalog)))
st.caption(f"Both in {cur}. The CSV follows FOCUS 1.2 column names (a forecast: FOCUS-aligned, not a conformant "
           "billing dataset; UTF-8 with BOM); the workbook is live: an Inputs sheet with every assumption, monthly "
           "sheets as Excel formulas over it, and, once computed, Sensitivity and Monte Carlo sheets (values).")
