"""Evaluation transforms: labels + daily aggregates -> one wide boolean table -> memberships.

All label conditions of all segments are columns of one projection over the label table; all
behavior conditions are conditional aggregates of one pass over the daily aggregates; nested
segments are further projections in dependency order. DataFrame in, DataFrame out: the job
reads and writes the tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.contract import USER_KEY
from jobs.segments.language.columns import AggregateColumns, daily_measure
from jobs.segments.language.compile import BehaviorPlan, Context, compile_condition, day_words, false, known, selection_match
from jobs.segments.language.model import PREDEFINED_APP, Segment, Window
from jobs.segments.language.passes.resolve import resolve

KEYS = list(USER_KEY)
MEMBER_COLUMNS = ["app_id", "segment_id", "uid", "email", "param1", "param2", "param3"]


@dataclass(frozen=True)
class CompiledSegment:
    """A segment compiled to a boolean column of the wide table.

    Args:
        rule: true for users meeting the rule, before the consent rule (never null).
        consent: true for users the consent rule keeps; None when the segment ignores consent.
        level: 0 without segment references, else one more than the deepest reference.
    """

    segment: Segment
    column: str
    rule: Column
    consent: Column | None
    level: int


def column_name(index: int) -> str:
    return f"s{index}"


def compile_segments(segments: list[Segment], fixed: dict[tuple[str, str], str], ds: dt.date
                     ) -> tuple[list[CompiledSegment], BehaviorPlan, set[str]]:
    """Compiles rule-based segments in dependency order.

    Args:
        segments: valid rule-based segments whose references are all resolvable.
        fixed: (app_id, id) -> flag column of segments whose membership is already known
            (imports, kept ``once`` segments).
        ds: the run date.

    Returns:
        The compiled segments ordered by level, the behavior plan and the label columns read.
    """
    plan = BehaviorPlan()
    labels: set[str] = set()
    resolved = resolve(segments, known=fixed)
    by_key = resolved.by_key
    columns: dict[tuple[str, str], str] = dict(fixed)
    compiled: list[CompiledSegment] = []

    def visit(seg: Segment) -> None:
        if seg.key in columns:
            return
        for key in resolved.targets(seg):
            if key in by_key:
                visit(by_key[key])
        ctx = Context(ds, plan, columns.__getitem__, labels)
        rule = compile_condition(seg.rule, ctx)
        if seg.app_id != PREDEFINED_APP:
            rule = (F.col("app_id") == F.lit(seg.app_id)) & rule
        consent = known(F.col("accept_marketing"), F.col("accept_marketing")) if seg.consent_required else None
        columns[seg.key] = column_name(len(compiled))
        compiled.append(CompiledSegment(seg, columns[seg.key], rule, consent, resolved.levels[seg.key]))

    for seg in resolved.segments:
        visit(seg)
    return sorted(compiled, key=lambda c: c.level), plan, labels


def behavior_aggregates(daily: DataFrame, plan: BehaviorPlan, ds: dt.date) -> DataFrame | None:
    """One pass over the daily aggregates: every behavior selection's metrics per (app_id, uid).

    The rows of the union of all windows and events are read once and grouped once. Each
    selection's row test is computed once as a boolean column, then read by only the aggregates
    its conditions need: times always, day masks for ``{count: days}``, and per measure the sum,
    count, min or max its metrics use. A selection's times is null for a user without a row in
    it; its day masks and sums are then never null (see ``compile.metric_value``).
    """
    if not plan.selections:
        return None
    bounds = [window.bounds(ds) for (_, window, _) in plan.selections]
    events = sorted({event for (event, _, _) in plan.selections})
    measures = sorted({m for pairs in plan.measures.values() for m, _ in pairs})
    rows = daily.where(
        F.col("event_date").between(F.lit(min(b[0] for b in bounds)), F.lit(max(b[1] for b in bounds)))
        & F.col("event").isin([F.lit(e) for e in events])
    ).select(*KEYS, "event_date", "events",
             *(F.col(daily_measure(m, agg)) for m in measures for agg in ("sum", "count", "min", "max")),
             *(selection_match(event, window, where, ds).alias(AggregateColumns(p).match)
               for (event, window, where), p in plan.selections.items()))
    aggregates = []
    for (_, window, _), p in plan.selections.items():
        names = AggregateColumns(p)
        match = F.col(names.match)
        aggregates.append(F.sum(F.when(match, F.col("events"))).alias(names.times))
        if p in plan.days:
            aggregates += day_bits(p, match, window, ds)
        for m, agg in sorted(plan.measures[p]):
            value = F.when(match, F.col(daily_measure(m, agg)))
            if agg == "sum":
                aggregates.append(F.coalesce(F.sum(value), F.lit(0.0)).alias(names.measure(m, agg)))
            elif agg == "count":
                aggregates.append(F.coalesce(F.sum(value), F.lit(0)).alias(names.measure(m, agg)))
            else:
                aggregates.append(getattr(F, agg)(value).alias(names.measure(m, agg)))
    return rows.groupBy(*KEYS).agg(*aggregates)


def day_bits(prefix: str, match: Column, window: Window, ds: dt.date) -> list[Column]:
    """Active days of a selection as 64-bit masks (bit i of word k: day start + 64k + i), 0 when none.

    A bitwise OR per mask is a plain aggregate; a distinct count of dates per selection is many
    times slower on the embedded engine. Only the words the window covers are computed.
    """
    offset = F.datediff(F.col("event_date"), F.lit(window.bounds(ds)[0]))
    return [
        F.coalesce(F.bit_or(F.when(match & (offset >= 64 * k) & (offset < 64 * (k + 1)),
                                   F.shiftleft(F.lit(1).cast("long"), offset - 64 * k))), F.lit(0).cast("long")
                   ).alias(AggregateColumns(prefix).days(k))
        for k in range(day_words(window, ds))
    ]


def fixed_flags(fixed_members: DataFrame | None, fixed: dict[tuple[str, str], str]) -> DataFrame | None:
    """Per (app_id, uid), one flag column per segment whose membership is already known."""
    if fixed_members is None or not fixed:
        return None
    flags = [F.max(F.col("segment_id") == F.lit(sid)).alias(col) for (_, sid), col in fixed.items()]
    apps = [F.lit(app) for (app, _) in fixed]
    return (fixed_members.where(F.col("uid").isNotNull() & F.col("app_id").isin(apps))
            .groupBy(*KEYS).agg(*flags))


def wide_table(labels: DataFrame, compiled: list[CompiledSegment], label_columns: set[str],
               aggregates: DataFrame | None, flags: DataFrame | None, fixed: dict[tuple[str, str], str]) -> DataFrame:
    """Labels of ds joined to behavior aggregates and known memberships, with a boolean per segment.

    Each segment column already applies the consent rule; ``<column>_rule`` keeps the rule alone
    (used by the preview to count what consent removed).
    """
    wide = labels.select(*KEYS, "accept_marketing", *sorted(label_columns - {"accept_marketing"}))
    if aggregates is not None:
        wide = wide.join(aggregates, KEYS, "left")
    if flags is not None:
        wide = wide.join(flags, KEYS, "left").fillna(False, subset=list(fixed.values()))
    elif fixed:
        wide = wide.withColumns({col: false() for col in fixed.values()})
    for level in sorted({c.level for c in compiled}):
        batch = [c for c in compiled if c.level == level]
        wide = wide.withColumns({f"{c.column}_rule": c.rule for c in batch})
        wide = wide.withColumns({c.column: F.col(f"{c.column}_rule") if c.consent is None
                                 else F.col(f"{c.column}_rule") & c.consent for c in batch})
    return wide


def memberships(wide: DataFrame, compiled: list[CompiledSegment]) -> DataFrame:
    """One row per (segment, member) from the wide table's segment columns."""
    null = F.lit(None).cast(T.StringType())
    if not compiled:
        return wide.where(false()).select("app_id", null.alias("segment_id"), "uid", *(null.alias(c) for c in MEMBER_COLUMNS[3:]))
    # Nulls are removed inside the array, never after the explode: the embedded engine checks the
    # table's NOT NULL constraint on segment_id before a filter placed after the explode.
    ids = F.array_compact(F.array(*[F.when(F.col(c.column), F.lit(c.segment.id)) for c in compiled]))
    return (wide.select("app_id", "uid", F.explode(ids).alias("segment_id"))
            .select("app_id", "segment_id", "uid", *(null.alias(c) for c in MEMBER_COLUMNS[3:])))
