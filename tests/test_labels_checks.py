"""The label job's pre-staging checks are the label suite's blocking rules (one source), compiled."""

from __future__ import annotations

from label_fixtures import DS, bronze_events, bronze_users, countries, labels_in_memory, user
from pyspark.sql import functions as F

from jobs.labels.checks import compiled, label_problems, label_suite_checks

# The invariants checks.py wrote out itself before it read the suite: each must still be checked.
FORMER_NEVER_NULL = (
    "has_email", "has_phone", "platform", "app_version", "phone_model", "active_days_30d",
    "voice_control_daily_avg_30d", "panel_control_daily_avg_30d", "has_gateway", "has_ipc", "has_lock",
    "has_speaker", "has_panel", "bound_devices", "pairing_level_90d", "vas_subscribed", "vas_orders_placed",
    "vas_amount_placed", "vas_orders_completed", "vas_amount_completed", "cloud_storage_purchased",
    "feedback_count", "has_unpaid_orders", "mall_activity_30d", "mall_visit_days_30d", "coupon_received_180d",
    "coupon_received_ever", "mall_items_ordered_180d", "mall_amount_ordered_180d", "mall_items_paid_180d",
    "mall_amount_paid_180d", "lifecycle", "user_distribution",
)  # fmt: skip
FORMER_RATES = ("pairing_success_rate_90d", "positive_review_pct", "resolved_issue_pct")
FORMER_NON_NEGATIVE = (
    "active_days_30d", "bound_devices", "feedback_count", "vas_orders_placed", "vas_orders_completed",
    "mall_visit_days_30d", "voice_control_daily_avg_30d", "panel_control_daily_avg_30d", "mall_activity_30d",
)  # fmt: skip
FORMER_ENUMS = {
    "user_type": ["guest", "registered"],
    "platform": ["ios", "android", "Others", "Unknown"],
    "pairing_level_90d": ["high", "medium", "low", "unpaired"],
    "lifecycle": ["novice", "growth", "silence", "churn"],
    "user_distribution": ["none", "elementary", "intermediate", "advanced"],
}


def test_every_former_invariant_is_still_checked_with_its_message(spark):
    names = set(compiled(label_suite_checks()))
    expected = {
        "duplicate keys",
        *(f"{n} is null" for n in FORMER_NEVER_NULL),
        *(f"{n} outside {values}" for n, values in FORMER_ENUMS.items()),
        *(f"{n} outside [0, 1]" for n in FORMER_RATES),
        *(f"{n} < 0" for n in FORMER_NON_NEGATIVE),
    }
    assert expected <= names, sorted(expected - names)
    assert {"active_days_30d > 30", "mall_amount_paid_180d < 0"} <= names  # the suite's, now checked early too


def test_a_broken_label_table_is_reported_in_the_suites_words(spark):
    labels = labels_in_memory(bronze_events(spark, []), bronze_users(spark, [user("u1"), user("u2")]), countries(spark), DS)
    assert label_problems(labels) == []
    broken = labels.withColumn("feedback_count", F.lit(-1).cast("bigint"))
    assert label_problems(broken.unionByName(broken.where("uid = 'u1'"))) == [
        "1 rows: duplicate keys", "3 rows: feedback_count < 0",
    ]
