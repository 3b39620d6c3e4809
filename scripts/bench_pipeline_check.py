"""Same work, same answer: compares the project's tables with the DuckDB pipeline's (scripts/bench_pipeline.py)."""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb


def _delta(con: duckdb.DuckDBPyConnection, name: str, path: pathlib.Path, columns: list[str]) -> None:
    from deltalake import DeltaTable

    con.register(name, DeltaTable(str(path)).to_pyarrow_table(columns=columns))


def _differ(con: duckdb.DuckDBPyConnection, left: str, right: str, key: str) -> dict:
    """Rows (of the ``key`` columns) only in one side."""
    only = lambda a, b: con.execute(f"SELECT count(*) FROM (SELECT {key} FROM {a} EXCEPT ALL SELECT {key} FROM {b})").fetchall()[0][0]  # noqa: E731
    total = con.execute(f"SELECT count(*) FROM {left}").fetchall()[0][0]
    return {"rows": total, "only_project": only(left, right), "only_duckdb": only(right, left)}


def check_bronze(con: duckdb.DuckDBPyConnection, work: pathlib.Path, last: dt.date) -> dict:
    """Accepted lines (file, line, event_id, arrival date) and quarantined lines (file, line, reason)."""
    lake, duck = work / "lake" / "bronze", work / "duck"
    _delta(con, "p_events", lake / "events", ["source_file", "source_line", "event_id", "dt"])
    _delta(con, "p_events_q", lake / "events_quarantine", ["source_file", "source_line", "reason", "dt"])
    _delta(con, "p_users", lake / "users", ["source_file", "source_line", "uid", "dt"])
    _delta(con, "p_users_q", lake / "users_quarantine", ["source_file", "source_line", "reason", "dt"])
    for name, folder in (("d_events", "bronze_events"), ("d_events_q", "events_quarantine"),
                         ("d_users", "bronze_users"), ("d_users_q", "users_quarantine")):
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{duck / folder}/*/*.parquet', hive_partitioning = true)")
    return {
        "events": _differ(con, "p_events", "d_events", "source_file, source_line, event_id, dt"),
        "events_quarantine": _differ(con, "p_events_q", "d_events_q", "source_file, source_line, reason, dt"),
        "users": _differ(con, "p_users", "d_users", "source_file, source_line, uid, dt"),
        "users_quarantine": _differ(con, "p_users_q", f"(SELECT * FROM d_users_q WHERE dt = DATE '{last}')",
                                    "source_file, source_line, reason"),
    }


def check_labels(con: duckdb.DuckDBPyConnection, project: pathlib.Path, duck: pathlib.Path) -> dict:
    """Users on one side only, and per label column the users whose values differ (null-safe)."""
    con.execute(f"CREATE OR REPLACE VIEW pl AS SELECT * FROM '{project}'")
    con.execute(f"CREATE OR REPLACE VIEW dl AS SELECT * FROM '{duck}'")
    columns = [r[0] for r in con.execute("DESCRIBE pl").fetchall() if r[0] not in ("app_id", "uid", "ds")]
    keys = _differ(con, "pl", "dl", "app_id, uid")
    tests = ", ".join(f"count(*) FILTER (WHERE p.{c} IS DISTINCT FROM d.{c}) AS {c}" for c in columns)
    row = con.execute(f"SELECT {tests} FROM pl p JOIN dl d USING (app_id, uid)").fetchall()[0]
    mismatching = {c: n for c, n in zip(columns, row) if n}
    return {**keys, "columns_compared": len(columns), "mismatching_columns": mismatching, "equal": not mismatching
            and not keys["only_project"] and not keys["only_duckdb"]}


def check_memberships(con: duckdb.DuckDBPyConnection, project: pathlib.Path, duck: pathlib.Path) -> dict:
    """Per segment, members on one side only."""
    con.execute(f"CREATE OR REPLACE VIEW pm AS SELECT app_id, segment_id, uid FROM '{project}'")
    con.execute(f"CREATE OR REPLACE VIEW dm AS SELECT app_id, segment_id, uid FROM '{duck}'")
    rows = con.execute("""
      SELECT segment_id, count(*) FILTER (WHERE side = 'p') AS only_project, count(*) FILTER (WHERE side = 'd') AS only_duckdb
      FROM (SELECT *, 'p' AS side FROM (SELECT * FROM pm EXCEPT ALL SELECT * FROM dm)
            UNION ALL SELECT *, 'd' FROM (SELECT * FROM dm EXCEPT ALL SELECT * FROM pm))
      GROUP BY segment_id ORDER BY segment_id""").fetchall()
    members = con.execute("SELECT count(*), count(DISTINCT segment_id) FROM pm").fetchall()[0]
    return {"members": members[0], "segments": members[1], "mismatching_segments": {r[0]: {"only_project": r[1], "only_duckdb": r[2]} for r in rows},
            "equal": not rows}


def check_all(work: pathlib.Path, dates: list[dt.date]) -> dict:
    """Every comparison of one benchmark run."""
    con = duckdb.connect()
    last, check, duck = dates[-1], work / "check", work / "duck"
    result: dict = {"bronze": check_bronze(con, work, last)}
    result["bronze"]["equal"] = all(not (v["only_project"] or v["only_duckdb"]) for v in result["bronze"].values())
    labels = duck / "labels" / f"ds={last}.parquet"
    result["labels_daily"] = check_labels(con, check / "project_labels_daily.parquet", labels)
    result["labels_rebuild"] = check_labels(con, check / "project_labels_rebuild.parquet", labels)
    for name in sorted(p.stem.removeprefix("project_") for p in check.glob("project_segments_*.parquet")):
        result[f"memberships_{name.removeprefix('segments_')}"] = check_memberships(
            con, check / f"project_{name}.parquet", duck / "membership" / f"{name}.parquet")
    result["all_equal"] = all(v["equal"] for v in result.values() if isinstance(v, dict))
    return result
