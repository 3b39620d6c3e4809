"""Suites, bounds and catalogs report their problems as definitions do: file:line:column, path,
expected, did you mean (one error type, ``jobs.errors``), through their loaders and ``lakehouse validate``."""

from __future__ import annotations

import textwrap

import pytest

from jobs.cli.analyst import run_validate
from jobs.catalogs import CatalogError
from jobs.catalogs.read import catalog_errors
from jobs.errors import format_errors
from jobs.quality.bounds import bounds_errors, load_bounds
from jobs.quality.suites import SuiteError, load_suites, suite_errors
from jobs.written_files import kind_of

BROKEN_SUITE = """\
    name: labels
    meta: {table: gold.user_labels, group_bye: [app_id]}
    expectations:
      - {type: expect_column_values_to_not_be_null, kwargs: {column: uid}, severity: critcal}
      - {type: expect_column_values_to_be_uniqe, kwargs: {column: uid}, severity: critical}
      - {type: expect_column_values_to_be_between, kwargs: {column: n, min_vale: 0}, severity: info}
      - {type: expect_column_values_to_be_unique, kwargs: {column: uid}, severity: warning, meta: {dataset: member}}
    """

BROKEN_BOUNDS = """\
    tables:
      gold.segment_membership:
        max_drop: 0.5
        max_growht: 1.0
        per: [app_id, segment_id]
        groups:
          smartlife/churn_stage: {min_previous: 50, severity: warn}
    """

BROKEN_EVENTS = """\
    categories:
      mall: Mall
    events:
      mall_order_paid:
        category: mal
        description: Order paid
        measures:
          amount: {type: numbr, minimum: 0, maximum: 10}
      mall_browse: {category: mall, descripton: Mall browsed}
    """

BROKEN_LABELS = """\
    categories:
      basic_information: Basic information
    labels:
      user_type: {category: basic_information, type: enm, description: Type}
      gender: {category: basic_informaton, type: enum, values: [m, f], description: Gender}
    """


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def expectations(tmp_path):
    folder = tmp_path / "expectations"
    folder.mkdir()
    write(folder, "labels.yml", BROKEN_SUITE)
    write(folder, "bounds.yml", BROKEN_BOUNDS)
    return folder


@pytest.fixture
def catalogs(tmp_path):
    folder = tmp_path / "catalogs"
    folder.mkdir()
    write(folder, "events.yaml", BROKEN_EVENTS)
    write(folder, "labels.yaml", BROKEN_LABELS)
    return folder


def test_a_broken_suite_is_reported_located_with_did_you_mean(expectations):
    assert format_errors(suite_errors(expectations)) == textwrap.dedent("""\
        labels.yml:2:33: unknown key 'group_bye'
          at: meta.group_bye
          expected: one of description, group_by, table
          did you mean: group_by

        labels.yml:4:82: severity 'critcal' is not allowed
          at: expectations[0].severity
          expected: one of critical, warning, info
          did you mean: critical

        labels.yml:5:12: unknown expectation type 'expect_column_values_to_be_uniqe'
          at: expectations[1].type
          expected: a Great Expectations expectation type
          did you mean: expect_column_values_to_be_unique

        labels.yml:6:56: expect_column_values_to_be_between: min_value and max_value cannot both be None
          at: expectations[2].kwargs

        labels.yml:6:68: unknown kwarg 'min_vale' of expect_column_values_to_be_between
          at: expectations[2].kwargs.min_vale
          expected: one of catch_exceptions, column, condition_parser, description, max_value, min_value, mostly, result_format, row_condition, strict_max, strict_min, windows
          did you mean: min_value

        labels.yml:7:105: unknown dataset 'member'
          at: expectations[3].meta.dataset
          expected: one of rows, snapshot_users, labelled_users, members, snapshot_sizes
          did you mean: members

        6 errors in 1 file""")


def test_the_suite_loader_keeps_its_message_and_carries_the_located_errors(expectations):
    with pytest.raises(SuiteError) as caught:
        load_suites(expectations)
    assert str(caught.value).splitlines() == [
        "invalid expectation suites:",
        "- labels.yml: meta: unknown key 'group_bye' (allowed: description, group_by, table)",
        "- labels.yml: expectations[1]: severity is 'critcal', expected one of critical, warning, info",
        "- labels.yml: expectations[2]: expect_column_values_to_be_uniqe: expect_column_values_to_be_uniqe not found",
        "- labels.yml: expectations[3]: expect_column_values_to_be_between: 2 validation errors for ExpectColumnValuesToBeBetween",
        "- labels.yml: expectations[4]: unknown dataset 'member' (known: rows, snapshot_users, labelled_users, members, snapshot_sizes)",
    ]
    assert caught.value.errors == suite_errors(expectations)


def test_broken_bounds_are_reported_located_with_did_you_mean(expectations):
    assert format_errors(bounds_errors(expectations / "bounds.yml")) == textwrap.dedent("""\
        bounds.yml:4:5: unknown key 'max_growht'
          at: tables.gold.segment_membership.max_growht
          expected: one of groups, max_drop, max_growth, min_previous, per, severity
          did you mean: max_growth

        1 error in 1 file""")
    write(expectations, "bounds.yml", BROKEN_BOUNDS.replace("max_growht", "max_growth"))
    assert format_errors(bounds_errors(expectations / "bounds.yml")) == textwrap.dedent("""\
        bounds.yml:7:59: severity 'warn' is not allowed
          at: tables.gold.segment_membership.groups.smartlife/churn_stage.severity
          expected: one of critical, warning, info
          did you mean: warning

        1 error in 1 file""")
    with pytest.raises(SuiteError) as caught:
        load_bounds(expectations / "bounds.yml")
    assert str(caught.value) == ("invalid bounds:\n- bounds.yml: tables.gold.segment_membership.groups.smartlife/churn_stage: "
                                 "severity is 'warn', expected one of critical, warning, info")


def test_broken_catalogs_are_reported_located_with_did_you_mean(catalogs):
    errors = catalog_errors(catalogs / "events.yaml") + catalog_errors(catalogs / "labels.yaml")
    assert format_errors(errors) == textwrap.dedent("""\
        events.yaml:5:15: unknown category 'mal'
          at: events.mall_order_paid.category
          expected: a key of categories
          did you mean: mall

        events.yaml:8:22: type must be one of ['integer', 'number'], not 'numbr'
          at: events.mall_order_paid.measures.amount.type
          expected: one of integer, number
          did you mean: number

        events.yaml:9:3: missing key 'description'
          at: events.mall_browse
          expected: keys category, description

        events.yaml:9:33: unknown key 'descripton'
          at: events.mall_browse.descripton
          expected: one of category, description, dimensions, measures
          did you mean: description

        labels.yaml:4:50: type 'enm' is not allowed
          at: labels.user_type.type
          expected: one of string, enum, boolean, integer, number, timestamp
          did you mean: enum

        labels.yaml:5:22: unknown category 'basic_informaton'
          at: labels.gender.category
          expected: a key of categories
          did you mean: basic_information

        6 errors in 2 files""")
    assert str(CatalogError(errors)) == format_errors(errors)


def test_unreadable_and_duplicate_keys_are_located_too(tmp_path):
    write(tmp_path, "bounds.yml", "tables:\n  gold.x: {max_drop: 0.5, max_growth: 1}\n  gold.x: {max_drop: 0.5}\n")
    assert [e.one_line() for e in bounds_errors(tmp_path / "bounds.yml")] == [
        "bounds.yml:3:3: duplicate key 'gold.x'",
        "bounds.yml:3:11: missing key 'max_growth'",
    ]
    write(tmp_path, "bounds.yml", "tables: {gold.x: [\n")
    [error] = bounds_errors(tmp_path / "bounds.yml")
    assert error.one_line().startswith("bounds.yml:2:1: invalid YAML: ")


def test_validate_recognises_each_path_by_what_it_holds(expectations, catalogs, tmp_path, capsys):
    defs = tmp_path / "defs"
    defs.mkdir()
    assert [kind_of(str(p)) for p in (expectations, expectations / "labels.yml", expectations / "bounds.yml",
                                      catalogs, catalogs / "labels.yaml", defs)] == \
        ["expectations", "suite", "bounds", "catalogs", "catalog", "definitions"]
    assert run_validate([str(catalogs / "labels.yaml"), str(expectations / "bounds.yml")], str(defs), False) == 1
    out = capsys.readouterr().out
    assert out.startswith("bounds.yml:4:5: unknown key 'max_growht'\n")
    assert out.endswith("\n\n3 errors in 2 files\n")
    write(expectations, "bounds.yml", "tables: {}\n")
    assert run_validate([str(expectations / "bounds.yml"), str(defs)], str(defs), False) == 0
    assert capsys.readouterr().out == f"all files under {expectations / 'bounds.yml'}, {defs} are valid\n"


def test_nothing_is_found_by_parents_index():
    """Files are found through the settings or package resources, never by climbing folders."""
    import pathlib
    import re

    repo = pathlib.Path(__file__).resolve().parent.parent
    found = [f"{p.relative_to(repo)}:{n}" for folder in ("jobs", "dags") for p in sorted((repo / folder).rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"parents\[\d+\]", line)]
    assert found == []


def test_no_module_of_jobs_reads_a_catalog_at_import():
    """Catalogs, suites and bounds are read on first use (functools.cache), never by an import."""
    import subprocess
    import sys

    code = ("import importlib, pkgutil, jobs, jobs.catalogs as c\n"
            "for m in pkgutil.walk_packages(jobs.__path__, 'jobs.'):\n"
            "    if m.name.endswith('.__main__'):\n"  # run as a program (python -m jobs.cli), not imported
            "        continue\n"
            "    importlib.import_module(m.name)\n"
            "    if c._events.cache_info().currsize or c._labels.cache_info().currsize:\n"
            "        print(m.name)\n"
            "        break\n"
            "print('done')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["done"]
