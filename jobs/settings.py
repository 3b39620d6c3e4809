"""Run settings, resolved once per command or task: where data, definitions and expectations live, and the engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from jobs.resources import shipped_path

DEFAULT_ROOT = "./lakehouse"

# Setting -> (environment variable, Airflow Variable). The engine's Airflow source is the
# Connection ``spark_connect`` (host and port), read by ``jobs.orchestration``.
ENVIRONMENT = {
    "lakehouse_root": "LAKEHOUSE_ROOT",
    "segment_defs": "SEGMENT_DEFS",
    "expectations": "LAKEHOUSE_EXPECTATIONS",
    "spark_remote": "SPARK_REMOTE",
    "landing_timeout_minutes": "LANDING_TIMEOUT_MINUTES",
    "landing_poke_seconds": "LANDING_POKE_SECONDS",
}
AIRFLOW_VARIABLES = {
    "lakehouse_root": "lakehouse_root",
    "segment_defs": "segment_defs",
    "expectations": "lakehouse_expectations",
    "landing_timeout_minutes": "landing_timeout_minutes",
    "landing_poke_seconds": "landing_poke_seconds",
}
NUMBERS = ("landing_timeout_minutes", "landing_poke_seconds")  # positive numbers; the others are locations
SPARK_CONNECTION = "spark_connect"
DEFAULT_SOURCES = {
    "lakehouse_root": f"default {DEFAULT_ROOT}",
    "segment_defs": "default: shipped with the package",
    "expectations": "default: shipped with the package",
    "spark_remote": "default: embedded",
    "landing_timeout_minutes": "default",
    "landing_poke_seconds": "default",
}


@dataclass(frozen=True)
class Settings:
    """Where data lives, which definitions and checks apply, and which engine computes it.

    Args:
        lakehouse_root: a local folder or ``s3://bucket/prefix``; landing files live under
            ``<root>/landing`` and Delta tables under ``<root>/bronze``, ``<root>/silver``, ...
        segment_defs: the segment definitions folder (local); default: the definitions shipped
            with the package (the predefined segments and the sample app's).
        expectations: the folder of Great Expectations suites and ``bounds.yml`` (local);
            default: the suites shipped with the package.
        spark_remote: a Spark Connect URL (``sc://host:port``); ``None`` starts the embedded
            Sail engine in-process.
        landing_timeout_minutes: how long the daily DAG's landing wait waits for a date's
            ``_SUCCESS`` markers before it fails naming the missing feed (a run's param overrides it).
        landing_poke_seconds: how often the wait looks for the markers.
        sources: setting -> where its value came from (``env LAKEHOUSE_ROOT``, ``default``, ...).
    """

    lakehouse_root: str = DEFAULT_ROOT
    segment_defs: str = field(default_factory=lambda: shipped_path("segment_defs"))
    expectations: str = field(default_factory=lambda: shipped_path("expectations"))
    spark_remote: str | None = None
    landing_timeout_minutes: float = 360.0
    landing_poke_seconds: float = 60.0
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The settings from the environment alone; unset means the defaults."""
        return resolve(environ=environ)

    def source(self, name: str) -> str:
        """Where setting ``name`` came from."""
        return self.sources.get(name) or DEFAULT_SOURCES[name]

    def with_overrides(self, **values: str | float | None) -> "Settings":
        """A copy with the given settings replaced (command-line options); ``None`` keeps a value."""
        given = {k: v for k, v in values.items() if v}
        if not given:
            return self
        normalized = {k: _normalize(k, v, "the command line") for k, v in given.items()}
        sources = dict(self.sources) | {k: "command line" for k in given}
        return replace(self, **normalized, sources=sources)


def resolve(environ: Mapping[str, str] | None = None,
            airflow: Callable[[str], str | None] | None = None,
            spark_connection: Callable[[], str | None] | None = None) -> Settings:
    """Resolves every setting: an Airflow Variable (Connection for the engine) when ``airflow`` is
    given, then the environment, then the default. Local folders are made absolute.

    Args:
        environ: the environment (default ``os.environ``).
        airflow: Airflow Variable name -> value or None (tasks only).
        spark_connection: the Spark Connect URL of the Airflow Connection, or None (tasks only).
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name, variable in ENVIRONMENT.items():
        found = _from_airflow(name, airflow, spark_connection)
        if found:
            values[name], sources[name] = found
        elif env.get(variable):
            values[name], sources[name] = env[variable], f"env {variable}"
    defaults = Settings(lakehouse_root=normalize_root(DEFAULT_ROOT))
    for name in ENVIRONMENT:
        given = values.get(name)
        values[name] = _normalize(name, given, sources[name]) if given else getattr(defaults, name)
    return Settings(**values, sources=sources)


def _from_airflow(name: str, airflow, spark_connection) -> tuple[str, str] | None:
    if name == "spark_remote":
        url = spark_connection() if spark_connection else None
        return (url, f"Airflow Connection {SPARK_CONNECTION}") if url else None
    value = airflow(AIRFLOW_VARIABLES[name]) if airflow else None
    return (value, f"Airflow Variable {AIRFLOW_VARIABLES[name]}") if value else None


def _normalize(name: str, value, source: str):
    if name in NUMBERS:
        return positive_number(name, value, source)
    return value if name == "spark_remote" else normalize_root(value)


class SettingError(ValueError):
    """A setting's value cannot be used (e.g. a timeout that is not a positive number)."""


def positive_number(name: str, value: str | float, source: str) -> float:
    """``value`` as a positive finite number, else a ``SettingError`` naming the setting and its source."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 < number < float("inf"):
        raise SettingError(f"setting {name} ({source}) must be a positive number, got {str(value)!r}")
    return number


def normalize_root(root: str) -> str:
    """Makes a local path absolute (the engine may run in another working directory)."""
    if "://" in root:
        return root.rstrip("/")
    return os.path.abspath(os.path.expanduser(root))


_ACTIVE: ContextVar[Settings | None] = ContextVar("lakehouse_settings", default=None)


@contextmanager
def active(settings: Settings) -> Iterator[Settings]:
    """Makes ``settings`` the ones library defaults read (``current()``) for the block."""
    token = _ACTIVE.set(settings)
    try:
        yield settings
    finally:
        _ACTIVE.reset(token)


def activate(settings: Settings) -> None:
    """Makes ``settings`` the active ones for the rest of this process: the command line runs
    one command per process (tasks and library callers use ``active``)."""
    _ACTIVE.set(settings)


def current() -> Settings:
    """The settings of the running command or task, else those of the environment."""
    return _ACTIVE.get() or Settings.from_env()
