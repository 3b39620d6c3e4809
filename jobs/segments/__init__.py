"""Segments: YAML definitions validated, compiled to Spark Columns and evaluated into memberships.

Three rooms (docs/architecture.md): ``language/`` (pure: text -> tree -> passes -> Columns),
``daily/`` (the job that evaluates and publishes a ds) and ``readers/`` (tools over what was
published; they never import the job), with ``validate``, ``sources``, ``inputs`` and ``outputs``
as the boundary both sides use.

Public API:
    validate(defs_dir) -> list[DefinitionError]      every problem of every file (exit 1 if any)
    format_errors(errors) -> str                      the analyst-facing report
    evaluate_segments(spark, root, ds, defs_dir)      the daily job -> list[RunRecord]
    preview(spark, root, path, defs_dir)              a draft's size -> PreviewResult
"""

from jobs.segments.language.errors import DefinitionError, DefinitionErrors, format_errors
from jobs.segments.validate import exit_code, validate


def evaluate_segments(spark, root, ds, defs_dir, refresh=()):
    """See :func:`jobs.segments.daily.job.evaluate_segments` (imported lazily: it needs pyspark)."""
    from jobs.segments.daily.job import evaluate_segments as run

    return run(spark, root, ds, defs_dir, refresh)


def preview(spark, root, path, defs_dir, ds=None):
    """See :func:`jobs.segments.readers.preview.preview`."""
    from jobs.segments.readers.preview import preview as run

    return run(spark, root, path, defs_dir, ds)


__all__ = ["DefinitionError", "DefinitionErrors", "format_errors", "validate", "exit_code",
           "evaluate_segments", "preview"]
