"""Retries a Delta commit that lost a race: the embedded engine fails it at once instead of retrying."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
CONFLICT = "Failed to commit transaction"  # Sail 0.7.2's whole message is "Failed to commit transaction: 0"
ATTEMPTS = 5


def with_commit_retry(write: Callable[..., T], *args, attempts: int = ATTEMPTS, base_delay: float = 0.5, **kwargs) -> T:
    """Calls ``write(*args, **kwargs)``, again after a short random pause if another writer's commit won.

    Only for idempotent writes (``replace_partition``): a retry recomputes and replaces the same
    partition. The users and events tasks of one date run in parallel and both commit to
    bronze.ingest_runs; on Sail one of two concurrent overwrites fails with ``CONFLICT``.

    Raises:
        The last error if every attempt failed, or at once any error that is not a commit conflict.
    """
    for attempt in range(1, attempts + 1):
        try:
            return write(*args, **kwargs)
        except Exception as exc:
            if CONFLICT not in str(exc) or attempt == attempts:
                raise
            delay = base_delay * attempt * (1 + random.random())
            log.warning("commit conflict (attempt %d of %d); retrying in %.1f s", attempt, attempts, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
