"""Bronze writes: a type mismatch fails loudly (no nulls written); a lost commit race is retried."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from deltalake import DeltaTable
from pyspark.sql.connect.session import SparkSession
from pyspark.sql import functions as F

from jobs.bronze import ingest_events, ingest_users
from jobs.delta_io import SchemaMismatchError, replace_partition
from jobs.engine import EmbeddedEngine
from jobs.tables import BRONZE_EVENTS, INGEST_RUNS

D = dt.date(2024, 3, 10)
ROW = ("e-1", "app", "u-1", "page_view", 1710072000000, D, "ios", "5.12.0", "TAS-AL00", None, "landing/x.jsonl", 1, D)


@pytest.fixture
def events_table(spark, root):
    replace_partition(spark.createDataFrame([ROW], BRONZE_EVENTS.schema), BRONZE_EVENTS, root, {"dt": D})
    table = DeltaTable(BRONZE_EVENTS.location(root))
    return table.version(), table.to_pyarrow_table().to_pylist()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda df: df.withColumn("ts", F.lit("1710072000000")),
            "cannot write bronze.events: column ts is string, declared bigint",
        ),
        (
            lambda df: df.withColumn("source_line", F.col("source_line").cast("int")).drop("props"),
            "cannot write bronze.events: column props is missing (declared string); "
            "column source_line is int, declared bigint",
        ),
    ],
)
def test_type_mismatch_fails_with_a_clear_error_and_leaves_the_table_unchanged(spark, root, events_table, change, message):
    bad = change(spark.createDataFrame([ROW], BRONZE_EVENTS.schema).withColumn("event_id", F.lit("e-2")))

    with pytest.raises(SchemaMismatchError) as raised:
        replace_partition(bad, BRONZE_EVENTS, root, {"dt": D})

    assert str(raised.value) == message
    table = DeltaTable(BRONZE_EVENTS.location(root))
    assert (table.version(), table.to_pyarrow_table().to_pylist()) == events_table


def test_users_and_events_of_one_date_ingested_in_parallel_both_land_in_ingest_runs(spark, root):
    """Like the Airflow DAG's two parallel tasks: two engines commit to bronze.ingest_runs at once."""
    for feed, line in (("users", '{"uid": "u", "app_id": "a", "user_type": "guest"}'),
                       ("events", '{"event_id": "e", "app_id": "a", "event": "page_view", "ts": 1710072000000}')):
        folder = Path(root) / "landing" / feed / f"dt={D}"
        folder.mkdir(parents=True)
        (folder / "part-0.jsonl").write_text(line + "\n")
    previous = SparkSession.getActiveSession()
    engine = EmbeddedEngine()
    other = SparkSession.builder.remote(engine.url).create()
    try:
        with ThreadPoolExecutor(2) as pool:
            users = pool.submit(ingest_users, spark, root, D)
            events = pool.submit(ingest_events, other, root, D)
            reports = [users.result(), events.result()]
    finally:
        other.stop()
        engine.stop()
        if previous is not None:
            SparkSession._set_default_and_active_session(previous)
    assert [(r.feed, r.accepted) for r in reports] == [("users", 1), ("events", 1)]
    runs = DeltaTable(INGEST_RUNS.location(root)).to_pyarrow_table().to_pylist()
    assert sorted((r["feed"], r["dt"], r["accepted"]) for r in runs) == [("events", D, 1), ("users", D, 1)]
