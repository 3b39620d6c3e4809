"""What Airflow tasks call: settings resolved from Airflow or the environment, then a job.

DAG files import nothing from here at parse time; each task imports it when it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
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
    """Ingests one feed (``events`` or ``users``) for arrival date ``ds``; returns its
    reconciliation (the task's asset event extra).

    Raises:
        AirflowFailException: the counts do not reconcile (lines read != accepted + duplicates +
            quarantined), or another deterministic error (``jobs.task_failures``).
    """
    from jobs.bronze import format_report, ingest_events, ingest_users
    from jobs.task_failures import ReconciliationFailed, fail_fast

    run = {"events": ingest_events, "users": ingest_users}[feed]
    with fail_fast(f"ingest {feed} {ds}"):
        settings = resolve_settings()
        with _job(settings) as spark:
            report = run(spark, settings.lakehouse_root, parse_date(ds))
        log.info("reconciliation\n%s", format_report([report]))
        if not report.reconciles():
            raise ReconciliationFailed(f"{feed} {ds}: counts do not reconcile: {report}")
    return {
        "ds": ds,
        "feed": report.feed,
        "dt": report.dt.isoformat(),
        "rows": report.accepted,
        "lines_read": report.lines_read,
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "quarantined": report.quarantined,
        "quarantined_by_reason": dict(report.quarantined_by_reason),
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


def build_labels_for(ds: str) -> dict:
    """Silver for the event dates ds-3..ds, then the ds partition of the label table, through
    write-audit-publish; returns the task's asset event extra (ds, rows, warnings).

    Raises:
        AirflowFailException: a critical quality check failed (its message names table, column,
            check, observed value, bound and report path; readers keep the previous ds), or
            another deterministic error.
    """
    from jobs.delta_io import read_arrow
    from jobs.labels import build_labels
    from jobs.silver import build_silver
    from jobs.tables import GOLD_USER_LABELS
    from jobs.task_failures import fail_fast

    day = parse_date(ds)
    with fail_fast(f"labels {ds}"):
        settings = resolve_settings()
        with _job(settings) as spark:
            build_silver(spark, settings.lakehouse_root, day)
            with _report_logged("gold.user_labels", ds):
                result = build_labels(spark, settings.lakehouse_root, day)
    log.info("gold.user_labels %s published; quality report: %s", ds, result.report_path)
    rows = read_arrow(GOLD_USER_LABELS, settings.lakehouse_root, columns=["uid"], filters=[("ds", "=", day)])
    return {"ds": ds, "rows": rows.num_rows, "warnings": len(result.warnings)}


def evaluate_segments_for(ds: str, refresh: Collection[str] = ()) -> dict:
    """Evaluates every segment definition for ds; returns the task's asset event extra: ds,
    members per published segment, and the segments blocked or failed.

    A segment whose definition (or import) fails does not fail this call: the others are
    published and ``failed`` names it with the reason (``raise_failed_segments`` fails the run).

    Args:
        refresh: ids of ``refresh: once`` segments to recompute although unchanged.

    Raises:
        AirflowFailException: a critical check of the staged membership failed (nothing of ds is
            published; runs are recorded ``blocked``), or another deterministic error.
    """
    from jobs.segments import evaluate_segments
    from jobs.task_failures import fail_fast

    with fail_fast(f"segments {ds}"):
        settings = resolve_settings()
        with _job(settings) as spark, _report_logged("gold.segment_membership", ds):
            runs = evaluate_segments(spark, settings.lakehouse_root, parse_date(ds), settings.segment_defs,
                                     refresh=tuple(refresh))
    for report in sorted({r.report_path for r in runs if r.report_path}):
        log.info("segments %s published; quality report: %s", ds, report)
    members = {f"{r.app_id}/{r.segment_id}": r.member_count for r in runs
               if r.status == "published" and r.member_count is not None}
    for name, size in sorted(members.items()):
        log.info("segment %s on %s: %d members", name, ds, size)
    failed = {f"{r.app_id}/{r.segment_id}": r.reason or "" for r in runs if r.status == "failed"}
    return {"ds": ds, "published": len(members), "members": members, "failed": failed,
            "blocked": sorted(f"{r.app_id}/{r.segment_id}" for r in runs if r.status == "blocked")}


def raise_failed_segments(result: dict) -> None:
    """Fails the run (no retry: the same definitions fail again) naming every failed segment.

    Raises:
        AirflowFailException: e.g. ``1 segment(s) failed on 2026-06-30; the others are published:``
            ``- smartlife/bad_one: <file>:<line>:<column>: <reason>``.
    """
    from airflow.sdk.exceptions import AirflowFailException

    failed = result.get("failed") or {}
    if failed:
        reasons = "\n".join(f"- {name}: {reason}" for name, reason in sorted(failed.items()))
        raise AirflowFailException(
            f"{len(failed)} segment(s) failed on {result['ds']}; the others are published:\n{reasons}")


def landing_wait(ds: str, timeout_minutes: float | None = None):
    """What the landing wait of ds needs: ``None`` when both feeds' ``_SUCCESS`` markers exist,
    else a ``LandingMarkersTrigger`` to defer to (it polls on the triggerer, holding no worker).

    Args:
        timeout_minutes: how long to wait [default: the ``landing_timeout_minutes`` setting, 360].

    Raises:
        SettingError: ``timeout_minutes`` (a run's param) is not a positive number.
    """
    import datetime as dt

    from jobs.markers import missing_markers
    from jobs.triggers import LandingMarkersTrigger

    settings = resolve_settings()
    root = settings.lakehouse_root
    missing = missing_markers(root, ds)
    if not missing:
        log.info("landing of %s is complete: both _SUCCESS markers are there", ds)
        return None
    timeout = (config.positive_number("landing_timeout_minutes", timeout_minutes, "the run's param")
               if timeout_minutes else settings.landing_timeout_minutes)
    poke = settings.landing_poke_seconds
    now = dt.datetime.now(dt.timezone.utc)
    log.info("landing of %s: waiting up to %.1f min for the _SUCCESS marker of %s", ds, timeout, ", ".join(missing))
    return LandingMarkersTrigger(root, ds, deadline=(now + dt.timedelta(minutes=timeout)).isoformat(),
                                 started=now.isoformat(), poke_seconds=poke)


def landing_arrived(event: dict) -> None:
    """Ends the wait on the trigger's event.

    Raises:
        AirflowFailException: the timeout passed; the message names every feed without its marker.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from jobs.markers import missing_message

    if event.get("status") == "complete":
        log.info("landing of %s is complete", event.get("ds"))
        return
    raise AirflowFailException(missing_message(event["ds"], event["missing"], event["waited_seconds"]))


def maintain_lakehouse() -> dict:
    """Compacts, vacuums and checkpoints every table (``jobs.maintain``); returns the sizes."""
    from jobs.maintain import maintain
    from jobs.task_failures import fail_fast

    with fail_fast("maintenance"):
        done = maintain(resolve_settings().lakehouse_root)
    for result in done:
        log.info("maintained %s", result.line())
    return {"tables": len(done), "bytes_before": sum(r.bytes_before for r in done),
            "bytes_after": sum(r.bytes_after for r in done)}
