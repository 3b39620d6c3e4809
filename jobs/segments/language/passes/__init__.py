"""Ordered pure checks over a Program; each returns the definition errors it finds.

Order matters only for readability of the report: per-definition checks first (placement,
labels, behavior), then checks across definitions (uniqueness, references, cycles).
"""

from __future__ import annotations

from jobs.segments.language.passes import behavior, cycles, labels, placement, references, unique

PASSES = (
    placement.check,
    labels.check,
    behavior.check,
    unique.check,
    references.check,
    cycles.check,
)
