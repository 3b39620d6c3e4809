"""Activity labels: platform, app version, phone model, active days, last activity, control use."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.silver.fields import field
from jobs.labels.windows import MAX_WINDOW_DAYS, days_in, events_in, in_window

NAMED_PLATFORMS = ("ios", "android")  # shown as is; any other raw value is Others
ACTIVITY_DEFAULTS = {
    "platform": "Unknown",
    "app_version": "NA",
    "phone_model": "NA",
    "active_days_30d": 0,
    "voice_control_daily_avg_30d": 0.0,
    "panel_control_daily_avg_30d": 0.0,
}


def _latest_value(name: str) -> F.Column:
    """(ts, value) of the latest day-level value; ties on ts go to the greatest value."""
    return F.max(
        F.when(F.col(name).isNotNull(), F.struct(F.col(f"{name}_ts").alias("ts"), F.col(name).alias("value")))
    )


def platform_labels(platforms: DataFrame, ds: dt.date) -> DataFrame:
    """Per user with a platform in the last 180 days: the raw value seen most often (tie: the one
    seen latest; same latest time too: the greatest value), shown as ios, android or Others."""
    per_value = (
        platforms.where(in_window(ds, MAX_WINDOW_DAYS))
        .groupBy(*USER_KEY, "platform")
        .agg(F.sum("events").alias("_n"), F.max("last_ts").alias("_last"))
    )
    top = per_value.groupBy(*USER_KEY).agg(F.max(F.struct("_n", "_last", "platform")).alias("_top"))
    raw = field("_top", "platform")
    return top.select(*USER_KEY, F.when(raw.isin(*NAMED_PLATFORMS), raw).otherwise("Others").alias("platform"))


def activity_labels(activity: DataFrame, platforms: DataFrame, daily_events: DataFrame, ds: dt.date) -> DataFrame:
    """Per user active in the last 180 days: platform, app_version, phone_model, active_days_30d,
    last_active_time, last_active_date (for lifecycle) and the voice/panel control daily averages.

    Args:
        activity, platforms, daily_events: rows of silver.user_daily_activity,
            silver.user_daily_platforms and silver.user_daily_events; rows outside the window are
            ignored.
    """
    recent = activity.where(in_window(ds, MAX_WINDOW_DAYS)).groupBy(*USER_KEY).agg(
        days_in(ds, 30, F.lit(True)).alias("active_days_30d"),
        F.max("last_ts").alias("last_active_time"),
        F.max("event_date").alias("last_active_date"),
        _latest_value("app_version").alias("_app_version"),
        _latest_value("phone_model").alias("_phone_model"),
    )
    control = daily_events.where(in_window(ds, 30)).groupBy(*USER_KEY).agg(
        events_in(ds, 30, F.col("event") == "voice_control").alias("_voice"),
        events_in(ds, 30, F.col("event") == "panel_control").alias("_panel"),
    )
    return (
        recent.join(control, list(USER_KEY), "left")
        .join(platform_labels(platforms, ds), list(USER_KEY), "left")
        .select(
            *USER_KEY,
            F.coalesce(F.col("platform"), F.lit("Unknown")).alias("platform"),
            F.coalesce(field("_app_version", "value"), F.lit("NA")).alias("app_version"),
            F.coalesce(field("_phone_model", "value"), F.lit("NA")).alias("phone_model"),
            "active_days_30d",
            "last_active_time",
            "last_active_date",
            (F.coalesce(F.col("_voice"), F.lit(0)).cast("double") / F.lit(30.0)).alias("voice_control_daily_avg_30d"),
            (F.coalesce(F.col("_panel"), F.lit(0)).cast("double") / F.lit(30.0)).alias("panel_control_daily_avg_30d"),
        )
    )
