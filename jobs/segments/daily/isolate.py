"""Stages the membership of ds so that a segment the engine cannot evaluate fails alone.

All segments are evaluated in one query (see ``evaluate``). When that query raises, each segment
is evaluated on its own (with the segments it refers to) to find the ones that raise; they get a
``failed`` run with the engine's reason, the segments that depend on them fail too, and the
membership of the others is staged. Without a culprit the original error stands (a pipeline fault).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.publish import CommitConflict, PublicationBlocked, Staged, stage
from jobs.segments.language.failures import propagate
from jobs.segments.language.guard import describe
from jobs.segments.language.passes.resolve import resolve
from jobs.segments.language.model import Segment
from jobs.tables import GOLD_SEGMENT_MEMBERSHIP

log = logging.getLogger(__name__)
Key = tuple[str, str]


@dataclass(frozen=True)
class MemberInputs:
    """What membership is computed from: labels and daily aggregates of ds, known members (kept
    ``once`` segments and imports; None if there are none) and ds."""

    labels: DataFrame
    daily: DataFrame
    fixed_members: DataFrame | None
    ds: dt.date


Build = Callable[[MemberInputs, list[Segment], list[Key]], DataFrame]


def culprits(build: Build, inputs: MemberInputs, rules: list[Segment], fixed_keys: list[Key],
             files: dict[Key, str]) -> dict[Key, str]:
    """(app_id, id) -> reason, for each segment whose evaluation alone raises."""
    found = {}
    resolved = resolve(rules)
    for seg in rules:
        try:
            build(inputs, resolved.closure([seg]), list(fixed_keys)).where(
                F.col("segment_id") == F.lit(seg.id)).count()
        except Exception as exc:  # noqa: BLE001 - this segment's failure
            found[seg.key] = f"{seg.file}: the segment could not be evaluated ({describe(exc)})"
    for key in fixed_keys:
        try:
            build(inputs, [], [key]).count()
        except Exception as exc:  # noqa: BLE001 - this known membership cannot be read
            found[key] = f"{files.get(key, key[1])}: the segment's members could not be read ({describe(exc)})"
    return found


def stage_members(build: Build, root: str, inputs: MemberInputs, valid: list[Segment], kept: dict,
                  fixed_keys: list[Key], failures: dict[Key, str]) -> Staged:
    """Stages the membership of ds of every segment not in ``failures``, as ``build`` computes it
    (inputs, rule-based segments, known segments -> rows); adds to ``failures`` the segments that
    raise in the engine (and those depending on them).

    Raises:
        PublicationBlocked, CommitConflict: as ``jobs.publish.stage``.
        Exception: the engine's error when no single segment explains it.
    """
    def todo() -> tuple[list[Segment], list[Key]]:
        rules = [s for s in valid if s.rule is not None and s.key not in kept and s.key not in failures]
        return rules, [k for k in fixed_keys if k not in failures]

    rules, fixed = todo()
    try:
        return stage(build(inputs, rules, fixed).withColumn("ds", F.lit(inputs.ds)), GOLD_SEGMENT_MEMBERSHIP, root, inputs.ds)
    except (PublicationBlocked, CommitConflict):
        raise
    except Exception:
        found = culprits(build, inputs, rules, fixed, {s.key: s.file for s in valid})
        if not found:
            raise
    log.error("segments that cannot be evaluated on %s fail alone: %s", inputs.ds, ", ".join(f"{a}/{s}" for a, s in found))
    failures.update(found)
    failures.update(propagate(valid, failures))
    rules, fixed = todo()
    return stage(build(inputs, rules, fixed).withColumn("ds", F.lit(inputs.ds)), GOLD_SEGMENT_MEMBERSHIP, root, inputs.ds)
