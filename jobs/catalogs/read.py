"""Reads a catalog file (events.yaml, labels.yaml) into its specs, every problem located as in a definition."""

from __future__ import annotations

import math
import os

from jobs.catalogs.specs import LABEL_TYPES, MEASURE_TYPES, Dimension, EventSpec, LabelSpec, Measure
from jobs.errors import DefinitionError, did_you_mean, quote
from jobs.located import Findings, read_located

EVENT_KEYS = {"category", "description", "dimensions", "measures"}
DIMENSION_KEYS = {"values"}
MEASURE_KEYS = {"type", "minimum", "maximum"}
LABEL_KEYS = {"category", "type", "values", "unit", "description"}


def read_events(path: str | os.PathLike) -> tuple[dict[str, EventSpec], dict[str, str], list[DefinitionError]]:
    """Event code -> spec and category key -> display name of an events catalog, and its problems."""
    found, categories, entries = _read(path, "events")
    catalog = {}
    for code, spec in entries.items():
        at = ("events", code)
        ok = _entry(found, at, spec, EVENT_KEYS, ("category", "description"), categories)
        if not isinstance(spec, dict):
            continue
        dims = {n: Dimension(n, tuple(d["values"]) if isinstance(d, dict) and d.get("values") else None)
                for n, d in _named(found, at + ("dimensions",), spec.get("dimensions"), DIMENSION_KEYS).items()}
        measures = {n: _measure(found, at + ("measures", n), m or {})
                    for n, m in _named(found, at + ("measures",), spec.get("measures"), MEASURE_KEYS).items()}
        if ok and None not in measures.values():
            catalog[code] = EventSpec(code, spec["category"], spec["description"], dims, measures)
    return catalog, categories, found.errors


def read_labels(path: str | os.PathLike) -> tuple[dict[str, LabelSpec], dict[str, str], list[DefinitionError]]:
    """Label name -> spec and category key -> display name of a labels catalog, and its problems."""
    found, categories, entries = _read(path, "labels", extra=("window_events",))
    catalog = {}
    for name, spec in entries.items():
        at = ("labels", name)
        if not _entry(found, at, spec, LABEL_KEYS, ("category", "type", "description"), categories):
            continue
        if spec["type"] not in LABEL_TYPES:
            found.not_allowed(at + ("type",), None, "type", spec, list(LABEL_TYPES))
            continue
        values = tuple(spec["values"]) if spec.get("values") else None
        if (spec["type"] == "enum") != (values is not None):
            found.add(at + ("values",) if values else at, None, f"label {name}: values are required for enum labels "
                      "and only for them", expected="values: [...] with type: enum, no values otherwise")
            continue
        catalog[name] = LabelSpec(name, spec["category"], spec["type"], values, spec.get("unit"), spec["description"])
    return catalog, categories, found.errors


def catalog_errors(path: str | os.PathLike) -> list[DefinitionError]:
    """Every problem of a catalog file, by its name: ``events.yaml`` or ``labels.yaml``."""
    name = os.path.basename(path)
    if name not in ("events.yaml", "labels.yaml"):
        return [DefinitionError(name, 0, 0, "", "not a catalog file", expected="events.yaml or labels.yaml")]
    return (read_events if name == "events.yaml" else read_labels)(path)[2]


def read_window_events(path: str | os.PathLike) -> dict[str, tuple[str, ...]]:
    """``window_events`` of a labels catalog: windowed label -> the events it counts, in file order."""
    doc, _ = read_located(path)
    raw = doc.data.get("window_events") if doc is not None and isinstance(doc.data, dict) else None
    return {str(name): tuple(codes or ()) for name, codes in (raw or {}).items()}


def _read(path: str | os.PathLike, entries: str, extra: tuple[str, ...] = ()) -> tuple[Findings, dict[str, str], dict]:
    """The file's findings so far, its categories and its entries (``events`` or ``labels``); ``extra``:
    further top-level keys the file may hold."""
    doc, unreadable = read_located(path)
    found = Findings(doc, list(unreadable))
    if doc is None:
        return found, {}, {}
    if not isinstance(doc.data, dict):
        found.add((), None, "the catalog is not a mapping", expected=f"a mapping with categories and {entries}")
        return found, {}, {}
    found.unknown_keys((), "", doc.data, {"categories", entries, *extra})
    categories = _mapping_of(found, ("categories",), doc.data.get("categories"), "category key: its display name")
    return found, {str(k): str(v) for k, v in categories.items()}, _mapping_of(found, (entries,), doc.data.get(entries),
                                                                               f"{entries[:-1]}: its spec")


def _mapping_of(found: Findings, at: tuple, value: object, expected: str) -> dict:
    if isinstance(value, dict):
        return value
    found.add(at if value is not None else (), None,
              f"{at[-1]} is not a mapping" if value is not None else f"missing key '{at[-1]}'", expected=expected)
    return {}


def _entry(found: Findings, at: tuple, spec: object, allowed: set[str], required: tuple[str, ...],
           categories: dict[str, str]) -> bool:
    """Whether one event or label entry has its keys and a known category (else its problems)."""
    if not isinstance(spec, dict):
        found.add(at, None, f"{at[-1]} is not a mapping", expected="a mapping with " + ", ".join(required))
        return False
    before = len(found.errors)
    found.unknown_keys(at, "", spec, allowed)
    for key in required:
        if key not in spec:
            found.add(at, None, f"missing key '{key}'", expected="keys " + ", ".join(required), key=True)
    if "category" in spec and spec["category"] not in categories:
        found.add(at + ("category",), None, f"unknown category {quote(spec['category'])}",
                  expected="a key of categories", suggestion=did_you_mean(spec["category"], list(categories)))
    return len(found.errors) == before


def _named(found: Findings, at: tuple, value: object, allowed: set[str]) -> dict:
    """A ``dimensions`` or ``measures`` mapping (name -> spec), unknown keys of each spec reported."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        found.add(at, None, f"{at[-1]} is not a mapping", expected="name: its spec")
        return {}
    for name, spec in value.items():
        if isinstance(spec, dict):
            found.unknown_keys(at + (name,), "", spec, allowed)
    return value


def measure_problem(raw: dict) -> tuple[str | None, str] | None:
    """What is wrong with a measure's type and range (the key at fault, the words), or None.

    The range is data: bronze quarantines a value outside it.
    """
    kind, low, high = raw.get("type"), raw.get("minimum"), raw.get("maximum")
    if kind not in MEASURE_TYPES:
        return "type", f"type must be one of {list(MEASURE_TYPES)}, not {kind!r}"
    allowed = (int,) if kind == "integer" else (int, float)  # type(): a YAML true is no number
    for key, value in (("minimum", low), ("maximum", high)):
        if type(value) not in allowed or not math.isfinite(value):
            return key, f"{key} must be a finite {kind}, not {value!r}"
    if not 0 <= low <= high:
        return None, f"the range must satisfy 0 <= minimum <= maximum, not [{low}, {high}]"
    return None


def _measure(found: Findings, at: tuple, raw: object) -> Measure | None:
    raw = raw if isinstance(raw, dict) else {}
    problem = measure_problem(raw)
    if problem is None:
        return Measure(at[-1], raw["type"], raw["minimum"], raw["maximum"])
    key, words = problem
    if key == "type" and raw.get("type") is not None:
        found.add(at + ("type",), None, words, expected="one of " + ", ".join(MEASURE_TYPES),
                  suggestion=did_you_mean(raw["type"], MEASURE_TYPES))
    else:
        found.add(at + ((key,) if key in raw else ()), None, words, key=key is not None and key not in raw)
    return None
