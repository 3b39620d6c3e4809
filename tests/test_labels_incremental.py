"""The label job run day by day equals a rebuild; late events change the right dates after a re-run."""

from __future__ import annotations

import datetime as dt

from label_fixtures import device, event, ms, scenario, user, write_bronze

from jobs.delta_io import read_table
from jobs.labels import build_labels, rebuild_labels
from jobs.silver import build_silver
from jobs.tables import GOLD_USER_LABELS, SILVER_USER_ALLTIME_STATE, SILVER_USER_DAILY_EVENTS

FIRST = dt.date(2024, 6, 1)
DAY = dt.timedelta(days=1)


def _rows(df, columns=None) -> list[tuple]:
    return sorted(tuple(r) for r in (df.select(*columns) if columns else df).collect())


def _gold(spark, root, ds):
    return read_table(spark, GOLD_USER_LABELS, root).where(f"ds = DATE'{ds}'")


def test_day_by_day_equals_rebuild(spark, tmp_path):
    days = 8
    events, users = scenario(FIRST, days)
    dates = [FIRST + n * DAY for n in range(days)]
    daily_root, rebuild_root = str(tmp_path / "daily"), str(tmp_path / "rebuild")
    for ds in dates:  # day by day: each date's arrivals land, then that date's run
        write_bronze(spark, daily_root, events, users, ds)
        build_silver(spark, daily_root, ds)
        build_labels(spark, daily_root, ds)
    for ds in dates:  # the same bronze, then one rebuild for the last date
        write_bronze(spark, rebuild_root, events, users, ds)
    last = dates[-1]
    rebuild_labels(spark, rebuild_root, last)

    daily_gold, rebuilt_gold = _rows(_gold(spark, daily_root, last)), _rows(_gold(spark, rebuild_root, last))
    # 28 users in two apps (24 + 4), one deleted (u05 of app1)
    assert len(rebuilt_gold) == 27
    assert daily_gold == rebuilt_gold
    # the incremental state at ds-3 matches the one rebuilt from the daily aggregates alone
    state = read_table(spark, SILVER_USER_ALLTIME_STATE, daily_root).where(f"as_of = DATE'{last - 3 * DAY}'")
    rebuilt_state = read_table(spark, SILVER_USER_ALLTIME_STATE, rebuild_root)
    assert _rows(state) == _rows(rebuilt_state)
    assert _rows(read_table(spark, SILVER_USER_DAILY_EVENTS, daily_root)) == _rows(
        read_table(spark, SILVER_USER_DAILY_EVENTS, rebuild_root)
    )
    # the scenario exercises what it should: all-time figures from before the window's state
    labels = {r["uid"]: r for r in _gold(spark, daily_root, last).where("app_id = 'app1'").collect()}
    assert sum(r["vas_orders_placed"] for r in labels.values()) > 5
    assert {r["platform"] for r in labels.values()} >= {"ios", "android", "Others"}


def test_late_events_update_their_dates_after_a_rerun(spark, root):
    d = [FIRST + n * DAY for n in range(5)]
    users = [user("u1", devices=[device("plug")]), user("u2")]
    on_time = [
        event("u1", "page_view", d[0]),
        event("u2", "page_view", d[0]),
        event("u1", "voice_control", d[1], event_id="v1"),
        event("u2", "page_view", d[3]),
    ]
    late = [  # all arrive on d4
        event("u1", "voice_control", d[1], 20, event_id="v2", arrived=d[4]),  # 3 days late
        event("u1", "voice_control", d[1], event_id="v1", arrived=d[4]),  # v1 again: counts once
        event("u1", "feedback_submit", d[1], 21, arrived=d[4]),  # 3 days late
        event("u1", "vas_order_placed", d[2], props={"amount": 5}, arrived=d[4]),  # 2 days late
        event("u1", "page_view", d[3], 23, arrived=d[4]),  # 1 day late
    ]
    for ds in d[:4]:
        write_bronze(spark, root, on_time, users, ds)
        build_silver(spark, root, ds)
        build_labels(spark, root, ds)
    figures = ("active_days_30d", "last_active_time", "voice_control_daily_avg_30d", "vas_orders_placed", "vas_amount_placed", "feedback_count")

    def u1(ds):
        return tuple(_gold(spark, root, ds).where("uid = 'u1'").select(*figures).collect()[0])

    before = {ds: u1(ds) for ds in d[:4]}
    assert before[d[3]] == (2, ms(d[1]), 1 / 30, 0, 0.0, 0)

    write_bronze(spark, root, late, users, d[4])
    build_silver(spark, root, d[4])
    build_labels(spark, root, d[4])
    # d4 sees every late event on its own date: active d0, d1, d2 (the order), d3
    after_d4 = (4, ms(d[3], 23), 2 / 30, 1, 5.0, 1)
    assert u1(d[4]) == after_d4
    # the all-time state closed at d1 (= d4 - 3) already holds the 3-days-late feedback
    state = read_table(spark, SILVER_USER_ALLTIME_STATE, root).where(f"as_of = DATE'{d[1]}' AND uid = 'u1'")
    assert state.select("feedback_submitted").collect()[0][0] == 1
    # the late events were counted on their own dates, not on d4
    daily = read_table(spark, SILVER_USER_DAILY_EVENTS, root).where("uid = 'u1'")
    assert _rows(daily, ["event_date", "event", "events"]) == [
        (d[0], "page_view", 1), (d[1], "feedback_submit", 1), (d[1], "voice_control", 2),
        (d[2], "vas_order_placed", 1), (d[3], "page_view", 1),
    ]  # fmt: skip

    # earlier dates keep their answers until they are re-run ...
    assert {ds: u1(ds) for ds in d[:4]} == before
    # ... and a re-run uses everything that has arrived since: d3 sees all late events; d2 the
    # ones of d1 and d2, not the page view of d3
    for ds in (d[2], d[3]):
        build_silver(spark, root, ds)
        build_labels(spark, root, ds)
    assert u1(d[3]) == after_d4
    assert u1(d[2]) == (3, ms(d[2]), 2 / 30, 1, 5.0, 1)
    assert u1(d[1]) == before[d[1]]
    # re-running is idempotent: one row per user and date
    build_labels(spark, root, d[3])
    assert _gold(spark, root, d[3]).count() == 2
