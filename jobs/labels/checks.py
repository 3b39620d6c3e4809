"""Checks a label table must pass before it is written (the quality gates check it again)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.catalogs import label_catalog

RATES = ("pairing_success_rate_90d", "positive_review_pct", "resolved_issue_pct")
NEVER_NULL = (
    "has_email", "has_phone", "platform", "app_version", "phone_model", "active_days_30d",
    "voice_control_daily_avg_30d", "panel_control_daily_avg_30d", "has_gateway", "has_ipc", "has_lock",
    "has_speaker", "has_panel", "bound_devices", "pairing_level_90d", "vas_subscribed", "vas_orders_placed",
    "vas_amount_placed", "vas_orders_completed", "vas_amount_completed", "cloud_storage_purchased",
    "feedback_count", "has_unpaid_orders", "mall_activity_30d", "mall_visit_days_30d", "coupon_received_180d",
    "coupon_received_ever", "mall_items_ordered_180d", "mall_amount_ordered_180d", "mall_items_paid_180d",
    "mall_amount_paid_180d", "lifecycle", "user_distribution",
)  # fmt: skip
NON_NEGATIVE = (
    "active_days_30d", "bound_devices", "feedback_count", "vas_orders_placed", "vas_orders_completed",
    "mall_visit_days_30d", "voice_control_daily_avg_30d", "panel_control_daily_avg_30d", "mall_activity_30d",
)  # fmt: skip


class LabelCheckError(RuntimeError):
    """The computed label table broke an invariant; nothing was written."""


def label_problems(labels: DataFrame) -> list[str]:
    """Every broken invariant of a label table, in one pass: keys unique, computed labels set,
    enums within the catalog's values, rates in [0, 1], counts >= 0."""
    checks = {"duplicate keys": F.count(F.lit(1)) - F.count_distinct("app_id", "uid", "ds")}
    for name in NEVER_NULL:
        checks[f"{name} is null"] = F.count_if(F.col(name).isNull())
    for name, spec in label_catalog().items():
        if spec.type == "enum":
            checks[f"{name} outside {list(spec.values)}"] = F.count_if(~F.col(name).isin(*spec.values))
    for name in RATES:
        checks[f"{name} outside [0, 1]"] = F.count_if(~F.col(name).between(0.0, 1.0))
    for name in NON_NEGATIVE:
        checks[f"{name} < 0"] = F.count_if(F.col(name) < 0)
    names = list(checks)
    row = labels.agg(*[column.alias(f"c{i}") for i, column in enumerate(checks.values())]).collect()[0]
    return [f"{row[f'c{i}']} rows: {name}" for i, name in enumerate(names) if row[f"c{i}"]]
