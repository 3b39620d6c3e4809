#!/usr/bin/env python
"""Benchmark of bronze ingestion in lines per second (not a test).

Generates sample landing data once (jobs.generate: --users x --days, default faults; or reuses
--root), then ingests every date (users, then events) on one embedded engine, into a fresh
lakehouse each repeat, and prints a JSON report: lines, seconds and lines/s per feed, and the
per-date reconciliation totals (so runs of two versions can be checked to give the same counts).
docs/benchmarks.md ("Ingestion") records the method and the figures.

Usage: python scripts/bench_ingest.py --users 20000 --days 4 [--root DIR] [--repeat 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import shutil
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--end", default="2026-06-30")
    parser.add_argument("--root", help="a folder whose landing/ to reuse (generated there if absent)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from jobs.bronze import ingest_events, ingest_users
    from jobs.engine import EmbeddedEngine, connect
    from jobs.generate import GeneratorConfig, generate

    end = dt.date.fromisoformat(args.end)
    source = pathlib.Path(args.root or tempfile.mkdtemp(prefix="bench_ingest_"))
    if not (source / "landing").exists():
        generate(GeneratorConfig(users=args.users, days=args.days, end=end, seed=7), str(source))
    dates = sorted(dt.date.fromisoformat(p.name[3:]) for p in (source / "landing" / "events").glob("dt=*"))
    engine = EmbeddedEngine()
    spark = connect(engine.url)
    runs = []
    try:
        for _ in range(args.repeat):
            lake = pathlib.Path(tempfile.mkdtemp(prefix="bench_lake_"))
            os.symlink(source / "landing", lake / "landing")
            timing = {"users": 0.0, "events": 0.0}
            lines = {"users": 0, "events": 0}
            totals = []
            for day in dates:
                for feed, ingest in (("users", ingest_users), ("events", ingest_events)):
                    began = time.perf_counter()
                    report = ingest(spark, str(lake), day)
                    timing[feed] += time.perf_counter() - began
                    lines[feed] += report.lines_read
                    totals.append([feed, day.isoformat(), report.lines_read, report.accepted, report.duplicates,
                                   report.quarantined])  # fmt: skip
            runs.append({feed: {"lines": lines[feed], "seconds": round(timing[feed], 2),
                                "lines_per_s": round(lines[feed] / timing[feed])} for feed in timing} | {"totals": totals})  # fmt: skip
            shutil.rmtree(lake)
    finally:
        spark.stop()
        engine.stop()
    print(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "users": args.users, "dates": [d.isoformat() for d in dates], "runs": runs,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
