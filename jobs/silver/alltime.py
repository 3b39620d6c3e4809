"""All-time per-user counters kept incrementally: a state as of a closed date plus later days."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.silver.events import measure_sum_in_range
from jobs.tables import AMOUNT

# counter -> the event it counts
ALLTIME_COUNTS = {
    "vas_orders_placed": "vas_order_placed",
    "vas_orders_completed": "vas_order_completed",
    "feedback_submitted": "feedback_submit",
    "feedback_resolved": "feedback_resolved",
    "cs_chat_satisfied": "cs_chat_satisfied",
    "cs_chat_dissatisfied": "cs_chat_dissatisfied",
    "cs_chat_fair": "cs_chat_fair",
    "coupons_received": "coupon_received",
}
# counter -> the event whose ``amount`` it sums
ALLTIME_AMOUNTS = {"vas_amount_placed": "vas_order_placed", "vas_amount_completed": "vas_order_completed"}
ALLTIME_EVENTS = tuple(sorted({*ALLTIME_COUNTS.values(), *ALLTIME_AMOUNTS.values()}))
COUNTERS = (*ALLTIME_COUNTS, *ALLTIME_AMOUNTS)


def _typed(name: str, column):
    return column.cast(AMOUNT if name in ALLTIME_AMOUNTS else "bigint").alias(name)


def alltime_increment(daily_events: DataFrame, after: dt.date | None, through: dt.date) -> DataFrame:
    """Per-user counters over the event dates in (``after``, ``through``] of ``silver.user_daily_events``
    rows (``after`` None: from the beginning)."""
    in_range = F.col("event_date") <= F.lit(through)
    if after is not None:
        in_range &= F.col("event_date") > F.lit(after)
    rows = daily_events.where(in_range & F.col("event").isin(list(ALLTIME_EVENTS))).select(
        *USER_KEY, "event", "events", measure_sum_in_range("amount").alias("_amount")
    )
    zero = F.lit(0).cast(AMOUNT)
    aggs = [
        F.sum(F.when(F.col("event") == event, F.col("events")).otherwise(F.lit(0))).alias(name)
        for name, event in ALLTIME_COUNTS.items()
    ] + [
        F.sum(F.when(F.col("event") == event, F.coalesce(F.col("_amount"), zero)).otherwise(zero)).alias(name)
        for name, event in ALLTIME_AMOUNTS.items()
    ]
    totals = rows.groupBy(*USER_KEY).agg(*aggs)
    return totals.select(*USER_KEY, *[_typed(name, F.col(name)) for name in COUNTERS])


def add_alltime(previous: DataFrame | None, increment: DataFrame) -> DataFrame:
    """The counters of ``previous`` (a state, or None) plus ``increment``, per user."""
    if previous is None:
        return increment.select(*USER_KEY, *COUNTERS)
    both = previous.select(*USER_KEY, *COUNTERS).unionByName(increment.select(*USER_KEY, *COUNTERS))
    totals = both.groupBy(*USER_KEY).agg(*[F.sum(name).alias(name) for name in COUNTERS])
    return totals.select(*USER_KEY, *[_typed(name, F.col(name)) for name in COUNTERS])
