"""What readers of a segment may see: its run history and the ds published for it.

Shared by ``lakehouse show``, ``members``, ``explain`` and ``export``. Everything is read with
delta-rs (no engine start) and follows the reader contract's visibility point
(``jobs.visibility``): a ds is seen as the newest run that published its run catalog recorded it,
each table at the version recorded (``read_visible``). A ds is *published* for a segment when
that run catalog says ``published`` for the segment (a failed segment has no members that day, a
blocked ds publishes only its run catalog), and the segment is not retired: once its latest run
is ``retired`` (its definition was removed) no ds is published for it, until the definition is put back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from jobs.segments.language.errors import did_you_mean, quote

PUBLISHED = "published"
RETIRED = "retired"


class SegmentLookupError(ValueError):
    """The command names a segment, ds or label that does not exist (exit 2)."""


class NotPublishedError(RuntimeError):
    """The segment has no published members for the requested ds (exit 1)."""


# --- pure ----------------------------------------------------------------------------------------

def unknown_segment_message(segment_id: str, app_id: str, known: Iterable[str]) -> str:
    """``unknown segment 'vip_imprt' for app smartlife; did you mean: vip_import?`` (as ``lakehouse explain``)."""
    message = f"unknown segment {quote(segment_id)} for app {app_id}"
    suggestion = did_you_mean(segment_id, sorted(set(known)))
    return f"{message}; did you mean: {suggestion}?" if suggestion else message


def published_ds(runs: Sequence[dict], membership_dates: Iterable[dt.date]) -> list[dt.date]:
    """The ds (sorted) whose run of this segment is published and whose membership was committed.

    Args:
        runs: the segment's rows of gold.segment_runs (ds, status, ...).
        membership_dates: ds with a published commit of gold.segment_membership.
    """
    if retired_on(runs) is not None:
        return []
    committed = set(membership_dates)
    return sorted(r["ds"] for r in runs if r["status"] == PUBLISHED and r["ds"] in committed)


def retired_on(runs: Sequence[dict]) -> dt.date | None:
    """The ds the segment was retired, when its latest run is ``retired``; else None."""
    latest = max(runs, key=lambda r: r["ds"], default=None)
    return latest["ds"] if latest is not None and latest["status"] == RETIRED else None


def choose_ds(segment: str, runs: Sequence[dict], published: Sequence[dt.date], ds: dt.date | None) -> dt.date:
    """``ds`` if it is published for the segment; without a ds, the latest published one.

    Raises:
        NotPublishedError: ``ds`` is not published for the segment (or, without a ds, nothing is), e.g.
            ``smartlife/vip_import has no published members on 2026-07-01 (its run of that ds is blocked);
            latest published ds: 2026-06-30``.
    """
    retired = retired_on(runs)
    if retired is not None:
        raise NotPublishedError(f"{segment} is retired since {retired.isoformat()} (its definition was removed); "
                                "it has no published members")
    if ds is None and published:
        return published[-1]
    if ds is not None and ds in published:
        return ds
    have = f"latest published ds: {published[-1].isoformat()}" if published else "no published ds yet"
    if ds is None:
        raise NotPublishedError(f"{segment} has no published members; {have}")
    status = {r["ds"]: r["status"] for r in runs}.get(ds)
    why = ("no run on that ds" if status is None
           else f"its run of that ds is {status}" if status != PUBLISHED else "that ds is not published")
    raise NotPublishedError(f"{segment} has no published members on {ds.isoformat()} ({why}); {have}")


# --- I/O (delta-rs) ------------------------------------------------------------------------------

def read_visible(table, root: str, filters: list | None = None, columns: list[str] | None = None) -> list[dict]:
    """Rows of ``table`` as a reader following the contract sees them: only visible ds, each as
    of the version its visibility commit recorded.

    The current version is read once; a ds that a later run has committed to since (a re-run in
    progress or interrupted: an intent newer than the visible run) is read at its recorded version.
    """
    from jobs.delta_io import read_arrow
    from jobs.visibility import read_log, stale_ds, visible_versions

    log = read_log(root)
    versions = visible_versions(log)
    stale = stale_ds(log, table, versions)
    wanted = None if columns is None else list(dict.fromkeys([*columns, "ds"]))
    rows = [r for r in read_arrow(table, root, columns=wanted, filters=filters).to_pylist()
            if table.name in versions.get(r["ds"], {}) and r["ds"] not in stale]
    for ds in sorted(stale):
        at = read_arrow(table, root, columns=wanted, filters=[*(filters or []), ("ds", "=", ds)],
                        version=versions[ds][table.name])
        rows += at.to_pylist()
    return rows


def segment_runs(root: str, app_id: str, segment_id: str | None = None,
                 first: dt.date | None = None, last: dt.date | None = None) -> list[dict]:
    """Visible rows of gold.segment_runs of one app (and segment), sorted by segment and ds."""
    from jobs.tables import GOLD_SEGMENT_RUNS

    filters = [("app_id", "=", app_id)]
    if segment_id is not None:
        filters.append(("segment_id", "=", segment_id))
    if first is not None:
        filters.append(("ds", ">=", first))
    if last is not None:
        filters.append(("ds", "<=", last))
    rows = read_visible(GOLD_SEGMENT_RUNS, root, filters=filters)
    return sorted(rows, key=lambda r: (r["segment_id"], r["ds"]))


def membership_publications(root: str) -> list[dt.date]:
    """The visible ds whose publication includes gold.segment_membership, sorted."""
    from jobs.tables import GOLD_SEGMENT_MEMBERSHIP
    from jobs.visibility import read_log, visible_versions

    return sorted(ds for ds, tables in visible_versions(read_log(root)).items() if GOLD_SEGMENT_MEMBERSHIP.name in tables)


def known_segment_ids(root: str, app_id: str) -> set[str]:
    """Every segment id the visible run catalog has seen for the app."""
    from jobs.tables import GOLD_SEGMENT_RUNS

    rows = read_visible(GOLD_SEGMENT_RUNS, root, columns=["segment_id"], filters=[("app_id", "=", app_id)])
    return {r["segment_id"] for r in rows}


def segment_history(root: str, app_id: str, segment_id: str) -> list[dict]:
    """Every run of the segment (gold.segment_runs rows, by ds).

    Raises:
        SegmentLookupError: the run catalog has never seen the segment (with a "did you mean").
    """
    runs = segment_runs(root, app_id, segment_id)
    if not runs:
        raise SegmentLookupError(unknown_segment_message(segment_id, app_id, known_segment_ids(root, app_id)))
    return runs


def published_run(root: str, runs: Sequence[dict], ds: dt.date | None) -> dict:
    """The published run row of ``ds`` (default: the latest published ds) among a segment's ``runs``.

    Raises:
        NotPublishedError: ``ds`` is not published for the segment.
    """
    published = published_ds(runs, membership_publications(root))
    chosen = choose_ds(f"{runs[0]['app_id']}/{runs[0]['segment_id']}", runs, published, ds)
    return next(r for r in runs if r["ds"] == chosen)
