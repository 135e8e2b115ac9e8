"""Finance: cash vs accrual, annual (fiscal-year) view, NPV and payback, break-even volume, tornado,
Monte Carlo, and the FOCUS CSV / XLSX downloads.

The scenario is the one on the Compare page (its last valid YAML in session state), else the default
scenario. The finance settings here override its ``finance:`` block. Every number comes from
tco.analysis, every figure from tco.charts_finance, every download from a pure tested builder.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tco import analysis, beyond_gpus, charts_finance
from tco.focus import default_option, to_focus_csv
from tco.scenario import parse_scenario
from tco.xlsx import to_xlsx
from views import common, downloads

MC_RESULT = "finance_mc_result"

catalog = common.get_catalog()
ss = st.session_state
base = common.compare_scenario(catalog)

st.title("Finance")
st.caption(f"Scenario: {base.name} ({base.start}, {base.months} months). Edit the workload and options on the "
           "Compare page; the finance settings below apply here and to the downloads.")


def _default(key: str, inline, fallback: float = 0.0) -> float:
    if inline is not None:
        return float(inline)
    a = catalog.assumptions.get(key)
    return float(a.value) if a is not None else fallback


fin = base.finance
with st.expander("Finance settings", expanded=False):
    c1, c2, c3 = st.columns(3)
    rate = c1.number_input("Discount rate per year", min_value=-0.5, max_value=1.0, step=0.01, format="%.3f",
                           value=_default("discount_rate", fin.discount_rate, 0.07), key="fin_discount_rate",
                           help=common.assumption_caption(catalog, "discount_rate"))
    fy_start = c1.selectbox("Fiscal year starts in month", list(range(1, 13)), index=fin.fiscal_year_start_month - 1,
                            key="fin_fy_start")
    api_chg = c2.number_input("API price change per year", min_value=-0.99, max_value=5.0, step=0.05, format="%.2f",
                              value=_default("api_price_change_per_year", fin.api_price_change_per_year),
                              key="fin_api_change", help=common.assumption_caption(catalog, "api_price_change_per_year"))
    rent_chg = c2.number_input("GPU rental price change per year", min_value=-0.99, max_value=5.0, step=0.05, format="%.2f",
                               value=_default("rent_price_change_per_year", fin.rent_price_change_per_year),
                               key="fin_rent_change", help=common.assumption_caption(catalog, "rent_price_change_per_year"))
    elec_chg = c2.number_input("Electricity price change per year", min_value=-0.99, max_value=5.0, step=0.01,
                               format="%.2f", key="fin_elec_change",
                               value=_default("electricity_price_change_per_year", fin.electricity_price_change_per_year),
                               help=common.assumption_caption(catalog, "electricity_price_change_per_year"))
    currency = c3.text_input("Currency (ISO code)", value=fin.currency, max_chars=3, key="fin_currency").strip().upper()
    fx = c3.number_input("Units of currency per USD", min_value=0.000001, value=float(fin.usd_to_currency), format="%.4f",
                         key="fin_fx", help="One rate for the whole horizon; JSON and long CSV exports stay in USD.")
    st.caption("Price changes apply month by month as (1 + r)^(m/12): -0.3 = 30% cheaper each year. "
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
    scenario_yaml = parse_scenario(doc, "finance settings").to_yaml()
except Exception as exc:
    common.show_problems(getattr(exc, "problems", [str(exc)]), title="The finance settings are not valid:")
    st.stop()

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
    st.markdown(f"- {common._escape(sentence)}")
st.caption("Total cost over the horizon at each first-month volume (growth and traffic shape unchanged); crossings "
           "found on the sweep and refined by bisection.")

# ----------------------------------------------------------------------------------------------
st.subheader("Sensitivity (tornado)")
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
else:
    tor = None
    st.info("Add a second option to compare sensitivities.")

# ----------------------------------------------------------------------------------------------
st.subheader("Monte Carlo")
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
    st.dataframe(pd.DataFrame([{"Option": r["name"], f"P10 [{cur}]": r["p10"] * fxr, f"P50 [{cur}]": r["p50"] * fxr,
                                f"P90 [{cur}]": r["p90"] * fxr, f"Mean [{cur}]": r["mean"] * fxr,
                                "P(cheapest)": f"{pc[r['name']]:.1%}"} for r in mc.stats("total")]),
                 hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in
                                (f"P10 [{cur}]", f"P50 [{cur}]", f"P90 [{cur}]", f"Mean [{cur}]")})
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
                 workbook=lambda r=result, t=tor, m=mc: to_xlsx(r, t, m))
st.caption(f"Both in {cur}. The CSV follows FOCUS 1.2 column names (a forecast: FOCUS-aligned, not a conformant "
           "billing dataset; UTF-8 with BOM); the workbook is live: an Inputs sheet with every assumption, monthly "
           "sheets as Excel formulas over it, and, once computed, Sensitivity and Monte Carlo sheets (values).")
