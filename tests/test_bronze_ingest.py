"""Bronze ingestion end to end on the embedded engine: reconciliation, dedup, idempotent re-runs."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pytest
from deltalake import DeltaTable

from jobs.bronze import IngestReport, format_report, ingest_date, ingest_events, ingest_users
from jobs.tables import (
    BRONZE_EVENTS,
    BRONZE_EVENTS_QUARANTINE,
    BRONZE_USERS,
    BRONZE_USERS_QUARANTINE,
    INGEST_RUNS,
)

D = dt.date(2024, 3, 10)
DAY = 86_400_000


def ms(day: dt.date, hour: int = 12) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc).timestamp() * 1000)


def ev(event_id: str, day: dt.date, event: str = "page_view", **extra) -> dict:
    return {"event_id": event_id, "app_id": "app", "uid": "u-1", "event": event, "ts": ms(day), **extra}


def usr(uid: str, app_id: str = "app", user_type: str = "registered", **extra) -> dict:
    return {"uid": uid, "app_id": app_id, "user_type": user_type, **extra}


def land(root: str, feed: str, day: dt.date, name: str, lines: list) -> None:
    """Writes landing lines (dicts become JSON, str/bytes are written as they are)."""
    folder = Path(root) / "landing" / feed / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    raw = b"\n".join(orjson.dumps(x) if isinstance(x, dict) else x if isinstance(x, bytes) else x.encode() for x in lines)
    (folder / name).write_bytes(gzip.compress(raw + b"\n") if name.endswith(".gz") else raw + b"\n")


def rows(root: str, table) -> list[dict]:
    """A table's rows read with delta-rs (no Spark), as plain dicts."""
    return DeltaTable(table.location(root)).to_pyarrow_table().to_pylist()


def checksums(root: str, tables=(BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, BRONZE_USERS_QUARANTINE)):
    """(table, dt) -> (row count, sha256 of the sorted rows)."""
    sums = {}
    for table in tables:
        by_date = defaultdict(list)
        for row in rows(root, table):
            by_date[row["dt"]].append(json.dumps(row, sort_keys=True, default=str))
        for day, texts in by_date.items():
            sums[(table.name, day)] = (len(texts), hashlib.sha256("\n".join(sorted(texts)).encode()).hexdigest())
    return sums


def runs(root: str) -> dict:
    return {(r["feed"], r["dt"]): {k: v for k, v in r.items() if k != "finished_at"} for r in rows(root, INGEST_RUNS)}


# --- reconciliation on one line per fault -----------------------------------------------------


def test_every_event_fault_ends_deduplicated_or_quarantined_and_reconciles(spark, root):
    earlier = D - dt.timedelta(days=1)
    land(root, "events", earlier, "a.jsonl", [ev("e-old", earlier)])
    land(
        root,
        "events",
        D,
        "a.jsonl",
        [
            ev("e-1", D, "mall_order_paid", platform="ios", app_version="5.12.0", phone_model="TAS-AL00",
               props={"items": 2, "amount": 19.9}),                                      # 1 accepted
            {"event_id": "e-2", "app_id": "app", "uid": None, "event": "page_view", "ts": ms(D, 1)},  # 2 guest
            ev("e-1", D),                                                                 # 3 duplicate (same day)
            ev("e-old", earlier),                                                         # 4 duplicate (earlier day)
            '{"event_id": "e-5", "app_id"',                                               # 5 invalid_json
            {"event_id": "e-6", "app_id": "app", "event": "page_view"},                   # 6 missing_field ts
            ev("e-7", D, ts=str(ms(D))),                                                  # 7 wrong_type ts
            ev("e-8", D, "teleport_start"),                                               # 8 unknown_event
            ev("e-9", D, ts=ms(D) - 4 * DAY),                                             # 9 ts_too_old
            ev("e-10", D, ts=ms(D) + DAY),                                                # 10 ts_in_future
            "   ",                                                                        # 11 blank: skipped
        ],
    )
    land(root, "events", D, "b.jsonl.gz", [ev("e-2", D), ev("e-late", D - dt.timedelta(days=2))])
    ingest_events(spark, root, earlier)

    report = ingest_events(spark, root, D)

    assert report == IngestReport(
        "events", D, files=2, lines_read=12, accepted=3, duplicates=3, quarantined=6,
        quarantined_by_reason={"invalid_json": 1, "missing_field": 1, "wrong_type": 1, "unknown_event": 1,
                               "ts_too_old": 1, "ts_in_future": 1},
    )
    assert report.reconciles()
    events = sorted((r for r in rows(root, BRONZE_EVENTS) if r["dt"] == D), key=lambda r: r["event_id"])
    assert [(r["event_id"], r["source_file"], r["source_line"], r["event_date"]) for r in events] == [
        ("e-1", "landing/events/dt=2024-03-10/a.jsonl", 1, D),
        ("e-2", "landing/events/dt=2024-03-10/a.jsonl", 2, D),
        ("e-late", "landing/events/dt=2024-03-10/b.jsonl.gz", 2, dt.date(2024, 3, 8)),
    ]
    assert events[0] == {
        "event_id": "e-1", "app_id": "app", "uid": "u-1", "event": "mall_order_paid", "ts": ms(D),
        "event_date": D, "platform": "ios", "app_version": "5.12.0", "phone_model": "TAS-AL00",
        "props": '{"amount":19.9,"items":2}', "source_file": "landing/events/dt=2024-03-10/a.jsonl",
        "source_line": 1, "dt": D,
    }
    assert events[1]["uid"] is None
    quarantine = sorted(
        ((r["source_line"], r["reason"], r["detail"]) for r in rows(root, BRONZE_EVENTS_QUARANTINE) if r["dt"] == D)
    )
    assert quarantine == [
        (5, "invalid_json", "unexpected end of data at char 28"),
        (6, "missing_field", "ts"),
        (7, "wrong_type", "ts"),
        (8, "unknown_event", "teleport_start"),
        (9, "ts_too_old", "ts 2024-03-06T12:00:00.000Z is before 2024-03-07T00:00:00.000Z"),
        (10, "ts_in_future", "ts 2024-03-11T12:00:00.000Z is at or after 2024-03-11T00:00:00.000Z"),
    ]
    raw = {r["source_line"]: r["raw_line"] for r in rows(root, BRONZE_EVENTS_QUARANTINE) if r["dt"] == D}
    assert raw[5] == '{"event_id": "e-5", "app_id"'
    assert {r["source_file"] for r in rows(root, BRONZE_EVENTS_QUARANTINE)} == {"landing/events/dt=2024-03-10/a.jsonl"}
    assert runs(root)[("events", D)] == {
        "feed": "events", "dt": D, "files": 2, "lines_read": 12, "accepted": 3, "duplicates": 3, "quarantined": 6,
        "quarantined_by_reason": '{"invalid_json":1,"missing_field":1,"ts_in_future":1,"ts_too_old":1,'
                                 '"unknown_event":1,"wrong_type":1}',
        "files_failed": 0, "files_skipped": 0, "failed_files": "{}", "skipped_files": "{}",
    }


def test_every_user_fault_ends_deduplicated_or_quarantined_and_reconciles(spark, root):
    land(
        root,
        "users",
        D,
        "snapshot.jsonl.gz",
        [
            usr("u-1", devices=[{"device_id": "d1", "category": "lock", "relation": "owner", "bind_time": 5}],
                mall={"cart_items": 2}, cloud_storage={"expire_time": 9, "renewed": True}),   # 1 accepted
            usr("g-1", user_type="guest"),                                                  # 2 accepted
            usr("u-1", user_type="deleted"),                                                # 3 duplicate
            usr("u-1", app_id="other"),                                                     # 4 accepted: other app
            "{oops",                                                                        # 5 invalid_json
            {"uid": "u-5", "app_id": "app"},                                                # 6 missing_field
            usr("u-6", accept_marketing="yes"),                                             # 7 wrong_type
            usr("u-7", country_code="Germany"),                                             # 8 invalid_value
        ],
    )

    report = ingest_users(spark, root, D)

    assert report == IngestReport(
        "users", D, files=1, lines_read=8, accepted=3, duplicates=1, quarantined=4,
        quarantined_by_reason={"invalid_json": 1, "invalid_value": 1, "missing_field": 1, "wrong_type": 1},
    )
    assert report.reconciles()
    users = {(r["app_id"], r["uid"]): r for r in rows(root, BRONZE_USERS)}
    assert set(users) == {("app", "u-1"), ("app", "g-1"), ("other", "u-1")}
    assert users[("app", "u-1")]["user_type"] == "registered"  # the first line wins
    assert users[("app", "u-1")]["devices"] == [{"device_id": "d1", "category": "lock", "relation": "owner", "bind_time": 5}]
    assert users[("app", "u-1")]["mall"] == {"has_delivery_address": None, "unused_coupons": None, "cart_items": 2,
                                              "unpaid_orders": None}
    assert users[("app", "u-1")]["cloud_storage"] == {"expire_time": 9, "renewed": True}
    assert sorted((r["source_line"], r["reason"], r["detail"]) for r in rows(root, BRONZE_USERS_QUARANTINE)) == [
        (5, "invalid_json", "unexpected character, expected a string key at char 1"),
        (6, "missing_field", "user_type"),
        (7, "wrong_type", "accept_marketing"),
        (8, "invalid_value", 'country_code="Germany"'),
    ]


def test_missing_landing_folder_is_an_error_not_an_empty_success(spark, root):
    with pytest.raises(FileNotFoundError, match="no landing folder for events on 2024-03-10"):
        ingest_events(spark, root, D)


def test_empty_landing_folder_writes_empty_partitions(spark, root):
    (Path(root) / "landing" / "users" / f"dt={D}").mkdir(parents=True)
    report = ingest_users(spark, root, D)
    assert (report.files, report.lines_read, report.accepted, report.quarantined) == (0, 0, 0, 0)
    assert rows(root, BRONZE_USERS) == []


# --- idempotency ------------------------------------------------------------------------------

DATES = [D + dt.timedelta(days=i) for i in range(4)]


def land_four_days(root: str) -> None:
    for i, day in enumerate(DATES):
        prev = day - dt.timedelta(days=1)
        land(root, "events", day, "part-0.jsonl", [
            ev(f"e{i}-a", day), ev(f"e{i}-b", day, uid=None), ev(f"e{i}-a", day),   # in-day duplicate
            ev(f"e{i - 1}-a", prev),                                               # re-delivery of yesterday's
            "not json", ev(f"e{i}-x", day, "nope"),
        ])
        land(root, "events", day, "part-1.jsonl.gz", [ev(f"e{i}-c", prev), ev(f"e{i}-d", day, ts=ms(day) + DAY)])
        land(root, "users", day, "users.jsonl", [usr("u-1"), usr("u-2", user_type="guest"), usr("u-1"), "{"])


def test_rerunning_dates_in_any_order_leaves_every_date_as_before(spark, root):
    land_four_days(root)
    first = [r for day in DATES for r in ingest_date(spark, root, day)]
    assert all(r.reconciles() for r in first), format_report(first)
    before, runs_before = checksums(root), runs(root)
    assert len(before) == 4 * 4 and len(runs_before) == 8

    ingest_date(spark, root, DATES[1])
    assert checksums(root) == before
    for day in reversed(DATES):
        ingest_date(spark, root, day)
    assert checksums(root) == before
    assert runs(root) == runs_before

    events = rows(root, BRONZE_EVENTS)
    ids = Counter(r["event_id"] for r in events)
    assert max(ids.values()) == 1  # no duplicates across dates
    assert set(ids) == {f"e{i}-{s}" for i in range(4) for s in "abc"} | {"e-1-a"}  # nothing lost
    assert all(r.duplicates == 2 for r in first if r.feed == "events" and r.dt != DATES[0])


def test_rerun_after_a_late_file_adds_only_its_new_lines(spark, root):
    land_four_days(root)
    for day in DATES:
        ingest_date(spark, root, day)
    before = checksums(root)
    land(root, "events", DATES[2], "part-2.jsonl", [ev("late-1", DATES[2]), ev("e2-a", DATES[2]), ev("e1-b", DATES[1]),
                                                    "{broken"])

    report = ingest_events(spark, root, DATES[2])

    assert (report.files, report.lines_read, report.accepted, report.duplicates, report.quarantined) == (3, 12, 4, 4, 4)
    after = checksums(root)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {("bronze.events", DATES[2]), ("bronze.events_quarantine", DATES[2])}
    day_ids = sorted(r["event_id"] for r in rows(root, BRONZE_EVENTS) if r["dt"] == DATES[2])
    assert day_ids == ["e2-a", "e2-b", "e2-c", "late-1"]


def test_format_report_is_a_readable_table():
    report = IngestReport("events", D, 2, 12, 3, 3, 6, {"invalid_json": 4, "wrong_type": 2})
    assert format_report([report, IngestReport("users", D, 1, 5, 5, 0, 0, {})]) == (
        "feed    dt          files  lines_read  accepted  duplicates  quarantined  reconciles\n"
        "events  2024-03-10      2          12         3           3            6         yes\n"
        "    quarantined by reason: invalid_json 4, wrong_type 2\n"
        "users   2024-03-10      1           5         5           0            0         yes"
    )
    assert not IngestReport("users", D, 1, 5, 4, 0, 0, {}).reconciles()
    assert not IngestReport("users", D, 1, 5, 4, 0, 1, {}).reconciles()


def test_out_of_order_run_is_flagged_and_fixed_by_rerunning_the_later_date(spark, root, caplog):
    later = D + dt.timedelta(days=1)
    land(root, "events", D, "a.jsonl", [ev("e-x", D), ev("e-y", D)])
    land(root, "events", later, "a.jsonl", [ev("e-x", D), ev("e-z", later)])
    ingest_events(spark, root, later)  # backfilled out of order: e-x is accepted on the later date

    with caplog.at_level("WARNING", logger="jobs.bronze.ingest"):
        ingest_events(spark, root, D)
    assert "events 2024-03-10: records accepted now are also in bronze for 2024-03-11 (ingested before this date): " \
           "re-ingest those dates in date order to drop their copies" in caplog.messages

    assert ingest_events(spark, root, later).duplicates == 1
    assert Counter(r["event_id"] for r in rows(root, BRONZE_EVENTS)) == {"e-x": 1, "e-y": 1, "e-z": 1}
