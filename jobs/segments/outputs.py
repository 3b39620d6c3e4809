"""Run records and the change feed of segment memberships; writes of the gold segment tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass, fields

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.tables import GOLD_SEGMENT_RUNS

PUBLISHED, FAILED, BLOCKED, RETIRED = "published", "failed", "blocked", "retired"
RETIRED_REASON = "definition removed from the definitions folder"


@dataclass(frozen=True)
class Subject:
    """What a run is about: one segment as defined (or as last seen, for a retired one)."""

    segment_id: str
    name: str | None
    kind: str
    refresh: str
    definition_hash: str | None
    source_file: str | None

    @classmethod
    def of(cls, segment) -> Subject:
        """The subject of a built segment (``language.model.Segment``)."""
        return cls(segment.id, segment.name, segment.kind, segment.refresh, segment.definition_hash, segment.file)


@dataclass(frozen=True)
class RunTime:
    """When a run happened: its start and end, and the ds it is for."""

    started_at: dt.datetime
    finished_at: dt.datetime
    ds: dt.date


@dataclass(frozen=True)
class RunRecord:
    """One segment's run for one ds and app: a row of ``gold.segment_runs``."""

    app_id: str
    segment_id: str
    name: str | None
    kind: str
    refresh: str
    definition_hash: str | None
    evaluated_ds: dt.date | None
    member_count: int | None
    status: str
    reason: str | None
    source_file: str | None
    started_at: dt.datetime
    finished_at: dt.datetime
    ds: dt.date
    report_path: str | None = None  # quality report of the run's audit (not a column of the table)

    # Runs are built by name (one constructor per status), never field by field.

    @classmethod
    def _of(cls, app_id: str, subject: Subject, time: RunTime, status: str, *, evaluated_ds: dt.date | None = None,
            member_count: int | None = None, reason: str | None = None, report_path: str | None = None) -> RunRecord:
        return cls(app_id=app_id, segment_id=subject.segment_id, name=subject.name, kind=subject.kind,
                   refresh=subject.refresh, definition_hash=subject.definition_hash, evaluated_ds=evaluated_ds,
                   member_count=member_count, status=status, reason=reason, source_file=subject.source_file,
                   started_at=time.started_at, finished_at=time.finished_at, ds=time.ds, report_path=report_path)

    @classmethod
    def published(cls, app_id: str, subject: Subject, time: RunTime, *, evaluated_ds: dt.date, member_count: int,
                  report_path: str | None) -> RunRecord:
        """Published with its members (``evaluated_ds`` earlier than ds for a kept ``once`` segment)."""
        return cls._of(app_id, subject, time, PUBLISHED, evaluated_ds=evaluated_ds, member_count=member_count,
                       report_path=report_path)

    @classmethod
    def failed(cls, app_id: str, subject: Subject, time: RunTime, *, reason: str) -> RunRecord:
        """Not evaluated or not published because of its definition, its import or a dependency."""
        return cls._of(app_id, subject, time, FAILED, reason=reason)

    @classmethod
    def blocked(cls, app_id: str, subject: Subject, time: RunTime, *, reason: str, report_path: str | None
                ) -> RunRecord:
        """Evaluated, but a critical check blocked the publication of the whole ds."""
        return cls._of(app_id, subject, time, BLOCKED, reason=reason, report_path=report_path)

    @classmethod
    def retired(cls, app_id: str, subject: Subject, time: RunTime, *, reason: str = RETIRED_REASON) -> RunRecord:
        """An earlier segment whose definition is gone from the folder."""
        return cls._of(app_id, subject, time, RETIRED, reason=reason)


def runs_frame(spark: SparkSession, records: list[RunRecord]) -> DataFrame:
    """The run records as a DataFrame with the declared schema of ``gold.segment_runs``."""
    names = [f.name for f in fields(RunRecord)]
    schema = GOLD_SEGMENT_RUNS.schema
    ordered = [tuple(dict(zip(names, astuple(r)))[f.name] for f in schema.fields) for r in records]
    return spark.createDataFrame(ordered, schema)


def changes(current: DataFrame, previous: DataFrame) -> DataFrame:
    """Who entered and who exited each segment.

    Args:
        current: members of ds (app_id, segment_id, uid) of the published segments.
        previous: members on the previous published ds of each segment published today (same
            columns; a failed segment must be left out: its members did not change). A segment
            absent from it has every current member entered.

    Returns:
        (app_id, segment_id, uid, change) with change ``entered`` or ``exited``; external email
        members (uid null) are not in the feed.
    """
    keys = ["app_id", "segment_id", "uid"]
    now = current.where(F.col("uid").isNotNull()).select(*keys, F.lit(1).alias("_now"), F.lit(0).alias("_before"))
    before = previous.where(F.col("uid").isNotNull()).select(*keys, F.lit(0).alias("_now"), F.lit(1).alias("_before"))
    # One grouping of both days (a repeated member counts once): a member of one side only changed.
    seen = now.unionByName(before).groupBy(*keys).agg(F.max("_now").alias("_now"), F.max("_before").alias("_before"))
    # The shuffle keeps the uid filter ahead of the table's NOT NULL check: without it the embedded
    # engine (Sail 0.7.2) evaluates the check on rows the filter removes.
    return (seen.where(F.col("_now") != F.col("_before"))
            .select(*keys, F.when(F.col("_now") == 1, F.lit("entered")).otherwise(F.lit("exited")).alias("change"))
            .repartition("app_id", "segment_id"))

