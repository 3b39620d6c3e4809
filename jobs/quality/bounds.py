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

import yaml
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

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
        SuiteError: listing every problem in the file.
    """
    path = Path(path) if path else default_directory() / "bounds.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    tables = {}
    for table, spec in (data.get("tables") or {}).items():
        where = f"{path.name}: tables.{table}"
        spec = dict(spec or {})
        per = tuple(spec.pop("per", ()) or ())
        groups_raw = spec.pop("groups", {}) or {}
        default = _bound(where, spec, None, problems)
        groups = {}
        for key, group_spec in groups_raw.items():
            parts = tuple(str(key).split("/"))
            if len(parts) != len(per):
                problems.append(f"{where}.groups.{key}: expected {'/'.join(per) or 'no groups'}")
                continue
            groups[parts] = _bound(f"{where}.groups.{key}", dict(group_spec or {}), default, problems)
        if default is not None:
            tables[table] = TableBounds(default, per, groups)
    if problems:
        raise SuiteError("invalid bounds:\n" + "\n".join(f"- {p}" for p in problems))
    return tables


def _bound(where: str, spec: dict, base: Bound | None, problems: list[str]) -> Bound | None:
    unknown = set(spec) - BOUND_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(BOUND_KEYS | {'per', 'groups'}))})")
        return None
    if base is None:
        missing = {"max_drop", "max_growth"} - set(spec)
        if missing:
            problems.append(f"{where}: {', '.join(sorted(missing))} required")
            return None
        bound = Bound(float(spec["max_drop"]), float(spec["max_growth"]))
    else:
        bound = base
    bound = replace(bound, **{k: (int(v) if k == "min_previous" else v if k == "severity" else float(v))
                              for k, v in spec.items()})
    if bound.severity not in SEVERITIES:
        problems.append(f"{where}: severity is {bound.severity!r}, expected one of {', '.join(SEVERITIES)}")
    if not 0 <= bound.max_drop <= 1 or bound.max_growth < 0:
        problems.append(f"{where}: max_drop must be in [0, 1] and max_growth >= 0")
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
