"""The daily DAG under Airflow 3 through `airflow dags test` (in-process, SQLite metadata, own
Airflow home), the path of `scripts/demo.sh`: one date on small generated data, the exit code, the
recorded run state and the published tables. Consecutive dates, Airflow's own backfill and
identical re-runs are tested with a real scheduler in tests/test_airflow_scheduler.py (7 dates,
backfilled twice)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from airflow_helpers import airflow, airflow_env, assert_published, migrate, run_states

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

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
    done = airflow(env, "dags", "test", "lakehouse_daily", DAY.isoformat())
    print(f"dags test {DAY}: {time.monotonic() - started:.0f} s")
    return {"lakehouse": lakehouse, "done": done, "states": run_states(env)}


def test_the_run_succeeds(pipeline):
    done = pipeline["done"]
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert pipeline["states"] == {DAY.isoformat(): "success"}


def test_tables_are_published(pipeline):
    assert_published(pipeline["lakehouse"], DAY)
