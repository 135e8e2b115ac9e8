"""Capacity ranges carried into cost (tco/analysis/uncertainty.py) and into evaluate's JSON."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from tco.model.capacity import CapacityResult
from tco.analysis.capacity_range import capacity_scale_bounds, capacity_scale_samples, cost_range, lognormal_from_p10_p90

ROOT = Path(__file__).resolve().parents[1]


def test_bounds_and_samples_hand_case():
    est = CapacityResult(rps=2.0, source="estimated", rps_low=1.0, rps_high=4.0)
    meas = CapacityResult(rps=3.0, source="measured")
    b = capacity_scale_bounds([est, meas, None])
    # estimated: 1/2 = 0.5, 4/2 = 2.0; measured and missing: points
    assert_allclose(b, [[0.5, 2.0], [1.0, 1.0], [1.0, 1.0]])
    # lognormal with P10 0.5, P90 2: mu = (ln 0.5 + ln 2)/2 = 0, sigma = ln 4 / (2 x 1.28155) = 0.54087
    mu, sigma = lognormal_from_p10_p90(0.5, 2.0)
    assert_allclose([mu, sigma], [0.0, np.log(4) / (2 * 1.2815515655446004)], atol=1e-12)
    s = capacity_scale_samples([est, meas], 20000, np.random.default_rng(1))
    assert s.shape == (20000, 2)
    assert (s[:, 1] == 1.0).all()  # measured capacity stays a point
    assert_allclose(np.percentile(s[:, 0], [10, 90]), [0.5, 2.0], rtol=0.05)


def test_cost_range_of_an_estimated_option():
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.report.export import to_json_dict
    from tco.scenario import load_scenario

    cat = load_catalog()
    s = load_scenario(ROOT / "data" / "scenarios" / "chat_assistant.yaml")
    # Qwen2.5 72B has no measured profile: the capacity is estimated and carries a range
    opt = s.options[3]
    assert opt.self_host.gpu == "h100-sxm" and opt.self_host.gpus_per_replica == 4
    opt.self_host.model = "qwen2.5-72b"
    res = evaluate(s, cat)
    o = res.option(opt.name)
    assert o.capacity.source == "estimated"
    assert o.capacity.rps_low < o.capacity.rps < o.capacity.rps_high
    rng = cost_range(s, cat, res)
    lo, hi = rng[opt.name]
    assert lo <= o.total_cash_usd <= hi and lo < hi  # fewer req/s per replica -> more GPUs -> dearer
    doc = to_json_dict(res, rng)
    j = next(x for x in doc["options"] if x["name"] == opt.name)
    assert j["capacity_rps_per_replica_low"] < j["capacity_rps_per_replica"] < j["capacity_rps_per_replica_high"]
    assert j["total_cash_usd_low"] <= j["total_cash_usd"] <= j["total_cash_usd_high"]
    api = next(x for x in doc["options"] if x["kind"] == "api")
    assert api["total_cash_usd_low"] == api["total_cash_usd"] == api["total_cash_usd_high"]


def test_monte_carlo_draws_estimated_capacity_only():
    from tco.analysis import evaluate_batch, monte_carlo
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.scenario import load_scenario

    cat = load_catalog()
    s = load_scenario(ROOT / "data" / "scenarios" / "chat_assistant.yaml")
    s.options[3].self_host.model = "qwen2.5-72b"  # estimated (range); options[4] stays adjusted (a point)
    res = evaluate(s, cat)
    # every multiplier at 1: the batch equals evaluate()
    ones = np.ones((1, len(res.options)))
    b = evaluate_batch(res, {"capacity_by_option": ones})
    assert_allclose(b.totals("cash")[0], [o.total_cash_usd for o in res.options], rtol=1e-9)
    mc = monte_carlo(res, [], draws=400, seed=3)
    names = [o.name for o in res.options]
    est, pt = names.index(s.options[3].name), names.index(s.options[4].name)
    assert mc.totals[:, est].std() > 0  # drawn from its range
    assert_allclose(mc.totals[:, pt], res.options[pt].total_cash_usd, rtol=1e-9)  # measured: a point
    lo, hi = np.percentile(mc.totals[:, est], [5, 95])
    assert lo < res.options[est].total_cash_usd < hi


# ---------------------------------------------------------------------------------------------
# Cost ranges (tco.analysis.capacity_range.cost_ranges): golden numbers worked out by hand

MINI = ROOT / "tests" / "fixtures" / "mini_data"


def _ranged_scenario(api_prices: dict):
    from tco.scenario import parse_scenario

    # 2,419,200 req/day = 28 req/s on average; peak = 2 x 28 = 56 req/s; 3 months from 2027-01
    return parse_scenario({
        "name": "range golden", "start": "2027-01", "months": 3,
        "workload": {"requests_per_day": 2_419_200, "input_tokens": 100, "output_tokens": 100, "peak_to_average": 2},
        "options": [{"name": "api", "prices": api_prices},
                    {"name": "est", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2,
                                                  "target_utilization": 0.8, "spare_replicas": 0, "staff_fte": 0.5,
                                                  "rent": {"usd_per_gpu_hour": 2.5}}}]})


def test_cost_ranges_hand_case():
    import pytest

    from tco.analysis.capacity_range import cost_ranges
    from tco.catalog import load_catalog
    from tco.engine import evaluate

    cat = load_catalog(MINI)  # no profile in the mini catalog: the capacity is estimated, with a range
    s = _ranged_scenario({"input": 1.0, "output": 1.0})
    res = evaluate(s, cat)
    cap = res.option("est").capacity
    assert cap.source == "estimated" and cap.rps_low < cap.rps < cap.rps_high

    def hand_total(rps: float) -> float:
        # replicas = ceil(peak / (capacity x utilization)) = ceil(56 / (rps x 0.8)); 2 GPUs each at 2.5 $/h, 730 h;
        # staff 0.5 FTE x 120,000 / 12 = 5,000 a month; 3 months
        replicas = np.ceil(56 / (rps * 0.8))
        return 3 * (replicas * 2 * 2.5 * 730 + 5_000)

    # today's estimate (docs/estimator.md): 17.75 / 23.58 / 35.58 req/s -> 4 / 3 / 2 replicas
    # -> 3 x (4 x 3,650 + 5,000) = 58,800; 3 x (3 x 3,650 + 5,000) = 47,850; 3 x (2 x 3,650 + 5,000) = 36,900
    r = cost_ranges(s, cat, res)
    est = r.option("est")
    assert est.ranged and est.capacity_source == "estimated"
    assert est.total_cash_usd == pytest.approx(hand_total(cap.rps))
    assert est.total_cash_usd_low == pytest.approx(hand_total(cap.rps_high))  # the high capacity is the cheap end
    assert est.total_cash_usd_high == pytest.approx(hand_total(cap.rps_low))
    assert est.capacity_rps_low == cap.rps_low and est.capacity_rps_high == cap.rps_high
    # renting: accrual = cash; per 1M tokens = total / (2,419,200 x 730/24 x 200 tokens x 3 months / 1e6)
    tokens_m = 2_419_200 * 730 / 24 * 200 * 3 / 1e6
    assert est.total_accrual_usd_low == pytest.approx(est.total_cash_usd_low)
    assert est.usd_per_million_tokens_low == pytest.approx(est.total_cash_usd_low / tokens_m)
    assert est.usd_per_million_tokens_high == pytest.approx(est.total_cash_usd_high / tokens_m)
    # the API is a point: 73.584M requests a month x 200 tokens x 1 $/1M = 14,716.80 a month, 44,150.40 in all
    api = r.option("api")
    assert not api.ranged
    assert api.total_cash_usd_low == api.total_cash_usd == api.total_cash_usd_high == pytest.approx(44_150.40)
    assert r.reference == "api"
    # the JSON view (evaluate --format json) is the same numbers
    assert r.as_dict()["est"] == (est.total_cash_usd_low, est.total_cash_usd_high)
    # break-even against the API: per month est costs replicas x 3,650 + 5,000 vs 14,716.80; it moves when
    # the cheap and the dear end are on different sides of the API
    monthly = {end: hand_total(v) / 3 for end, v in (("cheap", cap.rps_high), ("dear", cap.rps_low))}
    assert est.break_even_month_cheap_end == ("2027-01" if monthly["cheap"] <= 14_716.80 else None)
    assert est.break_even_month_dear_end == ("2027-01" if monthly["dear"] <= 14_716.80 else None)
    # may the estimated option be the cheapest? its low end against the API's point
    assert ("est" in r.may_be_cheapest) == (est.total_cash_usd_low <= 44_150.40)


def test_measured_only_evaluates_nothing_more(monkeypatch):
    from tco.analysis import capacity_range
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.scenario import parse_scenario

    cat = load_catalog(MINI)
    s = parse_scenario({"name": "points", "start": "2027-01", "months": 2,
                        "workload": {"requests_per_day": 86_400, "input_tokens": 100, "output_tokens": 100},
                        "options": [{"name": "api", "prices": {"input": 1.0, "output": 1.0}},
                                    {"name": "given", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm",
                                                                    "gpus_per_replica": 2, "capacity_rps_per_replica": 2.0,
                                                                    "rent": {"usd_per_gpu_hour": 2.5}}}]})
    res = evaluate(s, cat)
    monkeypatch.setattr(capacity_range, "evaluate", lambda *a, **k: (_ for _ in ()).throw(AssertionError("evaluated")))
    r = capacity_range.cost_ranges(s, cat, res)
    assert not r.any_ranged and r.sentence == ""
    given = r.option("given")
    assert given.capacity_source == "inline" and given.total_cash_usd_low == given.total_cash_usd_high


def test_may_be_cheapest_and_the_sentence():
    from tco.analysis.capacity_range import OptionCostRange, may_be_cheapest, ranges_sentence

    # totals [USD]: A 100 (point), B 90-130 (point 110), C 150-400
    # A can be cheapest (100 <= min(130, 400)); B (90 <= min(100, 400)); C not (150 > 100)
    assert may_be_cheapest(["A", "B", "C"], [100, 90, 150], [100, 130, 400]) == ["A", "B"]
    assert may_be_cheapest(["only"], [5], [7]) == ["only"]

    def opt(name, lo, p, hi, ranged, be=(None, None, None)):
        return OptionCostRange(name, "self_host" if ranged else "api", "estimated" if ranged else None, ranged,
                               None, None, None, p, lo, hi, p, lo, hi, 1.0, 1.0, 1.0, *be)

    a = opt("A", 100, 100, 100, False)
    b = opt("B", 90, 110, 130, True, ("2027-03", "2027-01", None))
    words = ranges_sentence([a, b], "A", "A", ["A", "B"])
    assert "over its P10-P90 range (the estimator's leave-one-GPU-out error) the total cash of **B** is $90-$130." in words
    assert "the cheapest option may be **B** instead of **A**" in words
    assert "Break-even of **B** versus **A** falls between 2027-01 and never (point estimate: 2027-03)" in words
    b_small = opt("B", 105, 110, 130, True, ("2027-03", "2027-03", "2027-03"))
    words = ranges_sentence([a, b_small], "A", "A", ["A"])
    assert "**A** stays the cheapest" in words and "do not change within the ranges" in words
    assert ranges_sentence([a], "A", "A", ["A"]) == ""


def test_cost_range_figure_error_bars_only_for_estimated_options():
    import pytest

    from tco.analysis.capacity_range import CostRanges, OptionCostRange
    from tco.charts.cost_range import cost_range_figure

    def opt(name, kind, source, lo, p, hi):
        return OptionCostRange(name, kind, source, lo != hi, None, None, None, p, lo, hi, p * 0.9, lo * 0.9, hi * 0.9,
                               1.0, 1.0, 1.0, None, None, None)

    r = CostRanges((opt("api", "api", None, 44_150.4, 44_150.4, 44_150.4),
                    opt("est", "self_host", "estimated", 36_900, 47_850, 58_800),
                    opt("meas", "self_host", "measured", 30_000, 30_000, 30_000)), "api", "meas", ("meas",), "")
    fig = cost_range_figure(r, "cash", {"est": "#123456"})
    bar = fig.data[0]
    # cheapest on top: meas 30,000, api 44,150.40, est 47,850
    assert list(bar.y) == ["meas", "api", "est"]
    assert list(bar.x) == pytest.approx([30_000, 44_150.4, 47_850])
    # error bar for est only: + (58,800 - 47,850) = 10,950 and - (47,850 - 36,900) = 10,950; the points have none
    whiskers, labels = fig.data[1], fig.data[2]
    assert list(whiskers.y) == ["est"] and list(whiskers.x) == pytest.approx([47_850])
    assert list(whiskers.error_x.array) == pytest.approx([10_950])
    assert list(whiskers.error_x.arrayminus) == pytest.approx([10_950])
    # each label at the right end of its bar or range, saying what the cost rests on
    assert list(labels.x) == pytest.approx([30_000, 44_150.4, 58_800])
    assert list(labels.text) == ["$30,000 (measured capacity)", "$44,150 (API price)",
                                 "$36,900-$58,800 (estimated capacity)"]
    assert bar.marker.color[2] == "#123456"
    assert "capacity range" in fig.layout.title.text and "[USD]" in fig.layout.xaxis.title.text
    # accrual basis and another currency: 0.9 x the cash figures above, x 2 EUR per USD
    acc = cost_range_figure(r, "accrual", usd_to_currency=2.0, currency="EUR")
    assert list(acc.data[0].x) == pytest.approx([54_000, 79_470.72, 86_130])
    assert acc.data[2].text[2] == "66,420-106k (estimated capacity)"  # 105,840 shown as 106k (fmt_usd)
    with pytest.raises(ValueError):
        cost_range_figure(r, "npv")
    assert len(cost_range_figure(CostRanges((), None, None, (), "")).data) == 0


def test_workbook_has_a_capacity_range_sheet_for_estimated_capacities_only():
    import io

    import openpyxl
    import pytest

    from tco.analysis.capacity_range import cost_ranges
    from tco.catalog import load_catalog
    from tco.engine import evaluate
    from tco.report.xlsx import to_xlsx

    cat = load_catalog(MINI)
    s = _ranged_scenario({"input": 1.0, "output": 1.0})
    res = evaluate(s, cat)
    r = cost_ranges(s, cat, res)
    est = r.option("est")
    for values_only in (False, True):
        wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(res, values_only=values_only, capacity_ranges=r)))
        ws = wb["Capacity range"]
        assert [c.value for c in ws[1]][:3] == ["Option", "Capacity [req/s/replica]", "Capacity P10 [req/s/replica]"]
        row = [c.value for c in ws[2]]
        assert row[0] == "est" and ws.max_row >= 2 and ws["A3"].value is None  # the API is a point: no row
        assert row[2] == pytest.approx(est.capacity_rps_low) and row[3] == pytest.approx(est.capacity_rps_high)
        assert row[5:7] == pytest.approx([round(est.total_cash_usd_low, 2), round(est.total_cash_usd_high, 2)])
    # nothing estimated (or no ranges given): no sheet
    assert "Capacity range" not in openpyxl.load_workbook(io.BytesIO(to_xlsx(res))).sheetnames


def test_cli_table_notes_the_range_and_json_carries_it(capsys):
    import json

    from tco.cli import main

    scen = str(ROOT / "tests" / "fixtures" / "capacity_range" / "scenario.yaml")
    assert main(["evaluate", scen]) == 0
    err = capsys.readouterr().err
    assert "note: Capacity of 1 option is estimated, not measured" in err and "Qwen 72B estimated is $" in err
    assert main(["evaluate", scen, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    est = next(o for o in doc["options"] if o["name"] == "Qwen 72B estimated")
    meas = next(o for o in doc["options"] if o["name"] == "Llama 8B measured")
    assert est["total_cash_usd_low"] < est["total_cash_usd"] < est["total_cash_usd_high"]
    assert meas["total_cash_usd_low"] == meas["total_cash_usd"] == meas["total_cash_usd_high"]
    assert meas["capacity_rps_per_replica_low"] == meas["capacity_rps_per_replica"] == meas["capacity_rps_per_replica_high"]
