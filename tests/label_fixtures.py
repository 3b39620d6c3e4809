"""Hand-made bronze rows for the label tests, and the label pipeline run in memory on them.

Rows are built with short helpers so each test shows only what matters to its case; the
in-memory pipeline is the same chain of transforms the jobs run between their reads and writes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

from pyspark.sql import DataFrame, SparkSession

from jobs.labels.build import user_labels
from jobs.labels.country import country_names
from jobs.silver.aggregates import user_daily_activity, user_daily_events, user_daily_platforms
from jobs.silver.alltime import add_alltime, alltime_increment
from jobs.silver.events import clean_events
from jobs.tables import BRONZE_EVENTS, BRONZE_USERS

APP = "app1"
DS = dt.date(2024, 6, 30)  # the as-of date most tests use
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_ids = itertools.count(1)


def ms(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> int:
    """Epoch milliseconds of a UTC time on ``day``."""
    moment = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.timezone.utc)
    return int((moment - EPOCH).total_seconds() * 1000)


def days_before(n: int, ds: dt.date = DS) -> dt.date:
    return ds - dt.timedelta(days=n)


def event(
    uid: str | None,
    code: str,
    day: dt.date,
    hour: int = 12,
    minute: int = 0,
    *,
    platform: str | None = "ios",
    app_version: str | None = None,
    phone_model: str | None = None,
    props: dict | str | None = None,
    arrived: dt.date | None = None,
    event_id: str | None = None,
    app_id: str = APP,
    line: int = 1,
) -> tuple:
    """A bronze.events row (arrival date ``arrived``, default the event's own date)."""
    ts = ms(day, hour, minute)
    text = props if isinstance(props, str) or props is None else json.dumps(props)
    arrival = arrived or day
    return (
        event_id or f"auto-{next(_ids)}", app_id, uid, code, ts, day, platform, app_version, phone_model, text,
        f"landing/events/dt={arrival}/part-0.jsonl", line, arrival,
    )  # fmt: skip


def device(category: str, relation: str = "owner", device_id: str | None = None) -> dict:
    return {"device_id": device_id or f"d{next(_ids)}", "category": category, "relation": relation, "bind_time": 0}


def user(uid: str, **fields) -> dict:
    """A bronze.users row with defaults: a registered user of APP, long ago, no devices."""
    row = {
        "app_id": APP, "uid": uid, "user_type": "registered", "register_time": ms(dt.date(2023, 1, 1)),
        "register_method": "email", "country_code": None, "city_en": None, "city_zh": None, "email": None,
        "phone": None, "accept_marketing": True, "devices": [], "cloud_storage": None,
        "mall": {"has_delivery_address": False, "unused_coupons": 0, "cart_items": 0, "unpaid_orders": 0},
        "source_file": "landing/users/part-0.jsonl", "source_line": 1, "dt": None,
    }  # fmt: skip
    unknown = set(fields) - set(row)
    if unknown:
        raise KeyError(f"not a bronze.users column: {sorted(unknown)}")
    row.update(fields)
    return row


def bronze_events(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    return spark.createDataFrame(rows, BRONZE_EVENTS.schema)


def bronze_users(spark: SparkSession, rows: list[dict], ds: dt.date = DS) -> DataFrame:
    names = [f.name for f in BRONZE_USERS.schema.fields]
    return spark.createDataFrame([tuple({**r, "dt": ds}[n] for n in names) for r in rows], BRONZE_USERS.schema)


def countries(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(list(country_names()), "country_code string, country_en string, country_zh string")


def labels_in_memory(
    events: DataFrame,
    users: DataFrame,
    countries_df: DataFrame,
    ds: dt.date = DS,
    state_as_of: dt.date | None = None,
    stage=lambda df: df,
) -> DataFrame:
    """The whole chain bronze -> silver -> aggregates -> all-time -> labels, without any table.

    With ``state_as_of``, the all-time figures are a state at that date plus the days after it.
    ``stage`` is applied to each intermediate table, as the jobs' writes and reads would (e.g. to
    materialize it and keep the plans JVM Spark analyzes small).
    """
    silver = stage(clean_events(events, dt.date(1970, 1, 1), ds))
    daily = stage(user_daily_events(silver))
    state = None if state_as_of is None else stage(add_alltime(None, alltime_increment(daily, None, state_as_of)))
    totals = stage(add_alltime(state, alltime_increment(daily, state_as_of, ds)))
    activity, platforms = stage(user_daily_activity(silver)), stage(user_daily_platforms(silver))
    return user_labels(users, daily, activity, platforms, totals, countries_df, ds)


def compute(spark: SparkSession, events: list[tuple], users: list[dict], ds: dt.date = DS) -> dict[str, dict]:
    """Labels by uid for hand-made rows (one collect: tests assert on the returned dict)."""
    df = labels_in_memory(bronze_events(spark, events), bronze_users(spark, users, ds), countries(spark), ds)
    return {row["uid"]: row.asDict() for row in df.collect()}


def write_bronze(spark: SparkSession, root: str, events: list[tuple], users: list[dict], arrival: dt.date) -> None:
    """Lands one arrival date in bronze: the events that arrived that day and that day's snapshot."""
    from jobs.delta_io import replace_partition
    from jobs.tables import BRONZE_EVENTS as EVENTS, BRONZE_USERS as USERS

    arrived = [row for row in events if row[-1] == arrival]
    replace_partition(bronze_events(spark, arrived), EVENTS, root, {"dt": arrival})
    replace_partition(bronze_users(spark, users, arrival), USERS, root, {"dt": arrival})


def scenario(first: dt.date, days: int, seed: int = 7) -> tuple[list[tuple], list[dict]]:
    """A seeded mix of every label's events over ``days`` dates from ``first``: late arrivals
    (1-3 days), re-deliveries, guests, two apps. Events arriving after the last date are left out."""
    import random

    rng = random.Random(seed)
    last = first + dt.timedelta(days=days - 1)
    codes = [
        ("page_view", None), ("voice_control", None), ("panel_control", None), ("mall_browse", None),
        ("mall_item_tap", None), ("mall_favorite", None), ("mall_add_cart", None), ("mall_visit", None),
        ("coupon_received", None), ("cs_chat_satisfied", None), ("cs_chat_fair", None), ("feedback_resolved", None),
        ("pairing_end", lambda: {"result": rng.choice(["success", "fail"]), "category": "lock"}),
        ("feedback_submit", lambda: {"issue_type": "pairing"}),
        ("mall_order_placed", lambda: {"items": rng.randint(1, 3), "amount": round(rng.uniform(1, 99), 2)}),
        ("mall_order_paid", lambda: {"items": rng.randint(1, 3), "amount": round(rng.uniform(1, 99), 2)}),
        ("vas_order_placed", lambda: {"amount": round(rng.uniform(1, 30), 2), "service": "cloud_storage"}),
        ("vas_order_completed", lambda: {"amount": round(rng.uniform(1, 30), 2), "service": "cloud_storage"}),
    ]  # fmt: skip
    uids = [(APP, f"u{i:02d}") for i in range(24)] + [("app2", f"u{i:02d}") for i in range(4)]
    events = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for app_id, uid in uids:
            if rng.random() < 0.35:
                continue
            for _ in range(rng.randint(1, 6)):
                code, props = rng.choice(codes)
                late = rng.choice([0, 0, 0, 0, 0, 1, 2, 3])
                row = event(
                    uid, code, day, rng.randint(0, 23), rng.randint(0, 59), app_id=app_id,
                    platform=rng.choice(["ios", "android", "web", None]), app_version=rng.choice(["5.1.0", "5.2.0", None]),
                    phone_model=rng.choice(["TAS-AL00", "SM-G991B", None]), props=props() if props else None,
                    arrived=day + dt.timedelta(days=late), line=rng.randint(1, 1000),
                )  # fmt: skip
                events.append(row)
                if rng.random() < 0.08:  # re-delivered up to 2 days later, still within 3 days
                    again = min(day + dt.timedelta(days=3), row[-1] + dt.timedelta(days=rng.randint(0, 2)))
                    events.append((*row[:-3], f"landing/events/dt={again}/part-1.jsonl", row[-2] + 1, again))
        events.append(event(None, "page_view", day))  # guest traffic
    events = [row for row in events if row[-1] <= last]
    users = [
        user(uid, app_id=app_id, devices=[device("plug")] * (int(uid[1:]) % 5), register_time=ms(first) - int(uid[1:]) * 86_400_000 * 3,
             user_type="deleted" if uid == "u05" else "guest" if uid == "u06" else "registered",
             country_code=rng.choice(["CN", "US", "DE", None]))
        for app_id, uid in uids
    ]  # fmt: skip
    return events, users
