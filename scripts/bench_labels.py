#!/usr/bin/env python
"""Benchmark of the daily label job against a full rebuild (not a test).

Generates sample landing data (jobs.generate: --users users x --days days, default faults),
ingests every date into bronze (jobs.bronze), then measures, each in a fresh process on the
embedded engine so peak memory is its own:

  rebuild  rebuild_labels(last): silver for every date from all of bronze, state, labels
  daily    build_silver(last) + build_labels(last), after silver was built up to last-1
           (the state a day-by-day history leaves: state at last-4, silver up to last-1)

and checks that both give the same gold.user_labels partition (a hash of every row).
Prints a JSON report; docs/benchmarks.md ("Labels") records the method and the figures.

Usage: python scripts/bench_labels.py --users 100000 --days 90 [--root DIR] [--keep]
(with --root of an earlier run, its generated and ingested bronze is reused)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _peak_rss_reset() -> None:
    """Resets this process's peak resident set size (Linux: VmHWM)."""
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mib() -> float:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _du_mib(path: pathlib.Path) -> float:
    """Size of a folder's files, or of a Delta table's current version (files removed by
    overwrites but not vacuumed are not counted)."""
    if not path.exists():
        return 0.0
    if (path / "_delta_log").exists():
        from deltalake import DeltaTable

        actions = DeltaTable(str(path)).get_add_actions(flatten=True)
        return sum(actions.column("size_bytes").to_pylist()) / 2**20
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _gold_fingerprint(spark, root: str, ds: dt.date) -> dict:
    from pyspark.sql import functions as F

    from jobs.delta_io import read_table
    from jobs.tables import GOLD_USER_LABELS

    gold = read_table(spark, GOLD_USER_LABELS, root).where(F.col("ds") == F.lit(ds))
    columns = [F.col(f.name) for f in GOLD_USER_LABELS.schema.fields]
    row = gold.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.xxhash64(*columns) % 1_000_000_007).alias("hash")).collect()[0]
    return {"rows": row["rows"], "hash": row["hash"]}


def phase(name: str, root: str, last: dt.date, days: int, users: int) -> dict:
    """One measured phase, run in this (fresh) process."""
    from jobs.engine import EmbeddedEngine, connect

    started = time.perf_counter()
    engine = EmbeddedEngine()
    spark = connect(engine.url)
    report: dict = {"phase": name, "engine_start_s": round(time.perf_counter() - started, 2)}
    try:
        if name == "ingest":
            from jobs.bronze import ingest_events, ingest_users
            from jobs.generate import GeneratorConfig, generate

            manifest = pathlib.Path(root) / "landing" / "_generator_manifest.json"
            config = GeneratorConfig(users=users, days=days, end=last)
            if manifest.exists() and json.loads(manifest.read_text())["config"] == config.as_dict():
                generated = json.loads(manifest.read_text())  # same landing data: not generated again
            else:
                t = time.perf_counter()
                generated = generate(config, root).__dict__
                report["generate_s"] = round(time.perf_counter() - t, 1)
            report["event_lines"], report["user_lines"] = generated["event_lines"], generated["user_lines"]
            t = time.perf_counter()
            for n in range(days):  # every arrival date of events; the labels read only the last snapshot
                ingest_events(spark, root, last - dt.timedelta(days=days - 1 - n))
            ingest_users(spark, root, last)
            report["ingest_s"] = round(time.perf_counter() - t, 1)
        elif name == "rebuild":
            from jobs.labels import rebuild_labels

            _peak_rss_reset()
            t = time.perf_counter()
            rebuild_labels(spark, root, last)
            report["seconds"] = round(time.perf_counter() - t, 1)
            report["peak_rss_mib"] = round(_peak_rss_mib())
            report["gold"] = _gold_fingerprint(spark, root, last)
        elif name == "daily-setup":
            from jobs.silver import rebuild_silver

            t = time.perf_counter()
            rebuild_silver(spark, root, last - dt.timedelta(days=1))
            report["seconds"] = round(time.perf_counter() - t, 1)
        elif name == "daily":
            from jobs.labels import build_labels
            from jobs.silver import build_silver

            _peak_rss_reset()
            t = time.perf_counter()
            build_silver(spark, root, last)
            report["silver_s"] = round(time.perf_counter() - t, 1)
            t2 = time.perf_counter()
            build_labels(spark, root, last)
            report["labels_s"] = round(time.perf_counter() - t2, 1)
            report["seconds"] = round(time.perf_counter() - t, 1)
            report["peak_rss_mib"] = round(_peak_rss_mib())
            report["gold"] = _gold_fingerprint(spark, root, last)
        else:
            raise ValueError(f"unknown phase {name}")
    finally:
        spark.stop()
        engine.stop()
    return report


def _run_phase(name: str, args: argparse.Namespace, root: str) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--root", root, "--users", str(args.users),
               "--days", str(args.days), "--end", args.end]  # fmt: skip
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "RUST_LOG": "error"})
    lines = [line for line in run.stdout.splitlines() if line.startswith("PHASE ")]
    if run.returncode != 0 or not lines:
        raise SystemExit(f"phase {name} failed:\n{run.stderr[-4000:]}")
    result = json.loads(lines[-1].removeprefix("PHASE "))
    print(f"[bench] {name}: {result}", file=sys.stderr, flush=True)
    return result


def _machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    import pysail
    import pyspark

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**20, 1), "os": platform.platform(),
            "python": platform.python_version(), "pysail": getattr(pysail, "__version__", "?"), "pyspark": pyspark.__version__}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description="Daily label run vs full rebuild (timings, peak memory).")
    parser.add_argument("--users", type=int, default=100_000, help="users per app (default 100000)")
    parser.add_argument("--days", type=int, default=90, help="days of data ending at --end (default 90)")
    parser.add_argument("--end", default="2026-06-30", help="the last date, the ds measured")
    parser.add_argument("--root", help="lakehouse root to use (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated lakehouse")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    last = dt.date.fromisoformat(args.end)
    if args.phase:
        print("PHASE " + json.dumps(phase(args.phase, args.root, last, args.days, args.users)), flush=True)
        return 0

    root = args.root or tempfile.mkdtemp(prefix="bench-labels-")
    try:
        report = {"users": args.users, "days": args.days, "ds": args.end, "machine": _machine()}
        marker = pathlib.Path(root) / "_bench_ingested.json"
        if marker.exists():  # a kept lakehouse of the same size: reuse its bronze
            report["ingest"] = json.loads(marker.read_text())
        else:
            report["ingest"] = _run_phase("ingest", args, root)
            marker.write_text(json.dumps(report["ingest"]))
        base = pathlib.Path(root)
        report["sizes_mib"] = {"landing": round(_du_mib(base / "landing")), "bronze_events": round(_du_mib(base / "bronze" / "events"))}
        report["rebuild"] = _run_phase("rebuild", args, root)
        report["daily_setup"] = _run_phase("daily-setup", args, root)
        report["daily"] = _run_phase("daily", args, root)
        for table in ("events", "user_daily_events", "user_daily_activity", "user_daily_platforms", "user_alltime_state"):
            report["sizes_mib"][f"silver_{table}"] = round(_du_mib(base / "silver" / table), 1)
        report["sizes_mib"]["gold_user_labels"] = round(_du_mib(base / "gold" / "user_labels"), 1)
        report["same_gold"] = report["daily"]["gold"] == report["rebuild"]["gold"]
        report["rebuild_over_daily"] = round(report["rebuild"]["seconds"] / report["daily"]["seconds"], 1)
        print(json.dumps(report, indent=2))
    finally:
        if not args.keep and not args.root:
            shutil.rmtree(root, ignore_errors=True)
        elif args.keep:
            print(f"[bench] lakehouse kept at {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
