"""The typed tree of the segment language: frozen dataclasses built from a schema-valid document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Value = str | int | float | bool
Path = tuple[str | int, ...]

PREDEFINED_APP = "*"  # app_id of the shipped predefined segments: they apply to every app


@dataclass(frozen=True)
class LastDays:
    """ds and the ``days - 1`` days before it."""

    days: int

    def bounds(self, ds: dt.date) -> tuple[dt.date, dt.date]:
        return ds - dt.timedelta(days=self.days - 1), ds


@dataclass(frozen=True)
class DateRange:
    """An absolute inclusive range of event dates (never past ds)."""

    start: dt.date
    end: dt.date

    def bounds(self, ds: dt.date) -> tuple[dt.date, dt.date]:
        return self.start, min(self.end, ds)


Window = LastDays | DateRange


@dataclass(frozen=True)
class LabelCondition:
    label: str
    op: str
    value: Value | tuple[Value, ...] | None
    path: Path = field(compare=False)


@dataclass(frozen=True)
class DimensionFilter:
    dimension: str
    op: str  # eq, ne, in, not_in
    values: tuple[str, ...]
    path: Path = field(compare=False)


@dataclass(frozen=True)
class Metric:
    kind: str  # times, days, sum, avg, min, max
    measure: str | None = None


@dataclass(frozen=True)
class Compare:
    op: str  # eq, ne, lt, le, gt, ge, between
    value: float | tuple[float, float]


@dataclass(frozen=True)
class BehaviorCondition:
    """Events in a window: ``executed`` with ``metric`` satisfying ``compare``, or none at all."""

    event: str
    window: Window
    executed: bool
    where: tuple[DimensionFilter, ...]
    metric: Metric
    compare: Compare
    path: Path = field(compare=False)

    @property
    def selection(self) -> tuple:
        """What the condition counts: event, window and filters (shared by conditions that differ only in metric)."""
        return (self.event, self.window, self.where)


@dataclass(frozen=True)
class SegmentRef:
    """A reference to another segment by id; ``key`` is the segment it stands for, set by the
    resolve pass (``passes.resolve``), None before."""

    segment: str
    path: Path = field(compare=False)
    key: tuple[str, str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]
    path: Path = field(compare=False)


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]
    path: Path = field(compare=False)


@dataclass(frozen=True)
class Not:
    item: Condition
    path: Path = field(compare=False)


Condition = LabelCondition | BehaviorCondition | SegmentRef | All | AnyOf | Not


@dataclass(frozen=True)
class ImportSource:
    csv: str  # as written, relative to the definition file
    abspath: str  # resolved on disk
    path: Path = field(compare=False)


@dataclass(frozen=True)
class Segment:
    """One segment definition.

    Args:
        app_id: the app, or ``*`` for a predefined segment (applied to every app).
        kind: predefined, custom, nested (refers to other segments) or imported.
        definition_hash: sha256 of the canonical JSON of the definition (and of the CSV of an import).
        file: the definition file relative to the definitions folder.
    """

    id: str
    app_id: str
    name: str
    description: str
    refresh: str
    consent_required: bool
    rule: Condition | None
    source: ImportSource | None
    kind: str
    definition_hash: str
    file: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.app_id, self.id)


def walk(cond: Condition):
    """Every node of a condition tree, depth first."""
    yield cond
    if isinstance(cond, (All, AnyOf)):
        for item in cond.items:
            yield from walk(item)
    elif isinstance(cond, Not):
        yield from walk(cond.item)


def references(segment: Segment) -> list[SegmentRef]:
    """The segment references in a segment's rule."""
    return [n for n in walk(segment.rule) if isinstance(n, SegmentRef)] if segment.rule else []
