"""tco.model.beyond_gpus: issue-18 line items for one option, worked by hand."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.model import beyond_gpus as bg
from tco.model import costs
from tco.scenario import CostLine

M = 6
REQ = np.full(M, 1000.0)
INP = np.full(M, 2e6)
OUT = np.full(M, 1e6)


def _items(lines, name="Owned", kind="self_host", payment="own", **kw):
    return {i.name: i for i in bg.cost_line_items([CostLine.model_validate(x) for x in lines], "2027-01", M, name, kind,
                                                  payment, requests_m=REQ, input_tokens_m=INP, output_tokens_m=OUT, **kw)}


def test_each_kind_for_one_owned_option():
    gpus = np.array([8, 8, 16, 16, 16, 16.0])
    servers = gpus / 8
    it = _items([
        {"name": "Licence", "kind": "per_gpu_year", "amount_usd": 4500},              # 375 x GPUs
        {"name": "Net", "kind": "per_server_month", "amount_usd": 562.5},             # 562.5 x servers
        {"name": "Gateway", "kind": "per_million_tokens", "amount_usd": 0.1},         # 0.1 x 3 = 0.3
        {"name": "Checks", "kind": "per_request", "amount_usd": 0.002},               # 0.002 x 1000 = 2
        {"name": "Audit", "kind": "monthly", "amount_usd": 100, "months": ["2027-02", "2027-03"]},
        {"name": "Burn-in", "kind": "one_off", "amount_usd": 6000, "month": "2027-03", "amortize_months": 3},
        {"name": "Per GPU", "kind": "per_gpu_month", "amount_usd": 10},
    ], gpus_billed_m=gpus, servers_m=servers)
    assert_allclose(it["Licence"].cash_usd, [3000, 3000, 6000, 6000, 6000, 6000])
    assert_allclose(it["Licence"].quantity, gpus)
    assert_allclose(it["Net"].cash_usd, [562.5, 562.5, 1125, 1125, 1125, 1125])
    assert_allclose(it["Gateway"].cash_usd, 0.3)
    assert_allclose(it["Checks"].cash_usd, 2.0)
    assert_allclose(it["Audit"].cash_usd, [0, 100, 100, 0, 0, 0])
    assert_allclose(it["Audit"].quantity, [0, 1, 1, 0, 0, 0])
    # burn-in: 6,000 cash in month 2 (2027-03); accrual 2,000 in months 2, 3, 4
    assert_allclose(it["Burn-in"].cash_usd, [0, 0, 6000, 0, 0, 0])
    assert_allclose(it["Burn-in"].accrual_usd, [0, 0, 2000, 2000, 2000, 0])
    assert it["Burn-in"].charge_category == "Purchase" and it["Licence"].charge_category == "Usage"
    assert_allclose(it["Per GPU"].cash_usd, 10 * gpus)
    for k in ("Licence", "Net", "Gateway", "Checks", "Audit", "Per GPU"):
        assert_allclose(it[k].accrual_usd, it[k].cash_usd)


@pytest.mark.parametrize("applies_to, present", [
    ("all", {"API", "Rented", "Owned"}),
    ("api", {"API"}),
    ("self_host", {"Rented", "Owned"}),
    ("rent", {"Rented"}),
    ("own", {"Owned"}),
    (["Rented", "API"], {"API", "Rented"}),
])
def test_applies_to_selects_options(applies_to, present):
    line = [{"name": "X", "kind": "monthly", "amount_usd": 1, "applies_to": applies_to}]
    opts = [("API", "api", "api"), ("Rented", "self_host", "rent"), ("Owned", "self_host", "own")]
    got = {n for n, k, p in opts if _items(line, n, k, p)}
    assert got == present


def test_rent_quantities():
    # 2 instances of 8 GPUs all month: 1,460 instance-hours -> 11,680 GPU-h; + 730 idle reserved GPU-h
    gh = bg.rent_billed_gpu_hours([1460.0], "instance-hours", 8, [730.0])
    assert_allclose(gh, [12_410])
    assert_allclose(bg.rent_gpus_billed(gh), [17])  # 12,410 / 730
    assert_allclose(bg.rent_instances([11_680.0], 8, [99]), [2])
    assert_allclose(bg.rent_instances([11_680.0], None, [3]), [3])  # per GPU: one instance per replica


def test_capital_charge_item_and_economic_rate():
    r = 1.01 ** 12 - 1  # 1 % a month
    item = bg.capital_charge_item([1, 0, 0, 0], 120_000, 4, r)
    assert_allclose(item.accrual_usd, [1200, 900, 600, 300])
    assert_allclose(item.cash_usd, 0)
    # economic: depreciation 4 x 30,000 + capital 3,000 + power 400 + staff 600 = 124,000 over 8 GPUs x 730 x 4 months
    acc = {"depreciation": np.full(4, 30_000.0), "power": np.full(4, 100.0), "staff": np.full(4, 150.0),
           "capex": np.full(4, 1e9)}  # capex is cash: not counted
    rate = bg.owned_economic_usd_per_gpu_hour(acc, item.accrual_usd, np.ones(4), 8)
    assert rate == pytest.approx(124_000 / (8 * 730 * 4))


def test_reserved_term_plan_matches_the_schedule():
    # 2 GPUs at 1.50 USD/GPU-h for 24 months, 25 % upfront, starting in month 6 of 12
    plan = bg.reserved_term_plan(2, 1.5, 24, 0.25, 6, 12)
    assert plan.commitment_usd == pytest.approx(52_560)
    assert plan.commitment_after_horizon_usd == pytest.approx(29_565)
    # hourly part inside the term: R x H x p_r x (1 - u) = 2 x 730 x 1.5 x 0.75 = 1,642.50 a month
    hourly = plan.reserved_gpus_m * 730 * 1.5 * plan.price_factor_m
    sch = costs.reserved_term_schedule(plan.commitment_usd, 24, 0.25, 6, 12)
    assert_allclose(hourly + plan.upfront_cash_usd, sch["cash_usd"])
    assert_allclose(hourly + plan.upfront_accrual_usd, sch["accrual_usd"])  # 2,190 a month
    assert_allclose(plan.reserved_gpus_m, [0] * 6 + [2] * 6)
