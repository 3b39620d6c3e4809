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

The steps live in their own modules: ``staging`` (stage, read back at the staged version), ``gates``
(audit: the checks and whether they block); this module is the atomic publication that ties them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from jobs.delta_io import CommitConflict, replace_partition
from jobs.publish.gates import (
    AuditResult, Checked, PublicationBlocked, audit, audit_staged, blocked_message, new_run_id, utc_now,
)
from jobs.publish.staging import STAGING, Staged, date_column, read_staged, stage, staging_root, table_version
from jobs.quality import CheckResult, load_bounds, load_suites
from jobs.storage import storage_options
from jobs.tables import Table
from jobs.visibility import BLOCKED, PUBLISHED, PUBLISHING, LogRow, append_log
from jobs.visibility import recover as recover_log

log = logging.getLogger(__name__)

__all__ = [  # CommitConflict is defined in jobs.delta_io: callers catch it from here
    "STAGING", "AuditResult", "Checked", "CommitConflict", "Pinned", "PublicationBlocked", "PublicationResult",
    "Staged", "audit", "audit_publish", "audit_staged", "blocked_message", "date_column", "new_run_id", "publish",
    "publish_checked", "published_dates", "read_staged", "recover", "stage", "staging_root", "write_audit_publish",
]


@dataclass(frozen=True)
class Pinned:
    """A table version another job already published that this publication makes visible with
    its own tables (the labels of the ds, read by the segment job at that version)."""

    table: Table
    staged_version: int
    version: int


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
    started = utc_now()
    suites, bounds = load_suites(), load_bounds()  # a broken suite file fails before anything is written
    staged = [stage(df, table, root, ds) for table, df in pairs]
    return audit_publish(spark, staged, root, ds, run_id=run_id, context=context, suites=suites, bounds=bounds,
                         started=started)


def audit_publish(
    spark: SparkSession, staged: Sequence[Staged], root: str, ds: dt.date, **options,
) -> PublicationResult:
    """The second half of ``write_audit_publish``: audits already staged partitions (one report,
    one run id), then publishes all of them in the given order or none.

    For jobs that need the staged rows before they are published (e.g. the segment job computes
    member counts and the change feed from the staged membership, see ``read_staged``).

    Args:
        options: those of ``audit_staged`` (run_id, context, suites, bounds, started).

    Raises:
        PublicationBlocked: as ``write_audit_publish``.
    """
    return publish_checked(spark, root, audit_staged(spark, staged, root, ds, **options))


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
        now = utc_now()
        append_log(spark, root, [row(s.table.name, PUBLISHING, s.version, None, now) for s in tables]
                   + [row(p.table.name, PUBLISHING, p.staged_version, p.version, now) for p in pinned])
        versions = {s.table.name: _publish(spark, s, root) for s in tables}
    finished = utc_now()
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


def published_dates(table: Table, root: str) -> list[dt.date]:
    """The dates a plain Delta reader sees in the published table (sorted); [] if none yet."""
    path = table.location(root)
    if not DeltaTable.is_deltatable(path, storage_options=storage_options(path)):
        return []
    column = date_column(table)
    data = DeltaTable(path, storage_options=storage_options(path)).to_pyarrow_table(columns=[column])
    return sorted(set(data.column(column).to_pylist()))


def _publish(spark: SparkSession, staged: Staged, root: str) -> int:
    """Replaces the ds partition of the published table with the staged rows; the table version written.

    It stays in this module: tests replace ``jobs.publish._publish`` to crash between two commits."""
    rows = read_staged(spark, staged, root)
    partition = {date_column(staged.table): staged.ds}
    replace_partition(rows, staged.table, root, partition)  # retried by jobs.delta_io.commit
    version = table_version(staged.table.location(root))
    log.info("published %s %s from staging version %d (table version %d)", staged.table.name, staged.ds,
             staged.version, version)
    return version
