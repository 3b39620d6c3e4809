"""The reconciliation of one ingestion run: what was read, accepted, deduplicated and quarantined."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class IngestReport:
    """Counts of one (feed, arrival date) run; every non-blank line read ends in exactly one bucket.

    Args:
        feed: ``events`` or ``users``.
        dt: the arrival (events) or snapshot (users) date.
        files: landing files read.
        lines_read: non-blank lines read.
        accepted: rows written to the bronze table's ``dt`` partition.
        duplicates: valid lines dropped as re-deliveries of an accepted record.
        quarantined: rows written to the quarantine table's ``dt`` partition.
        quarantined_by_reason: reason code -> rows.
    """

    feed: str
    dt: datetime.date
    files: int
    lines_read: int
    accepted: int
    duplicates: int
    quarantined: int
    quarantined_by_reason: dict[str, int]

    def reconciles(self) -> bool:
        """Every line is accounted for, and the per-reason counts add up to the quarantine."""
        return (
            self.lines_read == self.accepted + self.duplicates + self.quarantined
            and sum(self.quarantined_by_reason.values()) == self.quarantined
        )

    def reasons_json(self) -> str:
        """``quarantined_by_reason`` as canonical JSON (sorted keys), as stored in ingest_runs."""
        return orjson.dumps(self.quarantined_by_reason, option=orjson.OPT_SORT_KEYS).decode()


_COLUMNS = ("feed", "dt", "files", "lines_read", "accepted", "duplicates", "quarantined", "reconciles")


def format_report(reports: list[IngestReport]) -> str:
    """A fixed-width reconciliation table, one line per run, reasons listed under each run."""
    rows = [_COLUMNS]
    for r in reports:
        rows.append(
            (r.feed, r.dt.isoformat(), r.files, r.lines_read, r.accepted, r.duplicates, r.quarantined,
             "yes" if r.reconciles() else "NO")
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if index and reports[index - 1].quarantined_by_reason:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(reports[index - 1].quarantined_by_reason.items()))
            lines.append(f"    quarantined by reason: {reasons}")
    return "\n".join(lines)


def recorded_reports(root: str, first: datetime.date, last: datetime.date) -> list[IngestReport]:
    """The reconciliations recorded in ``bronze.ingest_runs`` for arrival dates in [first, last],
    read with delta-rs (no Spark), ordered by date then feed (users before events)."""
    from jobs.delta_io import read_arrow
    from jobs.tables import INGEST_RUNS

    rows = read_arrow(INGEST_RUNS, root, filters=[("dt", ">=", first), ("dt", "<=", last)]).to_pylist()
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
        )
        for row in rows
    ]
    return sorted(reports, key=lambda r: (r.dt, r.feed != "users"))
