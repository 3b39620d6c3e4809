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

import yaml

from jobs.quality.datasets import DATASETS, ROWS

SEVERITIES = ("critical", "warning", "info")
BLOCKING = "critical"
SUITE_KEYS = {"name", "meta", "expectations", "notes"}
EXPECTATION_KEYS = {"type", "kwargs", "severity", "meta"}
SUITE_META_KEYS = {"table", "group_by", "description"}
EXPECTATION_META_KEYS = {"dataset", "notes"}


class SuiteError(ValueError):
    """One or more suite files are malformed; the message lists every problem."""


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
        SuiteError: listing every problem in every file, each with its file and path.
    """
    folder = Path(directory) if directory else default_directory()
    suites: dict[str, Suite] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name == "bounds.yml":
            continue
        suite = _parse(path, problems)
        if suite is None:
            continue
        if suite.table in suites:
            problems.append(f"{path.name}: table {suite.table} already has suite {suites[suite.table].path}")
            continue
        suites[suite.table] = suite
    if problems:
        raise SuiteError("invalid expectation suites:\n" + "\n".join(f"- {p}" for p in problems))
    return suites


def _parse(path: Path, problems: list[str]) -> Suite | None:
    where = path.name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping with name, meta and expectations")
        return None
    start = len(problems)
    _unknown(where, data, SUITE_KEYS, problems)
    name = data.get("name")
    if name != path.stem:
        problems.append(f"{where}: name is {name!r}, expected {path.stem!r} (the file name)")
    meta = data.get("meta") or {}
    _unknown(f"{where}: meta", meta, SUITE_META_KEYS, problems)
    table = meta.get("table")
    if not isinstance(table, str):
        problems.append(f"{where}: meta.table is required (the table the suite checks, e.g. gold.user_labels)")
    group_by = tuple(meta.get("group_by") or ())
    checks = []
    for position, raw in enumerate(data.get("expectations") or [], start=1):
        check = _parse_check(f"{where}: expectations[{position}]", path.stem, position, raw, problems)
        if check is not None:
            checks.append(check)
    if len(problems) > start:
        return None
    return Suite(path.stem, table, group_by, tuple(checks), str(path))


def _parse_check(where: str, suite: str, position: int, raw: object, problems: list[str]) -> Check | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with type, kwargs, severity")
        return None
    start = len(problems)
    _unknown(where, raw, EXPECTATION_KEYS, problems)
    meta = raw.get("meta") or {}
    _unknown(f"{where}: meta", meta, EXPECTATION_META_KEYS, problems)
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        problems.append(f"{where}: severity is {severity!r}, expected one of {', '.join(SEVERITIES)}")
    dataset = meta.get("dataset", ROWS)
    if dataset != ROWS and dataset not in DATASETS:
        problems.append(f"{where}: unknown dataset {dataset!r} (known: {', '.join([ROWS, *DATASETS])})")
    if len(problems) > start:
        return None
    check = Check(suite, position, str(raw.get("type")), dict(raw.get("kwargs") or {}), severity, dataset)
    try:
        check.to_ge()
    except Exception as exc:  # GE's own validation of the type and kwargs
        problems.append(f"{where}: {check.type}: {str(exc).splitlines()[0]}")
        return None
    return check


def _unknown(where: str, data: object, allowed: set[str], problems: list[str]) -> None:
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping")
        return
    for key in data:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
