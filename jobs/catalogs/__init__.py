"""The project's data catalogs (events; labels), shipped as YAML next to this module and read on first use.

A broken catalog raises ``CatalogError`` listing every problem located (``file:line:column``,
did-you-mean), as definitions report theirs; ``lakehouse validate`` checks the catalogs too.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from jobs.catalogs.specs import LABEL_TYPES, MEASURE_TYPES, Dimension, EventSpec, LabelSpec, Measure
from jobs.errors import DefinitionErrors

__all__ = ["LABEL_TYPES", "MEASURE_TYPES", "CatalogError", "Dimension", "EventSpec", "LabelSpec", "Measure",
           "catalog_files", "event_catalog", "event_categories", "label_catalog", "label_categories",
           "label_window_events"]


class CatalogError(DefinitionErrors, ValueError):
    """A shipped catalog file is malformed; ``errors`` are its problems, located."""


def _measure(code: str, name: str, raw: dict) -> Measure:
    """A measure of events.yaml, its type and range checked (raises ValueError naming the event and measure)."""
    from jobs.catalogs.read import measure_problem

    problem = measure_problem(raw)
    if problem is not None:
        raise ValueError(f"events.yaml: event {code} measure {name}: {problem[1]}")
    return Measure(name, raw["type"], raw["minimum"], raw["maximum"])


def catalog_files() -> list[str]:
    """The shipped catalog files, as local paths."""
    return [str(resources.files(__package__).joinpath(name)) for name in ("events.yaml", "labels.yaml")]


@cache
def _events() -> tuple[dict[str, EventSpec], dict[str, str]]:
    from jobs.catalogs.read import read_events

    catalog, categories, errors = read_events(catalog_files()[0])
    if errors:
        raise CatalogError(errors)
    return catalog, categories


@cache
def _labels() -> tuple[dict[str, LabelSpec], dict[str, str]]:
    from jobs.catalogs.read import read_labels

    catalog, categories, errors = read_labels(catalog_files()[1])
    if errors:
        raise CatalogError(errors)
    return catalog, categories


def event_catalog() -> dict[str, EventSpec]:
    """Event code -> its spec, in catalog order."""
    return _events()[0]


def event_categories() -> dict[str, str]:
    """Category key -> display name."""
    return dict(_events()[1])


def label_catalog() -> dict[str, LabelSpec]:
    """Label name -> its spec, in catalog order."""
    return _labels()[0]


@cache
def label_window_events() -> dict[str, tuple[str, ...]]:
    """Windowed label -> the events it counts in the daily aggregates over its window, in file order
    (``window_events`` of labels.yaml; every label and event checked against the two catalogs)."""
    from jobs.catalogs.read import read_window_events

    raw, labels, events = read_window_events(catalog_files()[1]), label_catalog(), event_catalog()
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
    return dict(_labels()[1])
