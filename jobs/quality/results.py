"""Check results as plain records, their one-line form, and the results table (gold.check_results)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import SparkSession

from jobs.delta_io import append_rows
from jobs.quality.render import value_text
from jobs.quality.suites import BLOCKING
from jobs.tables import GOLD_CHECK_RESULTS

Scope = tuple[tuple[str, object], ...]  # group column -> value, e.g. (("app_id", "a1"), ("segment_id", "churn"))


@dataclass(frozen=True)
class CheckResult:
    """One check's result on one table's ds partition (and, with a scope, on one group of it)."""

    run_id: str
    table: str
    ds: dt.date
    suite: str
    dataset: str
    check_id: str
    check: str
    column: str | None
    severity: str
    success: bool
    observed: str
    bound: str
    scope: Scope = ()
    details: str | None = None
    checked_at: dt.datetime | None = None

    @property
    def blocking(self) -> bool:
        """A failed critical check: it blocks publication."""
        return not self.success and self.severity == BLOCKING

    @property
    def warned(self) -> bool:
        """A failed warning/info check: recorded and reported, publication goes on."""
        return not self.success and self.severity != BLOCKING

    def line(self) -> str:
        """``<table>[ <group>=<value>...][ <column>] <check>: <observed> (bound: <bound>)``."""
        scope = "".join(f" {name}={value_text(value)}" for name, value in self.scope)
        column = f" {self.column}" if self.column else ""
        return f"{self.table}{scope}{column} {self.check}: {self.observed} (bound: {self.bound})"


def record_checks(spark: SparkSession, root: str, results: Sequence[CheckResult]) -> None:
    """Appends ``results`` to gold.check_results (a blind append: concurrent runs never conflict)."""
    if not results:
        return
    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        (
            r.run_id, r.table, r.suite, r.dataset, r.check_id, r.check, r.column,
            _scope_value(r.scope, "app_id"), _scope_value(r.scope, "segment_id"),
            r.severity, r.success, r.observed, r.bound, r.details, r.checked_at or now, r.ds,
        )
        for r in results
    ]
    append_rows(spark.createDataFrame(rows, GOLD_CHECK_RESULTS.schema), GOLD_CHECK_RESULTS, root)


def _scope_value(scope: Scope, name: str) -> str | None:
    value = dict(scope).get(name)
    return None if value is None else str(value)
