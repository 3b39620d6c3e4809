"""The quality gates of a publication: the checks of each staged partition, recorded and reported,
and whether a failed critical check blocks the ds (``PublicationBlocked``, its message)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from jobs.publish.staging import Staged, date_column, read_staged
from jobs.quality import CheckResult, check_partition, load_bounds, load_suites, record_checks, write_report
from jobs.quality.render import plural
from jobs.storage import storage_options
from jobs.tables import Table

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    """When a run started or finished, as recorded in check results and publication rows."""
    return dt.datetime.now(dt.timezone.utc)


def new_run_id(ds: dt.date) -> str:
    """A fresh run id, e.g. ``2026-06-30-1f0c2a9b7d3e``."""
    return f"{ds.isoformat()}-{uuid.uuid4().hex[:12]}"


class PublicationBlocked(RuntimeError):
    """A critical check failed: nothing of the ds was published.

    Attributes:
        ds: the date that was not published.
        failures: the failed critical checks, in report order.
        report_path: the HTML report of the run.
    """

    def __init__(self, message: str, ds: dt.date, failures: Sequence[CheckResult], report_path: str | None):
        super().__init__(message)
        self.ds = ds
        self.failures = tuple(failures)
        self.report_path = report_path


@dataclass(frozen=True)
class AuditResult:
    """The checks of one staged partition and whether they block its publication."""

    staged: Staged
    run_id: str
    checks: tuple[CheckResult, ...]
    report_path: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: utc_now())

    @property
    def blocked(self) -> bool:
        return any(c.blocking for c in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        """Failed critical checks (they block)."""
        return [c for c in self.checks if c.blocking]

    @property
    def warnings(self) -> list[CheckResult]:
        """Failed warning/info checks (recorded, not blocking)."""
        return [c for c in self.checks if c.warned]


@dataclass(frozen=True)
class Checked:
    """The audits of every staged table of one publication, with their one report."""

    ds: dt.date
    run_id: str
    audits: tuple[AuditResult, ...]
    report_path: str
    started_at: dt.datetime

    @property
    def blocked(self) -> bool:
        return any(a.blocked for a in self.audits)

    @property
    def failures(self) -> list[CheckResult]:
        return [c for a in self.audits for c in a.failures]

    def error(self) -> "PublicationBlocked":
        """The exception a blocked publication raises (its message names every failed check)."""
        message = blocked_message(self.ds, self.failures, self.report_path)
        return PublicationBlocked(message, self.ds, self.failures, self.report_path)


def audit(
    spark: SparkSession,
    staged: Staged,
    root: str,
    *,
    run_id: str | None = None,
    context: Mapping[str, DataFrame] | None = None,
) -> AuditResult:
    """Checks a staged partition, records the results in gold.check_results and writes a report.

    Args:
        context: extra inputs of cross-table checks, e.g. ``{"segments": df}`` with
            app_id, segment_id, consent_required (see ``jobs.quality.datasets``).

    Returns:
        the checks; ``blocked`` is true when a critical check failed (``publish`` then refuses).
    """
    run_id = run_id or new_run_id(staged.ds)
    result = _audit(spark, staged, root, run_id, context, load_suites(), load_bounds(), utc_now())
    record_checks(spark, root, result.checks)
    report = write_report(root, staged.ds, run_id, "blocked" if result.blocked else "passed", result.checks)
    log.info("quality report of %s %s: %s", staged.table.name, staged.ds, report)
    return replace(result, report_path=report)


def audit_staged(
    spark: SparkSession,
    staged: Sequence[Staged],
    root: str,
    ds: dt.date,
    *,
    run_id: str | None = None,
    context: Mapping[str, DataFrame] | None = None,
    suites=None,
    bounds=None,
    started: dt.datetime | None = None,
) -> Checked:
    """Audits staged partitions together: one run id, results in gold.check_results, one report."""
    names = [s.table.name for s in staged]
    if len(set(names)) != len(names):
        raise ValueError(f"a table is listed twice: {names}")
    run_id = run_id or new_run_id(ds)
    started = started or utc_now()
    suites = suites if suites is not None else load_suites()
    bounds = bounds if bounds is not None else load_bounds()
    audits = [_audit(spark, s, root, run_id, context, suites, bounds, started) for s in staged]
    checks = [c for a in audits for c in a.checks]
    record_checks(spark, root, checks)
    blocked = any(a.blocked for a in audits)
    report = write_report(root, ds, run_id, "blocked" if blocked else "passed", checks)
    log.info("quality report: %s", report)
    for warning in (c for a in audits for c in a.warnings):
        log.warning("check failed as a warning (published anyway): %s", warning.line())
    return Checked(ds, run_id, tuple(audits), report, started)


def blocked_message(ds: dt.date, failures: Sequence[CheckResult], report_path: str | None) -> str:
    """The message a blocked publication raises (and the Airflow task shows)."""
    lines = [
        f"publication of {ds.isoformat()} blocked by {plural(len(failures), 'failed check')}; "
        "readers keep the previous published ds:",
        *(f"- {f.line()}" for f in failures),
    ]
    if report_path:
        lines.append(f"report: {report_path}")
    return "\n".join(lines)


def _audit(spark, staged: Staged, root: str, run_id: str, context, suites, bounds, started) -> AuditResult:
    rows = read_staged(spark, staged, root)
    checks = check_partition(
        rows, staged.table, root, staged.ds, run_id=run_id, suites=suites, bounds=bounds,
        published=_read_published(spark, staged.table, root), date_column=date_column(staged.table),
        context=context,
    )
    return AuditResult(staged, run_id, tuple(checks), None, started)


def _read_published(spark: SparkSession, table: Table, root: str) -> DataFrame | None:
    path = table.location(root)
    if not DeltaTable.is_deltatable(path, storage_options=storage_options(path)):
        return None
    return spark.read.format("delta").load(path)
