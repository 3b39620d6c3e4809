"""Loads the Great Expectations suites in ``expectations/`` (one YAML file per table).

Each file is a GE suite in GE's own shape (``name``, ``meta``, ``expectations`` of ``type``,
``kwargs``, ``severity``, ``meta``) written as YAML so it can carry comments for review. Two
project keys live in the ``meta`` blocks GE leaves to its users:

- suite ``meta.table``: the table whose ds partition the suite checks (e.g. ``gold.user_labels``);
  suite ``meta.group_by``: columns whose values a failing row-level check is reported per
  (e.g. ``[app_id, segment_id]``: the failure names the segment).
- expectation ``meta.dataset``: the DataFrame the expectation runs on: ``rows`` (the default, the
  partition itself) or a derived dataset of ``jobs.quality.datasets`` (a join with the user
  snapshot, ...), so cross-table rules are ordinary expectations declared here.

``severity`` is required on every expectation: ``critical`` blocks publication, ``warning`` and
``info`` are recorded and reported but publish.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jobs.errors import DefinitionError, did_you_mean, quote
from jobs.located import Findings, read_located
from jobs.quality.datasets import DATASETS, ROWS

SEVERITIES = ("critical", "warning", "info")
BLOCKING = "critical"
SUITE_KEYS = {"name", "meta", "expectations", "notes"}
EXPECTATION_KEYS = {"type", "kwargs", "severity", "meta"}
SUITE_META_KEYS = {"table", "group_by", "description"}
EXPECTATION_META_KEYS = {"dataset", "notes"}


class SuiteError(ValueError):
    """One or more suite (or bounds) files are malformed; the message lists every problem.

    Args:
        message: every problem, one ``- file: where: problem`` line each.
        errors: the same problems located (``file:line:column``, did-you-mean), as definitions report them.
    """

    def __init__(self, message: str, errors: list[DefinitionError] = ()):
        super().__init__(message)
        self.errors = list(errors)


def default_directory() -> Path:
    """The expectations folder of the running command or task (``jobs.settings``: the
    ``LAKEHOUSE_EXPECTATIONS`` setting, else the suites shipped with the package)."""
    from jobs.settings import current

    return Path(current().expectations)


@dataclass(frozen=True)
class Check:
    """One expectation of a suite file, in the project's terms.

    Args:
        suite: the suite name (the file name without extension).
        position: 1-based position in the file's ``expectations`` list.
        type: the GE expectation type, e.g. ``expect_column_values_to_be_unique``.
        kwargs: the GE kwargs as written.
        severity: critical, warning or info.
        dataset: ``rows`` or the name of a derived dataset.
    """

    suite: str
    position: int
    type: str
    kwargs: Mapping[str, object]
    severity: str
    dataset: str = ROWS

    @property
    def id(self) -> str:
        return f"{self.suite}#{self.position}"

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING

    @property
    def column(self) -> str | None:
        """The checked column(s) as shown in messages, or None for table-level checks."""
        k = self.kwargs
        if "column" in k:
            name = str(k["column"])
        elif "column_list" in k:
            name = "[" + ", ".join(map(str, k["column_list"])) + "]"
        elif "column_A" in k:
            name = f"[{k['column_A']}, {k['column_B']}]"
        else:
            return None
        return name if self.dataset == ROWS else f"{self.dataset}.{name}"

    def to_ge(self):
        """The GE expectation object (raises on an unknown type or invalid kwargs)."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        config = ExpectationConfiguration(
            type=self.type, kwargs=dict(self.kwargs), severity=self.severity, meta={"check_id": self.id}
        )
        return config.to_domain_obj()


@dataclass(frozen=True)
class Suite:
    """A suite file: the table it checks and its checks in file order."""

    name: str
    table: str
    group_by: tuple[str, ...]
    checks: tuple[Check, ...]
    path: str

    def by_dataset(self) -> dict[str, list[Check]]:
        """Checks grouped by the dataset they run on, datasets in order of first use."""
        groups: dict[str, list[Check]] = {}
        for check in self.checks:
            groups.setdefault(check.dataset, []).append(check)
        return groups


def load_suites(directory: str | os.PathLike | None = None) -> dict[str, Suite]:
    """Table name -> its suite, from every ``*.yml`` suite file in ``directory``.

    ``bounds.yml`` (size bounds, see ``jobs.quality.bounds``) is not a suite and is skipped.

    Raises:
        SuiteError: listing every problem in every file, each with its file and path; its
            ``errors`` are the same problems located (``file:line:column``, did-you-mean).
    """
    suites, lines, errors = _read_suites(Path(directory) if directory else default_directory())
    if lines:
        raise SuiteError("invalid expectation suites:\n" + "\n".join(f"- {p}" for p in lines), errors)
    return suites


def suite_errors(directory: str | os.PathLike) -> list[DefinitionError]:
    """Every problem of the suite files in ``directory``, located (what ``lakehouse validate`` reports)."""
    return _read_suites(Path(directory))[2]


def _read_suites(folder: Path) -> tuple[dict[str, Suite], list[str], list[DefinitionError]]:
    suites: dict[str, Suite] = {}
    lines: list[str] = []
    errors: list[DefinitionError] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name == "bounds.yml":
            continue
        suite, found = _parse(path)
        if suite is not None and suite.table in suites:
            found.add(("meta", "table"), f"{path.name}: table {suite.table} already has suite {suites[suite.table].path}",
                      f"table {suite.table} already has suite {Path(suites[suite.table].path).name}",
                      expected="one suite per table")
        elif suite is not None:
            suites[suite.table] = suite
        lines += found.lines
        errors += found.errors
    return suites, lines, errors


def _parse(path: Path) -> tuple[Suite | None, Findings]:
    where = path.name
    doc, unreadable = read_located(path)
    if doc is None:
        found = Findings(None, list(unreadable), [e.one_line() for e in unreadable])
        if unreadable[0].message == "the file is empty":  # as an empty mapping always was
            found.lines = [f"{where}: expected a mapping with name, meta and expectations"]
        return None, found
    found = Findings(doc, list(unreadable), [e.one_line() for e in unreadable])
    data = doc.data
    if not isinstance(data, dict):
        found.add((), f"{where}: expected a mapping with name, meta and expectations", "the suite is not a mapping",
                  expected="a mapping with name, meta and expectations")
        return None, found
    found.unknown_keys((), where, data, SUITE_KEYS)
    name = data.get("name")
    if name != path.stem:
        found.add(("name",), f"{where}: name is {name!r}, expected {path.stem!r} (the file name)",
                  f"name {quote(name)} is not the file name", expected=f"{path.stem} (the file name)",
                  suggestion=path.stem)
    meta = _mapping(found, ("meta",), f"{where}: meta", data.get("meta") or {}, SUITE_META_KEYS)
    table = meta.get("table")
    if not isinstance(table, str):
        found.add(("meta", "table") if "table" in meta else ("meta",),
                  f"{where}: meta.table is required (the table the suite checks, e.g. gold.user_labels)",
                  "missing key 'table'" if "table" not in meta else f"table {quote(table)} is not a table name",
                  expected="the table the suite checks, e.g. gold.user_labels")
    group_by = tuple(meta.get("group_by") or ())
    checks = []
    for position, raw in enumerate(data.get("expectations") or [], start=1):
        check = _parse_check(found, f"{where}: expectations[{position}]", path.stem, position, raw)
        if check is not None:
            checks.append(check)
    if found.lines:
        return None, found
    return Suite(path.stem, table, group_by, tuple(checks), str(path)), found


def _parse_check(found: Findings, where: str, suite: str, position: int, raw: object) -> Check | None:
    at = ("expectations", position - 1)
    if not isinstance(raw, dict):
        found.add(at, f"{where}: expected a mapping with type, kwargs, severity", "the expectation is not a mapping",
                  expected="a mapping with type, kwargs, severity")
        return None
    start = len(found.lines)
    found.unknown_keys(at, where, raw, EXPECTATION_KEYS)
    meta = _mapping(found, at + ("meta",), f"{where}: meta", raw.get("meta") or {}, EXPECTATION_META_KEYS)
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        found.not_allowed(at + ("severity",), f"{where}: severity is {severity!r}, expected one of {', '.join(SEVERITIES)}",
                          "severity", raw, list(SEVERITIES))
    dataset = meta.get("dataset", ROWS)
    if dataset != ROWS and dataset not in DATASETS:
        known = [ROWS, *DATASETS]
        found.add(at + ("meta", "dataset"), f"{where}: unknown dataset {dataset!r} (known: {', '.join(known)})",
                  f"unknown dataset {quote(dataset)}", expected="one of " + ", ".join(known),
                  suggestion=did_you_mean(dataset, known))
    if len(found.lines) > start:
        return None
    check = Check(suite, position, str(raw.get("type")), dict(raw.get("kwargs") or {}), severity, dataset)
    try:
        check.to_ge()
    except Exception as exc:  # GE's own validation of the type and kwargs
        _ge_error(found, at, where, check, exc)
        return None
    return check


def _ge_error(found: Findings, at: tuple, where: str, check: Check, exc: Exception) -> None:
    """GE's refusal of an expectation: an unknown type (with the closest GE type), or GE's own words."""
    from great_expectations.expectations.registry import list_registered_expectation_implementations

    first = str(exc).splitlines()[0]
    types = list_registered_expectation_implementations()
    if check.type not in types:
        found.add(at + ("type",), f"{where}: {check.type}: {first}", f"unknown expectation type {quote(check.type)}",
                  expected="a Great Expectations expectation type", suggestion=did_you_mean(check.type, types))
        return
    line = f"{where}: {check.type}: {first}"
    for problem in exc.errors() if callable(getattr(exc, "errors", None)) else [{"loc": (), "msg": first}]:
        name = problem["loc"][0] if problem["loc"] and problem["loc"][0] != "__root__" else None
        if problem.get("type") == "value_error.extra":
            fields = _kwarg_names(check.type)
            found.add(at + ("kwargs", name), line, f"unknown kwarg {quote(name)} of {check.type}",
                      expected="one of " + ", ".join(fields), suggestion=did_you_mean(name, fields), key=True)
        else:
            found.add(at + ("kwargs",) + ((name,) if name else ()), line,
                      f"{check.type}: {name + ': ' if name else ''}{problem['msg']}")
        line = None  # one line per expectation in the loader's message, as always


def _kwarg_names(check_type: str) -> list[str]:
    """The kwargs an expectation type accepts (its pydantic fields, less GE's own bookkeeping)."""
    from great_expectations.expectations.registry import get_expectation_impl

    fields = getattr(get_expectation_impl(check_type), "__fields__", {})
    return sorted(set(fields) - {"batch_id", "id", "meta", "notes", "rendered_content", "severity"})


def _mapping(found: Findings, path: tuple, where: str, data: object, allowed: set[str]) -> dict:
    """``data`` when it is a mapping (its unknown keys reported), else ``{}`` and the problem."""
    if not isinstance(data, dict):
        found.add(path, f"{where}: expected a mapping", f"{path[-1]} is not a mapping", expected="a mapping")
        return {}
    found.unknown_keys(path, where, data, allowed)
    return data
