"""AppTest of the capacity range (issue 16) on Compare and Finance: an option whose capacity is estimated shows its
cost as low-high and says whether the answer changes within it; a measured one shows a point and says "measured".
The numbers behind it are tested in tests/test_capacity_range.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tco.analysis.capacity_range import cost_ranges
from tco.catalog import load_catalog
from tco.core.format import fmt_usd
from tco.engine import evaluate
from tco.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "tests" / "fixtures" / "capacity_range" / "scenario.yaml"
pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def ranges():
    cat = load_catalog()
    s = load_scenario(SCEN)
    return cost_ranges(s, cat, evaluate(s, cat, skip_infeasible=True))


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views" / name), default_timeout=120)
    at.session_state["compare_last_good_yaml"] = SCEN.read_text()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_compare_shows_the_range_of_the_estimated_option_and_measured_for_the_measured_one(ranges):
    est, meas = ranges.option("Qwen 72B estimated"), ranges.option("Llama 8B measured")
    assert est.ranged and est.total_cash_usd_low < est.total_cash_usd < est.total_cash_usd_high
    assert meas.capacity_source == "measured" and not meas.ranged
    at = page("compare.py")
    # the answer says it in words, with the range
    told = " ".join(x.value for x in list(at.info) + list(at.warning))
    assert "Qwen 72B estimated" in told and f"{fmt_usd(est.total_cash_usd_low)}-{fmt_usd(est.total_cash_usd_high)}" in told
    assert "stays the cheapest" in told or "may be" in told
    table = next(d.value for d in at.dataframe if "Cost rests on" in d.value.columns).set_index("Option")
    assert table.loc["Qwen 72B estimated", "Cost rests on"] == "estimated capacity"
    assert table.loc["Qwen 72B estimated", "Total cash [USD]"] == \
        f"{fmt_usd(est.total_cash_usd_low)}-{fmt_usd(est.total_cash_usd_high)}"
    assert table.loc["Qwen 72B estimated", "Cost [USD/1M tokens]"] == \
        f"${est.usd_per_million_tokens_low:,.3f}-${est.usd_per_million_tokens_high:,.3f}"
    assert table.loc["Llama 8B measured", "Cost rests on"] == "measured capacity"
    assert table.loc["Llama 8B measured", "Total cash [USD]"] == fmt_usd(meas.total_cash_usd)  # a point
    assert table.loc["GPT-4o mini API", "Cost rests on"] == "API price"
    assert any(c.proto.spec and "capacity range" in c.proto.spec for c in at.get("plotly_chart"))


def test_finance_gives_the_estimated_total_as_low_high(ranges):
    est = ranges.option("Qwen 72B estimated")
    at = page("finance.py")
    caps = " ".join(c.value for c in at.caption)
    assert f"Qwen 72B estimated {fmt_usd(est.total_cash_usd_low)}-{fmt_usd(est.total_cash_usd_high)}" in caps
    assert "Other capacities are measured" in caps
