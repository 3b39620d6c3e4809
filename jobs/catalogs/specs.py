"""The specs of the data catalogs: an event (its dimensions and measures) and a label."""

from __future__ import annotations

from dataclasses import dataclass

MEASURE_TYPES = ("integer", "number")
LABEL_TYPES = ("string", "enum", "boolean", "integer", "number", "timestamp")


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[str, ...] | None  # None: open set


@dataclass(frozen=True)
class Measure:
    name: str
    type: str  # integer or number
    minimum: int | float = 0  # accepted range, inclusive; a number must also be finite
    maximum: int | float = 0


@dataclass(frozen=True)
class EventSpec:
    code: str
    category: str
    description: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]


@dataclass(frozen=True)
class LabelSpec:
    name: str
    category: str
    type: str  # one of LABEL_TYPES; timestamps are epoch milliseconds UTC
    values: tuple[str, ...] | None  # allowed values (enum only)
    unit: str | None
    description: str
