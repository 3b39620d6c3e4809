"""Entry point of the segment job: evaluates every definition for one ds and publishes the outputs.

Stages: recover an interrupted publication -> read (definitions, the labels of ds at the label
table's current version, daily aggregates, user snapshot for imports, run history) -> transform
(one wide pass, see ``evaluate``) -> write-audit-publish (``jobs.publish``): membership is staged,
counts and the change feed (against each segment's previous published ds) come from the staged
rows, changes and import failures are staged too, all are audited with the membership suite, the
run catalog is staged from the outcome, and everything is published together with the labels
version read (one visibility commit, ``jobs.visibility``; each table replaces its ds partition, so
a re-run gives the same tables). A definition with errors fails alone: its run row says why and
every other segment publishes. A failed critical check publishes nothing of ds but the run
catalog: every evaluated segment gets a ``blocked`` run row with the failing checks as reason,
then ``PublicationBlocked`` is raised.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import ensure_table, read_table
from jobs.segments.language.evaluate import (
    MEMBER_COLUMNS, behavior_aggregates, compile_segments, fixed_flags, memberships, wide_table,
)
from jobs.segments.inputs import previous_members, previous_runs, run_imports
from jobs.segments.language.failures import definition_failures, propagate, schema_columns_missing
from jobs.segments.daily.records import unbuilt_runs
from jobs.segments.language.guard import describe
from jobs.segments.import_match import remove_staged
from jobs.segments.daily.isolate import MemberInputs, stage_members
from jobs.segments.daily.lifecycle import latest_runs, retired_keys, retired_records
from jobs.segments.language.model import PREDEFINED_APP, Segment
from jobs.publish import (
    Pinned, PublicationBlocked, audit_staged, new_run_id, publish_checked, read_staged, recover, stage, staging_root,
)
from jobs.quality.datasets import SEGMENTS
from jobs.segments.outputs import FAILED, PUBLISHED, RETIRED, RunRecord, RunTime, Subject, changes, runs_frame
from jobs.segments.validate import check_definitions
from jobs.storage import storage_options
from jobs.visibility import pinned_version
from jobs.tables import (
    BRONZE_USERS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES, GOLD_SEGMENT_RUNS,
    GOLD_USER_LABELS, SEGMENT_TABLES, SILVER_USER_DAILY_EVENTS,
)

log = logging.getLogger(__name__)


class LabelsMissingError(RuntimeError):
    """The label table has no rows for the ds: a pipeline failure, not a definition error."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _as_date(ds: dt.date | str) -> dt.date:
    return ds if isinstance(ds, dt.date) else dt.date.fromisoformat(ds)


def kept_members(previous: DataFrame, labels: DataFrame, consent: dict[tuple[str, str], bool]) -> DataFrame:
    """A kept ``once`` segment's earlier members still in the label table of ds (so not deleted)
    and, where the segment requires it, still accepting marketing; external emails stay."""
    rules = previous.sparkSession.createDataFrame(
        [(a, sid, c) for (a, sid), c in consent.items()], "app_id string, segment_id string, _required boolean")
    users = labels.select("app_id", "uid", F.coalesce("accept_marketing", F.lit(False)).alias("_consents"))
    joined = previous.join(rules, ["app_id", "segment_id"]).join(users, ["app_id", "uid"], "left")
    keep = F.col("uid").isNull() | (F.col("_consents").isNotNull() & (~F.col("_required") | F.col("_consents")))
    return joined.where(keep).select(*MEMBER_COLUMNS)


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
    """The body of :func:`evaluate_segments`; import files are staged under ``folder``."""
    started = _now()
    recover(spark, root)  # a publication interrupted earlier is completed before this one reads history
    for table in SEGMENT_TABLES:
        ensure_table(spark, table, root)
    program, errors = check_definitions(defs_dir)
    labels_pin = pin_labels(root, ds)
    labels = labels_at(spark, root, labels_pin).where(F.col("ds") == F.lit(ds))
    label_apps = {r.app_id for r in labels.select("app_id").distinct().collect()}
    if not label_apps:
        raise LabelsMissingError(f"no rows in {GOLD_USER_LABELS.name} for ds {ds}: run the label job first")
    apps = sorted(label_apps | {s.app_id for s in program.segments if s.app_id != PREDEFINED_APP})
    file_failures = definition_failures(program, errors)
    valid = [s for s in program.segments if s.file not in file_failures]
    valid_keys = {s.key for s in valid}
    # A definition that repeats a valid one's id fails alone: only its file is reported.
    invalid = [s for s in program.segments if s.file in file_failures and s.key not in valid_keys]
    failures: dict[tuple[str, str], str] = {}
    latest = latest_runs(spark, root, ds)
    # A retired segment put back starts afresh: no kept members, no change feed against its old ones.
    retired = retired_keys(latest)
    history = {k: v for k, v in previous_runs(spark, root, ds).items() if k not in retired}

    def forced(seg: Segment) -> bool:
        return refresh is True or (not isinstance(refresh, bool) and seg.id in refresh)

    kept = {s.key: history[s.key] for s in valid
            if s.refresh == "once" and s.app_id != PREDEFINED_APP and not forced(s)
            and s.key in history and history[s.key]["definition_hash"] == s.definition_hash}
    fixed_parts = []
    if kept:
        previous = previous_members(spark, root, {k: v["ds"] for k, v in kept.items()})
        fixed_parts.append(kept_members(previous, labels, {s.key: s.consent_required for s in valid if s.key in kept}))
    import_members, import_failures, import_errors = run_imports(
        spark, root, ds, program, [s for s in valid if s.source is not None and s.key not in kept], folder)
    failures.update(import_errors)
    if import_members is not None:
        fixed_parts.append(import_members)
    daily = read_table(spark, SILVER_USER_DAILY_EVENTS, root)
    failures.update(schema_columns_missing(program, [s for s in valid if s.rule is not None], labels.columns, daily.columns))
    failures.update(propagate(valid, failures))

    fixed_keys = [k for k in kept] + [s.key for s in valid if s.source is not None and s.key not in kept]
    fixed_members = None
    for part in fixed_parts:
        fixed_members = part if fixed_members is None else fixed_members.unionByName(part)
    inputs = MemberInputs(labels, daily, fixed_members, ds)
    # Write-audit-publish: membership is staged first (readers never see it); counts and the change
    # feed come from exactly the staged rows; all of ds is audited, then published together.
    staged_members = stage_members(members_of, root, inputs, valid, kept, fixed_keys, failures)
    written = read_staged(spark, staged_members, root)
    counts = {(r.app_id, r.segment_id): r["count"] for r in written.groupBy("app_id", "segment_id").count().collect()}

    published = [(app if s.app_id == PREDEFINED_APP else s.app_id, s) for s in valid if s.key not in failures
                 for app in (apps if s.app_id == PREDEFINED_APP else [s.app_id])]
    # history holds published runs only, so "before" is each segment's previous PUBLISHED ds
    before = {(app, s.id): history[(app, s.id)]["ds"] for app, s in published if (app, s.id) in history}
    # Deleted users never appear in any output: a member deleted since leaves without an `exited` row.
    deleted = (read_table(spark, BRONZE_USERS, root).where((F.col("dt") == F.lit(ds)) & (F.col("user_type") == "deleted"))
               .select("app_id", "uid"))
    earlier = previous_members(spark, root, before).join(deleted, ["app_id", "uid"], "left_anti")
    change_feed = changes(written, earlier).withColumn("ds", F.lit(ds))
    if import_failures is not None:
        rejected = import_failures.select("app_id", "segment_id", "source_file", "line", "value", "reason")
    else:
        rejected = spark.createDataFrame([], GOLD_SEGMENT_IMPORT_FAILURES.schema).drop("ds")
    staged = [
        stage(change_feed, GOLD_SEGMENT_CHANGES, root, ds),
        stage(rejected.withColumn("ds", F.lit(ds)), GOLD_SEGMENT_IMPORT_FAILURES, root, ds),
        staged_members,
    ]
    rules = spark.createDataFrame([(app, s.id, bool(s.consent_required)) for app, s in published],
                                  "app_id string, segment_id string, consent_required boolean")
    checked = audit_staged(spark, staged, root, ds, run_id=run_id, context={SEGMENTS: rules})
    finished = _now()
    if checked.blocked:
        blocked = checked.error()
        records = [RunRecord.blocked(app, Subject.of(s), RunTime(started, finished, ds),
                                     reason=_blocked_reason(blocked, app, s.id), report_path=blocked.report_path)
                   for app, s in published]
    else:
        records = [
            RunRecord.published(app, Subject.of(s), RunTime(started, finished, ds),
                                evaluated_ds=kept[(app, s.id)]["evaluated_ds"] if (app, s.id) in kept else ds,
                                member_count=counts.get((app, s.id), 0), report_path=checked.report_path)
            for app, s in published
        ]
    records = _unique(records + _failed_records(
        program, errors, valid, invalid, failures, file_failures, apps, started, finished, ds), latest, ds)
    # The run catalog is published with the tables (or alone, saying blocked), and the labels the
    # segments were computed from are made visible by the same commit.
    runs = stage(runs_frame(spark, records), GOLD_SEGMENT_RUNS, root, ds)
    try:
        publish_checked(spark, root, checked, extra=[runs], pinned=[] if checked.blocked else [labels_pin])
    except PublicationBlocked:
        log.error("segments of %s blocked; quality report: %s", ds, checked.report_path)
        raise
    log.info("segments of %s published; quality report: %s", ds, checked.report_path)
    log.info("segments of %s: %d published, %d failed, %d retired", ds, sum(r.status == PUBLISHED for r in records),
             sum(r.status == FAILED for r in records), sum(r.status == RETIRED for r in records))
    return records


def pin_labels(root: str, ds: dt.date) -> Pinned:
    """The label table's version the segments of ds are computed from and published with: the
    current one (a label commit is always published whole, see ``jobs.publish``), with the staging
    version of the newest published labels of ds (the same version when they were written directly)."""
    from deltalake import DeltaTable

    path = GOLD_USER_LABELS.location(root)
    try:
        version = DeltaTable(path, storage_options=storage_options(path)).version()
    except Exception as error:  # noqa: BLE001 - delta-rs raises TableNotFoundError for a missing table
        raise LabelsMissingError(f"no rows in {GOLD_USER_LABELS.name} for ds {ds}: run the label job first") from error
    logged = pinned_version(root, GOLD_USER_LABELS, ds)
    return Pinned(GOLD_USER_LABELS, logged[0] if logged else version, version)


def labels_at(spark: SparkSession, root: str, pin: Pinned) -> DataFrame:
    """The label table exactly at the pinned version."""
    return spark.read.format("delta").option("versionAsOf", pin.version).load(GOLD_USER_LABELS.location(root))


def _failed_records(program, errors, valid, invalid, failures, file_failures, apps, started, finished, ds):
    """Run records of the segments whose definition (or import) failed, and of unbuilt ones."""
    records = []
    failed = [(s, failures[s.key]) for s in valid if s.key in failures] + [(s, file_failures[s.file]) for s in invalid]
    for s, reason in failed:
        for app in (apps if s.app_id == PREDEFINED_APP else [s.app_id]):
            records.append(RunRecord.failed(app, Subject.of(s), RunTime(started, finished, ds), reason=reason))
    return records + unbuilt_runs(program, errors, apps, started, finished, ds)


def _unique(records: list[RunRecord], latest: dict[tuple[str, str], dict], ds: dt.date) -> list[RunRecord]:
    """One record per (app_id, segment_id), the first one given winning, and a ``retired`` record for
    each earlier segment whose definition is gone (see ``lifecycle``); sorted by key."""
    records = list({(r.app_id, r.segment_id): r for r in reversed(records)}.values())
    started, finished = (records[0].started_at, records[0].finished_at) if records else (_now(), _now())
    records += retired_records(latest, [(r.app_id, r.segment_id) for r in records], started, finished, ds)
    return sorted(records, key=lambda r: (r.app_id, r.segment_id))


def _blocked_reason(blocked: PublicationBlocked, app_id: str, segment_id: str) -> str:
    """The failed checks that blocked ds: this segment's own first, then the others (the whole ds is blocked)."""
    own = [f for f in blocked.failures if dict(f.scope).get("app_id") == app_id
           and dict(f.scope).get("segment_id") == segment_id]
    others = [f for f in blocked.failures if f not in own]
    lines = [f.line() for f in own]
    if others:
        lines.append(f"publication of {blocked.ds.isoformat()} blocked by {len(blocked.failures)} failed check(s):")
        lines += [f"- {f.line()}" for f in others]
    if blocked.report_path:
        lines.append(f"report: {blocked.report_path}")
    return "\n".join(lines)
