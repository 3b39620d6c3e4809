"""The bronze ingestion job for one feed and date: read -> parse -> dedupe -> write -> reconcile."""

from __future__ import annotations

import datetime
import functools
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.bronze.dedupe import IS_DUPLICATE, mark_duplicates, outcome_counts
from jobs.bronze.events import LATE_DAYS, TsWindow, parse_event, prop_rules
from jobs.bronze.landing import list_landing_files
from jobs.bronze.read import ParseLine, parse_landing
from jobs.bronze.report import IngestReport
from jobs.bronze.shape import accepted_rows, quarantined_rows
from jobs.bronze.users import parse_user
from jobs.catalogs import event_catalog
from jobs.delta_io import ensure_table, read_table, replace_partition
from jobs.tables import (
    BRONZE_EVENTS,
    BRONZE_EVENTS_QUARANTINE,
    BRONZE_USERS,
    BRONZE_USERS_QUARANTINE,
    INGEST_RUNS,
    Table,
)

log = logging.getLogger(__name__)


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
USERS = Feed("users", BRONZE_USERS, BRONZE_USERS_QUARANTINE, ("app_id", "uid"), 0)


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
    files = list_landing_files(root, feed.name, arrival)
    if not files:
        log.warning("%s %s: the landing folder holds no *.jsonl[.gz] file", feed.name, arrival)
    # Three passes use the parse (counts, accepted, quarantine): Spark keeps it; Sail 0.7.2
    # ignores persist (logs "no-op") and parses again, which is correct, only slower.
    parsed = parse_landing(spark, files, parse_line, feed.table).persist()
    try:
        # transform
        marked = mark_duplicates(parsed, feed.keys, _seen_keys(spark, root, feed, arrival))
        expected = _tally(feed.name, arrival, len(files), outcome_counts(marked).collect())
        # write: each table's own dt partition, replaced atomically
        partition = {"dt": arrival}
        replace_partition(accepted_rows(marked, feed.table, arrival), feed.table, root, partition)
        replace_partition(quarantined_rows(parsed, arrival), feed.quarantine, root, partition)
    finally:
        parsed.unpersist()
    # check: the report is what the tables now hold, and it must be what the run computed
    report = _read_back(spark, root, feed, arrival, expected)
    replace_partition(_run_row(spark, report), INGEST_RUNS, root, {"feed": feed.name, "dt": arrival})
    _warn_if_later_dates_hold_keys(spark, root, feed, arrival)
    log.info(
        "ingested %s %s: files=%d lines_read=%d accepted=%d duplicates=%d quarantined=%d by_reason=%s",
        feed.name, arrival, report.files, report.lines_read, report.accepted, report.duplicates,
        report.quarantined, report.reasons_json(),
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


def _tally(feed: str, arrival: datetime.date, files: int, outcomes: list) -> IngestReport:
    """The report the run expects, from ``outcome_counts`` rows."""
    by_reason: dict[str, int] = {}
    accepted = duplicates = 0
    for row in outcomes:
        if row["reason"] is not None:
            by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["lines"]
        elif row[IS_DUPLICATE]:
            duplicates += row["lines"]
        else:
            accepted += row["lines"]
    quarantined = sum(by_reason.values())
    lines = accepted + duplicates + quarantined
    return IngestReport(feed, arrival, files, lines, accepted, duplicates, quarantined, dict(sorted(by_reason.items())))


def _read_back(spark: SparkSession, root: str, feed: Feed, arrival: datetime.date, expected: IngestReport) -> IngestReport:
    """Counts the written partitions; raises ``IngestError`` if they differ from ``expected``."""
    in_partition = F.col("dt") == F.lit(arrival)
    accepted = read_table(spark, feed.table, root).where(in_partition).count()
    reasons = read_table(spark, feed.quarantine, root).where(in_partition).groupBy("reason").count().collect()
    by_reason = dict(sorted((row["reason"], row["count"]) for row in reasons))
    written = IngestReport(
        feed.name, arrival, expected.files, expected.lines_read, accepted, expected.duplicates,
        sum(by_reason.values()), by_reason,
    )
    if written != expected:
        raise IngestError(
            f"{feed.name} {arrival}: the written partitions hold accepted={accepted} quarantined={by_reason}, "
            f"the run computed accepted={expected.accepted} quarantined={expected.quarantined_by_reason}"
        )
    return written


def _run_row(spark: SparkSession, report: IngestReport) -> DataFrame:
    """The report as the (feed, dt) row of bronze.ingest_runs."""
    row = (
        report.feed, report.dt, report.files, report.lines_read, report.accepted, report.duplicates,
        report.quarantined, report.reasons_json(), datetime.datetime.now(datetime.timezone.utc),
    )
    return spark.createDataFrame([row], INGEST_RUNS.schema)
