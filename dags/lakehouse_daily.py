"""
### Lakehouse daily pipeline

One run per date `ds` = the day that has just ended (data interval [ds, ds+1), run after
ds+1 00:00 UTC), each task owning exactly that date (re-runs and backfills are idempotent):

0. **landing** — waits, deferred on the triggerer (no worker slot held), until both feeds'
   `landing/<feed>/dt=<ds>/_SUCCESS` markers exist, up to `landing_timeout_minutes` (param, or
   the Variable of that name; default 360); past it the task fails naming the missing feed.
   Manual runs can skip the wait: param `wait_for_landing=false`.
1. **ingest** — landing files of arrival date `ds` into bronze (users snapshot, events), with
   quarantine and reconciliation in the task log.
2. **labels** — silver for event dates `ds-3..ds` (late events count for their own date),
   then the `ds` partition of `gold.user_labels`.
3. **segments** — every definition in `segment_defs/` evaluated for `ds` into membership,
   changes and runs (param `refresh`: ids of `refresh: once` segments to recompute). A broken
   definition fails alone: **segment_failures** fails the run naming it, after the others are
   published (and their asset event emitted).

Deterministic failures (definition errors, blocked publications, reconciliation failures) fail
the task at once, without retries; anything else (commit conflicts, a lost engine, S3 5xx) is
retried with exponential backoff. Each asset event carries ds and its counts as `extra`.

Backfill a range (scheduler running): `airflow backfill create --dag-id lakehouse_daily
--from-date <first> --to-date <last> --max-active-runs 1`. A date builds on the earlier dates'
state, so runs go one at a time, oldest first.

Configuration (jobs/settings.py, README "Configuration"): Airflow Variables `lakehouse_root`,
`segment_defs`, `lakehouse_expectations`, `landing_timeout_minutes`, `landing_poke_seconds` (or
env `LAKEHOUSE_ROOT`, `SEGMENT_DEFS`, `LAKEHOUSE_EXPECTATIONS`, `LANDING_TIMEOUT_MINUTES`,
`LANDING_POKE_SECONDS`), Connection `spark_connect` (or env `SPARK_REMOTE`); unset = the
defaults (`./lakehouse`, the definitions and suites shipped with the package, in-process Sail).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, BaseOperator, Param, dag, get_current_context, task, task_group
from airflow.timetables.interval import CronDataIntervalTimetable

BRONZE_EVENTS = Asset(name="bronze.events", uri="lakehouse://bronze/events")
BRONZE_USERS = Asset(name="bronze.users", uri="lakehouse://bronze/users")
USER_LABELS = Asset(name="gold.user_labels", uri="lakehouse://gold/user_labels")
SEGMENT_MEMBERSHIP = Asset(name="gold.segment_membership", uri="lakehouse://gold/segment_membership")


class LandingComplete(BaseOperator):
    """Waits for ds's landing markers on the triggerer (deferrable: no worker slot while waiting)."""

    def execute(self, context):
        params = context["params"]
        if not params["wait_for_landing"]:
            self.log.info("wait_for_landing is false: not waiting for the landing markers")
            return
        from jobs.orchestration import landing_wait

        trigger = landing_wait(context["ds"], params["landing_timeout_minutes"])
        if trigger is not None:
            self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context, event=None):
        from jobs.orchestration import landing_arrived

        landing_arrived(event or {})


def _emit(asset: Asset, extra: dict) -> dict:
    """Puts the task's counts on its asset event (and returns them as its XCom)."""
    get_current_context()["outlet_events"][asset].extra = extra
    return extra


@dag(
    dag_id="lakehouse_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["lakehouse", "daily"],
    # retry_delay unset: [core] default_task_retry_delay (300 s), doubled on each try.
    default_args={"retries": 3, "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=30)},
    params={
        "wait_for_landing": Param(True, type="boolean", description="Wait for both feeds' _SUCCESS markers."),
        "landing_timeout_minutes": Param(None, type=["null", "number"], exclusiveMinimum=0,
                                         description="Wait at most this long [default: the Variable, 360]."),
        "refresh": Param([], type="array", items={"type": "string"},
                         description="Ids of refresh: once segments to recompute on this run."),
    },
    doc_md=__doc__,
)
def lakehouse_daily():
    landing = LandingComplete(task_id="landing")

    @task_group(group_id="ingest")
    def ingest():
        @task(outlets=[BRONZE_USERS])
        def users(ds: str | None = None) -> dict:
            from jobs.orchestration import ingest_feed

            return _emit(BRONZE_USERS, ingest_feed("users", ds))

        @task(outlets=[BRONZE_EVENTS])
        def events(ds: str | None = None) -> dict:
            from jobs.orchestration import ingest_feed

            return _emit(BRONZE_EVENTS, ingest_feed("events", ds))

        return [users(), events()]

    @task(outlets=[USER_LABELS])
    def labels(ds: str | None = None) -> dict:
        from jobs.orchestration import build_labels_for

        return _emit(USER_LABELS, build_labels_for(ds))

    @task(outlets=[SEGMENT_MEMBERSHIP])
    def segments(ds: str | None = None, params: dict | None = None) -> dict:
        from jobs.orchestration import evaluate_segments_for

        return _emit(SEGMENT_MEMBERSHIP, evaluate_segments_for(ds, refresh=(params or {}).get("refresh") or ()))

    @task  # fails with AirflowFailException: its retries never apply
    def segment_failures(result: dict) -> None:
        from jobs.orchestration import raise_failed_segments

        raise_failed_segments(result)

    published = segments()
    landing >> ingest() >> labels() >> published
    segment_failures(published)


lakehouse_daily()
