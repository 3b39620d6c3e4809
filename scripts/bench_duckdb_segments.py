"""Segment memberships in DuckDB SQL from validated definitions (benchmark only).

The definitions are read with the project's validator (``check_definitions``), then compiled
here to one DuckDB query: one grouped pass over the deduplicated events for every behavior
selection, one projection of the label table with a boolean per segment (nested ones in
dependency order), one unnest. Values from definitions are bound as parameters, never pasted
into SQL text; column names come from the label catalog.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb

from jobs.catalogs import label_catalog
from jobs.segments.language.compile import epoch_ms
from jobs.segments.language.model import PREDEFINED_APP, All, AnyOf, BehaviorCondition, LabelCondition, Not, SegmentRef, references
from jobs.segments.validate import check_definitions

CMP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class Compiler:
    """Collects SQL fragments and their parameters for one run date."""

    def __init__(self, ds: dt.date) -> None:
        self.ds = ds
        self.params: list = []
        self.selections: dict[tuple, str] = {}
        self.needed: set[str] = set()  # aggregate columns the metrics read (times always)

    def bind(self, value) -> str:
        self.params.append(value)
        return f"${len(self.params)}"  # numbered: fragments may be nested in any order

    def label(self, cond: LabelCondition) -> str:
        kind = label_catalog()[cond.label].type
        col = f'"{cond.label}"'
        lit = (lambda v: self.bind(epoch_ms(dt.date.fromisoformat(v)))) if kind == "timestamp" else self.bind
        day_after = lambda v: self.bind(epoch_ms(dt.date.fromisoformat(v) + dt.timedelta(days=1)))  # noqa: E731
        op, v = cond.op, cond.value
        if op == "is_set":
            return f"({col} IS NOT NULL)"
        if op == "is_not_set":
            return f"({col} IS NULL)"
        if op in CMP and not (kind == "timestamp" and op in ("before", "after")):
            test = f"{col} {CMP[op]} {lit(v)}"
        elif op in ("in", "not_in"):
            test = f"{col} {'NOT ' if op == 'not_in' else ''}IN ({', '.join(lit(x) for x in v)})"
        elif op == "between":
            test = (f"{col} >= {lit(v[0])} AND {col} < {day_after(v[1])}" if kind == "timestamp"
                    else f"{col} >= {lit(v[0])} AND {col} <= {lit(v[1])}")
        elif op == "within_last_days":
            start = self.ds - dt.timedelta(days=v - 1)
            test = f"{col} >= {self.bind(epoch_ms(start))} AND {col} < {self.bind(epoch_ms(self.ds + dt.timedelta(days=1)))}"
        elif op == "contains":
            test = f"contains({col}, {self.bind(v)})" if v else "true"
        elif op == "starts_with":
            test = f"starts_with({col}, {self.bind(v)})" if v else "true"
        elif op == "before":
            test = f"{col} < {lit(v)}"
        elif op == "after":
            test = f"{col} >= {day_after(v)}"
        else:
            raise TypeError(f"no SQL for label op {op}")
        return f"({col} IS NOT NULL AND {test})"

    def behavior(self, cond: BehaviorCondition) -> str:
        p = self.selections.setdefault(cond.selection, f"b{len(self.selections)}")
        times = f"{p}_times"
        kind, m = cond.metric.kind, cond.metric.measure
        if cond.executed:
            self.needed.update({"days": [f"{p}_days"], "times": [], "avg": [f"{p}_{m}_sum", f"{p}_{m}_count"]}.get(
                kind, [f"{p}_{m}_{kind}"]))
        if not cond.executed:
            return f"({times} IS NULL OR {times} = 0)"
        value, defined = {"times": (times, "true"), "days": (f"{p}_days", "true"),
                          "sum": (f"coalesce({p}_{m}_sum, 0)", "true"),
                          "avg": (f"{p}_{m}_sum / {p}_{m}_count", f"{p}_{m}_count > 0"),
                          "min": (f"{p}_{m}_min", f"{p}_{m}_min IS NOT NULL"),
                          "max": (f"{p}_{m}_max", f"{p}_{m}_max IS NOT NULL")}[kind]  # fmt: skip
        c = cond.compare
        test = (f"{value} BETWEEN {self.bind(c.value[0])} AND {self.bind(c.value[1])}" if c.op == "between"
                else f"{value} {CMP[c.op]} {self.bind(c.value)}")
        return f"(coalesce({times} >= 1, false) AND coalesce({defined}, false) AND coalesce({test}, false))"

    def condition(self, cond, column_of) -> str:
        if isinstance(cond, LabelCondition):
            return self.label(cond)
        if isinstance(cond, BehaviorCondition):
            return self.behavior(cond)
        if isinstance(cond, SegmentRef):
            return column_of(cond.segment)
        if isinstance(cond, (All, AnyOf)):
            joiner = " AND " if isinstance(cond, All) else " OR "
            return "(" + joiner.join(self.condition(i, column_of) for i in cond.items) + ")"
        if isinstance(cond, Not):
            return f"(NOT {self.condition(cond.item, column_of)})"
        raise TypeError(f"no SQL for {type(cond).__name__}")

    def aggregates(self) -> str:
        """One grouped pass over ``events`` computing every selection's metrics."""
        columns = []
        for (event, window, where), p in self.selections.items():
            start, end = window.bounds(self.ds)
            match = f"event = {self.bind(event)} AND event_date BETWEEN {self.bind(start)} AND {self.bind(end)}"
            for flt in where:
                hit = f"coalesce(dim_{flt.dimension} IN ({', '.join(self.bind(v) for v in flt.values)}), false)"
                match += f" AND {'' if flt.op in ('eq', 'in') else 'NOT '}{hit}"
            candidates = {f"{p}_times": "count(*)", f"{p}_days": "count(DISTINCT event_date)"}
            for m in ("amount", "items"):
                candidates.update({f"{p}_{m}_{agg}": f"{agg}({m})" for agg in ("sum", "count", "min", "max")})
            columns += [f"{agg} FILTER (WHERE {match}) AS {name}" for name, agg in candidates.items()
                        if name == f"{p}_times" or name in self.needed]
        return f"SELECT app_id, uid, {', '.join(columns)} FROM events GROUP BY app_id, uid"


def membership_statements(defs_dir: str, ds: dt.date) -> list[tuple[str, list]]:
    """The statements (SQL, parameters) that leave every rule-based segment's members in table
    ``members`` (app_id, segment_id, uid): the behavior aggregates, one table of flags per nesting
    level (each level reads the flag columns of the one before; a table per level keeps DuckDB's
    optimizer from inlining every referenced rule into the next), then the members."""
    program, errors = check_definitions(defs_dir)
    if errors:
        raise SystemExit(f"definitions under {defs_dir} do not validate: {errors[:3]}")
    segments = [s for s in program.segments if s.rule is not None]
    by_key, columns, levels = {s.key: s for s in segments}, {}, {}

    def resolve(app_id: str, ref: str) -> tuple[str, str]:
        return (app_id, ref) if (app_id, ref) in by_key else (PREDEFINED_APP, ref)

    def visit(seg) -> None:  # dependency order: referenced segments first
        if seg.key not in columns:
            refs = [by_key[resolve(seg.app_id, r.segment)] for r in references(seg)]
            for ref in refs:
                visit(ref)
            columns[seg.key] = f"s{len(columns)}"
            levels[seg.key] = 1 + max((levels[r.key] for r in refs), default=-1)

    for seg in segments:
        visit(seg)
    compiler, statements, source = Compiler(ds), [], "(SELECT * FROM labels LEFT JOIN agg USING (app_id, uid))"
    for level in sorted(set(levels.values())):
        compiler.params, flags = [], []
        for seg in (by_key[k] for k, lv in levels.items() if lv == level):
            rule = compiler.condition(seg.rule, lambda ref, seg=seg: columns[resolve(seg.app_id, ref)])
            if seg.app_id != PREDEFINED_APP:
                rule = f"(app_id = {compiler.bind(seg.app_id)} AND {rule})"
            if seg.consent_required:
                rule = f"({rule} AND coalesce(accept_marketing, false))"
            flags.append(f"{rule} AS {columns[seg.key]}")
        statements.append((f"CREATE OR REPLACE TEMP TABLE flags{level} AS SELECT *, {', '.join(flags)} FROM {source}",
                           compiler.params))
        source = f"flags{level}"
    compiler.params = []
    aggregates = compiler.aggregates() if compiler.selections else "SELECT NULL::VARCHAR AS app_id, NULL::VARCHAR AS uid WHERE false"
    statements.insert(0, (f"CREATE OR REPLACE TEMP TABLE agg AS {aggregates}", compiler.params))
    compiler.params = []
    ids = ", ".join(f"CASE WHEN {columns[k]} THEN {compiler.bind(by_key[k].id)} END" for k in columns)
    statements.append((f"CREATE OR REPLACE TEMP TABLE members AS SELECT app_id, segment_id, uid FROM (SELECT app_id, uid, "
                       f"unnest(list_filter([{ids}], lambda x: x IS NOT NULL)) AS segment_id FROM {source})", compiler.params))
    return statements


def build_memberships(con: duckdb.DuckDBPyConnection, out: str, defs_dir: str, ds: dt.date, name: str) -> int:
    """Memberships of every definition under ``defs_dir`` on ds, from DuckDB's labels and events."""
    from bench_duckdb_labels import silver_events_sql

    con.execute(f"CREATE OR REPLACE TEMP TABLE events AS {silver_events_sql(out, ds)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW labels AS SELECT * FROM '{out}/labels/ds={ds}.parquet'")
    for sql, params in membership_statements(defs_dir, ds):
        con.execute(sql, params)
    target = pathlib.Path(out, "membership")
    target.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY members TO '{target}/{name}.parquet' (FORMAT parquet)")
    return con.execute("SELECT count(*) FROM members").fetchall()[0][0]
