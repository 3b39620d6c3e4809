"""Benchmark (not a test): segment evaluation time for 1, 10 and 100 segments on synthetic data.

Builds >= 100k users' label rows (ds and the day before, 10 % of users changed) and their daily
aggregates directly with Spark (no generator), and 100 definitions of a realistic mix: label
conditions on several labels, behavior conditions over a handful of common events and windows
(times, days, sum and avg metrics with different thresholds, a dimension filter, `executed:
false`), groups, NOT, and every tenth segment nested on two others. For each size (the first 1,
10 and 100 definitions) the whole job runs (`evaluate_segments`: read, validate, evaluate, write
membership, changes and runs) once on the day before, untimed, so the changes compare with a
previous day as in production; then twice on ds, and the second (warm) run is reported with the
rows it wrote.

    .venv/bin/python scripts/bench_segments.py [--users 120000] [--rows-per-user 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time

from pyspark.sql import functions as F

from jobs.delta_io import conform, read_table, replace_partition
from jobs.engine import EmbeddedEngine, connect
from jobs.segments import evaluate_segments
from jobs.segments.language.evaluate import behavior_aggregates, compile_segments, wide_table
from jobs.segments.validate import check_definitions
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_CHANGES, GOLD_USER_LABELS, SILVER_USER_DAILY_EVENTS

DS = dt.date(2026, 3, 10)
EVENTS = ["device_card_tap", "page_view", "mall_browse", "mall_order_paid", "pairing_end", "feedback_submit",
          "scene_run_success", "voice_control", "mall_add_cart", "vas_order_completed"]


def pick(values: list, key) -> F.Column:
    return F.element_at(F.array(*[F.lit(v) for v in values]), (key % len(values)).cast("int") + 1)


def write_labels(spark, root: str, users: int, ds: dt.date, changed: int) -> None:
    """Label rows of ``users`` users on ``ds``; every ``changed``-th user gets other label values."""
    ids = spark.range(users)
    h = F.when(F.col("id") % changed == 0, F.xxhash64("id", F.lit(ds.isoformat()))).otherwise(F.xxhash64("id"))
    known = {
        "app_id": F.lit("smartlife"), "uid": F.concat(F.lit("u"), F.col("id").cast("string")), "ds": F.lit(ds),
        "user_type": pick(["registered"] * 9 + ["guest"], F.col("id")),
        "accept_marketing": (F.col("id") % 7) != 0,
        "platform": pick(["ios", "android", "Others", "Unknown"], F.abs(h)),
        "lifecycle": pick(["novice", "growth", "silence", "churn"], F.abs(h) / 7),
        "user_distribution": pick(["none", "elementary", "intermediate", "advanced"], F.abs(h) / 11),
        "pairing_level_90d": pick(["high", "medium", "low", "unpaired"], F.abs(h) / 13),
        "bound_devices": (F.abs(h) % 13).cast("long"), "active_days_30d": (F.abs(h) % 31).cast("long"),
        "has_gateway": (F.abs(h) % 3) == 0, "has_ipc": (F.abs(h) % 5) == 0,
        "register_time": F.lit(1_700_000_000_000) + (F.abs(h) % 100_000_000_000),
        "city_en": pick(["Berlin", "Bern", "Paris", "Shenzhen", "Austin"], F.abs(h) / 17),
        "mall_activity_30d": (F.abs(h) % 100) / 50.0, "feedback_count": (F.abs(h) % 6).cast("long"),
    }
    cols = [known.get(f.name, F.lit(None)).cast(f.dataType).alias(f.name) for f in GOLD_USER_LABELS.schema.fields]
    replace_partition(ids.select(*cols), GOLD_USER_LABELS, root, {"ds": ds})
    # The user snapshot of ds the membership audit checks members against (types and consent).
    snapshot = {**known, "dt": F.lit(ds), "source_file": F.lit("bench"), "source_line": F.col("id")}
    ucols = [snapshot.get(f.name, F.lit(None)).cast(f.dataType).alias(f.name) for f in BRONZE_USERS.schema.fields]
    replace_partition(ids.select(*ucols), BRONZE_USERS, root, {"dt": ds})


def write_inputs(spark, root: str, users: int, rows_per_user: int) -> None:
    write_labels(spark, root, users, DS, changed=1_000_000_007)
    write_labels(spark, root, users, DS - dt.timedelta(days=1), changed=10)

    rows = spark.range(users * rows_per_user)
    g = F.abs(F.xxhash64("id", F.lit(1)))
    event = pick(EVENTS, g)
    amount = F.when(event.isin("mall_order_paid", "vas_order_completed"), (g % 300).cast("double"))
    daily_known = {
        "app_id": F.lit("smartlife"), "uid": F.concat(F.lit("u"), (F.col("id") % users).cast("string")), "event": event,
        "dim_result": F.when(event == "pairing_end", pick(["success", "fail"], g / 3)),
        "events": (g % 4 + 1).cast("long"), "last_ts": F.lit(1_770_000_000_000),
        "measure_amount_count": F.when(amount.isNotNull(), 1).otherwise(0).cast("long"),
        "measure_amount_sum": amount, "measure_amount_min": amount, "measure_amount_max": amount,
        "event_date": F.date_sub(F.lit(DS), (g % 120).cast("int")),
    }
    fields = SILVER_USER_DAILY_EVENTS.schema.fields
    dcols = [daily_known.get(f.name, F.lit(0) if f.name.endswith("_count") else F.lit(None)).cast(f.dataType).alias(f.name)
             for f in fields]
    conform(rows.select(*dcols), SILVER_USER_DAILY_EVENTS).write.format("delta").mode("overwrite") \
        .partitionBy("event_date").save(SILVER_USER_DAILY_EVENTS.location(root))


COMMON_EVENTS = ["device_card_tap", "page_view", "mall_order_paid", "scene_run_success", "pairing_end"]
WINDOWS = [{"last_days": 7}, {"last_days": 30}, {"last_days": 90}, {"from": "2026-01-01", "to": "2026-03-31"}]
LABELS = [
    {"type": "label", "label": "platform", "op": "in", "value": ["ios", "android"]},
    {"type": "label", "label": "bound_devices", "op": "ge", "value": 3},
    {"type": "label", "label": "lifecycle", "op": "eq", "value": "growth"},
    {"type": "label", "label": "city_en", "op": "starts_with", "value": "Be"},
    {"type": "label", "label": "user_distribution", "op": "ne", "value": "none"},
    {"type": "label", "label": "active_days_30d", "op": "between", "value": [5, 25]},
    {"type": "label", "label": "has_gateway", "op": "eq", "value": True},
    {"type": "label", "label": "pairing_level_90d", "op": "in", "value": ["high", "medium"]},
]


def definition(i: int) -> dict:
    """The i-th synthetic segment: common labels, events and windows, thresholds that differ."""
    event = COMMON_EVENTS[i % len(COMMON_EVENTS)]
    behavior = {"type": "behavior", "window": WINDOWS[(i // len(COMMON_EVENTS)) % len(WINDOWS)], "event": event,
                "compare": {"op": "ge", "value": 1 + i % 4}}
    if event == "mall_order_paid":
        behavior.update(metric={["sum", "avg"][i % 2]: "amount"}, compare={"op": "gt", "value": 20 + 10 * (i % 7)})
    elif i % 7 == 0:
        behavior["metric"] = {"count": "days"}
    if event == "pairing_end":
        behavior["where"] = [{"dimension": "result", "op": "eq", "value": "success"}]
    label = LABELS[i % len(LABELS)]
    rule: dict = {"all": [label, {"any": [behavior, LABELS[(i + 3) % len(LABELS)]]}]}
    if i % 6 == 5:
        rule["all"].append({"not": {"type": "behavior", "window": {"last_days": 30}, "event": "feedback_submit",
                                    "executed": False}})
    if i % 10 == 9:
        rule = {"all": [{"type": "segment", "segment": f"seg_{i - 1:03d}"}, {"not": {"type": "segment", "segment": f"seg_{i - 2:03d}"}}]}
    return {"id": f"seg_{i:03d}", "app_id": "smartlife", "name": f"Segment {i}", "rule": rule}


def write_definitions(folder: str, count: int) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "smartlife"))
    for i in range(count):
        with open(os.path.join(folder, "smartlife", f"seg_{i:03d}.yaml"), "w", encoding="utf-8") as fh:
            json.dump(definition(i), fh)


def evaluate_only(spark, root: str, defs: str, ds: dt.date) -> tuple[float, int]:
    """Evaluation alone: every segment's membership flags for ds and its member count, in one
    query over the label table and the daily aggregates (no writes, no change feed)."""
    start = time.perf_counter()
    program, errors = check_definitions(defs)
    assert not errors, errors
    rule_segments = [s for s in program.segments if s.rule is not None]
    compiled, plan, label_columns = compile_segments(rule_segments, {}, ds)
    labels = read_table(spark, GOLD_USER_LABELS, root).where(F.col("ds") == F.lit(ds))
    aggregates = behavior_aggregates(read_table(spark, SILVER_USER_DAILY_EVENTS, root), plan, ds)
    wide = wide_table(labels, compiled, label_columns, aggregates, None, {})
    row = wide.agg(*[F.sum(F.col(c.column).cast("long")).alias(c.column) for c in compiled]).collect()[0]
    return time.perf_counter() - start, sum(v or 0 for v in row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=120_000)
    parser.add_argument("--rows-per-user", type=int, default=8)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-segments-")
    engine = EmbeddedEngine()
    spark = connect(engine.url)
    try:
        root = os.path.join(work, "lakehouse")
        start = time.perf_counter()
        write_inputs(spark, root, args.users, args.rows_per_user)
        print(f"inputs: {args.users} users, {args.users * args.rows_per_user} daily aggregate rows "
              f"({time.perf_counter() - start:.1f} s to build)")
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        results, evaluation = {}, {}
        for count in (1, 10, 100):
            defs = os.path.join(work, f"defs_{count}")
            write_definitions(defs, count)
            evaluate_segments(spark, root, DS - dt.timedelta(days=1), defs)  # the previous day, untimed
            times = []
            for _ in range(2):
                start = time.perf_counter()
                records = evaluate_segments(spark, root, DS, defs)
                times.append(time.perf_counter() - start)
            assert all(r.status == "published" for r in records), [r.reason for r in records if r.reason]
            evaluate_only(spark, root, defs, DS)  # warm-up
            only, flagged = evaluate_only(spark, root, defs, DS)
            evaluation[count] = only
            members = sum(r.member_count or 0 for r in records)
            changes = read_table(spark, GOLD_SEGMENT_CHANGES, root).where(F.col("ds") == F.lit(DS)).count()
            results[count] = times[1]
            assert flagged == members, (flagged, members)
            print(f"{count:>4} segments: evaluation {only:6.2f} s; whole job {times[1]:6.2f} s (first run {times[0]:.2f} s), "
                  f"{members} membership rows, {changes} change rows")
        print(f"100 segments / 1 segment: evaluation {evaluation[100] / evaluation[1]:.2f}x, "
              f"whole job {results[100] / results[1]:.2f}x; load average {os.getloadavg()[0]:.1f}")
    finally:
        spark.stop()
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
