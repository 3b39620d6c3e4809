"""Adds columns a table gained since it was created (bronze.ingest_runs), keeping its rows."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession

from jobs.delta_io import commit, conform
from jobs.tables import Table

log = logging.getLogger(__name__)


def add_missing_columns(spark: SparkSession, table: Table, root: str) -> None:
    """Rewrites ``table`` with its declared schema if it lacks declared columns (they read as null).

    Sail 0.7.2 silently drops the columns a write has and the table lacks, so a table created by
    an older release must be upgraded before it is written. Only for small bookkeeping tables: the
    rows are collected (ingest_runs holds two rows per date).

    The whole read-and-rewrite is one ``commit`` (retried whole: a rewrite of rows read before a
    concurrent writer won would lose that writer's rows).

    Raises:
        ValueError: if a missing column is declared NOT NULL (old rows would have no value).
        CommitConflict: if concurrent writers kept winning the rewrite.
    """
    commit(lambda: _rewrite_with_declared_schema(spark, table, root), f"add missing columns to {table.name}")


def _rewrite_with_declared_schema(spark: SparkSession, table: Table, root: str) -> None:
    location = table.location(root)
    try:
        current = spark.read.format("delta").load(location)
        present = set(current.columns)
    except Exception:  # no table yet: it is created with the declared schema on first write
        return
    missing = [f for f in table.schema.fields if f.name not in present]
    if not missing:
        return
    required = [f.name for f in missing if not f.nullable]
    if required:
        raise ValueError(f"cannot upgrade {table.name}: new columns {required} are NOT NULL")
    rows = current.collect()
    values = [tuple(row[f.name] if f.name in present else None for f in table.schema.fields) for row in rows]
    upgraded = conform(spark.createDataFrame(values, table.schema), table)
    writer = upgraded.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    writer.partitionBy(*table.partition_by).save(location)
    log.warning("%s: added columns %s (%d rows kept)", table.name, [f.name for f in missing], len(rows))
