"""Fail fast vs retry at the task boundary: which errors become AirflowFailException."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.sdk.exceptions import AirflowFailException

from jobs.publish import CommitConflict, PublicationBlocked
from jobs.segments.language.errors import DefinitionErrors
from jobs.task_failures import ReconciliationFailed, fail_fast, is_deterministic, is_transient

BLOCKED = PublicationBlocked("publication of 2026-06-30 blocked by 1 failed check; readers keep the previous "
                             "published ds:\n- gold.user_labels uid not null", dt.date(2026, 6, 30), [], None)


@pytest.mark.parametrize("error", [
    BLOCKED,
    ReconciliationFailed("events 2026-06-30: counts do not reconcile"),
    DefinitionErrors([]),
])
def test_deterministic_errors_fail_the_task_without_retry(error):
    with pytest.raises(AirflowFailException) as raised:
        with fail_fast("segments 2026-06-30"):
            raise error
    assert str(raised.value) == str(error)
    assert raised.value.__cause__ is error


@pytest.mark.parametrize("error", [
    CommitConflict("publish gold.user_labels 2026-06-30: a concurrent run won the commit 6 times"),
    RuntimeError("Failed to commit transaction: 0"),
    ConnectionError("engine gone"),
    RuntimeError("<_MultiThreadedRendezvous of RPC that terminated with: status = StatusCode.UNAVAILABLE>"),
    OSError("When reading information for key 'x' in bucket 'b': AWS Error SLOW_DOWN during HeadObject: SlowDown"),
])
def test_transient_errors_propagate_for_airflow_to_retry(error):
    assert is_transient(error) and not is_deterministic(error)
    with pytest.raises(type(error)) as raised:
        with fail_fast("labels 2026-06-30"):
            raise error
    assert raised.value is error


def test_a_transient_cause_behind_a_wrapper_is_still_transient():
    try:
        try:
            raise RuntimeError("Failed to commit transaction: 0")
        except RuntimeError as inner:
            raise ValueError("stage gold.segment_runs failed") from inner
    except ValueError as outer:
        assert is_transient(outer)


def test_unexpected_errors_are_retried_but_not_called_transient():
    error = KeyError("surprise")
    assert not is_transient(error) and not is_deterministic(error)
    with pytest.raises(KeyError):
        with fail_fast("ingest events 2026-06-30"):
            raise error
