"""User-value and feedback labels: all-time value-added services, reviews, resolved issues, cloud storage."""

from __future__ import annotations

from label_fixtures import DS, compute, days_before, event, user

D = days_before


def test_value_labels(spark):
    plan = {"expire_time": 1735689600000, "renewed": True}
    users = [user("v1", cloud_storage=plan), user("v2"), user("v3"), user("v4"), user("v5"), user("v6")]
    events = [
        # v1 placed 3 (one 400 days ago: all-time), 9.9 + 0.1 + "0.2" = 10.2; completed 1 of 9.9
        event("v1", "vas_order_placed", D(400), props={"amount": 9.9, "service": "cloud_storage"}),
        event("v1", "vas_order_placed", D(10), props={"amount": 0.1}),
        event("v1", "vas_order_placed", DS, props={"amount": "0.2"}),
        event("v1", "vas_order_completed", D(400), props={"amount": 9.9}),
        # v2: an order without amount counts as an order with nothing to add; none completed
        event("v2", "vas_order_placed", D(3)),
        # v3: 2 feedbacks, 3 resolutions -> 1.5 capped at 1; ratings 1 satisfied of 4 -> 0.25
        *[event("v3", "feedback_submit", D(n), props={"issue_type": "pairing"}) for n in (5, 6)],
        *[event("v3", "feedback_resolved", D(n)) for n in (1, 2, 3)],
        event("v3", "cs_chat_satisfied", D(1)),
        event("v3", "cs_chat_dissatisfied", D(1)),
        *[event("v3", "cs_chat_fair", D(n)) for n in (1, 2)],
        # v4: 4 feedbacks (one 500 days ago), 1 resolved -> 0.25; chats without rating -> null
        *[event("v4", "feedback_submit", D(n)) for n in (500, 1, 2, 3)],
        event("v4", "feedback_resolved", D(1)),
        event("v4", "cs_chat_enter", D(1)),
        # v5: a resolution without any submission -> null (no share of nothing); 3 satisfied -> 1.0
        event("v5", "feedback_resolved", D(1)),
        *[event("v5", "cs_chat_satisfied", D(n)) for n in (1, 2, 3)],
    ]
    got = compute(spark, events, users)

    vas = ("vas_subscribed", "vas_orders_placed", "vas_amount_placed", "vas_orders_completed", "vas_amount_completed")
    assert {u: tuple(r[c] for c in vas) for u, r in got.items()} == {
        "v1": (True, 3, 10.2, 1, 9.9),
        "v2": (False, 1, 0.0, 0, 0.0),
        "v3": (False, 0, 0.0, 0, 0.0),
        "v4": (False, 0, 0.0, 0, 0.0),
        "v5": (False, 0, 0.0, 0, 0.0),
        "v6": (False, 0, 0.0, 0, 0.0),
    }
    cloud = ("cloud_storage_purchased", "cloud_storage_expire_time", "cloud_storage_renewed")
    assert tuple(got["v1"][c] for c in cloud) == (True, 1735689600000, True)
    assert tuple(got["v2"][c] for c in cloud) == (False, None, None)
    feedback = ("feedback_count", "positive_review_pct", "resolved_issue_pct")
    assert {u: tuple(r[c] for c in feedback) for u, r in got.items()} == {
        "v1": (0, None, None),
        "v2": (0, None, None),
        "v3": (2, 0.25, 1.0),
        "v4": (4, None, 0.25),
        "v5": (0, 1.0, None),
        "v6": (0, None, None),
    }
