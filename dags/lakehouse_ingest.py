"""
### Lakehouse ingestion

Ingests one arrival date (`ds`) of landing files into the bronze Delta tables:
`landing/users/dt=ds` (the daily user snapshot) and `landing/events/dt=ds` (events).
Every rejected line lands in a quarantine table with its file, line number and reason; the
task log prints the reconciliation (lines read = accepted + duplicates + quarantined).
Re-running a date replaces exactly that date: it is idempotent.

Configuration: Airflow Variable `lakehouse_root` (or env `LAKEHOUSE_ROOT`; default `./lakehouse`)
and Connection `spark_connect` (or env `SPARK_REMOTE`; default: the embedded engine).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task

BRONZE_EVENTS = Asset(name="bronze.events", uri="lakehouse://bronze/events")
BRONZE_USERS = Asset(name="bronze.users", uri="lakehouse://bronze/users")


@dag(
    dag_id="lakehouse_ingest",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["lakehouse", "bronze", "ingestion"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    doc_md=__doc__,
)
def lakehouse_ingest():
    @task(outlets=[BRONZE_USERS])
    def ingest_users(ds: str | None = None) -> dict:
        from jobs.orchestration import ingest_feed

        return ingest_feed("users", ds)

    @task(outlets=[BRONZE_EVENTS])
    def ingest_events(ds: str | None = None) -> dict:
        from jobs.orchestration import ingest_feed

        return ingest_feed("events", ds)

    ingest_users()
    ingest_events()


lakehouse_ingest()
