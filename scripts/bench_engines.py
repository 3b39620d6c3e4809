"""Times the daily job (one date, with history) on the embedded engine and on a Spark cluster.

History (all dates but the last) is built once on the embedded engine; each engine then runs
the last date on its own copy of that lakehouse: ingest, silver, labels, segments, one step at
a time, timed. Prints a Markdown table for docs/benchmarks.md.

    bash scripts/spark-cluster.sh start
    .venv/bin/python scripts/bench_engines.py --users 2000 --days 14 --cluster sc://127.0.0.1:15002
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEPS = ("ingest", "silver", "labels", "segments")


def run_day(spark, root: str, day: dt.date, defs: str) -> dict[str, float]:
    """Runs the daily job for ``day``; returns seconds per step."""
    from jobs.bronze import ingest_date
    from jobs.labels import build_labels
    from jobs.segments import evaluate_segments
    from jobs.silver import build_silver

    steps = {
        "ingest": lambda: ingest_date(spark, root, day),
        "silver": lambda: build_silver(spark, root, day),
        "labels": lambda: build_labels(spark, root, day),
        "segments": lambda: evaluate_segments(spark, root, day, defs),
    }
    seconds = {}
    for name in STEPS:
        start = time.perf_counter()
        steps[name]()
        seconds[name] = time.perf_counter() - start
    return seconds


def build_history(root: str, users: int, days: int, end: dt.date, defs: str) -> None:
    from jobs.engine import EmbeddedEngine, connect
    from jobs.generate import GeneratorConfig, generate

    generate(GeneratorConfig(users=users, days=days, end=end, seed=3), root)
    engine = EmbeddedEngine()
    spark = connect(engine.url)
    try:
        for offset in range(days - 1, 0, -1):
            run_day(spark, root, end - dt.timedelta(days=offset), defs)
    finally:
        spark.stop()
        engine.stop()


def time_engine(url: str | None, history: str, end: dt.date, defs: str) -> tuple[float, dict[str, float]]:
    """(session start seconds, step seconds) of the last date on a copy of ``history``."""
    from jobs.engine import EmbeddedEngine, connect

    root = tempfile.mkdtemp(prefix="bench_engine_") + "/lakehouse"
    shutil.copytree(history, root)
    start = time.perf_counter()
    engine = None if url else EmbeddedEngine()
    spark = connect(url or engine.url)
    started = time.perf_counter() - start
    try:
        return started, run_day(spark, root, end, defs)
    finally:
        spark.stop()
        if engine is not None:
            engine.stop()
        shutil.rmtree(Path(root).parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--end", default="2026-06-30")
    parser.add_argument("--cluster", default="sc://127.0.0.1:15002")
    parser.add_argument("--defs", default=str(REPO / "segment_defs"))
    args = parser.parse_args()
    end = dt.date.fromisoformat(args.end)
    history = tempfile.mkdtemp(prefix="bench_history_") + "/lakehouse"
    started = time.perf_counter()
    build_history(history, args.users, args.days, end, args.defs)
    print(f"history: {args.days - 1} dates of {args.users} users in {time.perf_counter() - started:.0f} s (embedded)")
    rows = []
    for name, url in (("embedded Sail 0.7.2", None), ("Spark 4.1.4 + delta-spark 4.4.0 cluster", args.cluster)):
        start, steps = time_engine(url, history, end, args.defs)
        rows.append((name, start, steps))
    print(f"\n| engine | session | {' | '.join(STEPS)} | daily job |\n|---|---|{'---|' * len(STEPS)}---|")
    for name, start, steps in rows:
        cells = " | ".join(f"{steps[s]:.1f} s" for s in STEPS)
        print(f"| {name} | {start:.1f} s | {cells} | {sum(steps.values()):.1f} s |")
    shutil.rmtree(Path(history).parent, ignore_errors=True)


if __name__ == "__main__":
    main()
