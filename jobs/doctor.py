"""`lakehouse doctor`: checks that every resolved setting points at something that answers."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from urllib.parse import urlparse

from jobs.settings import Settings
from jobs.storage import is_s3, storage_options

ENGINE_TIMEOUT_S = 5.0  # a Spark Connect client retries a dead server for minutes: probe the port first


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: ``ok`` with what was seen, else the problem in one line
    (``skipped``: not run, because a check it needs failed)."""

    check: str
    ok: bool
    detail: str
    skipped: bool = False

    def line(self) -> str:
        return f"{'skipped' if self.skipped else 'ok' if self.ok else 'error'}: {self.check}: {self.detail}"


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(setting, value, where it came from) for every setting, in the README's order."""
    return [
        ("lakehouse root", settings.lakehouse_root, settings.source("lakehouse_root")),
        ("definitions", settings.segment_defs, settings.source("segment_defs")),
        ("expectations", settings.expectations, settings.source("expectations")),
        ("engine", settings.spark_remote or "embedded Sail (in-process)", settings.source("spark_remote")),
        ("landing wait", f"up to {settings.landing_timeout_minutes:g} minutes", settings.source("landing_timeout_minutes")),
        ("landing poke", f"every {settings.landing_poke_seconds:g} s", settings.source("landing_poke_seconds")),
    ]


def diagnose(settings: Settings) -> list[Finding]:
    """Runs every check; a check that raises is a finding, never a crash of the others."""
    checks: list[tuple[str, Callable[[Settings], str]]] = [
        ("lakehouse root", check_root),
        ("definitions", check_definitions),
        ("expectations", check_expectations),
        ("engine", check_engine),
    ]
    findings = [_run(name, fn, settings) for name, fn in checks]
    if not findings[0].ok:  # every table would fail for the same reason
        return [*findings, Finding("delta tables", True, "the lakehouse root is not reachable", skipped=True)]
    return findings + check_tables(settings.lakehouse_root)


def _run(name: str, fn: Callable[[Settings], str], settings: Settings) -> Finding:
    try:
        return Finding(name, True, fn(settings))
    except Exception as error:  # noqa: BLE001 - every failure is reported, in one line
        return Finding(name, False, _one_line(error))


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else error.__class__.__name__


def check_root(settings: Settings) -> str:
    """A local root is a folder (or can be created); an S3 root's bucket answers a listing."""
    root = settings.lakehouse_root
    if is_s3(root):
        return _check_s3(root)
    if os.path.isdir(root):
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(f"{root} is not writable")
        return f"{root} is a writable folder"
    if os.path.exists(root):
        raise NotADirectoryError(f"{root} exists and is not a folder")
    parent = _existing_parent(root)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{root} does not exist and {parent} is not writable")
    return f"{root} does not exist yet; it will be created under {parent}"


def _existing_parent(path: str) -> str:
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return parent or "/"


def _check_s3(uri: str) -> str:
    import boto3
    from botocore.config import Config

    parsed = urlparse(uri)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    client = boto3.client("s3", config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}))
    try:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", MaxKeys=1)
    except Exception as error:  # botocore's errors name the bucket and the reason (NoSuchBucket, AccessDenied, ...)
        raise ConnectionError(f"{uri} is not reachable: {_one_line(error)}") from None
    found = "has objects" if listing.get("KeyCount") else "is empty"
    return f"{uri} answers (bucket {bucket}; the prefix {found})"


def check_definitions(settings: Settings) -> str:
    """The definitions folder is a local folder with definition files in it."""
    from jobs.segments.sources import definition_files

    folder, files = _loaded(settings.segment_defs, "definitions folder", definition_files, "*.yaml or *.yml definition")
    return f"{len(files)} definition files under {folder} (`lakehouse validate` checks them)"


def check_expectations(settings: Settings) -> str:
    """The expectations folder holds suites and bounds that load."""
    from jobs.quality.bounds import load_bounds
    from jobs.quality.suites import load_suites

    folder, suites = _loaded(settings.expectations, "expectations folder", load_suites, "expectation suite (*.yml)")
    bounds = load_bounds(os.path.join(folder, "bounds.yml"))
    return f"{len(suites)} suites and bounds for {len(bounds)} tables under {folder}"


def _loaded(path: str, what: str, load: Callable[[str], Sized], missing: str) -> tuple[str, Sized]:
    """The local folder ``path`` (the ``what``) and what ``load`` finds in it; nothing found is an error."""
    folder = _local_folder(path, what)
    found = load(folder)
    if not found:
        raise FileNotFoundError(f"no {missing} under {folder}")
    return folder, found


def _local_folder(path: str, what: str) -> str:
    if "://" in path:
        raise ValueError(f"the {what} must be a local folder, not {path}")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"the {what} {path} does not exist or is not a folder")
    return path


def check_engine(settings: Settings) -> str:
    """The engine answers ``SELECT 1`` (a remote server's port is probed first, with a timeout)."""
    from jobs.engine import spark_session

    remote = settings.spark_remote
    if remote and remote.startswith("sc://"):
        _probe(remote)
    started = time.monotonic()
    with spark_session(settings) as spark:
        rows = spark.sql("SELECT 1 AS one").collect()
    if [tuple(r) for r in rows] != [(1,)]:
        raise RuntimeError(f"SELECT 1 returned {rows!r}")
    return f"{remote or 'embedded Sail'} answered SELECT 1 in {time.monotonic() - started:.1f}s"


def _probe(url: str) -> None:
    parsed = urlparse(url.replace("sc://", "http://", 1).split(";")[0])
    host, port = parsed.hostname or "localhost", parsed.port or 15002
    try:
        with socket.create_connection((host, port), timeout=ENGINE_TIMEOUT_S):
            pass
    except OSError as error:
        raise ConnectionError(f"{url} does not answer on {host}:{port}: {error.strerror or error}") from None


def registry() -> list:
    """Every table of the lakehouse (jobs.tables), once each."""
    from jobs import tables

    groups = (tables.ALL_TABLES, tables.SILVER_TABLES, (tables.GOLD_USER_LABELS,), tables.SEGMENT_TABLES,
              tables.QUALITY_TABLES)
    seen: dict[str, object] = {}
    for table in (t for group in groups for t in group):
        seen.setdefault(table.name, table)
    return list(seen.values())


def check_tables(root: str) -> list[Finding]:
    """Each table present under ``root`` opens with delta-rs and its data files' footers read.

    A table not written yet is not a problem; one summary finding lists how many are present.
    """
    present, findings = [], []
    for table in registry():
        outcome = _check_table(table, root)
        if outcome is None:
            continue
        present.append(table.name)
        if not outcome.ok:
            findings.append(outcome)
    readable = len(present) - len(findings)
    summary = f"{readable} of {len(present)} present tables readable with delta-rs"
    if not present:
        summary = f"no table written under {root} yet"
    return [Finding("delta tables", not findings, summary), *findings]


def _check_table(table, root: str) -> Finding | None:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    location = table.location(root)
    if not is_s3(root) and not os.path.isdir(os.path.join(location, "_delta_log")):
        return None
    try:
        delta = DeltaTable(location, storage_options=storage_options(root))
        rows = delta.to_pyarrow_dataset().count_rows()  # reads every data file's footer
    except TableNotFoundError:
        if is_s3(root):
            return None
        return Finding(f"table {table.name}", False, f"{location} is not readable: its Delta log is empty or gone")
    except Exception as error:  # noqa: BLE001 - a corrupt log or a missing/garbled data file
        return Finding(f"table {table.name}", False, f"{location} is not readable: {_one_line(error)}")
    return Finding(f"table {table.name}", True, f"version {delta.version()}, {rows} rows")
