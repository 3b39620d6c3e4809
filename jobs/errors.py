"""Errors in the files people write (segment definitions, expectation suites, bounds, catalogs):
each with its file, line, column and path, collected and raised once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class DefinitionError:
    """One problem in one file people write: a segment definition, a suite, the bounds, a catalog.

    Args:
        file: the file as shown in messages: relative to the definitions folder for a definition
            (e.g. ``smartlife/vip.yaml``), the file name for a suite, bounds or catalog.
        line, column: 1-based position of the offending node (0 when the file is unreadable).
        path: where inside the document, e.g. ``rule.all[0].any[1].label`` (empty: the document).
        message: what is wrong.
        expected: what would be valid (optional).
        suggestion: a "did you mean" candidate (optional).
        segment_id: a definition's id when known, so a run can fail that segment alone.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    expected: str | None = None
    suggestion: str | None = None
    segment_id: str | None = None

    def one_line(self) -> str:
        """``file:line:column: message`` — used as the failure reason of a run."""
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def format(self) -> str:
        """The multi-line message shown to analysts."""
        lines = [self.one_line()]
        if self.path:
            lines.append(f"  at: {self.path}")
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.suggestion:
            lines.append(f"  did you mean: {self.suggestion}")
        return "\n".join(lines)


class DefinitionErrors(Exception):
    """All definition errors of one validation, raised once (like sqlglot's ``ErrorLevel.RAISE``)."""

    def __init__(self, errors: Sequence[DefinitionError]):
        self.errors = list(errors)
        super().__init__(format_errors(self.errors))


def sort_errors(errors: Iterable[DefinitionError]) -> list[DefinitionError]:
    """Errors ordered by file, then position, then message; duplicates removed."""
    return sorted(set(errors), key=lambda e: (e.file, e.line, e.column, e.path, e.message))


def format_errors(errors: Sequence[DefinitionError]) -> str:
    """Every error in file order followed by a summary line; empty text when there is none.

    Example::

        smartlife/vip.yaml:9:16: unknown label 'has_gatway'
          at: rule.all[0].label
          expected: a label of the label catalog
          did you mean: has_gateway

        1 error in 1 file
    """
    if not errors:
        return ""
    ordered = sort_errors(errors)
    files = {e.file for e in ordered}
    noun = "error" if len(ordered) == 1 else "errors"
    fnoun = "file" if len(files) == 1 else "files"
    return "\n\n".join(e.format() for e in ordered) + f"\n\n{len(ordered)} {noun} in {len(files)} {fnoun}"


def did_you_mean(word: object, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word``, if one is close enough to be a likely typo."""
    if not isinstance(word, str):
        return None
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return match[0] if match else None


def quote(value: object, limit: int = 60) -> str:
    """A value as shown in a message: repr-like, shortened so hostile or huge values stay readable."""
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"
