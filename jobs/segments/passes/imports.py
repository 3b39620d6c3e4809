"""Imported segments name a CSV file that exists inside their app's folder."""

from __future__ import annotations

import os

from jobs.segments.errors import DefinitionError, quote
from jobs.segments.program import Program


def check(program: Program) -> list[DefinitionError]:
    errors = []
    for seg in program.segments:
        if seg.source is None:
            continue
        folder = os.path.dirname(program.documents[seg.file].abspath)
        inside = os.path.commonpath([os.path.realpath(folder), os.path.realpath(seg.source.abspath)]) == os.path.realpath(folder)
        if not inside:
            errors.append(program.error(seg, seg.source.path, f"import file {quote(seg.source.csv)} is outside the definition's folder",
                                        expected="a CSV file next to the definition"))
        elif not os.path.isfile(seg.source.abspath):
            errors.append(program.error(seg, seg.source.path, f"import file {quote(seg.source.csv)} does not exist",
                                        expected=f"a CSV file at {os.path.relpath(seg.source.abspath, program.defs_dir)}"))
    return errors
