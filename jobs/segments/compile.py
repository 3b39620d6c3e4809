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

from jobs.segments.model import (
    All, AnyOf, BehaviorCondition, DimensionFilter, LabelCondition, Not, SegmentRef, Window,
)

def false() -> Column:
    """A literal false (built lazily: Columns need an active Spark Connect session)."""
    return F.lit(False)
DAY_MS = 86_400_000


def epoch_ms(day: dt.date) -> int:
    """Epoch milliseconds (UTC) at the start of ``day``."""
    return (day - dt.date(1970, 1, 1)).days * DAY_MS


@dataclass
class BehaviorPlan:
    """The per-user aggregates behavior conditions need, deduplicated by what they select.

    ``selections`` maps (event, window, filters) to a short prefix such as ``b3``; ``measures``
    lists, per prefix, the measures whose sum/count/min/max are needed; ``days`` the prefixes
    whose distinct active dates are counted.
    """

    selections: dict[tuple, str] = field(default_factory=dict)
    measures: dict[str, set[str]] = field(default_factory=dict)
    days: set[str] = field(default_factory=set)  # prefixes whose number of active days is needed

    def prefix(self, cond: BehaviorCondition) -> str:
        key = cond.selection
        if key not in self.selections:
            self.selections[key] = f"b{len(self.selections)}"
            self.measures[self.selections[key]] = set()
        prefix = self.selections[key]
        if cond.metric.measure:
            self.measures[prefix].add(cond.metric.measure)
        if cond.metric.kind == "days":
            self.days.add(prefix)
        return prefix


@dataclass
class Context:
    """What compiling one segment's rule needs: the run date, the behavior plan and segment columns."""

    ds: dt.date
    behavior: BehaviorPlan
    segment_column: Callable[[str], str]  # referenced segment id -> wide-table column name
    labels: set[str] = field(default_factory=set)  # label columns the rule reads


def _label(cond: LabelCondition, ctx: Context) -> Column:
    from jobs.catalogs import label_catalog

    ctx.labels.add(cond.label)
    col = F.col(cond.label)
    kind = label_catalog()[cond.label].type
    return LABEL_OPS[cond.op](col, cond.value, kind, ctx.ds)


def _lit(value, kind: str) -> Column:
    if kind == "timestamp":
        return F.lit(epoch_ms(dt.date.fromisoformat(value)))
    if kind == "number":
        return F.lit(float(value))
    if kind == "integer":
        return F.lit(int(value))
    return F.lit(value)


def _ts_end(value: str) -> Column:
    """Start of the day after ``value``: timestamps on ``value`` are before it."""
    return F.lit(epoch_ms(dt.date.fromisoformat(value) + dt.timedelta(days=1)))


def _between(col, value, kind, ds):
    low, high = value
    if kind == "timestamp":
        return (col >= _lit(low, kind)) & (col < _ts_end(high))
    return (col >= _lit(low, kind)) & (col <= _lit(high, kind))


def _within_last_days(col, value, kind, ds):
    start = ds - dt.timedelta(days=value - 1)
    return (col >= F.lit(epoch_ms(start))) & (col < F.lit(epoch_ms(ds + dt.timedelta(days=1))))


LABEL_OPS: dict[str, Callable[..., Column]] = {
    "eq": lambda col, v, kind, ds: col == _lit(v, kind),
    "ne": lambda col, v, kind, ds: col != _lit(v, kind),
    "in": lambda col, v, kind, ds: col.isin([_lit(x, kind) for x in v]),
    "not_in": lambda col, v, kind, ds: col.isNotNull() & ~col.isin([_lit(x, kind) for x in v]),
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


def metric_value(prefix: str, cond: BehaviorCondition) -> Column:
    """The user's metric for the condition, from the aggregated columns (0 times/days when no event)."""
    kind, m = cond.metric.kind, cond.metric.measure
    if kind == "times":
        return F.coalesce(F.col(f"{prefix}_times"), F.lit(0)).cast("double")
    if kind == "days":  # bit masks of active days, see evaluate.day_bits
        bits = [F.coalesce(F.bit_count(F.col(f"{prefix}_days{k}")), F.lit(0)) for k in range(3)]
        return (bits[0] + bits[1] + bits[2]).cast("double")
    if kind == "sum":
        return F.coalesce(F.col(f"{prefix}_{m}_sum"), F.lit(0.0))
    if kind == "avg":
        count = F.col(f"{prefix}_{m}_count")
        return F.when(count > 0, F.col(f"{prefix}_{m}_sum") / count.cast("double"))
    return F.col(f"{prefix}_{m}_{kind}")  # min, max


def _behavior(cond: BehaviorCondition, ctx: Context) -> Column:
    prefix = ctx.behavior.prefix(cond)
    times = F.coalesce(F.col(f"{prefix}_times"), F.lit(0))
    if not cond.executed:
        return times == F.lit(0)
    return (times >= F.lit(1)) & COMPARE_OPS[cond.compare.op](metric_value(prefix, cond), cond.compare.value)


def _segment(cond: SegmentRef, ctx: Context) -> Column:
    return F.col(ctx.segment_column(cond.segment))


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

    Leaves are made two-valued (an unset label fails every comparison except ``is_not_set``),
    so ``not`` of a condition selects exactly the users the condition does not.

    Raises:
        TypeError: for a node type without a generator.
    """
    generator = GENERATORS.get(type(cond))
    if generator is None:
        raise TypeError(f"no generator for {type(cond).__name__}")
    column = generator(cond, ctx)
    if isinstance(cond, (LabelCondition, BehaviorCondition)):
        column = F.coalesce(column, false())
    return column


def selection_match(event: str, window: Window, where: tuple[DimensionFilter, ...], ds: dt.date) -> Column:
    """The Column that is true for daily-aggregate rows a behavior selection counts."""
    start, end = window.bounds(ds)
    match = (F.col("event") == F.lit(event)) & F.col("event_date").between(F.lit(start), F.lit(end))
    for flt in where:
        col = F.col(f"dim_{flt.dimension}")
        hit = col.isin([F.lit(v) for v in flt.values])
        match = match & (F.coalesce(hit, false()) if flt.op in ("eq", "in") else ~F.coalesce(hit, false()))
    return match

