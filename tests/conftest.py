"""Suite-wide settings.

Figures are built without plotly's per-property validation in the app (tco.charts.make_figure); the
suite turns validation on, so every figure a test builds (directly or through an AppTest page run) is
checked, and a misspelt or invalid property fails that test. Browser tests start the app with the same
switch through the environment.
"""
import os

os.environ["TCO_VALIDATE_FIGURES"] = "1"

from tco import charts  # noqa: E402

charts.VALIDATE_FIGURES = True
