"""Checks of one partition without publication: the bronze suites, errors inside GE, per-group reports."""

from __future__ import annotations

import datetime as dt

from test_quality_fixtures import D2

from jobs.quality import check_partition, load_bounds, load_suites
from jobs.quality.suites import Check, Suite
from jobs.tables import BRONZE_EVENTS, GOLD_SEGMENT_MEMBERSHIP


def event_rows(spark, rows):
    names = [f.name for f in BRONZE_EVENTS.schema.fields]
    full = []
    for line, (event_id, uid, event, ts) in enumerate(rows, start=1):
        values = dict.fromkeys(names)
        values.update(event_id=event_id, app_id="app1", uid=uid, event=event, ts=ts, event_date=D2,
                      source_file="e.jsonl", source_line=line, dt=D2)
        full.append(tuple(values[n] for n in names))
    return spark.createDataFrame(full, BRONZE_EVENTS.schema)


def failed_lines(results):
    return [(r.severity, r.line()) for r in results if not r.success]


def test_bronze_events_suite(spark, root):
    rows = event_rows(spark, [
        ("e1", "u1", "page_view", 1), ("e1", "u1", "page_view", 1), ("e2", None, "teleport", 2), ("e3", "u2", "faq_tap", -5),
    ])
    results = check_partition(rows, BRONZE_EVENTS, root, D2, run_id="r", suites=load_suites(), bounds=load_bounds(),
                              published=None, date_column="dt")
    assert failed_lines(results) == [
        ("critical", "bronze.events event_id expect_column_values_to_be_unique: 2 non-unique values, e.g. e1 (bound: unique)"),
        ("critical", "bronze.events ts expect_column_values_to_be_between: 1 value out of range, e.g. -5 (bound: >= 0)"),
        ("critical", "bronze.events event expect_column_values_to_be_in_set: 1 value not in set, e.g. teleport "
                     "(bound: in [" + ", ".join(_event_set()) + "])"),
        ("info", "bronze.events uid expect_column_values_to_not_be_null: 1 null value, e.g. null (bound: not null)"),
    ]
    size = [r for r in results if r.check == "row_count_vs_previous"]
    assert [(r.severity, r.success, r.observed) for r in size] == [("warning", True, "4 rows; no previous published ds")]


def _event_set():
    suite = load_suites()["bronze.events"]
    return next(c.kwargs["value_set"] for c in suite.checks if c.type == "expect_column_values_to_be_in_set")


def test_an_error_inside_ge_fails_the_check(spark, root):
    """A check GE cannot compute (here: a range on a boolean column) fails with the error as observed value."""
    suite = Suite("s", "gold.segment_membership", (), (
        Check("s", 1, "expect_column_values_to_be_between", {"column": "flag", "min_value": 0, "max_value": 1}, "critical"),
    ), "s.yml")
    rows = spark.createDataFrame([(True, dt.date(2026, 6, 30))], "flag boolean, ds date")
    [result] = check_partition(rows, GOLD_SEGMENT_MEMBERSHIP, root, D2, run_id="r", suites={suite.table: suite},
                               bounds={}, published=None, date_column="ds")
    assert result.blocking
    assert result.line() == (
        "gold.segment_membership flag expect_column_values_to_be_between: "
        "error: ColumnValuesBetween metrics cannot be computed on column of type BooleanType(). (bound: [0, 1])"
    )


def test_failures_are_reported_per_group_and_nulls_are_a_group(spark, root):
    suite = Suite("s", "gold.segment_membership", ("segment_id",), (
        Check("s", 1, "expect_column_values_to_not_be_null", {"column": "uid"}, "warning"),
        Check("s", 2, "expect_column_values_to_be_unique", {"column": "uid"}, "critical"),
    ), "s.yml")
    rows = spark.createDataFrame(
        [("a", "u1"), ("a", None), ("b", "u1"), ("b", "u2"), (None, None)], "segment_id string, uid string"
    )
    results = check_partition(rows, GOLD_SEGMENT_MEMBERSHIP, root, D2, run_id="r", suites={suite.table: suite},
                              bounds={}, published=None, date_column="ds")
    assert failed_lines(results) == [
        ("warning", "gold.segment_membership segment_id=null uid expect_column_values_to_not_be_null: "
                    "1 null value, e.g. null (bound: not null)"),
        ("warning", "gold.segment_membership segment_id=a uid expect_column_values_to_not_be_null: "
                    "1 null value, e.g. null (bound: not null)"),
        # unique within every segment, not across them: reported for the whole partition
        ("critical", "gold.segment_membership uid expect_column_values_to_be_unique: "
                     "2 non-unique values, e.g. u1 (bound: unique)"),
    ]
