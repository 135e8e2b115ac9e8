"""Suite-wide settings.

Figures are built without plotly's per-property validation in the app (tco.charts.make_figure); the
suite turns validation on, so every figure a test builds (directly or through an AppTest page run) is
checked, and a misspelt or invalid property fails that test. Browser tests start the app with the same
switch through the environment.
"""
import os

import pytest

os.environ["TCO_VALIDATE_FIGURES"] = "1"

from tco import charts

charts.VALIDATE_FIGURES = True


@pytest.fixture
def fresh_streamlit_caches():
    """Streamlit's caches outlive an AppTest run within one pytest process: cleared before and after a test
    (AppTest modules use it with ``pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")``)."""
    import streamlit as st  # only the AppTest modules pay for importing Streamlit

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------------------------------
# No silent tolerance: under CI=true a skipped test fails the run, unless its reason is one of the
# documented, deliberate skips below (none today: the browser is installed by scripts/test.sh and a
# missing one already fails under CI=true). Skips print their reason everywhere (-rs in pytest.ini).

#: reasons (prefixes) that may skip under CI, each with why
DELIBERATE_SKIPS: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("CI", "").lower() != "true":
        return
    bad = []
    for rep in terminalreporter.stats.get("skipped", []):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not any(reason.startswith(p) for p in DELIBERATE_SKIPS):
            bad.append(f"{rep.nodeid}: {reason}")
    if bad:
        terminalreporter.write_line("CI=true: undocumented skips are failures:", red=True)
        for b in bad:
            terminalreporter.write_line(f"  {b}", red=True)
        config._tco_undocumented_skips = bad


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() == "true":
        skipped = session.config.pluginmanager.get_plugin("terminalreporter")
        stats = skipped.stats.get("skipped", []) if skipped else []
        reasons = []
        for rep in stats:
            reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            if not any(reason.removeprefix("Skipped: ").startswith(p) for p in DELIBERATE_SKIPS):
                reasons.append(reason)
        if reasons and session.exitstatus == 0:
            session.exitstatus = 1
