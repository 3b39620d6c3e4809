"""A real Airflow 3 deployment on one machine: API server, scheduler (LocalExecutor) and DAG
processor as separate processes on a SQLite metadata DB, started once for this module.

1. The scheduler creates the daily run itself (the DAG is unpaused at creation, catchup off);
   the run must end in success, with the tables published for its date.
2. Airflow's own backfill (`airflow backfill create`, run by the scheduler) of 3 consecutive
   dates: every run succeeds, one at a time and oldest first, the tables are published for
   every date; the same range backfilled again (`--reprocess-behavior completed`) re-runs every
   task and leaves identical gold tables.
3. A late file for the last date of that range, landed afterwards and picked up by clearing that
   date's run (`airflow tasks clear`): its events reach bronze, silver and the segments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from airflow_helpers import REPO, VENV_BIN, airflow, airflow_env, assert_published, checksums, days, migrate, rows

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
FINISHED = ("success", "failed")
NON_EMPTY = ("gold.user_labels", "gold.segment_membership", "gold.segment_runs")

# $AIRFLOW_HOME/config/airflow_local_settings.py, imported by every Airflow process: the scheduler
# imports the job libraries once, and the LocalExecutor's task processes, forked from it, inherit
# them instead of importing them for each task (about 4 s a task on 2 cores; 3 tasks in a row per
# run, 11 runs). Only a speed-up: the tasks import the same modules themselves.
PRELOAD = """
import sys

__all__: list[str] = []  # no cluster policies here
if sys.argv[1:2] == ["scheduler"]:
    import jobs.bronze, jobs.engine, jobs.labels, jobs.orchestration, jobs.segments, jobs.silver  # noqa: F401
    import pysail.spark, pyspark.sql.connect.session  # noqa: F401
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, log_dir: Path, name: str, *args: str) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "ab")  # a restarted component appends
    return subprocess.Popen([str(VENV_BIN / "airflow"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _query(db: Path, sql: str, *params) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class Deployment:
    env: dict[str, str]
    home: Path
    db: Path
    lakehouse: Path
    today: dt.date
    processes: list[subprocess.Popen]
    scheduled: tuple[str, str] | None  # (logical date, state) of the run the scheduler created
    backfill_first: dt.date
    backfill_last: dt.date
    waiting_day: dt.date  # its landing files exist but no _SUCCESS markers (the upstream is not done)
    timeout_day: dt.date  # events are marked complete, users never will be

    def check_alive(self) -> None:
        for p, name in zip(self.processes, COMPONENTS):
            assert p.poll() is None, f"{name} exited:\n" + (self.home / f"{name}.log").read_text()[-3000:]

    def wait(self, what: str, done, timeout: float, every: float = 2):
        """Polls ``done()`` until it returns something truthy; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            result = done()
            if result:
                return result
            assert time.monotonic() < deadline, f"{what}: not done in {timeout:.0f} s\n{self.task_logs()}"
            time.sleep(every)

    @contextlib.contextmanager
    def writers_stopped(self):
        """Stops the scheduler and the DAG processor for the block, then starts them again (their
        logs are appended to). SQLite has one writer: `airflow backfill create` next to a running
        scheduler failed with "database is locked", Airflow deleted the half-made backfill's runs,
        and the scheduler then died on the deleted DagRun (ObjectDeletedError), in CI."""
        names = ("scheduler", "dag-processor")
        for name in names:
            _stop(self.processes[COMPONENTS.index(name)])
        try:
            yield
        finally:
            for name in names:
                self.processes[COMPONENTS.index(name)] = _start(self.env, self.home, name, name)

    def task_logs(self) -> str:
        logs = "\n".join(p.read_text()[-1500:] for p in sorted((self.home / "logs").rglob("*.log")))
        return logs[-6000:]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Landing files from 10 days ago to tomorrow, the backfill range's arrival dates already in
    bronze, the Airflow components running, and the run the scheduler created by itself finished."""
    from jobs.generate import GeneratorConfig, generate

    # The scheduler creates the run of the latest trigger time before now (catchup off): today,
    # or tomorrow if the test crosses midnight. The backfill range ends 3 days before today.
    today = dt.datetime.now(dt.timezone.utc).date()
    last = today - dt.timedelta(days=3)
    first = last - dt.timedelta(days=2)  # 3 dates, each run twice: enough to show order and idempotence
    tmp = tmp_path_factory.mktemp("airflow_scheduler")
    lakehouse = tmp / "lakehouse"
    # Small populations (segments stay under the size bounds' 50 members on the first days).
    generate(GeneratorConfig(users=80, days=12, end=today + dt.timedelta(days=1)), str(lakehouse))
    waiting_day, timeout_day = last + dt.timedelta(days=1), first - dt.timedelta(days=1)
    for feed in ("events", "users"):
        (lakehouse / "landing" / feed / f"dt={waiting_day.isoformat()}" / "_SUCCESS").unlink()
    (lakehouse / "landing" / "users" / f"dt={timeout_day.isoformat()}" / "_SUCCESS").unlink()

    home = tmp / "airflow"
    dags = tmp / "dags"
    dags.mkdir()
    (dags / "lakehouse_daily.py").symlink_to(REPO / "dags" / "lakehouse_daily.py")
    port = _free_port()
    env = airflow_env(
        home, lakehouse,
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        # SQLite allows one writer at a time; the default 5 s busy timeout is too short on a busy
        # machine (`airflow backfill create` failed with "database is locked" next to the scheduler).
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}?timeout=60",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__API_AUTH__JWT_SECRET="lakehouse-e2e-test-secret",
        AIRFLOW__API__SECRET_KEY="lakehouse-e2e-test-secret",
        LANDING_POKE_SECONDS="2",
        # On a busy machine (2 cores shared) a worker's call to the API server can take longer than
        # the default 5 s; a task that fails on that is retried after 5 s, not 300.
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="60",
        AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY="5",
        # Only the daily DAG: the weekly maintenance DAG would run at once (its latest Sunday) and
        # compact the tables under the daily runs.
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
    )
    # Land the backfill range in bronze first (while Airflow starts): a re-run of a date sees the
    # late events that arrived after its first run (by design its labels change then); with
    # bronze complete up front both backfills read the same inputs and must write the same tables.
    ingest = subprocess.Popen([str(VENV_BIN / "lakehouse"), "ingest", first.isoformat(), "--to", last.isoformat(),
                               "--root", str(lakehouse)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    migrate(env)
    processes: list[subprocess.Popen] = []
    deployed = Deployment(env, home, home / "airflow.db", lakehouse, today, processes, None, first, last,
                          waiting_day, timeout_day)
    started = time.monotonic()
    try:
        processes.append(_start(env, home, "api-server", "api-server", "--port", str(port)))

        def healthy() -> bool:
            assert processes[0].poll() is None, (home / "api-server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as r:
                    return r.status == 200
            except OSError:
                return False

        deadline = time.monotonic() + 240
        while not healthy():
            assert time.monotonic() < deadline, "API server did not answer in 240 s"
            time.sleep(1)
        output, _ = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, output[-3000:]
        (home / "config").mkdir(exist_ok=True)
        (home / "config" / "airflow_local_settings.py").write_text(PRELOAD)
        processes.append(_start(env, home, "scheduler", "scheduler"))
        processes.append(_start(env, home, "dag-processor", "dag-processor"))
        processes.append(_start(env, home, "triggerer", "triggerer"))

        def scheduled_run():
            runs = _query(deployed.db, "select logical_date, state from dag_run "
                                       "where dag_id = 'lakehouse_daily' and run_type = 'scheduled' order by id")
            return runs[0] if runs and runs[0][1] in FINISHED else None

        try:
            deployed.scheduled = deployed.wait("the scheduled run", scheduled_run, timeout=900)
        except AssertionError as error:  # reported by the scheduled-run test; the backfill still runs
            print(error)
        print(f"scheduled run finished after {time.monotonic() - started:.0f} s: {deployed.scheduled}")
        yield deployed
    finally:
        if ingest.poll() is None:
            ingest.kill()
        for p in reversed(processes):
            _stop(p)


def test_scheduler_runs_the_daily_dag(deployment):
    assert deployment.scheduled, "the scheduler created no run (or it did not finish) in 900 s"
    logical, state = deployment.scheduled
    assert state == "success", f"run {logical} ended {state}\n{deployment.task_logs()}"
    ds = dt.date.fromisoformat(str(logical)[:10])
    # the day that has just ended (the data interval [ds, ds+1) before now), not the one beginning
    assert ds < dt.datetime.now(dt.timezone.utc).date(), ds
    assert ds >= deployment.today - dt.timedelta(days=1), ds
    assert_published(deployment.lakehouse, ds)


def _backfill(d: Deployment, reprocess: str) -> int:
    """Creates a backfill of the range (one run at a time) and waits until all its runs finished;
    returns its id."""
    # One backfill per DAG at a time: the scheduler marks the previous one completed (every 30 s).
    d.wait("the previous backfill to be marked completed",
           lambda: not _query(d.db, "select id from backfill where completed_at is null"), timeout=120)
    command = ("backfill", "create", "--dag-id", "lakehouse_daily", "--from-date", d.backfill_first.isoformat(),
               "--to-date", d.backfill_last.isoformat(), "--max-active-runs", "1", "--reprocess-behavior", reprocess)
    for attempt in range(1, 6):
        with d.writers_stopped():
            done = airflow(d.env, *command)
        if done.returncode == 0:
            break
        # On SQLite a write of the scheduler or DAG processor between the command's read and its
        # write fails the command at once ("database is locked", no busy wait: the read snapshot is
        # stale). No run is created or changed; Airflow deletes the partial backfill row, or, when
        # that fails too, the scheduler marks the empty backfill completed after 2 minutes. Retry then.
        output = done.stdout[-3000:] + done.stderr[-3000:]
        assert "database is locked" in output, output
        print(f"backfill create attempt {attempt}: database is locked; retrying")
        d.wait("the failed backfill to be cleaned up",
               lambda: not _query(d.db, "select id from backfill where completed_at is null"), timeout=300)
    assert done.returncode == 0, output
    backfill_id = _query(d.db, "select max(id) from backfill")[0][0]
    assert backfill_id is not None, done.stdout[-3000:]

    expected = days(d.backfill_first, d.backfill_last)

    def finished():
        states = _query(d.db, "select state from dag_run where backfill_id = ?", backfill_id)
        return len(states) == len(expected) and all(s in FINISHED for (s,) in states)

    started = time.monotonic()
    d.wait(f"backfill {backfill_id}", finished, timeout=600, every=3)
    print(f"backfill {backfill_id} ({reprocess}) ran in {time.monotonic() - started:.0f} s")
    return backfill_id


def _runs(d: Deployment, backfill_id: int) -> list[tuple]:
    """(ds, state, run type, first task start, last task end) of the backfill's runs, by date."""
    return _query(d.db, """
        select substr(r.logical_date, 1, 10), r.state, r.run_type, min(t.start_date), max(t.end_date)
        from dag_run r join task_instance t on t.dag_id = r.dag_id and t.run_id = r.run_id
        where r.backfill_id = ? group by r.id order by r.logical_date""", backfill_id)


def _assert_ran_one_at_a_time(d: Deployment, runs: list[tuple], after: str | None = None) -> None:
    dates = [ds for ds, *_ in runs]
    assert dates == [day.isoformat() for day in days(d.backfill_first, d.backfill_last)]
    bad = [r for r in runs if r[1] != "success" or r[2] != "backfill"]
    assert not bad, f"{bad}\n{d.task_logs()}"
    for previous, run in zip(runs, runs[1:]):  # oldest first, never two dates at once
        assert run[3] >= previous[4], f"{run[0]} started before {previous[0]} ended: {runs}"
    if after:
        assert runs[0][3] > after, f"not re-run: tasks of {runs[0][0]} started {runs[0][3]}, before {after}"


def test_backfill_and_rerun_leave_identical_tables(deployment):
    d = deployment
    range_days = days(d.backfill_first, d.backfill_last)
    first_id = _backfill(d, "none")
    first_runs = _runs(d, first_id)
    _assert_ran_one_at_a_time(d, first_runs)
    for day in range_days:
        assert_published(d.lakehouse, day)
    first = checksums(d.lakehouse, range_days)
    assert all(first[name, day][0] > 0 for name in NON_EMPTY for day in range_days), first

    rerun_id = _backfill(d, "completed")
    assert rerun_id != first_id
    _assert_ran_one_at_a_time(d, _runs(d, rerun_id), after=first_runs[-1][4])
    assert checksums(d.lakehouse, range_days) == first


def _late_candidate(lakehouse: Path, day: dt.date) -> str | None:
    """A user who misses only a device card tap on ``day`` to be in gateway_owners_active
    (has a gateway, consents, not in churn_stage, not a member), or None."""
    def members(segment: str) -> set[str]:
        return {r["uid"] for r in rows(lakehouse, "gold.segment_membership", "ds", day) if r["segment_id"] == segment}

    labels = rows(lakehouse, "gold.user_labels", "ds", day)
    ready = sorted(r["uid"] for r in labels if r["app_id"] == "smartlife" and r["has_gateway"] and r["accept_marketing"])
    left = [u for u in ready if u not in members("churn_stage") | members("gateway_owners_active")]
    return left[0] if left else None


def _taps(lakehouse: Path, day: dt.date, uid: str) -> int:
    return sum(r["events"] for r in rows(lakehouse, "silver.user_daily_events", "event_date", day)
               if r["uid"] == uid and r["event"] == "device_card_tap")


def test_a_late_file_is_picked_up_by_clearing_its_date(deployment):
    d, day = deployment, deployment.backfill_last
    runs = _query(d.db, "select run_id, state from dag_run where dag_id = 'lakehouse_daily' "
                        "and substr(logical_date, 1, 10) = ? order by id desc", day.isoformat())
    assert runs and runs[0][1] == "success", f"no successful run of {day} to re-run (the backfill test runs first): {runs}"
    bronze_before = {r["event_id"] for r in rows(d.lakehouse, "bronze.events", "dt", day)}
    candidate = _late_candidate(d.lakehouse, day)
    would_join = candidate is not None
    uid = candidate or sorted(r["uid"] for r in rows(d.lakehouse, "gold.user_labels", "ds", day))[0]
    taps_before = _taps(d.lakehouse, day, uid)
    print(f"late taps for a user who {'would' if would_join else 'would not'} join gateway_owners_active")
    noon = int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
    late = [{"event_id": f"late-tap-{i}", "app_id": "smartlife", "ts": noon + i, "uid": uid, "platform": "android",
             "app_version": "5.11.1", "phone_model": "M2102K1C", "event": "device_card_tap", "props": {}}
            for i in range(2)]
    (d.lakehouse / "landing" / "events" / f"dt={day.isoformat()}" / "part-late.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in late))
    cleared_at = _query(d.db, "select max(end_date) from task_instance where run_id = ?", runs[0][0])[0][0]

    done = airflow(d.env, "tasks", "clear", "lakehouse_daily", "-s", day.isoformat(), "-e", day.isoformat(), "-y")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    def rerun_finished():
        state = _query(d.db, "select state from dag_run where run_id = ?", runs[0][0])[0][0]
        ends = _query(d.db, "select count(*), min(end_date) from task_instance where run_id = ?", runs[0][0])[0]
        return state in FINISHED and ends[1] is not None and ends[1] > cleared_at and state

    assert d.wait(f"the cleared run of {day}", rerun_finished, timeout=300) == "success", d.task_logs()
    bronze_after = {r["event_id"] for r in rows(d.lakehouse, "bronze.events", "dt", day)}
    assert bronze_after - bronze_before == {"late-tap-0", "late-tap-1"}
    assert _taps(d.lakehouse, day, uid) == taps_before + 2
    assert_published(d.lakehouse, day)
    if would_join:  # the generated data usually has such a user; the taps then make them a member
        active = {r["uid"] for r in rows(d.lakehouse, "gold.segment_membership", "ds", day)
                  if r["segment_id"] == "gateway_owners_active"}
        assert uid in active


def _trigger(d: Deployment, day: dt.date, conf: dict) -> str:
    done = airflow(d.env, "dags", "trigger", "lakehouse_daily", "--logical-date", f"{day.isoformat()}T00:00:00+00:00",
                   "-c", json.dumps(conf), "-o", "json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    d.wait(f"the run of {day}", lambda: _query(d.db, "select run_id from dag_run where dag_id = 'lakehouse_daily' "
                                                     "and run_type = 'manual' and substr(logical_date, 1, 10) = ?",
                                               day.isoformat()), timeout=60)
    return _query(d.db, "select run_id from dag_run where run_type = 'manual' and substr(logical_date, 1, 10) = ?",
                  day.isoformat())[0][0]


def _task_state(d: Deployment, run_id: str, task_id: str) -> str | None:
    found = _query(d.db, "select state from task_instance where run_id = ? and task_id = ?", run_id, task_id)
    return found[0][0] if found else None


def _run_state(d: Deployment, run_id: str) -> str | None:
    found = _query(d.db, "select state from dag_run where run_id = ?", run_id)
    return found[0][0] if found else None


def test_a_run_waits_for_the_markers_on_the_triggerer(deployment):
    """The run of a day whose landing files exist but whose markers do not: the landing task is
    deferred (a trigger on the triggerer, no worker slot held), nothing of the day is ingested;
    once the upstream writes both markers the run completes and publishes the day."""
    d, day = deployment, deployment.waiting_day
    run_id = _trigger(d, day, {"landing_timeout_minutes": 15})
    d.wait("the landing task to be deferred", lambda: _task_state(d, run_id, "landing") == "deferred", timeout=180)
    triggers = _query(d.db, "select t.classpath, t.triggerer_id from task_instance ti join trigger t "
                            "on ti.trigger_id = t.id where ti.run_id = ? and ti.task_id = 'landing'", run_id)
    assert triggers and triggers[0][0] == "jobs.triggers.LandingMarkersTrigger", triggers
    d.wait("the triggerer to pick the trigger up", lambda: _query(
        d.db, "select t.triggerer_id from task_instance ti join trigger t on ti.trigger_id = t.id "
              "where ti.run_id = ? and t.triggerer_id is not null", run_id), timeout=60)
    time.sleep(10)  # several looks at the landing later: still waiting, still nothing ingested
    assert _task_state(d, run_id, "landing") == "deferred"
    assert _query(d.db, "select count(*) from task_instance where run_id = ? and state in ('running', 'queued')",
                  run_id)[0][0] == 0, "a task holds a worker slot while the run waits"
    assert _task_state(d, run_id, "ingest.events") in (None, "none", "scheduled"), _task_state(d, run_id, "ingest.events")
    assert not rows(d.lakehouse, "bronze.events", "dt", day)
    assert not rows(d.lakehouse, "bronze.users", "dt", day)

    for feed in ("events", "users"):
        (d.lakehouse / "landing" / feed / f"dt={day.isoformat()}" / "_SUCCESS").write_text("")
    assert d.wait(f"the run of {day}", lambda: _run_state(d, run_id) in FINISHED and _run_state(d, run_id),
                  timeout=400) == "success", d.task_logs()
    assert_published(d.lakehouse, day)


def test_a_wait_past_its_timeout_fails_naming_the_feed(deployment):
    """Events are marked complete, users never are: after the timeout the landing task fails
    (once: no retry) naming the users feed, and the day is not ingested."""
    d, day = deployment, deployment.timeout_day
    run_id = _trigger(d, day, {"landing_timeout_minutes": 0.25})
    assert d.wait(f"the run of {day}", lambda: _run_state(d, run_id) in FINISHED and _run_state(d, run_id),
                  timeout=300) == "failed"
    assert _query(d.db, "select state, try_number from task_instance where run_id = ? and task_id = 'landing'",
                  run_id) == [("failed", 1)]
    assert _task_state(d, run_id, "ingest.users") == "upstream_failed"
    logs = "\n".join(p.read_text() for p in (d.home / "logs").rglob("*.log") if run_id in str(p) or "landing" in str(p))
    assert (f"no _SUCCESS marker for users (landing/users/dt={day.isoformat()}/_SUCCESS); "
            f"nothing of {day.isoformat()} was ingested") in logs, logs[-3000:]
    assert not rows(d.lakehouse, "bronze.users", "dt", day)
