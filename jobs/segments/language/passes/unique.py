"""Ids and names are unique within an app (names case-insensitively); predefined segments are not redefined."""

from __future__ import annotations

from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.language.program import Program


def check(program: Program) -> list[DefinitionError]:
    errors = []
    predefined = {s.id: s for s in program.segments if s.app_id == PREDEFINED_APP}
    predefined_names = {s.name.casefold(): s for s in program.segments if s.app_id == PREDEFINED_APP}
    seen_ids: dict[tuple[str, str], object] = {}
    seen_names: dict[tuple[str, str], object] = {}
    for seg in program.segments:
        if seg.app_id != PREDEFINED_APP and seg.id in predefined:
            errors.append(program.error(seg, ("id",), f"segment '{seg.id}' is predefined and cannot be redefined",
                                        expected=f"another id (predefined: {predefined[seg.id].file})"))
        elif (seg.app_id, seg.id) in seen_ids:
            first = seen_ids[(seg.app_id, seg.id)]
            errors.append(program.error(seg, ("id",), f"duplicate id '{seg.id}' in app '{seg.app_id}'",
                                        expected=f"an id not used by {first.file}"))
        seen_ids.setdefault((seg.app_id, seg.id), seg)
        folded = seg.name.casefold()
        first = seen_names.get((seg.app_id, folded))
        if first is None and seg.app_id != PREDEFINED_APP:
            first = predefined_names.get(folded)
        if first is not None:
            errors.append(program.error(seg, ("name",), f"duplicate name '{seg.name}' in app '{seg.app_id}'",
                                        expected=f"a name not used by {first.file} (names are compared ignoring case)"))
        seen_names.setdefault((seg.app_id, folded), seg)
    return errors
