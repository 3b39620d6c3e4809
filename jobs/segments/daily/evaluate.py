"""Step 3 of the daily job, evaluate: the known members (kept ``once`` segments, imports), the
segments that fail before evaluation (imports, missing columns, dependencies), then the membership
of ds computed and staged (write-audit-publish: readers never see it before the audit)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.publish import Staged, read_staged
from jobs.segments.daily.isolate import Build, MemberInputs, stage_members
from jobs.segments.daily.plan import RunPlan
from jobs.segments.daily.read import RunInputs
from jobs.segments.inputs import previous_members, run_imports
from jobs.segments.language.evaluate import MEMBER_COLUMNS
from jobs.segments.language.failures import propagate, schema_columns_missing

Key = tuple[str, str]


@dataclass(frozen=True)
class Evaluated:
    """The staged membership of ds and what the evaluation found.

    Args:
        members: the staged membership rows.
        written: those rows, read back (the one input of counts and the change feed).
        counts: (app, segment) -> members written.
        failures: (app, segment) -> reason, for every valid segment that failed.
        import_failures: the imports' rejected lines with their file (None without imports).
    """

    members: Staged
    written: DataFrame
    counts: dict[Key, int]
    failures: dict[Key, str]
    import_failures: DataFrame | None


def evaluate_run(spark: SparkSession, root: str, inputs: RunInputs, plan: RunPlan, folder: str,
                 build: Build) -> Evaluated:
    """Evaluates and stages the membership of ds; import files are staged under ``folder``;
    ``build`` computes membership rows (``job.members_of``)."""
    ds, valid = inputs.ds, list(plan.valid)
    failures: dict[Key, str] = {}
    fixed_parts = []
    if plan.kept:
        previous = previous_members(spark, root, {k: v["ds"] for k, v in plan.kept.items()})
        fixed_parts.append(kept_members(previous, inputs.labels,
                                        {s.key: s.consent_required for s in valid if s.key in plan.kept}))
    import_members, import_failures, import_errors = run_imports(spark, root, ds, inputs.program, list(plan.imports),
                                                                 folder)
    failures.update(import_errors)
    if import_members is not None:
        fixed_parts.append(import_members)
    failures.update(schema_columns_missing(inputs.program, [s for s in valid if s.rule is not None],
                                           inputs.labels.columns, inputs.daily.columns))
    failures.update(propagate(valid, failures))
    fixed_members = None
    for part in fixed_parts:
        fixed_members = part if fixed_members is None else fixed_members.unionByName(part)
    member_inputs = MemberInputs(inputs.labels, inputs.daily, fixed_members, ds)
    staged = stage_members(build, root, member_inputs, valid, plan.kept, plan.fixed_keys, failures)
    written = read_staged(spark, staged, root)
    counts = {(r.app_id, r.segment_id): r["count"] for r in written.groupBy("app_id", "segment_id").count().collect()}
    return Evaluated(staged, written, counts, failures, import_failures)


def kept_members(previous: DataFrame, labels: DataFrame, consent: dict[Key, bool]) -> DataFrame:
    """A kept ``once`` segment's earlier members still in the label table of ds (so not deleted)
    and, where the segment requires it, still accepting marketing; external emails stay."""
    rules = previous.sparkSession.createDataFrame(
        [(a, sid, c) for (a, sid), c in consent.items()], "app_id string, segment_id string, _required boolean")
    users = labels.select("app_id", "uid", F.coalesce("accept_marketing", F.lit(False)).alias("_consents"))
    joined = previous.join(rules, ["app_id", "segment_id"]).join(users, list(USER_KEY), "left")
    keep = F.col("uid").isNull() | (F.col("_consents").isNotNull() & (~F.col("_required") | F.col("_consents")))
    return joined.where(keep).select(*MEMBER_COLUMNS)
