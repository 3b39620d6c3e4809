"""`lakehouse doctor` and SEGMENT_DEFS through the real command line (a subprocess each)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.resources import shipped_path
from jobs.segments.sources import definition_files

REPO = Path(__file__).resolve().parents[1]
SETTING_VARIABLES = ("LAKEHOUSE_ROOT", "SEGMENT_DEFS", "LAKEHOUSE_EXPECTATIONS", "SPARK_REMOTE")


def lakehouse(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES} | (env or {})
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=600)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


def _present_tables(root: str) -> list[str]:
    from jobs.doctor import registry

    return [t.name for t in registry() if Path(t.location(root), "_delta_log").is_dir()]


def test_doctor_passes_on_a_lakehouse_the_pipeline_wrote(sample_lake):
    out = lakehouse("doctor", "--root", sample_lake)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[:6] == [
        f"lakehouse root  {sample_lake}  (command line)",
        f"definitions     {shipped_path('segment_defs')}  (default: shipped with the package)",
        f"expectations    {shipped_path('expectations')}  (default: shipped with the package)",
        "engine          embedded Sail (in-process)  (default: embedded)",
        "landing wait    up to 360 minutes  (default)",
        "landing poke    every 60 s  (default)",
    ]
    lines = lines[2:]  # the checks below are numbered as before the landing settings were listed
    assert lines[4] == f"ok: lakehouse root: {sample_lake} is a writable folder"
    files = len(definition_files(shipped_path("segment_defs")))
    assert lines[5] == f"ok: definitions: {files} definition files under {shipped_path('segment_defs')} (`lakehouse validate` checks them)"
    assert lines[6] == f"ok: expectations: 4 suites and bounds for 4 tables under {shipped_path('expectations')}"
    assert lines[7].startswith("ok: engine: embedded Sail answered SELECT 1 in ")
    present = _present_tables(sample_lake)
    assert len(present) >= 10
    assert lines[8] == f"ok: delta tables: {len(present)} of {len(present)} present tables readable with delta-rs"
    assert lines[-1] == "all checks passed"


def test_doctor_names_every_problem_on_stderr(sample_lake, tmp_path):
    from deltalake import DeltaTable

    root = str(tmp_path / "lake")
    shutil.copytree(sample_lake, root)
    runs = f"{root}/gold/segment_runs"
    data_file = DeltaTable(runs).file_uris()[0]
    os.remove(data_file.removeprefix("file://"))
    checks = tmp_path / "no_suites"
    checks.mkdir()
    port = _closed_port()
    env = {"LAKEHOUSE_ROOT": root, "SEGMENT_DEFS": str(tmp_path / "no_such_defs"),
           "LAKEHOUSE_EXPECTATIONS": str(checks), "SPARK_REMOTE": f"sc://127.0.0.1:{port}",
           "LANDING_TIMEOUT_MINUTES": "90", "LANDING_POKE_SECONDS": "0.5"}
    out = lakehouse("doctor", env=env)
    assert out.returncode == 1
    assert out.stdout.splitlines()[:6] == [
        f"lakehouse root  {root}  (env LAKEHOUSE_ROOT)",
        f"definitions     {tmp_path}/no_such_defs  (env SEGMENT_DEFS)",
        f"expectations    {checks}  (env LAKEHOUSE_EXPECTATIONS)",
        f"engine          sc://127.0.0.1:{port}  (env SPARK_REMOTE)",
        "landing wait    up to 90 minutes  (env LANDING_TIMEOUT_MINUTES)",
        "landing poke    every 0.5 s  (env LANDING_POKE_SECONDS)",
    ]
    assert f"ok: lakehouse root: {root} is a writable folder" in out.stdout
    present = len(_present_tables(root))
    errors = out.stderr.splitlines()
    assert errors[:5] == [
        f"error: definitions: the definitions folder {tmp_path}/no_such_defs does not exist or is not a folder",
        f"error: expectations: no expectation suite (*.yml) under {checks}",
        f"error: engine: sc://127.0.0.1:{port} does not answer on 127.0.0.1:{port}: Connection refused",
        f"error: delta tables: {present - 1} of {present} present tables readable with delta-rs",
        errors[4],
    ]
    assert errors[4].startswith(f"error: table gold.segment_runs: {runs} is not readable: ")
    assert errors[5:] == ["5 problem(s): definitions, expectations, engine, delta tables, table gold.segment_runs"]
    assert "Traceback" not in out.stderr


def test_doctor_refuses_a_root_that_is_a_file_and_remote_definitions(tmp_path):
    root = tmp_path / "root"
    root.write_text("not a folder")
    out = lakehouse("doctor", "--root", str(root), "--defs", "s3://bucket/defs")
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        f"error: lakehouse root: {root} exists and is not a folder",
        "error: definitions: the definitions folder must be a local folder, not s3://bucket/defs",
        "2 problem(s): lakehouse root, definitions",
    ]


@pytest.fixture
def moto_s3():
    import boto3
    from moto.server import ThreadedMotoServer

    port = _closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket="lake")
    client.put_object(Bucket="lake", Key="tenant/landing/events/dt=2026-06-30/part-0.jsonl", Body=b"{}\n")
    yield env
    server.stop()


def test_doctor_reaches_an_s3_root_and_names_a_missing_bucket(moto_s3):
    good = lakehouse("doctor", "--root", "s3://lake/tenant", env=moto_s3)
    assert good.returncode == 0, good.stderr
    assert "ok: lakehouse root: s3://lake/tenant answers (bucket lake; the prefix has objects)" in good.stdout
    assert "ok: delta tables: no table written under s3://lake/tenant yet" in good.stdout

    bad = lakehouse("doctor", "--root", "s3://no-such-bucket/tenant", env=moto_s3)
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "error: lakehouse root: s3://no-such-bucket/tenant is not reachable: An error occurred (NoSuchBucket) when "
        "calling the ListObjectsV2 operation: The specified bucket does not exist",
        "1 problem(s): lakehouse root",
    ]
    assert "skipped: delta tables: the lakehouse root is not reachable" in bad.stdout


GATEWAY_ONLY = """\
id: gateway_only
app_id: smartlife
name: Gateway owners (the only definition)
description: Users with a gateway
marketing_consent: ignore
rule: {type: label, label: has_gateway, op: eq, value: true}
"""


def test_the_cli_honours_segment_defs(tmp_path):
    invalid = str(REPO / "tests/fixtures/segments/invalid_defs")
    bad = lakehouse("validate", env={"SEGMENT_DEFS": invalid})
    assert bad.returncode == 1
    assert "smartlife/typos.yaml:7:28: unknown label 'has_gatway'" in bad.stdout
    flag_wins = lakehouse("validate", "--defs", shipped_path("segment_defs"), env={"SEGMENT_DEFS": invalid})
    assert flag_wins.returncode == 0, flag_wins.stdout
    assert flag_wins.stdout.strip() == f"all segment definitions under {shipped_path('segment_defs')} are valid"

    defs = tmp_path / "defs" / "smartlife"
    defs.mkdir(parents=True)
    (defs / "gateway_only.yaml").write_text(GATEWAY_ONLY, encoding="utf-8")
    good = lakehouse("validate", env={"SEGMENT_DEFS": str(tmp_path / "defs")})
    assert good.returncode == 0, good.stdout
    assert good.stdout.strip() == f"all segment definitions under {tmp_path}/defs are valid"


def test_cli_run_evaluates_the_segment_defs_folder(sample_lake, tmp_path):
    from test_settings import _published_segments

    root = str(tmp_path / "lake")
    shutil.copytree(sample_lake, root)
    defs = tmp_path / "defs" / "smartlife"
    defs.mkdir(parents=True)
    (defs / "gateway_only.yaml").write_text(GATEWAY_ONLY, encoding="utf-8")
    out = lakehouse("run", "2026-06-30", env={"LAKEHOUSE_ROOT": root, "SEGMENT_DEFS": str(tmp_path / "defs")})
    assert out.returncode == 0, out.stderr
    assert _published_segments(root, "2026-06-30") == {"gateway_only"}
