"""Mall labels: the snapshot's cart and coupons, mall events over 30 and 180 days, coupons ever."""

from __future__ import annotations

from label_fixtures import DS, compute, days_before, event, ms, user

D = days_before


def test_mall_labels(spark):
    users = [
        user("m1", mall={"has_delivery_address": True, "unused_coupons": 3, "cart_items": 2, "unpaid_orders": 1}),
        user("m2"),
        user("m3", mall=None),
        user("m4"),
    ]
    events = [
        # m1 in 30 days: browse 3 (DS), item tap 1 (DS-29), add to cart 1 (DS-5); the favorite on
        # DS-30 is outside -> 0.1*3 + 0.2*1 + 0.4*1 = 0.9. Browse days: DS only -> 1.
        *[event("m1", "mall_browse", DS, 9) for _ in range(3)],
        event("m1", "mall_item_tap", D(29)),
        event("m1", "mall_favorite", D(30)),
        event("m1", "mall_add_cart", D(5)),
        # latest mall_* event: the mall_visit at DS 18:00; coupon_received at 20:00 is not mall_*
        event("m1", "mall_visit", DS, 18),
        event("m1", "coupon_received", DS, 20),
        # m2: browse twice on DS-29 and once on DS-30 -> 1 day, 0.1*2 = 0.2
        event("m2", "mall_browse", D(29), 8),
        event("m2", "mall_browse", D(29), 9),
        event("m2", "mall_browse", D(30)),
        # a coupon 200 days ago: not in 180 days, but ever
        event("m2", "coupon_received", D(200)),
        # orders placed: DS-179 (in) 2 items 19.99, DS-180 (out) 5 items 100, DS 1 item 0.01
        # -> 3 items, 20.0 exactly; paid: DS "2" items 19.99 (numbers sent as text count)
        event("m2", "mall_order_placed", D(179), props={"items": 2, "amount": 19.99}),
        event("m2", "mall_order_placed", D(180), props={"items": 5, "amount": 100}),
        event("m2", "mall_order_placed", DS, 7, props={"items": 1, "amount": 0.01}),
        event("m2", "mall_order_paid", DS, 7, 30, props={"items": "2", "amount": 19.99}),
        # m4: 2.5 items is not a whole number of items -> ignored; the amount counts
        event("m4", "mall_order_placed", D(1), props={"items": 2.5, "amount": 10}),
    ]
    got = compute(spark, events, users)

    snapshot = ("has_delivery_address", "unused_coupons", "cart_items", "has_unpaid_orders")
    assert {u: tuple(r[c] for c in snapshot) for u, r in got.items()} == {
        "m1": (True, 3, 2, True),
        "m2": (False, 0, 0, False),
        "m3": (None, None, None, False),
        "m4": (False, 0, 0, False),
    }
    windowed = ("last_mall_visit_time", "mall_activity_30d", "mall_visit_days_30d", "coupon_received_180d", "coupon_received_ever")
    assert {u: tuple(r[c] for c in windowed) for u, r in got.items()} == {
        "m1": (ms(DS, 18), 0.9, 1, True, True),
        "m2": (ms(DS, 7, 30), 0.2, 1, False, True),
        "m3": (None, 0.0, 0, False, False),
        "m4": (ms(D(1)), 0.0, 0, False, False),
    }
    orders = ("mall_items_ordered_180d", "mall_amount_ordered_180d", "mall_items_paid_180d", "mall_amount_paid_180d")
    assert {u: tuple(r[c] for c in orders) for u, r in got.items()} == {
        "m1": (0, 0.0, 0, 0.0),
        "m2": (3, 20.0, 2, 19.99),
        "m3": (0, 0.0, 0, 0.0),
        "m4": (0, 10.0, 0, 0.0),
    }
