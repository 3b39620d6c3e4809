"""Starts, stops and shows a local Spark standalone cluster with a Delta Spark Connect server.

One master and two workers (separate JVMs from pip's pyspark, 1 core each, bound to 127.0.0.1)
and a Spark Connect server on that master with Delta Lake. JVM packages are the pins in
``jvm-packages.txt``, resolved from Maven Central into ``.cluster/jars`` on first start (then
offline). Executors run the project's Python code from a wheel installed into
``.cluster/python`` (ingestion parses lines in ``mapInArrow``). Logs go to ``.cluster/logs``,
process ids to ``.cluster/pids``; ``stop`` ends exactly the processes ``start`` recorded.

Settings (environment): ``CLUSTER_DIR`` (default ``<repo>/.cluster``), ``CONNECT_PORT``
(15002), ``MASTER_PORT`` (7077), ``WORKER_MEMORY`` (1200m), ``EXECUTOR_MEMORY`` (1g),
``DRIVER_MEMORY`` (1g), ``START_TIMEOUT`` (seconds, 240), ``WHOLE_STAGE_CODEGEN`` (false).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
PROCESSES = ("master", "worker-1", "worker-2", "connect")
LIGHT_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"  # quick warm-up for short local work


def cluster_dir() -> Path:
    return Path(os.environ.get("CLUSTER_DIR") or REPO / ".cluster").resolve()


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def connect_port() -> int:
    return int(os.environ.get("CONNECT_PORT", "15002"))


def master_url() -> str:
    return f"spark://{HOST}:{os.environ.get('MASTER_PORT', '7077')}"


# --- JVM packages ------------------------------------------------------------------------------

def jvm_coordinates() -> list[tuple[str, str, str]]:
    """The pinned (group, artifact, version) triples of ``jvm-packages.txt``."""
    coords = []
    for line in (REPO / "jvm-packages.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            group, artifact, version = line.split(":")
            coords.append((group, artifact, version))
    return coords


def _pom(coords: list[tuple[str, str, str]]) -> str:
    deps = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in coords
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.lakehouse</groupId><artifactId>cluster-jars</artifactId><version>1</version>"
        f"<dependencies>{deps}</dependencies></project>"
    )


def resolve_jars(home: Path) -> list[Path]:
    """The jars to add to Spark: the pins and their runtime dependencies that Spark lacks.

    Resolved once with ``mvn dependency:copy-dependencies``; later starts reuse the folder.
    """
    folder = cluster_dir() / "jars"
    stamp = folder / ".pins"
    pins = (REPO / "jvm-packages.txt").read_text()
    if not (stamp.exists() and stamp.read_text() == pins):
        shutil.rmtree(folder, ignore_errors=True)
        work = cluster_dir() / "maven"
        work.mkdir(parents=True, exist_ok=True)
        (work / "pom.xml").write_text(_pom(jvm_coordinates()))
        print("cluster: resolving JVM packages from Maven Central (first start only)", flush=True)
        run = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(work / "pom.xml"), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={folder}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if run.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise SystemExit(f"cluster: mvn could not resolve jvm-packages.txt:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
        stamp.write_text(pins)
    shipped = {_artifact_of(p.name) for p in (home / "jars").glob("*.jar")}
    return sorted(p for p in folder.glob("*.jar") if _artifact_of(p.name) not in shipped)


def _artifact_of(jar_name: str) -> str:
    """``delta-storage-4.4.0.jar`` -> ``delta-storage`` (the name without its version)."""
    stem = jar_name.removesuffix(".jar")
    parts = stem.split("-")
    while parts and parts[-1][:1].isdigit():
        parts.pop()
    return "-".join(parts)


# --- the executors' Python ---------------------------------------------------------------------

def workers_python() -> Path:
    """A venv with the project's wheel (and its pinned dependencies); rebuilt from the sources."""
    venv = cluster_dir() / "python"
    python = venv / "bin" / "python"
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    dist = cluster_dir() / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(REPO / "build" / "lib", ignore_errors=True)  # setuptools would ship stale modules left there
    _run([uv, "build", "--wheel", "--quiet", "--out-dir", str(dist), str(REPO)], "build the project's wheel")
    wheel = next(dist.glob("*.whl"))
    if not python.exists():
        print("cluster: creating the workers' Python (first start only, about a minute)", flush=True)
        _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], "create the workers' venv")
        _run([uv, "pip", "install", "--quiet", "--python", str(python), "-c", str(REPO / "constraints.txt"),
              str(wheel)], "install the wheel into the workers' venv")  # fmt: skip
    else:
        _run([uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", "--reinstall",
              str(wheel)], "reinstall the wheel into the workers' venv")  # fmt: skip
    return python


def _run(command: list[str], what: str) -> None:
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise SystemExit(f"cluster: could not {what}:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")


# --- processes ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _pid_file(name: str) -> Path:
    return cluster_dir() / "pids" / f"{name}.pid"


def _alive(name: str) -> int | None:
    """The recorded pid of ``name`` if that process still runs the JVM start launched."""
    path = _pid_file(name)
    if not path.exists():
        return None
    pid, marker = path.read_text().split("\n", 1)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    return int(pid) if marker.strip() in cmdline else None


def _launch(name: str, command: list[str], env: dict[str, str], marker: str) -> subprocess.Popen:
    logs = cluster_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    _pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, start_new_session=True, cwd=cluster_dir())  # fmt: skip
    _pid_file(name).write_text(f"{process.pid}\n{marker}")
    return process


def _wait_port(port: int, process: subprocess.Popen, name: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"cluster: {name} exited; see {cluster_dir() / 'logs' / (name + '.log')}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.5)
    raise SystemExit(f"cluster: {name} did not open port {port} in time; see {cluster_dir() / 'logs'}")


def _environment(home: Path, python: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST, "SPARK_LOG_DIR": str(cluster_dir() / "logs"),
        "PYSPARK_PYTHON": str(python), "SPARK_WORKER_DIR": str(cluster_dir() / "work"),
        "SPARK_DAEMON_JAVA_OPTS": LIGHT_JVM, "SPARK_DAEMON_MEMORY": "512m",
    })  # fmt: skip
    env.pop("SPARK_REMOTE", None)
    env.pop("SPARK_CONNECT_MODE_ENABLED", None)
    return env


def connect_conf(python: Path, jars: list[Path]) -> dict[str, str]:
    """The Spark Connect server's configuration: Delta, S3A, the executors' Python, small executors."""
    conf = {
        "spark.connect.grpc.binding.address": HOST,
        "spark.connect.grpc.binding.port": str(connect_port()),
        "spark.jars": ",".join(str(j) for j in jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        # static on JVM Spark: the client's call-site capture costs ~4 ms per Column call (jobs/engine.py)
        "spark.python.sql.dataFrameDebugging.enabled": "false",
        "spark.pyspark.python": str(python),
        "spark.executor.cores": "1",
        "spark.cores.max": "2",
        "spark.executor.memory": os.environ.get("EXECUTOR_MEMORY", "1g"),
        "spark.driver.memory": os.environ.get("DRIVER_MEMORY", "1g"),
        "spark.driver.host": HOST,
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "2",
        # Delta rebuilds a table's state in 50 tasks by default: far too many for small tables.
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.sql.warehouse.dir": str(cluster_dir() / "warehouse"),
        "spark.jars.ivy": str(cluster_dir() / "ivy"),
        # s3:// and s3a:// through S3A; credentials from the standard AWS variables of the server.
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        # A small local cluster runs small data: compiling whole-stage code took most of a run's
        # time here (447 s of 606 s in jobs, 2 cores), and C2 JIT work does not pay back.
        "spark.sql.codegen.wholeStage": os.environ.get("WHOLE_STAGE_CODEGEN", "false"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={cluster_dir() / 'derby'} {LIGHT_JVM}",
        "spark.executor.extraJavaOptions": LIGHT_JVM,
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(endpoint.startswith("https")).lower()
    if os.environ.get("AWS_REGION"):
        conf["spark.hadoop.fs.s3a.endpoint.region"] = os.environ["AWS_REGION"]
    return conf


def start() -> None:
    """Starts master, two workers and the Connect server; returns once the server answers."""
    running = [n for n in PROCESSES if _alive(n)]
    if running:
        raise SystemExit(f"cluster: already running ({', '.join(running)}); run stop first")
    home = spark_home()
    jars = resolve_jars(home)
    python = workers_python()
    deadline = time.monotonic() + float(os.environ.get("START_TIMEOUT", "240"))
    env = _environment(home, python)
    spark_class = str(home / "bin" / "spark-class")
    master_port = int(master_url().rsplit(":", 1)[1])
    master = _launch("master", [spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST, "--port",
                       str(master_port), "--webui-port", str(_free_port())], env, "deploy.master.Master")  # fmt: skip
    for name in ("worker-1", "worker-2"):
        _launch(name, [spark_class, "org.apache.spark.deploy.worker.Worker", master_url(), "--host", HOST,
                       "--cores", "1", "--memory", os.environ.get("WORKER_MEMORY", "1200m"),
                       "--webui-port", str(_free_port()), "--work-dir", str(cluster_dir() / "work" / name)],
                env, "deploy.worker.Worker")  # fmt: skip
    submit = [str(home / "bin" / "spark-submit"), "--master", master_url(), "--class", CONNECT_CLASS,
              "--name", "lakehouse-connect"]  # fmt: skip
    for key, value in connect_conf(python, jars).items():
        submit += ["--conf", f"{key}={value}"]
    connect = _launch("connect", [*submit, "spark-internal"], env, CONNECT_CLASS)
    # all four JVMs start at once (workers and the driver retry until the master listens)
    _wait_port(master_port, master, "master", deadline)
    _wait_port(connect_port(), connect, "connect", deadline)
    _wait_ready(deadline)
    print(f"cluster: ready at sc://{HOST}:{connect_port()} (logs in {cluster_dir() / 'logs'})")


def _wait_ready(deadline: float) -> None:
    """Waits until the server runs a Delta query on two executors."""
    from pyspark.sql import SparkSession

    last = None
    while time.monotonic() < deadline:
        try:
            spark = SparkSession.builder.remote(f"sc://{HOST}:{connect_port()}").create()
            try:
                spark.sql("SELECT 1").collect()
                return
            finally:
                spark.stop()
        except Exception as error:  # noqa: BLE001 - the server is still starting
            last = error
            time.sleep(1)
    raise SystemExit(f"cluster: the Connect server did not answer in time: {last}")


def stop() -> None:
    """Stops the processes start recorded (the Connect server first), and only those."""
    for name in reversed(PROCESSES):
        pid = _alive(name)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            for _ in range(40):
                if _alive(name) is None:
                    break
                time.sleep(0.25)
            else:
                os.kill(pid, signal.SIGKILL)
            print(f"cluster: stopped {name} (pid {pid})")
        _pid_file(name).unlink(missing_ok=True)


def status() -> int:
    """Prints each process's state; 0 if all four run."""
    up = 0
    for name in PROCESSES:
        pid = _alive(name)
        up += pid is not None
        print(f"{name:9} {'running (pid ' + str(pid) + ')' if pid else 'stopped'}")
    workers = _registered_workers()
    if workers is not None:
        print(f"master    {workers} worker(s) registered")
    print(f"connect   sc://{HOST}:{connect_port()}")
    return 0 if up == len(PROCESSES) else 1


def _registered_workers() -> int | None:
    """How many workers the master's log says registered (the web UI port is random)."""
    log = cluster_dir() / "logs" / "master.log"
    if _alive("master") is None or not log.exists():
        return None
    text = log.read_text(errors="replace")
    return text.count("Registering worker") - text.count("Removing worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("start", "stop", "status"))
    command = parser.parse_args().command
    if command == "start":
        try:
            start()
        except BaseException:
            stop()
            raise
        return 0
    if command == "stop":
        stop()
        return 0
    return status()


if __name__ == "__main__":
    sys.exit(main())
