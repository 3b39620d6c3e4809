"""``lakehouse segments``: every segment the run catalog knows, per app, with its current state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from jobs.segments.readers.published import published_ds

def summarize(runs: Sequence[dict], membership_dates: Iterable[dt.date]) -> list[dict]:
    """One entry per (app, segment), sorted: the latest run's name, kind, refresh and status
    (``published``, ``blocked``, ``failed`` or ``retired``), and the size of its last published ds.

    Args:
        runs: rows of gold.segment_runs (any order).
        membership_dates: ds with a published commit of gold.segment_membership.
    """
    committed = set(membership_dates)
    by_segment: dict[tuple[str, str], list[dict]] = {}
    for row in runs:
        by_segment.setdefault((row["app_id"], row["segment_id"]), []).append(row)
    listing = []
    for (app_id, segment_id), rows in sorted(by_segment.items()):
        rows.sort(key=lambda r: r["ds"])
        latest = rows[-1]
        # the history, also of a retired segment (readers no longer get it: published_ds says so)
        published = published_ds(rows, committed) or sorted(
            r["ds"] for r in rows if r["status"] == "published" and r["ds"] in committed)
        last = next((r for r in rows if published and r["ds"] == published[-1]), None)
        listing.append({
            "app_id": app_id, "segment_id": segment_id, "name": latest["name"], "kind": latest["kind"],
            "refresh": latest["refresh"], "status": latest["status"], "last_run_ds": latest["ds"].isoformat(),
            "last_published_ds": last["ds"].isoformat() if last else None,
            "members": last["member_count"] if last else None,
        })
    return listing


def format_listing(listing: Sequence[dict]) -> str:
    """A table per app: one line per segment (``-`` where nothing was published yet)."""
    blocks = []
    for app_id in sorted({s["app_id"] for s in listing}):
        header = ["segment", "kind", "refresh", "status", "last run", "last published", "members"]
        table = [header] + [[
            s["segment_id"], s["kind"], s["refresh"], s["status"], s["last_run_ds"],
            s["last_published_ds"] or "-", f"{s['members']:,}" if s["members"] is not None else "-",
        ] for s in listing if s["app_id"] == app_id]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = ["  ".join(v.rjust(w) if i == len(header) - 1 else v.ljust(w)
                           for i, (v, w) in enumerate(zip(row, widths))).rstrip() for row in table]
        count = len(table) - 1
        blocks.append(f"app {app_id}: {count} segment{'s' if count != 1 else ''}\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def segment_listing(root: str, app_id: str | None = None) -> list[dict]:
    """Reads the run catalog and the publications with delta-rs (no engine) and summarizes them.

    Raises:
        FileNotFoundError: gold.segment_runs does not exist under ``root`` (no segment run yet).
    """
    from jobs.segments.readers.published import PublishedHistory

    history = PublishedHistory.read(root, app_id or None, as_written=True)
    return summarize(history.runs, history.membership_dates)

