"""Device labels: categories (owned or shared), owned count, distribution, pairing in 90 days."""

from __future__ import annotations

from label_fixtures import compute, days_before, device, event, user


def _pairings(uid: str, day_offset: int, *results: str | None) -> list[tuple]:
    return [event(uid, "pairing_end", days_before(day_offset), props={} if r is None else {"result": r}) for r in results]


def test_device_labels(spark):
    users = [
        user("d1", devices=[device("gateway"), device("ipc", "shared"), device("lock")]),  # 3: elementary
        user("d2", devices=None),
        user("d3", devices=[]),
        user("d4", devices=[device(c, "shared") for c in ("speaker", "panel", "light", "plug")]),  # 4
        user("d5", devices=[device("plug") for _ in range(9)]),  # 9: intermediate
        user("d6", devices=[device("light") for _ in range(5)] + [device("light", "shared") for _ in range(5)]),  # 10
        user("d7", devices=[device("gateway", "viewer")]),  # neither owned nor shared: not the user's
        user("d8", devices=[device("sensor")]),  # 1: elementary
    ]
    events = [
        *_pairings("d1", 0, "success", "success", "success", "success", "fail"),  # 4/5 = 0.8 -> high
        *_pairings("d2", 3, "success", "fail"),  # 1/2 = 0.5 -> medium
        *_pairings("d3", 10, "success", "fail", "fail"),  # 1/3 -> low
        *_pairings("d4", 90, "success"),  # DS-90 is outside 90 days -> unpaired
        *_pairings("d5", 89, "success"),  # DS-89 is inside
        *_pairings("d5", 90, "fail"),  # -> 1/1 = 1.0 high
        event("d6", "page_view", days_before(0)),  # active, no pairing -> unpaired
        *_pairings("d7", 1, "fail", "fail"),  # 0/2 -> low
        *_pairings("d8", 1, "success", None),  # a pairing_end without result still counts: 1/2 medium
        *_pairings("d8", 2, "success", "success", "fail", "fail"),  # 3/6 = 0.5 medium
    ]
    got = compute(spark, events, users)

    flags = ("has_gateway", "has_ipc", "has_lock", "has_speaker", "has_panel")
    assert {u: tuple(r[f] for f in flags) for u, r in got.items()} == {
        "d1": (True, True, True, False, False),
        "d2": (False, False, False, False, False),
        "d3": (False, False, False, False, False),
        "d4": (False, False, False, True, True),
        "d5": (False, False, False, False, False),
        "d6": (False, False, False, False, False),
        "d7": (False, False, False, False, False),
        "d8": (False, False, False, False, False),
    }
    assert {u: (r["bound_devices"], r["user_distribution"]) for u, r in got.items()} == {
        "d1": (2, "elementary"),
        "d2": (0, "none"),
        "d3": (0, "none"),
        "d4": (0, "intermediate"),
        "d5": (9, "intermediate"),
        "d6": (5, "advanced"),
        "d7": (0, "none"),
        "d8": (1, "elementary"),
    }
    assert {u: (r["pairing_success_rate_90d"], r["pairing_level_90d"]) for u, r in got.items()} == {
        "d1": (0.8, "high"),
        "d2": (0.5, "medium"),
        "d3": (1 / 3, "low"),
        "d4": (None, "unpaired"),
        "d5": (1.0, "high"),
        "d6": (None, "unpaired"),
        "d7": (0.0, "low"),
        "d8": (0.5, "medium"),
    }
