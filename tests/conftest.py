"""Shared fixtures: one embedded Spark Connect engine for the whole test session."""

from __future__ import annotations

import os
import tempfile

import pytest

# Airflow reads its home when first imported: point it at a throwaway folder before any test does.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow_home_")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

from jobs.engine import EmbeddedEngine, connect


@pytest.fixture(scope="session")
def spark():
    """A Spark Connect session on an embedded Sail server, shared by every test."""
    engine = EmbeddedEngine()
    session = connect(engine.url)
    yield session
    session.stop()
    engine.stop()


@pytest.fixture
def root(tmp_path):
    """An empty local lakehouse root for one test."""
    path = tmp_path / "lakehouse"
    path.mkdir()
    return str(path)


_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter teardown once the summary is printed: the embedded engine's
    native threads (Arrow and gRPC C++ pools) can abort it ("terminate called without an active
    exception"), which would turn a green run into exit 134. Skipped under pytest-in-pytest."""
    if _exit_status and os.environ.get("LAKEHOUSE_TEST_FAST_EXIT", "1") == "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])


SAMPLE_DAYS = ("2026-06-27", "2026-06-28", "2026-06-29", "2026-06-30")


@pytest.fixture(scope="session")
def sample_lake(spark, tmp_path_factory):
    """A lakehouse the whole pipeline ran on: 400 generated users (app `smartlife`, faults at
    the default rates) over 5 days ending 2026-06-30, pipeline run for the last 4 days
    (`SAMPLE_DAYS`) with the repository's `segment_defs`. Shared, read-only: tests that write
    must copy it (`shutil.copytree`)."""
    from jobs.bronze import ingest_date
    from jobs.dates import parse_date
    from jobs.generate import GeneratorConfig, generate
    from jobs.labels import build_labels
    from jobs.segments import evaluate_segments
    from jobs.silver import build_silver

    root = str(tmp_path_factory.mktemp("sample") / "lakehouse")
    generate(GeneratorConfig(users=400, days=5, end=parse_date(SAMPLE_DAYS[-1]), seed=11), root)
    ingest_date(spark, root, parse_date("2026-06-26"))
    for text in SAMPLE_DAYS:
        day = parse_date(text)
        ingest_date(spark, root, day)
        build_silver(spark, root, day)
        build_labels(spark, root, day)
        evaluate_segments(spark, root, day, "segment_defs")
    return root


# --- the Spark cluster (scripts/spark-cluster.sh): engine-parity tests -------------------------

CLUSTER_URL = os.environ.get("LAKEHOUSE_CLUSTER_URL", "sc://127.0.0.1:15002")


def cluster_url() -> str:
    """The running cluster's Spark Connect URL; skips the test when it is not running (fails
    under ``CI=true``, where ``.ci/run`` starts it: parity tests must never silently skip there)."""
    import socket
    from urllib.parse import urlparse

    address = urlparse(CLUSTER_URL.replace("sc://", "http://", 1))
    with socket.socket() as probe:
        probe.settimeout(2)
        up = probe.connect_ex((address.hostname, address.port or 15002)) == 0
    if not up:
        message = f"no Spark cluster at {CLUSTER_URL}: start it with `bash scripts/spark-cluster.sh start`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CLUSTER_URL


@pytest.fixture(scope="session")
def cluster_spark(spark):
    """A Spark Connect session on the cluster (Spark 4.1 + delta-spark), shared by every test.

    Depends on ``spark`` so the embedded session is created first and stays the default one."""
    from pyspark.sql.connect.session import SparkSession

    url = cluster_url()
    session = connect(url)
    SparkSession._set_default_and_active_session(spark)  # tests that do not ask for the cluster keep Sail
    yield session
    session.stop()
    SparkSession._set_default_and_active_session(spark)


@pytest.fixture(params=["embedded", pytest.param("cluster", marks=pytest.mark.cluster)])
def engine_spark(request):
    """The same test on each engine: the embedded Sail session, then the cluster's."""
    return request.getfixturevalue("spark" if request.param == "embedded" else "cluster_spark")
