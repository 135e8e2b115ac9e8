"""Months as "YYYY-MM" labels: parsing and arithmetic (the horizon's month axis)."""
from __future__ import annotations

import datetime as _dt
from typing import Any


def parse_month(v: Any) -> str:
    """A month as "YYYY-MM" from text or a date; ValueError otherwise."""
    if isinstance(v, (_dt.date, _dt.datetime)):
        return f"{v.year:04d}-{v.month:02d}"
    s = str(v).strip()
    try:
        y, m = s.split("-")
        y, m = int(y), int(m)
        if not (1900 <= y <= 2200 and 1 <= m <= 12) or len(s) != 7:
            raise ValueError
    except ValueError:
        raise ValueError(f"must be a month YYYY-MM, got {v!r}") from None
    return s


def month_index(start: str, month: str) -> int:
    """Index of ``month`` (YYYY-MM) counted from ``start`` (YYYY-MM); negative before the start."""
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in month.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def month_labels(start: str, months: int) -> list[str]:
    y, m = (int(x) for x in start.split("-"))
    out = []
    for i in range(months):
        mm = m - 1 + i
        out.append(f"{y + mm // 12:04d}-{mm % 12 + 1:02d}")
    return out
