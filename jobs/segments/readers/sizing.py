"""Sizing: segments' sizes, funnels and reach per channel on ds, counted on the evaluator's own wide table.

Shared by ``preview``, ``plan`` and ``explain`` of drafts. The targets (and every segment they
refer to) are compiled by ``evaluate.compile_segments``; each top-level condition of a target is
compiled by the same generator into one more Column, so the funnel counts what the evaluator
decides. One aggregation per call, grouped by app: nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments.language.compile import Context, compile_condition
from jobs.segments.language.evaluate import (
    MEMBER_COLUMNS, CompiledSegment, behavior_aggregates, compile_segments, fixed_flags, memberships, wide_table,
)
from jobs.segments.readers.funnel import CONSENT_STEP, FunnelStep, describe, top_level_conditions
from jobs.segments.language.passes.resolve import resolve
from jobs.segments.language.model import PREDEFINED_APP, Segment
from jobs.segments.language.program import Program
from jobs.segments.readers.reach import REACH_LABELS, Reach, add_reach, reach_aggregates, reach_of
from jobs.tables import GOLD_USER_LABELS, SILVER_USER_DAILY_EVENTS

Key = tuple[str, str]


@dataclass(frozen=True)
class Sizing:
    """One segment in one app on ds.

    Args:
        users: users of the app on ds (label rows): where the funnel starts.
        total: members after every rule, consent included (external email members of an import too).
        removed_by_consent: users the rule selects that the marketing consent rule removes.
        funnel: users kept by each top-level condition and all before it, then by consent.
        reach: members reachable per channel (uid members with a label row; after consent).
    """

    app_id: str
    segment_id: str
    ds: dt.date
    users: int
    total: int
    removed_by_consent: int
    funnel: tuple[FunnelStep, ...]
    reach: Reach


@dataclass(frozen=True)
class Evaluation:
    """The wide table of ds with every target's column; what to count or list members from."""

    ds: dt.date
    wide: DataFrame
    compiled: dict[Key, CompiledSegment]
    fixed: dict[Key, str]
    fixed_members: DataFrame | None
    fixed_failures: DataFrame | None
    groups: dict[Key, list[tuple[str, Column]]]
    problems: dict[Key, str]


def latest_label_ds(spark: SparkSession, root: str) -> dt.date | None:
    """The newest ds of the label table (None when it is empty)."""
    return read_table(spark, GOLD_USER_LABELS, root).agg(F.max("ds")).collect()[0][0]


def evaluate(spark: SparkSession, root: str, program: Program, targets: list[Segment], ds: dt.date,
             apps: list[str] | None = None) -> Evaluation:
    """Builds the wide table of ds for ``targets`` (valid segments whose references resolve).

    Args:
        apps: the apps whose label rows to read (None: every app).
    """
    from jobs.segments.inputs import run_imports

    needed = program.resolved.closure(targets)
    labels = read_table(spark, GOLD_USER_LABELS, root).where(F.col("ds") == F.lit(ds))
    if apps is not None:
        labels = labels.where(F.col("app_id").isin([F.lit(a) for a in apps]))
    imports = [s for s in needed if s.source is not None]
    members, failures, problems = run_imports(spark, root, ds, program, imports)
    fixed = {s.key: f"f{i}" for i, s in enumerate(imports) if s.key not in problems}
    rules = [s for s in needed if s.rule is not None]
    compiled, plan, label_columns = compile_segments(rules, fixed, ds)
    by_key = resolve(needed).by_key
    columns = {c.segment.key: c.column for c in compiled} | fixed
    groups = {}
    for seg in (by_key[s.key] for s in targets):
        if seg.rule is None:
            continue
        ctx = Context(ds, plan, columns.__getitem__, label_columns)
        groups[seg.key] = [(describe(c), compile_condition(c, ctx)) for c in top_level_conditions(seg.rule)]
    aggregates = behavior_aggregates(read_table(spark, SILVER_USER_DAILY_EVENTS, root), plan, ds)
    wide = wide_table(labels, compiled, set(label_columns) | REACH_LABELS, aggregates, fixed_flags(members, fixed), fixed)
    return Evaluation(ds, wide, {c.segment.key: c for c in compiled}, fixed, members, failures, groups, problems)


def _aggregates(ev: Evaluation, targets: list[Segment]) -> list[Column]:
    out = []
    for i, seg in enumerate(targets):
        p = f"t{i}"
        base = F.lit(True) if seg.app_id == PREDEFINED_APP else F.col("app_id") == F.lit(seg.app_id)
        out.append(F.count(F.when(base, 1)).alias(f"{p}_users"))
        if seg.key in ev.fixed:
            member = F.col(ev.fixed[seg.key])
        else:
            column = ev.compiled[seg.key].column
            member, kept = F.col(column), base
            for k, (_, cond) in enumerate(ev.groups[seg.key]):
                kept = kept & cond
                out.append(F.count(F.when(kept, 1)).alias(f"{p}_g{k}"))
            out.append(F.count(F.when(F.col(f"{column}_rule"), 1)).alias(f"{p}_rule"))
        out.append(F.count(F.when(member, 1)).alias(f"{p}_total"))
        out += reach_aggregates(member, f"{p}_reach")
    return out


def sizes(ev: Evaluation, targets: list[Segment], apps: list[str]) -> dict[Key, Sizing]:
    """(app, segment id) -> Sizing for every target in every app it applies to (predefined: ``apps``).

    Imported targets whose list cannot be read (``ev.problems``) are left out.
    """
    targets = [s for s in targets if s.key not in ev.problems]
    if not targets:
        return {}
    rows = {r["app_id"]: r.asDict() for r in ev.wide.groupBy("app_id").agg(*_aggregates(ev, targets)).collect()}
    imported = _import_counts(ev, [s for s in targets if s.key in ev.fixed])
    out = {}
    for i, seg in enumerate(targets):
        for app in (apps if seg.app_id == PREDEFINED_APP else [seg.app_id]):
            out[(app, seg.id)] = _sizing(ev, seg, app, rows.get(app, {}), f"t{i}", imported)
    return out


def _sizing(ev: Evaluation, seg: Segment, app: str, row: dict, p: str, imported: dict) -> Sizing:
    count = lambda name: int(row.get(f"{p}_{name}") or 0)  # noqa: E731
    if seg.key in ev.fixed:
        total, removed = imported.get((app, seg.id), (0, 0))
        return Sizing(app, seg.id, ev.ds, count("users"), total, removed, (), reach_of(row, f"{p}_reach"))
    steps = [FunnelStep(text, count(f"g{k}")) for k, (text, _) in enumerate(ev.groups[seg.key])]
    total = count("total")
    if seg.consent_required:
        steps.append(FunnelStep(CONSENT_STEP, total))
    return Sizing(app, seg.id, ev.ds, count("users"), total, count("rule") - total, tuple(steps),
                  reach_of(row, f"{p}_reach"))


def _import_counts(ev: Evaluation, imports: list[Segment]) -> dict[Key, tuple[int, int]]:
    """(app, id) -> (members, lines dropped because the user does not accept marketing)."""
    if not imports:
        return {}
    ids = [F.lit(s.id) for s in imports]
    totals = ev.fixed_members.where(F.col("segment_id").isin(ids)).groupBy("app_id", "segment_id").count().collect()
    removed = (ev.fixed_failures.where(F.col("segment_id").isin(ids)
                                       & (F.col("reason") == F.lit("user does not accept marketing")))
               .groupBy("app_id", "segment_id").count().collect())
    gone = {(r.app_id, r.segment_id): r["count"] for r in removed}
    return {(r.app_id, r.segment_id): (r["count"], gone.get((r.app_id, r.segment_id), 0)) for r in totals}


def members(ev: Evaluation, targets: list[Segment]) -> DataFrame:
    """The targets' membership rows of ds (app_id, segment_id, uid, email, param1..3), as the job writes them."""
    rules = [ev.compiled[s.key] for s in targets if s.key in ev.compiled]
    out = memberships(ev.wide, rules)
    imported = [F.lit(s.id) for s in targets if s.key in ev.fixed]
    if imported:
        apps = [F.lit(s.app_id) for s in targets if s.key in ev.fixed]
        out = out.unionByName(ev.fixed_members.where(F.col("segment_id").isin(imported) & F.col("app_id").isin(apps))
                              .select(*MEMBER_COLUMNS))
    return out


def combined(parts: list[Sizing]) -> Sizing:
    """Sizings of one predefined segment in several apps, added up (as a preview shows it)."""
    first = parts[0]
    steps = tuple(FunnelStep(s.condition, sum(p.funnel[k].users for p in parts)) for k, s in enumerate(first.funnel))
    return Sizing(PREDEFINED_APP, first.segment_id, first.ds, sum(p.users for p in parts), sum(p.total for p in parts),
                  sum(p.removed_by_consent for p in parts), steps, add_reach([p.reach for p in parts]))


def format_sizing(sizing: Sizing, indent: str = "  ") -> list[str]:
    """The funnel and reach lines printed by preview, plan and explain."""
    width = max([len(s.condition) for s in sizing.funnel] + [10])
    app = "every app" if sizing.app_id == PREDEFINED_APP else sizing.app_id
    lines = [f"{indent}funnel: {sizing.users} users of {app} on {sizing.ds}"]
    lines += [f"{indent}  {k}. {s.condition.ljust(width)}  {s.users}" for k, s in enumerate(sizing.funnel, 1)]
    from jobs.segments.readers.reach import format_reach

    lines.append(f"{indent}{format_reach(sizing.reach)}")
    return lines
