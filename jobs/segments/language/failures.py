"""Which segments fail a run and why: their definition errors, missing columns, failed dependencies."""

from __future__ import annotations

from jobs.segments.language.columns import daily_measure
from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.passes.resolve import resolve
from jobs.segments.language.model import BehaviorCondition, LabelCondition, Segment, references, walk
from jobs.segments.language.program import Program


def definition_failures(program: Program, errors: list[DefinitionError]) -> dict[str, str]:
    """File -> its errors on one line each, for every file with errors."""
    by_file: dict[str, list[str]] = {}
    for err in errors:
        by_file.setdefault(err.file, []).append(err.one_line())
    return {file: "; ".join(lines) for file, lines in by_file.items()}


def propagate(segments: list[Segment], failures: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Adds every segment that refers, directly or not, to a failed or missing segment.

    Args:
        segments: the segments with valid definitions.
        failures: (app_id, id) -> reason, for segments already failed.
    """
    failures = dict(failures)
    resolved = resolve(segments)
    keys = set(resolved.by_key)
    changed = True
    while changed:
        changed = False
        for seg in resolved.segments:
            if seg.key in failures:
                continue
            for ref in references(seg):
                if ref.key in failures or ref.key not in keys:
                    failures[seg.key] = f"depends on failed segment '{ref.segment}'"
                    changed = True
                    break
    return failures


def schema_columns_missing(program: Program, segments, label_columns: list[str], daily_columns: list[str]
                           ) -> dict[tuple[str, str], str]:
    """Segments reading a label, dimension or measure column the tables do not have (catalog ahead of data)."""
    have = set(label_columns) | set(daily_columns)
    found = {}
    for seg in segments:
        for node in walk(seg.rule):
            needed = []
            if isinstance(node, LabelCondition):
                needed = [node.label]
            elif isinstance(node, BehaviorCondition):
                needed = [f"dim_{f.dimension}" for f in node.where]
                if node.metric.measure:
                    needed.append(daily_measure(node.metric.measure, "sum"))
            missing = [c for c in needed if c not in have]
            if missing:
                found[seg.key] = f"{seg.file}: column {missing[0]} is not in the label or daily aggregate table"
                break
    return found
