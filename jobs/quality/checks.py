"""Runs every check of a table on one ds partition: its suite's expectations (on the partition and
on derived datasets) and its size bounds, and returns plain ``CheckResult`` records."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.quality import bounds as size_bounds
from jobs.quality.datasets import Inputs, build
from jobs.quality.render import describe
from jobs.quality.results import CheckResult
from jobs.quality.suites import Check, Suite
from jobs.quality.validate import Outcome, row_level_types, run_checks
from jobs.tables import Table

log = logging.getLogger(__name__)


def check_partition(
    rows: DataFrame,
    table: Table,
    root: str,
    ds: dt.date,
    *,
    run_id: str,
    suites: Mapping[str, Suite],
    bounds: Mapping[str, size_bounds.TableBounds],
    published: DataFrame | None,
    date_column: str,
    context: Mapping[str, DataFrame] | None = None,
) -> list[CheckResult]:
    """Every check result of ``table`` on ``rows`` (its ds partition), suite order, then bounds.

    Args:
        rows: the ds partition under audit.
        published: the published table (for size bounds against its previous ds), None if none yet.
        date_column: the table's date partition column (``ds`` or ``dt``).
        context: extra inputs of derived datasets (see ``jobs.quality.datasets``).
    """
    results: list[CheckResult] = []
    suite = suites.get(table.name)
    if suite is None:
        log.info("no expectation suite checks %s (published on the other tables' checks)", table.name)
    else:
        inputs = Inputs(rows, root, ds, dict(context or {}))
        for dataset, checks in suite.by_dataset().items():
            df = build(dataset, inputs)
            results += _suite_results(df, checks, suite.group_by, table, ds, run_id)
    if table.name in bounds:
        for c in size_bounds.size_checks(rows, published, date_column, ds, bounds[table.name]):
            results.append(CheckResult(
                run_id, table.name, ds, "bounds", "rows", f"bounds#{table.name}", size_bounds.CHECK, None,
                c.severity, c.success, c.observed, c.bound, c.scope,
            ))
    return results


def _suite_results(
    df: DataFrame, checks: Sequence[Check], group_by: Sequence[str], table: Table, ds: dt.date, run_id: str
) -> list[CheckResult]:
    outcomes = run_checks(df, checks)
    groups = list(group_by) if group_by and set(group_by) <= set(df.columns) else []
    to_attribute = [o for o in outcomes if not o.success and groups and o.check.type in row_level_types()]
    attributed = _attribute(df, to_attribute, groups) if to_attribute else {}
    results = []
    for outcome in outcomes:
        per_group = attributed.get(outcome.check.id)
        if per_group:  # the failure, told per group (e.g. per segment)
            results += [_result(o, table, ds, run_id, scope) for scope, o in per_group]
        else:
            results.append(_result(outcome, table, ds, run_id, ()))
    return results


def _attribute(df: DataFrame, failed: list[Outcome], groups: list[str]) -> dict[str, list]:
    """Re-runs the failed row-level checks on each group; check id -> [(scope, failed outcome)]."""
    keys = sorted(
        (tuple(r[c] for c in groups) for r in df.select(*groups).distinct().collect()),
        key=lambda key: tuple("" if v is None else str(v) for v in key),
    )
    checks = [o.check for o in failed]
    found: dict[str, list] = {}
    for key in keys:
        condition = F.lit(True)
        for column, value in zip(groups, key):
            condition = condition & F.col(column).eqNullSafe(F.lit(value))
        for outcome in run_checks(df.where(condition), checks):
            if not outcome.success:
                found.setdefault(outcome.check.id, []).append((tuple(zip(groups, key)), outcome))
    return found


def _result(outcome: Outcome, table: Table, ds: dt.date, run_id: str, scope) -> CheckResult:
    check = outcome.check
    observed, bound = describe(check.type, check.kwargs, outcome.result, outcome.error)
    return CheckResult(
        run_id, table.name, ds, check.suite, check.dataset, check.id, check.type, check.column,
        check.severity, outcome.success, observed, bound, scope,
        json.dumps(outcome.result, default=str, sort_keys=True),
    )
