"""The publications log (gold.publications) as the single visibility point of a ds: its rows, what
readers see through it, and the recovery of a publication interrupted between its commits.

A publication of a ds is (see ``jobs.publish``): one append of ``publishing`` rows (the intent: each
table's audited staging version, and the versions of tables published before and made visible with
it, such as the labels), one commit per table, then one append of ``published`` rows with every
table's version: **the visibility commit**. A reader takes, for a ds, the newest run that published
``gold.segment_runs`` (``VISIBILITY_TABLE``) and reads each table of the ds at the version that run
recorded. Commits made after it (a re-run in progress, a run killed half-way) are not read, so a
reader sees the previous publication of the ds or the new one, whole. ``recover`` (run at the
start of every job that publishes) finishes an interrupted publication from its intent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jobs.storage import storage_options
from jobs.tables import GOLD_PUBLICATIONS, GOLD_SEGMENT_RUNS, Table
from jobs import tables as table_registry

log = logging.getLogger(__name__)

PUBLISHING, PUBLISHED, BLOCKED, ABANDONED = "publishing", "published", "blocked", "abandoned"
VISIBILITY_TABLE = GOLD_SEGMENT_RUNS.name  # a ds is visible once a run published its run catalog


@dataclass(frozen=True)
class LogRow:
    """One gold.publications row (see jobs.tables.GOLD_PUBLICATIONS)."""

    run_id: str
    table_name: str
    status: str
    staged_version: int
    published_version: int | None
    failed_checks: int
    warned_checks: int
    message: str | None
    report_path: str | None
    started_at: dt.datetime
    finished_at: dt.datetime
    ds: dt.date

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, f.name) for f in GOLD_PUBLICATIONS.schema.fields)


# --- pure: what readers see -----------------------------------------------------------------------

def visible_runs(rows: Sequence[LogRow]) -> dict[dt.date, str]:
    """ds -> the run readers follow: the newest (by ``finished_at``, then version) that published
    the run catalog of the ds."""
    best: dict[dt.date, tuple] = {}
    for r in rows:
        if r.table_name == VISIBILITY_TABLE and r.status == PUBLISHED and r.published_version is not None:
            key = (r.finished_at, r.published_version, r.run_id)
            if r.ds not in best or key > best[r.ds]:
                best[r.ds] = key
    return {ds: key[2] for ds, key in best.items()}


def visible_versions(rows: Sequence[LogRow]) -> dict[dt.date, dict[str, int]]:
    """ds -> {table name: the version readers read that ds at}, for every visible ds."""
    runs = visible_runs(rows)
    versions: dict[dt.date, dict[str, int]] = {ds: {} for ds in runs}
    for r in rows:
        if r.status == PUBLISHED and r.published_version is not None and runs.get(r.ds) == r.run_id:
            versions[r.ds][r.table_name] = r.published_version
    return versions


def stale_ds(rows: Sequence[LogRow], table: Table, versions: Mapping[dt.date, Mapping[str, int]]) -> set[dt.date]:
    """The visible ds whose ``table`` partition a run that started after the visible one may have
    committed to since (its intent is logged): read them at their recorded version."""
    runs = visible_runs(rows)
    started = {(r.run_id, r.ds): r.started_at for r in rows}
    return {r.ds for r in rows
            if r.status == PUBLISHING and r.table_name == table.name and r.ds in versions
            and table.name in versions[r.ds] and r.run_id != runs[r.ds]
            and r.started_at >= started[(runs[r.ds], r.ds)]}


def interrupted(rows: Sequence[LogRow]) -> list[list[LogRow]]:
    """The intents (``publishing`` rows of one run and ds) with no ``published`` or ``abandoned``
    row, oldest run first."""
    closed = {(r.run_id, r.ds) for r in rows if r.status in (PUBLISHED, ABANDONED)}
    open_: dict[tuple[str, dt.date], list[LogRow]] = {}
    for r in rows:
        if r.status == PUBLISHING and (r.run_id, r.ds) not in closed:
            open_.setdefault((r.run_id, r.ds), []).append(r)
    return sorted(open_.values(), key=lambda intent: (intent[0].started_at, intent[0].run_id))


def superseded(intent: Sequence[LogRow], rows: Sequence[LogRow]) -> bool:
    """A run of the same ds that started later has published since: replaying would undo it."""
    first = intent[0]
    return any(r.ds == first.ds and r.run_id != first.run_id and r.status == PUBLISHED and r.started_at > first.started_at
               for r in rows)


# --- I/O -------------------------------------------------------------------------------------------

def read_log(root: str, ds: dt.date | None = None) -> list[LogRow]:
    """Every gold.publications row (of one ds), read with delta-rs; [] before the first publication."""
    from deltalake import DeltaTable

    path = GOLD_PUBLICATIONS.location(root)
    if not DeltaTable.is_deltatable(path, storage_options=storage_options(path)):
        return []
    filters = [("ds", "=", ds)] if ds is not None else None
    table = DeltaTable(path, storage_options=storage_options(path)).to_pyarrow_table(filters=filters)
    return [LogRow(**{k: _utc(v) for k, v in row.items()}) for row in table.to_pylist()]


def append_log(spark, root: str, rows: Sequence[LogRow]) -> None:
    """Appends rows to gold.publications in one commit (a blind append: concurrent runs never conflict)."""
    from jobs.delta_io import append_rows  # retried after a commit conflict only (jobs.delta_io.commit)

    if not rows:
        return
    append_rows(spark.createDataFrame([r.as_tuple() for r in rows], GOLD_PUBLICATIONS.schema), GOLD_PUBLICATIONS, root)


def recover(spark, root: str, republish) -> list[str]:
    """Finishes every interrupted publication: republishes each of its tables from the audited
    staging version its intent names (``republish(table, ds, staged_version) -> version``, an
    idempotent replace of the ds), then appends its ``published`` rows. An intent overtaken by a
    later run of the same ds is marked ``abandoned`` instead. Returns the run ids completed.
    """
    rows = read_log(root)
    done = []
    for intent in interrupted(rows):
        first = intent[0]
        now = dt.datetime.now(dt.timezone.utc)
        if superseded(intent, rows):
            log.warning("publication %s of %s was interrupted and a later run published since: abandoned",
                        first.run_id, first.ds)
            append_log(spark, root, [_closed(r, ABANDONED, r.published_version, now) for r in intent])
            continue
        log.warning("publication %s of %s was interrupted after its intent: completing it", first.run_id, first.ds)
        finished = []
        for r in intent:
            version = r.published_version
            if version is None:
                version = republish(table_named(r.table_name), r.ds, r.staged_version)
            finished.append(_closed(r, PUBLISHED, version, now))
        append_log(spark, root, finished)
        rows += finished
        done.append(first.run_id)
    return done


def table_named(name: str) -> Table:
    """The declared table of that name (jobs.tables)."""
    for value in vars(table_registry).values():
        if isinstance(value, Table) and value.name == name:
            return value
    raise KeyError(f"no declared table {name}")


def pinned_version(root: str, table: Table, ds: dt.date) -> tuple[int, int] | None:
    """(staged version, published version) of the newest ``published`` row of ``table`` for ``ds``."""
    rows = [r for r in read_log(root, ds) if r.table_name == table.name and r.status == PUBLISHED
            and r.published_version is not None]
    if not rows:
        return None
    newest = max(rows, key=lambda r: (r.finished_at, r.published_version))
    return newest.staged_version, newest.published_version


def _closed(r: LogRow, status: str, version: int | None, finished: dt.datetime) -> LogRow:
    return LogRow(r.run_id, r.table_name, status, r.staged_version, version, r.failed_checks, r.warned_checks,
                  r.message, r.report_path, r.started_at, finished, r.ds)


def _utc(value):
    """Timestamps as UTC-aware datetimes (delta-rs may give them naive, in UTC)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    return value


def versions_of(rows: Mapping[dt.date, Mapping[str, int]], ds: dt.date, table: Table) -> int | None:
    """The version readers read ``table`` of ``ds`` at, or None (the ds is not visible)."""
    return rows.get(ds, {}).get(table.name)
