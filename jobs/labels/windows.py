"""Label windows: "last N days" are the event dates ds-N+1..ds, inclusive of ds."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.catalogs import event_catalog, label_window_events

MAX_WINDOW_DAYS = 180  # the longest window any label uses


def window_events() -> tuple[str, ...]:
    """The events whose daily counts the windowed labels read (everything else in the daily table
    is for segments), in event catalog order: the union of the label catalog's ``window_events``."""
    read = {code for codes in label_window_events().values() for code in codes}
    return tuple(code for code in event_catalog() if code in read)


def window_start(ds: dt.date, days: int) -> dt.date:
    """The first event date of the last ``days`` days up to ``ds``."""
    return ds - dt.timedelta(days=days - 1)


def in_window(ds: dt.date, days: int, date_column: str = "event_date") -> Column:
    """True for rows whose date is in the last ``days`` days up to ``ds``."""
    return F.col(date_column).between(F.lit(window_start(ds, days)), F.lit(ds))


def events_in(ds: dt.date, days: int, condition: Column, value: Column | None = None) -> Column:
    """Aggregate: number of events (the ``events`` column of daily rows, or ``value``) in the
    window on rows that meet ``condition``; 0 when none."""
    value = F.col("events") if value is None else value
    return F.coalesce(F.sum(F.when(in_window(ds, days) & condition, value)), F.lit(0)).cast("bigint")


def days_in(ds: dt.date, days: int, condition: Column) -> Column:
    """Aggregate: distinct event dates in the window with a row that meets ``condition``."""
    return F.count_distinct(F.when(in_window(ds, days) & condition, F.col("event_date")))
