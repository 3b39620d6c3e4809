"""Safe Delta writes on any Spark Connect engine (embedded Sail or Spark with delta-spark).

The embedded engine silently turns mismatched types into nulls, ignores dynamic partition
overwrite (rewriting the whole table) and writes rows outside a ``replaceWhere`` predicate
(ENGINEERING.md); Delta-Spark refuses such rows itself. Every write in the project goes through
this module, which refuses all three on either engine, and retries every commit with one policy
(``commit``, in ``jobs.commits``) when a concurrent writer won or the Spark Connect connection was lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.commits import (COMMIT_ATTEMPTS, CommitConflict, commit, delta_rs_commit_properties, is_commit_conflict,
                          is_lost_connection, is_transient)
from jobs.tables import Table

__all__ = ["COMMIT_ATTEMPTS", "CommitConflict", "commit", "delta_rs_commit_properties", "is_commit_conflict",
           "is_lost_connection", "is_transient"]  # the retry policy, re-exported for the writers

class SchemaMismatchError(ValueError):
    """A DataFrame does not have exactly the declared schema of the table it is written to."""


class PartitionMismatchError(ValueError):
    """Rows to replace one partition hold other partition values."""


def _type_name(dtype: T.DataType) -> str:
    return dtype.simpleString()


def _strip_nullability(dtype: T.DataType) -> T.DataType:
    """The type with every nested nullability flag set, so only the shape is compared."""
    if isinstance(dtype, T.StructType):
        return T.StructType([T.StructField(f.name, _strip_nullability(f.dataType), True) for f in dtype.fields])
    if isinstance(dtype, T.ArrayType):
        return T.ArrayType(_strip_nullability(dtype.elementType), True)
    if isinstance(dtype, T.MapType):
        return T.MapType(_strip_nullability(dtype.keyType), _strip_nullability(dtype.valueType), True)
    return dtype


def schema_problems(actual: T.StructType, declared: T.StructType) -> list[str]:
    """Lists how ``actual`` differs from ``declared`` (names and types; nullability is not compared)."""
    problems = []
    have = {f.name: f.dataType for f in actual.fields}
    want = {f.name: f.dataType for f in declared.fields}
    for name, dtype in want.items():
        if name not in have:
            problems.append(f"column {name} is missing (declared {_type_name(dtype)})")
        elif _strip_nullability(have[name]) != _strip_nullability(dtype):
            problems.append(f"column {name} is {_type_name(have[name])}, declared {_type_name(dtype)}")
    for name, dtype in have.items():
        if name not in want:
            problems.append(f"column {name} ({_type_name(dtype)}) is not declared")
    return problems


def conform(df: DataFrame, table: Table) -> DataFrame:
    """Returns ``df`` with the table's columns in declared order, or raises on any type drift.

    Nothing is cast here: a transform casts explicitly to the types it means, and a mismatch
    at the write is a bug to stop on, not a value to turn into null.

    Raises:
        SchemaMismatchError: with every difference, e.g.
            ``cannot write bronze.events: column ts is string, declared bigint``.
    """
    problems = schema_problems(df.schema, table.schema)
    if problems:
        raise SchemaMismatchError(f"cannot write {table.name}: " + "; ".join(problems))
    return df.select(*[f.name for f in table.schema.fields])


def sql_literal(value: object) -> str:
    """Renders a partition value the project itself produced (a date or a fixed word) as SQL.

    Only values of these types are accepted; a string must be a plain identifier-like word.
    Values from user-written definitions never reach this function.
    """
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"unsupported partition value {value!r}")
    if isinstance(value, int):
        return str(value)
    if not value.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"refusing partition value {value!r}: only letters, digits, - and _ are allowed")
    return f"'{value}'"


def partition_predicate(values: Mapping[str, object]) -> tuple[str, Column]:
    """The SQL text (for ``replaceWhere``) and the Column of ``col = value AND ...``."""
    sql = " AND ".join(f"`{name}` = {sql_literal(value)}" for name, value in values.items())
    column = None
    for name, value in values.items():
        term = F.col(name) == F.lit(value)
        column = term if column is None else column & term
    return sql, column


def ensure_table(spark: SparkSession, table: Table, root: str) -> None:
    """Creates the table, empty, with its declared schema and partitioning, if it does not exist.

    The creation is a commit like any other (two runs of a first date create it at once), so it is
    retried by ``commit``; creating a table that exists changes nothing, so it is idempotent.
    """
    commit(lambda: _create_if_missing(spark, table, root), f"create {table.name}")


def _create_if_missing(spark: SparkSession, table: Table, root: str) -> None:
    """The creation itself, for callers already inside a ``commit`` (no nested retries)."""
    writer = spark.createDataFrame([], table.schema).write.format("delta").mode("ignore")
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    writer.save(table.location(root))


def replace_partition(df: DataFrame, table: Table, root: str, values: Mapping[str, object]) -> None:
    """Atomically replaces the rows of one partition (e.g. one ``dt``) with ``df``.

    Other partitions are untouched; re-running with the same ``df`` leaves the table as it was.

    Raises:
        SchemaMismatchError: if ``df`` does not match the declared schema.
        PartitionMismatchError: if ``df`` holds a row outside the partition.
    """
    unknown = set(values) - set(table.partition_by)
    if unknown:
        raise ValueError(f"{table.name} is not partitioned by {sorted(unknown)}")
    df = conform(df, table)
    sql, predicate = partition_predicate(values)
    stray = df.where(~predicate | predicate.isNull()).select(*values).limit(1).collect()
    if stray:
        # Only the partition columns are shown: a whole row could carry personal data into logs.
        raise PartitionMismatchError(f"cannot replace {sql} of {table.name}: a row holds {stray[0].asDict()}")
    _replace_where(df, table, root, sql)


def _replace_where(df: DataFrame, table: Table, root: str, sql: str) -> None:
    """Replaces the rows matching ``sql`` with ``df`` (already checked to lie inside it), retrying."""

    def write() -> None:
        _create_if_missing(df.sparkSession, table, root)
        df.write.format("delta").mode("overwrite").option("replaceWhere", sql).save(table.location(root))

    commit(write, f"replace {sql} of {table.name}")


def append_rows(df: DataFrame, table: Table, root: str) -> None:
    """Appends ``df`` (declared schema, checked) to the table; retried only after a commit conflict."""
    df = conform(df, table)
    writer = df.write.format("delta").mode("append")
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    commit(lambda: writer.save(table.location(root)), f"append to {table.name}", idempotent=False)


def read_table(spark: SparkSession, table: Table, root: str) -> DataFrame:
    """Reads the current version of a table."""
    return spark.read.format("delta").load(table.location(root))


def replace_range(df: DataFrame, table: Table, root: str, column: str, first: dt.date, last: dt.date) -> None:
    """Atomically replaces every row whose date partition ``column`` is in [first, last] with ``df``.

    One commit for a run that owns several consecutive dates (e.g. silver event dates ds-3..ds).
    Dates in the range that ``df`` has no rows for end up empty.

    Raises:
        SchemaMismatchError: if ``df`` does not match the declared schema.
        PartitionMismatchError: if ``df`` holds a row outside the range (``replaceWhere`` would
            write it anyway on the embedded engine).
    """
    if column not in table.partition_by:
        raise ValueError(f"{table.name} is not partitioned by {column}")
    if last < first:
        raise ValueError(f"empty range {first}..{last}")
    df = conform(df, table)
    sql = f"`{column}` >= {sql_literal(first)} AND `{column}` <= {sql_literal(last)}"
    inside = F.col(column).between(F.lit(first), F.lit(last))
    stray = df.where(~inside | inside.isNull()).select(column).limit(1).collect()
    if stray:
        raise PartitionMismatchError(f"cannot replace {sql} of {table.name}: a row holds {stray[0].asDict()}")
    _replace_where(df, table, root, sql)


def read_arrow(table: Table, root: str, *, columns: list[str] | None = None, filters: list | None = None,
               version: int | None = None):
    """Reads the current version of a table (or ``version``) with delta-rs (no engine), as a pyarrow Table.

    Raises:
        FileNotFoundError: the table does not exist under ``root``.
    """
    from deltalake import DeltaTable

    from jobs.storage import storage_options

    location = table.location(root)
    try:
        delta = DeltaTable(location, version=version, storage_options=storage_options(root))
    except Exception as error:  # delta-rs raises TableNotFoundError for a missing table
        raise FileNotFoundError(f"{table.name} does not exist under {root} ({location})") from error
    return delta.to_pyarrow_table(columns=columns, filters=filters)
