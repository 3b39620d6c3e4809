"""Runs suite checks on a Spark DataFrame with Great Expectations 1.x.

One ephemeral GE context per process (creating it and importing GE is the slow part), a Spark
datasource with one dataframe asset and a whole-dataframe batch definition; each validation is
``batch.validate(suite)``. GE's context is not thread-safe, so validations are serialised.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame

from jobs.quality.suites import Check

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
DETAILED = {"result_format": "BASIC", "partial_unexpected_count": 20}  # counts and example values
BOOLEAN_ONLY = {"result_format": "BOOLEAN_ONLY"}  # success only: far fewer Spark queries


@dataclass(frozen=True)
class Outcome:
    """What GE said about one check: success, its result dict and the error it caught, if any."""

    check: Check
    success: bool
    result: dict
    error: str | None = None


@functools.cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_spark("lakehouse").add_dataframe_asset("partition")
    return asset.add_batch_definition_whole_dataframe("whole_partition")


def run_checks(df: DataFrame, checks: Sequence[Check]) -> list[Outcome]:
    """Validates ``df`` against ``checks``; returns one outcome per check, in the given order.

    Row-level checks run first for success only (a pass means no unexpected row, so its result
    is ``unexpected_count: 0``); only the failed ones run again for counts and example values.
    """
    quick = [c for c in checks if c.type in row_level_types() and "mostly" not in c.kwargs]
    detailed = [c for c in checks if c not in quick]
    outcomes = {o.check.id: o for o in _validate(df, quick, BOOLEAN_ONLY)}
    for outcome in list(outcomes.values()):
        if outcome.success:
            outcomes[outcome.check.id] = Outcome(outcome.check, True, {"unexpected_count": 0})
        else:
            detailed.append(outcome.check)
    outcomes.update((o.check.id, o) for o in _validate(df, detailed, DETAILED))
    return [outcomes[c.id] for c in checks]


def _validate(df: DataFrame, checks: Sequence[Check], result_format: dict) -> list[Outcome]:
    if not checks:
        return []
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=checks[0].suite, expectations=[c.to_ge() for c in checks])
    with _LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": df})
        validation = batch.validate(suite, result_format=result_format)
    by_id = {c.id: c for c in checks}
    outcomes = []
    for r in validation.results:
        check = by_id[r.expectation_config.meta["check_id"]]
        error = _error(r.exception_info or {})
        outcomes.append(Outcome(check, bool(r.success) and error is None, dict(r.result or {}), error))
    return outcomes


def _error(info: dict) -> str | None:
    """The message of an exception GE caught, from either shape of ``exception_info``."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


@functools.cache
def row_level_types() -> frozenset[str]:
    """Expectation types judged row by row: a pass on all rows is a pass on every group of rows."""
    from great_expectations.expectations import registry
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    row_level = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    types = set()
    for name in registry.list_registered_expectation_implementations():
        impl = registry.get_expectation_impl(name)
        if isinstance(impl, type) and issubclass(impl, row_level):
            types.add(name)
    return frozenset(types)
