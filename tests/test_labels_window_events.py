"""The events the windowed labels read come from the label catalog, and they are all the labels need."""

from __future__ import annotations

import datetime as dt

from label_fixtures import bronze_events, bronze_users, countries, scenario
from pyspark.sql import functions as F

from jobs.labels.build import user_labels
from jobs.labels.windows import window_events
from jobs.silver.aggregates import user_daily_activity, user_daily_events, user_daily_platforms
from jobs.silver.alltime import add_alltime, alltime_increment
from jobs.silver.events import clean_events

# The list the label job wrote out itself before the catalog declared it.
FORMER_WINDOW_EVENTS = (
    "pairing_end", "voice_control", "panel_control", "coupon_received", "mall_visit", "mall_browse",
    "mall_item_tap", "mall_favorite", "mall_add_cart", "mall_order_placed", "mall_order_paid",
)  # fmt: skip


def test_window_events_are_the_catalogs_and_the_former_list():
    assert sorted(window_events()) == sorted(FORMER_WINDOW_EVENTS)


def test_labels_from_the_window_events_alone_equal_labels_from_every_event(spark):
    first, days = dt.date(2024, 6, 1), 10
    ds = first + dt.timedelta(days=days - 1)
    events, users = scenario(first, days)
    silver = clean_events(bronze_events(spark, events), dt.date(1970, 1, 1), ds).cache()
    daily = user_daily_events(silver).cache()
    totals = add_alltime(None, alltime_increment(daily, None, ds))
    snapshot = bronze_users(spark, users, ds)
    activity, platforms = user_daily_activity(silver), user_daily_platforms(silver)

    def labels(daily_events):
        rows = user_labels(snapshot, daily_events, activity, platforms, totals, countries(spark), ds).collect()
        return sorted((r.asDict() for r in rows), key=lambda r: (r["app_id"], r["uid"]))

    everything = labels(daily)
    assert everything and labels(daily.where(F.col("event").isin(list(window_events())))) == everything
