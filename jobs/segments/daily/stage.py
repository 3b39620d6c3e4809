"""Step 4 of the daily job, stage outputs: the change feed (from exactly the staged membership,
against each segment's previous published ds) and the imports' rejected lines."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.publish import Staged, stage
from jobs.segments.daily.evaluate import Evaluated
from jobs.segments.daily.plan import RunPlan
from jobs.segments.daily.read import RunInputs
from jobs.segments.inputs import previous_members
from jobs.segments.outputs import changes
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES


def stage_outputs(spark: SparkSession, root: str, inputs: RunInputs, plan: RunPlan, evaluated: Evaluated
                  ) -> list[Staged]:
    """The staged tables of ds: changes, import failures and the membership (audited together)."""
    ds, history = inputs.ds, inputs.history
    published = plan.published(evaluated.failures)
    # history holds published runs only, so "before" is each segment's previous PUBLISHED ds
    before = {(app, s.id): history[(app, s.id)]["ds"] for app, s in published if (app, s.id) in history}
    # Deleted users never appear in any output: a member deleted since leaves without an `exited` row.
    deleted = (read_table(spark, BRONZE_USERS, root).where((F.col("dt") == F.lit(ds)) & (F.col("user_type") == "deleted"))
               .select("app_id", "uid"))
    earlier = previous_members(spark, root, before).join(deleted, ["app_id", "uid"], "left_anti")
    change_feed = changes(evaluated.written, earlier).withColumn("ds", F.lit(ds))
    if evaluated.import_failures is not None:
        rejected = evaluated.import_failures.select("app_id", "segment_id", "source_file", "line", "value", "reason")
    else:
        rejected = spark.createDataFrame([], GOLD_SEGMENT_IMPORT_FAILURES.schema).drop("ds")
    return [
        stage(change_feed, GOLD_SEGMENT_CHANGES, root, ds),
        stage(rejected.withColumn("ds", F.lit(ds)), GOLD_SEGMENT_IMPORT_FAILURES, root, ds),
        evaluated.members,
    ]
