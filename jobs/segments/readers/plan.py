"""Plan: what publishing the definitions folder would change, against what the run catalog last published.

For every new, changed, removed or broken definition: its kind, size on the labels of ds, who
would enter and exit against the published membership (each segment's latest published ds
before ds: the baseline the segment run of ds compares with), the funnel, reach per channel,
and for a broken one its located errors. Unchanged definitions are only counted. Nothing is
written: the evaluation is the evaluator's own wide table (``sizing``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyspark.sql import SparkSession

from jobs.segments.readers.compare import Change, compare
from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.failures import propagate
from jobs.segments.readers.funnel import FunnelStep
from jobs.segments.readers.published import PublishedHistory
from jobs.segments.language.model import PREDEFINED_APP, Segment
from jobs.segments.language.program import PREDEFINED_DIR, Program
from jobs.segments.readers.reach import Reach
from jobs.segments.readers.sizing import evaluate, latest_label_ds, members, sizes
from jobs.segments.validate import check_definitions

Key = tuple[str, str]
NEW, CHANGED, REMOVED, BROKEN, UNCHANGED = "new", "changed", "removed", "broken", "unchanged"
ORDER = (NEW, CHANGED, REMOVED, BROKEN)


@dataclass(frozen=True)
class PlannedSegment:
    """One segment of one app that publishing the folder would change.

    Args:
        status: new, changed, removed or broken.
        published_hash: the definition hash of its last published run (None: never published).
        size: members on ds (None when removed or broken).
        change: entered / exited against the baseline (None when broken).
        errors: a broken definition's errors (or why it cannot be evaluated).
    """

    app_id: str
    segment_id: str
    status: str
    kind: str | None
    file: str | None
    definition_hash: str | None
    published_hash: str | None
    users: int | None = None
    size: int | None = None
    removed_by_consent: int | None = None
    change: Change | None = None
    funnel: tuple[FunnelStep, ...] = ()
    reach: Reach | None = None
    errors: tuple[DefinitionError, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Plan:
    ds: dt.date
    defs_dir: str
    segments: tuple[PlannedSegment, ...]
    unchanged: tuple[Key, ...] = field(default=())

    @property
    def broken(self) -> bool:
        return any(s.status == BROKEN for s in self.segments)


def _apps(spark: SparkSession, root: str, ds: dt.date, program: Program) -> list[str]:
    """The apps the segment run of ds publishes for: apps with labels on ds and apps of definitions."""
    from pyspark.sql import functions as F

    from jobs.delta_io import read_table
    from jobs.tables import GOLD_USER_LABELS

    labels = read_table(spark, GOLD_USER_LABELS, root).where(F.col("ds") == F.lit(ds))
    have = {r.app_id for r in labels.select("app_id").distinct().collect()}
    return sorted(have | {s.app_id for s in program.segments if s.app_id != PREDEFINED_APP})


def _broken_files(program: Program, errors: list[DefinitionError], valid: set[str]) -> dict[str, tuple]:
    """File -> (app, id, its errors) for every file with errors; id and app guessed as the run records them."""
    import os

    out = {}
    for file in sorted({e.file for e in errors} - valid):
        doc = program.documents.get(file)
        data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        folder = file.split("/")[0] if "/" in file else ""
        app = data["app_id"] if isinstance(data.get("app_id"), str) else (PREDEFINED_APP if folder == PREDEFINED_DIR else folder)
        sid = data["id"] if isinstance(data.get("id"), str) else os.path.splitext(os.path.basename(file))[0]
        out[file] = (app, sid, tuple(e for e in errors if e.file == file))
    return out


def plan(spark: SparkSession, root: str, defs_dir: str, ds: dt.date | None = None) -> Plan:
    """The plan of publishing ``defs_dir`` on ds (default: the latest ds of the label table).

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder, or a gold table is missing.
        LookupError: the label table has no rows (no ds to plan on).
    """
    program, errors = check_definitions(defs_dir)
    ds = ds or latest_label_ds(spark, root)
    if ds is None:
        raise LookupError("gold.user_labels has no rows: run the pipeline for a date first")
    apps = _apps(spark, root, ds, program)
    history = PublishedHistory.read(root, as_written=True)
    catalog = history.latest()
    failed_files = {e.file for e in errors}
    valid = [s for s in program.segments if s.file not in failed_files]
    depends = propagate(valid, {})
    expand = lambda app: apps if app == PREDEFINED_APP else [app]  # noqa: E731
    planned: list[PlannedSegment] = []
    for file, (app, sid, errs) in _broken_files(program, errors, set()).items():
        for a in expand(app):
            planned.append(_broken(a, sid, file, program, catalog, errs, None))
    good = []
    for seg in valid:
        if seg.key in depends:
            planned += [_broken(a, seg.id, seg.file, program, catalog, (), depends[seg.key]) for a in expand(seg.app_id)]
        else:
            good.append(seg)
    status = {(a, s.id): _status(s, catalog.get((a, s.id))) for s in good for a in expand(s.app_id)}
    targets = [s for s in good if any(status[(a, s.id)] != UNCHANGED for a in expand(s.app_id))]
    in_folder = {(a, s.id) for s in program.segments for a in expand(s.app_id)} | {
        (a, sid) for app, sid, _ in _broken_files(program, errors, set()).values() for a in expand(app)}
    removed = sorted(k for k in catalog if k not in in_folder)
    planned += _evaluated(spark, root, program, targets, ds, apps, status, history, removed)
    unchanged = tuple(sorted(k for k, v in status.items() if v == UNCHANGED))
    planned.sort(key=lambda p: (ORDER.index(p.status), p.app_id, p.segment_id))
    return Plan(ds, defs_dir, tuple(planned), unchanged)


def _status(seg: Segment, published: dict | None) -> str:
    if published is None:
        return NEW
    return UNCHANGED if published["definition_hash"] == seg.definition_hash else CHANGED


def _broken(app, sid, file, program, catalog, errs, reason) -> PlannedSegment:
    seg = next((s for s in program.segments if s.file == file), None)
    published = catalog.get((app, sid))
    return PlannedSegment(app, sid, BROKEN, seg.kind if seg else None, file, seg.definition_hash if seg else None,
                          published["definition_hash"] if published else None, errors=errs, reason=reason)


def _evaluated(spark, root, program, targets, ds, apps, status, history, removed) -> list[PlannedSegment]:
    """Sizes, funnels, reach and changes of the new and changed segments, and changes of the removed ones."""
    from pyspark.sql import functions as F

    catalog = history.latest()
    out = []
    keys = [k for k in status if status[k] != UNCHANGED]
    if targets:
        ev = evaluate(spark, root, program, targets, ds)
        sized = sizes(ev, targets, apps)
        current = members(ev, [s for s in targets if s.key not in ev.problems])
        changes = compare(spark, root, ds, current, [k for k in keys if k in sized] + removed, history)
    else:
        ev, sized = None, {}
        changes = compare(spark, root, ds, spark.range(0).select(
            *(F.lit(None).cast("string").alias(c) for c in ("app_id", "segment_id", "uid"))), removed, history) if removed else {}
    by_key = {(a, s.id): s for s in targets for a in (apps if s.app_id == PREDEFINED_APP else [s.app_id])}
    for key in keys:
        seg, published = by_key[key], catalog.get(key)
        base = dict(app_id=key[0], segment_id=key[1], kind=seg.kind, file=seg.file, definition_hash=seg.definition_hash,
                    published_hash=published["definition_hash"] if published else None)
        if key not in sized:
            reason = ev.problems.get(seg.key, "cannot be evaluated") if ev else "cannot be evaluated"
            out.append(PlannedSegment(status=BROKEN, reason=reason, **base))
            continue
        s = sized[key]
        out.append(PlannedSegment(status=status[key], users=s.users, size=s.total, removed_by_consent=s.removed_by_consent,
                                  change=changes[key], funnel=s.funnel, reach=s.reach, **base))
    for key in removed:
        run = catalog[key]
        out.append(PlannedSegment(key[0], key[1], REMOVED, run["kind"], run["source_file"], None, run["definition_hash"],
                                  size=0, change=changes[key]))
    return out
