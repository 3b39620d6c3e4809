"""Row counts and segment sizes against the previous published ds, within the bounds of
``expectations/bounds.yml`` (per table, and per group such as a segment).

Today's count passes when ``low <= count <= high`` with, for a previous published count ``p``:
``low = p * (1 - max_drop)`` (0 when ``p < min_previous``: small counts swing) and
``high = max(p, min_previous) * (1 + max_growth)``. A table with no previous published ds, and a
group absent from it (a new segment), is not compared; a group absent today is not compared
either (a segment whose definition failed alone is reported by the segment job, not here).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.errors import DefinitionError, did_you_mean, quote
from jobs.located import Findings, read_located
from jobs.quality.suites import SEVERITIES, SuiteError, default_directory

CHECK = "row_count_vs_previous"
BOUND_KEYS = {"max_drop", "max_growth", "min_previous", "severity"}


@dataclass(frozen=True)
class Bound:
    """How far today's count may move from the previous published count."""

    max_drop: float
    max_growth: float
    min_previous: int = 0
    severity: str = "warning"  # size swings are business signals: recorded, not blocking, by default

    def limits(self, previous: int) -> tuple[int, int]:
        low = 0 if previous < self.min_previous else math.ceil(previous * (1 - self.max_drop) - 1e-9)
        high = math.floor(max(previous, self.min_previous) * (1 + self.max_growth) + 1e-9)
        return low, high


@dataclass(frozen=True)
class TableBounds:
    """The bounds of one table: one bound for the whole partition, or one per group (``per``)."""

    default: Bound
    per: tuple[str, ...] = ()
    groups: Mapping[tuple[str, ...], Bound] = field(default_factory=dict)

    def for_group(self, key: tuple[str, ...]) -> Bound:
        return self.groups.get(key, self.default)


@dataclass(frozen=True)
class SizeCheck:
    """One count compared with its bound (``scope`` names the group, empty for the whole table)."""

    scope: tuple[tuple[str, object], ...]
    severity: str
    success: bool
    observed: str
    bound: str


def load_bounds(path: str | Path | None = None) -> dict[str, TableBounds]:
    """Table name -> its bounds, from ``bounds.yml``.

    Raises:
        SuiteError: listing every problem in the file; its ``errors`` are the same problems
            located (``file:line:column``, did-you-mean).
    """
    tables, found = _read_bounds(Path(path) if path else default_directory() / "bounds.yml")
    if found.lines:
        raise SuiteError("invalid bounds:\n" + "\n".join(f"- {p}" for p in found.lines), found.errors)
    return tables


def bounds_errors(path: str | Path) -> list[DefinitionError]:
    """Every problem of a bounds file, located (what ``lakehouse validate`` reports)."""
    return _read_bounds(Path(path))[1].errors


def _read_bounds(path: Path) -> tuple[dict[str, TableBounds], Findings]:
    doc, unreadable = read_located(path)
    found = Findings(doc, list(unreadable), [e.one_line() for e in unreadable])
    data = doc.data if doc is not None and doc.data is not None else {}
    if doc is None and unreadable[0].message == "the file is empty":  # no tables, as always
        return {}, Findings(None)
    specs = data.get("tables") or {} if isinstance(data, dict) else None
    if not isinstance(specs, dict):
        found.add(("tables",) if isinstance(data, dict) else (), f"{path.name}: expected a mapping of tables",
                  "tables is not a mapping", expected="tables: {table name: its bounds}")
        return {}, found
    tables = {}
    for table, spec in specs.items():
        bounds = _table_bounds(found, ("tables", table), f"{path.name}: tables.{table}", spec)
        if bounds is not None:
            tables[table] = bounds
    return tables, found


def _table_bounds(found: Findings, at: tuple, where: str, spec: object) -> TableBounds | None:
    if not isinstance(spec if spec is not None else {}, dict):
        found.add(at, f"{where}: expected a mapping", f"{at[-1]} is not a mapping", expected="a mapping of bounds")
        return None
    spec = dict(spec or {})
    per = tuple(spec.pop("per", ()) or ())
    groups_raw = spec.pop("groups", {}) or {}
    default = _bound(found, at, where, spec, None)
    groups = {}
    for key, group_spec in groups_raw.items():
        parts = tuple(str(key).split("/"))
        if len(parts) != len(per):
            found.add(at + ("groups", key), f"{where}.groups.{key}: expected {'/'.join(per) or 'no groups'}",
                      f"group {quote(key)} does not name {'/'.join(per) or 'no groups'}",
                      expected="/".join(per) if per else "no groups (the table has no per)", key=True)
            continue
        if default is not None:  # a group's bound is the table's with changes: none to check without it
            groups[parts] = _bound(found, at + ("groups", key), f"{where}.groups.{key}", dict(group_spec or {}), default)
    return TableBounds(default, per, groups) if default is not None else None


def _bound(found: Findings, at: tuple, where: str, spec: dict, base: Bound | None) -> Bound | None:
    unknown = set(spec) - BOUND_KEYS
    if unknown:
        allowed = sorted(BOUND_KEYS | ({"per", "groups"} if base is None else set()))
        listed = ", ".join(sorted(BOUND_KEYS | {"per", "groups"}))  # the one-line text lists both levels' keys
        found.lines.append(f"{where}: unknown keys {sorted(unknown)} (allowed: {listed})")
        for key in sorted(unknown):
            found.add(at + (key,), None, f"unknown key {quote(key)}", expected="one of " + ", ".join(allowed),
                      suggestion=did_you_mean(key, allowed), key=True)
        return None
    if base is None:
        missing = {"max_drop", "max_growth"} - set(spec)
        if missing:
            found.add(at, f"{where}: {', '.join(sorted(missing))} required",
                      f"missing key{'s' if len(missing) > 1 else ''} {', '.join(repr(k) for k in sorted(missing))}",
                      expected="keys max_drop, max_growth")
            return None
    for key in sorted(set(spec) & {"max_drop", "max_growth", "min_previous"}):
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.add(at + (key,), f"{where}: {key} is {value!r}, expected a number",
                      f"{key} {quote(value)} is not a number", expected="a number")
            return None
    bound = base if base is not None else Bound(float(spec["max_drop"]), float(spec["max_growth"]))
    bound = replace(bound, **{k: (int(v) if k == "min_previous" else v if k == "severity" else float(v))
                              for k, v in spec.items()})
    if bound.severity not in SEVERITIES:
        found.add(at + ("severity",), f"{where}: severity is {bound.severity!r}, expected one of {', '.join(SEVERITIES)}",
                  f"severity {quote(bound.severity)} is not allowed", expected="one of " + ", ".join(SEVERITIES),
                  suggestion=did_you_mean(bound.severity, SEVERITIES))
    if not 0 <= bound.max_drop <= 1 or bound.max_growth < 0:
        found.add(at, f"{where}: max_drop must be in [0, 1] and max_growth >= 0",
                  f"max_drop {bound.max_drop:g}, max_growth {bound.max_growth:g} are out of range",
                  expected="max_drop in [0, 1] and max_growth >= 0")
    return bound


def previous_published(published: DataFrame | None, date_column: str, ds: dt.date) -> dt.date | None:
    """The latest date before ``ds`` in the published table, or None."""
    if published is None:
        return None
    return published.where(F.col(date_column) < F.lit(ds)).agg(F.max(date_column)).first()[0]


def size_checks(
    rows: DataFrame, published: DataFrame | None, date_column: str, ds: dt.date, bounds: TableBounds
) -> list[SizeCheck]:
    """Compares today's counts (of ``rows``) with the previous published ds of ``published``."""
    previous_ds = previous_published(published, date_column, ds)
    per = list(bounds.per)
    today = _counts(rows, per)
    if previous_ds is None:
        return [
            SizeCheck(_scope(per, key), bounds.for_group(key).severity, True,
                      f"{count} rows; no previous published ds", "not compared")
            for key, count in sorted(today.items())
        ]
    before = _counts(published.where(F.col(date_column) == F.lit(previous_ds)), per)
    checks = []
    for key, count in sorted(today.items()):
        bound = bounds.for_group(key)
        if key not in before:
            checks.append(SizeCheck(_scope(per, key), bound.severity, True,
                                    f"{count} rows; none on the previous published ds {previous_ds}", "not compared"))
            continue
        low, high = bound.limits(before[key])
        checks.append(SizeCheck(
            _scope(per, key), bound.severity, low <= count <= high,
            f"{count} rows, previous published {before[key]} on {previous_ds}", f"{low}..{high} rows",
        ))
    return checks


def _counts(df: DataFrame, per: list[str]) -> dict[tuple[str, ...], int]:
    if not per:
        return {(): df.count()}
    return {tuple(str(r[c]) for c in per): r["n"] for r in df.groupBy(*per).agg(F.count(F.lit(1)).alias("n")).collect()}


def _scope(per: list[str], key: tuple[str, ...]) -> tuple[tuple[str, object], ...]:
    return tuple(zip(per, key))
