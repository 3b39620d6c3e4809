"""What Airflow tasks call: settings resolved from Airflow or the environment, then a job.

DAG files import nothing from here at parse time; each task imports it when it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from jobs import settings as config
from jobs.dates import parse_date
from jobs.settings import SPARK_CONNECTION, Settings

log = logging.getLogger(__name__)


def _airflow_variable(key: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)
    except Exception:  # outside a task (tests, CLI) there is no Airflow context to ask
        return None


def _airflow_spark_url(conn_id: str = SPARK_CONNECTION) -> str | None:
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
    """Settings for a task (``jobs.settings.resolve``): an Airflow Variable (the Connection
    ``spark_connect`` for the engine) first, then the environment, then the defaults."""
    settings = config.resolve(airflow=_airflow_variable, spark_connection=_airflow_spark_url)
    log.info("lakehouse root %s; definitions %s; expectations %s; engine %s", settings.lakehouse_root,
             settings.segment_defs, settings.expectations, settings.spark_remote or "embedded Sail")
    return settings


@contextmanager
def _job(settings: Settings) -> Iterator:
    """A task's Spark session, with ``settings`` active for library defaults (the expectations)."""
    from jobs.engine import spark_session

    with config.active(settings), spark_session(settings) as spark:
        yield spark


def ingest_feed(feed: str, ds: str) -> dict:
    """Ingests one feed (``events`` or ``users``) for arrival date ``ds``; returns its reconciliation.

    Raises:
        RuntimeError: if the counts do not reconcile (lines read != accepted + duplicates + quarantined).
    """
    from jobs.bronze import format_report, ingest_events, ingest_users

    run = {"events": ingest_events, "users": ingest_users}[feed]
    settings = resolve_settings()
    with _job(settings) as spark:
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


@contextmanager
def _report_logged(table: str, ds: str) -> Iterator[None]:
    """Logs the quality report of a blocked publication; the ``PublicationBlocked`` itself
    propagates unchanged, so the task fails with exactly its message."""
    from jobs.publish import PublicationBlocked

    try:
        yield
    except PublicationBlocked as blocked:
        log.error("%s %s blocked by the quality gates; quality report: %s", table, ds, blocked.report_path)
        raise


def segment_defs_dir() -> str:
    """The segment definitions folder of a task: the Airflow Variable ``segment_defs``, env
    ``SEGMENT_DEFS``, or the definitions shipped with the package."""
    return resolve_settings().segment_defs


def build_labels_for(ds: str) -> None:
    """Silver for the event dates ds-3..ds, then the ds partition of the label table, through
    write-audit-publish.

    Raises:
        PublicationBlocked: a critical quality check failed; its message (table, column, check,
            observed value, bound, report path) is the task's error. Readers keep the previous ds.
    """
    from jobs.labels import build_labels
    from jobs.silver import build_silver

    settings = resolve_settings()
    day = parse_date(ds)
    with _job(settings) as spark:
        build_silver(spark, settings.lakehouse_root, day)
        with _report_logged("gold.user_labels", ds):
            result = build_labels(spark, settings.lakehouse_root, day)
    log.info("gold.user_labels %s published; quality report: %s", ds, result.report_path)


def evaluate_segments_for(ds: str) -> dict[str, int]:
    """Evaluates every segment definition for ds; returns member counts of published segments.

    Raises:
        PublicationBlocked: a critical quality check of the staged membership failed: nothing of
            ds is published (runs are recorded ``blocked``); its message is the task's error.
        RuntimeError: naming every segment whose run failed (the others are published).
    """
    from jobs.segments import evaluate_segments

    settings = resolve_settings()
    with _job(settings) as spark, _report_logged("gold.segment_membership", ds):
        runs = evaluate_segments(spark, settings.lakehouse_root, parse_date(ds), settings.segment_defs)
    for report in sorted({r.report_path for r in runs if r.report_path}):
        log.info("segments %s published; quality report: %s", ds, report)
    sizes = {f"{r.app_id}/{r.segment_id}": r.member_count for r in runs if r.member_count is not None}
    for name, size in sorted(sizes.items()):
        log.info("segment %s on %s: %d members", name, ds, size)
    failed = [r for r in runs if r.status == "failed"]
    if failed:
        reasons = "\n".join(f"- {r.app_id}/{r.segment_id}: {r.reason}" for r in failed)
        raise RuntimeError(f"{len(failed)} segment(s) failed on {ds}; the others are published:\n{reasons}")
    return sizes
