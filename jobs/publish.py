"""Write-audit-publish: a ds partition is written where readers cannot see it, checked, and only
then published, all the tables of a ds together (see ``jobs.visibility`` and docs/quality.md).

- **stage** writes the ds partition into the table's staging twin at ``<root>/_staging/<layer>/<table>``
  (same schema and partitioning; readers never read it) and pins the staging version written.
- **audit** runs the table's checks (``jobs.quality``) on exactly that staging version, appends
  the results to gold.check_results and writes an HTML report.
- **publish** appends the intent to gold.publications (``publishing`` rows), replaces the ds
  partition of each published table with its audited staging version (``replace_partition``: one
  commit each), then appends the ``published`` rows with every table's version in one commit: the
  visibility commit readers follow (``jobs.visibility``). Tables published earlier by another job
  (the labels) are made visible by the same commit (``Pinned``).

A crash before the visibility commit leaves readers on the previous publication of the ds (or
without the ds); ``recover`` (first step of every publishing job) completes an interrupted
publication from its intent, and a re-run publishes again, idempotently (each commit replaces the
ds, never appends). Two runs of one ds at once never duplicate rows: each commit replaces the
whole ds partition, a commit that loses a race is retried, and each run publishes only the staging
version it audited. Blocked data stays in the staging twin for inspection.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.delta_io import CommitConflict, replace_partition
from jobs.quality import CheckResult, check_partition, load_bounds, load_suites, record_checks, write_report
from jobs.quality.render import plural
from jobs.storage import storage_options
from jobs.tables import Table
from jobs.visibility import BLOCKED, PUBLISHED, PUBLISHING, LogRow, append_log
from jobs.visibility import recover as recover_log

log = logging.getLogger(__name__)

STAGING = "_staging"
__all__ = ["CommitConflict"]  # re-exported: callers catch it from here (defined in jobs.delta_io)


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
class Staged:
    """A ds partition written to a table's staging twin, at the staging version that holds it."""

    table: Table
    ds: dt.date
    version: int


@dataclass(frozen=True)
class AuditResult:
    """The checks of one staged partition and whether they block its publication."""

    staged: Staged
    run_id: str
    checks: tuple[CheckResult, ...]
    report_path: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: _now())

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
class Pinned:
    """A table version another job already published that this publication makes visible with
    its own tables (the labels of the ds, read by the segment job at that version)."""

    table: Table
    staged_version: int
    version: int


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


@dataclass(frozen=True)
class PublicationResult:
    """A published ds: its audits, the published table versions and the report."""

    ds: dt.date
    run_id: str
    audits: tuple[AuditResult, ...]
    published_versions: Mapping[str, int]
    report_path: str

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for a in self.audits for c in a.warnings]


def new_run_id(ds: dt.date) -> str:
    """A fresh run id, e.g. ``2026-06-30-1f0c2a9b7d3e``."""
    return f"{ds.isoformat()}-{uuid.uuid4().hex[:12]}"


def staging_root(root: str) -> str:
    """The root under which staging twins live; readers never read below it."""
    return f"{root.rstrip('/')}/{STAGING}"


def date_column(table: Table) -> str:
    """The table's date partition column (``ds``, or ``dt`` for bronze): what one run replaces."""
    types = {f.name: f.dataType for f in table.schema.fields}
    for name in table.partition_by:
        if isinstance(types[name], T.DateType):
            return name
    raise ValueError(f"{table.name} has no date partition column: write-audit-publish replaces one ds partition")


def stage(df: DataFrame, table: Table, root: str, ds: dt.date) -> Staged:
    """Writes ``df`` (rows of ``ds`` only) as the ds partition of the table's staging twin.

    Raises:
        SchemaMismatchError, PartitionMismatchError: see ``jobs.delta_io.replace_partition``.
        CommitConflict: if concurrent runs kept winning the commit.
    """
    partition = {date_column(table): ds}
    replace_partition(df, table, staging_root(root), partition)  # retried by jobs.delta_io.commit
    staged = Staged(table, ds, _version(table.location(staging_root(root))))
    log.info("staged %s %s at staging version %d", table.name, ds, staged.version)
    return staged


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
    result = _audit(spark, staged, root, run_id, context, load_suites(), load_bounds(), _now())
    record_checks(spark, root, result.checks)
    report = write_report(root, staged.ds, run_id, "blocked" if result.blocked else "passed", result.checks)
    log.info("quality report of %s %s: %s", staged.table.name, staged.ds, report)
    return replace(result, report_path=report)


def publish(spark: SparkSession, audited: AuditResult, root: str) -> int:
    """Publishes one audited staged partition (intent, commit, visibility commit).

    Returns:
        the published table's version holding the ds.

    Raises:
        PublicationBlocked: if the audit found a failed critical check (nothing is written).
        CommitConflict: if concurrent runs kept winning the commit.
    """
    checked = Checked(audited.staged.ds, audited.run_id, (audited,), audited.report_path, audited.started_at)
    return publish_checked(spark, root, checked).published_versions[audited.staged.table.name]


def write_audit_publish(
    spark: SparkSession,
    tables_and_frames: Iterable[tuple[Table, DataFrame]],
    root: str,
    ds: dt.date,
    *,
    run_id: str | None = None,
    context: Mapping[str, DataFrame] | None = None,
) -> PublicationResult:
    """Stages every table's ds partition, audits all, then publishes all of them or none.

    Tables are published in the given order, one atomic commit each: list the table readers
    poll first (e.g. membership) last. A crash between two of those commits is repaired by
    re-running the ds.

    Returns:
        what was published, with warnings (failed non-critical checks) and the report path.

    Raises:
        PublicationBlocked: if any critical check failed, with every failure in its message, e.g.
            ``publication of 2026-06-30 blocked by 1 failed check; readers keep the previous published ds:``
            ``- gold.user_labels uid expect_column_values_to_not_be_null: 2 null values, e.g. null (bound: not null)``
            ``report: <root>/reports/quality/2026-06-30/<run_id>.html``
    """
    pairs = list(tables_and_frames)
    names = [t.name for t, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"a table is listed twice: {names}")
    run_id = run_id or new_run_id(ds)
    started = _now()
    suites, bounds = load_suites(), load_bounds()  # a broken suite file fails before anything is written
    staged = [stage(df, table, root, ds) for table, df in pairs]
    return audit_publish(spark, staged, root, ds, run_id=run_id, context=context, suites=suites, bounds=bounds,
                         started=started)


def audit_publish(
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
) -> PublicationResult:
    """The second half of ``write_audit_publish``: audits already staged partitions (one report,
    one run id), then publishes all of them in the given order or none.

    For jobs that need the staged rows before they are published (e.g. the segment job computes
    member counts and the change feed from the staged membership, see ``read_staged``).

    Raises:
        PublicationBlocked: as ``write_audit_publish``.
    """
    return publish_checked(spark, root, audit_staged(spark, staged, root, ds, run_id=run_id, context=context,
                                                     suites=suites, bounds=bounds, started=started))


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
    started = started or _now()
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


def publish_checked(
    spark: SparkSession, root: str, checked: Checked, *, extra: Sequence[Staged] = (), pinned: Sequence[Pinned] = (),
) -> PublicationResult:
    """Publishes the audited tables of ``checked`` and ``extra`` (staged tables without checks of
    their own, e.g. the run catalog) together with ``pinned``: intent, one commit per table, then
    the visibility commit. When ``checked`` is blocked only ``extra`` is published (e.g. the run
    catalog saying ``blocked``), with ``blocked`` rows for the audited tables, then it raises.

    Raises:
        PublicationBlocked: a critical check failed (after recording it).
        CommitConflict: if concurrent runs kept winning a commit.
    """
    audits = {a.staged.table.name: a for a in checked.audits}
    blocked = checked.blocked
    tables = [*(() if blocked else (a.staged for a in checked.audits)), *extra]
    message = checked.error().args[0] if blocked else None

    def row(name, status, staged_version, version, finished, note=None) -> LogRow:
        a = audits.get(name)
        failed, warned = (len(a.failures), len(a.warnings)) if a else (0, 0)
        return LogRow(checked.run_id, name, status, staged_version, version, failed, warned, note,
                      checked.report_path, checked.started_at, finished, checked.ds)

    versions: dict[str, int] = {}
    if tables:
        now = _now()
        append_log(spark, root, [row(s.table.name, PUBLISHING, s.version, None, now) for s in tables]
                   + [row(p.table.name, PUBLISHING, p.staged_version, p.version, now) for p in pinned])
        versions = {s.table.name: _publish(spark, s, root) for s in tables}
    finished = _now()
    final = [row(s.table.name, PUBLISHED, s.version, versions[s.table.name], finished) for s in tables]
    if tables:
        final += [row(p.table.name, PUBLISHED, p.staged_version, p.version, finished) for p in pinned]
    if blocked:
        final += [row(a.staged.table.name, BLOCKED, a.staged.version, None, finished, message) for a in checked.audits]
    append_log(spark, root, final)  # the visibility commit
    if blocked:
        log.error(message)
        raise checked.error()
    names = ", ".join(s.table.name for s in tables)
    log.info("published %s for %s (run %s)", names, checked.ds, checked.run_id)
    return PublicationResult(checked.ds, checked.run_id, checked.audits, versions, checked.report_path)


def recover(spark: SparkSession, root: str) -> list[str]:
    """Completes every publication interrupted between its intent and its visibility commit
    (``jobs.visibility.recover``); the first step of each job that publishes."""
    def republish(table: Table, ds: dt.date, staged_version: int) -> int:
        return _publish(spark, Staged(table, ds, staged_version), root)

    return recover_log(spark, root, republish)


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


def published_dates(table: Table, root: str) -> list[dt.date]:
    """The dates a plain Delta reader sees in the published table (sorted); [] if none yet."""
    path = table.location(root)
    if not DeltaTable.is_deltatable(path, storage_options=storage_options(path)):
        return []
    column = date_column(table)
    data = DeltaTable(path, storage_options=storage_options(path)).to_pyarrow_table(columns=[column])
    return sorted(set(data.column(column).to_pylist()))


# --- internals ---------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _version(path: str) -> int:
    return DeltaTable(path, storage_options=storage_options(path)).version()


def read_staged(spark: SparkSession, staged: Staged, root: str) -> DataFrame:
    """The staged ds partition exactly as it will be audited and published (the pinned version)."""
    return _read_staged(spark, staged, root)


def _read_staged(spark: SparkSession, staged: Staged, root: str) -> DataFrame:
    """The staged ds partition exactly as audited: the pinned staging version."""
    path = staged.table.location(staging_root(root))
    df = spark.read.format("delta").option("versionAsOf", staged.version).load(path)
    return df.where(F.col(date_column(staged.table)) == F.lit(staged.ds))


def _read_published(spark: SparkSession, table: Table, root: str) -> DataFrame | None:
    path = table.location(root)
    if not DeltaTable.is_deltatable(path, storage_options=storage_options(path)):
        return None
    return spark.read.format("delta").load(path)


def _audit(spark, staged: Staged, root: str, run_id: str, context, suites, bounds, started) -> AuditResult:
    rows = _read_staged(spark, staged, root)
    checks = check_partition(
        rows, staged.table, root, staged.ds, run_id=run_id, suites=suites, bounds=bounds,
        published=_read_published(spark, staged.table, root), date_column=date_column(staged.table),
        context=context,
    )
    return AuditResult(staged, run_id, tuple(checks), None, started)


def _publish(spark: SparkSession, staged: Staged, root: str) -> int:
    rows = _read_staged(spark, staged, root)
    partition = {date_column(staged.table): staged.ds}
    replace_partition(rows, staged.table, root, partition)  # retried by jobs.delta_io.commit
    version = _version(staged.table.location(root))
    log.info("published %s %s from staging version %d (table version %d)", staged.table.name, staged.ds,
             staged.version, version)
    return version


