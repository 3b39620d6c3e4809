"""Static checks of docker/: no Docker engine runs on the build machines, so the files are
checked for consistency with the repository instead of being built."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"


def _copies(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^COPY\s+(?!--from)(.+)\s+\S+$", line.strip())
        if match:
            sources += match.group(1).split()
    return sources


def test_compose_services_point_at_existing_dockerfiles():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    assert set(compose["services"]) == {"airflow", "spark-connect"}
    for name, service in compose["services"].items():
        context = (DOCKER / service["build"]["context"]).resolve()
        assert context == REPO, name
        assert (context / service["build"]["dockerfile"]).is_file(), name


def test_dockerfiles_copy_only_what_exists_and_install_pinned():
    for dockerfile in DOCKER.glob("Dockerfile.*"):
        text = dockerfile.read_text()
        assert "constraints.txt" in text, f"{dockerfile.name} must install the pinned versions"
        for source in _copies(dockerfile):
            assert (REPO / source.replace("/opt/lakehouse/", "")).exists(), f"{dockerfile.name} copies missing {source}"


def test_airflow_connection_in_compose_resolves_to_a_spark_connect_url():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    conn = compose["services"]["airflow"]["environment"]["AIRFLOW_CONN_SPARK_CONNECT"]
    assert re.fullmatch(r"spark-connect://[\w.-]+:\d+", conn)
