"""Entered and exited against the published membership: what the segment run of ds would publish as changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments.outputs import changes
from jobs.segments.readers.published import PublishedHistory
from jobs.tables import BRONZE_USERS

Key = tuple[str, str]


@dataclass(frozen=True)
class Change:
    """Members entering and exiting one segment of one app against its baseline.

    Args:
        baseline_ds: the segment's latest published ds before ds (None: never published, all enter).
        published: members on the baseline ds still in the snapshot of ds (deleted users left out).
    """

    baseline_ds: dt.date | None
    published: int
    entered: int
    exited: int


def baselines(history: PublishedHistory, ds: dt.date) -> dict[Key, dict]:
    """(app, segment) -> its latest published run before ds, the baseline the segment job compares with
    (the run catalog as written, as the job reads it)."""
    return history.baselines(ds)


def baseline_members(spark: SparkSession, root: str, ds: dt.date, before: dict[Key, dt.date]) -> DataFrame:
    """Members of each segment on its baseline ds, minus users deleted on ds (they leave without a change row)."""
    from jobs.segments.inputs import previous_members

    deleted = (read_table(spark, BRONZE_USERS, root).where((F.col("dt") == F.lit(ds)) & (F.col("user_type") == "deleted"))
               .select("app_id", "uid"))
    return previous_members(spark, root, before).join(deleted, ["app_id", "uid"], "left_anti")


def compare(spark: SparkSession, root: str, ds: dt.date, current: DataFrame, keys: list[Key],
            history: PublishedHistory | None = None) -> dict[Key, Change]:
    """Entered and exited of each (app, segment) in ``keys`` if ``current`` were published on ds.

    Args:
        current: membership rows of ds (app_id, segment_id, uid, ...); a key absent from it has no members.
        keys: the (app, segment) pairs to compare; a key with no baseline has every member entered.
        history: the run catalog as written, when already read (default: read here).
    """
    history = PublishedHistory.read(root, as_written=True) if history is None else history
    baseline = baselines(history, ds)
    before = {k: baseline[k]["ds"] for k in keys if k in baseline}
    earlier = baseline_members(spark, root, ds, before)
    wanted = spark.createDataFrame(list(keys), "app_id string, segment_id string") if keys else None
    now = current.join(wanted, ["app_id", "segment_id"]) if wanted is not None else current.where(F.lit(False))
    counted = {(r.app_id, r.segment_id, r.change): r["count"]
               for r in changes(now, earlier).groupBy("app_id", "segment_id", "change").count().collect()}
    sizes = {(r.app_id, r.segment_id): r["count"]
             for r in earlier.groupBy("app_id", "segment_id").count().collect()}
    return {k: Change(before.get(k), sizes.get(k, 0), counted.get((*k, "entered"), 0), counted.get((*k, "exited"), 0))
            for k in keys}
