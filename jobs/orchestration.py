"""What Airflow tasks call: settings resolved from Airflow or the environment, then a job.

DAG files import nothing from here at parse time; each task imports it when it runs.
"""

from __future__ import annotations

import logging
import os

from jobs.dates import parse_date
from jobs.settings import DEFAULT_ROOT, Settings, normalize_root

log = logging.getLogger(__name__)

ROOT_VARIABLE = "lakehouse_root"  # Airflow Variable (or env AIRFLOW_VAR_LAKEHOUSE_ROOT)
SPARK_CONNECTION = "spark_connect"  # Airflow Connection (or env AIRFLOW_CONN_SPARK_CONNECT), host + port


def _airflow_variable(key: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)
    except Exception:  # outside a task (tests, CLI) there is no Airflow context to ask
        return None


def _airflow_spark_url(conn_id: str) -> str | None:
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except Exception:  # not defined: the embedded engine is the default
        return None
    if not conn.host:
        return None
    host = conn.host if "://" in conn.host else f"sc://{conn.host}"
    return f"{host}:{conn.port}" if conn.port else host


def resolve_settings() -> Settings:
    """Settings for a task: the Airflow Variable/Connection first, then the environment
    (``LAKEHOUSE_ROOT``, ``SPARK_REMOTE``), then the embedded defaults."""
    env = Settings.from_env()
    root = _airflow_variable(ROOT_VARIABLE) or os.environ.get("LAKEHOUSE_ROOT") or DEFAULT_ROOT
    remote = _airflow_spark_url(SPARK_CONNECTION) or env.spark_remote
    settings = Settings(lakehouse_root=normalize_root(root), spark_remote=remote)
    log.info("lakehouse root %s; engine %s", settings.lakehouse_root, settings.spark_remote or "embedded Sail")
    return settings


def ingest_feed(feed: str, ds: str) -> dict:
    """Ingests one feed (``events`` or ``users``) for arrival date ``ds``; returns its reconciliation.

    Raises:
        RuntimeError: if the counts do not reconcile (lines read != accepted + duplicates + quarantined).
    """
    from jobs.bronze import format_report, ingest_events, ingest_users
    from jobs.engine import spark_session

    run = {"events": ingest_events, "users": ingest_users}[feed]
    settings = resolve_settings()
    with spark_session(settings) as spark:
        report = run(spark, settings.lakehouse_root, parse_date(ds))
    log.info("reconciliation\n%s", format_report([report]))
    if not report.reconciles():
        raise RuntimeError(f"{feed} {ds}: counts do not reconcile: {report}")
    return {
        "feed": report.feed,
        "dt": report.dt.isoformat(),
        "lines_read": report.lines_read,
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "quarantined": report.quarantined,
        "quarantined_by_reason": report.quarantined_by_reason,
    }
