"""Preview: a draft's size, funnel and reach against the latest labels, without writing any table.

A draft that edits a published definition (same file name, or same app and id) stands in for it
and is compared with its published membership: who would enter and who would exit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import SparkSession

from jobs.segments.readers.compare import Change, compare
from jobs.segments.readers.draft import load_draft
from jobs.segments.language.errors import DefinitionError
from jobs.segments.import_match import import_staging
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.readers.sizing import Sizing, combined, evaluate, latest_label_ds, members, sizes


@dataclass(frozen=True)
class PreviewResult:
    """A draft's size on ds, or the errors that stop it from being evaluated.

    Args:
        total: members after every rule, consent included (None when there are errors).
        removed_by_consent: users the rule selects but the marketing consent rule removes.
        errors: definition errors of the draft (and of segments it refers to).
        sizing: the funnel and reach (None when there are errors).
        replaces: the definitions folder's file the draft stands in for, if any.
        change: against the published membership of the definition it edits (None: not published).
    """

    app_id: str | None
    segment_id: str | None
    ds: dt.date | None
    total: int | None
    removed_by_consent: int | None
    errors: tuple[DefinitionError, ...] = ()
    sizing: Sizing | None = None
    replaces: str | None = None
    change: Change | None = None


def preview(spark: SparkSession, root: str, path: str, defs_dir: str, ds: dt.date | None = None) -> PreviewResult:
    """Evaluates the draft at ``path`` (with the definitions of ``defs_dir`` it refers to) on ds.

    Args:
        ds: the label date to use; default the latest ds of the label table.

    Returns:
        The size, funnel, reach and change, or the draft's errors (then nothing is evaluated).
    """
    with import_staging(root):  # imports of the draft's closure are staged there, removed after
        return _preview(spark, root, path, defs_dir, ds)


def _preview(spark: SparkSession, root: str, path: str, defs_dir: str, ds: dt.date | None) -> PreviewResult:
    draft = load_draft(path, defs_dir)
    seg = draft.segment
    own = [e for e in draft.errors if e.file == draft.name]
    needed = draft.program.resolved.closure([seg]) if seg is not None and not own else []
    files = {s.file for s in needed} | {draft.name}
    blocking = tuple(e for e in draft.errors if e.file in files)
    if seg is None or blocking:
        return PreviewResult(None if seg is None else seg.app_id, None if seg is None else seg.id, None, None, None,
                             blocking, replaces=draft.replaces)
    ds = ds or latest_label_ds(spark, root)
    apps = None if seg.app_id == PREDEFINED_APP else [seg.app_id]
    ev = evaluate(spark, root, draft.program, [seg], ds, apps)
    if ev.problems:
        return PreviewResult(seg.app_id, seg.id, ds, None, None,
                             tuple(DefinitionError(seg.file, 0, 0, "", reason) for reason in ev.problems.values()))
    if seg.app_id == PREDEFINED_APP:
        present = sorted({r.app_id for r in ev.wide.select("app_id").distinct().collect()})
        sized = combined(list(sizes(ev, [seg], present).values()) or [_empty(seg, ds)])
        change = None
    else:
        sized = sizes(ev, [seg], [seg.app_id])[seg.key]
        change = compare(spark, root, ds, members(ev, [seg]), [seg.key])[seg.key] if draft.replaces else None
        change = change if change is None or change.baseline_ds is not None else None
    return PreviewResult(seg.app_id, seg.id, ds, sized.total, sized.removed_by_consent, (), sized, draft.replaces, change)


def _empty(seg, ds) -> Sizing:
    from jobs.segments.readers.reach import Reach

    return Sizing(PREDEFINED_APP, seg.id, ds, 0, 0, 0, (), Reach(0, 0, 0))


def format_preview(result: PreviewResult) -> str:
    """The text the ``lakehouse preview`` command prints."""
    from jobs.segments.language.errors import format_errors
    from jobs.segments.readers.sizing import format_sizing

    if result.errors:
        return format_errors(list(result.errors))
    lines = [f"{result.app_id}/{result.segment_id} on {result.ds}: {result.total} members "
             f"({result.removed_by_consent} removed by the marketing consent rule)"]
    if result.change is not None:
        c = result.change
        lines.append(f"  against the published {result.replaces} ({c.published} members on {c.baseline_ds}): "
                     f"{c.entered} would enter, {c.exited} would exit")
    lines += format_sizing(result.sizing)
    return "\n".join(lines)
