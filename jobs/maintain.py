"""Delta maintenance with delta-rs: compaction, vacuum, staging clean-up, checkpoints, properties.

The embedded engine supports neither ``OPTIMIZE`` nor ``VACUUM`` (ENGINEERING.md); delta-rs does
both on the tables it writes. Every table of the registry is visited, published and staging twin.
Published tables keep removed files for ``retention_hours`` (default 7 days = their
``delta.deletedFileRetentionDuration``): a reader in the middle of a read, and time travel to any
version of the last 7 days, still find their files. Tables that readers read at the versions
gold.publications records (labels, segment outputs) are not compacted and keep their whole log. docs/maintenance.md says why each number.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from deltalake import DeltaTable
from pyarrow import fs as pafs

from jobs.delta_io import delta_rs_commit_properties
from jobs.storage import filesystem, storage_options
from jobs.tables import Table

log = logging.getLogger(__name__)

RETENTION_HOURS = 168  # = delta.deletedFileRetentionDuration below
STAGING_RETENTION_HOURS = 24  # a run reads its pinned staging version within minutes
STAGING_KEEP_DAYS = 7  # staged (e.g. blocked) partitions kept for inspection, before the newest staged ds

# Set on every table maintain visits (each change is one metadata commit, so only when different).
TABLE_PROPERTIES = {
    "delta.checkpointInterval": "10",  # a reader replays at most 10 JSON commits after a checkpoint
    "delta.logRetentionDuration": "interval 30 days",  # time travel by version/timestamp: 30 days of log
    "delta.deletedFileRetentionDuration": "interval 7 days",  # what vacuum keeps by default
}


@dataclass(frozen=True)
class Maintained:
    """What maintenance did to one table (sizes count every file under the table's folder)."""

    table: str
    location: str
    files_before: int
    bytes_before: int
    files_after: int
    bytes_after: int
    compacted: int  # data files rewritten into fewer
    vacuumed: int  # unreferenced files deleted
    staging_dates_removed: int

    def line(self) -> str:
        return (f"{self.table:<44} {self.files_before:>6} -> {self.files_after:<6} files "
                f"{_mib(self.bytes_before):>9} -> {_mib(self.bytes_after):<9} "
                f"(compacted {self.compacted}, vacuumed {self.vacuumed}"
                + (f", staged dates removed {self.staging_dates_removed}" if self.staging_dates_removed else "") + ")")


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"


def folder_size(location: str) -> tuple[int, int]:
    """(files, bytes) under a table's folder, the log included."""
    fs, path = filesystem(location)
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    files = [i for i in infos if i.type == pafs.FileType.File]
    return len(files), sum(i.size or 0 for i in files)


def ensure_properties(delta: DeltaTable) -> bool:
    """Sets ``TABLE_PROPERTIES`` where a table lacks them; True if a commit was made."""
    current = delta.metadata().configuration
    missing = {k: v for k, v in TABLE_PROPERTIES.items() if current.get(k) != v}
    if missing:
        delta.alter.set_table_properties(missing, raise_if_not_exists=False,
                                         commit_properties=delta_rs_commit_properties())
    return bool(missing)


def drop_old_staging(delta: DeltaTable, date_column: str, keep_days: int) -> int:
    """Deletes staged partitions older than ``keep_days`` before the newest staged date; returns
    how many dates were removed (their data was published, or blocked long enough ago)."""
    dates = sorted(set(delta.to_pyarrow_table(columns=[date_column]).column(date_column).to_pylist()))
    if not dates:
        return 0
    cutoff = dates[-1] - dt.timedelta(days=keep_days)
    old = [d for d in dates if d < cutoff]
    if old:
        # The predicate is built from a date the table itself holds, never from user input.
        delta.delete(f"{date_column} < '{cutoff.isoformat()}'", commit_properties=delta_rs_commit_properties())
    return len(old)


def maintain_table(table: Table, location: str, *, staging: bool, retention_hours: float,
                   staging_keep_days: int = STAGING_KEEP_DAYS, pinned: bool = False) -> Maintained | None:
    """Maintains one Delta table; ``None`` if it does not exist (never written yet).

    Args:
        pinned: readers read this table at the versions gold.publications records (the reader
            contract): it is vacuumed and checkpointed but neither compacted (which would remove
            the files of those versions) nor cut in its log (which would make them unloadable).
    """
    from jobs.publish import date_column

    options = storage_options(location)
    if not DeltaTable.is_deltatable(location, storage_options=options):
        return None
    files_before, bytes_before = folder_size(location)
    delta = DeltaTable(location, storage_options=options)
    ensure_properties(delta)
    removed = 0
    if staging:
        removed = drop_old_staging(delta, date_column(table), staging_keep_days)
    metrics = {} if pinned else delta.optimize.compact(commit_properties=delta_rs_commit_properties())
    vacuumed = delta.vacuum(retention_hours=int(retention_hours), enforce_retention_duration=False, dry_run=False,
                            commit_properties=delta_rs_commit_properties())
    delta.create_checkpoint()
    if not pinned:
        delta.cleanup_metadata()
    files_after, bytes_after = folder_size(location)
    return Maintained(table.name + (" (staging)" if staging else ""), location, files_before, bytes_before,
                      files_after, bytes_after, int(metrics.get("numFilesRemoved", 0)), len(vacuumed), removed)


def every_table() -> tuple[Table, ...]:
    """Every table of the registry (bronze, silver, gold, quality), once each."""
    from jobs import tables

    listed = (*tables.ALL_TABLES, *tables.SILVER_TABLES, tables.GOLD_USER_LABELS, *tables.SEGMENT_TABLES,
              *tables.QUALITY_TABLES)
    return tuple({t.name: t for t in listed}.values())


def maintain(root: str, *, retention_hours: float = RETENTION_HOURS,
             staging_retention_hours: float = STAGING_RETENTION_HOURS,
             staging_keep_days: int = STAGING_KEEP_DAYS) -> list[Maintained]:
    """Maintains every table under ``root`` and its staging twin (where one was written).

    Run it when no pipeline run writes (the weekly DAG waits for the daily one): compaction and
    vacuum are commits too, and a daily commit that loses the race to them is retried; these
    commits retry a lost race within the same limit (``jobs.delta_io.delta_rs_commit_properties``).

    Args:
        retention_hours: files removed from published tables more than this long ago are deleted.
        staging_retention_hours: the same for staging twins (only running jobs read those).
        staging_keep_days: staged partitions kept before the newest staged date.
    """
    from jobs.publish import staging_root
    from jobs.visibility import read_log

    pinned = {r.table_name for r in read_log(root)}
    done = []
    for table in every_table():
        visits = [(table.location(root), False, retention_hours)]
        if any(f.dataType.simpleString() == "date" for f in table.schema.fields if f.name in table.partition_by):
            visits.append((table.location(staging_root(root)), True, staging_retention_hours))
        for location, staging, hours in visits:
            result = maintain_table(table, location, staging=staging, retention_hours=hours,
                                    staging_keep_days=staging_keep_days,
                                    pinned=not staging and table.name in pinned)
            if result is not None:
                log.info("maintained %s", result.line())
                done.append(result)
    return done
