"""Device labels: categories and counts from the snapshot, pairing success from events."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.labels.windows import events_in

CATEGORY_LABELS = {"has_gateway": "gateway", "has_ipc": "ipc", "has_lock": "lock", "has_speaker": "speaker", "has_panel": "panel"}
RELATIONS = ("owner", "shared")  # a user's device: one they own or one shared with them
PAIRING_WINDOW_DAYS = 90
PAIRING_DEFAULTS = {"pairing_success_rate_90d": None, "pairing_level_90d": "unpaired"}


def _is_users(device: Column) -> Column:
    return F.coalesce(device["relation"].isin(*RELATIONS), F.lit(False))


def _of_category(category: str):
    return lambda device: _is_users(device) & F.coalesce(device["category"] == category, F.lit(False))


def with_device_labels(users: DataFrame) -> DataFrame:
    """Adds has_<category>, bound_devices (relation owner), device_count (owner or shared: the
    count lifecycle and user_distribution use) and user_distribution. A null device list is empty."""
    devices = F.col("devices")
    none = devices.isNull()
    columns = {
        name: F.when(none, F.lit(False)).otherwise(F.exists(devices, _of_category(category)))
        for name, category in CATEGORY_LABELS.items()
    }
    owned = F.size(F.filter(devices, lambda d: d["relation"] == "owner"))
    columns["bound_devices"] = F.when(none, F.lit(0)).otherwise(owned).cast("bigint")
    columns["device_count"] = F.when(none, F.lit(0)).otherwise(F.size(F.filter(devices, _is_users))).cast("bigint")
    with_counts = users.withColumns(columns)
    n = F.col("device_count")
    distribution = (
        F.when(n == 0, "none").when(n <= 3, "elementary").when(n <= 9, "intermediate").otherwise("advanced")
    )
    return with_counts.withColumn("user_distribution", distribution)


def pairing_labels(daily_events: DataFrame, ds: dt.date) -> DataFrame:
    """Per user with a ``pairing_end`` in the last 90 days: the success rate and level.

    Levels compare whole numbers (success * 5 >= all * 4 is "rate >= 0.8"), so no rounding of
    the rate can move a user across a boundary.
    """
    pairing = F.col("event") == "pairing_end"
    counts = daily_events.groupBy(*USER_KEY).agg(
        events_in(ds, PAIRING_WINDOW_DAYS, pairing).alias("_all"),
        events_in(ds, PAIRING_WINDOW_DAYS, pairing & (F.col("dim_result") == "success")).alias("_ok"),
    )
    ok, total = F.col("_ok"), F.col("_all")
    level = F.when(ok * 5 >= total * 4, "high").when(ok * 2 >= total, "medium").otherwise("low")
    return counts.where(total > 0).select(
        *USER_KEY,
        (ok.cast("double") / F.when(total > 0, total.cast("double"))).alias("pairing_success_rate_90d"),
        level.alias("pairing_level_90d"),
    )
