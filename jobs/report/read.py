"""Reads the gold tables the segment report needs, with delta-rs (no engine), one ds or window."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from jobs.delta_io import read_arrow
from jobs.tables import (
    GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS, Table,
)

RUN_COLUMNS = ["app_id", "segment_id", "name", "kind", "status", "member_count", "reason", "ds"]
CHECK_COLUMNS = ["run_id", "table_name", "suite", "check_id", "check_name", "column_name", "app_id", "segment_id",
                 "severity", "success", "observed", "bound", "checked_at"]


def segment_runs(root: str, first: dt.date, last: dt.date) -> pa.Table:
    """Rows of gold.segment_runs for ds in [first, last].

    Raises:
        FileNotFoundError: no segment job has run under ``root``.
    """
    return read_arrow(GOLD_SEGMENT_RUNS, root, columns=RUN_COLUMNS, filters=[("ds", ">=", first), ("ds", "<=", last)])


def membership(root: str, ds: dt.date) -> pa.Table:
    """(app_id, segment_id, uid) of the published membership of ds; empty if none was published."""
    return _optional(GOLD_SEGMENT_MEMBERSHIP, root, ds, ["app_id", "segment_id", "uid"])


def changes(root: str, ds: dt.date) -> pa.Table:
    """(app_id, segment_id, uid, change) of the published change feed of ds; empty if none."""
    return _optional(GOLD_SEGMENT_CHANGES, root, ds, ["app_id", "segment_id", "uid", "change"])


def check_results(root: str, ds: dt.date) -> pa.Table:
    """Every recorded check of ds (all runs); empty if none."""
    return _optional(GOLD_CHECK_RESULTS, root, ds, CHECK_COLUMNS)


def publications(root: str, ds: dt.date) -> pa.Table:
    """Every publication attempt of ds (run_id, table_name, status, report_path); empty if none."""
    return _optional(GOLD_PUBLICATIONS, root, ds, ["run_id", "table_name", "status", "report_path"])


def _optional(table: Table, root: str, ds: dt.date, columns: list[str]) -> pa.Table:
    """The ds rows of a table that may not exist yet (then an empty table of its columns)."""
    try:
        return read_arrow(table, root, columns=columns, filters=[("ds", "=", ds)])
    except FileNotFoundError:
        return pa.table({name: pa.array([], _arrow_type(table, name)) for name in columns})


def _arrow_type(table: Table, column: str) -> pa.DataType:
    kind = {f.name: f.dataType.simpleString() for f in table.schema.fields}[column]
    types = {"boolean": pa.bool_(), "bigint": pa.int64(), "date": pa.date32(), "timestamp": pa.timestamp("us", "UTC")}
    return types.get(kind, pa.string())
