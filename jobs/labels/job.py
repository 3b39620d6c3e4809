"""Label entry points: read the snapshot and compact silver state, build, check, write gold."""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import ensure_table, read_table
from jobs.labels.build import user_labels
from jobs.labels.checks import LabelCheckError, label_problems
from jobs.labels.country import country_lookup
from jobs.labels.windows import MAX_WINDOW_DAYS, in_window, window_events
from jobs.publish import PublicationResult, audit_publish, new_run_id, read_staged, recover, stage
from jobs.publish.gates import utc_now
from jobs.quality import load_bounds, load_suites
from jobs.silver.job import alltime_at, rebuild_silver
from jobs.tables import (
    BRONZE_USERS,
    GOLD_USER_LABELS,
    SILVER_USER_DAILY_ACTIVITY,
    SILVER_USER_DAILY_EVENTS,
    SILVER_USER_DAILY_PLATFORMS,
)

log = logging.getLogger(__name__)

class MissingSnapshotError(RuntimeError):
    """There is no user snapshot for the run date."""


def build_labels(spark: SparkSession, root: str, ds: dt.date) -> PublicationResult:
    """Publishes the ``ds`` partition of gold.user_labels from the ds snapshot and silver (built for ds),
    through write-audit-publish (``jobs.publish``): staged, audited with ``expectations/user_labels.yml``
    and the size bounds, then published.

    Returns:
        the publication (report path, warnings).

    Raises:
        MissingSnapshotError: no bronze.users snapshot for ``ds``.
        LabelCheckError: the computed table breaks an invariant (it stays in staging, unpublished).
        PublicationBlocked: a critical check of the staged partition failed (nothing is published;
            readers keep the previous published ds).
    """
    recover(spark, root)  # complete a publication interrupted earlier before publishing anew
    users = read_table(spark, BRONZE_USERS, root).where(F.col("dt") == F.lit(ds))
    if not users.limit(1).collect():
        raise MissingSnapshotError(f"no bronze.users snapshot for {ds}: ingest it before building labels")
    for table in (SILVER_USER_DAILY_EVENTS, SILVER_USER_DAILY_ACTIVITY, SILVER_USER_DAILY_PLATFORMS):
        ensure_table(spark, table, root)

    def window(table):
        return read_table(spark, table, root).where(in_window(ds, MAX_WINDOW_DAYS))

    daily = window(SILVER_USER_DAILY_EVENTS).where(F.col("event").isin(list(window_events())))
    labels = user_labels(
        users,
        daily,
        window(SILVER_USER_DAILY_ACTIVITY),
        window(SILVER_USER_DAILY_PLATFORMS),
        alltime_at(spark, root, ds),
        country_lookup(spark),
        ds,
    )
    # Write-audit-publish, the label plan computed once (the embedded engine has no cache): the
    # rows are staged, the invariants checked on the staged rows (a broken table is never
    # published), then audited with the user_labels suite and published in one commit; a failed
    # critical check raises PublicationBlocked and readers keep the previous ds.
    started, suites, bounds = utc_now(), load_suites(), load_bounds()  # a broken suite fails before any write
    staged = stage(labels, GOLD_USER_LABELS, root, ds)
    problems = label_problems(read_staged(spark, staged, root))
    if problems:
        raise LabelCheckError(f"gold.user_labels {ds} not published: " + "; ".join(problems))
    result = audit_publish(spark, [staged], root, ds, run_id=new_run_id(ds), suites=suites, bounds=bounds,
                           started=started)
    log.info("gold.user_labels %s published; quality report: %s", ds, result.report_path)
    return result


def rebuild_labels(spark: SparkSession, root: str, ds: dt.date) -> PublicationResult:
    """From scratch: recomputes silver for every date up to ``ds`` from bronze, then labels for ds."""
    rebuild_silver(spark, root, ds)
    return build_labels(spark, root, ds)
