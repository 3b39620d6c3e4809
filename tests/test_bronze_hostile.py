"""Hostile lines and files end to end on the embedded engine: each stops only itself, and is recorded."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from pathlib import Path

import orjson
from test_bronze_ingest import D, ev, land, rows, usr

from jobs.bronze import format_report, ingest_events, ingest_users
from jobs.bronze.report import FileOutcome, recorded_reports
from jobs.tables import BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, INGEST_FILES, INGEST_RUNS

PREFIX = f"landing/events/dt={D}/"
REPO = Path(__file__).resolve().parents[1]
DEEP_PROPS = b'{"x":' * 900 + b"1" + b"}" * 900


def write(root: str, feed: str, name: str, data: bytes) -> None:
    folder = Path(root) / "landing" / feed / f"dt={D}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def test_bad_lines_and_bad_files_of_events_stop_only_themselves(spark, root):
    ts = ev("x", D)["ts"]
    land(root, "events", D, "a.jsonl", [
        ev("e-1", D, "mall_order_paid", props={"items": 2, "amount": 19.9}),             # 1 accepted
        ev("e-2", D, "mall_order_paid", props={"items": -5, "amount": 1.0}),             # 2 invalid_value
        b'{"event_id":"e-3","app_id":"app","event":"mall_order_paid","ts":%d,'
        b'"props":{"items":18446744073709551615}}' % ts,                                 # 3 invalid_value
        b'{"event_id":"e-4","app_id":"app","event":"page_view","ts":%d,"props":%s}' % (ts, DEEP_PROPS),  # 4 too_deep
        b'{"event_id":"e-5","pad":"' + b"p" * (1 << 20) + b'"}',                         # 5 too_long
        ev("e-1", D),                                                                    # 6 duplicate
    ])  # fmt: skip
    good = b"".join(orjson.dumps(ev(f"g-{i}", D)) + b"\n" for i in range(5000))
    write(root, "events", "b.jsonl.gz", gzip.compress(good)[:-100])  # truncated: most lines readable
    write(root, "events", "c.jsonl.gz", b"this is not gzip\n")
    land(root, "events", D, "d.jsonl", [ev("e-9", D)])
    write(root, "events", "notes.txt", b"hello")
    write(root, "events", "_SUCCESS", b"")

    report = ingest_events(spark, root, D)

    truncated = report.file_outcomes[1]
    readable = truncated.lines_read
    assert 4000 < readable < 5000 and truncated.accepted == readable
    assert (report.files, report.lines_read, report.accepted, report.duplicates, report.quarantined) == (
        4, 6 + readable + 1, 1 + readable + 1, 1, 4)
    assert report.quarantined_by_reason == {"invalid_value": 2, "too_deep": 1, "too_long": 1}
    assert report.failed_files == {
        PREFIX + "b.jsonl.gz": "truncated: the gzip stream ends before its end-of-stream marker",
        PREFIX + "c.jsonl.gz": "undecodable: not valid gzip data (Error -3 while decompressing data: incorrect header check)",
    }
    assert report.skipped_files == {PREFIX + "notes.txt": "not *.jsonl[.gz]"}
    assert report.file_outcomes == (
        FileOutcome(PREFIX + "a.jsonl", "read", 6, 1, 1, 4),
        FileOutcome(PREFIX + "b.jsonl.gz", "failed", readable, readable, 0, 0, "truncated",
                    "the gzip stream ends before its end-of-stream marker"),
        FileOutcome(PREFIX + "c.jsonl.gz", "failed", 0, 0, 0, 0, "undecodable",
                    "not valid gzip data (Error -3 while decompressing data: incorrect header check)"),
        FileOutcome(PREFIX + "d.jsonl", "read", 1, 1, 0, 0),
        FileOutcome(PREFIX + "notes.txt", "skipped", reason="not *.jsonl[.gz]"),
    )  # fmt: skip
    assert report.reconciles()

    quarantine = {r["source_line"]: r for r in rows(root, BRONZE_EVENTS_QUARANTINE)}
    assert {n: (r["reason"], r["detail"]) for n, r in quarantine.items()} == {
        2: ("invalid_value", "props.items=-5 is outside [0, 1000000]"),
        3: ("invalid_value", "props.items=18446744073709551615 is outside [0, 1000000]"),
        4: ("too_deep", "props nest deeper than 32 levels"),
        5: ("too_long", f"the line has {(1 << 20) + 27} bytes, more than 1048576"),  # 25 + 2 around the pad
    }
    assert len(quarantine[5]["raw_line"]) == 64 * 1024 and quarantine[5]["raw_line"].startswith('{"event_id":"e-5"')
    accepted = {r["event_id"] for r in rows(root, BRONZE_EVENTS)}
    assert {"e-1", "e-9", "g-0", f"g-{readable - 1}"} <= accepted and len(accepted) == report.accepted

    [run] = rows(root, INGEST_RUNS)
    assert (run["files"], run["files_failed"], run["files_skipped"]) == (4, 2, 1)
    assert orjson.loads(run["failed_files"]) == report.failed_files
    assert orjson.loads(run["skipped_files"]) == report.skipped_files
    files = sorted(rows(root, INGEST_FILES), key=lambda r: r["source_file"])
    assert [(r["source_file"].removeprefix(PREFIX), r["status"], r["lines_read"], r["reason"]) for r in files] == [
        ("a.jsonl", "read", 6, None), ("b.jsonl.gz", "failed", readable, "truncated"),
        ("c.jsonl.gz", "failed", 0, "undecodable"), ("d.jsonl", "read", 1, None),
        ("notes.txt", "skipped", 0, "not *.jsonl[.gz]"),
    ]  # fmt: skip

    [recorded] = recorded_reports(root, D, D)
    assert recorded == report and recorded.file_outcomes == report.file_outcomes and recorded.reconciles()
    table = format_report([recorded]).splitlines()
    assert table[0].split() == ["feed", "dt", "files", "failed", "skipped", "lines_read", "accepted", "duplicates",
                                "quarantined", "reconciles"]  # fmt: skip
    assert table[1].split() == ["events", str(D), "4", "2", "1", str(report.lines_read), str(report.accepted), "1",
                                "4", "yes"]  # fmt: skip
    assert table[2:] == [
        "    quarantined by reason: invalid_value 2, too_deep 1, too_long 1",
        f"    failed file: {PREFIX}b.jsonl.gz (truncated: the gzip stream ends before its end-of-stream marker);"
        f" before it: {readable} read = {readable} accepted + 0 duplicates + 0 quarantined",
        f"    failed file: {PREFIX}c.jsonl.gz (undecodable: not valid gzip data (Error -3 while decompressing data:"
        " incorrect header check)); before it: 0 read = 0 accepted + 0 duplicates + 0 quarantined",
        f"    skipped: {PREFIX}notes.txt (not *.jsonl[.gz])",
    ]

    cli = subprocess.run([sys.executable, "-m", "jobs.cli", "reconcile", str(D), "--root", root],
                         capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.splitlines() == table


def test_a_bad_file_of_the_user_snapshot_stops_only_itself(spark, root):
    good = b"".join(orjson.dumps(usr(f"u-{i}")) + b"\n" for i in range(3000))
    write(root, "users", "a.jsonl.gz", gzip.compress(good)[:-50])
    land(root, "users", D, "b.jsonl", [usr("u-0"), usr("v-1"), b'{"uid":"' + b"x" * (2 << 20) + b'"}'])
    write(root, "users", "snapshot.csv", b"uid\n")

    report = ingest_users(spark, root, D)

    readable = report.file_outcomes[0].lines_read
    assert 2000 < readable < 3000
    assert (report.files, report.lines_read, report.accepted, report.duplicates, report.quarantined) == (
        2, readable + 3, readable + 1, 1, 1)
    assert report.quarantined_by_reason == {"too_long": 1}
    assert report.failed_files == {
        f"landing/users/dt={D}/a.jsonl.gz": "truncated: the gzip stream ends before its end-of-stream marker"}
    assert report.skipped_files == {f"landing/users/dt={D}/snapshot.csv": "not *.jsonl[.gz]"}
    assert report.reconciles()
    assert len(rows(root, BRONZE_USERS)) == readable + 1


def test_a_date_whose_every_file_fails_records_them_and_empties_its_partitions(spark, root):
    write(root, "events", "a.jsonl.gz", b"\x1f\x8b\x08\x00garbage")
    report = ingest_events(spark, root, D)
    assert (report.files, report.lines_read, report.accepted, report.quarantined) == (1, 0, 0, 0)
    assert list(report.failed_files) == [PREFIX + "a.jsonl.gz"]
    assert report.reconciles()
    assert rows(root, BRONZE_EVENTS) == []


def test_re_ingesting_after_the_bad_file_is_replaced_lands_its_lines(spark, root):
    good = b"".join(orjson.dumps(ev(f"g-{i}", D)) + b"\n" for i in range(100))
    write(root, "events", "a.jsonl.gz", gzip.compress(good)[:-30])
    first = ingest_events(spark, root, D)
    write(root, "events", "a.jsonl.gz", gzip.compress(good))  # the upstream re-sends it whole
    second = ingest_events(spark, root, D)
    assert first.failed_files and not second.failed_files
    assert (second.lines_read, second.accepted) == (100, 100)
    assert [r["status"] for r in rows(root, INGEST_FILES)] == ["read"]


def test_labels_never_fail_or_go_negative_on_out_of_range_measures_already_in_bronze(spark):
    """Defence in depth: bronze rows accepted before measures were range-checked."""
    from label_fixtures import DS, compute, event, user

    events = [
        event("u1", "mall_order_paid", DS, props={"items": -5, "amount": 1.0}),
        event("u1", "mall_order_paid", DS, 13, props='{"items":18446744073709551615,"amount":2.5}'),
        event("u1", "mall_order_placed", DS, props={"items": 3, "amount": 1e300}),
        event("u1", "mall_order_placed", DS, 14, props={"items": 1_000_000, "amount": 1e9}),
        event("u1", "vas_order_completed", DS, props={"amount": -40, "service": "cloud_storage"}),
    ]
    got = compute(spark, events, [user("u1")])["u1"]
    assert (got["mall_items_paid_180d"], got["mall_amount_paid_180d"]) == (0, 3.5)
    assert (got["mall_items_ordered_180d"], got["mall_amount_ordered_180d"]) == (1_000_003, 1e9)
    assert (got["vas_orders_completed"], got["vas_amount_completed"]) == (1, 0.0)


def test_labels_leave_out_daily_sums_that_in_range_values_cannot_give(spark):
    """Silver daily rows built before the range checks may hold such sums; the labels skip them."""
    from label_fixtures import DS

    from jobs.labels.mall import mall_labels
    from jobs.tables import SILVER_USER_DAILY_EVENTS

    names = [f.name for f in SILVER_USER_DAILY_EVENTS.schema.fields]
    base = dict.fromkeys(names)
    base.update(app_id="app1", event_date=DS, events=1, last_ts=0, measure_items_count=1, measure_amount_count=1)
    daily = [
        {**base, "uid": "u1", "event": "mall_order_paid", "measure_items_sum": -5.0, "measure_amount_sum": 1.0},
        {**base, "uid": "u1", "event": "mall_order_placed", "measure_items_sum": 1.8446744073709552e19,
         "measure_amount_sum": 2.0},
        {**base, "uid": "u2", "event": "mall_order_paid", "measure_items_sum": 7.0, "measure_amount_sum": 9.5},
    ]  # fmt: skip
    df = spark.createDataFrame([tuple(r[n] for n in names) for r in daily], SILVER_USER_DAILY_EVENTS.schema)
    got = {r["uid"]: r.asDict() for r in mall_labels(df, DS).collect()}
    assert {u: (r["mall_items_paid_180d"], r["mall_amount_paid_180d"], r["mall_items_ordered_180d"],
                r["mall_amount_ordered_180d"]) for u, r in got.items()} == {
        "u1": (0, 1.0, 0, 2.0), "u2": (7, 9.5, 0, 0.0)}  # fmt: skip


def test_an_ingest_runs_table_from_before_the_file_columns_is_upgraded_keeping_its_rows(spark, root):
    """Sail drops columns a table lacks on write: without the upgrade the failed files would vanish."""
    import dataclasses

    from pyspark.sql import types as T

    from jobs.delta_io import replace_partition

    old = dataclasses.replace(INGEST_RUNS, schema=T.StructType(INGEST_RUNS.schema.fields[:9]))
    earlier = D - dt.timedelta(days=1)
    row = ("users", earlier, 1, 5, 5, 0, 0, "{}", dt.datetime(2024, 3, 9, tzinfo=dt.timezone.utc))
    replace_partition(spark.createDataFrame([row], old.schema), old, root, {"feed": "users", "dt": earlier})
    write(root, "events", "a.jsonl.gz", b"not gzip")

    ingest_events(spark, root, D)

    runs = {r["dt"]: r for r in rows(root, INGEST_RUNS)}
    assert runs[D]["failed_files"] == '{"%sa.jsonl.gz":"undecodable: not valid gzip data (Error -3 while ' \
        'decompressing data: incorrect header check)"}' % PREFIX
    assert (runs[earlier]["lines_read"], runs[earlier]["failed_files"]) == (5, None)
    assert [r.feed for r in recorded_reports(root, earlier, D)] == ["users", "events"]


def test_the_one_parse_is_staged_in_a_scratch_folder_that_is_gone_after_the_run(spark, root):
    leftover = Path(root) / "_scratch" / "ingest" / "events" / f"dt={D}" / "killed-run"
    leftover.mkdir(parents=True)
    (leftover / "part-0.parquet").write_bytes(b"junk of a killed run")
    land(root, "events", D, "a.jsonl", [ev("e-1", D), ev("e-1", D), "not json"])

    report = ingest_events(spark, root, D)

    assert (report.accepted, report.duplicates, report.quarantined) == (1, 1, 1)
    assert not leftover.parent.exists()
