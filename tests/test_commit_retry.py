"""One retry policy for every Delta commit: transient errors of both engines are retried, others not."""

from __future__ import annotations

import pytest

from jobs.delta_io import CommitConflict, commit, is_commit_conflict, is_lost_connection, is_transient

# Messages as the engines raise them (Delta-Spark's over Spark Connect carry the error class).
SAIL_CONFLICT = "Failed to commit transaction: 0"
DELTA_SPARK_CONFLICTS = (
    "[DELTA_CONCURRENT_APPEND.WITHOUT_HINT] ConcurrentAppendException: Files were added to the root of the table "
    "by a concurrent update. Please try the operation again.",
    "[DELTA_CONCURRENT_DELETE_READ.WITHOUT_HINT] ConcurrentDeleteReadException: This transaction attempted to "
    "read one or more files that were deleted (for example part-00000.parquet) by a concurrent update.",
    "[DELTA_PROTOCOL_CHANGED] ProtocolChangedException: The protocol version of the Delta table has been "
    "changed by a concurrent update. This happens when multiple writers are writing to an empty directory.",
    "[DELTA_METADATA_CHANGED] MetadataChangedException: The metadata of the Delta table has been changed by "
    "a concurrent update. Please try the operation again.",
    "[DELTA_CONCURRENT_TRANSACTION] ConcurrentTransactionException",
)
LOST = '<_MultiThreadedRendezvous of RPC that terminated with: status = StatusCode.UNAVAILABLE details = "failed to connect to all addresses">'


class SparkConnectGrpcException(Exception):
    """Stands in for pyspark's class of the same name (only the text is classified)."""


@pytest.mark.parametrize("message", [SAIL_CONFLICT, *DELTA_SPARK_CONFLICTS])
def test_commit_conflicts_of_both_engines_are_transient(message):
    error = SparkConnectGrpcException(message)
    assert (is_commit_conflict(error), is_lost_connection(error), is_transient(error)) == (True, False, True)


def test_a_lost_connection_is_transient_but_not_a_conflict():
    error = SparkConnectGrpcException(LOST)
    assert (is_commit_conflict(error), is_lost_connection(error), is_transient(error)) == (False, True, True)


def test_an_error_raised_from_a_conflict_is_classified_by_its_cause():
    try:
        try:
            raise SparkConnectGrpcException(SAIL_CONFLICT)
        except SparkConnectGrpcException as inner:
            raise RuntimeError("ingest events 2026-06-30 failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("cannot write bronze.events: column ts is string, declared bigint"),
        SparkConnectGrpcException("[DELTA_REPLACE_WHERE_MISMATCH] Written data does not conform to partial table overwrite condition"),
        SparkConnectGrpcException("[PATH_NOT_FOUND] Path does not exist: /lake/gold/user_labels"),
    ],
)
def test_data_and_definition_errors_are_not_transient(error):
    assert not is_transient(error)


def test_a_write_that_loses_twice_is_retried_until_it_commits():
    calls = []

    def write():
        calls.append(1)
        if len(calls) < 3:
            raise SparkConnectGrpcException(DELTA_SPARK_CONFLICTS[1])
        return "committed"

    assert commit(write, "replace `ds` = DATE'2026-06-30' of gold.user_labels", max_wait=0.01) == "committed"
    assert len(calls) == 3


def test_a_write_that_always_loses_fails_with_a_clear_message():
    def write():
        raise SparkConnectGrpcException(SAIL_CONFLICT)

    with pytest.raises(CommitConflict) as raised:
        commit(write, "replace `ds` = DATE'2026-06-30' of gold.segment_runs", attempts=3, max_wait=0.01)
    assert str(raised.value) == (
        "replace `ds` = DATE'2026-06-30' of gold.segment_runs: "
        "a concurrent writer won the commit 3 times; nothing was changed by this run"
    )
    assert isinstance(raised.value.__cause__, SparkConnectGrpcException)


def test_a_lost_server_fails_with_a_clear_message_after_the_retries():
    calls = []

    def write():
        calls.append(1)
        raise SparkConnectGrpcException(LOST)

    with pytest.raises(CommitConflict) as raised:
        commit(write, "replace `dt` = DATE'2026-06-30' of bronze.events", attempts=2, max_wait=0.01)
    assert str(raised.value) == (
        "replace `dt` = DATE'2026-06-30' of bronze.events: the Spark Connect server was unreachable 2 times; re-run the step"
    )
    assert len(calls) == 2


def test_an_append_is_not_retried_after_a_lost_connection():
    """The append may have committed before the connection dropped: a retry could duplicate rows."""
    calls = []

    def append():
        calls.append(1)
        raise SparkConnectGrpcException(LOST)

    with pytest.raises(SparkConnectGrpcException):
        commit(append, "append to gold.check_results", idempotent=False, max_wait=0.01)
    assert len(calls) == 1


def test_other_errors_are_raised_at_once():
    calls = []

    def write():
        calls.append(1)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        commit(write, "replace of x", max_wait=0.01)
    assert len(calls) == 1


def test_creating_a_table_is_a_commit_retried_by_the_same_policy(monkeypatch):
    """Two runs of a first date create a table at once: the loser's creation is retried, not fatal."""
    import jobs.delta_io as delta_io
    from jobs.tables import GOLD_USER_LABELS

    calls = []

    def create(spark, table, root):
        calls.append(table.name)
        if len(calls) < 2:
            raise SparkConnectGrpcException(SAIL_CONFLICT)

    monkeypatch.setattr(delta_io, "_create_if_missing", create)
    delta_io.ensure_table(None, GOLD_USER_LABELS, "/lake")
    assert calls == ["gold.user_labels", "gold.user_labels"]


def test_delta_rs_commits_get_the_same_limit():
    from jobs.delta_io import COMMIT_ATTEMPTS, delta_rs_commit_properties

    assert delta_rs_commit_properties().max_commit_retries == COMMIT_ATTEMPTS - 1
