"""The one retry policy of every commit in the project (Delta writes through ``jobs.delta_io`` and
delta-rs's maintenance commits): a commit that lost a race to a concurrent writer, or lost the
Spark Connect connection, is retried whole with backoff; anything else fails at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import tenacity

log = logging.getLogger("jobs.delta_io")  # the writers' logger, as before this module was split out
R = TypeVar("R")

COMMIT_ATTEMPTS = 6
# A commit that lost a race to a concurrent writer: nothing of it was written, so it may be retried.
COMMIT_CONFLICTS = (
    "Failed to commit transaction",  # Sail 0.7.2, whole message "Failed to commit transaction: 0"
    # Delta-Spark: exception class names (Java) and their error classes (over Spark Connect).
    "ConcurrentAppendException", "DELTA_CONCURRENT_APPEND",
    "ConcurrentDeleteReadException", "DELTA_CONCURRENT_DELETE_READ",
    "ConcurrentDeleteDeleteException", "DELTA_CONCURRENT_DELETE_DELETE",
    "ConcurrentTransactionException", "DELTA_CONCURRENT_TRANSACTION",
    "ConcurrentWriteException", "DELTA_CONCURRENT_WRITE",
    "MetadataChangedException", "DELTA_METADATA_CHANGED",
    "ProtocolChangedException", "DELTA_PROTOCOL_CHANGED",
)  # fmt: skip
# The Spark Connect server could not be reached (restarted, network): the outcome of the call is unknown.
LOST_CONNECTION = (
    "StatusCode.UNAVAILABLE", "failed to connect to all addresses", "Connection reset by peer",
    "Socket closed", "Connection refused", "INVALID_HANDLE.SESSION_NOT_FOUND", "RetriesExceeded",
)  # fmt: skip


class CommitConflict(RuntimeError):
    """A commit kept failing for a transient reason (other writers won, or the server was lost)."""


def _messages(error: BaseException) -> str:
    """The type names and messages of ``error`` and of the errors it was raised from."""
    seen, parts = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        parts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


def is_commit_conflict(error: BaseException) -> bool:
    """True if ``error`` says a concurrent Delta commit won (Sail or Delta-Spark): safe to retry."""
    text = _messages(error)
    return any(marker in text for marker in COMMIT_CONFLICTS)


def is_lost_connection(error: BaseException) -> bool:
    """True if ``error`` says the Spark Connect server could not be reached."""
    text = _messages(error)
    return any(marker in text for marker in LOST_CONNECTION)


def is_transient(error: BaseException) -> bool:
    """True if re-running the same idempotent step may succeed: a lost commit race on either
    engine or a lost Spark Connect connection. Definition, schema and data errors are not."""
    return is_commit_conflict(error) or is_lost_connection(error)


def commit(action: Callable[[], R], what: str, *, idempotent: bool = True, attempts: int = COMMIT_ATTEMPTS,
           max_wait: float = 5.0) -> R:
    """Runs one Delta commit, again after a random exponential pause while it fails transiently.

    Args:
        action: the write; re-run whole on a retry.
        what: what is written, for messages, e.g. ``replace `dt` = DATE'2026-06-30' of bronze.events``.
        idempotent: an idempotent write (replacing a partition) is also retried after a lost
            connection; an append only after a commit conflict (which writes nothing).

    Raises:
        CommitConflict: after ``attempts`` transient failures, e.g. ``replace ... of gold.segment_runs:
            a concurrent writer won the commit 6 times; nothing was changed by this run``.
        Any other error at once.
    """
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_random_exponential(multiplier=0.1, max=max_wait),
        retry=tenacity.retry_if_exception(is_transient if idempotent else is_commit_conflict),
        before_sleep=lambda state: log.warning(
            "%s: %s (attempt %d of %d); retrying", what, _reason(state.outcome.exception()),
            state.attempt_number, attempts),
    )  # fmt: skip
    try:
        return retrying(action)
    except tenacity.RetryError as error:
        last = error.last_attempt.exception()
        if is_commit_conflict(last):
            message = f"{what}: a concurrent writer won the commit {attempts} times; nothing was changed by this run"
        else:
            message = f"{what}: the Spark Connect server was unreachable {attempts} times; re-run the step"
        raise CommitConflict(message) from last


def delta_rs_commit_properties():
    """Commit properties for delta-rs's own commits (maintenance): delta-rs rebases a commit that
    lost a race on the winner and retries it itself; this gives it the same limit as ``commit``
    (``COMMIT_ATTEMPTS`` attempts in all) instead of its default of 15 retries."""
    from deltalake import CommitProperties

    return CommitProperties(max_commit_retries=COMMIT_ATTEMPTS - 1)


def _reason(error: BaseException | None) -> str:
    return "a concurrent commit won" if error is not None and is_commit_conflict(error) else "lost the engine"
