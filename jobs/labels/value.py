"""User-value and feedback labels: all-time counters and the snapshot's cloud storage plan."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.silver.fields import field

ALLTIME_DEFAULTS = {
    "vas_subscribed": False,
    "vas_orders_placed": 0,
    "vas_amount_placed": 0.0,
    "vas_orders_completed": 0,
    "vas_amount_completed": 0.0,
    "feedback_count": 0,
    "positive_review_pct": None,
    "resolved_issue_pct": None,
    "coupon_received_ever": False,
}


def _share(part: Column, whole: Column) -> Column:
    """part / whole as a double; null when whole is 0."""
    return part.cast("double") / F.when(whole > 0, whole.cast("double"))  # null divisor: null, never an error


def alltime_labels(totals: DataFrame) -> DataFrame:
    """Per user with any all-time counter (see ``jobs.silver.alltime``): the all-time labels.

    resolved_issue_pct is capped at 1 (resolutions can outnumber submissions, e.g. a feedback
    submitted before tracking began) and null without submissions, even if resolutions exist.
    """
    ratings = F.col("cs_chat_satisfied") + F.col("cs_chat_dissatisfied") + F.col("cs_chat_fair")
    resolved = _share(F.col("feedback_resolved"), F.col("feedback_submitted"))
    return totals.select(
        *USER_KEY,
        (F.col("vas_orders_completed") > 0).alias("vas_subscribed"),
        F.col("vas_orders_placed"),
        F.col("vas_amount_placed").cast("double").alias("vas_amount_placed"),
        F.col("vas_orders_completed"),
        F.col("vas_amount_completed").cast("double").alias("vas_amount_completed"),
        F.col("feedback_submitted").alias("feedback_count"),
        _share(F.col("cs_chat_satisfied"), ratings).alias("positive_review_pct"),
        F.when(resolved.isNotNull(), F.least(resolved, F.lit(1.0))).alias("resolved_issue_pct"),  # least skips nulls
        (F.col("coupons_received") > 0).alias("coupon_received_ever"),
    )


def with_cloud_storage_labels(users: DataFrame) -> DataFrame:
    """Adds cloud_storage_purchased (the snapshot has a plan) and the plan's expire time and renewal."""
    plan = F.col("cloud_storage")
    return users.withColumns(
        {
            "cloud_storage_purchased": plan.isNotNull(),
            "cloud_storage_expire_time": field(plan, "expire_time"),
            "cloud_storage_renewed": field(plan, "renewed"),
        }
    )
