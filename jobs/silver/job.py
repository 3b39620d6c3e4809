"""Silver entry points: bronze arrivals -> silver events, daily aggregates and all-time state.

A run for ``ds`` owns event dates ds-3..ds: it rebuilds them from every bronze arrival date that
can hold them (ds-3..ds+3, those that exist), so a silver date is always a function of all
arrivals for it, whatever order runs happen in; re-running ds after late data arrives updates it.
It then rolls the all-time state forward to ds-3, the newest date no more events can arrive for.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.contract import EPOCH, LATE
from jobs.delta_io import ensure_table, read_table, replace_partition, replace_range
from jobs.silver.aggregates import user_daily_activity, user_daily_events, user_daily_platforms
from jobs.silver.alltime import add_alltime, alltime_increment
from jobs.silver.events import clean_events
from jobs.tables import (
    BRONZE_EVENTS,
    SILVER_EVENTS,
    SILVER_USER_ALLTIME_STATE,
    SILVER_USER_DAILY_ACTIVITY,
    SILVER_USER_DAILY_EVENTS,
    SILVER_USER_DAILY_PLATFORMS,
)

log = logging.getLogger(__name__)

BEGINNING = EPOCH  # a rebuild replaces every silver date from here to ds
DAYS = dt.timedelta(days=1)


def closed_date(ds: dt.date) -> dt.date:
    """The newest event date that can no longer receive events in a run for ``ds``."""
    return ds - LATE


def build_silver(spark: SparkSession, root: str, ds: dt.date) -> None:
    """Recomputes silver event dates ds-3..ds from bronze and rolls the all-time state to ds-3."""
    first = ds - LATE
    bronze = read_table(spark, BRONZE_EVENTS, root).where(
        F.col("dt").between(F.lit(first), F.lit(ds + LATE))
    )
    _write_event_dates(spark, root, clean_events(bronze, first, ds), first, ds)
    _write_state(spark, root, closed_date(ds), from_scratch=False)


def rebuild_silver(spark: SparkSession, root: str, ds: dt.date) -> None:
    """Recomputes every silver event date up to ``ds`` from all of bronze, and the all-time state
    at ds-3 from the daily aggregates alone (older state partitions are dropped)."""
    bronze = read_table(spark, BRONZE_EVENTS, root).where(F.col("dt") <= F.lit(ds + LATE))
    _write_event_dates(spark, root, clean_events(bronze, BEGINNING, ds), BEGINNING, ds)
    _write_state(spark, root, closed_date(ds), from_scratch=True)


def _write_event_dates(spark: SparkSession, root: str, events: DataFrame, first: dt.date, last: dt.date) -> None:
    replace_range(events, SILVER_EVENTS, root, "event_date", first, last)
    # The aggregates read the events just written, not the bronze plan again.
    written = read_table(spark, SILVER_EVENTS, root).where(F.col("event_date").between(F.lit(first), F.lit(last)))
    for table, transform in (
        (SILVER_USER_DAILY_EVENTS, user_daily_events),
        (SILVER_USER_DAILY_ACTIVITY, user_daily_activity),
        (SILVER_USER_DAILY_PLATFORMS, user_daily_platforms),
    ):
        replace_range(transform(written), table, root, "event_date", first, last)
    log.info("silver event dates %s..%s written", first, last)


def latest_state_date(spark: SparkSession, root: str, on_or_before: dt.date) -> dt.date | None:
    """The newest as_of of the all-time state at or before a date, or None."""
    ensure_table(spark, SILVER_USER_ALLTIME_STATE, root)
    state = read_table(spark, SILVER_USER_ALLTIME_STATE, root)
    return state.where(F.col("as_of") <= F.lit(on_or_before)).agg(F.max("as_of")).collect()[0][0]


def read_state(spark: SparkSession, root: str, as_of: dt.date | None) -> DataFrame | None:
    """The all-time state rows as of a date (without the as_of column), or None for no state."""
    if as_of is None:
        return None
    state = read_table(spark, SILVER_USER_ALLTIME_STATE, root)
    return state.where(F.col("as_of") == F.lit(as_of)).drop("as_of")


def alltime_at(spark: SparkSession, root: str, ds: dt.date) -> DataFrame:
    """The all-time counters per user at ``ds`` (PRODUCT.md, "Daily label table": all-time figures
    kept incrementally): the newest state at or before ds-3, plus the daily aggregates after it
    (normally ds-2..ds, still open to late events; all of them when there is no state yet).

    Returns:
        ``app_id``, ``uid`` and the counters of ``jobs.silver.alltime.COUNTERS``.
    """
    return _rolled(spark, root, latest_state_date(spark, root, closed_date(ds)), ds)


def _rolled(spark: SparkSession, root: str, as_of: dt.date | None, through: dt.date) -> DataFrame:
    """The state as of ``as_of`` (None: no state) rolled forward through ``through`` with the daily
    aggregates of the event dates in between."""
    daily = read_table(spark, SILVER_USER_DAILY_EVENTS, root)
    return add_alltime(read_state(spark, root, as_of), alltime_increment(daily, as_of, through))


def _write_state(spark: SparkSession, root: str, closed: dt.date, from_scratch: bool) -> None:
    previous = None if from_scratch else latest_state_date(spark, root, closed - DAYS)
    state = _rolled(spark, root, previous, closed).withColumn("as_of", F.lit(closed))
    if from_scratch:
        replace_range(state, SILVER_USER_ALLTIME_STATE, root, "as_of", BEGINNING, closed)
    else:
        replace_partition(state, SILVER_USER_ALLTIME_STATE, root, {"as_of": closed})
    log.info("all-time state as of %s written (rolled from %s)", closed, previous or "the beginning")
