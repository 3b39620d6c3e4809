"""Basic-information labels from the snapshot: country names, contact flags, pass-through columns."""

from __future__ import annotations

import datetime as dt

from label_fixtures import compute, ms, user


def test_profile_labels(spark):
    users = [
        user("p1", country_code="CN", city_en="Shenzhen", city_zh="深圳", email="a@example.com",
             phone="+8613800000000", register_method="phone", register_time=ms(dt.date(2024, 1, 2))),
        # code trimmed and upper-cased; empty and blank contact values are not contacts
        user("p2", country_code=" us", email="", phone="   ", accept_marketing=False),
        user("p3", country_code="XK", email=None),  # Kosovo: not in ISO 3166-1 -> no names
        user("p4", country_code=None, accept_marketing=None),
        user("g1", user_type="guest", register_time=None, register_method=None),  # guests have rows
        user("x1", user_type="deleted", country_code="CN"),  # deleted users never do
    ]  # fmt: skip
    got = compute(spark, [], users)

    assert set(got) == {"p1", "p2", "p3", "p4", "g1"}
    assert {u: (r["country_en"], r["country_zh"]) for u, r in got.items()} == {
        "p1": ("China", "中国"),
        "p2": ("United States", "美国"),
        "p3": (None, None),
        "p4": (None, None),
        "g1": (None, None),
    }
    p1 = got["p1"]
    assert (p1["city_en"], p1["city_zh"], p1["user_type"], p1["register_method"], p1["register_time"]) == (
        "Shenzhen", "深圳", "registered", "phone", ms(dt.date(2024, 1, 2)),
    )  # fmt: skip
    assert {u: (r["has_email"], r["has_phone"], r["accept_marketing"]) for u, r in got.items()} == {
        "p1": (True, True, True),
        "p2": (False, False, False),
        "p3": (False, False, True),
        "p4": (False, False, None),
        "g1": (False, False, True),
    }
    g1 = got["g1"]
    assert (g1["user_type"], g1["register_time"], g1["register_method"]) == ("guest", None, None)
