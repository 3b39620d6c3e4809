"""The empty-segment check of ``lakehouse test --warn-empty``: valid definitions that select nobody on the latest labels."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession

from jobs.segments.language.failures import propagate
from jobs.segments.readers.sizing import evaluate, latest_label_ds, sizes
from jobs.segments.validate import check_definitions


def empty_segments(spark: SparkSession, root: str, defs_dir: str) -> tuple[dt.date, list[tuple[str, str, str]]]:
    """(ds, [(app, segment id, file)]) of every valid definition with no member on the newest labels.

    Definitions with errors are left out (``lakehouse validate`` reports them).

    Raises:
        LookupError: the label table has no rows.
    """
    program, errors = check_definitions(defs_dir)
    ds = latest_label_ds(spark, root)
    if ds is None:
        raise LookupError("gold.user_labels has no rows: --warn-empty needs the labels of a run")
    broken = {e.file for e in errors}
    valid = [s for s in program.segments if s.file not in broken]
    valid = [s for s in valid if s.key not in propagate(valid, {})]
    ev = evaluate(spark, root, program, valid, ds)
    apps = sorted({r.app_id for r in ev.wide.select("app_id").distinct().collect()}
                  | {s.app_id for s in valid if s.app_id != "*"})
    files = {s.id: s.file for s in valid}
    empty = [(app, sid, files[sid]) for (app, sid), sized in sorted(sizes(ev, valid, apps).items()) if sized.total == 0]
    return ds, empty


def format_empty(found: tuple[dt.date, list[tuple[str, str, str]]]) -> str:
    """One ``warning:`` line per empty segment, or a line saying none is empty."""
    ds, empty = found
    if not empty:
        return f"no segment is empty on the labels of {ds}"
    return "\n".join(f"warning: {app}/{sid} ({file}) selects nobody on the labels of {ds}" for app, sid, file in empty)
