"""Installed, not just checked out: the wheel, installed non-editable into a fresh venv outside the
repository, validates the shipped definitions and runs one whole date from a folder with no
source checkout (definitions, schema, expectations and catalogs come from package data)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SETTING_VARIABLES = ("LAKEHOUSE_ROOT", "SEGMENT_DEFS", "LAKEHOUSE_EXPECTATIONS", "SPARK_REMOTE")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    return str(found) if found.exists() else shutil.which("uv") or pytest.skip("uv is not installed")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, f"{' '.join(args)} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv's bin folder, a work folder outside the repository, the environment to run in)."""
    base = tmp_path_factory.mktemp("installed")
    env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    uv = _uv()
    _run([uv, "build", "--wheel", "--quiet", "--out-dir", str(base / "dist"), str(REPO)], base, env)
    wheel = next((base / "dist").glob("*.whl"))
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(base / "venv")], base, env)
    # The uv cache (uv's default folder) is reused: no download when the constraints are installed already.
    _run([uv, "pip", "install", "--quiet", "--python", str(base / "venv" / "bin" / "python"),
          "-c", str(REPO / "constraints.txt"), str(wheel)], base, env)  # fmt: skip
    work = base / "work"
    work.mkdir()
    return base / "venv" / "bin", work, env, wheel


def test_the_wheel_carries_the_shipped_data_as_files(installed):
    *_, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("jobs/resources/schemas/segment.schema.json", "jobs/resources/expectations/bounds.yml",
                     "jobs/resources/expectations/user_labels.yml",
                     "jobs/resources/segment_defs/_predefined/accept_marketing.yaml",
                     "jobs/resources/segment_defs/smartlife/vip_import.csv",
                     "jobs/catalogs/events.yaml", "jobs/catalogs/labels.yaml", "jobs/report/templates/report.html.j2"):
        assert expected in names, expected
    assert not any(n.startswith(("tests/", "segment_defs/", "schemas/", "expectations/")) for n in names)


def test_installed_package_is_not_the_checkout(installed):
    bin_dir, work, env, _ = installed
    probe = _run([str(bin_dir / "python"), "-c",
                  "import json, jobs, jobs.resources as r; print(json.dumps([jobs.__file__, r.shipped_path('segment_defs')]))"],
                 work, env)  # fmt: skip
    package, defs = json.loads(probe.stdout)
    venv = str(bin_dir.parent)
    assert package.startswith(venv) and defs.startswith(venv), (package, defs)
    assert not Path(defs).is_symlink() and Path(defs, "_predefined").is_dir()


def test_validate_then_one_whole_date_from_outside_the_repository(installed):
    bin_dir, work, env, _ = installed
    lakehouse = str(bin_dir / "lakehouse")
    valid = _run([lakehouse, "validate"], work, env)
    assert valid.stdout.strip().startswith(f"all segment definitions under {bin_dir.parent}")

    _run([lakehouse, "generate", "--users", "80", "--days", "1", "--end", "2026-06-30"], work, env)
    run = _run([lakehouse, "run", "2026-06-30"], work, env)
    assert "accept_marketing" in run.stdout

    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_SEGMENT_RUNS, GOLD_USER_LABELS

    root = str(work / "lakehouse")  # the default root, relative to where the command ran
    runs = read_arrow(GOLD_SEGMENT_RUNS, root).to_pylist()
    published = {r["segment_id"] for r in runs if r["status"] == "published"}
    assert {"accept_marketing", "gateway_owners", "vip_import"} <= published, runs
    assert read_arrow(GOLD_USER_LABELS, root).num_rows > 0

    doctor = subprocess.run([lakehouse, "doctor"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert doctor.returncode == 0, doctor.stderr
    assert f"definitions     {bin_dir.parent}" in doctor.stdout
