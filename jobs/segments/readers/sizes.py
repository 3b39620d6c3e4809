"""Segment sizes per day from the run catalog, read with delta-rs (no engine start)."""

from __future__ import annotations

import datetime as dt


def segment_sizes(root: str, first: dt.date, last: dt.date) -> list[dict]:
    """Rows of ``gold.segment_runs`` for ds in [first, last]: app_id, segment_id, ds, status, member_count."""
    from jobs.segments.readers.published import PublishedHistory

    return PublishedHistory.read(root, first=first, last=last, as_written=True).sizes()


def format_sizes(rows: list[dict]) -> str:
    """A table with one line per segment and one column per ds; failed runs show as ``failed``."""
    days = sorted({r["ds"] for r in rows})
    segments = sorted({(r["app_id"], r["segment_id"]) for r in rows})
    cell = {(r["app_id"], r["segment_id"], r["ds"]): (f"{r['member_count']:,}" if r["status"] == "published"
                                                        and r["member_count"] is not None else r["status"])
            for r in rows}
    header = ["segment", *(d.strftime("%m-%d") for d in days)]
    table = [header] + [[f"{a}/{s}", *(cell.get((a, s, d), "-") for d in days)] for a, s in segments]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()
        for row in table
    )
