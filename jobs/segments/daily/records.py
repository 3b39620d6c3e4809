"""Step 6 of the daily job, record runs: one run record per (app, segment) of ds, built by name
(``RunRecord.published/failed/blocked/retired``) from the plan, the evaluation and the audit."""

from __future__ import annotations

import datetime as dt
import os

from jobs.publish import Checked, PublicationBlocked
from jobs.segments.daily.evaluate import Evaluated
from jobs.segments.daily.lifecycle import retired_records
from jobs.segments.daily.plan import RunPlan
from jobs.segments.daily.read import RunInputs
from jobs.segments.language.build import definition_hash
from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.language.program import PREDEFINED_DIR, Program
from jobs.segments.outputs import RunRecord, RunTime, Subject

Key = tuple[str, str]


def now() -> dt.datetime:
    """The current UTC time, naive (as the run catalog stores it)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def record_runs(inputs: RunInputs, plan: RunPlan, evaluated: Evaluated, checked: Checked,
                started: dt.datetime, finished: dt.datetime) -> list[RunRecord]:
    """Every run of ds: published (or blocked, when the audit failed), failed, unbuilt and retired."""
    ds, time = inputs.ds, RunTime(started, finished, inputs.ds)
    published = plan.published(evaluated.failures)
    if checked.blocked:
        blocked = checked.error()
        records = [RunRecord.blocked(app, Subject.of(s), time, reason=_blocked_reason(blocked, app, s.id),
                                     report_path=blocked.report_path)
                   for app, s in published]
    else:
        records = [RunRecord.published(app, Subject.of(s), time,
                                       evaluated_ds=plan.kept[(app, s.id)]["evaluated_ds"] if (app, s.id) in plan.kept else ds,
                                       member_count=evaluated.counts.get((app, s.id), 0), report_path=checked.report_path)
                   for app, s in published]
    records += failed_records(plan, evaluated.failures, time)
    records += unbuilt_runs(inputs.program, inputs.errors, list(plan.apps), started, finished, ds)
    return _unique(records, inputs.latest, ds)


def failed_records(plan: RunPlan, failures: dict[Key, str], time: RunTime) -> list[RunRecord]:
    """Run records of the segments whose definition (or import, or evaluation) failed."""
    failed = ([(s, failures[s.key]) for s in plan.valid if s.key in failures]
              + [(s, plan.file_failures[s.file]) for s in plan.invalid])
    return [RunRecord.failed(app, Subject.of(s), time, reason=reason) for s, reason in failed for app in plan.apps_of(s)]


def _unique(records: list[RunRecord], latest: dict[Key, dict], ds: dt.date) -> list[RunRecord]:
    """One record per (app_id, segment_id), the first one given winning, and a ``retired`` record for
    each earlier segment whose definition is gone (see ``lifecycle``); sorted by key."""
    records = list({(r.app_id, r.segment_id): r for r in reversed(records)}.values())
    started, finished = (records[0].started_at, records[0].finished_at) if records else (now(), now())
    records += retired_records(latest, [(r.app_id, r.segment_id) for r in records], started, finished, ds)
    return sorted(records, key=lambda r: (r.app_id, r.segment_id))


def _blocked_reason(blocked: PublicationBlocked, app_id: str, segment_id: str) -> str:
    """The failed checks that blocked ds: this segment's own first, then the others (the whole ds is blocked)."""
    own = [f for f in blocked.failures if dict(f.scope).get("app_id") == app_id
           and dict(f.scope).get("segment_id") == segment_id]
    others = [f for f in blocked.failures if f not in own]
    lines = [f.line() for f in own]
    if others:
        lines.append(f"publication of {blocked.ds.isoformat()} blocked by {len(blocked.failures)} failed check(s):")
        lines += [f"- {f.line()}" for f in others]
    if blocked.report_path:
        lines.append(f"report: {blocked.report_path}")
    return "\n".join(lines)


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
