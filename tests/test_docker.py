"""Static checks of docker/: no Docker engine runs on the build machines, so the images and the
compose file are checked against the repository's pins and wiring instead of being built."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
DOCKERFILES = sorted(DOCKER.glob("Dockerfile.*"))
JVM_ONLY_STAGES = {"jars"}  # resolves Maven jars; only its /jars output is copied into an image
AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
SPARK_SERVICES = {"spark-master", "spark-worker", "spark-connect"}
SERVICES = AIRFLOW_SERVICES | SPARK_SERVICES | {"postgres", "minio", "minio-init"}


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[name.lower()] = version
    return pins


def _jvm_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "jvm-packages.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            group, artifact, version = line.split(":")
            pins[f"{group}:{artifact}"] = version
    return pins


def _setup_uv_version() -> str:
    return re.search(r'"uv==([\d.]+)"', (REPO / "scripts" / "setup.sh").read_text()).group(1)


def _project_version() -> str:
    return re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)


def _docker_texts() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(DOCKER.iterdir()) if p.is_file()}


def _stages(dockerfile: Path) -> list[tuple[str, str | None]]:
    """(image, stage name) of every FROM, in order."""
    stages = []
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", line.strip(), re.I)
        if match:
            stages.append((match.group(1), match.group(2)))
    return stages


def python_of(image: str) -> str | None:
    """The Python version an image's documented tag names: ``python:3.11-slim-bookworm`` and
    ``apache/airflow:3.3.2-python3.11`` -> ``3.11``; None when the tag names none."""
    repo, _, tag = image.partition(":")
    if repo in ("python", "docker.io/library/python"):
        match = re.match(r"^(\d+\.\d+)(?:[.-]|$)", tag)
        return match.group(1) if match else None
    match = re.search(r"-python(\d+\.\d+)$", tag)
    return match.group(1) if match else None


def test_python_of_reads_the_documented_tags():
    assert python_of("python:3.11-slim-bookworm") == "3.11"
    assert python_of("python:3.11.7-bookworm") == "3.11"
    assert python_of("python:3.12-slim") == "3.12"
    assert python_of("apache/airflow:3.3.2-python3.11") == "3.11"
    assert python_of("apache/airflow:3.3.2") is None  # the default Python of a release changes
    assert python_of("apache/spark:4.0.1-scala2.13-java17-python3-ubuntu") is None  # "python3" is no version
    assert python_of("python:latest") is None


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_image_stage_is_python_311(dockerfile):
    stages = _stages(dockerfile)
    assert stages, f"{dockerfile.name} has no FROM"
    assert stages[-1][1] not in JVM_ONLY_STAGES, f"{dockerfile.name}: the image itself must be a Python stage"
    for image, name in stages:
        if name in JVM_ONLY_STAGES:
            continue
        assert python_of(image) == "3.11", f"{dockerfile.name}: stage {name or 'final'} FROM {image} is not Python 3.11"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_jvm_only_stages_hand_over_jars_only(dockerfile):
    text = dockerfile.read_text()
    for match in re.finditer(r"COPY\s+--from=(\S+)\s+(\S+)", text):
        stage, source = match.groups()
        if stage in JVM_ONLY_STAGES:
            assert source.startswith("/jars"), f"{dockerfile.name} copies {source} from the JVM stage {stage}"


def test_airflow_base_image_is_the_pinned_airflow():
    airflow = _constraints()["apache-airflow"]
    image = _stages(DOCKER / "Dockerfile.airflow")[-1][0]
    assert image == f"apache/airflow:{airflow}-python3.11"


def test_every_version_in_docker_agrees_with_the_pins():
    constraints, jvm = _constraints(), _jvm_pins()
    known = {**constraints, "uv": _setup_uv_version()}
    for name, text in _docker_texts().items():
        for package, version in re.findall(r"\b([A-Za-z][\w.-]*)==([\w.]+)", text):
            assert package.lower() in known, f"{name}: {package}=={version} is not in constraints.txt"
            assert version == known[package.lower()], f"{name}: {package}=={version}, pinned {known[package.lower()]}"
        for group, artifact, version in re.findall(r"\b([a-z][\w.]*\.[\w.]+):([\w.-]+):(\d[\w.-]*)", text):
            key = f"{group}:{artifact}"
            assert jvm.get(key) == version, f"{name}: {key}:{version} disagrees with jvm-packages.txt ({jvm.get(key)})"
        for image, version in re.findall(r"apache/(airflow|spark):(\d+\.\d+\.\d+)", text):
            pinned = constraints["apache-airflow" if image == "airflow" else "pyspark"]
            assert version == pinned, f"{name}: apache/{image}:{version}, pinned {pinned}"


def test_versions_near_spark_delta_hadoop_or_aws_are_pinned_ones():
    """A Spark, Delta, Hadoop or AWS SDK version written anywhere in docker/ (an ARG, a jar name,
    a URL) must be one of the pins: the images take them from the pinned files, not from copies."""
    allowed = {*_jvm_pins().values(), _constraints()["pyspark"], _constraints()["delta-spark"], _project_version()}
    pattern = re.compile(r"(?i)(spark|delta|hadoop|aws|bundle)[^\n]*?(?<![\d.])(\d+\.\d+\.\d+)(?![.\d])")
    for name, text in _docker_texts().items():
        for line in text.splitlines():
            for _, version in pattern.findall(line):
                assert version in allowed, f"{name}: version {version} in {line.strip()!r} is not a pinned one"


def test_spark_image_reads_the_pinned_files_and_installs_the_wheel():
    text = (DOCKER / "Dockerfile.spark-connect").read_text()
    assert "COPY jvm-packages.txt" in text
    assert "dependency:copy-dependencies" in text
    assert "uv build --wheel" in text and ".whl" in text
    assert "-c /opt/lakehouse/constraints.txt" in text
    assert "HEALTHCHECK" in text
    assert "ENTRYPOINT" in text and "start-connect-server" not in text


def test_spark_entrypoint_runs_each_role_in_the_foreground():
    script = "\n".join(line for line in (DOCKER / "spark-entrypoint.sh").read_text().splitlines()
                       if not line.lstrip().startswith("#"))
    assert "tail -f" not in script and "start-connect-server.sh" not in script and "nohup" not in script
    for main_class in ("org.apache.spark.sql.connect.service.SparkConnectServer",
                       "org.apache.spark.deploy.master.Master", "org.apache.spark.deploy.worker.Worker"):
        assert re.search(rf"exec \"\$SPARK_HOME/bin/spark-(submit|class)\"[^\n]*\n?[^\n]*{re.escape(main_class)}", script), main_class
    assert "io.delta.sql.DeltaSparkSessionExtension" in script
    assert "org.apache.spark.sql.delta.catalog.DeltaCatalog" in script
    assert "org.apache.hadoop.fs.s3a.S3AFileSystem" in script
    check = subprocess.run(["bash", "-n", str(DOCKER / "spark-entrypoint.sh")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_airflow_image_installs_the_wheel_with_the_constraints():
    text = (DOCKER / "Dockerfile.airflow").read_text()
    assert "uv build --wheel" in text
    assert re.search(r"pip install [^\n]*-c /opt/lakehouse/constraints\.txt[^\n]*\.whl", text)
    assert "COPY dags/" in text


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_copy_only_what_exists(dockerfile):
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^COPY\s+(?!--from)(.+)\s+\S+$", line.strip())
        if match:
            for source in match.group(1).split():
                assert (REPO / source).exists(), f"{dockerfile.name} copies missing {source}"


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_compose_has_the_services_and_builds_existing_dockerfiles():
    compose = _compose()
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        if "build" in service:
            assert (DOCKER / service["build"]["context"]).resolve() == REPO, name
            assert (REPO / service["build"]["dockerfile"]).is_file(), name
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["build"]["dockerfile"] == "docker/Dockerfile.airflow", name
    for name in SPARK_SERVICES:
        assert compose["services"][name]["build"]["dockerfile"] == "docker/Dockerfile.spark-connect", name


def test_compose_commands_and_healthchecks():
    services = _compose()["services"]
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES | SPARK_SERVICES}
    assert commands == {
        "airflow-init": ["db", "migrate"], "airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
        "spark-master": ["master"], "spark-worker": ["worker"], "spark-connect": ["connect"],
    }  # fmt: skip
    one_shot = {"airflow-init", "minio-init"}
    for name, service in services.items():
        if name not in one_shot:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_compose_start_order_uses_conditions():
    services = _compose()["services"]
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            assert condition in ("service_healthy", "service_completed_successfully"), (name, target)
            if condition == "service_healthy":
                assert services[target].get("healthcheck"), f"{name} waits for {target}'s health, which has no check"
    def needs(name: str) -> dict:
        return {t: s["condition"] for t, s in services[name]["depends_on"].items()}
    for name in AIRFLOW_SERVICES:
        assert needs(name)["postgres"] == "service_healthy", name
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert needs(name)["airflow-init"] == "service_completed_successfully", name
    assert needs("airflow-scheduler")["spark-connect"] == "service_healthy"
    assert needs("airflow-scheduler")["airflow-apiserver"] == "service_healthy"
    assert needs("minio-init") == {"minio": "service_healthy"}
    assert needs("spark-connect")["minio-init"] == "service_completed_successfully"
    assert needs("spark-worker") == {"spark-master": "service_healthy"}


def test_compose_points_the_jobs_at_the_cluster_and_minio():
    services = _compose()["services"]
    env = services["airflow-scheduler"]["environment"]
    match = re.fullmatch(r"spark-connect://([\w.-]+):(\d+)", env["AIRFLOW_CONN_SPARK_CONNECT"])
    assert match and match.group(1) in services
    assert f"{match.group(2)}:{match.group(2)}" in services[match.group(1)]["ports"]
    assert env["LAKEHOUSE_ROOT"].startswith("s3://")
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert services["spark-connect"]["environment"]["SPARK_MASTER"] == "spark://spark-master:7077"


SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|ACCESS_KEY|SQL_ALCHEMY_CONN")


def test_compose_holds_no_secret_and_the_example_env_names_every_one():
    services = _compose()["services"]
    for name, service in services.items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):  # a file's path is no secret
                literal = re.sub(r"\$\{[^}]*\}", "", str(value))
                assert not re.search(r":[^@/:]+@", literal) and ("${" in str(value)), f"{name}: {key} is written in compose.yaml"
    text = (DOCKER / "compose.yaml").read_text()
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))  # $${X} is the container's own
    example = (DOCKER / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.M))
    assert referenced <= defined, f"not in docker/.env.example: {sorted(referenced - defined)}"
    for secret in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert secret in defined, secret
        for name in AIRFLOW_SERVICES:  # from env_file only
            assert services[name]["env_file"] == ".env" and secret not in services[name]["environment"], (name, secret)
    ignored = subprocess.run(["git", "check-ignore", "-q", "docker/.env"], cwd=REPO)
    assert ignored.returncode == 0, "docker/.env must be ignored by git"
