"""``lakehouse show``: a segment's definition, size history, changes and last run, read with delta-rs."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.safe_text import terminal_value
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.readers.published import PublishedHistory, SegmentLookupError, unknown_segment_message

CHECKED_TABLE = "gold.segment_membership"  # the segment job's audit records its checks under this table


@dataclass(frozen=True)
class Definition:
    """A definition file as the analyst wrote it (the file may hold errors: nothing here is validated)."""

    file: str
    name: str | None
    description: str | None
    kind: str | None  # None when the file does not pass the schema
    refresh: str
    rule_text: str  # the ``rule:`` (or ``source:``) block exactly as written


@dataclass(frozen=True)
class Shown:
    """Everything ``show`` prints about one segment of one app."""

    app_id: str
    segment_id: str
    definition: Definition | None
    runs: tuple[dict, ...]  # gold.segment_runs rows in the range, by ds
    changes: dict[dt.date, Counter]  # ds -> Counter(entered=n, exited=m)
    last_run: dict | None  # the segment's latest run (any status), outside the range too
    checks: tuple[dict, ...]  # gold.check_results rows of that run that apply to the segment


# --- pure ----------------------------------------------------------------------------------------

def block_text(text: str, line: int) -> str:
    """The top-level YAML block starting at 1-based ``line``: that line and the indented, blank and
    comment lines after it, up to the next top-level key (trailing blank lines dropped)."""
    lines = text.splitlines()
    block = [lines[line - 1]]
    for item in lines[line:]:
        if item and not item[0].isspace() and not item.startswith("#"):
            break
        block.append(item)
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block)


def run_checks(checks: Sequence[dict], run: dict) -> list[dict]:
    """The checks of the audit that ran with ``run`` and apply to its segment (scoped to it, or
    table-level), failed first.

    Check results are keyed by run_id, table and ds, not by segment run: the audit whose checks
    fall inside the run's [started_at, finished_at] is the run's own; if none does (e.g. a
    definition failure, which is not audited), the latest audit of that ds before it finished.
    """
    mine = [c for c in checks if c["ds"] == run["ds"] and c["table_name"] == CHECKED_TABLE
            and c["segment_id"] in (None, run["segment_id"]) and c["app_id"] in (None, run["app_id"])]
    at = {}
    for c in mine:
        at[c["run_id"]] = max(at.get(c["run_id"], c["checked_at"]), c["checked_at"])
    inside = [r for r, t in at.items() if run["started_at"] <= t <= run["finished_at"]]
    before = sorted((t, r) for r, t in at.items() if t <= run["finished_at"])
    chosen = inside[0] if inside else (before[-1][1] if before else None)
    picked = [c for c in mine if c["run_id"] == chosen]
    return sorted(picked, key=lambda c: (c["success"], c["segment_id"] is None, c["check_id"]))


def change_counts(rows: Sequence[dict]) -> dict[dt.date, Counter]:
    """ds -> Counter of ``entered`` / ``exited`` from gold.segment_changes rows (ds, change)."""
    counts: dict[dt.date, Counter] = {}
    for row in rows:
        counts.setdefault(row["ds"], Counter())[row["change"]] += 1
    return counts


def columns_text(header: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """A plain aligned table (columns in ``right`` right-aligned); None prints as ``-``; control
    characters of values (ANSI escapes, newlines) are shown escaped (``jobs.safe_text``)."""
    cells = [list(header)] + [["-" if v is None else terminal_value(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    def line(row: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join(line(row) for row in cells)


def _time(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _definition_lines(shown: Shown) -> list[str]:
    d = shown.definition
    if d is None:
        return ["definition: not found in the definitions folder (removed or renamed?)"]
    rule = "\n".join("    " + line for line in d.rule_text.splitlines())
    return [f"file:        {d.file}", f"name:        {d.name}", f"description: {d.description}",
            f"kind:        {d.kind or 'unknown (the file does not pass validation)'}", f"refresh:     {d.refresh}",
            "as written:", rule]


def _history_lines(shown: Shown) -> list[str]:
    if not shown.runs:
        return ["size per day: no run in the requested range"]
    rows = []
    for r in shown.runs:
        changed = shown.changes.get(r["ds"], Counter())
        published = r["status"] == "published"
        rows.append([r["ds"].isoformat(), r["member_count"], r["status"],
                     changed["entered"] if published else None, changed["exited"] if published else None])
    return ["size per day:", columns_text(["ds", "members", "status", "entered", "exited"], rows, right=(1, 3, 4))]


def _last_run_lines(shown: Shown) -> list[str]:
    run = shown.last_run
    if run is None:
        return ["last run: none (the segment has never run)"]
    lines = [f"last run: {run['ds'].isoformat()}", f"  status:          {run['status']}"]
    if run["reason"]:
        lines += ["  reason:", *("    " + line for line in run["reason"].splitlines())]
    lines += [f"  definition hash: {run['definition_hash'] or '-'}",
              f"  evaluated ds:    {run['evaluated_ds'].isoformat() if run['evaluated_ds'] else '-'}",
              f"  members:         {'-' if run['member_count'] is None else run['member_count']}",
              f"  started:         {_time(run['started_at'])}", f"  finished:        {_time(run['finished_at'])}"]
    return lines + _check_lines(shown.checks)


def _check_lines(checks: Sequence[dict]) -> list[str]:
    if not checks:
        return ["  checks: none recorded for this run"]
    failed = sum(not c["success"] for c in checks)
    rows = [["ok" if c["success"] else "FAILED", c["severity"], c["check_name"], c["column_name"] or "",
             c["observed"], c["bound"]] for c in checks]
    table = columns_text(["result", "severity", "check", "column", "observed", "bound"], rows)
    head = f"  checks (audit {checks[0]['run_id']}): {len(checks) - failed} passed, {failed} failed"
    return [head, *("    " + line for line in table.splitlines())]


def format_show(shown: Shown) -> str:
    """The text ``lakehouse show`` prints."""
    parts = [[f"segment {shown.app_id}/{shown.segment_id}"], _definition_lines(shown), _history_lines(shown),
             _last_run_lines(shown)]
    return "\n\n".join("\n".join(p) for p in parts)


# --- I/O -----------------------------------------------------------------------------------------

def find_definition(defs_dir: str, app_id: str, segment_id: str) -> tuple[Definition | None, set[str]]:
    """The definition of ``segment_id`` for the app (its own or a predefined one) and every id
    defined for the app (for "did you mean").

    Raises:
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    from jobs.segments.sources import definition_files, load_document

    if not os.path.isdir(defs_dir):
        raise FileNotFoundError(f"segment definitions folder not found: {defs_dir}")
    ids, found = set(), None
    for abspath, relname in definition_files(defs_dir):
        doc, _ = load_document(abspath, relname)
        data = doc.data if doc is not None else None
        if not isinstance(data, dict) or data.get("app_id") not in (app_id, PREDEFINED_APP):
            continue
        ids.add(str(data.get("id")))
        if data.get("id") == segment_id and found is None:
            found = _definition(doc)
    return found, ids


def _definition(doc) -> Definition:
    from jobs.segments.sources import build_segment
    from jobs.segments.language.schema import schema_errors

    data = doc.data
    kind = build_segment(doc)[0].kind if not schema_errors(doc) else None
    key = next((k for k in ("rule", "source") if k in data), None)
    with open(doc.abspath, encoding="utf-8") as fh:
        text = fh.read()
    written = block_text(text, doc.at((key,), key=True)[0]) if key else "(no rule and no source)"
    return Definition(doc.file, data.get("name"), data.get("description"), kind, data.get("refresh", "daily"), written)


def load_show(root: str, defs_dir: str, app_id: str, segment_id: str,
              first: dt.date | None = None, last: dt.date | None = None) -> Shown:
    """Reads what ``show`` prints (delta-rs only).

    Raises:
        SegmentLookupError: neither the definitions nor the run catalog know the segment.
        FileNotFoundError: the definitions folder or a table is missing.
    """
    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_CHECK_RESULTS, GOLD_SEGMENT_CHANGES

    definition, defined = find_definition(defs_dir, app_id, segment_id)
    history = PublishedHistory.read(root, app_id)
    every_run = history.runs_of(app_id, segment_id)
    if definition is None and not every_run:
        known = defined | history.known(app_id)
        raise SegmentLookupError(unknown_segment_message(segment_id, app_id, known))
    runs = [r for r in every_run if (first is None or r["ds"] >= first) and (last is None or r["ds"] <= last)]
    key = [("app_id", "=", app_id), ("segment_id", "=", segment_id)]
    span = [("ds", ">=", runs[0]["ds"]), ("ds", "<=", runs[-1]["ds"])] if runs else []
    changes = []
    if runs:
        changes = history.read_visible(GOLD_SEGMENT_CHANGES, columns=["ds", "change"], filters=key + span)
    last_run = every_run[-1] if every_run else None
    checks = []
    if last_run is not None:
        try:
            recorded = read_arrow(GOLD_CHECK_RESULTS, root, filters=[("ds", "=", last_run["ds"])]).to_pylist()
        except FileNotFoundError:  # a lakehouse from before the quality gates: no check recorded
            recorded = []
        checks = run_checks(recorded, last_run)
    return Shown(app_id, segment_id, definition, tuple(runs), change_counts(changes), last_run, tuple(checks))
