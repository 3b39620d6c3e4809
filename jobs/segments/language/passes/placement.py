"""Each definition lives where it belongs: predefined ones in _predefined/, the others in their app's folder."""

from __future__ import annotations

from jobs.segments.language.errors import DefinitionError, quote
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.language.program import PREDEFINED_DIR, Program


def check(program: Program) -> list[DefinitionError]:
    errors = []
    for seg in program.segments:
        folder = seg.file.split("/")[0] if "/" in seg.file else ""
        if folder == PREDEFINED_DIR:
            if seg.app_id != PREDEFINED_APP:
                errors.append(program.error(seg, ("app_id",), f"app_id {quote(seg.app_id)} in a predefined definition",
                                            expected="'*' (predefined segments apply to every app)"))
        elif seg.app_id == PREDEFINED_APP:
            errors.append(program.error(seg, ("app_id",), "app_id '*' is reserved for predefined segments",
                                        expected=f"the app of the folder, {quote(folder)}" if folder else "an app id"))
        elif seg.app_id != folder:
            errors.append(program.error(seg, ("app_id",), f"app_id {quote(seg.app_id)} does not match the folder {quote(folder)}",
                                        expected=f"definitions of app {quote(seg.app_id)} in segment_defs/{seg.app_id}/"))
    return errors
