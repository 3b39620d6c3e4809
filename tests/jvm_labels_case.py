"""One label computation run on a given Spark Connect engine, printed as JSON (for the JVM parity test).

Run as a script it starts classic JVM Spark (``SparkSession.builder.master("local[2]")``) and prints the
rows; the test runs the same ``label_rows`` on the embedded engine and compares.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from label_fixtures import bronze_events, bronze_users, countries, device, event, labels_in_memory, scenario, user
from pyspark.sql import DataFrame, SparkSession

FIRST = dt.date(2024, 6, 1)
DAYS = 8
DS = FIRST + dt.timedelta(days=DAYS - 1)


def case_rows() -> tuple[list[tuple], list[dict]]:
    """The seeded scenario plus hand-made edges: odd props, null structs and devices, ties."""
    events, users = scenario(FIRST, DAYS, seed=11)
    edges = [
        event("e1", "mall_order_paid", DS, props='{"items": 2.5, "amount": 1e400}'),
        event("e1", "mall_order_paid", DS, props="not json"),
        event("e1", "mall_order_placed", DS, props={"items": "3", "amount": "0.1"}),
        event("e1", "page_view", DS, 9, platform="android", app_version=""),
        event("e1", "page_view", DS, 9, platform="ios", app_version="5.0.0"),
        event("e2", "pairing_end", DS, props={"result": "success"}),
        event("e2", "pairing_end", DS, props={}),
        event("e2", "feedback_resolved", FIRST),
    ]
    users += [
        user("e1", cloud_storage=None, mall=None, devices=None, country_code="xk", email=" ", register_time=None),
        user("e2", cloud_storage={"expire_time": 1, "renewed": False}, devices=[device("gateway", "shared")] * 10),
    ]
    return events + edges, users


def label_rows(spark: SparkSession) -> list[dict]:
    """The label table for the case, as JSON-ready dicts sorted by key."""
    events, users = case_rows()
    def stage(df: DataFrame) -> DataFrame:  # materialized, as a table write and read would be
        return spark.createDataFrame(df.toArrow())

    labels = labels_in_memory(
        bronze_events(spark, events), bronze_users(spark, users, DS), countries(spark), DS,
        state_as_of=DS - dt.timedelta(days=3), stage=stage,
    )  # fmt: skip
    rows = [r.asDict() for r in labels.collect()]
    for row in rows:
        row["ds"] = row["ds"].isoformat()
    return sorted(rows, key=lambda r: (r["app_id"], r["uid"]))


if __name__ == "__main__":
    # classic (py4j) JVM Spark, not PySpark's local Spark Connect server: that one always listens
    # on port 15002, which the project's cluster holds while the suite runs in CI
    session = (
        SparkSession.builder.master(sys.argv[1] if len(sys.argv) > 1 else "local[2]")
        .config("spark.api.mode", "classic")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.conf.set("spark.sql.shuffle.partitions", "2")  # tiny data: 200 shuffle partitions cost minutes
    try:
        print("LABEL_ROWS " + json.dumps(label_rows(session), ensure_ascii=False))
    finally:
        session.stop()
