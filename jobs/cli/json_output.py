"""``--json`` of the read commands: their results as plain JSON, dates as ``YYYY-MM-DD`` (docs/tools.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping

FORMAT_VERSION = 1


def jsonable(value):
    """Plain data: dataclasses and mappings as objects, dates ISO text, tuples and sets as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {(k.isoformat() if isinstance(k, dt.date) else str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def dumps(value) -> str:
    """The JSON text printed by a ``--json`` command."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False)


def show_json(shown) -> dict:
    """``lakehouse show --json``: the definition, runs with their changes, the last run and its checks."""
    runs = [{**r, "entered": shown.changes.get(r["ds"], {}).get("entered", 0) if r["status"] == "published" else None,
             "exited": shown.changes.get(r["ds"], {}).get("exited", 0) if r["status"] == "published" else None}
            for r in shown.runs]
    return {"format_version": FORMAT_VERSION, "app_id": shown.app_id, "segment_id": shown.segment_id,
            "definition": shown.definition, "runs": runs, "last_run": shown.last_run, "checks": shown.checks}


def members_json(page, show_email: bool) -> dict:
    """``lakehouse members --json``: one page; emails masked unless ``--show-email`` (as the text)."""
    from jobs.segments.readers.members import mask_email

    rows = [{**r, "email": r.get("email") if show_email else mask_email(r.get("email"))} for r in page.rows]
    return {"format_version": FORMAT_VERSION, "app_id": page.app_id, "segment_id": page.segment_id, "kind": page.kind,
            "ds": page.ds, "page": page.page, "pages": page.pages, "total": page.total, "members": rows}


def fields_of(record) -> dict:
    """A dataclass record's fields by name (not converted)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
