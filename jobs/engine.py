"""Gives jobs a Spark Connect session: the embedded Sail engine by default, any server by URL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

from jobs.settings import Settings

log = logging.getLogger(__name__)

# Spark settings every job relies on, whichever server runs it.
SESSION_CONF = {
    # All dates in the product are UTC dates of epoch-millisecond times.
    "spark.sql.session.timeZone": "UTC",
}
# Speed-ups a server may refuse (JVM Spark treats this one as a static config set at start):
# PySpark otherwise tries to import IPython on every Column call to record call sites,
# ~4 ms each, which dominates compiling a hundred segments.
OPTIONAL_SESSION_CONF = {
    "spark.python.sql.dataFrameDebugging.enabled": "false",
}


class EmbeddedEngine:
    """An in-process Sail Spark Connect server bound to loopback on a free port."""

    def __init__(self) -> None:
        # Sail logs every session at INFO and every no-op hint or persist at WARN otherwise.
        os.environ.setdefault("RUST_LOG", "error")
        # Sail ends a session idle for 300 s by default: a test session's shared engine (or a job
        # waiting on another engine) must not lose it mid-run. The engine lives only as long as its job.
        os.environ.setdefault("SAIL_SPARK__SESSION_TIMEOUT_SECS", "86400")
        from pysail.spark import SparkConnectServer  # imported late: only the embedded path needs it

        self._server = SparkConnectServer("127.0.0.1", 0)
        self._server.start(background=True)
        host, port = self._server.listening_address
        self.url = f"sc://{host}:{port}"
        log.info("started the embedded Sail engine at %s", self.url)

    def stop(self) -> None:
        self._server.stop()


def connect(url: str) -> SparkSession:
    """Opens a Spark Connect session on ``url`` with the product's session settings."""
    # create(), not getOrCreate(): the latter returns any session already open in the process,
    # whatever its URL, so a job could silently run on another engine. PySpark's own local
    # server (``local[N]``, JVM Spark) only supports getOrCreate().
    builder = SparkSession.builder.remote(url)
    spark = builder.getOrCreate() if url.startswith("local") else builder.create()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    for key, value in OPTIONAL_SESSION_CONF.items():
        try:
            spark.conf.set(key, value)
        except Exception as error:  # noqa: BLE001 - the server's refusal only costs speed
            log.debug("server kept its own %s: %s", key, str(error).splitlines()[0])
    return spark


@contextmanager
def spark_session(settings: Settings) -> Iterator[SparkSession]:
    """Yields a Spark session for one job and releases it afterwards.

    With ``settings.spark_remote`` unset, an embedded Sail server is started for the job and
    stopped after it (the client first: stopping the server first can hang the client).
    """
    engine = None if settings.spark_remote else EmbeddedEngine()
    url = settings.spark_remote or engine.url
    spark = connect(url)
    try:
        yield spark
    finally:
        spark.stop()
        if engine is not None:
            engine.stop()
