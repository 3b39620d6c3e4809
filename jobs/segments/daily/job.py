"""Entry point of the segment job: evaluates every definition for one ds and publishes the outputs.

The run is a sequence of named steps over explicit values (docs/architecture.md):

1. ``read.read_inputs``: completes an interrupted publication, then reads the definitions, the
   labels of ds at the label table's current version, the run history and the daily aggregates;
2. ``plan.plan_run``: a frozen ``RunPlan`` (valid, failed, kept ``once`` and imported segments, apps);
3. ``evaluate.evaluate_run``: known members (kept, imports), early failures, then the membership
   computed in one wide pass (``members_of``) and staged (write-audit-publish, ``jobs.publish``);
4. ``stage.stage_outputs``: the change feed (from the staged rows, against each segment's
   previous published ds) and the imports' rejected lines, staged;
5. ``publication.audit``: all staged tables of ds audited with the membership suite;
6. ``records.record_runs``: one run record per (app, segment), built by name from the outcome;
7. ``publication.publish_run``: the tables, the run catalog and the labels version read, made
   visible by one commit (``jobs.visibility``; each table replaces its ds partition, so a re-run
   gives the same tables).

A definition with errors fails alone: its run row says why and every other segment publishes. A
failed critical check publishes nothing of ds but the run catalog: every evaluated segment gets a
``blocked`` run row with the failing checks as reason, then ``PublicationBlocked`` is raised.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.publish import new_run_id, staging_root
from jobs.segments.daily.evaluate import evaluate_run
from jobs.segments.daily.isolate import MemberInputs
from jobs.segments.daily.plan import plan_run
from jobs.segments.daily.publication import audit, publish_run
from jobs.segments.daily.read import LabelsMissingError, read_inputs
from jobs.segments.daily.records import now, record_runs
from jobs.segments.daily.stage import stage_outputs
from jobs.segments.import_match import remove_staged
from jobs.segments.language.evaluate import behavior_aggregates, compile_segments, fixed_flags, memberships, wide_table
from jobs.segments.language.guard import describe
from jobs.segments.language.model import Segment
from jobs.segments.outputs import RunRecord

__all__ = ["evaluate_segments", "members_of", "LabelsMissingError"]

log = logging.getLogger(__name__)

Key = tuple[str, str]


def _as_date(ds: dt.date | str) -> dt.date:
    return ds if isinstance(ds, dt.date) else dt.date.fromisoformat(ds)


def members_of(inputs: MemberInputs, rules: list[Segment], fixed_keys: list[Key]) -> DataFrame:
    """Membership rows of the rule-based segments ``rules`` and the known segments ``fixed_keys``."""
    fixed = {k: f"f{i}" for i, k in enumerate(fixed_keys)}
    known = None
    if inputs.fixed_members is not None and fixed:
        wanted = F.lit(False)
        for app, sid in fixed:
            wanted = wanted | ((F.col("app_id") == F.lit(app)) & (F.col("segment_id") == F.lit(sid)))
        known = inputs.fixed_members.where(wanted)
    compiled, plan, label_columns = compile_segments(rules, fixed, inputs.ds)
    aggregates = behavior_aggregates(inputs.daily, plan, inputs.ds)
    wide = wide_table(inputs.labels, compiled, label_columns, aggregates, fixed_flags(known, fixed), fixed)
    # One query from the label and daily tables to the membership rows; the narrow table written
    # is then the one input of the member counts and the change feed.
    members = memberships(wide, compiled)
    return members if known is None else members.unionByName(known)


def evaluate_segments(spark: SparkSession, root: str, ds: dt.date | str, defs_dir: str,
                      refresh: Collection[str] | bool = ()) -> list[RunRecord]:
    """Evaluates every segment definition under ``defs_dir`` for ``ds`` and publishes the results.

    Args:
        spark: a Spark Connect session.
        root: the lakehouse root.
        ds: the as-of date; labels of ds must exist.
        defs_dir: the definitions folder (``segment_defs/``).
        refresh: ids of ``refresh: once`` segments to recompute although unchanged (True: all).

    Returns:
        One run record per (app, segment): published with its member count, failed with the reason,
        or retired (an earlier segment whose definition is gone; see ``lifecycle``).

    Raises:
        LabelsMissingError: the label table has no (published) rows for ds.
        FileNotFoundError: ``defs_dir`` is not a folder.
        PublicationBlocked: a critical check of the staged membership failed; nothing of ds was
            published and the runs of ds are recorded as ``blocked`` (raised after recording).
    """
    ds = _as_date(ds)
    run_id = new_run_id(ds)
    folder = f"{staging_root(root)}/segment_imports/{run_id}"
    try:
        return _evaluate(spark, root, ds, defs_dir, refresh, run_id, folder)
    finally:
        try:
            remove_staged(folder)
        except OSError as exc:  # the run's result stands; the next maintenance removes the folder
            log.warning("staged import files %s not removed: %s", folder, describe(exc))


def _evaluate(spark: SparkSession, root: str, ds: dt.date, defs_dir: str, refresh: Collection[str] | bool,
              run_id: str, folder: str) -> list[RunRecord]:
    """The steps of :func:`evaluate_segments`; import files are staged under ``folder``."""
    started = now()
    inputs = read_inputs(spark, root, ds, defs_dir)
    plan = plan_run(inputs.program, inputs.errors, inputs.label_apps, inputs.history, refresh, ds)
    evaluated = evaluate_run(spark, root, inputs, plan, folder, members_of)
    staged = stage_outputs(spark, root, inputs, plan, evaluated)
    checked = audit(spark, root, ds, run_id, staged, plan.published(evaluated.failures))
    records = record_runs(inputs, plan, evaluated, checked, started, now())
    publish_run(spark, root, ds, checked, records, inputs.labels_pin)
    return records
