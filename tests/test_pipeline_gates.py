"""The daily pipeline (silver -> labels -> segments) goes through write-audit-publish: two clean
dates publish; a bad row on the third date blocks it with an exact message while a plain Delta
reader (delta-rs) keeps seeing the first two dates; a blocked segment run is recorded as
``blocked``; re-running a date publishes the same rows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable
from label_fixtures import scenario, write_bronze
from pyspark.sql import functions as F

import jobs.labels.job as label_job
import jobs.segments.daily.job as segment_job
from jobs.delta_io import read_table
from jobs.labels import build_labels
from jobs.publish import PublicationBlocked, published_dates
from jobs.segments import evaluate_segments
from jobs.silver import build_silver
from jobs.tables import (
    GOLD_PUBLICATIONS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS, GOLD_USER_LABELS,
)

FIRST = dt.date(2024, 6, 1)
D1, D2, D3 = FIRST, FIRST + dt.timedelta(days=1), FIRST + dt.timedelta(days=2)
GATEWAY = "id: gw\napp_id: app1\nname: Active\nrule: {type: label, label: active_days_30d, op: ge, value: 2}\n"


def _defs(tmp_path: Path) -> str:
    defs = tmp_path / "segment_defs"
    shutil.copytree("segment_defs/_predefined", defs / "_predefined")
    (defs / "app1").mkdir()
    (defs / "app1" / "gw.yaml").write_text(GATEWAY, encoding="utf-8")
    return str(defs)


def _reader(table, root) -> list[dict]:
    """What a plain delta-rs reader sees in the published table, sorted."""
    rows = DeltaTable(table.location(root)).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in sorted(r)))


def _dates(rows) -> list[dt.date]:
    return sorted({r["ds"] for r in rows})


def _day(spark, root, defs, events, users, ds):
    write_bronze(spark, root, events, users, ds)
    build_silver(spark, root, ds)
    build_labels(spark, root, ds)
    return evaluate_segments(spark, root, ds, defs)


def _with_deleted_user(real):
    """user_labels plus a label row for u05, a user the snapshot says is deleted."""

    def bad(*args, **kwargs):
        labels = real(*args, **kwargs)
        ghost = labels.where((F.col("app_id") == "app1") & (F.col("uid") == "u01")).withColumn("uid", F.lit("u05"))
        return labels.unionByName(ghost)

    return bad


def _with_deleted_member(real):
    """memberships plus u05 (deleted in the snapshot) as a member of the gateway segment."""

    def bad(*args, **kwargs):
        members = real(*args, **kwargs)
        ghost = members.sparkSession.createDataFrame(
            [("app1", "gw", "u05", None, None, None, None)], members.schema)
        return members.unionByName(ghost)

    return bad


@pytest.fixture(scope="module")
def two_days(spark, tmp_path_factory):
    """Two clean dates run through the whole pipeline."""
    tmp = tmp_path_factory.mktemp("gates")
    root, defs = str(tmp / "lakehouse"), _defs(tmp)
    events, users = scenario(FIRST, 3)
    runs = {ds: _day(spark, root, defs, events, users, ds) for ds in (D1, D2)}
    return root, defs, events, users, runs


def test_clean_dates_publish(spark, two_days):
    root, _, _, _, runs = two_days
    labels, members = _reader(GOLD_USER_LABELS, root), _reader(GOLD_SEGMENT_MEMBERSHIP, root)
    assert _dates(labels) == _dates(members) == [D1, D2]
    assert len([r for r in labels if r["ds"] == D2]) == 27  # 28 users in two apps, one deleted
    assert all(r.status == "published" for r in runs[D2]), [(r.segment_id, r.status, r.reason) for r in runs[D2] if r.status != "published"]
    assert {r.segment_id for r in runs[D2]} >= {"gw", "gateway_owners", "accept_marketing"}
    assert all(r.report_path and r.report_path.startswith(f"{root}/reports/quality/{D2}/") for r in runs[D2])
    published = read_table(spark, GOLD_PUBLICATIONS, root).where(F.col("status") == "published")
    assert {(r.table_name, r.ds) for r in published.collect()} >= {
        (t.name, d) for t in (GOLD_USER_LABELS, GOLD_SEGMENT_MEMBERSHIP) for d in (D1, D2)}


def test_bad_rows_block_the_third_date(spark, two_days, monkeypatch):
    root, defs, events, users, _ = two_days
    before = {t: _reader(t, root) for t in (GOLD_USER_LABELS, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES)}
    write_bronze(spark, root, events, users, D3)
    build_silver(spark, root, D3)

    # labels: a deleted user has a label row -> nothing of D3 is published
    monkeypatch.setattr(label_job, "user_labels", _with_deleted_user(label_job.user_labels))
    with pytest.raises(PublicationBlocked) as caught:
        build_labels(spark, root, D3)
    report = caught.value.report_path
    assert report.startswith(f"{root}/reports/quality/2024-06-03/") and Path(report).exists()
    assert str(caught.value) == (
        "publication of 2024-06-03 blocked by 1 failed check; readers keep the previous published ds:\n"
        "- gold.user_labels labelled_users.snapshot_user_type expect_column_values_to_not_be_in_set: "
        "1 forbidden value, e.g. deleted (bound: not in [deleted])\n"
        f"report: {report}"
    )
    assert _reader(GOLD_USER_LABELS, root) == before[GOLD_USER_LABELS]
    # nor can segments run on the unpublished labels
    with pytest.raises(segment_job.LabelsMissingError):
        evaluate_segments(spark, root, D3, defs)
    monkeypatch.undo()

    # the next label run is clean; now the segment job stages a deleted member -> blocked
    build_labels(spark, root, D3)
    monkeypatch.setattr(segment_job, "memberships", _with_deleted_member(segment_job.memberships))
    with pytest.raises(PublicationBlocked) as caught:
        evaluate_segments(spark, root, D3, defs)
    report = caught.value.report_path
    line = ("- gold.segment_membership app_id=app1 segment_id=gw members.user_type "
            "expect_column_values_to_not_be_in_set: 1 forbidden value, e.g. deleted (bound: not in [deleted])")
    assert str(caught.value) == (
        "publication of 2024-06-03 blocked by 1 failed check; readers keep the previous published ds:\n"
        f"{line}\nreport: {report}"
    )
    for table in (GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES):
        assert _reader(table, root) == before[table]
    assert _dates(_reader(GOLD_SEGMENT_MEMBERSHIP, root)) == [D1, D2]
    assert published_dates(GOLD_USER_LABELS, root) == [D1, D2, D3]
    runs = {r.segment_id: r for r in read_table(spark, GOLD_SEGMENT_RUNS, root).where(F.col("ds") == D3).collect()}
    assert {r.status for r in runs.values()} == {"blocked"}
    assert runs["gw"].reason.splitlines()[0] == line[2:]
    assert runs["gw"].member_count is None
    assert f"report: {report}" in runs["accept_marketing"].reason
    monkeypatch.undo()

    # re-run: D3 publishes; its changes are against D2, the previous published ds
    records = evaluate_segments(spark, root, D3, defs)
    assert {r.status for r in records} == {"published"}
    assert _dates(_reader(GOLD_SEGMENT_MEMBERSHIP, root)) == [D1, D2, D3]
    members = {d: {r["uid"] for r in _reader(GOLD_SEGMENT_MEMBERSHIP, root) if r["segment_id"] == "gw"
                   and r["ds"] == d} for d in (D2, D3)}
    changes = {(r["uid"], r["change"]) for r in _reader(GOLD_SEGMENT_CHANGES, root)
               if r["segment_id"] == "gw" and r["ds"] == D3}
    assert changes == {(u, "entered") for u in members[D3] - members[D2]} | {
        (u, "exited") for u in members[D2] - members[D3]}


def test_rerunning_a_date_is_idempotent(spark, two_days):
    """The latest date run again (same bronze) publishes the same rows: each publish replaces the ds."""
    root, defs, events, users, _ = two_days
    last = published_dates(GOLD_SEGMENT_MEMBERSHIP, root)[-1]
    tables = (GOLD_USER_LABELS, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES)
    before = {t: _reader(t, root) for t in tables}
    assert [r for r in before[GOLD_USER_LABELS] if r["ds"] == last]
    assert [r for r in before[GOLD_SEGMENT_MEMBERSHIP] if r["ds"] == last]
    _day(spark, root, defs, events, users, last)
    assert {t: _reader(t, root) for t in tables} == before


def test_airflow_task_fails_with_exactly_the_blocked_message(spark, tmp_path, monkeypatch, caplog, capfd):
    """What the labels task calls (jobs.orchestration) fails fast: AirflowFailException (no retry)
    with exactly the PublicationBlocked message, which it is raised from."""
    import contextlib
    import logging

    import jobs.engine
    import jobs.orchestration
    from jobs.orchestration import build_labels_for

    root = str(tmp_path / "lakehouse")
    events, users = scenario(FIRST, 1)
    write_bronze(spark, root, events, users, D1)
    monkeypatch.setenv("LAKEHOUSE_ROOT", root)
    # no Airflow context here: importing Airflow to ask would reconfigure logging mid-test
    monkeypatch.setattr(jobs.orchestration, "_airflow_variable", lambda key: None)
    monkeypatch.setattr(jobs.orchestration, "_airflow_spark_url", lambda conn_id=None: None)
    monkeypatch.setattr(jobs.engine, "spark_session", lambda settings: contextlib.nullcontext(spark))
    monkeypatch.setattr(label_job, "user_labels", _with_deleted_user(label_job.user_labels))
    from airflow.sdk.exceptions import AirflowFailException

    with caplog.at_level(logging.INFO, logger="jobs.orchestration"), pytest.raises(AirflowFailException) as failed:
        build_labels_for(D1.isoformat())
    assert isinstance(failed.value.__cause__, PublicationBlocked)
    report = failed.value.__cause__.report_path
    assert str(failed.value) == str(failed.value.__cause__) == (
        "publication of 2024-06-01 blocked by 1 failed check; readers keep the previous published ds:\n"
        "- gold.user_labels labelled_users.snapshot_user_type expect_column_values_to_not_be_in_set: "
        "1 forbidden value, e.g. deleted (bound: not in [deleted])\n"
        f"report: {report}"
    )
    # importing Airflow's exceptions lets Airflow's structlog take the logging over: the line may
    # reach the captured output rather than caplog
    logged = "\n".join(caplog.messages) + "".join(capfd.readouterr())
    assert f"gold.user_labels {D1} blocked by the quality gates; quality report: {report}" in logged
    assert published_dates(GOLD_USER_LABELS, root) == []
