#!/usr/bin/env python
"""Side-by-side benchmark (not a test): every phase of the project against hand-written DuckDB SQL.

Generates landing data (jobs.generate: --users x --days x --apps, default faults), then runs,
each phase in a fresh process so its peak memory (Linux VmHWM, engine included) is its own:

  phase            project (embedded Sail engine)                 DuckDB (scripts/bench_duckdb*.py)
  ingest_range     ingest_events for every date but the last      the same validation/dedupe/quarantine
  ingest_day       ingest_events + ingest_users of the last date  the same for that date
  daily            build_silver + build_labels of the last date   labels of the last date from all
                   (silver built to last-1 beforehand, untimed)   bronze events (no compact tables)
  segments_pre     evaluate_segments, the 10 predefined           the same memberships in one query
  segments_N       evaluate_segments, N = 1/10/100 generated      the same memberships
  rebuild          rebuild_labels of the last date                (DuckDB's daily already recomputes
                                                                  from bronze: its figure is reused)

then checks that both sides computed the same thing: bronze rows and quarantine reasons line by
line, every label column of every user, every membership; mismatching columns are reported.
Prints a JSON report (and --json FILE writes it); docs/benchmarks.md records method and figures.

DuckDB is a benchmark-only dependency: .venv/bin/uv pip install -c constraints.txt -e '.[bench]'

Usage: .venv/bin/python scripts/bench_pipeline.py --users 2000 --days 14 [--apps smartlife,homeplus]
       [--root DIR --keep] [--only project|duckdb] [--profile] [--json FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pathlib
import pstats
import shutil
import subprocess
import sys
import tempfile
import time

SCRIPTS = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(SCRIPTS.parent), str(SCRIPTS)]

from bench_labels import _machine, _peak_rss_mib, _peak_rss_reset  # noqa: E402
from bench_pipeline_check import check_all  # noqa: E402

SEGMENT_SIZES = (1, 10, 100)
PHASES = ("ingest_range", "ingest_day", "daily", "segments_pre", *(f"segments_{n}" for n in SEGMENT_SIZES), "rebuild")


def definition(i: int, ds: dt.date) -> dict:
    """The i-th generated segment: the mix of scripts/bench_segments.py, windows inside the data."""
    from bench_segments import COMMON_EVENTS, LABELS

    windows = [{"last_days": 7}, {"last_days": 30}, {"last_days": 90},
               {"from": (ds - dt.timedelta(days=20)).isoformat(), "to": (ds - dt.timedelta(days=5)).isoformat()}]
    event = COMMON_EVENTS[i % len(COMMON_EVENTS)]
    behavior = {"type": "behavior", "window": windows[(i // len(COMMON_EVENTS)) % len(windows)], "event": event,
                "compare": {"op": "ge", "value": 1 + i % 4}}
    if event == "mall_order_paid":
        behavior.update(metric={["sum", "avg"][i % 2]: "amount"}, compare={"op": "gt", "value": 20 + 10 * (i % 7)})
    elif i % 7 == 0:
        behavior["metric"] = {"count": "days"}
    if event == "pairing_end":
        behavior["where"] = [{"dimension": "result", "op": "eq", "value": "success"}]
    rule: dict = {"all": [LABELS[i % len(LABELS)], {"any": [behavior, LABELS[(i + 3) % len(LABELS)]]}]}
    if i % 6 == 5:
        rule["all"].append({"not": {"type": "behavior", "window": {"last_days": 30}, "event": "feedback_submit",
                                    "executed": False}})
    if i % 10 == 9:
        rule = {"all": [{"type": "segment", "segment": f"seg_{i - 1:03d}"},
                        {"not": {"type": "segment", "segment": f"seg_{i - 2:03d}"}}]}
    return {"id": f"seg_{i:03d}", "app_id": "smartlife", "name": f"Segment {i}", "rule": rule}


def write_definitions(work: pathlib.Path, ds: dt.date) -> None:
    """defs_pre (a copy of the shipped predefined segments) and defs_<N> (N generated ones)."""
    shutil.rmtree(work / "defs_pre", ignore_errors=True)
    shutil.copytree(SCRIPTS.parent / "segment_defs" / "_predefined", work / "defs_pre" / "_predefined")
    for n in SEGMENT_SIZES:
        folder = work / f"defs_{n}" / "smartlife"
        shutil.rmtree(folder.parent, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"seg_{i:03d}.yaml").write_text(json.dumps(definition(i, ds)))


def _dates(args: argparse.Namespace) -> list[dt.date]:
    end = dt.date.fromisoformat(args.end)
    return [end - dt.timedelta(days=args.days - 1 - n) for n in range(args.days)]


def _dump(spark, table, root: str, ds_column: str, ds: dt.date, path: pathlib.Path) -> None:
    """Writes one ds partition of a project table to Parquet for the checks (untimed)."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from jobs.delta_io import read_table

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(read_table(spark, table, root).where(F.col(ds_column) == F.lit(ds)).toArrow(), path)


def where_time_goes(profiler: cProfile.Profile, top: int = 25) -> list[str]:
    """The project functions (jobs.*) with the most cumulative wall time, as "seconds calls name" lines.

    The client waits on the engine inside these calls, so their time is the queries they run.
    """
    stats = pstats.Stats(profiler).stats
    rows = [(cum, calls, f"{pathlib.Path(file).relative_to(SCRIPTS.parent)}:{line}:{func}")
            for (file, line, func), (_, calls, _, cum, _) in stats.items() if f"{os.sep}jobs{os.sep}" in file]
    return [f"{cum:7.2f} s {calls:6d}x {where}" for cum, calls, where in sorted(rows, reverse=True)[:top]]


def project_phase(name: str, work: pathlib.Path, args: argparse.Namespace) -> dict:
    """One project phase in this (fresh) process; the engine start is timed apart."""
    from jobs.engine import EmbeddedEngine, connect
    from jobs.tables import GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS

    root, dates = str(work / "lake"), _dates(args)
    last = dates[-1]
    t0 = time.perf_counter()
    engine = EmbeddedEngine()
    spark = connect(engine.url)
    report: dict = {"engine_start_s": round(time.perf_counter() - t0, 2)}
    profiler = cProfile.Profile() if args.profile else None
    try:
        _peak_rss_reset()
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        if name == "ingest_range":
            from jobs.bronze import ingest_events

            for day in dates[:-1]:
                ingest_events(spark, root, day)
        elif name == "ingest_day":
            from jobs.bronze import ingest_events, ingest_users

            ingest_events(spark, root, last)
            ingest_users(spark, root, last)
        elif name == "daily_setup":
            from jobs.silver import rebuild_silver

            rebuild_silver(spark, root, last - dt.timedelta(days=1))
        elif name in ("daily", "rebuild"):
            from jobs.labels import build_labels, rebuild_labels
            from jobs.silver import build_silver

            if name == "daily":
                build_silver(spark, root, last)
                report["silver_s"] = round(time.perf_counter() - t, 2)
                build_labels(spark, root, last)
            else:
                rebuild_labels(spark, root, last)
        elif name.startswith("segments_"):
            from jobs.segments import evaluate_segments

            records = evaluate_segments(spark, root, last, str(work / f"defs_{name.removeprefix('segments_')}"))
            report["published"] = sum(r.status == "published" for r in records)
            report["not_published"] = {r.segment_id: r.reason for r in records if r.status != "published"}
        else:
            raise ValueError(f"unknown phase {name}")
        report["seconds"] = round(time.perf_counter() - t, 2)
        report["peak_rss_mib"] = round(_peak_rss_mib())
        if profiler:
            profiler.disable()
            report["profile"] = where_time_goes(profiler)
        if name in ("daily", "rebuild"):
            _dump(spark, GOLD_USER_LABELS, root, "ds", last, work / "check" / f"project_labels_{name}.parquet")
        elif name.startswith("segments_"):
            _dump(spark, GOLD_SEGMENT_MEMBERSHIP, root, "ds", last, work / "check" / f"project_{name}.parquet")
    finally:
        spark.stop()
        engine.stop()
    return report


def duckdb_phase(name: str, work: pathlib.Path, args: argparse.Namespace) -> dict:
    """One DuckDB phase in this (fresh) process."""
    import duckdb

    import bench_duckdb
    import bench_duckdb_labels
    import bench_duckdb_segments

    root, out, dates = str(work / "lake"), str(work / "duck"), _dates(args)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _peak_rss_reset()
    t = time.perf_counter()
    report: dict = {}
    if name == "ingest_range":
        for day in dates[:-1]:
            bench_duckdb.ingest_events(con, root, out, day)
    elif name == "ingest_day":
        report["events"] = bench_duckdb.ingest_events(con, root, out, dates[-1])
        report["users"] = bench_duckdb.ingest_users(con, root, out, dates[-1])
    elif name == "daily":
        report["rows"] = bench_duckdb_labels.build_labels(con, out, dates[-1])
    elif name.startswith("segments_"):
        defs = str(work / f"defs_{name.removeprefix('segments_')}")
        report["rows"] = bench_duckdb_segments.build_memberships(con, out, defs, dates[-1], name)
    else:
        raise ValueError(f"unknown phase {name}")
    report["seconds"] = round(time.perf_counter() - t, 2)
    report["peak_rss_mib"] = round(_peak_rss_mib())
    con.close()
    return report


def _run(side: str, name: str, work: pathlib.Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--phase", f"{side}:{name}", "--root", str(work), "--users", str(args.users),
               "--days", str(args.days), "--end", args.end, "--apps", args.apps, *(["--profile"] if args.profile else [])]  # fmt: skip
    print(f"[bench] {side} {name} ...", file=sys.stderr, flush=True)
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "RUST_LOG": "error"})
    lines = [line for line in run.stdout.splitlines() if line.startswith("PHASE ")]
    if run.returncode != 0 or not lines:
        raise SystemExit(f"{side} phase {name} failed:\n{run.stderr[-4000:]}")
    result = json.loads(lines[-1].removeprefix("PHASE "))
    print(f"[bench] {side} {name}: {result}", file=sys.stderr, flush=True)
    return result


def _generate(work: pathlib.Path, args: argparse.Namespace) -> dict:
    from jobs.generate import GeneratorConfig, generate

    config = GeneratorConfig(users=args.users, days=args.days, end=dt.date.fromisoformat(args.end),
                             apps=tuple(args.apps.split(",")))
    manifest = work / "lake" / "landing" / "_generator_manifest.json"
    if manifest.exists() and json.loads(manifest.read_text())["config"] == config.as_dict():
        generated = json.loads(manifest.read_text())
        return {"event_lines": generated["event_lines"], "user_lines": generated["user_lines"], "reused": True}
    t = time.perf_counter()
    generated = generate(config, str(work / "lake"))
    return {"event_lines": generated.event_lines, "user_lines": generated.user_lines,
            "seconds": round(time.perf_counter() - t, 1)}


def compare(report: dict, generated: dict) -> dict:
    """Ratios project/DuckDB per phase, and ingestion throughput in lines per second."""
    rows = {}
    lines_last = report.get("lines_last_day")
    for name in PHASES:
        p, d = report["project"].get(name), report["duckdb"].get("daily" if name == "rebuild" else name)
        if not p or not d:
            continue
        rows[name] = {"project_s": p["seconds"], "duckdb_s": d["seconds"], "ratio": round(p["seconds"] / max(d["seconds"], 1e-3), 1),
                      "project_peak_mib": p["peak_rss_mib"], "duckdb_peak_mib": d["peak_rss_mib"]}
    if lines_last is not None:
        for name, lines in (("ingest_range", generated["event_lines"] - lines_last), ("ingest_day", lines_last)):
            if name in rows:
                rows[name]["project_lines_per_s"] = round(lines / rows[name]["project_s"])
                rows[name]["duckdb_lines_per_s"] = round(lines / rows[name]["duckdb_s"])
    return rows


def markdown_table(report: dict) -> str:
    """The side-by-side figures as a Markdown table (for docs/benchmarks.md)."""
    lines = ["| phase | project | DuckDB | ratio | project peak | DuckDB peak |", "|---|---:|---:|---:|---:|---:|"]
    for name, row in report["side_by_side"].items():
        rate = (f" ({row['project_lines_per_s']:,} / {row['duckdb_lines_per_s']:,} lines/s)"
                if "project_lines_per_s" in row else "")
        lines.append(f"| {name}{rate} | {row['project_s']:.1f} s | {row['duckdb_s']:.1f} s | {row['ratio']}× | "
                     f"{row['project_peak_mib']:,} MiB | {row['duckdb_peak_mib']:,} MiB |")
    return "\n".join(lines)



def main() -> int:
    parser = argparse.ArgumentParser(description="Project phases vs the same work in DuckDB SQL (times, peak memory, ratios).")
    parser.add_argument("--users", type=int, default=2000, help="users per app (default 2000)")
    parser.add_argument("--days", type=int, default=14, help="arrival dates ending at --end (default 14)")
    parser.add_argument("--end", default="2026-06-30", help="the last date, the ds measured")
    parser.add_argument("--apps", default="smartlife", help="comma-separated app ids (generated segments are of smartlife)")
    parser.add_argument("--root", help="work folder (default: a temporary one); its landing data is reused")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--only", choices=("project", "duckdb"), help="run one side (no checks)")
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument("--profile", action="store_true",
                        help="profile the project phases (cProfile): the jobs.* calls that take the time, per phase")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        side, name = args.phase.split(":")
        result = (project_phase if side == "project" else duckdb_phase)(name, pathlib.Path(args.root), args)
        print("PHASE " + json.dumps(result), flush=True)
        return 0
    work = pathlib.Path(args.root or tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        for stale in ("duck", "check", "lake/bronze", "lake/silver", "lake/gold", "lake/_quality"):
            shutil.rmtree(work / stale, ignore_errors=True)
        generated = _generate(work, args)
        write_definitions(work, _dates(args)[-1])
        manifest = json.loads((work / "lake" / "landing" / "_generator_manifest.json").read_text())
        report = {"users": args.users, "days": args.days, "apps": args.apps, "ds": args.end, "generated": generated,
                  "machine": _machine(), "load_average_start": os.getloadavg(),
                  "lines_last_day": manifest["per_date"][args.end]["event_lines"], "project": {}, "duckdb": {}}
        if args.only != "duckdb":
            for name in ("ingest_range", "ingest_day", "daily_setup", "daily", "segments_pre",
                         *(f"segments_{n}" for n in SEGMENT_SIZES), "rebuild"):
                report["project"][name] = _run("project", name, work, args)
        if args.only != "project":
            for name in ("ingest_range", "ingest_day", "daily", "segments_pre", *(f"segments_{n}" for n in SEGMENT_SIZES)):
                report["duckdb"][name] = _run("duckdb", name, work, args)
        report["load_average_end"] = os.getloadavg()
        report["side_by_side"] = compare(report, generated)
        if not args.only:
            report["same_answer"] = check_all(work, _dates(args))
        text = json.dumps(report, indent=2, default=str)
        print(text)
        print(markdown_table(report), file=sys.stderr)
        if args.json:
            pathlib.Path(args.json).write_text(text)
    finally:
        if not args.keep and not args.root:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"[bench] work folder kept at {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
