"""Acceptance 2-4: clean data publishes; a warning publishes and is recorded; a crash between
writing and publishing leaves readers on the previous ds and the next run recovers; two runs of
one ds at once neither corrupt nor duplicate anything. Plus the step-by-step API."""

from __future__ import annotations

import logging
import os
import threading

import pytest
from pyspark.sql import functions as F
from test_quality_fixtures import D1, D2, day, labels, membership, published, write_snapshot

import jobs.publish as publish_module
from jobs.delta_io import read_table, replace_partition
from jobs.publish import (
    CommitConflict, PublicationBlocked, audit, publish, published_dates, stage, staging_root, write_audit_publish,
)
from jobs.tables import (
    BRONZE_USERS, GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS, GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS, Table,
)

LABELS_PER_DAY, MEMBERS_PER_DAY = 131, 65


def _published_d1(spark, root):
    write_snapshot(spark, root, D1)
    write_snapshot(spark, root, D2)
    for table, frame in day(spark, D1):
        replace_partition(frame, table, root, {"ds": D1})
    return root


@pytest.fixture
def lakehouse(spark, root):
    """D1 published (written straight to the published tables: a day published before these tests);
    the snapshots of D1 and D2 ingested."""
    return _published_d1(spark, root)


@pytest.fixture
def engine_lakehouse(engine_spark, root):
    """``lakehouse`` written by each engine in turn (crash and concurrency hold on both)."""
    return _published_d1(engine_spark, root)


def assert_readers_see(spark, root, counts):
    """Both readers see exactly ``counts`` (ds -> rows) in labels; membership follows the same dates."""
    for table, per_day in ((GOLD_USER_LABELS, LABELS_PER_DAY), (GOLD_SEGMENT_MEMBERSHIP, MEMBERS_PER_DAY)):
        rs_dates, spark_dates, seen = published(spark, table, root)
        assert rs_dates == spark_dates == sorted(counts)
        assert seen == {ds: per_day for ds in counts}


def publications(spark, root, run_id):
    rows = (read_table(spark, GOLD_PUBLICATIONS, root)
            .where((F.col("run_id") == run_id) & (F.col("status") != "publishing")).collect())
    return sorted((r["table_name"], r["status"], r["failed_checks"], r["warned_checks"]) for r in rows)


def test_clean_data_publishes(spark, lakehouse, caplog):
    with caplog.at_level(logging.INFO, logger="jobs.publish"):
        result = write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id="clean")

    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY, D2: LABELS_PER_DAY})
    assert result.warnings == []
    assert set(result.published_versions) == {GOLD_USER_LABELS.name, GOLD_SEGMENT_MEMBERSHIP.name}
    assert publications(spark, lakehouse, "clean") == [
        ("gold.segment_membership", "published", 0, 0),
        ("gold.user_labels", "published", 0, 0),
    ]
    checks = read_table(spark, GOLD_CHECK_RESULTS, lakehouse).where(F.col("run_id") == "clean")
    assert checks.where(~F.col("success")).count() == 0
    assert checks.count() == len([c for a in result.audits for c in a.checks]) > 40
    # the size checks compared with D1
    sizes = {r.line() for a in result.audits for r in a.checks if r.check == "row_count_vs_previous"}
    assert "gold.user_labels row_count_vs_previous: 131 rows, previous published 131 on 2026-06-29 " \
           "(bound: 118..196 rows)" in sizes
    # the report is a static page under <root>/reports/quality/<ds>/, linked from the log
    report = f"{lakehouse}/reports/quality/2026-06-30/clean.html"
    assert result.report_path == report
    assert f"quality report: {report}" in caplog.messages
    page = open(report, encoding="utf-8").read()
    assert "passed" in page and "gold.segment_membership" in page and "snapshot_users" in page


def test_warning_publishes_and_is_recorded(spark, lakehouse, caplog):
    changes = {"u003": {"register_time": None}}  # a registered user without a registration time: severity warning
    with caplog.at_level(logging.WARNING, logger="jobs.publish"):
        result = write_audit_publish(spark, day(spark, D2, label_overrides=changes), lakehouse, D2, run_id="warn")

    line = ("gold.user_labels register_time expect_column_values_to_not_be_null: 1 null value, e.g. null "
            "(bound: not null where user_type = 'registered')")
    assert [w.line() for w in result.warnings] == [line]
    assert f"check failed as a warning (published anyway): {line}" in caplog.messages
    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY, D2: LABELS_PER_DAY})
    assert publications(spark, lakehouse, "warn") == [
        ("gold.segment_membership", "published", 0, 0),
        ("gold.user_labels", "published", 0, 1),
    ]
    failed = read_table(spark, GOLD_CHECK_RESULTS, lakehouse).where((F.col("run_id") == "warn") & ~F.col("success"))
    assert [(r["check_name"], r["column_name"], r["severity"], r["observed"]) for r in failed.collect()] == [
        ("expect_column_values_to_not_be_null", "register_time", "warning", "1 null value, e.g. null")
    ]


class Killed(BaseException):
    """Stands for the process being killed: no ``except Exception`` in the code under test catches it."""


def test_crash_between_stage_and_publish_then_recovery(engine_spark, engine_lakehouse, monkeypatch):
    spark, lakehouse = engine_spark, engine_lakehouse

    def crash(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(publish_module, "_publish", crash)
    with pytest.raises(Killed):
        write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id="crashed")
    # readers are on D1; D2 exists only in the staging twin, which readers never read
    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY})
    staged = spark.read.format("delta").load(GOLD_USER_LABELS.location(staging_root(lakehouse)))
    assert staged.where(F.col("ds") == D2).count() == LABELS_PER_DAY

    monkeypatch.undo()  # the next run, no manual step
    write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id="recovery")
    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY, D2: LABELS_PER_DAY})


def test_crash_between_two_table_commits_then_recovery(engine_spark, engine_lakehouse, monkeypatch):
    spark, lakehouse = engine_spark, engine_lakehouse

    real = publish_module._publish
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(publish_module, "_publish", crash_on_second)
    with pytest.raises(Killed):
        write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id="half")
    assert published_dates(GOLD_USER_LABELS, lakehouse) == [D1, D2]  # its commit was whole
    assert published_dates(GOLD_SEGMENT_MEMBERSHIP, lakehouse) == [D1]  # membership readers stay on D1

    monkeypatch.undo()
    write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id="repair")
    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY, D2: LABELS_PER_DAY})


def test_two_runs_of_one_ds_at_once(engine_spark, engine_lakehouse):
    spark, lakehouse = engine_spark, engine_lakehouse

    outcomes = {}

    def run(run_id):
        try:
            outcomes[run_id] = write_audit_publish(spark, day(spark, D2), lakehouse, D2, run_id=run_id)
        except (CommitConflict, PublicationBlocked) as exc:  # a clean loss is allowed, never a half write
            outcomes[run_id] = exc

    threads = [threading.Thread(target=run, args=(f"twin-{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert any(not isinstance(o, Exception) for o in outcomes.values()), outcomes
    assert all(not isinstance(o, PublicationBlocked) for o in outcomes.values()), outcomes
    assert_readers_see(spark, lakehouse, {D1: LABELS_PER_DAY, D2: LABELS_PER_DAY})
    rows = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, lakehouse).where(F.col("ds") == D2)
    assert rows.select("app_id", "segment_id", "uid").distinct().count() == MEMBERS_PER_DAY


def test_a_bad_concurrent_run_cannot_publish_unaudited_rows(spark, lakehouse):
    """Each run publishes exactly the staging version it audited, whatever another run staged since."""
    good = stage(labels(spark, D2), GOLD_USER_LABELS, lakehouse, D2)
    good_audit = audit(spark, good, lakehouse, run_id="good")
    bad = stage(labels(spark, D2, {"u001": {"lifecycle": "zombie"}}), GOLD_USER_LABELS, lakehouse, D2)
    bad_audit = audit(spark, bad, lakehouse, run_id="bad")
    assert bad.version > good.version and bad_audit.blocked and not good_audit.blocked

    with pytest.raises(PublicationBlocked) as caught:
        publish(spark, bad_audit, lakehouse)
    assert str(caught.value).splitlines()[1] == (
        "- gold.user_labels lifecycle expect_column_values_to_be_in_set: 1 value not in set, e.g. zombie "
        "(bound: in [novice, growth, silence, churn])"
    )
    publish(spark, good_audit, lakehouse)  # staging now holds the bad rows: the audited version is published
    zombies = read_table(spark, GOLD_USER_LABELS, lakehouse).where(F.col("lifecycle") == "zombie").count()
    assert zombies == 0
    assert published_dates(GOLD_USER_LABELS, lakehouse) == [D1, D2]
    assert publications(spark, lakehouse, "bad") == [("gold.user_labels", "blocked", 1, 0)]
    assert publications(spark, lakehouse, "good") == [("gold.user_labels", "published", 0, 0)]
    assert os.path.exists(f"{lakehouse}/reports/quality/2026-06-30/bad.html")


def test_membership_only_run_and_tables_without_a_date_partition(spark, lakehouse):
    result = write_audit_publish(spark, [(GOLD_SEGMENT_MEMBERSHIP, membership(spark, D2))], lakehouse, D2)
    assert published_dates(GOLD_SEGMENT_MEMBERSHIP, lakehouse) == [D1, D2]
    assert published_dates(GOLD_USER_LABELS, lakehouse) == [D1]
    assert result.run_id.startswith("2026-06-30-")

    undated = Table("gold.undated", BRONZE_USERS.schema, partition_by=())
    with pytest.raises(ValueError) as caught:
        stage(membership(spark, D2), undated, lakehouse, D2)
    assert str(caught.value) == "gold.undated has no date partition column: write-audit-publish replaces one ds partition"
