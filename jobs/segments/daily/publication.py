"""Steps 5 and 7 of the daily job: audit the staged outputs of ds with the membership suite, and
publish them together with the run catalog and the labels version read (one visibility commit).
A failed critical check publishes nothing of ds but the run catalog, which says ``blocked``."""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import SparkSession

from jobs.publish import Checked, Pinned, PublicationBlocked, Staged, audit_staged, publish_checked, stage
from jobs.quality.datasets import SEGMENTS
from jobs.segments.language.model import Segment
from jobs.segments.outputs import FAILED, PUBLISHED, RETIRED, RunRecord, runs_frame
from jobs.tables import GOLD_SEGMENT_RUNS

log = logging.getLogger(__name__)


def audit(spark: SparkSession, root: str, ds: dt.date, run_id: str, staged: list[Staged],
          published: list[tuple[str, Segment]]) -> Checked:
    """All staged tables of ds checked at once; the consent rule of each published segment is the
    suite's context."""
    rules = spark.createDataFrame([(app, s.id, bool(s.consent_required)) for app, s in published],
                                  "app_id string, segment_id string, consent_required boolean")
    return audit_staged(spark, staged, root, ds, run_id=run_id, context={SEGMENTS: rules})


def publish_run(spark: SparkSession, root: str, ds: dt.date, checked: Checked, records: list[RunRecord],
                labels_pin: Pinned) -> None:
    """The run catalog is published with the tables (or alone, saying blocked), and the labels the
    segments were computed from are made visible by the same commit.

    Raises:
        PublicationBlocked: the audit failed a critical check (after the run catalog is published).
    """
    runs = stage(runs_frame(spark, records), GOLD_SEGMENT_RUNS, root, ds)
    try:
        publish_checked(spark, root, checked, extra=[runs], pinned=[] if checked.blocked else [labels_pin])
    except PublicationBlocked:
        log.error("segments of %s blocked; quality report: %s", ds, checked.report_path)
        raise
    log.info("segments of %s published; quality report: %s", ds, checked.report_path)
    log.info("segments of %s: %d published, %d failed, %d retired", ds, sum(r.status == PUBLISHED for r in records),
             sum(r.status == FAILED for r in records), sum(r.status == RETIRED for r in records))
