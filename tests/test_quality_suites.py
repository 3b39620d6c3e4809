"""The suite and bounds files: they load, mirror the catalogs, and bad files are reported exactly."""

from __future__ import annotations

import textwrap

import pytest

import jobs.tables as tables
from jobs.catalogs import event_catalog, label_catalog
from jobs.quality import SuiteError, load_bounds, load_suites
from jobs.quality.bounds import Bound
from jobs.quality.render import describe

SHARE_UNITS = {"share"}


@pytest.fixture(scope="module")
def suites():
    return load_suites()


def kinds(suite, check_type, dataset="rows"):
    """column -> kwargs of the suite's checks of one type on one dataset (without row conditions)."""
    return {
        c.kwargs["column"]: c.kwargs
        for c in suite.checks
        if c.type == check_type and c.dataset == dataset and "row_condition" not in c.kwargs
    }


def test_every_suite_checks_a_declared_table(suites):
    declared = {t.name for t in vars(tables).values() if isinstance(t, tables.Table)}
    assert set(suites) == {"bronze.events", "bronze.users", "gold.user_labels", "gold.segment_membership"}
    assert set(suites) <= declared
    assert set(load_bounds()) <= declared


def test_label_suite_mirrors_the_label_catalog(suites):
    suite = suites["gold.user_labels"]
    in_set = kinds(suite, "expect_column_values_to_be_in_set")
    between = kinds(suite, "expect_column_values_to_be_between")
    not_null = kinds(suite, "expect_column_values_to_not_be_null")
    for spec in label_catalog().values():
        if spec.type == "enum":
            assert list(in_set[spec.name]["value_set"]) == list(spec.values), spec.name
            assert spec.name in not_null, spec.name
        if spec.unit in SHARE_UNITS:
            assert (between[spec.name]["min_value"], between[spec.name]["max_value"]) == (0, 1), spec.name
        elif spec.type in ("integer", "number"):
            assert between[spec.name]["min_value"] == 0, spec.name
    assert {c.column for c in suite.checks if c.dataset != "rows"} == {
        "snapshot_users.label_rows", "labelled_users.snapshot_user_type", "snapshot_sizes.kept_ratio"
    }


def test_event_suite_mirrors_the_event_catalog(suites):
    in_set = kinds(suites["bronze.events"], "expect_column_values_to_be_in_set")
    assert sorted(in_set["event"]["value_set"]) == sorted(event_catalog())


def test_every_check_has_an_explicit_severity(suites):
    severities = {c.severity for s in suites.values() for c in s.checks}
    assert severities <= {"critical", "warning", "info"}
    assert {"critical", "warning"} <= severities


def test_bad_suite_files_are_reported_all_at_once(tmp_path):
    (tmp_path / "labels.yml").write_text(textwrap.dedent("""\
        name: user_labels
        meta: {table: gold.user_labels, owner: me}
        expectations:
          - {type: expect_column_values_to_not_be_null, kwargs: {column: uid}}
          - {type: expect_column_values_to_be_unique, kwargs: {column: uid}, severity: blocker}
          - {type: expect_column_values_to_be_unique, kwargs: {column: uid}, severity: critical, meta: {dataset: snapshot}}
          - {type: expect_column_to_be_lovely, kwargs: {column: uid}, severity: warning}
          - {type: expect_column_values_to_not_be_null, kwargs: {column: uid}, severity: critical, when: always}
        """))
    with pytest.raises(SuiteError) as caught:
        load_suites(tmp_path)
    assert str(caught.value) == "\n".join([
        "invalid expectation suites:",
        "- labels.yml: name is 'user_labels', expected 'labels' (the file name)",
        "- labels.yml: meta: unknown key 'owner' (allowed: description, group_by, table)",
        "- labels.yml: expectations[1]: severity is None, expected one of critical, warning, info",
        "- labels.yml: expectations[2]: severity is 'blocker', expected one of critical, warning, info",
        "- labels.yml: expectations[3]: unknown dataset 'snapshot' (known: rows, snapshot_users, labelled_users, members, snapshot_sizes)",
        "- labels.yml: expectations[4]: expect_column_to_be_lovely: expect_column_to_be_lovely not found",
        "- labels.yml: expectations[5]: unknown key 'when' (allowed: kwargs, meta, severity, type)",
    ])


def test_bounds_file(tmp_path):
    bounds = load_bounds()["gold.segment_membership"]
    assert bounds.per == ("app_id", "segment_id")
    assert bounds.for_group(("smartlife", "newly_registered_30d")).max_growth == 3.0
    assert bounds.for_group(("smartlife", "churn_stage")) == Bound(0.5, 1.0, 50, "warning")
    assert Bound(0.5, 1.0, 50).limits(60) == (30, 120)
    assert Bound(0.5, 1.0, 50).limits(5) == (0, 100)  # small: no lower bound, growth from min_previous
    (tmp_path / "bounds.yml").write_text("tables:\n  gold.x: {max_drop: 2, severity: fatal, per: [a], groups: {b/c: {}}}\n")
    with pytest.raises(SuiteError) as caught:
        load_bounds(tmp_path / "bounds.yml")
    assert str(caught.value) == "\n".join([
        "invalid bounds:",
        "- bounds.yml: tables.gold.x: max_growth required",
        "- bounds.yml: tables.gold.x.groups.b/c: expected a",
    ])


@pytest.mark.parametrize(
    "check_type, kwargs, result, expected",
    [
        ("expect_column_values_to_not_be_null", {"column": "uid"}, {"unexpected_count": 2, "partial_unexpected_list": [None, None]},
         ("2 null values, e.g. null", "not null")),
        ("expect_column_values_to_be_unique", {"column": "uid"}, {"unexpected_count": 4, "partial_unexpected_list": ["b", "a", "b", "a"]},
         ("4 non-unique values, e.g. a, b", "unique")),
        ("expect_column_values_to_be_between", {"column": "r", "min_value": 0, "max_value": 1, "strict_max": True, "mostly": 0.95},
         {"unexpected_count": 1, "partial_unexpected_list": [1.0]}, ("1 value out of range, e.g. 1.0", "[0, 1) for at least 95% of rows")),
        ("expect_table_row_count_to_be_between", {"min_value": 10}, {"observed_value": 3}, ("3 rows", ">= 10 rows")),
        ("expect_column_values_to_match_like_pattern", {"column": "e", "like_pattern": "%@%"}, {"unexpected_count": 1,
         "partial_unexpected_list": ["x"]}, ("1 unexpected value, e.g. x", "like_pattern=%@%")),
        ("expect_column_values_to_be_in_set", {"column": "c", "value_set": [True]}, {}, ("error: boom", "in [true]")),
    ],
)
def test_observed_and_bound_texts(check_type, kwargs, result, expected):
    error = "boom" if expected[0].startswith("error") else None
    assert describe(check_type, kwargs, result, error) == expected


def test_size_swings_warn_by_default():
    """PRODUCT.md: size swings are business signals; only integrity checks block."""
    import datetime as dt

    from jobs.quality import CheckResult

    for table, bounds in load_bounds().items():
        assert [b.severity for b in (bounds.default, *bounds.groups.values())] == \
            ["warning"] * (1 + len(bounds.groups)), table
    # the swing that stopped a 200-day backfill at its 51st day: a 59-member segment dropping 55 %
    bound = load_bounds()["gold.segment_membership"].for_group(("smartlife", "churn_stage"))
    low, high = bound.limits(59)
    assert (low, high) == (30, 118) and not low <= 26 <= high
    swing = CheckResult("r", "gold.segment_membership", dt.date(2026, 6, 30), "bounds", "rows", "b",
                        "row_count_vs_previous", None, bound.severity, False, "26 rows", "30..118 rows")
    assert swing.warned and not swing.blocking
    assert Bound(0.5, 1.0).severity == "warning"  # a bound without a severity warns too
