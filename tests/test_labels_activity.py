"""Activity labels: platform, app version, phone model, active days, last activity, control use."""

from __future__ import annotations

from label_fixtures import DS, compute, days_before, event, ms, user


def test_activity_labels(spark):
    d = days_before
    events = [
        # a1: android 2 and ios 2 in 180 days, ios seen latest (DS-1) -> ios. Three android events
        # on DS-180, outside the window, would have made android win.
        event("a1", "page_view", d(10), platform="android"),
        event("a1", "page_view", d(5), platform="android"),
        event("a1", "page_view", d(20), platform="ios"),
        event("a1", "page_view", d(1), platform="ios"),
        *[event("a1", "page_view", d(180), platform="android") for _ in range(3)],
        # a2: web 3, ios 1 -> the most seen raw value is web -> Others
        *[event("a2", "page_view", d(2), platform="web") for _ in range(3)],
        event("a2", "page_view", DS, platform="ios"),
        # a3: one event on DS-179, the window's first day -> counts everywhere in 180 days
        event("a3", "page_view", d(179), 8, platform="android", app_version="4.0.0", phone_model="SM-G991B"),
        # a4: only on DS-180 -> inactive in 180 days
        event("a4", "page_view", d(180), platform="android", app_version="4.0.0", phone_model="SM-G991B"),
        # a6: latest app_version by ts among events that have one: DS-1 12:00 (5.2.0); DS has an
        # empty one, DS-1 08:00 is earlier the same day. Phone model: only DS-3 has one.
        event("a6", "page_view", d(3), app_version="5.1.0", phone_model="TAS-AL00"),
        event("a6", "page_view", d(1), 8, app_version="9.9.9"),
        event("a6", "page_view", d(1), 12, app_version="5.2.0"),
        event("a6", "page_view", DS, 9, app_version="", platform=None),
        # a7: active on DS (twice), DS-29 (in 30 days) and DS-30 (out) -> 2 days
        event("a7", "page_view", DS, 8),
        event("a7", "page_view", DS, 23, 59),
        event("a7", "page_view", d(29)),
        event("a7", "page_view", d(30)),
        # a8: voice_control 3 in 30 days (DS-29, DS-10, DS) + 1 on DS-30 -> 3 / 30 = 0.1;
        # panel_control 45 on DS-5 -> 1.5
        *[event("a8", "voice_control", d(n)) for n in (29, 10, 0, 30)],
        *[event("a8", "panel_control", d(5)) for _ in range(45)],
        # a9: active, but no event carries a platform -> Unknown
        event("a9", "page_view", DS, platform=None),
        event("a9", "page_view", DS, platform=""),
        # a10 of another app: not the a10 of app1
        event("a10", "page_view", DS, app_id="app2", app_version="1.0.0"),
        # a11: android and ios once each at the same time -> the greatest value, ios
        event("a11", "page_view", DS, platform="android"),
        event("a11", "page_view", DS, platform="ios"),
    ]
    users = [user(u) for u in ("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11")]
    got = compute(spark, events, users)

    assert {u: r["platform"] for u, r in got.items()} == {
        "a1": "ios", "a2": "Others", "a3": "android", "a4": "Unknown", "a5": "Unknown", "a6": "ios",
        "a7": "ios", "a8": "ios", "a9": "Unknown", "a10": "Unknown", "a11": "ios",
    }  # fmt: skip
    assert {u: (got[u]["app_version"], got[u]["phone_model"]) for u in ("a3", "a4", "a5", "a6", "a10")} == {
        "a3": ("4.0.0", "SM-G991B"),
        "a4": ("NA", "NA"),
        "a5": ("NA", "NA"),
        "a6": ("5.2.0", "TAS-AL00"),
        "a10": ("NA", "NA"),
    }
    assert {u: got[u]["active_days_30d"] for u in ("a1", "a3", "a4", "a5", "a7", "a8", "a9")} == {
        "a1": 4, "a3": 0, "a4": 0, "a5": 0, "a7": 2, "a8": 4, "a9": 1,
    }  # fmt: skip  (a1: DS-20, -10, -5, -1; a8: DS-29, -10, -5, DS)
    assert {u: got[u]["last_active_time"] for u in ("a1", "a3", "a4", "a5", "a7")} == {
        "a1": ms(d(1)), "a3": ms(d(179), 8), "a4": None, "a5": None, "a7": ms(DS, 23, 59),
    }  # fmt: skip
    assert (got["a8"]["voice_control_daily_avg_30d"], got["a8"]["panel_control_daily_avg_30d"]) == (0.1, 1.5)
    assert (got["a5"]["voice_control_daily_avg_30d"], got["a5"]["panel_control_daily_avg_30d"]) == (0.0, 0.0)
