"""Loads the project's data catalogs (events; labels) shipped as YAML next to this module."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[str, ...] | None  # None: open set


MEASURE_TYPES = ("integer", "number")


@dataclass(frozen=True)
class Measure:
    name: str
    type: str  # integer or number
    minimum: int | float = 0  # accepted range, inclusive; a number must also be finite
    maximum: int | float = 0


def _measure(code: str, name: str, raw: dict) -> Measure:
    """A measure of events.yaml, its type and range checked (the range is data: bronze enforces it)."""
    kind, low, high = raw.get("type"), raw.get("minimum"), raw.get("maximum")
    where = f"events.yaml: event {code} measure {name}"
    if kind not in MEASURE_TYPES:
        raise ValueError(f"{where}: type must be one of {list(MEASURE_TYPES)}, not {kind!r}")
    allowed = (int,) if kind == "integer" else (int, float)  # type(): a YAML true is no number
    for key, value in (("minimum", low), ("maximum", high)):
        if type(value) not in allowed or not math.isfinite(value):
            raise ValueError(f"{where}: {key} must be a finite {kind}, not {value!r}")
    if not 0 <= low <= high:
        raise ValueError(f"{where}: the range must satisfy 0 <= minimum <= maximum, not [{low}, {high}]")
    return Measure(name, kind, low, high)


@dataclass(frozen=True)
class EventSpec:
    code: str
    category: str
    description: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]


def _load(name: str) -> dict:
    return yaml.safe_load(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def event_catalog() -> dict[str, EventSpec]:
    """Event code -> its spec, in catalog order."""
    raw = _load("events.yaml")
    catalog = {}
    for code, spec in raw["events"].items():
        if spec["category"] not in raw["categories"]:
            raise ValueError(f"events.yaml: event {code} has unknown category {spec['category']!r}")
        dims = {
            n: Dimension(n, tuple(d["values"]) if d and d.get("values") else None)
            for n, d in (spec.get("dimensions") or {}).items()
        }
        measures = {n: _measure(code, n, m or {}) for n, m in (spec.get("measures") or {}).items()}
        catalog[code] = EventSpec(code, spec["category"], spec["description"], dims, measures)
    return catalog


@cache
def event_categories() -> dict[str, str]:
    """Category key -> display name."""
    return dict(_load("events.yaml")["categories"])


LABEL_TYPES = ("string", "enum", "boolean", "integer", "number", "timestamp")


@dataclass(frozen=True)
class LabelSpec:
    name: str
    category: str
    type: str  # one of LABEL_TYPES; timestamps are epoch milliseconds UTC
    values: tuple[str, ...] | None  # allowed values (enum only)
    unit: str | None
    description: str


@cache
def label_catalog() -> dict[str, LabelSpec]:
    """Label name -> its spec, in catalog order."""
    raw = _load("labels.yaml")
    catalog = {}
    for name, spec in raw["labels"].items():
        if spec["category"] not in raw["categories"]:
            raise ValueError(f"labels.yaml: label {name} has unknown category {spec['category']!r}")
        if spec["type"] not in LABEL_TYPES:
            raise ValueError(f"labels.yaml: label {name} has unknown type {spec['type']!r}")
        values = tuple(spec["values"]) if spec.get("values") else None
        if (spec["type"] == "enum") != (values is not None):
            raise ValueError(f"labels.yaml: label {name}: values are required for enum labels and only for them")
        catalog[name] = LabelSpec(name, spec["category"], spec["type"], values, spec.get("unit"), spec["description"])
    return catalog


@cache
def label_window_events() -> dict[str, tuple[str, ...]]:
    """Windowed label -> the events it counts in the daily aggregates over its window, in file order
    (``window_events`` of labels.yaml; every label and event checked against the two catalogs)."""
    raw, labels, events = _load("labels.yaml").get("window_events") or {}, label_catalog(), event_catalog()
    for name, codes in raw.items():
        if name not in labels:
            raise ValueError(f"labels.yaml: window_events names unknown label {name!r}")
        unknown = [code for code in codes or () if code not in events]
        if not codes or unknown:
            raise ValueError(f"labels.yaml: window_events of {name}: unknown events {unknown} (or none listed)")
    return {name: tuple(codes) for name, codes in raw.items()}


@cache
def label_categories() -> dict[str, str]:
    """Category key -> display name."""
    return dict(_load("labels.yaml")["categories"])
