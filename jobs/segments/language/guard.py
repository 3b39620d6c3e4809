"""Keeps a failure inside its own definition: unexpected exceptions become that definition's error."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.program import Program

# The loader caps nesting at 64 levels; checking such a document recurses a few dozen Python
# frames per level (schema check, builder, passes), more than the default limit of 1,000.
RECURSION_LIMIT = 12_000


@contextmanager
def deep_enough() -> Iterator[None]:
    """Raises Python's recursion limit for the duration (bounded work: the nesting is capped)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def describe(exc: BaseException) -> str:
    """``RecursionError: maximum recursion depth exceeded``, first line only, at most 200 characters."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def internal_error(file: str, stage: str, exc: BaseException, line: int = 1, column: int = 1) -> DefinitionError:
    """The error recorded for a definition whose checks raised instead of reporting."""
    return DefinitionError(file, line, column, "", f"the definition could not be checked ({stage} raised {describe(exc)})")


def run_pass(check: Callable[[Program], list[DefinitionError]], program: Program) -> list[DefinitionError]:
    """Runs one pass; if it raises, runs it again per segment so only the segments it fails on get an
    error, then once more without them (cross-definition checks still see the others)."""
    try:
        with deep_enough():
            return check(program)
    except Exception:  # noqa: BLE001 - located below
        pass
    found, culprits = [], []
    for seg in program.segments:
        try:
            with deep_enough():
                check(replace(program, segments=(seg,)))
        except Exception as exc:  # noqa: BLE001 - this definition's failure
            line, column = program.documents[seg.file].at(())
            found.append(replace(internal_error(seg.file, check.__module__.rsplit(".", 1)[-1] + " check", exc, line, column),
                                 segment_id=seg.id))
            culprits.append(seg)
    rest = replace(program, segments=tuple(s for s in program.segments if s not in culprits))
    try:
        with deep_enough():
            found += check(rest)
    except Exception as exc:  # noqa: BLE001 - only an interplay of definitions raises: report on each
        found += [internal_error(s.file, "cross-definition check", exc) for s in rest.segments]
    return found
