"""The files people write besides segment definitions, as ``lakehouse validate`` checks them.

A path is recognised by what it holds: an expectations folder has ``bounds.yml`` (its ``*.yml``
are suites), a catalog folder has ``events.yaml`` and ``labels.yaml``; anything else is a
definition file or folder (``jobs.segments.validate``). The shipped catalogs are checked on every
run: definitions are checked against them.
"""

from __future__ import annotations

import os

from jobs.errors import DefinitionError

BOUNDS = "bounds.yml"
CATALOGS = ("events.yaml", "labels.yaml")


def _is_expectations(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, BOUNDS))


def _is_catalogs(folder: str) -> bool:
    return all(os.path.isfile(os.path.join(folder, name)) for name in CATALOGS)


def kind_of(path: str) -> str:
    """``expectations``, ``suite``, ``bounds``, ``catalogs``, ``catalog`` or ``definitions``."""
    if os.path.isdir(path):
        return "expectations" if _is_expectations(path) else "catalogs" if _is_catalogs(path) else "definitions"
    folder, name = os.path.split(os.path.abspath(path))
    if name == BOUNDS:
        return "bounds"
    if name.endswith(".yml") and _is_expectations(folder):
        return "suite"
    if name in CATALOGS and _is_catalogs(folder):
        return "catalog"
    return "definitions"


def written_file_errors(path: str, kind: str) -> list[DefinitionError]:
    """Every problem of the suites, bounds or catalogs at ``path`` (``kind`` from :func:`kind_of`)."""
    if kind == "expectations":
        return _suites(path) + _bounds(os.path.join(path, BOUNDS))
    if kind == "suite":
        return [e for e in _suites(os.path.dirname(os.path.abspath(path))) if e.file == os.path.basename(path)]
    if kind == "bounds":
        return _bounds(path)
    if kind == "catalogs":
        return [e for name in CATALOGS for e in _catalog(os.path.join(path, name))]
    if kind == "catalog":
        return _catalog(path)
    raise ValueError(f"not a suite, bounds or catalog path: {path}")


def shipped_catalog_errors() -> list[DefinitionError]:
    """Every problem of the catalogs shipped with the package."""
    from jobs.catalogs import catalog_files

    return [e for path in catalog_files() for e in _catalog(path)]


def _suites(folder: str) -> list[DefinitionError]:
    from jobs.quality.suites import suite_errors  # imports Great Expectations: only when suites are named

    return suite_errors(folder)


def _bounds(path: str) -> list[DefinitionError]:
    from jobs.quality.bounds import bounds_errors

    return bounds_errors(path)


def _catalog(path: str) -> list[DefinitionError]:
    from jobs.catalogs.read import catalog_errors

    return catalog_errors(path)
