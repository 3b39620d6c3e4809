"""Reference resolution, once: each segment reference rewritten to the key it stands for, and the
dependency level of every segment.

A reference names a segment by id; from a segment of app ``A`` it stands for ``(A, id)`` when that
segment is among the ones resolved against, else for the predefined ``('*', id)``. Every consumer
(the evaluator, failure propagation, the job's isolation, explain, preview, sizing) reads
``SegmentRef.key`` and ``Resolved.levels`` from :func:`resolve` instead of resolving names itself.
Unlike the other passes it reports nothing (``references`` and ``cycles`` do): it rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from jobs.segments.language.model import PREDEFINED_APP, All, AnyOf, Condition, Not, Segment, SegmentRef, references

Key = tuple[str, str]


def target(app_id: str, name: str, keys) -> Key:
    """The key a reference to ``name`` in a segment of ``app_id`` stands for, among ``keys``."""
    return (app_id, name) if (app_id, name) in keys else (PREDEFINED_APP, name)


def _rewrite(cond: Condition, app_id: str, keys) -> Condition:
    if isinstance(cond, SegmentRef):
        return replace(cond, key=target(app_id, cond.segment, keys))
    if isinstance(cond, (All, AnyOf)):
        return replace(cond, items=tuple(_rewrite(c, app_id, keys) for c in cond.items))
    if isinstance(cond, Not):
        return replace(cond, item=_rewrite(cond.item, app_id, keys))
    return cond


@dataclass(frozen=True)
class Resolved:
    """Segments whose references carry their resolved key, and their dependency levels.

    Args:
        segments: the segments resolved, in the order given, each reference's ``key`` set.
        known: keys whose membership is known without a rule (imports, kept ``once`` segments).
        levels: key -> -1 for a known key, 0 for a segment without references, else one more than
            its deepest reference (a reference to a key neither resolved nor known counts as -1).
    """

    segments: tuple[Segment, ...]
    known: frozenset[Key]
    levels: dict[Key, int]

    @property
    def by_key(self) -> dict[Key, Segment]:
        return {s.key: s for s in self.segments}

    def targets(self, seg: Segment) -> list[Key]:
        """The keys ``seg`` refers to, in the order written."""
        return [ref.key for ref in references(seg)]

    def closure(self, targets: Iterable[Segment]) -> list[Segment]:
        """The targets and every resolved segment they refer to, directly or not (targets first,
        then their references depth first); a reference to a segment not resolved is left out."""
        by_key = self.by_key
        out: dict[Key, Segment] = {}
        for first in targets:
            found: dict[Key, Segment] = {}
            todo = [by_key.get(first.key, first)]
            while todo:
                seg = todo.pop()
                if seg.key in found:
                    continue
                found[seg.key] = seg
                todo += [by_key[k] for k in self.targets(seg) if k in by_key]
            for key, seg in found.items():
                out.setdefault(key, seg)
        return list(out.values())


def resolve(segments: Iterable[Segment], known: Iterable[Key] = ()) -> Resolved:
    """Rewrites every reference of ``segments`` to the key it stands for among ``segments`` and
    ``known``, and computes each segment's dependency level (a cycle, only in a program with
    errors, counts as -1 where it closes)."""
    known = frozenset(known)
    given = list(segments)
    keys = {s.key for s in given} | known
    rewritten = tuple(replace(s, rule=_rewrite(s.rule, s.app_id, keys)) if s.rule is not None else s for s in given)
    by_key = {s.key: s for s in rewritten}
    levels: dict[Key, int] = {k: -1 for k in known}

    def level(key: Key, visiting: frozenset[Key]) -> int:
        if key in levels:
            return levels[key]
        seg = by_key.get(key)
        if seg is None or key in visiting:
            return -1
        found = 1 + max((level(ref.key, visiting | {key}) for ref in references(seg)), default=-1)
        levels[key] = found
        return found

    for seg in rewritten:
        level(seg.key, frozenset())
    return Resolved(rewritten, known, levels)
