"""Run settings: where the lakehouse lives and which Spark Connect server runs the jobs."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_ROOT = "./lakehouse"


@dataclass(frozen=True)
class Settings:
    """Where data lives and which engine computes it.

    Args:
        lakehouse_root: a local folder or ``s3://bucket/prefix``; landing files live under
            ``<root>/landing`` and Delta tables under ``<root>/bronze``, ``<root>/silver``, ...
        spark_remote: a Spark Connect URL (``sc://host:port``); ``None`` starts the embedded
            Sail engine in-process.
    """

    lakehouse_root: str = DEFAULT_ROOT
    spark_remote: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Reads ``LAKEHOUSE_ROOT`` and ``SPARK_REMOTE``; unset means the embedded defaults."""
        env = os.environ if environ is None else environ
        root = env.get("LAKEHOUSE_ROOT") or DEFAULT_ROOT
        remote = env.get("SPARK_REMOTE") or None
        return cls(lakehouse_root=normalize_root(root), spark_remote=remote)


def normalize_root(root: str) -> str:
    """Makes a local root absolute (the engine may run in another working directory)."""
    if "://" in root:
        return root.rstrip("/")
    return os.path.abspath(os.path.expanduser(root))
