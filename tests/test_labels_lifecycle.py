"""The lifecycle label: each rule, its boundaries and the order the rules are applied in."""

from __future__ import annotations

from label_fixtures import DS, compute, days_before, device, event, ms, user

D = days_before
PLUG = [device("plug")]


def test_lifecycle(spark):
    # Everyone registered on 2023-01-01 (long before DS) unless stated.
    cases = {
        # uid: (devices, last active day offset or None, register_time or default, expected)
        "l1": (PLUG, 31, None, "churn"),  # d = 31 > 30 (churn wins over growth)
        "l2": (PLUG, 30, None, "silence"),  # d = 30 is still silence
        "l3": (PLUG, 8, None, "silence"),  # d = 8 > 7 (silence wins over growth)
        "l4": (PLUG, 7, None, "growth"),  # d = 7 is not silence; registered long ago
        "l5": (PLUG, 0, ms(D(30), 0, 0), "novice"),  # registered 30 days before DS: not more than 30
        "l6": (PLUG, 0, ms(D(31), 23, 59), "growth"),  # registered on DS-31 (UTC date): more than 30
        "l7": (PLUG, 180, None, "churn"),  # last event on DS-180: no activity in 180 days
        "l8": (PLUG, None, ms(D(1)), "churn"),  # never active counts as d > 30, even when new
        "l9": ([], None, None, "novice"),  # no devices: novice whatever the activity
        "l10": ([], 0, None, "novice"),
        "l11": (PLUG, 0, "null", "novice"),  # no register_time: cannot be growth
        "l12": ([device("lock", "shared")], None, None, "churn"),  # a shared device counts
        "l13": ([device("lock", "viewer")], None, None, "novice"),  # not owned nor shared: no device
    }
    users, events = [], []
    for uid, (devices, last_active, registered, _) in cases.items():
        fields = {"devices": devices}
        if registered == "null":
            fields["register_time"] = None
        elif registered is not None:
            fields["register_time"] = registered
        users.append(user(uid, **fields))
        if last_active is not None:
            events += [event(uid, "page_view", D(last_active)), event(uid, "page_view", D(last_active + 3))]
    got = compute(spark, events, users)

    assert {u: r["lifecycle"] for u, r in got.items()} == {u: c[3] for u, c in cases.items()}
    assert DS == D(0)
