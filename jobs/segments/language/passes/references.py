"""Segment references name a segment of the same app or a predefined one."""

from __future__ import annotations

from jobs.segments.language.errors import DefinitionError, did_you_mean, quote
from jobs.segments.language.model import references
from jobs.segments.language.program import Program


def check(program: Program) -> list[DefinitionError]:
    errors = []
    for seg in program.segments:
        visible = program.visible(seg.app_id)
        for ref in references(seg):
            if not program.exists(seg.app_id, ref.segment):
                where = "predefined segments" if seg.app_id == "*" else f"segments of app '{seg.app_id}' or predefined"
                errors.append(program.error(seg, ref.path + ("segment",), f"segment {quote(ref.segment)} does not exist",
                                            expected=f"one of the {where}", suggestion=did_you_mean(ref.segment, visible)))
            elif ref.segment == seg.id and ref.segment in visible:
                errors.append(program.error(seg, ref.path + ("segment",), f"segment '{seg.id}' refers to itself (cycle: {seg.id} -> {seg.id})"))
    return errors
