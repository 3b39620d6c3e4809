"""Mall labels: the snapshot's cart and coupons, and mall events over 30 and 180 days."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.silver.fields import field
from jobs.labels.windows import MAX_WINDOW_DAYS, days_in, events_in, in_window
from jobs.silver.events import measure_sum_in_range

# mall_activity_30d weights in tenths: 0.1 browse + 0.2 item tap + 0.3 favorite + 0.4 add to cart
ACTIVITY_TENTHS = {"mall_browse": 1, "mall_item_tap": 2, "mall_favorite": 3, "mall_add_cart": 4}
ORDER_LABELS = {"ordered": "mall_order_placed", "paid": "mall_order_paid"}
MALL_DEFAULTS = {
    "last_mall_visit_time": None,
    "mall_activity_30d": 0.0,
    "mall_visit_days_30d": 0,
    "coupon_received_180d": False,
    "mall_items_ordered_180d": 0,
    "mall_amount_ordered_180d": 0.0,
    "mall_items_paid_180d": 0,
    "mall_amount_paid_180d": 0.0,
}


def with_mall_snapshot_labels(users: DataFrame) -> DataFrame:
    """Adds has_delivery_address, unused_coupons and cart_items as the snapshot has them, and
    has_unpaid_orders (unpaid_orders > 0; false when the snapshot has no value)."""
    mall = F.col("mall")
    return users.withColumns(
        {
            "has_delivery_address": field(mall, "has_delivery_address"),
            "unused_coupons": field(mall, "unused_coupons"),
            "cart_items": field(mall, "cart_items"),
            "has_unpaid_orders": F.coalesce(field(mall, "unpaid_orders") > 0, F.lit(False)),
        }
    )


def mall_labels(daily_events: DataFrame, ds: dt.date) -> DataFrame:
    """Per user with a mall_* or coupon_received event in the last 180 days: the windowed mall labels.

    mall_activity_30d is computed in whole tenths and divided by 10 once, so 3 browses give
    exactly 0.3 (not 0.30000000000000004). Items and amounts are summed exactly as decimals; a daily
    sum that in-range values cannot give (rows accepted before bronze checked ranges) is left out.
    """
    is_mall = F.col("event").startswith("mall_")
    rows = daily_events.where(in_window(ds, MAX_WINDOW_DAYS) & (is_mall | (F.col("event") == "coupon_received")))
    rows = rows.select(
        *USER_KEY,
        "event",
        "event_date",
        "events",
        "last_ts",
        measure_sum_in_range("items").alias("_items"),
        measure_sum_in_range("amount").alias("_amount"),
    )
    tenths = F.lit(0)
    for event, weight in ACTIVITY_TENTHS.items():
        tenths = tenths + F.when(F.col("event") == event, F.col("events") * weight).otherwise(F.lit(0))
    aggs = [
        F.max(F.when(is_mall, F.col("last_ts"))).alias("last_mall_visit_time"),
        events_in(ds, 30, F.lit(True), tenths).alias("_tenths"),
        days_in(ds, 30, F.col("event") == "mall_browse").alias("mall_visit_days_30d"),
        events_in(ds, MAX_WINDOW_DAYS, F.col("event") == "coupon_received").alias("_coupons"),
    ]
    for kind, event in ORDER_LABELS.items():
        aggs += [
            F.sum(F.when(F.col("event") == event, F.col("_items"))).alias(f"_items_{kind}"),
            F.sum(F.when(F.col("event") == event, F.col("_amount"))).alias(f"_amount_{kind}"),
        ]
    sums = rows.groupBy(*USER_KEY).agg(*aggs)
    orders = {}
    for kind in ORDER_LABELS:
        # try_cast: a sum too big for the column is a null (the label checks name it), never a crash
        orders[f"mall_items_{kind}_180d"] = F.coalesce(F.col(f"_items_{kind}"), F.lit(0)).try_cast("bigint")
        orders[f"mall_amount_{kind}_180d"] = F.coalesce(F.col(f"_amount_{kind}"), F.lit(0)).try_cast("double")
    return sums.select(
        *USER_KEY,
        "last_mall_visit_time",
        (F.col("_tenths").cast("double") / F.lit(10.0)).alias("mall_activity_30d"),
        "mall_visit_days_30d",
        (F.col("_coupons") > 0).alias("coupon_received_180d"),
        *[column.alias(name) for name, column in orders.items()],
    )
