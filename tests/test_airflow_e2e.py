"""The daily DAG end to end under Airflow 3 (`airflow dags test`, SQLite metadata, own Airflow home):
three consecutive dates, the exit code and the recorded run state of each, the published tables,
then the same dates again (a re-run of a backfill) giving identical gold tables. Backfill here is
the per-date `dags test` loop, oldest date first."""

from __future__ import annotations

import datetime as dt
import subprocess
import time

import pytest

from airflow_helpers import VENV_BIN, airflow, airflow_env, assert_published, checksum, days, migrate, run_states

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FIRST, LAST = dt.date(2026, 6, 28), dt.date(2026, 6, 30)
GOLD = ("gold.user_labels", "gold.segment_membership", "gold.segment_changes")


def _run_dates(env) -> list[float]:
    seconds = []
    for day in days(FIRST, LAST):
        started = time.monotonic()
        done = airflow(env, "dags", "test", "lakehouse_daily", day.isoformat())
        seconds.append(time.monotonic() - started)
        assert done.returncode == 0, f"{day}: exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return seconds


def _checksums(lakehouse) -> dict:
    return {(name, day): checksum(lakehouse, name, day) for name in GOLD for day in days(FIRST, LAST)}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Generates 5 days of landing files, runs the DAG for the last 3 dates, then again."""
    from jobs.generate import GeneratorConfig, generate

    tmp = tmp_path_factory.mktemp("airflow_e2e")
    lakehouse = tmp / "lakehouse"
    generate(GeneratorConfig(users=300, days=5, end=LAST), str(lakehouse))
    env = airflow_env(tmp / "airflow", lakehouse)
    migrate(env)
    # Land every date in bronze first: a re-run of a date sees the late events that arrived after
    # its first run (they count for their own event date, so its labels change, by design). With
    # bronze complete up front, both passes read the same inputs and must write the same tables.
    done = subprocess.run([str(VENV_BIN / "lakehouse"), "ingest", FIRST.isoformat(), "--to", LAST.isoformat(),
                           "--root", str(lakehouse)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    first_seconds = _run_dates(env)
    states_first = run_states(env)
    first = _checksums(lakehouse)
    rerun_seconds = _run_dates(env)
    states_rerun = run_states(env)
    print(f"dags test seconds: first {[round(s) for s in first_seconds]}, re-run {[round(s) for s in rerun_seconds]}")
    return {"lakehouse": lakehouse, "first": first, "rerun": _checksums(lakehouse),
            "states_first": states_first, "states_rerun": states_rerun}


def test_every_date_runs_to_success(pipeline):
    for states in (pipeline["states_first"], pipeline["states_rerun"]):
        assert {d.isoformat(): states.get(d.isoformat()) for d in days(FIRST, LAST)} == {
            d.isoformat(): "success" for d in days(FIRST, LAST)
        }


def test_tables_are_published_for_every_date(pipeline):
    for day in days(FIRST, LAST):
        assert_published(pipeline["lakehouse"], day)


def test_rerunning_the_dates_gives_identical_gold_tables(pipeline):
    first, rerun = pipeline["first"], pipeline["rerun"]
    assert all(count > 0 for (name, _), (count, _) in first.items() if name != "gold.segment_changes")
    assert rerun == first
