"""Compact per-user, per-day aggregates of silver events that the labels and segments read."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.silver.fields import field
from jobs.tables import AMOUNT, event_dimensions, event_measures

USER_DAY = (*USER_KEY, "event_date")


def _has_text(name: str) -> Column:
    return F.col(name).isNotNull() & (F.trim(F.col(name)) != "")


def user_daily_events(events: DataFrame) -> DataFrame:
    """Rows of ``silver.user_daily_events``: per user, day, event and dimension values, the
    number of events, the latest time and each measure's count, sum, min and max.

    Sums are added as decimal(38,6) and stored as double, so they do not depend on the order
    rows are added in (a rebuild and a day-by-day run give the same bits).
    """
    dims = [f"dim_{d}" for d in event_dimensions()]
    # Sail names sum(x) and sum(cast(x)) alike; the exact copy gets its own column first.
    exact = events.select(
        "*", *[F.col(f"measure_{m}").try_cast(AMOUNT).alias(f"_exact_{m}") for m in event_measures()]
    )
    aggs = [F.count(F.lit(1)).alias("events"), F.max("ts").alias("last_ts")]
    for m in event_measures():
        aggs += [
            F.count(f"measure_{m}").alias(f"measure_{m}_count"),
            F.sum(f"_exact_{m}").alias(f"_sum_{m}"),
            F.min(f"measure_{m}").alias(f"measure_{m}_min"),
            F.max(f"measure_{m}").alias(f"measure_{m}_max"),
        ]
    grouped = exact.groupBy(*USER_DAY, "event", *dims).agg(*aggs)
    return grouped.select(
        "*", *[F.col(f"_sum_{m}").cast("double").alias(f"measure_{m}_sum") for m in event_measures()]
    ).drop(*[f"_sum_{m}" for m in event_measures()])


def _latest(name: str) -> Column:
    """The (ts, value) of the latest event carrying a non-empty ``name``; ties on ts: greatest value."""
    return F.max(F.when(_has_text(name), F.struct(F.col("ts").alias("ts"), F.col(name).alias("value"))))


def user_daily_activity(events: DataFrame) -> DataFrame:
    """Rows of ``silver.user_daily_activity``: one per user and active day."""
    grouped = events.groupBy(*USER_DAY).agg(
        F.count(F.lit(1)).alias("events"),
        F.min("ts").alias("first_ts"),
        F.max("ts").alias("last_ts"),
        _latest("app_version").alias("_app_version"),
        _latest("phone_model").alias("_phone_model"),
    )
    return grouped.select(
        *USER_DAY,
        "events",
        "first_ts",
        "last_ts",
        field("_app_version", "value").alias("app_version"),
        field("_app_version", "ts").alias("app_version_ts"),
        field("_phone_model", "value").alias("phone_model"),
        field("_phone_model", "ts").alias("phone_model_ts"),
    )


def user_daily_platforms(events: DataFrame) -> DataFrame:
    """Rows of ``silver.user_daily_platforms``: per user, day and raw platform value, the number
    of events and the latest time. Events without a platform (null or empty) are not counted."""
    return (
        events.where(_has_text("platform"))
        .groupBy(*USER_DAY, "platform")
        .agg(F.count(F.lit(1)).alias("events"), F.max("ts").alias("last_ts"))
    )
