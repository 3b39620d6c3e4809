"""The daily DAG under Airflow 3 through `airflow dags test` (in-process, SQLite metadata, own
Airflow home), the path of `scripts/demo.sh`: one date on small generated data, the exit code, the
recorded run state and the published tables. Consecutive dates, Airflow's own backfill and
identical re-runs are tested with a real scheduler in tests/test_airflow_scheduler.py (7 dates,
backfilled twice)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from airflow_helpers import airflow, airflow_env, assert_published, migrate, rows, run_states

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]  # 2 cores shared: a dags test can take minutes

DAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Generates 5 days of landing files (the labels look back 3 days) and runs the DAG for the last."""
    from jobs.generate import GeneratorConfig, generate

    tmp = tmp_path_factory.mktemp("airflow_e2e")
    lakehouse = tmp / "lakehouse"
    generate(GeneratorConfig(users=80, days=5, end=DAY), str(lakehouse))
    env = airflow_env(tmp / "airflow", lakehouse)
    migrate(env)
    started = time.monotonic()
    done = airflow(env, "dags", "test", "lakehouse_daily", DAY.isoformat(), timeout=900)
    print(f"dags test {DAY}: {time.monotonic() - started:.0f} s")
    return {"lakehouse": lakehouse, "done": done, "states": run_states(env), "env": env}


def test_the_run_succeeds(pipeline):
    done = pipeline["done"]
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert pipeline["states"] == {DAY.isoformat(): "success"}


def test_tables_are_published(pipeline):
    assert_published(pipeline["lakehouse"], DAY)


def _asset_events(env: dict[str, str]) -> list[tuple[str, dict]]:
    """(asset name, extra) of every asset event, oldest first, from the metadata DB."""
    import json
    import sqlite3
    from pathlib import Path

    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as conn:
        found = conn.execute("select a.name, e.extra from asset_event e join asset a on e.asset_id = a.id "
                             "order by e.id").fetchall()
    return [(name, json.loads(extra) if isinstance(extra, str) else extra) for name, extra in found]


def test_asset_events_carry_ds_and_counts(pipeline):
    lakehouse = pipeline["lakehouse"]
    events = dict(_asset_events(pipeline["env"]))
    assert set(events) == {"bronze.users", "bronze.events", "gold.user_labels", "gold.segment_membership"}
    for feed in ("users", "events"):
        extra = events[f"bronze.{feed}"]
        assert extra["ds"] == DAY.isoformat() and extra["feed"] == feed
        assert extra["lines_read"] == extra["accepted"] + extra["duplicates"] + extra["quarantined"] > 0
    assert events["bronze.events"]["rows"] == events["bronze.events"]["accepted"] == len(
        rows(lakehouse, "bronze.events", "dt", DAY))
    labels = rows(lakehouse, "gold.user_labels", "ds", DAY)
    assert events["gold.user_labels"] == {"ds": DAY.isoformat(), "rows": len(labels), "warnings":
                                          events["gold.user_labels"]["warnings"]}
    members: dict[str, int] = {}
    for row in rows(lakehouse, "gold.segment_membership", "ds", DAY):
        members[f"{row['app_id']}/{row['segment_id']}"] = members.get(f"{row['app_id']}/{row['segment_id']}", 0) + 1
    runs = rows(lakehouse, "gold.segment_runs", "ds", DAY)
    extra = events["gold.segment_membership"]
    assert extra["ds"] == DAY.isoformat() and extra["failed"] == {} and extra["blocked"] == []
    assert extra["members"] == {f"{r['app_id']}/{r['segment_id']}": members.get(f"{r['app_id']}/{r['segment_id']}", 0)
                                for r in runs}
    assert extra["published"] == len(runs)


def _task_tries(env: dict[str, str], run_date: dt.date) -> dict[str, tuple[str, int]]:
    """task_id -> (state, try_number) of the newest run of ``run_date``, from the metadata DB."""
    import sqlite3
    from pathlib import Path

    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as conn:
        rows = conn.execute(
            "select t.task_id, t.state, t.try_number from task_instance t join dag_run r on t.run_id = r.run_id "
            "where r.dag_id = 'lakehouse_daily' and substr(r.logical_date, 1, 10) = ? order by r.id",
            (run_date.isoformat(),)).fetchall()
    return {task: (state, tries) for task, state, tries in rows}


# Injected into every Airflow process of the test through $AIRFLOW_HOME/config/airflow_local_settings.py:
# the labels task's first try loses a commit race (the error the writers' retry gives up with).
FLAKY_LABELS = """
import os
from pathlib import Path

__all__: list[str] = []
import jobs.orchestration as _orchestration

_real = _orchestration.build_labels_for


def _flaky(ds):
    flag = Path(os.environ["LAKEHOUSE_TEST_FLAKY_FLAG"])
    if not flag.exists():
        flag.write_text("injected")
        from jobs.publish import CommitConflict

        raise CommitConflict("publish gold.user_labels: a concurrent run won the commit 6 times (injected)")
    return _real(ds)


_orchestration.build_labels_for = _flaky
"""


def test_transient_conflict_is_retried_and_a_definition_error_fails_once(pipeline, tmp_path):
    """Re-runs DAY with a commit conflict injected into the labels task's first try and a broken
    definition: labels succeeds on its second try; segment_failures fails on its first, without
    retry, naming the definition, after the other segments were published."""
    import shutil
    from pathlib import Path

    from airflow_helpers import REPO

    defs = tmp_path / "defs"
    shutil.copytree(REPO / "segment_defs", defs)
    (defs / "smartlife" / "broken.yaml").write_text("id: broken\napp_id: smartlife\nname: [unclosed\n")
    home = tmp_path / "airflow"
    env = airflow_env(home, pipeline["lakehouse"], SEGMENT_DEFS=str(defs),
                      AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY="1",
                      LAKEHOUSE_TEST_FLAKY_FLAG=str(tmp_path / "flaky-injected"))
    (home / "config").mkdir(parents=True)
    (home / "config" / "airflow_local_settings.py").write_text(FLAKY_LABELS)
    migrate(env)
    done = airflow(env, "dags", "test", "lakehouse_daily", DAY.isoformat(), timeout=900)
    assert done.returncode == 1, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (tmp_path / "flaky-injected").exists(), "the conflict was not injected"
    tries = _task_tries(env, DAY)
    assert tries["labels"] == ("success", 2), tries
    assert tries["segments"] == ("success", 1), tries
    assert tries["segment_failures"] == ("failed", 1), tries
    assert "1 segment(s) failed on 2026-06-30; the others are published:" in done.stdout + done.stderr
    assert "- smartlife/broken: " in done.stdout + done.stderr
    runs = {r["segment_id"]: r["status"] for r in rows(pipeline["lakehouse"], "gold.segment_runs", "ds", DAY)}
    assert runs.pop("broken") == "failed"
    assert runs and set(runs.values()) == {"published"}, runs
    # the partly failed segments task still emitted its asset event, for what was published
    extra = dict(_asset_events(env))["gold.segment_membership"]
    assert list(extra["failed"]) == ["smartlife/broken"]
    assert sorted(extra["members"]) == sorted(f"smartlife/{s}" for s in runs)


def test_missing_markers_fail_the_wait_naming_the_feed(tmp_path):
    """A day whose events have a file but no marker (users are marked complete): the wait times
    out naming the events feed, once (no retry), and nothing of that day is ingested."""
    lakehouse = tmp_path / "lakehouse"
    day = DAY + dt.timedelta(days=1)
    folder = lakehouse / "landing" / "events" / f"dt={day.isoformat()}"
    folder.mkdir(parents=True)
    (folder / "part-00000.jsonl").write_text("")
    (lakehouse / "landing" / "users" / f"dt={day.isoformat()}").mkdir(parents=True)
    (lakehouse / "landing" / "users" / f"dt={day.isoformat()}" / "_SUCCESS").write_text("")
    env = airflow_env(tmp_path / "airflow", lakehouse, LANDING_POKE_SECONDS="1")
    migrate(env)
    started = time.monotonic()
    done = airflow(env, "dags", "test", "lakehouse_daily", day.isoformat(), "-c", '{"landing_timeout_minutes": 0.1}',
                   timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-4000:]
    expected = (rf"landing of {day} is not complete after \d+ s: no _SUCCESS marker for events "
                rf"\(landing/events/dt={day}/_SUCCESS\); nothing of {day} was ingested")
    assert re.search(expected, output), output[-4000:]
    tries = _task_tries(env, day)
    assert tries["landing"] == ("failed", 1), tries
    assert tries["ingest.events"][0] == "upstream_failed", tries
    assert not (lakehouse / "bronze" / "events").exists()
    print(f"timed out in {time.monotonic() - started:.0f} s")
