"""One pipeline, two engines, same answer: five dates of generated data (two apps, faults on, the
shipped definitions plus nested, behavior, import and once segments of a second app) run on the
embedded Sail engine and on the Spark cluster (Spark 4.1 + delta-spark), each into its own
lakehouse. Every gold table's ds partitions must be equal row for row (run ids, timestamps and
report paths aside), and so must the bronze reconciliations; the reader examples of
docs/reader-contract.md read the cluster-written tables with delta-rs.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable
from pyspark.sql import types as T

from jobs.bronze import ingest_date
from jobs.generate import GeneratorConfig, generate
from jobs.labels import build_labels
from jobs.segments import evaluate_segments
from jobs.silver import build_silver
from jobs.tables import (
    GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES,
    GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS, GOLD_USER_LABELS, INGEST_RUNS,
)

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(1500)]

REPO = Path(__file__).resolve().parents[1]
END = dt.date(2026, 6, 30)
DATES = [END - dt.timedelta(days=n) for n in range(4, -1, -1)]  # 2026-06-26 .. 2026-06-30
APPS = ("smartlife", "homeplus")
GOLD = (GOLD_USER_LABELS, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_RUNS,
        GOLD_SEGMENT_IMPORT_FAILURES, GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS)
# Columns that name a run rather than its result: they differ between any two runs.
RUN_COLUMNS = {"run_id", "report_path", "message", "details", "staged_version", "published_version"}

HOMEPLUS_DEFS = {
    "paired_twice_once.yaml": """\
id: paired_twice_once
app_id: homeplus
name: Paired twice (kept)
description: Two or more successful pairings in 30 days, computed once and kept
refresh: once
rule:
  all:
    - type: behavior
      window: {last_days: 30}
      event: pairing_end
      where: [{dimension: result, op: eq, value: success}]
      metric: {count: times}
      compare: {op: ge, value: 2}
""",
    "mall_avg_buyers.yaml": """\
id: mall_avg_buyers
app_id: homeplus
name: Mall buyers by average
description: Average paid order amount of 20 or more in 30 days, or a busy mall week
rule:
  any:
    - type: behavior
      window: {last_days: 30}
      event: mall_order_paid
      metric: {avg: amount}
      compare: {op: ge, value: 20}
    - type: behavior
      window: {last_days: 7}
      event: mall_browse
      metric: {count: days}
      compare: {op: ge, value: 2}
""",
    "buyers_not_churning.yaml": """\
id: buyers_not_churning
app_id: homeplus
name: Buyers not churning
description: Mall buyers by average, minus the churn stage
rule:
  all:
    - {type: segment, segment: mall_avg_buyers}
    - not: {type: segment, segment: churn_stage}
""",
    "care_list.yaml": """\
id: care_list
app_id: homeplus
name: Care list (imported)
description: Users the care team listed
refresh: once
source: {csv: care_list.csv}
""",
    "care_list.csv": "type,value,param1,param2,param3\nuid,u_0002,a,,\nuid,u_9999,b,,\nemail,nobody@example.com,c,,\nbogus,x,,,\n",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[str, str]:
    """Landing files (120 users of each app over six days, default fault rates) and definitions."""
    base = tmp_path_factory.mktemp("parity")
    landing_root = base / "template"
    generate(GeneratorConfig(users=120, days=6, end=END, seed=5, apps=APPS), str(landing_root))
    defs = base / "segment_defs"
    shutil.copytree(REPO / "segment_defs", defs)
    (defs / "homeplus").mkdir()
    for name, text in HOMEPLUS_DEFS.items():
        (defs / "homeplus" / name).write_text(text)
    return str(landing_root), str(defs)


def run_pipeline(spark, inputs, root: Path) -> str:
    """The first arrival date ingested alone, then five whole dates, as ``lakehouse run`` does."""
    landing_root, defs = inputs
    shutil.copytree(landing_root, root)
    ingest_date(spark, str(root), DATES[0] - dt.timedelta(days=1))
    for day in DATES:
        ingest_date(spark, str(root), day)
        build_silver(spark, str(root), day)
        build_labels(spark, str(root), day)
        evaluate_segments(spark, str(root), day, defs)
    return str(root)


@pytest.fixture(scope="module")
def embedded_lake(spark, inputs, tmp_path_factory) -> str:
    return run_pipeline(spark, inputs, tmp_path_factory.mktemp("embedded") / "lakehouse")


@pytest.fixture(scope="module")
def cluster_lake(cluster_spark, inputs, tmp_path_factory) -> str:
    return run_pipeline(cluster_spark, inputs, tmp_path_factory.mktemp("cluster") / "lakehouse")


def _value(value):
    """Doubles compared to 12 significant digits: sums of measures may add in another order."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def compared_columns(table) -> list[str]:
    """The columns compared: all but run ids, timestamps and paths."""
    return [f.name for f in table.schema.fields
            if f.name not in RUN_COLUMNS and not isinstance(f.dataType, T.TimestampType)]


def comparable_rows(table, root: str) -> list[tuple]:
    """The table's rows through delta-rs without run ids, timestamps and paths, sorted."""
    keep = compared_columns(table)
    data = DeltaTable(table.location(root)).to_pyarrow_table(columns=keep).to_pylist()
    return sorted((tuple(_value(row[c]) for c in keep) for row in data), key=repr)


@pytest.mark.parametrize("table", GOLD, ids=lambda t: t.name)
def test_every_gold_table_is_equal_on_both_engines(embedded_lake, cluster_lake, table):
    embedded, cluster = comparable_rows(table, embedded_lake), comparable_rows(table, cluster_lake)
    if table in (GOLD_USER_LABELS, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS):
        ds_index = compared_columns(table).index("ds")
        assert {row[ds_index] for row in embedded} == set(DATES)  # every date published
    assert len(cluster) == len(embedded)
    assert [row for row in cluster if row not in set(embedded)] == []
    assert cluster == embedded


def test_the_bronze_reconciliations_are_equal_on_both_engines(embedded_lake, cluster_lake):
    embedded, cluster = comparable_rows(INGEST_RUNS, embedded_lake), comparable_rows(INGEST_RUNS, cluster_lake)
    assert len(embedded) == 2 * (len(DATES) + 1)
    assert cluster == embedded


def test_the_imports_and_once_segments_ran_on_the_cluster(cluster_lake):
    runs = DeltaTable(GOLD_SEGMENT_RUNS.location(cluster_lake)).to_pyarrow_table().to_pylist()
    last = {(r["app_id"], r["segment_id"]): r for r in runs if r["ds"] == END}
    assert last[("homeplus", "care_list")]["kind"] == "imported"
    assert last[("homeplus", "paired_twice_once")]["evaluated_ds"] == DATES[0]  # computed once, kept
    assert last[("homeplus", "buyers_not_churning")]["kind"] == "nested"
    assert {r["status"] for r in last.values()} == {"published"}
    failures = DeltaTable(GOLD_SEGMENT_IMPORT_FAILURES.location(cluster_lake)).to_pyarrow_table().to_pylist()
    # a `once` import's failed lines are recorded on the ds it was evaluated (the first), not again
    evaluated = last[("homeplus", "care_list")]["evaluated_ds"]
    assert evaluated == DATES[0]
    assert {(f["line"], f["value"]) for f in failures if f["segment_id"] == "care_list" and f["ds"] == evaluated} >= {
        (3, "u_9999"), (5, "x")}


def _plain_values(namespace: dict, root: str) -> dict:
    simple = (bool, int, float, str, dt.date, list, tuple, set, dict)
    return {name: value for name, value in namespace.items()
            # `row` is a loop variable the examples leave behind: the last row read, whose place
            # depends on the files' order, which differs between the engines' writes
            if not name.startswith("_") and name not in ("LAKEHOUSE_ROOT", "row") and isinstance(value, simple)
            and root not in repr(value)}


def test_the_reader_examples_read_the_cluster_written_tables(embedded_lake, cluster_lake):
    """docs/reader-contract.md's plain (delta-rs) examples give the same answers on both lakes."""
    from test_reader_docs import _run_plain

    on_cluster = _plain_values(_run_plain(cluster_lake), cluster_lake)
    on_embedded = _plain_values(_run_plain(embedded_lake), embedded_lake)
    assert on_embedded, "the examples produced no values to compare"
    assert on_cluster == on_embedded
