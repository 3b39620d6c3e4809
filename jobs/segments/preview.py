"""Preview: the size of a draft definition against the latest labels, without writing any table."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments.errors import DefinitionError
from jobs.segments.evaluate import behavior_aggregates, compile_segments, fixed_flags, wide_table
from jobs.segments.import_match import import_staging
from jobs.segments.job import run_imports
from jobs.segments.load import load_document
from jobs.segments.model import PREDEFINED_APP, Segment, references
from jobs.segments.validate import check_definitions
from jobs.tables import GOLD_USER_LABELS, SILVER_USER_DAILY_EVENTS


@dataclass(frozen=True)
class PreviewResult:
    """A draft's size on ds, or the errors that stop it from being evaluated.

    Args:
        total: members after every rule, consent included (None when there are errors).
        removed_by_consent: users the rule selects but the marketing consent rule removes.
        errors: definition errors of the draft (and of segments it refers to).
    """

    app_id: str | None
    segment_id: str | None
    ds: dt.date | None
    total: int | None
    removed_by_consent: int | None
    errors: tuple[DefinitionError, ...] = ()


def _draft_name(path: str, defs_dir: str) -> str:
    inside = os.path.abspath(path).startswith(os.path.abspath(defs_dir) + os.sep)
    if inside:
        return os.path.relpath(path, defs_dir).replace(os.sep, "/")
    doc, _ = load_document(path, os.path.basename(path))
    app = doc.data.get("app_id") if doc is not None and isinstance(doc.data, dict) else None
    return f"{app}/{os.path.basename(path)}" if isinstance(app, str) and "/" not in app else os.path.basename(path)


def _closure(draft: Segment, by_key: dict) -> list[Segment]:
    """The draft and every segment it refers to, directly or not."""
    out, todo = {}, [draft]
    while todo:
        seg = todo.pop()
        if seg.key in out:
            continue
        out[seg.key] = seg
        for ref in references(seg):
            todo.append(by_key.get((seg.app_id, ref.segment)) or by_key[(PREDEFINED_APP, ref.segment)])
    return list(out.values())


def preview(spark: SparkSession, root: str, path: str, defs_dir: str, ds: dt.date | None = None) -> PreviewResult:
    """Evaluates the draft at ``path`` (with the definitions of ``defs_dir`` it refers to) on ds.

    The draft replaces the file of the same name in its app's folder, if there is one.

    Args:
        ds: the label date to use; default the latest ds of the label table.

    Returns:
        The size, or the draft's errors (then nothing is evaluated).
    """
    with import_staging(root) as folder:
        return _preview(spark, root, path, defs_dir, ds, folder)


def _preview(spark: SparkSession, root: str, path: str, defs_dir: str, ds: dt.date | None, folder: str) -> PreviewResult:
    name = _draft_name(path, defs_dir)
    program, errors = check_definitions(defs_dir, extra=[(os.path.abspath(path), name)], replace=name)
    draft = next((s for s in program.segments if s.file == name), None)
    by_key = {s.key: s for s in program.segments}
    needed = _closure(draft, by_key) if draft is not None and not errors_of(errors, name) else []
    files = {s.file for s in needed} | {name}
    blocking = tuple(e for e in errors if e.file in files)
    if draft is None or blocking:
        return PreviewResult(None if draft is None else draft.app_id, None if draft is None else draft.id, None, None, None,
                             blocking)
    labels_all = read_table(spark, GOLD_USER_LABELS, root)
    ds = ds or labels_all.agg(F.max("ds")).collect()[0][0]
    labels = labels_all.where(F.col("ds") == F.lit(ds))
    if draft.app_id != PREDEFINED_APP:
        labels = labels.where(F.col("app_id") == F.lit(draft.app_id))
    imports = [s for s in needed if s.source is not None]
    members, failures, problems = run_imports(spark, root, ds, program, imports, folder)
    if problems:
        return PreviewResult(draft.app_id, draft.id, ds, None, None,
                             tuple(DefinitionError(draft.file, 0, 0, "", reason) for reason in problems.values()))
    if draft.source is not None:
        total = members.where(F.col("segment_id") == F.lit(draft.id)).count()
        removed = failures.where(F.col("reason") == F.lit("user does not accept marketing")).count()
        return PreviewResult(draft.app_id, draft.id, ds, total, removed)
    fixed = {s.key: f"f{i}" for i, s in enumerate(imports)}
    compiled, plan, label_columns = compile_segments([s for s in needed if s.rule is not None], fixed, ds)
    aggregates = behavior_aggregates(read_table(spark, SILVER_USER_DAILY_EVENTS, root), plan, ds)
    wide = wide_table(labels, compiled, label_columns, aggregates, fixed_flags(members, fixed), fixed)
    column = next(c.column for c in compiled if c.segment.key == draft.key)
    row = wide.agg(F.count(F.when(F.col(column), 1)).alias("total"),
                   F.count(F.when(F.col(f"{column}_rule") & ~F.col(column), 1)).alias("removed")).collect()[0]
    return PreviewResult(draft.app_id, draft.id, ds, row["total"], row["removed"])


def errors_of(errors: list[DefinitionError], file: str) -> list[DefinitionError]:
    return [e for e in errors if e.file == file]


def format_preview(result: PreviewResult) -> str:
    """The text the ``lakehouse preview`` command prints."""
    from jobs.segments.errors import format_errors

    if result.errors:
        return format_errors(list(result.errors))
    return (f"{result.app_id}/{result.segment_id} on {result.ds}: {result.total} members "
            f"({result.removed_by_consent} removed by the marketing consent rule)")
