"""jobs/delta_io.py gives the same result on both engines where they differ underneath
(docs/engine-notes.md): a partition replace touches only its partition (Sail ignores dynamic
overwrite), a row outside it is refused before anything is written (Sail writes it, Delta-Spark
raises its own error), a re-run leaves the table as it was (Sail ignores txnAppId), a type drift
fails (Sail writes nulls)."""

from __future__ import annotations

import datetime as dt

import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from jobs.delta_io import PartitionMismatchError, SchemaMismatchError, replace_partition, replace_range
from jobs.tables import SILVER_EVENTS, Table
from pyspark.sql import types as T

D1, D2, D3 = dt.date(2026, 6, 28), dt.date(2026, 6, 29), dt.date(2026, 6, 30)
DAILY = Table(
    "test.daily",
    T.StructType([T.StructField("uid", T.StringType(), True), T.StructField("n", T.LongType(), True),
                  T.StructField("ds", T.DateType(), True)]),
    partition_by=("ds",),
    keys=("uid", "ds"),
)


def _rows(root):
    data = DeltaTable(DAILY.location(root)).to_pyarrow_table().to_pylist()
    return sorted((r["uid"], r["n"], r["ds"]) for r in data)


def _frame(spark, rows):
    return spark.createDataFrame(rows, DAILY.schema)


def test_replacing_a_partition_keeps_the_others_and_a_rerun_changes_nothing(engine_spark, root):
    spark = engine_spark
    for ds in (D1, D2):
        replace_partition(_frame(spark, [("a", 1, ds), ("b", 2, ds)]), DAILY, root, {"ds": ds})
    replace_partition(_frame(spark, [("c", 3, D2)]), DAILY, root, {"ds": D2})
    replace_partition(_frame(spark, [("c", 3, D2)]), DAILY, root, {"ds": D2})  # a re-run: no duplicates
    assert _rows(root) == [("a", 1, D1), ("b", 2, D1), ("c", 3, D2)]


def test_a_row_outside_the_partition_is_refused_and_nothing_is_written(engine_spark, root):
    spark = engine_spark
    replace_partition(_frame(spark, [("a", 1, D1)]), DAILY, root, {"ds": D1})
    version = DeltaTable(DAILY.location(root)).version()
    with pytest.raises(PartitionMismatchError) as raised:
        replace_partition(_frame(spark, [("a", 9, D1), ("x", 9, D3)]), DAILY, root, {"ds": D1})
    assert str(raised.value) == (
        "cannot replace `ds` = DATE'2026-06-28' of test.daily: a row holds {'ds': datetime.date(2026, 6, 30)}"
    )
    assert DeltaTable(DAILY.location(root)).version() == version
    assert _rows(root) == [("a", 1, D1)]


def test_a_range_replace_refuses_rows_outside_the_range(engine_spark, root):
    spark = engine_spark
    rows = spark.createDataFrame([], SILVER_EVENTS.schema)
    replace_range(rows, SILVER_EVENTS, root, "event_date", D1, D2)  # an empty range write creates the table
    outside = spark.range(1).select(*[
        (F.lit(D3) if f.name == "event_date" else F.lit(None).cast(f.dataType)).alias(f.name)
        for f in SILVER_EVENTS.schema.fields
    ])
    with pytest.raises(PartitionMismatchError, match=r"^cannot replace `event_date` >= DATE'2026-06-28' AND "):
        replace_range(outside, SILVER_EVENTS, root, "event_date", D1, D2)


def test_a_type_drift_fails_instead_of_writing_nulls(engine_spark, root):
    spark = engine_spark
    drifted = _frame(spark, [("a", 1, D1)]).withColumn("n", F.lit("x"))
    with pytest.raises(SchemaMismatchError) as raised:
        replace_partition(drifted, DAILY, root, {"ds": D1})
    assert str(raised.value) == "cannot write test.daily: column n is string, declared bigint"
