"""Golden tests for the issue-18 formulas in tco.model.costs, each worked by hand (arithmetic in the comments)."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tco.model import costs


def test_one_off_in_its_month():
    # 1,200 USD in month 2 of a 6-month horizon
    assert_allclose(costs.cost_line_cash("one_off", 1200, 6, month_index=2), [0, 0, 1200, 0, 0, 0])


def test_one_off_amortized_within_the_horizon():
    # 1,200 USD in month 4 amortised over 6 months: 1200 / 6 = 200 a month in months 4..9; months 6..9 lie
    # past a 6-month horizon, so the horizon's accrual is 2 x 200 = 400 while its cash is 1,200.
    acc = costs.amortized_accrual(1200, 4, 6, 6)
    assert_allclose(acc, [0, 0, 0, 0, 200, 200])
    assert acc.sum() == pytest.approx(400)
    # a window fully inside the horizon accrues the whole amount: 600 / 3 = 200 in months 1..3
    assert_allclose(costs.amortized_accrual(600, 1, 3, 6), [0, 200, 200, 200, 0, 0])


def test_monthly_with_a_month_range():
    # 500 USD a month in months 1..3 only
    assert_allclose(costs.cost_line_cash("monthly", 500, 6, first_index=1, last_index=3), [0, 500, 500, 500, 0, 0])
    # a range starting before the horizon and ending after it is clipped
    assert_allclose(costs.cost_line_cash("monthly", 10, 3, first_index=-5, last_index=40), [10, 10, 10])


def test_per_gpu_month():
    # 100 USD per GPU-month x [2, 4] GPUs billed = [200, 400]
    assert_allclose(costs.cost_line_cash("per_gpu_month", 100, 2, gpus_billed_m=[2, 4]), [200, 400])


def test_per_gpu_year():
    # NVIDIA AI Enterprise 4,500 USD per GPU-year / 12 = 375 per GPU-month; x 8 GPUs = 3,000; x 16 = 6,000
    assert_allclose(costs.cost_line_cash("per_gpu_year", 4500, 2, gpus_billed_m=[8, 16]), [3000, 6000])


def test_per_server_month():
    # 250 USD per server-month x [1, 2] servers = [250, 500]
    assert_allclose(costs.cost_line_cash("per_server_month", 250, 2, servers_m=[1, 2]), [250, 500])


def test_per_million_tokens_counts_input_and_output():
    # 0.5 USD per 1M tokens x (3e6 input + 1e6 output) / 1e6 = 2.0 USD
    assert_allclose(costs.cost_line_cash("per_million_tokens", 0.5, 1, input_tokens_m=[3e6], output_tokens_m=[1e6]), [2.0])


def test_per_request():
    # 0.001 USD per request x 20,000 requests = 20 USD
    assert_allclose(costs.cost_line_cash("per_request", 0.001, 1, requests_m=[20000]), [20.0])


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown cost line kind"):
        costs.cost_line_cash("weekly", 1, 3)


@pytest.mark.parametrize("applies_to, expect", [
    # (API option, rented option, owned option, option named "B")
    ("all", (True, True, True, True)),
    ("api", (True, False, False, False)),
    ("self_host", (False, True, True, True)),
    ("rent", (False, True, False, False)),
    ("own", (False, False, True, True)),
    (["B"], (False, False, False, True)),
    (["A", "B"], (True, False, False, True)),
])
def test_applies_to(applies_to, expect):
    opts = [("A", "api", "api"), ("R", "self_host", "rent"), ("O", "self_host", "own"), ("B", "self_host", "own")]
    assert tuple(costs.cost_line_applies(applies_to, n, k, p) for n, k, p in opts) == expect


def test_egress_and_share_of_capex_conversions():
    # 0.09 USD/GB x 0.004 GB per 1M tokens = 0.00036 USD per 1M tokens
    assert costs.egress_usd_per_million_tokens(0.09, 0.004) == pytest.approx(0.00036)
    # networking 20 % of a 300,000 USD server spread over 48 months: 0.2 x 300,000 / 48 = 1,250 per server-month
    assert costs.share_of_capex_per_server_month(0.2, 300_000, 48) == pytest.approx(1250)


def test_capital_charge_worked_by_hand():
    # annual rate r = 1.01^12 - 1 gives exactly 1 % a month: (1 + r)^(1/12) - 1 = 0.01
    r = 1.01 ** 12 - 1
    assert costs.monthly_rate(r) == pytest.approx(0.01)
    # one 120,000 USD server bought in month 0, life 4 months: book value at the start of each month
    # 120,000, 90,000, 60,000, 30,000, 0 (depreciation 30,000 a month) -> charge 1 % of it
    bv = costs.book_value_start([1, 0, 0, 0, 0], 120_000, 4)
    assert_allclose(bv, [120_000, 90_000, 60_000, 30_000, 0])
    assert_allclose(costs.capital_charge(bv, r), [1200, 900, 600, 300, 0])


def test_book_value_start_two_purchases_and_end_consistency():
    # 1 server in month 0, 2 in month 3, price 1,200, life 4: month 3 = 300 (first) + 2,400 (new) = 2,700
    b = np.array([1, 0, 0, 2, 0, 0, 0, 0.0])
    assert_allclose(costs.book_value_start(b, 1200, 4), [1200, 900, 600, 2700, 1800, 1200, 600, 0])
    # the start of month M equals the book value at the end of a 5-month horizon: the first server is written
    # off (months 0..3), the two bought in month 3 have 2 of 4 months left: 2 x 1,200 x 2/4 = 1,200
    b5 = b[:5]
    bv_next = costs.book_value_start(np.append(b5, 0), 1200, 4)[-1]
    assert bv_next == pytest.approx(costs.book_value_end(b5, 1200, 4)) == pytest.approx(1200)


def test_book_value_start_broadcasts_over_options():
    b = np.array([[1, 0, 0], [0, 1, 0.0]])
    price = np.array([[100.0], [200.0]])
    life = np.array([[2], [3]])
    assert_allclose(costs.book_value_start(b, price, life), [[100, 50, 0], [0, 200, 200 * 2 / 3]])


def test_economic_usd_per_gpu_hour():
    # (depreciation 5,000 + capital charge 1,000 + power 1,500 + colo 1,200 + maintenance 800 + staff 500)
    # = 10,000 USD over 8 GPUs x 730 h = 5,840 GPU-h -> 1.7123 USD/GPU-h
    assert costs.economic_usd_per_gpu_hour(10_000, 8 * 730) == pytest.approx(10_000 / 5840)
    assert np.isnan(costs.economic_usd_per_gpu_hour(10, 0))


def test_reserved_term_with_upfront_share_past_the_horizon():
    # 2 GPUs x 1.50 USD/GPU-h x 730 h x 24 months = 52,560 USD committed
    C = costs.reserved_commitment_usd(2, 1.5, 24)
    assert C == pytest.approx(52_560)
    # 25 % upfront (13,140) in month 6 of a 12-month horizon; the rest billed 0.75 x 52,560 / 24 = 1,642.50 a month
    sch = costs.reserved_term_schedule(C, 24, 0.25, 6, 12)
    assert_allclose(sch["cash_usd"], [0] * 6 + [13_140 + 1642.5] + [1642.5] * 5)
    # accrual 52,560 / 24 = 2,190 in every month of the term inside the horizon
    assert_allclose(sch["accrual_usd"], [0] * 6 + [2190] * 6)
    # 24 - 6 = 18 monthly payments after the horizon: 18 x 1,642.50 = 29,565
    assert sch["commitment_after_horizon_usd"] == pytest.approx(29_565)
    # cash inside (13,140 + 6 x 1,642.50 = 22,995) + after (29,565) = the commitment
    assert sch["cash_usd"].sum() + sch["commitment_after_horizon_usd"] == pytest.approx(C)
    assert_allclose(sch["in_term"], [0] * 6 + [1] * 6)


def test_reserved_term_inside_the_horizon_has_nothing_after():
    # 1 GPU x 2 USD x 730 x 3 = 4,380; no upfront: 1,460 a month in months 0..2
    sch = costs.reserved_term_schedule(costs.reserved_commitment_usd(1, 2, 3), 3, 0.0, 0, 5)
    assert_allclose(sch["cash_usd"], [1460, 1460, 1460, 0, 0])
    assert_allclose(sch["accrual_usd"], sch["cash_usd"])
    assert sch["commitment_after_horizon_usd"] == 0


def test_availability_formula():
    # MTBF 96 h, repair 24 h: available 96 / 120 = 0.8 of the time -> 8 serving replicas need 8 / 0.8 = 10
    assert costs.availability_factor(96, 24) == pytest.approx(0.8)
    assert_allclose(costs.replicas_for_availability(8, 96, 24), 10)  # exactly 10: no rounding up past it
    # MTBF 168 h (a week), repair 4 h: 168 / 172 = 0.97674; 10 / 0.97674 = 10.24 -> 11; 40 -> 40.95 -> 41
    assert_allclose(costs.replicas_for_availability(np.array([10, 40, 1]), 168, 4), [11, 41, 2])
    # no repair time: no extra replica
    assert_allclose(costs.replicas_for_availability(7, 100, 0), 7)


def test_startup_lead_gpu_hours():
    # hourly fleet of the typical day: 1 replica, 3 from hour 2, 2 in hour 4, 1 after: one ramp of +2 replicas
    # (hour 23 -> hour 0 is 1 -> 1: no start). 2 starts x 2 GPUs x 30/60 h x 730/24 days = 60.83 GPU-h a month
    r = np.array([1, 1, 3, 3, 2] + [1] * 19, dtype=float)
    assert costs.startup_gpu_hours(r, 2, 30) == pytest.approx(2 * 2 * 0.5 * 730 / 24)
    # two months at once; a flat fleet starts nothing
    both = costs.startup_gpu_hours(np.stack([r, np.ones(24)]), 2, 30)
    assert_allclose(both, [2 * 2 * 0.5 * 730 / 24, 0])
