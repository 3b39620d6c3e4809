"""Step 2 of the daily job, plan the run: which segments are evaluated, kept, imported or failed
by their definition, and for which apps. Pure: values in, a frozen ``RunPlan`` out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.failures import definition_failures
from jobs.segments.language.model import PREDEFINED_APP, Segment
from jobs.segments.language.program import Program

Key = tuple[str, str]


@dataclass(frozen=True)
class RunPlan:
    """What a run of ds does with each definition.

    Args:
        apps: every app of ds (with label rows, or with a segment of its own), sorted.
        file_failures: file -> its definition errors on one line, for every file with errors.
        valid: the segments of files without errors, in file order.
        invalid: segments of files with errors whose key no valid segment has (they fail alone).
        kept: key -> previous published run, for ``refresh: once`` segments kept unchanged.
        imports: the valid imported segments whose list is read today (not kept).
    """

    ds: dt.date
    apps: tuple[str, ...]
    file_failures: dict[str, str]
    valid: tuple[Segment, ...]
    invalid: tuple[Segment, ...]
    kept: dict[Key, dict]
    imports: tuple[Segment, ...]

    @property
    def fixed_keys(self) -> list[Key]:
        """Segments whose membership is known without a rule: kept ones, then imports."""
        return [*self.kept, *(s.key for s in self.imports)]

    def apps_of(self, seg: Segment) -> list[str]:
        """The apps a segment runs for: every app for a predefined one, else its own."""
        return list(self.apps) if seg.app_id == PREDEFINED_APP else [seg.app_id]

    def published(self, failures: dict[Key, str]) -> list[tuple[str, Segment]]:
        """(app, segment) of every valid segment that did not fail, per app it runs for."""
        return [(app, s) for s in self.valid if s.key not in failures for app in self.apps_of(s)]


def plan_run(program: Program, errors: list[DefinitionError], label_apps: Collection[str],
             history: dict[Key, dict], refresh: Collection[str] | bool, ds: dt.date) -> RunPlan:
    """The plan of ds; ``refresh``: ids of ``once`` segments recomputed although unchanged (True: all)."""
    apps = tuple(sorted(set(label_apps) | {s.app_id for s in program.segments if s.app_id != PREDEFINED_APP}))
    file_failures = definition_failures(program, errors)
    valid = tuple(s for s in program.segments if s.file not in file_failures)
    valid_keys = {s.key for s in valid}
    # A definition that repeats a valid one's id fails alone: only its file is reported.
    invalid = tuple(s for s in program.segments if s.file in file_failures and s.key not in valid_keys)

    def forced(seg: Segment) -> bool:
        return refresh is True or (not isinstance(refresh, bool) and seg.id in refresh)

    kept = {s.key: history[s.key] for s in valid
            if s.refresh == "once" and s.app_id != PREDEFINED_APP and not forced(s)
            and s.key in history and history[s.key]["definition_hash"] == s.definition_hash}
    imports = tuple(s for s in valid if s.source is not None and s.key not in kept)
    return RunPlan(ds, apps, file_failures, valid, invalid, kept, imports)
