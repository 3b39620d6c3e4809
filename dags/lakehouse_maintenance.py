"""
### Lakehouse weekly maintenance

Once a week (Sunday 03:00 UTC, after the daily run of Saturday has had three hours), with
delta-rs on every Delta table and its staging twin (`lakehouse maintain` does the same):

- **compaction** of small files per partition (each daily re-run adds files), except on the
  tables readers read at the versions gold.publications records (labels, segment outputs),
- **vacuum** of files removed more than 7 days ago (published tables; 24 h for staging twins),
  so readers mid-read and time travel within 7 days keep working,
- **staging clean-up**: staged partitions older than 7 days before the newest staged ds,
- a **checkpoint** and log clean-up (log kept 30 days; not on the recorded-version tables), and the table properties
  `delta.checkpointInterval`, `delta.logRetentionDuration`, `delta.deletedFileRetentionDuration`.

Compaction and vacuum are commits: run them when no backfill writes (a daily commit that loses the
race is retried). Settings as the daily DAG (`lakehouse_root`); docs/maintenance.md.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable


@dag(
    dag_id="lakehouse_maintenance",
    # No start_date: the first run is the next Sunday, not one at once on deployment (which could
    # compact tables under a running backfill).
    schedule=CronTriggerTimetable("0 3 * * 0", timezone="UTC", run_immediately=False),
    catchup=False,
    max_active_runs=1,
    tags=["lakehouse", "maintenance"],
    default_args={"retries": 2, "retry_exponential_backoff": 2.0},
    doc_md=__doc__,
)
def lakehouse_maintenance():
    @task
    def maintain() -> dict:
        from jobs.orchestration import maintain_lakehouse

        return maintain_lakehouse()

    maintain()


lakehouse_maintenance()
