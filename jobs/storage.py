"""File access under the lakehouse root, local or S3, for the parts that are not Spark:
landing files (generator, ingestion parser) and plain Delta readers (delta-rs).

S3 settings come from the standard AWS variables: ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``) and, for an S3-compatible
endpoint, ``AWS_ENDPOINT_URL`` (``AWS_ALLOW_HTTP=true`` for a plain-HTTP endpoint).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from pyarrow import fs as pafs


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem for ``uri`` and the path inside it (``bucket/key`` for S3)."""
    if not is_s3(uri):
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    parsed = urlparse(uri)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options: dict[str, object] = {
        "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    }
    if endpoint:
        ep = urlparse(endpoint)
        options["endpoint_override"] = ep.netloc or ep.path
        options["scheme"] = ep.scheme or "https"
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        options["access_key"] = os.environ["AWS_ACCESS_KEY_ID"]
        options["secret_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if os.environ.get("AWS_SESSION_TOKEN"):
            options["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    return pafs.S3FileSystem(**options), f"{parsed.netloc}{parsed.path}".rstrip("/")


def storage_options(uri: str) -> dict[str, str]:
    """Options for ``deltalake`` (delta-rs) to reach ``uri``; empty for local paths."""
    if not is_s3(uri):
        return {}
    keys = {
        "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN": "AWS_SESSION_TOKEN",
        "AWS_REGION": "AWS_REGION",
        "AWS_ENDPOINT_URL": "AWS_ENDPOINT_URL",
        "AWS_ALLOW_HTTP": "AWS_ALLOW_HTTP",
    }
    options = {opt: os.environ[env] for env, opt in keys.items() if os.environ.get(env)}
    options.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    # Single-writer Delta on S3 without a lock table is what this project's jobs do (one task per date).
    options.setdefault("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    return options
