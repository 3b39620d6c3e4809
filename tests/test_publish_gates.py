"""Acceptance 1: each class of bad data blocks publication with an exact message, and readers
(delta-rs and Spark) stay on the previous published ds."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from test_quality_fixtures import (
    APP, CONSENTING, D1, D2, DELETED, NO_CONSENT, SEGMENTS, SNAPSHOT, day, labels, membership, published,
    segment_rules, write_snapshot,
)

from jobs.delta_io import read_table
from jobs.publish import PublicationBlocked, write_audit_publish
from jobs.tables import GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS, GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS

HEADER = "publication of 2026-06-30 blocked by {n}; readers keep the previous published ds:"


@pytest.fixture(scope="module")
def lakehouse(spark, tmp_path_factory):
    """A lakehouse where D1 is published (clean) and the snapshot of D2 is ingested."""
    root = str(tmp_path_factory.mktemp("gates") / "lakehouse")
    write_snapshot(spark, root, D1)
    write_snapshot(spark, root, D2)
    write_audit_publish(spark, day(spark, D1), root, D1, run_id="d1")
    return root


CASES = {
    "duplicate label keys": (
        dict(label_extra=[{"uid": "u005"}]),
        None,
        [
            "gold.user_labels [app_id, uid] expect_compound_columns_to_be_unique: "
            "2 non-unique rows, e.g. (app1, u005) (bound: unique)",
            "gold.user_labels snapshot_users.label_rows expect_column_values_to_be_between: "
            "1 value out of range, e.g. 2 (bound: [1, 1])",
        ],
    ),
    "duplicate member in a segment": (
        dict(segments={**SEGMENTS, "churn_stage": [*SEGMENTS["churn_stage"], "u061"]}),
        None,
        [
            "gold.segment_membership app_id=app1 segment_id=churn_stage [app_id, segment_id, uid] "
            "expect_compound_columns_to_be_unique: 2 non-unique rows, e.g. (app1, churn_stage, u061) "
            "(bound: unique where uid IS NOT NULL)",
        ],
    ),
    "invalid enum": (
        dict(label_overrides={"u007": {"lifecycle": "zombie"}}),
        None,
        [
            "gold.user_labels lifecycle expect_column_values_to_be_in_set: 1 value not in set, e.g. zombie "
            "(bound: in [novice, growth, silence, churn])",
        ],
    ),
    "rate out of range": (
        dict(label_overrides={"u008": {"positive_review_pct": 1.25}, "u009": {"pairing_success_rate_90d": -0.5}}),
        None,
        [
            "gold.user_labels pairing_success_rate_90d expect_column_values_to_be_between: "
            "1 value out of range, e.g. -0.5 (bound: [0, 1])",
            "gold.user_labels positive_review_pct expect_column_values_to_be_between: "
            "1 value out of range, e.g. 1.25 (bound: [0, 1])",
        ],
    ),
    "deleted user in membership": (
        dict(segments={**SEGMENTS, "churn_stage": [*SEGMENTS["churn_stage"], DELETED]}),
        None,
        [
            "gold.segment_membership app_id=app1 segment_id=churn_stage members.user_type "
            "expect_column_values_to_not_be_in_set: 1 forbidden value, e.g. deleted (bound: not in [deleted])",
        ],
    ),
    "label row of a deleted user": (
        dict(label_extra=[{"uid": DELETED}]),
        None,
        [
            "gold.user_labels labelled_users.snapshot_user_type expect_column_values_to_not_be_in_set: "
            "1 forbidden value, e.g. deleted (bound: not in [deleted])",
        ],
    ),
    "non-consenting user in a marketing segment": (
        # service_notice opts out of the consent rule: the same user is fine there
        dict(segments={**SEGMENTS, "churn_stage": [*SEGMENTS["churn_stage"], NO_CONSENT],
                       "service_notice": [NO_CONSENT]}),
        {"service_notice": False, "churn_stage": True},
        [
            "gold.segment_membership app_id=app1 segment_id=churn_stage members.accept_marketing "
            "expect_column_values_to_be_in_set: 1 value not in set, e.g. false (bound: in [true] where consent_required)",
        ],
    ),
    "missing label row": (
        dict(label_uids=[u for u in CONSENTING if u != "u010"] + [NO_CONSENT]),
        None,
        [
            "gold.user_labels snapshot_users.label_rows expect_column_values_to_be_between: "
            "1 value out of range, e.g. 0 (bound: [1, 1])",
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_data_blocks_publication(spark, lakehouse, case):
    changes, rules, lines = CASES[case]
    run_id = "case-" + case.replace(" ", "-")
    context = {"segments": segment_rules(spark, rules)} if rules else None
    with pytest.raises(PublicationBlocked) as caught:
        write_audit_publish(spark, day(spark, D2, **changes), lakehouse, D2, run_id=run_id, context=context)

    report = f"{lakehouse}/reports/quality/2026-06-30/{run_id}.html"
    n = f"{len(lines)} failed check" + ("s" if len(lines) > 1 else "")
    expected = "\n".join([HEADER.format(n=n), *(f"- {line}" for line in lines), f"report: {report}"])
    assert str(caught.value) == expected
    assert [f.line() for f in caught.value.failures] == lines

    # readers still see D1 only, with D1's rows
    for table, rows in ((GOLD_USER_LABELS, 131), (GOLD_SEGMENT_MEMBERSHIP, 65)):
        rs_dates, spark_dates, counts = published(spark, table, lakehouse)
        assert rs_dates == spark_dates == [D1]
        assert counts == {D1: rows}

    # the run is recorded as blocked, with its failing checks
    runs = read_table(spark, GOLD_PUBLICATIONS, lakehouse).where(F.col("run_id") == run_id).collect()
    assert sorted((r["table_name"], r["status"], r["message"]) for r in runs) == [
        ("gold.segment_membership", "blocked", expected),
        ("gold.user_labels", "blocked", expected),
    ]
    failed = (
        read_table(spark, GOLD_CHECK_RESULTS, lakehouse)
        .where((F.col("run_id") == run_id) & ~F.col("success") & (F.col("severity") == "critical"))
        .collect()
    )
    assert len(failed) == len(lines)
    assert {r["table_name"] for r in failed} <= {GOLD_USER_LABELS.name, GOLD_SEGMENT_MEMBERSHIP.name}
    assert all(r["ds"] == D2 and r["observed"] and r["bound"] for r in failed)
    scoped = [r for r in failed if r["table_name"] == GOLD_SEGMENT_MEMBERSHIP.name]
    assert all(r["app_id"] == APP and r["segment_id"] for r in scoped)


SWINGS = {
    # big had 60 members on D1: its bound is 30..120; outside it, a warning, never a block
    "segment size jump": (CONSENTING[:121], "121 rows, previous published 60 on 2026-06-29 (bound: 30..120 rows)"),
    "segment size drop": (CONSENTING[:27], "27 rows, previous published 60 on 2026-06-29 (bound: 30..120 rows)"),
}


@pytest.mark.parametrize("case", list(SWINGS))
def test_segment_size_swings_warn_and_publish(spark, lakehouse, case):
    members, observed = SWINGS[case]
    result = write_audit_publish(spark, day(spark, D2, segments={**SEGMENTS, "big": members}), lakehouse, D2,
                                 run_id="swing-" + case.replace(" ", "-"))
    assert [w.line() for w in result.warnings] == [
        f"gold.segment_membership app_id=app1 segment_id=big row_count_vs_previous: {observed}"]
    assert [w.severity for w in result.warnings] == ["warning"]
    rs_dates, _, counts = published(spark, GOLD_SEGMENT_MEMBERSHIP, lakehouse)
    assert rs_dates == [D1, D2] and counts[D2] == len(members) + 5


def test_a_snapshot_cut_in_half_blocks(spark, tmp_path):
    """Integrity, not a swing: the snapshot of D2 keeps 66 of D1's 132 users (exactly half)."""
    root = str(tmp_path / "lakehouse")
    write_snapshot(spark, root, D1)
    write_audit_publish(spark, day(spark, D1), root, D1, run_id="d1")
    kept = SNAPSHOT[:66]
    write_snapshot(spark, root, D2, kept)
    uids = [u for u, kind, _ in kept if kind != "deleted"]
    tables = [(GOLD_USER_LABELS, labels(spark, D2, uids=uids)),
              (GOLD_SEGMENT_MEMBERSHIP, membership(spark, D2, {"big": uids[:60]}))]
    with pytest.raises(PublicationBlocked) as caught:
        write_audit_publish(spark, tables, root, D2, run_id="cut")
    assert [f.line() for f in caught.value.failures] == [
        "gold.user_labels snapshot_sizes.kept_ratio expect_column_values_to_be_between: "
        "1 value out of range, e.g. 0.5 (bound: > 0.5)",
    ]
    assert published(spark, GOLD_USER_LABELS, root)[0] == [D1]
