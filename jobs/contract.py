"""The product's fixed rules that several jobs share: the late-event window, UTC days, user keys.

Each is written here once, in PRODUCT.md's words; bronze, silver, the labels, the segment
compiler and the sample generator import them instead of restating them.
"""

from __future__ import annotations

import datetime as dt

# PRODUCT.md, "Raw input contract", events: ``ts`` "may be up to 3 days before ``dt``" (late events
# count for their own date); a ``ts`` more than 3 days before ``dt`` is quarantined. So an event date
# stays open for arrivals until 3 days after it, and a run for ds rebuilds event dates ds-3..ds.
LATE_DAYS = 3
LATE = dt.timedelta(days=LATE_DAYS)

# PRODUCT.md, "Raw input contract": "All times are epoch milliseconds UTC; all dates are UTC dates."
DAY_MS = 86_400_000  # milliseconds in a UTC date
EPOCH = dt.date(1970, 1, 1)  # epoch day 0
EPOCH_ORDINAL = EPOCH.toordinal()  # for hot loops: date = fromordinal(EPOCH_ORDINAL + ts // DAY_MS)

# PRODUCT.md, "Daily label table": one row per app_id, uid (and ds); "everything is per app", so a
# user is identified by the pair, never by uid alone.
USER_KEY = ("app_id", "uid")


def epoch_day(day: dt.date) -> int:
    """Days from 1970-01-01 to the UTC date ``day`` (the generator's and the lifecycle's day numbers)."""
    return (day - EPOCH).days


def day_date(epoch_days: int) -> dt.date:
    """The UTC date that is ``epoch_days`` days after 1970-01-01 (inverse of ``epoch_day``)."""
    return EPOCH + dt.timedelta(days=epoch_days)


def day_start_ms(day: dt.date) -> int:
    """Epoch milliseconds (UTC) at the start of ``day`` (time windows of behavior conditions)."""
    return epoch_day(day) * DAY_MS
