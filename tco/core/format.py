"""Numbers for people: one place for how money (and, later, shares and rates) are shown."""
from __future__ import annotations

import math


def fmt_usd(x: float) -> str:
    """Money for people: $1.23M, $456.7k, $3,456."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f}M"
    if a >= 1e5:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:,.0f}"
