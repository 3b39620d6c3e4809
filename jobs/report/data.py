"""The numbers of the segment report as plain records, computed from Arrow tables (no I/O here).

The readers that fill them are in ``jobs.report.read``; everything in this module is a pure
transform, so tests can feed it small inline tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The severity that blocks publication: jobs.quality.suites.BLOCKING, not imported (it loads the engine).
CRITICAL = "critical"

OVERLAP_CHUNK = 65_536  # users per dense block of the overlap product (segments × 65,536 float32)


@dataclass(frozen=True)
class SizeSeries:
    """One segment's published size per day (None: no published run that day)."""

    app_id: str
    segment_id: str
    name: str
    days: tuple[dt.date, ...]
    sizes: tuple[int | None, ...]


@dataclass(frozen=True)
class Overlap:
    """Members in common between every pair of one app's segments on ds (uid members only).

    ``common[i][j]`` is |A_i ∩ A_j|; the diagonal is each segment's number of uid members.
    """

    app_id: str
    segments: tuple[str, ...]
    common: tuple[tuple[int, ...], ...]

    def share(self, i: int, j: int) -> float | None:
        """|A_i ∩ A_j| as a fraction of the row segment A_i (None for an empty segment)."""
        size = self.common[i][i]
        return self.common[i][j] / size if size else None


@dataclass(frozen=True)
class SegmentRun:
    """A segment's run on ds with its entered/exited counts against its previous published ds."""

    app_id: str
    segment_id: str
    name: str
    kind: str
    status: str  # published, blocked, failed or retired
    member_count: int | None
    entered: int
    exited: int
    reason: str | None


@dataclass(frozen=True)
class CheckRow:
    """One check of the latest audit of a table's ds partition."""

    table: str
    suite: str
    check_id: str
    check: str
    column: str | None
    scope: str  # e.g. "app_id=smartlife segment_id=churn_stage", empty for table-level checks
    severity: str
    success: bool
    observed: str
    bound: str

    @property
    def outcome(self) -> str:
        """``failed`` (critical: blocks publication), ``warning`` (non-critical failure) or ``passed``."""
        if self.success:
            return "passed"
        return "failed" if self.severity == CRITICAL else "warning"


@dataclass(frozen=True)
class Audit:
    """The latest audit of one table's ds partition and its quality report (from gold.publications)."""

    table: str
    run_id: str
    status: str  # published, blocked, or audited (checked, no publication recorded)
    report_path: str | None


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows for one ds."""

    ds: dt.date
    first: dt.date
    apps: tuple[str, ...]
    sizes: tuple[SizeSeries, ...]
    overlaps: tuple[Overlap, ...]
    runs: tuple[SegmentRun, ...]
    checks: tuple[CheckRow, ...]
    audits: tuple[Audit, ...]


def days_between(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """Every date from first to last, inclusive."""
    return tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))


def size_series(runs: pa.Table, first: dt.date, last: dt.date) -> tuple[SizeSeries, ...]:
    """Per segment, the member count of each day's published run in [first, last].

    Args:
        runs: rows of gold.segment_runs (app_id, segment_id, name, ds, status, member_count).
    """
    days = days_between(first, last)
    position = {day: i for i, day in enumerate(days)}
    sizes: dict[tuple[str, str], list[int | None]] = {}
    names: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for row in runs.to_pylist():
        if row["ds"] not in position:
            continue
        key = (row["app_id"], row["segment_id"])
        series = sizes.setdefault(key, [None] * len(days))
        if row["status"] == "published":
            series[position[row["ds"]]] = row["member_count"]
        if row["name"] and (key not in names or names[key][0] <= row["ds"]):
            names[key] = (row["ds"], row["name"])
    return tuple(
        SizeSeries(app, segment, names.get((app, segment), (None, segment))[1], days, tuple(sizes[(app, segment)]))
        for app, segment in sorted(sizes)
    )


def change_counts(changes: pa.Table) -> dict[tuple[str, str], dict[str, int]]:
    """(app_id, segment_id) -> {"entered": n, "exited": m} from rows of gold.segment_changes of ds."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    if changes.num_rows:
        grouped = changes.group_by(["app_id", "segment_id", "change"]).aggregate([([], "count_all")])
        for row in grouped.to_pylist():
            counts.setdefault((row["app_id"], row["segment_id"]), {})[row["change"]] = row["count_all"]
    return counts


def segment_runs(runs: pa.Table, changes: pa.Table, ds: dt.date) -> tuple[SegmentRun, ...]:
    """The runs of ds, each with its entered/exited counts (0 unless published), ordered by app and segment."""
    counts = change_counts(changes)
    result = []
    for row in runs.to_pylist():
        if row["ds"] != ds:
            continue
        key = (row["app_id"], row["segment_id"])
        # A ds re-run and blocked keeps the changes of its earlier publication: not this run's.
        moved = counts.get(key, {}) if row["status"] == "published" else {}
        result.append(SegmentRun(
            row["app_id"], row["segment_id"], row["name"] or row["segment_id"], row["kind"], row["status"],
            row["member_count"], moved.get("entered", 0), moved.get("exited", 0), row["reason"],
        ))
    return tuple(sorted(result, key=lambda r: (r.app_id, r.segment_id)))


def overlaps(membership: pa.Table, segments: dict[str, Sequence[str]]) -> tuple[Overlap, ...]:
    """The overlap matrix of each app's segments on ds.

    Args:
        membership: rows of gold.segment_membership of ds (app_id, segment_id, uid); external
            email members (uid null) are left out: they cannot be matched across segments.
        segments: app_id -> the segment ids to show (in order), including empty ones.
    """
    members = membership.filter(pc.is_valid(membership["uid"]))
    result = []
    for app, ids in segments.items():
        rows = members.filter(pc.equal(members["app_id"], app))
        index = {segment: i for i, segment in enumerate(ids)}
        rows = rows.filter(pc.is_in(rows["segment_id"], pa.array(list(ids), pa.string())))
        segment_index = np.array([index[s] for s in rows["segment_id"].to_pylist()], dtype=np.int64)
        users = pc.dictionary_encode(rows["uid"].combine_chunks()) if rows.num_rows else None
        user_index = (np.asarray(users.indices, dtype=np.int64) if users is not None
                      else np.zeros(0, dtype=np.int64))
        n_users = len(users.dictionary) if users is not None else 0
        common = overlap_matrix(segment_index, user_index, len(ids), n_users)
        result.append(Overlap(app, tuple(ids), tuple(tuple(int(v) for v in row) for row in common)))
    return tuple(result)


def overlap_matrix(segment_index: np.ndarray, user_index: np.ndarray, n_segments: int, n_users: int,
                   chunk: int = OVERLAP_CHUNK) -> np.ndarray:
    """Counts of common users of every pair of segments: Mᵀ·M of the user × segment incidence M.

    M is built dense, one block of ``chunk`` users at a time (a segments × chunk float32 array,
    e.g. 300 segments → 79 MB), and each block adds its product to the result; float32 sums are
    exact because a block's counts stay below 2^24. Cost: about segments² × users multiply-adds
    (BLAS), e.g. 300 segments × 1M users ≈ 9·10^10, some seconds on 2 cores.

    Args:
        segment_index: for each (segment, user) membership pair, the segment's position.
        user_index: the user's position in [0, n_users); repeated pairs count once.

    Returns:
        an ``n_segments × n_segments`` int64 matrix; the diagonal holds segment sizes.
    """
    if chunk >= 2**24:
        raise ValueError("chunk must stay below 2**24 users for exact float32 sums")
    common = np.zeros((n_segments, n_segments), dtype=np.int64)
    order = np.argsort(user_index, kind="stable")
    users, segs = user_index[order], segment_index[order]
    for start in range(0, n_users, chunk):
        lo, hi = np.searchsorted(users, [start, start + chunk])
        block = np.zeros((n_segments, min(chunk, n_users - start)), dtype=np.float32)
        block[segs[lo:hi], users[lo:hi] - start] = 1.0
        common += np.rint(block @ block.T).astype(np.int64)
    return common


def latest_audits(checks: pa.Table, publications: pa.Table) -> tuple[Audit, ...]:
    """Per table, the latest audit of ds (by check time) and its publication status and report."""
    latest: dict[str, tuple[dt.datetime, str]] = {}
    for row in checks.select(["table_name", "run_id", "checked_at"]).to_pylist():
        seen = latest.get(row["table_name"])
        if seen is None or row["checked_at"] > seen[0]:
            latest[row["table_name"]] = (row["checked_at"], row["run_id"])
    published = {(r["table_name"], r["run_id"]): r for r in publications.to_pylist()}
    audits = []
    for table, (_, run_id) in sorted(latest.items()):
        publication = published.get((table, run_id))
        status = publication["status"] if publication else "audited"
        audits.append(Audit(table, run_id, status, publication["report_path"] if publication else None))
    return tuple(audits)


def check_rows(checks: pa.Table, audits: Sequence[Audit]) -> tuple[CheckRow, ...]:
    """The checks of the given audits: failures first, then warnings, then passes (file order within)."""
    runs = {(a.table, a.run_id) for a in audits}
    rows = []
    for row in checks.to_pylist():
        if (row["table_name"], row["run_id"]) not in runs:
            continue
        scope = " ".join(f"{k}={row[k]}" for k in ("app_id", "segment_id") if row[k] is not None)
        rows.append(CheckRow(row["table_name"], row["suite"], row["check_id"], row["check_name"], row["column_name"],
                             scope, row["severity"], bool(row["success"]), row["observed"], row["bound"]))
    rank = {"failed": 0, "warning": 1, "passed": 2}
    return tuple(sorted(rows, key=lambda r: (rank[r.outcome], r.table, _position(r.check_id), r.scope)))


def _position(check_id: str) -> tuple[str, int]:
    """``labels#12`` -> ("labels", 12): checks sort in their suite file's order."""
    suite, _, position = check_id.rpartition("#")
    return (suite, int(position)) if position.isdigit() else (check_id, 0)
