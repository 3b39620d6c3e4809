"""The reconciliation of one ingestion run: what was read, accepted, deduplicated and quarantined."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import orjson

READ, FAILED, SKIPPED = "read", "failed", "skipped"  # what happened to a landing file


@dataclass(frozen=True)
class FileOutcome:
    """What one landing file gave: its lines' outcomes, and why it failed or was skipped.

    Args:
        source_file: the path relative to the root.
        status: ``read`` (to its end), ``failed`` (stopped being readable) or ``skipped`` (not opened).
        lines_read: non-blank lines read (for a failed file: before the failure).
        reason: a failed file's reason code (``truncated``, ``undecodable``, ``io_error``) or why a
            file was skipped; ``None`` for a file read to its end.
        detail: what happened, for a failed file.
    """

    source_file: str
    status: str
    lines_read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    detail: str | None = None

    def reconciles(self) -> bool:
        return self.lines_read == self.accepted + self.duplicates + self.quarantined


@dataclass(frozen=True)
class IngestReport:
    """Counts of one (feed, arrival date) run; every non-blank line read ends in exactly one bucket.

    Args:
        feed: ``events`` or ``users``.
        dt: the arrival (events) or snapshot (users) date.
        files: landing files read (including those that failed part-way).
        lines_read: non-blank lines read.
        accepted: rows written to the bronze table's ``dt`` partition.
        duplicates: valid lines dropped as re-deliveries of an accepted record.
        quarantined: rows written to the quarantine table's ``dt`` partition.
        quarantined_by_reason: reason code -> rows.
        failed_files: source file -> ``"<reason>: <detail>"`` for files that could not be read to
            their end (their lines read before the failure are in the counts above).
        skipped_files: source file -> why it was not read.
        file_outcomes: the same counts per file (read, failed and skipped), in name order.
    """

    feed: str
    dt: datetime.date
    files: int
    lines_read: int
    accepted: int
    duplicates: int
    quarantined: int
    quarantined_by_reason: dict[str, int]
    failed_files: dict[str, str] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    file_outcomes: tuple[FileOutcome, ...] = field(default=(), compare=False, repr=False)

    def reconciles(self) -> bool:
        """Every line is accounted for, in total and per file; per-reason counts add up to the
        quarantine; every failed and skipped file is recorded as such."""
        totals = (
            self.lines_read == self.accepted + self.duplicates + self.quarantined
            and sum(self.quarantined_by_reason.values()) == self.quarantined
        )
        if not totals or not self.file_outcomes:
            return totals
        per_file = [o for o in self.file_outcomes if o.status != SKIPPED]
        sums = tuple(sum(getattr(o, name) for o in per_file) for name in ("lines_read", "accepted", "duplicates", "quarantined"))
        return (
            all(o.reconciles() for o in self.file_outcomes)
            and len(per_file) == self.files
            and sums == (self.lines_read, self.accepted, self.duplicates, self.quarantined)
            and {o.source_file for o in self.file_outcomes if o.status == FAILED} == set(self.failed_files)
            and {o.source_file for o in self.file_outcomes if o.status == SKIPPED} == set(self.skipped_files)
        )

    def reasons_json(self) -> str:
        """``quarantined_by_reason`` as canonical JSON (sorted keys), as stored in ingest_runs."""
        return canonical_json(self.quarantined_by_reason)


def canonical_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


_COLUMNS = ("feed", "dt", "files", "lines_read", "accepted", "duplicates", "quarantined", "reconciles")
_FILE_COLUMNS = ("failed", "skipped")  # shown after ``files`` when a run in the table has any


def format_report(reports: list[IngestReport]) -> str:
    """A fixed-width reconciliation table, one line per run; under each run its quarantine
    reasons, then each failed file (reason, detail, its own counts) and each skipped file."""
    with_files = any(r.failed_files or r.skipped_files for r in reports)
    columns = _COLUMNS[:3] + _FILE_COLUMNS + _COLUMNS[3:] if with_files else _COLUMNS
    rows = [columns]
    for r in reports:
        counts = (len(r.failed_files), len(r.skipped_files)) if with_files else ()
        rows.append(
            (r.feed, r.dt.isoformat(), r.files, *counts, r.lines_read, r.accepted, r.duplicates, r.quarantined,
             "yes" if r.reconciles() else "NO")
        )  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if index:
            lines.extend(_details(reports[index - 1]))
    return "\n".join(lines)


def _details(report: IngestReport) -> list[str]:
    lines = []
    if report.quarantined_by_reason:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.quarantined_by_reason.items()))
        lines.append(f"    quarantined by reason: {reasons}")
    outcomes = {o.source_file: o for o in report.file_outcomes}
    for name, why in sorted(report.failed_files.items()):
        o = outcomes.get(name)
        counts = (
            f"; before it: {o.lines_read} read = {o.accepted} accepted + {o.duplicates} duplicates"
            f" + {o.quarantined} quarantined" if o else ""
        )
        lines.append(f"    failed file: {name} ({why}){counts}")
    for name, why in sorted(report.skipped_files.items()):
        lines.append(f"    skipped: {name} ({why})")
    return lines


def recorded_reports(root: str, first: datetime.date, last: datetime.date) -> list[IngestReport]:
    """The reconciliations recorded in ``bronze.ingest_runs`` (and, per file, ``bronze.ingest_files``)
    for arrival dates in [first, last], read with delta-rs (no Spark), ordered by date then feed
    (users before events)."""
    from jobs.delta_io import read_arrow
    from jobs.tables import INGEST_FILES, INGEST_RUNS

    window = [("dt", ">=", first), ("dt", "<=", last)]
    per_file: dict[tuple[str, datetime.date], list[FileOutcome]] = {}
    try:
        file_rows = read_arrow(INGEST_FILES, root, filters=window).to_pylist()
    except FileNotFoundError:  # a lakehouse ingested before per-file records existed
        file_rows = []
    for row in file_rows:
        outcome = FileOutcome(**{name: row[name] for name in FileOutcome.__dataclass_fields__})
        per_file.setdefault((row["feed"], row["dt"]), []).append(outcome)
    reports = [
        IngestReport(
            feed=row["feed"],
            dt=row["dt"],
            files=row["files"],
            lines_read=row["lines_read"],
            accepted=row["accepted"],
            duplicates=row["duplicates"],
            quarantined=row["quarantined"],
            quarantined_by_reason=orjson.loads(row["quarantined_by_reason"]),
            failed_files=orjson.loads(row.get("failed_files") or "{}"),
            skipped_files=orjson.loads(row.get("skipped_files") or "{}"),
            file_outcomes=tuple(sorted(per_file.get((row["feed"], row["dt"]), []), key=lambda o: o.source_file)),
        )
        for row in read_arrow(INGEST_RUNS, root, filters=window).to_pylist()
    ]
    return sorted(reports, key=lambda r: (r.dt, r.feed != "users"))

