"""What readers of a segment may see: its run history and the ds published for it.

Shared by ``lakehouse show``, ``members``, ``explain`` and ``export``. Everything is read with
delta-rs (no engine start) and follows the reader contract's visibility point
(``jobs.visibility``): a ds is seen as the newest run that published its run catalog recorded it,
each table at the version recorded (``read_visible``). A ds is *published* for a segment when
that run catalog says ``published`` for the segment (a failed segment has no members that day, a
blocked ds publishes only its run catalog), and the segment is not retired: once its latest run
is ``retired`` (its definition was removed) no ds is published for it, until the definition is put back.

``PublishedHistory`` is the one reader of the run catalog and the publications log: a reader reads
it once per command and asks it which ds is published, latest or retired, and the sizes; no other
reader module names those tables (``tests/test_architecture.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.segments.language.errors import did_you_mean, quote

PUBLISHED = "published"
RETIRED = "retired"
BASELINE_COLUMNS = ("app_id", "segment_id", "ds", "evaluated_ds", "definition_hash")
SIZE_COLUMNS = ("app_id", "segment_id", "ds", "status", "member_count")

Key = tuple[str, str]


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

def read_visible(table, root: str, filters: list | None = None, columns: list[str] | None = None,
                 log: Sequence | None = None) -> list[dict]:
    """Rows of ``table`` as a reader following the contract sees them: only visible ds, each as
    of the version its visibility commit recorded.

    The current version is read once; a ds that a later run has committed to since (a re-run in
    progress or interrupted: an intent newer than the visible run) is read at its recorded version.

    Args:
        log: the gold.publications rows already read (``PublishedHistory.log``); None: read them.
    """
    from jobs.delta_io import read_arrow
    from jobs.visibility import read_log, stale_ds, visible_versions

    log = read_log(root) if log is None else log
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


@dataclass(frozen=True)
class PublishedHistory:
    """The run catalog and the publications log, read once (``read``); every reader asks this value.

    Args:
        root: the lakehouse the rows were read from (``read_visible`` of other tables reads there too).
        runs: gold.segment_runs rows, sorted by app, segment and ds.
        membership_dates: visible ds whose publication includes gold.segment_membership, sorted.
        log: the gold.publications rows (the visibility point of other tables read with ``read_visible``).
    """

    root: str
    runs: tuple[dict, ...]
    membership_dates: tuple[dt.date, ...]
    log: tuple = ()

    @classmethod
    def read(cls, root: str, app_id: str | None = None, *, first: dt.date | None = None,
             last: dt.date | None = None, as_written: bool = False) -> PublishedHistory:
        """Reads the run catalog (of one app, of ds in [first, last]) and the publications log, once.

        Args:
            as_written: the run catalog's current version, visible or not (``lakehouse sizes``,
                ``segments`` and ``plan`` read it so); default: as the reader contract sees it.

        Raises:
            FileNotFoundError: gold.segment_runs does not exist under ``root``.
        """
        from jobs.delta_io import read_arrow
        from jobs.tables import GOLD_SEGMENT_RUNS
        from jobs.visibility import read_log

        filters = [f for f in (("app_id", "=", app_id) if app_id is not None else None,
                               ("ds", ">=", first) if first is not None else None,
                               ("ds", "<=", last) if last is not None else None) if f is not None] or None
        if as_written:
            rows = read_arrow(GOLD_SEGMENT_RUNS, root, filters=filters).to_pylist()
            try:
                log = read_log(root)
            except FileNotFoundError:  # runs recorded but nothing ever published (every ds blocked)
                log = []
        else:
            log = read_log(root)
            rows = read_visible(GOLD_SEGMENT_RUNS, root, filters=filters, log=log)
        return cls.of(root, rows, log)

    @classmethod
    def of(cls, root: str, runs: Iterable[dict], log: Sequence = ()) -> PublishedHistory:
        """The history of the given run rows and publications log (pure)."""
        from jobs.tables import GOLD_SEGMENT_MEMBERSHIP
        from jobs.visibility import visible_versions

        dates = sorted(ds for ds, tables in visible_versions(log).items() if GOLD_SEGMENT_MEMBERSHIP.name in tables)
        ordered = sorted(runs, key=lambda r: (r["app_id"], r["segment_id"], r["ds"]))
        return cls(root, tuple(ordered), tuple(dates), tuple(log))

    def runs_of(self, app_id: str, segment_id: str) -> list[dict]:
        """Every run of the segment, by ds ([] when the catalog has never seen it)."""
        return [r for r in self.runs if r["app_id"] == app_id and r["segment_id"] == segment_id]

    def known(self, app_id: str) -> set[str]:
        """Every segment id the run catalog has seen for the app."""
        return {r["segment_id"] for r in self.runs if r["app_id"] == app_id}

    def segment(self, app_id: str, segment_id: str) -> list[dict]:
        """Every run of the segment, by ds.

        Raises:
            SegmentLookupError: the run catalog has never seen the segment (with a "did you mean").
        """
        runs = self.runs_of(app_id, segment_id)
        if not runs:
            raise SegmentLookupError(unknown_segment_message(segment_id, app_id, self.known(app_id)))
        return runs

    def published(self, app_id: str, segment_id: str) -> list[dt.date]:
        """The ds published for the segment, sorted ([] once it is retired)."""
        return published_ds(self.runs_of(app_id, segment_id), self.membership_dates)

    def status(self, app_id: str, segment_id: str) -> str | None:
        """The status of the segment's latest run (None: never run)."""
        runs = self.runs_of(app_id, segment_id)
        return runs[-1]["status"] if runs else None

    def at(self, app_id: str, segment_id: str, ds: dt.date | None) -> dict:
        """The published run of ``ds`` (default: the latest published ds) of the segment.

        Raises:
            SegmentLookupError: the run catalog has never seen the segment.
            NotPublishedError: ``ds`` is not published for the segment.
        """
        runs = self.segment(app_id, segment_id)
        chosen = choose_ds(f"{app_id}/{segment_id}", runs, published_ds(runs, self.membership_dates), ds)
        return next(r for r in runs if r["ds"] == chosen)

    def latest(self) -> dict[Key, dict]:
        """(app, segment) -> its latest published run (any ds), unless its latest run retired it."""
        latest: dict[Key, dict] = {}
        published: dict[Key, dict] = {}
        for r in sorted(self.runs, key=lambda r: r["ds"]):
            latest[(r["app_id"], r["segment_id"])] = r
            if r["status"] == PUBLISHED:
                published[(r["app_id"], r["segment_id"])] = r
        return {k: r for k, r in published.items() if latest[k]["status"] != RETIRED}

    def baselines(self, ds: dt.date) -> dict[Key, dict]:
        """(app, segment) -> its latest published run before ds (ds, evaluated_ds, definition_hash):
        the baseline the segment run of ds compares with."""
        out = {}
        for r in self.runs:  # by ds within a segment: the last one kept is the latest
            if r["ds"] < ds and r["status"] == PUBLISHED:
                out[(r["app_id"], r["segment_id"])] = {k: r[k] for k in BASELINE_COLUMNS}
        return out

    def sizes(self) -> list[dict]:
        """One row per run (app_id, segment_id, ds, status, member_count), by app, segment and ds."""
        return [{k: r[k] for k in SIZE_COLUMNS} for r in self.runs]

    def read_visible(self, table, filters: list | None = None, columns: list[str] | None = None) -> list[dict]:
        """Rows of another table (``read_visible``) at the visibility point of this history's log."""
        return read_visible(table, self.root, filters=filters, columns=columns, log=self.log)
