"""The generator: condition trees -> Spark Columns, one short function per node type.

Values from definitions only ever become ``F.lit`` literals; nothing is pasted into SQL text.
Behavior conditions compile to Columns over per-user aggregates that :class:`BehaviorPlan`
collects, so every behavior condition of every segment is computed in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.contract import day_start_ms
from jobs.segments.language.columns import AggregateColumns
from jobs.segments.language.model import (
    All, AnyOf, BehaviorCondition, DimensionFilter, LabelCondition, Not, SegmentRef, Window,
)

def false() -> Column:
    """A literal false (built lazily: Columns need an active Spark Connect session)."""
    return F.lit(False)


def known(col: Column, test: Column) -> Column:
    """``test`` where ``col`` is set, else false: a two-valued leaf.

    ``test`` must be null only where ``col`` is. ``false AND null`` is false, so this needs no
    CASE (a ``coalesce`` per leaf made the flag projection twice as slow on the embedded engine).
    """
    return col.isNotNull() & test


# The per-measure aggregates each metric reads.
MEASURE_AGGREGATES = {"sum": ("sum",), "avg": ("sum", "count"), "min": ("min",), "max": ("max",)}


def day_words(window: Window, ds: dt.date) -> int:
    """How many 64-day bit masks cover the window's days on ds (windows are at most 180 days)."""
    start, end = window.bounds(ds)
    return max(1, -(-((end - start).days + 1) // 64))


@dataclass
class BehaviorPlan:
    """The per-user aggregates behavior conditions need, deduplicated by what they select.

    ``selections`` maps (event, window, filters) to a short prefix such as ``b3``; ``measures``
    lists, per prefix, the (measure, aggregate) pairs the conditions read (``amount``, ``sum``);
    ``days`` the prefixes whose active dates are needed. Conditions that differ only in their
    comparison share every column.
    """

    selections: dict[tuple, str] = field(default_factory=dict)
    measures: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    days: set[str] = field(default_factory=set)

    def prefix(self, cond: BehaviorCondition) -> str:
        key = cond.selection
        if key not in self.selections:
            self.selections[key] = f"b{len(self.selections)}"
            self.measures[self.selections[key]] = set()
        prefix = self.selections[key]
        if cond.metric.measure:
            self.measures[prefix].update((cond.metric.measure, agg) for agg in MEASURE_AGGREGATES[cond.metric.kind])
        if cond.metric.kind == "days":
            self.days.add(prefix)
        return prefix


@dataclass
class Context:
    """What compiling one segment's rule needs: the run date, the behavior plan and segment columns."""

    ds: dt.date
    behavior: BehaviorPlan
    segment_column: Callable[[tuple[str, str]], str]  # resolved key of a reference -> wide-table column name
    labels: set[str] = field(default_factory=set)  # label columns the rule reads


def _label(cond: LabelCondition, ctx: Context) -> Column:
    from jobs.catalogs import label_catalog

    ctx.labels.add(cond.label)
    col = F.col(cond.label)
    kind = label_catalog()[cond.label].type
    test = LABEL_OPS[cond.op](col, cond.value, kind, ctx.ds)
    return test if cond.op in ("is_set", "is_not_set") else known(col, test)


def _lit(value, kind: str) -> Column:
    if kind == "timestamp":
        return F.lit(day_start_ms(dt.date.fromisoformat(value)))
    if kind == "number":
        return F.lit(float(value))
    if kind == "integer":
        return F.lit(int(value))
    return F.lit(value)


def _ts_end(value: str) -> Column:
    """Start of the day after ``value``: timestamps on ``value`` are before it."""
    return F.lit(day_start_ms(dt.date.fromisoformat(value) + dt.timedelta(days=1)))


def _between(col, value, kind, ds):
    low, high = value
    if kind == "timestamp":
        return (col >= _lit(low, kind)) & (col < _ts_end(high))
    return (col >= _lit(low, kind)) & (col <= _lit(high, kind))


def _within_last_days(col, value, kind, ds):
    start = ds - dt.timedelta(days=value - 1)
    return (col >= F.lit(day_start_ms(start))) & (col < F.lit(day_start_ms(ds + dt.timedelta(days=1))))


LABEL_OPS: dict[str, Callable[..., Column]] = {
    "eq": lambda col, v, kind, ds: col == _lit(v, kind),
    "ne": lambda col, v, kind, ds: col != _lit(v, kind),
    "in": lambda col, v, kind, ds: col.isin([_lit(x, kind) for x in v]),
    "not_in": lambda col, v, kind, ds: ~col.isin([_lit(x, kind) for x in v]),
    "lt": lambda col, v, kind, ds: col < _lit(v, kind),
    "le": lambda col, v, kind, ds: col <= _lit(v, kind),
    "gt": lambda col, v, kind, ds: col > _lit(v, kind),
    "ge": lambda col, v, kind, ds: col >= _lit(v, kind),
    "between": _between,
    "is_set": lambda col, v, kind, ds: col.isNotNull(),
    "is_not_set": lambda col, v, kind, ds: col.isNull(),
    "contains": lambda col, v, kind, ds: F.instr(col, F.lit(v)) > 0 if v else col.isNotNull(),
    "starts_with": lambda col, v, kind, ds: F.substring(col, 1, len(v)) == F.lit(v) if v else col.isNotNull(),
    "within_last_days": _within_last_days,
    "before": lambda col, v, kind, ds: col < _lit(v, kind),
    "after": lambda col, v, kind, ds: col >= _ts_end(v),
}

COMPARE_OPS: dict[str, Callable[[Column, object], Column]] = {
    "eq": lambda x, v: x == F.lit(v),
    "ne": lambda x, v: x != F.lit(v),
    "lt": lambda x, v: x < F.lit(v),
    "le": lambda x, v: x <= F.lit(v),
    "gt": lambda x, v: x > F.lit(v),
    "ge": lambda x, v: x >= F.lit(v),
    "between": lambda x, v: (x >= F.lit(v[0])) & (x <= F.lit(v[1])),
}


def metric_value(prefix: str, cond: BehaviorCondition, ds: dt.date) -> tuple[Column, Column]:
    """The user's metric for the condition, and where that metric is defined (never null).

    Read from the columns of ``evaluate.behavior_aggregates``: a user without a row in the
    selection has null times; otherwise times, day masks and sums are set, an average needs a
    measured count and min/max a measured value.
    """
    kind, m = cond.metric.kind, cond.metric.measure
    names = AggregateColumns(prefix)
    if kind == "times":
        return F.col(names.times), F.lit(True)
    if kind == "days":  # bit masks of active days, see evaluate.day_bits
        total = None
        for k in range(day_words(cond.window, ds)):
            word = F.bit_count(F.col(names.days(k)))
            total = word if total is None else total + word
        return total, F.lit(True)
    if kind == "sum":
        return F.col(names.measure(m, "sum")), F.lit(True)
    if kind == "avg":
        count = F.col(names.measure(m, "count"))
        # greatest(): no division by zero where the average is undefined (the engine evaluates both sides of AND)
        return (F.col(names.measure(m, "sum")) / F.greatest(count, F.lit(1)).cast("double"),
                known(count, count > F.lit(0)))
    value = F.col(names.measure(m, kind))  # min, max
    return value, value.isNotNull()


def _behavior(cond: BehaviorCondition, ctx: Context) -> Column:
    prefix = ctx.behavior.prefix(cond)
    times = F.col(AggregateColumns(prefix).times)
    if not cond.executed:
        return times.isNull() | (times == F.lit(0))
    value, defined = metric_value(prefix, cond, ctx.ds)
    return known(times, times >= F.lit(1)) & defined & COMPARE_OPS[cond.compare.op](value, cond.compare.value)


def _segment(cond: SegmentRef, ctx: Context) -> Column:
    return F.col(ctx.segment_column(cond.key))


def _all(cond: All, ctx: Context) -> Column:
    out = None
    for item in cond.items:
        col = compile_condition(item, ctx)
        out = col if out is None else out & col
    return out


def _any(cond: AnyOf, ctx: Context) -> Column:
    out = None
    for item in cond.items:
        col = compile_condition(item, ctx)
        out = col if out is None else out | col
    return out


def _not(cond: Not, ctx: Context) -> Column:
    return ~compile_condition(cond.item, ctx)


GENERATORS: dict[type, Callable[..., Column]] = {
    LabelCondition: _label,
    BehaviorCondition: _behavior,
    SegmentRef: _segment,
    All: _all,
    AnyOf: _any,
    Not: _not,
}


def compile_condition(cond, ctx: Context) -> Column:
    """The Column that is true exactly for users meeting ``cond``; never null.

    Leaves are two-valued by construction (an unset label fails every comparison except
    ``is_not_set``; a user without events has no metric), so ``not`` of a condition selects
    exactly the users the condition does not.

    Raises:
        TypeError: for a node type without a generator.
    """
    generator = GENERATORS.get(type(cond))
    if generator is None:
        raise TypeError(f"no generator for {type(cond).__name__}")
    return generator(cond, ctx)


def selection_match(event: str, window: Window, where: tuple[DimensionFilter, ...], ds: dt.date) -> Column:
    """The Column that is true for daily-aggregate rows a behavior selection counts."""
    start, end = window.bounds(ds)
    match = (F.col("event") == F.lit(event)) & F.col("event_date").between(F.lit(start), F.lit(end))
    for flt in where:
        col = F.col(f"dim_{flt.dimension}")
        hit = col.isin([F.lit(v) for v in flt.values])
        match = match & (F.coalesce(hit, false()) if flt.op in ("eq", "in") else ~F.coalesce(hit, false()))
    return match

