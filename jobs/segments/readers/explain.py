"""Explain: why one user is or is not a member of one segment on a ds, condition by condition.

The segment (and every segment it refers to) is compiled with the evaluator's own generator, on
the label row and the daily aggregates of the user alone: every node of every rule becomes one
more boolean Column next to the segment columns of ``evaluate.wide_table``, and every leaf's
observed value (the label, or the behavior metric of ``compile.metric_value``) one more column.
One query gives the verdict, each node's outcome and each observed value, so the numbers shown
are the numbers the membership decision used. The text is made by ``explain_format``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments.language.compile import Context, compile_condition, metric_value
from jobs.segments.language.errors import DefinitionErrors, quote
from jobs.segments.language.evaluate import behavior_aggregates, compile_segments, fixed_flags, wide_table
from jobs.segments.language.passes.resolve import resolve
from jobs.segments.language.model import (
    All, AnyOf, BehaviorCondition, Condition, LabelCondition, Not, Segment, SegmentRef, walk,
)
from jobs.segments.language.program import Program
from jobs.segments.readers.published import unknown_segment_message
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS, SILVER_USER_DAILY_EVENTS


class ExplainError(Exception):
    """An explanation that cannot be given: unknown segment or uid, no published ds (CLI exit 2)."""


@dataclass(frozen=True)
class NodeOutcome:
    """One node of a rule for one user.

    Args:
        node: the condition (label, behavior, segment reference, all, any, not).
        held: whether it holds, as the evaluator computed it.
        observed: a label's value; a behavior condition's metric (None: no value); else None.
        children: outcomes of the items of ``all``/``any`` and of the item of ``not``.
        segment: the explanation of a referenced segment.
    """

    node: Condition
    held: bool
    observed: object = None
    children: tuple[NodeOutcome, ...] = ()
    segment: Explanation | None = None


@dataclass(frozen=True)
class Explanation:
    """Why ``uid`` is or is not a member of ``segment`` on ``ds``.

    Args:
        app_id: the app the user belongs to (predefined segments apply to every app).
        member: the verdict, equal to the evaluator's.
        rule: the outcome of the rule (None for imported segments and deleted users).
        accept_marketing: the user's label (None: not set).
        listed: for an imported segment, whether the uid is among the members the list resolves to.
        deleted: the user is deleted on ds (never a member).
        kept_from: for a ``refresh: once`` segment kept from an earlier ds, that ds: ``member`` is
            then the published verdict and ``rule`` the rule evaluated on ds.
        definition_changed: the definition differs from the one the published run used:
            ``member`` is the published verdict and ``rule`` the current definition on ds.
    """

    app_id: str
    segment: Segment
    ds: dt.date
    uid: str
    member: bool
    rule: NodeOutcome | None = None
    accept_marketing: bool | None = None
    listed: bool | None = None
    deleted: bool = False
    kept_from: dt.date | None = None
    definition_changed: bool = False


def explain(spark: SparkSession, root: str, segment_id: str, uid: str, defs_dir: str,
            app_id: str = "smartlife", ds: dt.date | None = None) -> Explanation:
    """Explains one user's membership of one segment on ds.

    Args:
        segment_id: a segment of ``app_id`` or a predefined one.
        ds: the date; default the segment's latest published ds. It must be published for the segment.

    Raises:
        ExplainError: unknown segment, a uid without a label row on ds (and not deleted), ds not
            published for the segment.
        DefinitionErrors: the segment (or one it refers to) has definition errors.
    """
    return explain_users(spark, root, segment_id, [uid], defs_dir, app_id, ds)[uid]


def explain_users(spark: SparkSession, root: str, segment_id: str, uids: list[str], defs_dir: str,
                  app_id: str = "smartlife", ds: dt.date | None = None) -> dict[str, Explanation]:
    """Explanations for several users of one app in one query (see :func:`explain`)."""
    program, target, needed = resolve_segment(defs_dir, app_id, segment_id)
    run = published_run_of(root, app_id, segment_id, ds)
    ds = run["ds"]
    explained = explain_evaluated(spark, root, program, target, needed, uids, app_id, ds)
    kept_from = run["evaluated_ds"] if run["evaluated_ds"] != ds else None
    changed = run["definition_hash"] != target.definition_hash
    if kept_from is None and not changed:
        return explained
    # The published verdict is not today's evaluation of today's definition: say what was published.
    published = published_members(root, app_id, segment_id, ds)
    return {u: replace(e, member=u in published and not e.deleted, kept_from=kept_from, definition_changed=changed)
            for u, e in explained.items()}


def explain_evaluated(spark: SparkSession, root: str, program: Program, target: Segment, needed: list[Segment],
                      uids: list[str], app_id: str, ds: dt.date) -> dict[str, Explanation]:
    """The evaluator's verdict on ds for ``target`` (with the segments it ``needed``), node by node, per uid.

    Also explains drafts: ``program`` may hold a definition that was never published.

    Raises:
        ExplainError: a uid without a label row on ds that is not deleted; an import list that cannot be read.
    """
    from jobs.segments.import_match import import_staging

    with import_staging(root):  # the imports' staged lines are read inside, then removed
        return _explain_evaluated(spark, root, program, target, needed, uids, app_id, ds)


def _explain_evaluated(spark: SparkSession, root: str, program: Program, target: Segment, needed: list[Segment],
                       uids: list[str], app_id: str, ds: dt.date) -> dict[str, Explanation]:
    from jobs.segments.inputs import run_imports

    wanted = [F.lit(u) for u in uids]
    labels = read_table(spark, GOLD_USER_LABELS, root).where(
        (F.col("ds") == F.lit(ds)) & (F.col("app_id") == F.lit(app_id)) & F.col("uid").isin(wanted))
    by_key = resolve(needed).by_key
    needed = [by_key[s.key] for s in needed]
    target = by_key[target.key]
    imports = [s for s in needed if s.source is not None]
    members, _, problems = run_imports(spark, root, ds, program, imports)
    if problems:
        raise ExplainError("; ".join(sorted(problems.values())))
    fixed = {s.key: f"f{i}" for i, s in enumerate(imports)}
    rules = [s for s in needed if s.rule is not None]
    compiled, plan, label_columns = compile_segments(rules, fixed, ds)
    columns = {c.segment.key: c.column for c in compiled} | fixed
    nodes: dict[str, Column] = {}
    for i, seg in enumerate(rules):
        ctx = Context(ds, plan, columns.__getitem__, label_columns)
        for k, node in enumerate(walk(seg.rule)):
            nodes[f"x{i}_{k}"] = compile_condition(node, ctx)
            if isinstance(node, BehaviorCondition):
                value, defined = metric_value(plan.prefix(node), node, ds)
                nodes[f"x{i}_{k}_value"] = F.when(defined, value)
    daily = read_table(spark, SILVER_USER_DAILY_EVENTS, root).where(
        (F.col("app_id") == F.lit(app_id)) & F.col("uid").isin(wanted))
    aggregates = behavior_aggregates(daily, plan, ds)
    wide = wide_table(labels, compiled, label_columns, aggregates, fixed_flags(members, fixed), fixed)
    keep = ["uid", "accept_marketing", *sorted(label_columns - {"accept_marketing"}), *columns.values()]
    rows = {r["uid"]: r.asDict() for r in (wide.withColumns(nodes) if nodes else wide).select(*keep, *nodes).collect()}
    missing = [u for u in uids if u not in rows]
    deleted = deleted_users(spark, root, app_id, ds, missing) if missing else set()
    for u in missing:
        if u not in deleted:
            raise ExplainError(f"uid {quote(u)} has no row in {GOLD_USER_LABELS.name} for app {app_id} on {ds}")
    index = {s.key: i for i, s in enumerate(rules)}

    def build(seg: Segment, row: dict) -> Explanation:
        listed = row[columns[seg.key]] if seg.source is not None else None
        rule = outcome(seg.rule, row, f"x{index[seg.key]}", itertools.count(),
                       lambda key: build(by_key[key], row)) if seg.rule is not None else None
        return Explanation(app_id, seg, ds, row["uid"], bool(row[columns[seg.key]]), rule,
                           row["accept_marketing"], listed)

    return {u: Explanation(app_id, target, ds, u, False, deleted=True) if u in deleted else build(target, rows[u])
            for u in uids}


def resolve_segment(defs_dir: str, app_id: str, segment_id: str) -> tuple[Program, Segment, list[Segment]]:
    """The definitions, the segment ``segment_id`` of ``app_id`` and the segments it needs (no engine).

    Raises:
        ExplainError: no such segment (with a did-you-mean).
        DefinitionErrors: the segment, or one it refers to, has definition errors.
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    from jobs.segments.validate import check_definitions

    program, errors = check_definitions(defs_dir)
    target = find_segment(program, app_id, segment_id, errors)
    needed = program.resolved.closure([target])
    files = {s.file for s in needed}
    blocking = [e for e in errors if e.file in files]
    if blocking:
        raise DefinitionErrors(blocking)
    return program, target, needed


def outcome(node: Condition, row: dict, prefix: str, counter, explain_ref) -> NodeOutcome:
    """The outcome of ``node`` read from the row; ``counter`` numbers nodes in ``walk`` order."""
    name = f"{prefix}_{next(counter)}"
    held = bool(row[name])
    if isinstance(node, (All, AnyOf)):
        return NodeOutcome(node, held, children=tuple(outcome(c, row, prefix, counter, explain_ref) for c in node.items))
    if isinstance(node, Not):
        return NodeOutcome(node, held, children=(outcome(node.item, row, prefix, counter, explain_ref),))
    if isinstance(node, LabelCondition):
        return NodeOutcome(node, held, row[node.label])
    if isinstance(node, BehaviorCondition):
        return NodeOutcome(node, held, row[f"{name}_value"])
    if isinstance(node, SegmentRef):
        return NodeOutcome(node, held, segment=explain_ref(node.key))
    raise TypeError(f"no outcome for {type(node).__name__}")


def find_segment(program: Program, app_id: str, segment_id: str, errors) -> Segment:
    """The segment ``segment_id`` as seen from ``app_id``.

    Raises:
        ExplainError: no such segment (with a did-you-mean).
        DefinitionErrors: it exists but its definition is broken.
    """
    visible = program.visible(app_id)
    if segment_id in visible:
        return visible[segment_id]
    if program.exists(app_id, segment_id):
        raise DefinitionErrors([e for e in errors if e.segment_id == segment_id] or errors)
    raise ExplainError(unknown_segment_message(segment_id, app_id, visible))


def published_run_of(root: str, app_id: str, segment_id: str, ds: dt.date | None) -> dict:
    """The segment's published run of ds (default: its latest published ds), read with delta-rs.

    Raises:
        ExplainError: the segment has never run, or ds is not published for it (blocked, failed, absent).
    """
    from jobs.segments.readers.published import NotPublishedError, PublishedHistory, SegmentLookupError

    try:
        return PublishedHistory.read(root, app_id).at(app_id, segment_id, ds)
    except SegmentLookupError:
        raise ExplainError(f"{app_id}/{segment_id} has no run in the run catalog yet: run the segment job first") from None
    except NotPublishedError as error:
        raise ExplainError(str(error)) from None


def published_members(root: str, app_id: str, segment_id: str, ds: dt.date) -> set[str]:
    """The uids of the segment's published membership of ds."""
    from jobs.delta_io import read_arrow

    filters = [("ds", "=", ds), ("app_id", "=", app_id), ("segment_id", "=", segment_id)]
    return {u for u in read_arrow(GOLD_SEGMENT_MEMBERSHIP, root, columns=["uid"], filters=filters).column("uid").to_pylist() if u}


def deleted_users(spark: SparkSession, root: str, app_id: str, ds: dt.date, uids: list[str]) -> set[str]:
    """The uids that are deleted users in the user snapshot of ds (label rows leave them out)."""
    try:
        users = read_table(spark, BRONZE_USERS, root).where(
            (F.col("dt") == F.lit(ds)) & (F.col("app_id") == F.lit(app_id))
            & F.col("uid").isin([F.lit(u) for u in uids]) & (F.col("user_type") == F.lit("deleted")))
        return {r["uid"] for r in users.select("uid").collect()}
    except Exception:  # noqa: BLE001 - no snapshot of ds: the uid is simply unknown
        return set()
