"""DagBag checks: every DAG file imports cleanly, cheaply, and declares tags, retries and docs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.dag_ids, "no DAG found"


def test_every_dag_has_tags_retries_and_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert "lakehouse" in dag.tags, dag_id
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


def test_daily_dag_shape(dagbag):
    dag = dagbag.dags["lakehouse_daily"]
    assert {t.task_id for t in dag.tasks} == {"landing", "ingest.users", "ingest.events", "labels", "segments",
                                              "segment_failures"}
    assert dag.get_task("ingest.users").upstream_task_ids == {"landing"}
    assert dag.get_task("ingest.events").upstream_task_ids == {"landing"}
    assert dag.get_task("labels").upstream_task_ids == {"ingest.users", "ingest.events"}
    assert dag.get_task("segments").upstream_task_ids == {"labels"}
    assert dag.get_task("segment_failures").upstream_task_ids == {"segments"}


def test_daily_dag_processes_the_day_that_has_ended(dagbag):
    """The run created at 2026-07-01 00:00 UTC is for ds = 2026-06-30 (data interval [06-30, 07-01))."""
    import datetime as dt

    from airflow.timetables.base import DataInterval
    from airflow.timetables.interval import CronDataIntervalTimetable

    dag = dagbag.dags["lakehouse_daily"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    utc = dt.timezone.utc
    interval = dag.timetable.infer_manual_data_interval(run_after=dt.datetime(2026, 7, 1, 0, 0, tzinfo=utc))
    assert interval == DataInterval(dt.datetime(2026, 6, 30, tzinfo=utc), dt.datetime(2026, 7, 1, tzinfo=utc))


def test_daily_dag_params(dagbag):
    params = dagbag.dags["lakehouse_daily"].params.dump()
    assert params == {"wait_for_landing": True, "landing_timeout_minutes": None, "refresh": []}


def test_fail_fast_and_backoff(dagbag):
    dag = dagbag.dags["lakehouse_daily"]
    for t in dag.tasks:
        assert t.retry_exponential_backoff, t.task_id


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS.glob("*.py")))
def test_dag_file_imports_fast_without_jobs(dag_file, tmp_path):
    """Parsing a DAG file must not import the jobs (Spark, Delta) nor touch the lakehouse."""
    code = (
        "import sys, time, runpy; import airflow.sdk; t = time.perf_counter();"
        f"runpy.run_path({str(DAGS / dag_file)!r});"
        "print(time.perf_counter() - t);"
        "print(sorted(m for m in sys.modules if m == 'jobs' or m.startswith(('jobs.', 'pyspark', 'pysail', 'deltalake'))))"
    )
    env = {"AIRFLOW_HOME": str(tmp_path), "LAKEHOUSE_ROOT": str(tmp_path / "must-not-exist"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split("\n")
    assert float(out[0]) < 2.0, f"{dag_file} took {out[0]}s to import"
    assert out[1] == "[]", f"{dag_file} imported {out[1]} at parse time"
    assert not (tmp_path / "must-not-exist").exists()
