"""The bronze ingestion job for one feed and date: read -> parse -> dedupe -> write -> reconcile."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.bronze.dedupe import IS_DUPLICATE, mark_duplicates, outcome_counts
from jobs.bronze.events import TsWindow, parse_event, prop_rules
from jobs.bronze.landing import LandingFolder, landing_folder
from jobs.bronze.read import FILE_FAILURE, ParseLine, parse_landing
from jobs.bronze.report import FAILED, READ, SKIPPED, FileOutcome, IngestReport, canonical_json
from jobs.bronze.shape import accepted_rows, quarantined_rows
from jobs.bronze.staging import staged
from jobs.bronze.upgrade import add_missing_columns
from jobs.bronze.users import parse_user
from jobs.catalogs import event_catalog
from jobs.contract import LATE_DAYS, USER_KEY
from jobs.delta_io import ensure_table, read_table, replace_partition
from jobs.tables import (
    BRONZE_EVENTS,
    BRONZE_EVENTS_QUARANTINE,
    BRONZE_USERS,
    BRONZE_USERS_QUARANTINE,
    INGEST_FILES,
    INGEST_RUNS,
    Table,
)

log = logging.getLogger(__name__)
_COUNTS = ("lines_read", "accepted", "duplicates", "quarantined")


class IngestError(RuntimeError):
    """The written partitions do not hold what the run computed (nothing may be lost silently)."""


@dataclass(frozen=True)
class Feed:
    """A landing feed and where its lines go."""

    name: str
    table: Table
    quarantine: Table
    keys: tuple[str, ...]
    lookback_days: int  # earlier arrival dates whose keys count as already seen


EVENTS = Feed("events", BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, ("event_id",), LATE_DAYS)
USERS = Feed("users", BRONZE_USERS, BRONZE_USERS_QUARANTINE, USER_KEY, 0)


def ingest_events(spark: SparkSession, root: str, dt: datetime.date) -> IngestReport:
    """Ingests ``<root>/landing/events/dt=<dt>`` into bronze.events and its quarantine.

    Raises:
        FileNotFoundError: if the landing folder of ``dt`` does not exist.
        IngestError: if the written partitions do not reconcile with the lines read.
    """
    parse_line = functools.partial(parse_event, window=TsWindow.for_arrival(dt), rules=prop_rules(event_catalog()))
    return _ingest(spark, root, dt, EVENTS, parse_line)


def ingest_users(spark: SparkSession, root: str, dt: datetime.date) -> IngestReport:
    """Ingests the user snapshot ``<root>/landing/users/dt=<dt>`` into bronze.users and its quarantine.

    Raises:
        FileNotFoundError: if the landing folder of ``dt`` does not exist.
        IngestError: if the written partitions do not reconcile with the lines read.
    """
    return _ingest(spark, root, dt, USERS, parse_user)


def ingest_date(spark: SparkSession, root: str, dt: datetime.date) -> list[IngestReport]:
    """Ingests both feeds of one date, users first, then events."""
    return [ingest_users(spark, root, dt), ingest_events(spark, root, dt)]


def _ingest(spark: SparkSession, root: str, arrival: datetime.date, feed: Feed, parse_line: ParseLine) -> IngestReport:
    # read: the file list is fixed here, so every pass below sees the same lines
    folder = landing_folder(root, feed.name, arrival)
    if not folder.files:
        log.warning("%s %s: the landing folder holds no *.jsonl[.gz] file", feed.name, arrival)
    # parse once: the lines are parsed and their duplicates marked in one pass written to
    # staging; the counts and both writes read that (docs/ingestion.md, "How it runs")
    parsed = parse_landing(spark, folder.files, parse_line, feed.table)
    marked = mark_duplicates(parsed, feed.keys, _seen_keys(spark, root, feed, arrival))
    with staged(spark, marked, root, feed.name, arrival) as lines:
        expected = tally(feed.name, arrival, folder, outcome_counts(lines).collect())
        # write: each table's own dt partition, replaced atomically
        partition = {"dt": arrival}
        replace_partition(accepted_rows(lines, feed.table, arrival), feed.table, root, partition)
        replace_partition(quarantined_rows(lines, arrival), feed.quarantine, root, partition)
    # check: the report is what the tables now hold, and it must be what the run computed
    report = _read_back(spark, root, feed, arrival, expected)
    run = {"feed": feed.name, "dt": arrival}
    finished = datetime.datetime.now(datetime.timezone.utc)
    replace_partition(_file_rows(spark, report, finished), INGEST_FILES, root, run)
    add_missing_columns(spark, INGEST_RUNS, root)  # one commit, retried (jobs.delta_io.commit)
    replace_partition(_run_row(spark, report, finished), INGEST_RUNS, root, run)
    _warn_if_later_dates_hold_keys(spark, root, feed, arrival)
    for name, why in report.failed_files.items():
        log.warning("%s %s: failed file %s (%s); its lines before the failure are ingested", feed.name, arrival, name, why)
    log.info(
        "ingested %s %s: files=%d failed=%d skipped=%d lines_read=%d accepted=%d duplicates=%d quarantined=%d "
        "by_reason=%s",
        feed.name, arrival, report.files, len(report.failed_files), len(report.skipped_files), report.lines_read,
        report.accepted, report.duplicates, report.quarantined, report.reasons_json(),
    )
    return report


def _seen_keys(spark: SparkSession, root: str, feed: Feed, arrival: datetime.date) -> DataFrame | None:
    """Keys in bronze for the ``lookback_days`` arrival dates before ``arrival`` (partition-pruned)."""
    if not feed.lookback_days:
        return None
    ensure_table(spark, feed.table, root)
    first = arrival - datetime.timedelta(days=feed.lookback_days)
    last = arrival - datetime.timedelta(days=1)
    return read_table(spark, feed.table, root).where(F.col("dt").between(F.lit(first), F.lit(last))).select(*feed.keys)


def _warn_if_later_dates_hold_keys(spark: SparkSession, root: str, feed: Feed, arrival: datetime.date) -> None:
    """Warns when dates after ``arrival`` already hold keys accepted now (they were ingested first).

    Dedup keeps the earliest arrival, so dates must be ingested in order; a date re-run out of
    order (or with new files) can accept a key a later date also holds. Those later dates must
    then be re-ingested, in order, to drop their copy.
    """
    if not feed.lookback_days:
        return
    last = arrival + datetime.timedelta(days=feed.lookback_days)
    events = read_table(spark, feed.table, root)
    now = events.where(F.col("dt") == F.lit(arrival)).select(*feed.keys)
    later = events.where((F.col("dt") > F.lit(arrival)) & (F.col("dt") <= F.lit(last))).select(*feed.keys, "dt")
    dates = sorted(row["dt"] for row in now.join(later, on=list(feed.keys)).select("dt").distinct().collect())
    if dates:
        log.warning(
            "%s %s: records accepted now are also in bronze for %s (ingested before this date): "
            "re-ingest those dates in date order to drop their copies",
            feed.name, arrival, ", ".join(map(str, dates)),
        )


def tally(feed: str, arrival: datetime.date, folder: LandingFolder, outcomes: list) -> IngestReport:
    """The report the run expects, from ``outcome_counts`` rows and the folder's listing."""
    counts = {f.source_file: dict.fromkeys(_COUNTS, 0) for f in folder.files}
    by_file_reason: dict[str, dict[str, int]] = {name: {} for name in counts}
    failures: dict[str, tuple[str, str]] = {}
    for row in outcomes:
        name = row["source_file"]
        if row[FILE_FAILURE] is not None:
            failures[name] = (row[FILE_FAILURE], row["detail"])
            continue
        bucket = "quarantined" if row["reason"] is not None else "duplicates" if row[IS_DUPLICATE] else "accepted"
        counts[name][bucket] += row["lines"]
        counts[name]["lines_read"] += row["lines"]
        if row["reason"] is not None:
            reasons = by_file_reason[name]
            reasons[row["reason"]] = reasons.get(row["reason"], 0) + row["lines"]
    outcomes_by_file = []
    for name, c in counts.items():
        reason, detail = failures.get(name, (None, None))
        outcomes_by_file.append(FileOutcome(name, FAILED if reason else READ, **c, reason=reason, detail=detail))
    outcomes_by_file += [FileOutcome(s.source_file, SKIPPED, reason=s.reason) for s in folder.skipped]
    by_reason: dict[str, int] = {}
    for reasons in by_file_reason.values():
        for reason, lines in reasons.items():
            by_reason[reason] = by_reason.get(reason, 0) + lines
    totals = {key: sum(c[key] for c in counts.values()) for key in _COUNTS}
    return IngestReport(
        feed, arrival, len(folder.files), totals["lines_read"], totals["accepted"], totals["duplicates"],
        totals["quarantined"], dict(sorted(by_reason.items())),
        failed_files={name: f"{reason}: {detail}" for name, (reason, detail) in sorted(failures.items())},
        skipped_files={s.source_file: s.reason for s in folder.skipped},
        file_outcomes=tuple(sorted(outcomes_by_file, key=lambda o: o.source_file)),
    )


def _read_back(spark: SparkSession, root: str, feed: Feed, arrival: datetime.date, expected: IngestReport) -> IngestReport:
    """Counts the written partitions, per file; raises ``IngestError`` if they differ from ``expected``."""
    in_partition = F.col("dt") == F.lit(arrival)
    accepted = dict(
        (row["source_file"], row["count"])
        for row in read_table(spark, feed.table, root).where(in_partition).groupBy("source_file").count().collect()
    )
    quarantine = read_table(spark, feed.quarantine, root).where(in_partition)
    pairs = quarantine.groupBy("source_file", "reason").count().collect()
    by_reason: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    for row in pairs:
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["count"]
        quarantined[row["source_file"]] = quarantined.get(row["source_file"], 0) + row["count"]
    outcomes = tuple(
        dataclasses.replace(o, accepted=accepted.get(o.source_file, 0), quarantined=quarantined.get(o.source_file, 0))
        if o.status != SKIPPED else o
        for o in expected.file_outcomes
    )  # fmt: skip
    written = dataclasses.replace(
        expected, accepted=sum(accepted.values()), quarantined=sum(by_reason.values()),
        quarantined_by_reason=dict(sorted(by_reason.items())), file_outcomes=outcomes,
    )
    stray = (set(accepted) | set(quarantined)) - {o.source_file for o in outcomes}
    if written != expected or outcomes != expected.file_outcomes or stray:
        raise IngestError(
            f"{feed.name} {arrival}: the written partitions hold accepted={written.accepted} "
            f"quarantined={written.quarantined_by_reason}, the run computed accepted={expected.accepted} "
            f"quarantined={expected.quarantined_by_reason}"
            + ("" if written != expected else " (the counts per file differ)")
        )
    return written


def _run_row(spark: SparkSession, report: IngestReport, finished: datetime.datetime) -> DataFrame:
    """The report as the (feed, dt) row of bronze.ingest_runs."""
    row = (
        report.feed, report.dt, report.files, report.lines_read, report.accepted, report.duplicates,
        report.quarantined, report.reasons_json(), finished, len(report.failed_files), len(report.skipped_files),
        canonical_json(report.failed_files), canonical_json(report.skipped_files),
    )  # fmt: skip
    return spark.createDataFrame([row], INGEST_RUNS.schema)


def _file_rows(spark: SparkSession, report: IngestReport, finished: datetime.datetime) -> DataFrame:
    """One bronze.ingest_files row per landing file of the run (read, failed or skipped)."""
    rows = [
        (report.feed, report.dt, o.source_file, o.status, o.lines_read, o.accepted, o.duplicates, o.quarantined,
         o.reason, o.detail, finished)
        for o in report.file_outcomes
    ]  # fmt: skip
    return spark.createDataFrame(rows, INGEST_FILES.schema)
