"""The validator: every problem of every definition file in one run.

Exit-code semantics for the ``lakehouse validate`` command built on :func:`validate`:
0 when the list is empty, 1 when there is at least one definition error (print
:func:`format_errors`), 2 when the definitions folder itself cannot be read (``FileNotFoundError``).
"""

from __future__ import annotations

import os

from jobs.segments.build import build_segment
from jobs.segments.errors import DefinitionError, format_errors, sort_errors
from jobs.segments.load import Document, definition_files, load_document
from jobs.segments.passes import PASSES
from jobs.segments.program import Program
from jobs.segments.schema import schema_errors

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
    files = [f for f in definition_files(defs_dir) if f[1] != replace] + list(extra or [])
    errors: list[DefinitionError] = []
    documents: dict[str, Document] = {}
    segments = []
    broken = set()
    for abspath, relname in files:
        doc, problems = load_document(abspath, relname)
        errors.extend(problems)
        if doc is None:
            continue
        documents[relname] = doc
        invalid = schema_errors(doc)
        if invalid or problems:
            errors.extend(invalid)
            if _identity(doc):
                broken.add(_identity(doc))
            checked = salvaged_segment(doc) if invalid and not problems else None
            if checked is not None:  # its file has errors (it fails), but the passes check what is left
                segments.append(checked)
            continue
        segment, form_errors = build_segment(doc)
        if form_errors:  # e.g. a date that is not a calendar date: later checks would only echo it
            errors.extend(form_errors)
            broken.add(_identity(doc))
            continue
        segments.append(segment)
    program = Program(tuple(segments), documents, defs_dir, frozenset(broken))
    for check in PASSES:
        errors.extend(check(program))
    return program, sort_errors(errors)


def salvaged_segment(doc: Document):
    """The segment of what is left of a document with schema errors, or None (see ``salvage``)."""
    from jobs.segments.salvage import salvage
    from jobs.segments.schema import reported_by_passes, validator

    rest = salvage(doc, validator(), reported_by_passes)
    if rest is None:
        return None
    segment, form_errors = build_segment(rest)
    return None if form_errors else segment


def validate(defs_dir: str) -> list[DefinitionError]:
    """Every definition error under ``defs_dir`` (empty when all definitions are valid).

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    return check_definitions(defs_dir)[1]


def exit_code(errors: list[DefinitionError]) -> int:
    """0 when there is no error, 1 otherwise (2 is for an unreadable folder, see the module docstring)."""
    return 1 if errors else 0
