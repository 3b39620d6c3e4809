"""The lifecycle label: churn, silence, growth or novice, decided by rules in order."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.contract import DAY_MS, epoch_day


def _days_before(ds: dt.date, epoch_ms: Column) -> Column:
    """Whole UTC dates from the date of ``epoch_ms`` to ``ds`` (no session time zone involved)."""
    return F.lit(epoch_day(ds)) - F.floor(epoch_ms / F.lit(DAY_MS))


def lifecycle(ds: dt.date) -> Column:
    """The lifecycle of a row with device_count, last_active_date (null: no activity in 180 days)
    and register_time; d = ds - last active date in days, > 30 when inactive:

    1. churn: devices >= 1 and d > 30
    2. silence: devices >= 1 and 7 < d <= 30
    3. growth: devices >= 1 and registered more than 30 days before ds (UTC dates differ by > 30)
    4. novice: everyone else (also a user without a register_time, unless 1 or 2 applies)
    """
    d = F.datediff(F.lit(ds), F.col("last_active_date"))
    has_devices = F.col("device_count") >= 1
    long_ago = F.coalesce(_days_before(ds, F.col("register_time")) > 30, F.lit(False))
    return (
        F.when(has_devices & (d.isNull() | (d > 30)), "churn")
        .when(has_devices & (d > 7), "silence")
        .when(has_devices & long_ago, "growth")
        .otherwise("novice")
    )


def with_lifecycle(labels: DataFrame, ds: dt.date) -> DataFrame:
    """Adds the lifecycle column (see ``lifecycle``)."""
    return labels.withColumn("lifecycle", lifecycle(ds))
