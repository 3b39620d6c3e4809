"""Segment lifecycle: a definition removed from the folder is retired; putting it back revives it.

The run catalog carries the state: the first ds without the definition gets a ``retired`` run row
(no membership, no change rows), later ds get no row at all, and readers that follow the catalog
treat a segment whose latest run is ``retired`` as gone. A revived segment starts afresh: a
``once`` segment is evaluated again and its change feed starts with every member ``entered``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments.outputs import RETIRED, RETIRED_REASON, RunRecord, RunTime, Subject
from jobs.tables import GOLD_SEGMENT_RUNS

def latest_runs(spark: SparkSession, root: str, ds: dt.date) -> dict[tuple[str, str], dict]:
    """(app_id, segment_id) -> its latest run row before ds, whatever its status."""
    runs = read_table(spark, GOLD_SEGMENT_RUNS, root).where(F.col("ds") < F.lit(ds))
    latest = F.row_number().over(Window.partitionBy("app_id", "segment_id").orderBy(F.col("ds").desc()))
    rows = runs.withColumn("_n", latest).where(F.col("_n") == 1).drop("_n").collect()
    return {(r.app_id, r.segment_id): r.asDict() for r in rows}


def retired_keys(latest: dict[tuple[str, str], dict]) -> set[tuple[str, str]]:
    """Segments retired as of ds: their latest earlier run is ``retired``."""
    return {key for key, row in latest.items() if row["status"] == RETIRED}


def retired_records(latest: dict[tuple[str, str], dict], present: Iterable[tuple[str, str]],
                    started: dt.datetime, finished: dt.datetime, ds: dt.date) -> list[RunRecord]:
    """A ``retired`` run for every segment seen before ds, not yet retired, that has no run today
    (its definition is gone from the folder)."""
    here = set(present)
    time = RunTime(started, finished, ds)
    return [RunRecord.retired(app, Subject(sid, row["name"], row["kind"], row["refresh"], row["definition_hash"],
                                           row["source_file"]), time, reason=RETIRED_REASON)
            for (app, sid), row in sorted(latest.items()) if row["status"] != RETIRED and (app, sid) not in here]
