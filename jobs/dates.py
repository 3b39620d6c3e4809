"""Run dates: parsing and ranges of UTC dates (ds)."""

from __future__ import annotations

import datetime as dt


def parse_date(text: str) -> dt.date:
    """Parses ``YYYY-MM-DD``; raises ``ValueError`` with the offending text otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not a date (expected YYYY-MM-DD): {text!r}") from None


def date_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date from ``first`` to ``last`` inclusive; raises if ``last`` is before ``first``."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
