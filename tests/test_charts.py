"""Figure builders (tco.charts) on a hand-built scenario over the tiny fixture catalog.

The scenario: 12 months from 2025-01, 1,000,000 requests/day flat, 1,000 input + 300 output tokens,
GPT-4o API (reference) against one rented and one owned self-host option whose capacity is given
inline (2 req/s per 4-GPU replica), so no throughput profile is needed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco import charts
from tco.catalog import load_catalog
from tco.engine import evaluate
from tco.scenario import parse_scenario

MINI = Path(__file__).resolve().parent / "fixtures" / "mini_data"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(MINI)


def _scenario(**workload):
    sh = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 4, "capacity_rps_per_replica": 2.0}
    return parse_scenario({
        "name": "charts test", "start": "2025-01", "months": 12,
        "workload": {"requests_per_day": 1_000_000, "input_tokens": 1000, "output_tokens": 300, **workload},
        "options": [
            {"name": "GPT-4o", "api": "openai/gpt-4o"},
            {"name": "Rent 4x H100", "self_host": {**sh, "rent": {"offer": "test-8x-h100"}}},
            {"name": "Own 4x H100", "self_host": {**sh, "own": {"server": "test-server"}}},
        ],
    })


@pytest.fixture(scope="module")
def result(catalog):
    return evaluate(_scenario(), catalog)


def test_option_colors_are_stable_and_distinct():
    a = charts.option_colors(["x", "y", "z"])
    assert a == charts.option_colors(["x", "y", "z", "x"])
    assert len(set(a.values())) == 3
    many = charts.option_colors([f"o{i}" for i in range(len(charts.PALETTE))])
    assert len(set(many.values())) == len(charts.PALETTE)


def test_colours_are_the_same_in_every_chart(result):
    colors = charts.result_colors(result)
    cum = charts.cumulative_cost_figure(result)
    by_name = {t.name: t.line.color for t in cum.data if t.mode == "lines"}
    assert by_name == {o.name: colors[o.name] for o in result.options}
    unit = charts.unit_cost_figure(result)
    assert dict(zip(unit.data[0].y, unit.data[0].marker.color)) == by_name
    fleet = charts.fleet_figure(result)
    for t in fleet.data:
        assert t.line.color == by_name[t.name.split(":")[0]]


def test_cumulative_traces_end_at_the_totals(result):
    fig = charts.cumulative_cost_figure(result, "cash")
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["GPT-4o", "Rent 4x H100", "Own 4x H100"]
    for t in lines:
        o = result.option(t.name)
        assert_allclose(np.asarray(t.y), np.cumsum(o.cash_usd))
        assert list(t.x) == result.months
        assert t.y[-1] == pytest.approx(o.total_cash_usd)
    # GPT-4o, flat 1,000,000 req/day x 30.4167 days: input 3.0417e10 tokens x 2.5 USD/1M + output 9.125e9 x 10
    # = 76,041.67 + 91,250.00 = 167,291.67 USD per month.
    assert lines[0].y[0] == pytest.approx(1_000_000 * 730 / 24 * (1000 * 2.5 + 300 * 10) / 1e6)
    assert fig.layout.title.text == "Cumulative cash cost per option over 12 months"
    assert "[USD]" in fig.layout.yaxis.title.text
    assert fig.layout.xaxis.title.text == "Month"
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, set explicitly


def test_break_even_markers_sit_on_the_curves(result):
    fig = charts.cumulative_cost_figure(result, "cash")
    markers = [t for t in fig.data if t.mode == "markers"]
    expected = [o for o in result.options if o.kind != "api" and o.break_even_index >= 0]
    assert expected, "the fixture should have a self-host option that breaks even"
    assert len(markers) == 1 and len(markers[0].x) == len(expected)
    for x, y, o in zip(markers[0].x, markers[0].y, expected):
        assert x == o.break_even_month
        assert y == pytest.approx(np.cumsum(o.cash_usd)[o.break_even_index])
    # accrual basis: break-even is a cash notion, no markers
    assert not [t for t in charts.cumulative_cost_figure(result, "accrual").data if t.mode == "markers"]


@pytest.mark.parametrize("basis", ["cash", "accrual"])
def test_monthly_stack_sums_to_the_option_series(result, basis):
    fig = charts.monthly_stack_figure(result, "Own 4x H100", basis)
    o = result.option("Own 4x H100")
    total = np.sum([np.asarray(t.y) for t in fig.data], axis=0)
    assert_allclose(total, o.cash_usd if basis == "cash" else o.accrual_usd, atol=1e-9)
    names = {t.name for t in fig.data}
    assert names <= set(o.line_items)
    assert ("capex" in names) == (basis == "cash") and ("depreciation" in names) == (basis == "accrual")
    assert fig.layout.barmode == "relative"  # stacks, with a negative residual below zero
    assert "Own 4x H100" in fig.layout.title.text and "[USD/month]" in fig.layout.yaxis.title.text
    for t in fig.data:
        assert t.marker.color == charts.LINE_ITEM_COLORS[t.name]


def test_unit_cost_bars(result):
    fig = charts.unit_cost_figure(result, "accrual")
    bars = dict(zip(fig.data[0].y, fig.data[0].x))
    for o in result.options:
        assert bars[o.name] == pytest.approx(o.usd_per_million_tokens)
    # GPT-4o without caching or batch: (1000 x 2.5 + 300 x 10) / 1300 = 4.2308 USD per 1M tokens
    assert bars["GPT-4o"] == pytest.approx(5500 / 1300)
    cash = charts.unit_cost_values(result, "cash")
    own = result.option("Own 4x H100")
    assert cash["Own 4x H100"] == pytest.approx(own.total_cash_usd / np.sum(own.input_tokens + own.output_tokens) * 1e6)
    assert "[USD / 1M tokens]" in fig.layout.xaxis.title.text


def test_fleet_shows_self_host_only(result):
    fig = charts.fleet_figure(result)
    names = [t.name for t in fig.data]
    assert names == ["Rent 4x H100: GPUs", "Own 4x H100: GPUs", "Own 4x H100: servers owned"]
    own = result.option("Own 4x H100")
    assert_allclose(np.asarray(fig.data[1].y), own.gpus)
    assert_allclose(np.asarray(fig.data[2].y), own.servers)
    assert "[GPUs or servers]" in fig.layout.yaxis.title.text


def test_more_traffic_moves_the_curves_up(catalog, result):
    bigger = evaluate(_scenario(requests_per_day=2_000_000), catalog)
    a = charts.cumulative_cost_figure(result).data[0].y[-1]
    b = charts.cumulative_cost_figure(bigger).data[0].y[-1]
    assert b == pytest.approx(2 * a)


def test_headline(result):
    h = charts.headline(result)
    cheapest = min(result.options, key=lambda o: o.total_cash_usd)
    ref = result.option("GPT-4o")
    assert h["cheapest"] == cheapest.name and h["reference"] == "GPT-4o"
    assert h["saving_usd"] == pytest.approx(ref.total_cash_usd - cheapest.total_cash_usd)
    assert h["break_even"] == {"Rent 4x H100": result.option("Rent 4x H100").break_even_month,
                               "Own 4x H100": result.option("Own 4x H100").break_even_month}
    assert cheapest.name in h["sentence"] and "12 months" in h["sentence"]


def test_nothing_evaluated_gives_empty_figures(catalog):
    # no profiles in the fixture and no inline capacity: the only option is skipped
    s = parse_scenario({"start": "2025-01", "months": 3, "workload": {"requests_per_day": 10, "input_tokens": 1,
                                                                       "output_tokens": 1},
                        "options": [{"name": "x", "self_host": {"model": "llama-3.1-70b", "gpu": "h100-sxm",
                                                                "rent": {"usd_per_gpu_hour": 2}}}]})
    r = evaluate(s, catalog, skip_infeasible=True)
    assert not r.options and r.skipped
    for fig in (charts.cumulative_cost_figure(r), charts.monthly_stack_figure(r), charts.unit_cost_figure(r),
                charts.fleet_figure(r)):
        assert fig.layout.annotations and not fig.data
    assert charts.headline(r)["cheapest"] is None


def test_bad_basis_is_refused(result):
    with pytest.raises(ValueError, match="basis"):
        charts.cumulative_cost_figure(result, "bank")


def test_figures_are_validated_in_the_suite_and_equal_unvalidated(result, monkeypatch):
    """make_figure skips plotly's validation in the app; the suite turns it on (tests/conftest.py), so a
    misspelt property fails here; unvalidated figures serialise to the same JSON as validated ones."""
    import json

    import plotly.io as pio

    assert charts.VALIDATE_FIGURES
    with pytest.raises(ValueError, match="colour"):
        charts.make_figure([{"type": "scatter", "x": [1], "y": [1], "line": {"colour": "red"}}], {})
    with pytest.raises(ValueError, match="TEMPLATE_TRACE_TYPES"):  # the trimmed template has no heatmap defaults
        charts.make_figure([{"type": "heatmap", "z": [[1]]}], {})
    builders = [lambda: charts.cumulative_cost_figure(result, "cash"), lambda: charts.unit_cost_figure(result),
                lambda: charts.monthly_stack_figure(result, "Own 4x H100", "accrual"),
                lambda: charts.fleet_figure(result)]
    validated = [json.loads(pio.to_json(b(), validate=False)) for b in builders]
    monkeypatch.setattr(charts, "VALIDATE_FIGURES", False)
    assert [json.loads(pio.to_json(b(), validate=False)) for b in builders] == validated
    fig = charts.cumulative_cost_figure(result, "cash")
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white whatever the process default
