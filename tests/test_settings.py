"""One settings object: precedence (Airflow, environment, defaults), the shipped defaults, and
SEGMENT_DEFS / LAKEHOUSE_EXPECTATIONS honoured by the CLI and by the DAG tasks' code path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jobs import orchestration
from jobs import settings as config
from jobs.resources import shipped, shipped_path

REPO = Path(__file__).resolve().parents[1]

GATEWAY_ONLY = """\
id: gateway_only
app_id: smartlife
name: Gateway owners (the only definition)
description: Users with a gateway
marketing_consent: ignore
rule: {type: label, label: has_gateway, op: eq, value: true}
"""


def test_environment_then_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    resolved = config.resolve(environ={"SEGMENT_DEFS": "defs", "SPARK_REMOTE": "sc://engine:15002"})
    assert resolved == config.Settings(
        lakehouse_root=str(tmp_path / "lakehouse"),
        segment_defs=str(tmp_path / "defs"),
        expectations=shipped_path("expectations"),
        spark_remote="sc://engine:15002",
    )
    assert [resolved.source(n) for n in config.ENVIRONMENT] == [
        "default ./lakehouse", "env SEGMENT_DEFS", "default: shipped with the package", "env SPARK_REMOTE",
        "default", "default"]
    assert (resolved.landing_timeout_minutes, resolved.landing_poke_seconds) == (360.0, 60.0)


def test_the_landing_wait_settings_are_positive_numbers_from_airflow_or_the_environment():
    env = {"LANDING_TIMEOUT_MINUTES": "90", "LANDING_POKE_SECONDS": "2.5"}
    assert (config.resolve(environ=env).landing_timeout_minutes, config.resolve(environ=env).landing_poke_seconds) == (90.0, 2.5)
    from_airflow = config.resolve(environ=env, airflow={"landing_timeout_minutes": "15"}.get)
    assert from_airflow.landing_timeout_minutes == 15.0
    assert from_airflow.source("landing_timeout_minutes") == "Airflow Variable landing_timeout_minutes"
    assert from_airflow.source("landing_poke_seconds") == "env LANDING_POKE_SECONDS"
    for bad in ("soon", "0", "-5", "inf", "nan"):
        with pytest.raises(config.SettingError) as error:
            config.resolve(environ={"LANDING_TIMEOUT_MINUTES": bad})
        assert str(error.value) == (
            f"setting landing_timeout_minutes (env LANDING_TIMEOUT_MINUTES) must be a positive number, got {bad!r}")
    with pytest.raises(config.SettingError, match=r"^setting landing_poke_seconds \(Airflow Variable "
                                                  r"landing_poke_seconds\) must be a positive number, got 'x'$"):
        config.resolve(environ={}, airflow={"landing_poke_seconds": "x"}.get)


def test_a_setting_that_cannot_be_used_is_a_usage_error_of_every_command(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "jobs.cli", "segments", "--root", str(tmp_path)],
                         capture_output=True, text=True, env={**os.environ, "LANDING_POKE_SECONDS": "often"})
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == "error: setting landing_poke_seconds (env LANDING_POKE_SECONDS) must be a positive number, got 'often'\n"


def test_airflow_variables_and_connection_win_over_the_environment(tmp_path):
    variables = {"lakehouse_root": "s3://bucket/prefix/", "segment_defs": str(tmp_path / "af_defs"),
                 "lakehouse_expectations": str(tmp_path / "af_checks")}
    env = {"LAKEHOUSE_ROOT": "/env/root", "SEGMENT_DEFS": "/env/defs", "LAKEHOUSE_EXPECTATIONS": "/env/checks",
           "SPARK_REMOTE": "sc://env:1"}
    resolved = config.resolve(environ=env, airflow=variables.get, spark_connection=lambda: "sc://airflow:15002")
    assert (resolved.lakehouse_root, resolved.segment_defs, resolved.expectations, resolved.spark_remote) == (
        "s3://bucket/prefix", str(tmp_path / "af_defs"), str(tmp_path / "af_checks"), "sc://airflow:15002")
    assert resolved.source("segment_defs") == "Airflow Variable segment_defs"
    assert resolved.source("spark_remote") == "Airflow Connection spark_connect"
    # An Airflow Variable that is not set falls through to the environment.
    partial = config.resolve(environ=env, airflow={}.get, spark_connection=lambda: None)
    assert (partial.lakehouse_root, partial.segment_defs, partial.spark_remote) == ("/env/root", "/env/defs", "sc://env:1")


def test_command_line_options_override_and_say_so(tmp_path):
    base = config.resolve(environ={"SEGMENT_DEFS": "/env/defs"})
    given = base.with_overrides(lakehouse_root=str(tmp_path), segment_defs=None)
    assert (given.lakehouse_root, given.segment_defs) == (str(tmp_path), "/env/defs")
    assert (given.source("lakehouse_root"), given.source("segment_defs")) == ("command line", "env SEGMENT_DEFS")


def test_the_shipped_defaults_are_package_data():
    assert Path(shipped_path("segment_defs"), "_predefined", "accept_marketing.yaml").is_file()
    assert Path(shipped_path("expectations"), "bounds.yml").is_file()
    assert '"$schema"' in shipped("schemas/segment.schema.json").read_text(encoding="utf-8")


def test_library_defaults_read_the_active_settings(tmp_path, monkeypatch):
    from jobs.quality.suites import default_directory, load_suites

    checks = tmp_path / "checks"
    checks.mkdir()
    shutil.copy(REPO / "expectations" / "user_labels.yml", checks)
    monkeypatch.delenv("LAKEHOUSE_EXPECTATIONS", raising=False)
    assert default_directory() == Path(shipped_path("expectations"))
    with config.active(config.Settings(expectations=str(checks))):
        assert list(load_suites()) == ["gold.user_labels"]
    monkeypatch.setenv("LAKEHOUSE_EXPECTATIONS", str(checks))
    assert default_directory() == checks


def test_a_task_resolves_airflow_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGMENT_DEFS", "/env/defs")
    monkeypatch.setattr(orchestration, "_airflow_variable", {"segment_defs": str(tmp_path)}.get)
    monkeypatch.setattr(orchestration, "_airflow_spark_url", lambda conn_id="spark_connect": None)
    assert orchestration.segment_defs_dir() == str(tmp_path)
    assert orchestration.resolve_settings().source("segment_defs") == "Airflow Variable segment_defs"


@pytest.fixture
def only_gateway(tmp_path):
    defs = tmp_path / "defs"
    (defs / "smartlife").mkdir(parents=True)
    (defs / "smartlife" / "gateway_only.yaml").write_text(GATEWAY_ONLY, encoding="utf-8")
    return defs


def _published_segments(root: str, ds: str) -> set[str]:
    import datetime as dt

    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_SEGMENT_RUNS

    runs = read_arrow(GOLD_SEGMENT_RUNS, root).to_pylist()
    day = dt.date.fromisoformat(ds)
    latest = max(r["finished_at"] for r in runs if r["ds"] == day)
    return {r["segment_id"] for r in runs if r["ds"] == day and r["finished_at"] == latest and r["status"] == "published"}


def test_the_dag_task_code_path_evaluates_the_segment_defs_folder(sample_lake, only_gateway, tmp_path, monkeypatch):
    root = str(tmp_path / "lake")
    shutil.copytree(sample_lake, root)
    monkeypatch.setenv("LAKEHOUSE_ROOT", root)
    monkeypatch.setenv("SEGMENT_DEFS", str(only_gateway))
    extra = orchestration.evaluate_segments_for("2026-06-30")
    assert list(extra["members"]) == ["smartlife/gateway_only"] and extra["failed"] == {}
    assert _published_segments(root, "2026-06-30") == {"gateway_only"}
