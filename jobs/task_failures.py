"""Which task failures are worth a retry: deterministic ones fail at once, transient ones retry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class ReconciliationFailed(RuntimeError):
    """A feed's counts do not add up (lines read != accepted + duplicates + quarantined)."""


class SegmentsFailed(RuntimeError):
    """Some segments failed (definition or import errors); the others were published."""


class LandingIncomplete(RuntimeError):
    """A day's landing markers did not appear before the wait's timeout."""


def _deterministic_types() -> tuple[type[BaseException], ...]:
    """Errors that the same inputs raise again: a retry only delays the alert."""
    from jobs.bronze.ingest import IngestError
    from jobs.delta_io import PartitionMismatchError, SchemaMismatchError
    from jobs.labels.checks import LabelCheckError
    from jobs.labels.job import MissingSnapshotError
    from jobs.publish import PublicationBlocked
    from jobs.segments.language.errors import DefinitionErrors
    from jobs.segments.daily.job import LabelsMissingError

    return (ReconciliationFailed, SegmentsFailed, LandingIncomplete, IngestError, PublicationBlocked, DefinitionErrors,
            LabelsMissingError, MissingSnapshotError, LabelCheckError, SchemaMismatchError, PartitionMismatchError)


def is_deterministic(error: BaseException) -> bool:
    """True for definition errors, blocked publications, reconciliation failures and the other
    errors that a retry with the same inputs raises again."""
    return isinstance(error, _deterministic_types())


def is_transient(error: BaseException) -> bool:
    """True for errors a retry can cure: a lost commit race, a lost engine connection, an S3 5xx.

    The writers' retry policy (``jobs.delta_io.is_transient``, when present) decides for commit
    races and the engine connection, so the task boundary and the writers agree; the storage
    errors (S3 throttling and 5xx, network timeouts) are added here.
    """
    try:
        from jobs.delta_io import is_transient as writers_is_transient
    except ImportError:
        writers_is_transient = None
    if writers_is_transient is not None and writers_is_transient(error):
        return True
    return _transient_here(error)


_TRANSIENT_TEXT = (
    "Failed to commit transaction",  # the embedded engine's lost commit race
    "StatusCode.UNAVAILABLE", "Connection reset", "Connection refused", "Socket closed",
    "SlowDown", "SLOW_DOWN", "ServiceUnavailable", "InternalError", "503 Service", "500 Internal",
)


def _transient_here(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:  # the cause chain: a wrapper may hide the engine's own error
        names = {cls.__name__ for cls in type(seen).__mro__}
        # CommitConflict: what the writers raise once their own retries gave up on a transient error
        if "CommitConflict" in names or isinstance(seen, (ConnectionError, TimeoutError)):
            return True
        if any(text in str(seen) for text in _TRANSIENT_TEXT):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def fail_fast(what: str) -> Iterator[None]:
    """Turns deterministic errors into ``AirflowFailException`` (the task fails once, no retry);
    anything else propagates unchanged and Airflow retries it with backoff.

    Args:
        what: the task's work, for the log (e.g. ``segments 2026-06-30``).
    """
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except AirflowFailException:
        raise
    except Exception as error:
        if is_deterministic(error):
            raise AirflowFailException(str(error)) from error
        kind = "transient" if is_transient(error) else "unexpected"
        log.warning("%s: %s error %s; Airflow retries the task", what, kind, type(error).__name__)
        raise
