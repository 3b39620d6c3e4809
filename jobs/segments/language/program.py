"""A program: every segment of a definitions folder with its document, the input of the passes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.load import Document
from jobs.segments.language.model import PREDEFINED_APP, Path, Segment

PREDEFINED_DIR = "_predefined"


@dataclass(frozen=True)
class Program:
    """Segments built from schema-valid documents, and the documents to locate errors in.

    Args:
        segments: in file order.
        documents: file (relative name) -> its document.
        defs_dir: the definitions folder.
        broken: (app_id, id) of documents that failed the schema check, so references to them
            are not reported again as missing.
    """

    segments: tuple[Segment, ...]
    documents: dict[str, Document]
    defs_dir: str
    broken: frozenset[tuple[str, str]] = frozenset()

    def exists(self, app_id: str, segment_id: str) -> bool:
        """Whether a segment is defined for ``app_id``, even by a definition with schema errors."""
        return segment_id in self.visible(app_id) or (app_id, segment_id) in self.broken or (PREDEFINED_APP, segment_id) in self.broken

    def error(self, segment: Segment, path: Path, message: str, *, expected: str | None = None,
              suggestion: str | None = None, key: bool = False) -> DefinitionError:
        """A DefinitionError at ``path`` inside ``segment``'s file."""
        return self.documents[segment.file].error(path, message, expected=expected, suggestion=suggestion, key=key)

    @cached_property
    def resolved(self):
        """The program's references resolved to their keys, with dependency levels, computed once
        (see ``passes.resolve``): the readers take closures of it."""
        from jobs.segments.language.passes.resolve import resolve  # the passes import this module

        return resolve(self.segments)

    def visible(self, app_id: str) -> dict[str, Segment]:
        """Segment id -> segment, as seen from ``app_id``: the predefined ones and the app's own (first wins)."""
        found: dict[str, Segment] = {}
        for seg in self.segments:
            if seg.app_id == PREDEFINED_APP or (seg.app_id == app_id and app_id != PREDEFINED_APP):
                found.setdefault(seg.id, seg)
        return found
