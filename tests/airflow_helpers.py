"""Helpers of the Airflow end-to-end tests: a throwaway Airflow home, CLI runs, published tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def airflow_env(home: Path, lakehouse: Path, **extra: str) -> dict[str, str]:
    """The environment of every airflow command: own home and SQLite DB, this repo's dags/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        LAKEHOUSE_ROOT=str(lakehouse),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    )
    env.pop("SPARK_REMOTE", None)
    env.update(extra)
    return env


def airflow(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(REPO))


def migrate(env: dict[str, str]) -> None:
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    done = airflow(env, "db", "migrate")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def run_states(env: dict[str, str]) -> dict[str, str]:
    """logical date (YYYY-MM-DD) -> state of the newest run, from `airflow dags list-runs`."""
    done = airflow(env, "dags", "list-runs", "lakehouse_daily", "-o", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    # warnings (e.g. graphviz missing) are printed on stdout before the JSON line
    runs = json.loads([line for line in done.stdout.splitlines() if line.startswith("[")][-1])
    states: dict[str, str] = {}
    for run in sorted(runs, key=lambda r: r["run_after"]):
        states[run["logical_date"][:10]] = run["state"]
    return states


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _table(lakehouse: Path, name: str):
    from deltalake import DeltaTable

    layer, _, table = name.partition(".")
    return DeltaTable(str(lakehouse / layer / table))


def rows(lakehouse: Path, name: str, column: str, day: dt.date) -> list[dict]:
    return _table(lakehouse, name).to_pyarrow_table(filters=[(column, "=", day)]).to_pylist()


RUN_TIMESTAMPS = {"started_at", "finished_at"}

# Every gold table a run replaces its ds partition of. Left out: gold.check_results and
# gold.publications, append-only logs that gain rows on every run by design.
GOLD_TABLES = ("gold.user_labels", "gold.segment_membership", "gold.segment_changes", "gold.segment_runs",
               "gold.segment_import_failures")


def checksum(lakehouse: Path, name: str, day: dt.date) -> tuple[int, str]:
    """(rows, sha256) of one ds partition, order-independent, run timestamps left out."""
    lines = sorted(
        json.dumps({k: v for k, v in row.items() if k not in RUN_TIMESTAMPS}, sort_keys=True, default=str)
        for row in rows(lakehouse, name, "ds", day)
    )
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def checksums(lakehouse: Path, dates: list[dt.date], tables: tuple[str, ...] = GOLD_TABLES) -> dict:
    """(table, ds) -> checksum for every table and date; a table never written counts as empty."""
    return {(name, day): checksum(lakehouse, name, day) if (lakehouse / name.replace(".", "/")).exists()
            else (0, "") for name in tables for day in dates}


def assert_published(lakehouse: Path, day: dt.date) -> None:
    """Ingestion reconciles, labels exist, and every segment has a published run whose
    member_count equals its membership rows, for ``day``."""
    from jobs.bronze.report import recorded_reports

    reports = recorded_reports(str(lakehouse), day, day)
    assert sorted(r.feed for r in reports) == ["events", "users"], f"{day}: {reports}"
    for report in reports:
        assert report.reconciles(), report
        assert report.lines_read > 0, report
    assert rows(lakehouse, "gold.user_labels", "ds", day), f"no labels on {day}"
    runs = rows(lakehouse, "gold.segment_runs", "ds", day)
    assert runs, f"no segment run on {day}"
    members: dict[tuple[str, str], int] = {}
    for row in rows(lakehouse, "gold.segment_membership", "ds", day):
        key = (row["app_id"], row["segment_id"])
        members[key] = members.get(key, 0) + 1
    for run in runs:
        key = (run["app_id"], run["segment_id"])
        assert run["status"] == "published", run
        assert run["member_count"] == members.get(key, 0), (key, run["member_count"], members.get(key, 0))
    assert len({(r["app_id"], r["segment_id"]) for r in runs}) == len(runs), "duplicate run rows"
