"""Bronze ingestion with an ``s3://bucket/prefix`` root, against moto's S3 server on loopback."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import socket

import boto3
import orjson
import pytest
from deltalake import DeltaTable
from pyspark.sql.connect.session import SparkSession

from jobs.bronze import ingest_date
from jobs.engine import SESSION_CONF, EmbeddedEngine
from jobs.storage import storage_options
from jobs.tables import BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, BRONZE_USERS_QUARANTINE, INGEST_RUNS

D = dt.date(2024, 3, 10)
NOON = int(dt.datetime(2024, 3, 10, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
BUCKET, PREFIX = "lake", "tenant-a/lakehouse"
ROOT = f"s3://{BUCKET}/{PREFIX}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server and the AWS variables Sail, pyarrow and delta-rs need to reach it.

    Sail 0.7.2 needs all five: without AWS_ALLOW_HTTP it refuses the http:// endpoint, without
    AWS_REGION or AWS_ENDPOINT_URL it tries to resolve a real AWS host, without keys it asks IMDS.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for key, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


@pytest.fixture
def s3_spark(s3, spark):  # spark: the Connect mode is set up first, as when run in the suite
    """A separate embedded engine started with the S3 variables set, and a new session on it (run
    alone, this test needs the shared session first: pyspark enables Connect mode in getOrCreate)."""
    previous = SparkSession.getActiveSession()
    engine = EmbeddedEngine()
    session = SparkSession.builder.remote(engine.url).create()  # getOrCreate would reuse the old server
    for key, value in SESSION_CONF.items():
        session.conf.set(key, value)
    yield session
    session.stop()  # the client first, then the server
    engine.stop()
    if previous is not None:
        SparkSession._set_default_and_active_session(previous)


def put(client, key: str, lines: list[dict | str], gz: bool = False) -> None:
    body = b"\n".join(orjson.dumps(x) if isinstance(x, dict) else x.encode() for x in lines) + b"\n"
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=gzip.compress(body) if gz else body)


@pytest.mark.slow
def test_landing_read_and_delta_tables_written_through_the_s3_api(s3, s3_spark):
    event = {"app_id": "app", "uid": "u-1", "event": "page_view", "ts": NOON}
    put(s3, f"landing/events/dt={D}/part-0.jsonl.gz", [{"event_id": "e-1", **event}, {"event_id": "e-1", **event},
                                                      "{bad"], gz=True)
    put(s3, f"landing/events/dt={D}/part-1.jsonl", [{"event_id": "e-2", **event, "uid": None}])
    put(s3, f"landing/users/dt={D}/users.jsonl", [{"uid": "u-1", "app_id": "app", "user_type": "registered"}, "[]"])

    users, events = ingest_date(s3_spark, ROOT, D)

    assert (users.lines_read, users.accepted, users.quarantined, users.reconciles()) == (2, 1, 1, True)
    assert (events.files, events.lines_read, events.accepted, events.duplicates, events.quarantined) == (2, 4, 2, 1, 1)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{PREFIX}/bronze/")
            for o in page.get("Contents", [])]
    for table in (BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, BRONZE_USERS_QUARANTINE, INGEST_RUNS):
        prefix = f"{PREFIX}/{table.relative_path}/"
        assert any(k.startswith(prefix + "_delta_log/") and k.endswith(".json") for k in keys), table.name
        assert any(k.startswith(prefix) and k.endswith(".parquet") for k in keys), table.name
    options = storage_options(ROOT)
    read = DeltaTable(BRONZE_EVENTS.location(ROOT), storage_options=options).to_pyarrow_table().to_pylist()
    assert sorted((r["event_id"], r["uid"], r["source_file"]) for r in read) == [
        ("e-1", "u-1", f"landing/events/dt={D}/part-0.jsonl.gz"),
        ("e-2", None, f"landing/events/dt={D}/part-1.jsonl"),
    ]
    quarantine = DeltaTable(BRONZE_EVENTS_QUARANTINE.location(ROOT), storage_options=options).to_pyarrow_table()
    assert quarantine.column("reason").to_pylist() == ["invalid_json"]

    again = ingest_date(s3_spark, ROOT, D)  # idempotent on S3 as well
    assert again == [users, events]
    assert DeltaTable(BRONZE_EVENTS.location(ROOT), storage_options=options).to_pyarrow_table().num_rows == 2
