"""
### Lakehouse daily pipeline

One run per date `ds`, each task owning exactly that date (re-runs and backfills are idempotent):

1. **ingest** — landing files of arrival date `ds` into bronze (users snapshot, events), with
   quarantine and reconciliation in the task log.
2. **labels** — silver for event dates `ds-3..ds` (late events count for their own date),
   then the `ds` partition of `gold.user_labels`.
3. **segments** — every definition in `segment_defs/` evaluated for `ds` into membership,
   changes and runs. A broken definition fails alone: the task fails naming it after the
   others are published.

A late file for an earlier date is picked up by clearing that date's run (or
`airflow dags test lakehouse_daily <date>`).

Backfill a range (scheduler running): `airflow backfill create --dag-id lakehouse_daily
--from-date <first> --to-date <last> --max-active-runs 1` (re-run it: add
`--reprocess-behavior completed`). A date builds on the earlier dates' state, so runs go one at a
time, oldest first: a backfill's own `--max-active-runs` (default 10) applies, not the DAG's.

Configuration (jobs/settings.py, README "Configuration"): Airflow Variables `lakehouse_root`,
`segment_defs`, `lakehouse_expectations` (or env `LAKEHOUSE_ROOT`, `SEGMENT_DEFS`,
`LAKEHOUSE_EXPECTATIONS`), Connection `spark_connect` (or env `SPARK_REMOTE`); unset = the
defaults (`./lakehouse`, the definitions and suites shipped with the package, in-process Sail).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task, task_group

BRONZE_EVENTS = Asset(name="bronze.events", uri="lakehouse://bronze/events")
BRONZE_USERS = Asset(name="bronze.users", uri="lakehouse://bronze/users")
USER_LABELS = Asset(name="gold.user_labels", uri="lakehouse://gold/user_labels")
SEGMENT_MEMBERSHIP = Asset(name="gold.segment_membership", uri="lakehouse://gold/segment_membership")


@dag(
    dag_id="lakehouse_daily",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["lakehouse", "daily"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    doc_md=__doc__,
)
def lakehouse_daily():
    @task_group(group_id="ingest")
    def ingest():
        @task(outlets=[BRONZE_USERS])
        def users(ds: str | None = None) -> dict:
            from jobs.orchestration import ingest_feed

            return ingest_feed("users", ds)

        @task(outlets=[BRONZE_EVENTS])
        def events(ds: str | None = None) -> dict:
            from jobs.orchestration import ingest_feed

            return ingest_feed("events", ds)

        return [users(), events()]

    @task(outlets=[USER_LABELS])
    def labels(ds: str | None = None) -> None:
        from jobs.orchestration import build_labels_for

        build_labels_for(ds)

    @task(outlets=[SEGMENT_MEMBERSHIP])
    def segments(ds: str | None = None) -> dict:
        from jobs.orchestration import evaluate_segments_for

        return evaluate_segments_for(ds)

    ingest() >> labels() >> segments()


lakehouse_daily()
