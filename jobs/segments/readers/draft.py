"""Drafts: a definition file not yet in the definitions folder (or an edited copy), checked with the folder."""

from __future__ import annotations

import os
from dataclasses import dataclass

from jobs.segments.language.errors import DefinitionError
from jobs.segments.sources import load_document
from jobs.segments.language.model import PREDEFINED_APP, Segment
from jobs.segments.language.program import PREDEFINED_DIR, Program
from jobs.segments.validate import check_definitions


@dataclass(frozen=True)
class Draft:
    """The folder's definitions with the draft in place of the definition it edits.

    Args:
        name: the draft's name in messages (``<app>/<file>``, or its path inside the folder).
        segment: the draft's segment (None when its file has errors that stop it being built).
        replaces: the folder's file the draft stands in for (same file name, or same app and id).
        errors: every definition error (of the draft and of the folder).
    """

    program: Program
    errors: list[DefinitionError]
    name: str
    segment: Segment | None
    replaces: str | None


def draft_name(path: str, defs_dir: str) -> str:
    """The draft's name: its path inside ``defs_dir``, else ``<app_id>/<file name>``."""
    inside = os.path.abspath(path).startswith(os.path.abspath(defs_dir) + os.sep)
    if inside:
        return os.path.relpath(path, defs_dir).replace(os.sep, "/")
    doc, _ = load_document(path, os.path.basename(path))
    app = doc.data.get("app_id") if doc is not None and isinstance(doc.data, dict) else None
    if app == PREDEFINED_APP:
        return f"{PREDEFINED_DIR}/{os.path.basename(path)}"
    return f"{app}/{os.path.basename(path)}" if isinstance(app, str) and "/" not in app and app else os.path.basename(path)


def _identity(data: object) -> tuple[str, str] | None:
    if isinstance(data, dict) and isinstance(data.get("app_id"), str) and isinstance(data.get("id"), str):
        return data["app_id"], data["id"]
    return None


def load_draft(path: str, defs_dir: str) -> Draft:
    """Checks the draft at ``path`` together with ``defs_dir``.

    The draft replaces the folder's file of the same name, or else the folder's definition with
    the same app and id (an edited copy kept elsewhere is compared, not reported as a duplicate).

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    name = draft_name(path, defs_dir)
    folder, _ = check_definitions(defs_dir)
    replaces = name if name in folder.documents else None
    doc, _ = load_document(path, name)
    identity = _identity(doc.data) if doc is not None else None
    if replaces is None and identity is not None:
        replaces = next((f for f, d in folder.documents.items() if _identity(d.data) == identity), None)
    program, errors = check_definitions(defs_dir, extra=[(os.path.abspath(path), name)], replace=replaces)
    segment = next((s for s in program.segments if s.file == name), None)
    return Draft(program, errors, name, segment, replaces)
