"""Duplicate marking of parsed lines: first occurrence in the day wins, keys already in bronze lose."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.bronze.read import FILE_FAILURE

IS_DUPLICATE = "is_duplicate"


def mark_duplicates(parsed: DataFrame, keys: Sequence[str], seen: DataFrame | None = None) -> DataFrame:
    """Adds ``is_duplicate`` to parsed lines.

    An accepted line is a duplicate if an accepted line with the same ``keys`` comes earlier
    in the day (ordered by ``source_file``, ``source_line``) or if its keys are in ``seen``
    (keys already in bronze for earlier arrival dates). Rejected lines are never duplicates.

    Args:
        parsed: rows of ``jobs.bronze.read.parse_landing``.
        keys: the columns identifying a record (``event_id``; ``app_id, uid``).
        seen: key rows already ingested, or ``None``.
    """
    accepted = is_accepted()
    # Rejected lines share one null window partition, so they never push a valid line to rank 2.
    partition = [F.when(accepted, F.col(k)) for k in keys]
    first = Window.partitionBy(*partition).orderBy("source_file", "source_line")
    marked = parsed.withColumn("_rank", F.row_number().over(first))
    later = F.col("_rank") > 1
    if seen is not None:
        known = seen.select(*keys).distinct().withColumn("_seen", F.lit(True))
        marked = marked.join(known, on=list(keys), how="left")
        later = later | F.col("_seen").isNotNull()
    return marked.withColumn(IS_DUPLICATE, accepted & later).drop("_rank", "_seen")


def is_accepted() -> Column:
    """A parsed row that is a line the parser accepted (not a rejection, not a file's failure row)."""
    return F.col("reason").isNull() & F.col(FILE_FAILURE).isNull()


def outcome_counts(marked: DataFrame) -> DataFrame:
    """Rows per file and outcome: ``source_file``, ``reason`` (null = accepted), ``is_duplicate``,
    ``file_failure`` and ``lines``; a failure row (``file_failure`` set, ``lines`` 1) also carries
    its ``detail`` and, in ``last_line``, the number of the last line read before the failure."""
    failure = F.col(FILE_FAILURE).isNotNull()
    return marked.groupBy("source_file", "reason", IS_DUPLICATE, FILE_FAILURE).agg(
        F.count(F.lit(1)).alias("lines"),
        F.max(F.when(failure, F.col("detail"))).alias("detail"),
        F.max(F.when(failure, F.col("source_line"))).alias("last_line"),
    )
