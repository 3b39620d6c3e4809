"""The validator: every problem of every definition file in one run.

Exit-code semantics for the ``lakehouse validate`` command built on :func:`validate`:
0 when the list is empty, 1 when there is at least one definition error (print
:func:`format_errors`), 2 when the definitions folder itself cannot be read (``FileNotFoundError``).
"""

from __future__ import annotations

import os

from jobs.segments.sources import build_segment
from jobs.segments.language.errors import DefinitionError, format_errors, sort_errors
from jobs.segments.language.guard import deep_enough, internal_error, run_pass
from jobs.segments.language.model import Segment
from jobs.segments.language.load import Document
from jobs.segments.sources import definition_files, load_document
from jobs.segments.language.passes import PASSES
from jobs.segments.language.program import Program
from jobs.segments.language.schema import schema_errors

__all__ = ["validate", "check_definitions", "format_errors", "exit_code"]


def _identity(doc: Document) -> tuple[str, str] | None:
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("app_id"), str):
        return data["app_id"], data["id"]
    return None


def check_definitions(defs_dir: str, extra: list[tuple[str, str]] | None = None,
                      replace: str | None = None) -> tuple[Program, list[DefinitionError]]:
    """Loads, schema-checks, builds and runs every pass over the definitions in ``defs_dir``.

    Args:
        defs_dir: the definitions folder (``segment_defs/``).
        extra: more files as (absolute path, name shown in messages), e.g. a draft to preview.
        replace: a relative name in ``defs_dir`` to leave out (the file a draft replaces).

    Returns:
        The program (segments of schema-valid documents) and every error, sorted by file and position.

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder (a pipeline error, not a definition error).
    """
    if not os.path.isdir(defs_dir):
        raise FileNotFoundError(f"segment definitions folder not found: {defs_dir}")
    files = [(a, r, defs_dir) for a, r in definition_files(defs_dir) if r != replace]
    files += [(a, r, None) for a, r in extra or []]  # a draft is confined to its own folder
    errors: list[DefinitionError] = []
    documents: dict[str, Document] = {}
    segments = []
    broken = set()
    for abspath, relname, inside in files:
        with deep_enough():
            try:
                doc, segment, problems = _check_document(abspath, relname, inside)
            except Exception as exc:  # noqa: BLE001 - any failure on one file is that file's error
                doc, segment, problems = None, None, [internal_error(relname, "validating", exc)]
        errors.extend(problems)
        if doc is not None:
            documents[relname] = doc
            if problems and _identity(doc):
                broken.add(_identity(doc))
        if segment is not None:  # a file with errors may still give a salvaged segment (it fails)
            segments.append(segment)
    program = Program(tuple(segments), documents, defs_dir, frozenset(broken))
    for check in PASSES:
        errors.extend(run_pass(check, program))
    return program, sort_errors(errors)


def _check_document(abspath: str, relname: str, defs_dir: str | None
                    ) -> tuple[Document | None, Segment | None, list[DefinitionError]]:
    """One file loaded, schema-checked and built: its document, its segment (None if it has errors,
    or what is left of it to check) and its problems."""
    doc, problems = load_document(abspath, relname, defs_dir)
    if doc is None:
        return None, None, problems
    located = {p.path for p in problems}  # e.g. `!!int 12.5`: the schema would only echo it
    invalid = [e for e in schema_errors(doc) if e.path not in located]
    if invalid or problems:
        # the passes still check what is left of a document with schema errors (the file fails)
        segment, source_errors = salvaged_segment(doc) if invalid and not problems else (None, [])
        return doc, segment, problems + invalid + source_errors
    segment, form_errors = build_segment(doc)
    if form_errors:  # e.g. a date that is not a calendar date: later checks would only echo it
        return doc, None, form_errors
    return doc, segment, []


def salvaged_segment(doc: Document) -> tuple[Segment | None, list[DefinitionError]]:
    """The segment of what is left of a document with schema errors, or None (see ``salvage``),
    and the problems of its import file (checked while building, like a valid document's)."""
    from jobs.segments.language.salvage import salvage
    from jobs.segments.language.schema import reported_by_passes, validator

    rest = salvage(doc, validator(), reported_by_passes)
    if rest is None:
        return None, []
    segment, form_errors = build_segment(rest)
    source_errors = [e for e in form_errors if e.path == "source.csv"]
    return (None, []) if len(source_errors) < len(form_errors) else (segment, source_errors)


def validate(defs_dir: str) -> list[DefinitionError]:
    """Every definition error under ``defs_dir`` (empty when all definitions are valid).

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    return check_definitions(defs_dir)[1]


def exit_code(errors: list[DefinitionError]) -> int:
    """0 when there is no error, 1 otherwise (2 is for an unreadable folder, see the module docstring)."""
    return 1 if errors else 0
