"""The plan as text for a terminal and as the stable JSON shape documented in docs/tools.md."""

from __future__ import annotations

from jobs.segments.language.errors import format_errors
from jobs.segments.readers.plan import BROKEN, CHANGED, NEW, ORDER, REMOVED, Plan, PlannedSegment
from jobs.segments.readers.sizing import Sizing, format_sizing

PLAN_FORMAT_VERSION = 1
MARKS = {NEW: "+", CHANGED: "~", REMOVED: "-", BROKEN: "!"}


def format_plan(plan: Plan) -> str:
    """The text ``lakehouse plan`` prints: one block per segment to change, then the summary."""
    lines = [f"plan for ds {plan.ds} (definitions {plan.defs_dir}, against the run catalog's last published runs)"]
    for p in plan.segments:
        lines.append("")
        lines += _block(p, plan)
    names = ", ".join(f"{a}/{s}" for a, s in plan.unchanged[:8]) + (", ..." if len(plan.unchanged) > 8 else "")
    lines.append("")
    lines.append(f"= unchanged: {len(plan.unchanged)} segment{'s' if len(plan.unchanged) != 1 else ''}"
                 + (f" ({names})" if names else ""))
    counts = {s: sum(p.status == s for p in plan.segments) for s in ORDER}
    lines.append("plan: " + ", ".join(f"{counts[s]} {s}" for s in ORDER) + f", {len(plan.unchanged)} unchanged"
                 + "; nothing was written")
    return "\n".join(lines)


def _block(p: PlannedSegment, plan: Plan) -> list[str]:
    head = f"{MARKS[p.status]} {p.status:<8} {p.app_id}/{p.segment_id}"
    detail = ", ".join(x for x in (p.kind, p.file) if x)
    lines = [head + (f" ({detail})" if detail else "")]
    if p.status == BROKEN:
        if p.errors:
            lines += ["    " + line if line else "" for line in format_errors(list(p.errors)).splitlines()]
        if p.reason:
            lines.append(f"    {p.reason}")
        return lines
    c = p.change
    against = (f"against {c.published} members published on {c.baseline_ds}" if c.baseline_ds
               else "never published")
    if p.status == REMOVED:
        lines.append(f"    would be retired: {against}: {c.exited} would exit")
        return lines
    lines.append(f"    size {p.size} on {plan.ds} ({p.removed_by_consent} removed by the marketing consent rule); "
                 f"{against}: {c.entered} would enter, {c.exited} would exit")
    lines += format_sizing(Sizing(p.app_id, p.segment_id, plan.ds, p.users, p.size, p.removed_by_consent, p.funnel,
                                  p.reach), indent="    ")
    return lines


def plan_json(plan: Plan) -> dict:
    """The plan as plain data (``lakehouse plan --json``); the shape is documented in docs/tools.md."""
    counts = {s: sum(p.status == s for p in plan.segments) for s in ORDER}
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "ds": plan.ds.isoformat(),
        "defs": plan.defs_dir,
        "broken": plan.broken,
        "summary": {**counts, "unchanged": len(plan.unchanged)},
        "segments": [_segment_json(p) for p in plan.segments],
        "unchanged": [{"app_id": a, "segment_id": s} for a, s in plan.unchanged],
    }


def _segment_json(p: PlannedSegment) -> dict:
    c = p.change
    return {
        "app_id": p.app_id,
        "segment_id": p.segment_id,
        "status": p.status,
        "kind": p.kind,
        "file": p.file,
        "definition_hash": p.definition_hash,
        "published_hash": p.published_hash,
        "users": p.users,
        "size": p.size,
        "removed_by_consent": p.removed_by_consent,
        "baseline_ds": c.baseline_ds.isoformat() if c and c.baseline_ds else None,
        "published_members": c.published if c else None,
        "entered": c.entered if c else None,
        "exited": c.exited if c else None,
        "funnel": [{"condition": s.condition, "users": s.users} for s in p.funnel],
        "reach": p.reach.as_dict() if p.reach else None,
        "errors": [error_json(e) for e in p.errors],
        "reason": p.reason,
    }


def error_json(e) -> dict:
    """A DefinitionError as plain data (also used by ``validate --json``)."""
    return {"file": e.file, "line": e.line, "column": e.column, "path": e.path, "message": e.message,
            "expected": e.expected, "suggestion": e.suggestion}
