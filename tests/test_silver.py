"""Silver transforms: first copy of each event, typed props, compact daily aggregates."""

from __future__ import annotations

import datetime as dt

from label_fixtures import DS, bronze_events, days_before, event, ms

from jobs.silver.aggregates import user_daily_activity, user_daily_events, user_daily_platforms
from jobs.silver.events import clean_events

D1 = days_before(1)


def test_clean_events_and_daily_aggregates(spark):
    rows = [
        # e1 delivered three times: the copy of the earliest arrival (D1, line 9) is kept, even
        # though a later arrival has a smaller line number.
        event("u1", "pairing_end", D1, 10, props={"result": "success", "category": "lock"}, event_id="e1", line=9),
        event("u1", "pairing_end", D1, 10, props={"result": "success"}, event_id="e1", arrived=DS, line=1, platform="android"),
        event("u1", "pairing_end", D1, 10, props={"result": "success"}, event_id="e1", arrived=DS, line=2, platform="web"),
        # guest traffic stays in bronze
        event(None, "page_view", D1, 11),
        # dimensions only on events that declare them: page_view has no `result`
        event("u1", "page_view", D1, 11, props={"result": "success"}, app_version="5.1.0", phone_model="TAS-AL00"),
        # measures: a numeric string is a number; text, infinity and a fraction of an integer
        # measure are not; invalid JSON props give no dimensions or measures
        event("u1", "mall_order_paid", D1, 12, props={"items": 2, "amount": "12.5"}, app_version=""),
        event("u1", "mall_order_paid", D1, 13, props={"items": 2.5, "amount": "abc"}),
        event("u1", "mall_order_paid", D1, 14, props='{"items": 1, "amount": 1e400}', platform=None),
        event("u1", "mall_order_paid", D1, 15, props="not json", platform=""),
        # outside the produced dates (DS-2 .. DS-1 here)
        event("u1", "page_view", DS, 9),
        event("u1", "page_view", days_before(3), 9),
    ]
    silver = clean_events(bronze_events(spark, rows), days_before(2), D1).cache()
    got = {r["event_id"]: r.asDict() for r in silver.collect()}
    daily = {(r["event"], r["dim_result"]): r.asDict() for r in user_daily_events(silver).collect()}
    activity = [r.asDict() for r in user_daily_activity(silver).collect()]
    platforms = {r["platform"]: r.asDict() for r in user_daily_platforms(silver).collect()}
    silver.unpersist()

    assert len(got) == 6  # e1 once, four mall orders, one page_view of u1
    assert got["e1"]["platform"] == "ios" and got["e1"]["dt"] == D1
    assert (got["e1"]["dim_result"], got["e1"]["dim_category"]) == ("success", "lock")
    page_view = next(r for r in got.values() if r["event"] == "page_view")
    assert page_view["dim_result"] is None
    paid = sorted((r for r in got.values() if r["event"] == "mall_order_paid"), key=lambda r: r["ts"])
    assert [(r["measure_items"], r["measure_amount"]) for r in paid] == [(2.0, 12.5), (None, None), (1.0, None), (None, None)]

    # the four paid orders in one row: items 2 + 1 = 3 over 2 events carrying it; amount 12.5 once
    orders = daily[("mall_order_paid", None)]
    assert (orders["events"], orders["last_ts"]) == (4, ms(D1, 15))
    assert (orders["measure_items_count"], orders["measure_items_sum"], orders["measure_items_min"], orders["measure_items_max"]) == (2, 3.0, 1.0, 2.0)
    assert (orders["measure_amount_count"], orders["measure_amount_sum"]) == (1, 12.5)
    assert daily[("pairing_end", "success")]["events"] == 1
    assert daily[("page_view", None)]["measure_amount_sum"] is None

    # activity: 6 events on D1; the latest non-empty app_version is on the page_view (the later
    # order sent an empty one); phone model likewise
    assert activity == [
        {
            "app_id": "app1", "uid": "u1", "event_date": D1, "events": 6, "first_ts": ms(D1, 10), "last_ts": ms(D1, 15),
            "app_version": "5.1.0", "app_version_ts": ms(D1, 11), "phone_model": "TAS-AL00", "phone_model_ts": ms(D1, 11),
        }
    ]  # fmt: skip
    # platforms: ios on 4 events (null and empty platform are not counted)
    assert {p: (r["events"], r["last_ts"]) for p, r in platforms.items()} == {"ios": (4, ms(D1, 13))}
    assert dt.date(2024, 6, 29) == D1
