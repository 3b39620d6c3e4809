"""The run records of a ds that are not evaluated: definition files that could not be read or built."""

from __future__ import annotations

import datetime as dt
import os

from jobs.segments.language.build import definition_hash
from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.language.program import PREDEFINED_DIR, Program
from jobs.segments.outputs import RunRecord, RunTime, Subject


def unbuilt_runs(program: Program, errors: list[DefinitionError], apps: list[str],
                 started: dt.datetime, finished: dt.datetime, ds: dt.date) -> list[RunRecord]:
    """Failed run records for files that could not be read or failed the schema check."""
    built = {s.file for s in program.segments}
    reasons: dict[str, list[str]] = {}
    for err in errors:
        if err.file not in built:
            reasons.setdefault(err.file, []).append(err.one_line())
    records = []
    time = RunTime(started, finished, ds)
    for file, lines in sorted(reasons.items()):
        doc = program.documents.get(file)
        data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        folder = file.split("/")[0] if "/" in file else ""
        text = lambda key, default: data[key] if isinstance(data.get(key), str) else default  # noqa: E731
        app = text("app_id", PREDEFINED_APP if folder == PREDEFINED_DIR else folder)
        sid = text("id", os.path.splitext(os.path.basename(file))[0])
        kind = "predefined" if folder == PREDEFINED_DIR else "imported" if "source" in data else "custom"
        refresh = data.get("refresh") if data.get("refresh") in ("daily", "once") else "daily"
        subject = Subject(sid, text("name", None), kind, refresh, definition_hash(data) if data else None, file)
        for target in (apps if app == PREDEFINED_APP else [app]):
            records.append(RunRecord.failed(target, subject, time, reason="; ".join(lines)))
    return records
