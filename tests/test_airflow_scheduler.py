"""A real Airflow 3 deployment on one machine: API server, scheduler (LocalExecutor) and DAG
processor as separate processes on a SQLite metadata DB. The scheduler creates the daily run
itself (the DAG is unpaused at creation, catchup off) and the run must end in success, with the
tables published for its date."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from airflow_helpers import VENV_BIN, airflow_env, assert_published, migrate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, log_dir: Path, name: str, *args: str) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "wb")
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


def _runs(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(
            "select logical_date, state from dag_run where dag_id = 'lakehouse_daily' order by id"
        ).fetchall()


def test_scheduler_runs_the_daily_dag(tmp_path):
    from jobs.generate import GeneratorConfig, generate

    # The scheduler creates the run of the latest trigger time before now (catchup off):
    # landing files from two days ago to tomorrow cover it, even if the test crosses midnight.
    today = dt.datetime.now(dt.timezone.utc).date()
    lakehouse = tmp_path / "lakehouse"
    generate(GeneratorConfig(users=300, days=4, end=today + dt.timedelta(days=1)), str(lakehouse))

    home = tmp_path / "airflow"
    port = _free_port()
    env = airflow_env(
        home, lakehouse,
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__API_AUTH__JWT_SECRET="lakehouse-e2e-test-secret",
        AIRFLOW__API__SECRET_KEY="lakehouse-e2e-test-secret",
    )
    migrate(env)
    db = home / "airflow.db"
    processes: list[subprocess.Popen] = []
    started = time.monotonic()
    try:
        processes.append(_start(env, home, "api-server", "api-server", "--port", str(port)))
        deadline = time.monotonic() + 120
        while True:
            assert processes[0].poll() is None, (home / "api-server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "API server did not answer in 120 s"
            time.sleep(2)
        processes.append(_start(env, home, "scheduler", "scheduler"))
        processes.append(_start(env, home, "dag-processor", "dag-processor"))

        deadline = time.monotonic() + 300
        runs: list[tuple[str, str]] = []
        while time.monotonic() < deadline:
            for p, name in zip(processes, ("api-server", "scheduler", "dag-processor")):
                assert p.poll() is None, f"{name} exited:\n" + (home / f"{name}.log").read_text()[-3000:]
            runs = _runs(db)
            if runs and runs[0][1] in ("success", "failed"):
                break
            time.sleep(3)
        print(f"scheduler run finished after {time.monotonic() - started:.0f} s: {runs}")
        assert runs, "the scheduler created no run in 300 s"
        logical, state = runs[0]
        task_logs = "\n".join(p.read_text()[-1500:] for p in sorted((home / "logs").rglob("*.log")))
        assert state == "success", f"run {logical} ended {state}\n{task_logs[-6000:]}"
        ds = dt.date.fromisoformat(str(logical)[:10])
        assert today - dt.timedelta(days=1) <= ds <= today + dt.timedelta(days=1)
        assert_published(lakehouse, ds)
    finally:
        for p in reversed(processes):
            _stop(p)
