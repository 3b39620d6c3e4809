"""Shapes marked lines into the rows of a bronze table or of its quarantine table for one date."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.bronze.dedupe import IS_DUPLICATE, is_accepted
from jobs.tables import QUARANTINE_SCHEMA, Table

# Typed stand-ins for NOT NULL columns on rows a filter removes (see _select_declared).
_PLACEHOLDERS = {
    T.StringType(): "",
    T.LongType(): 0,
    T.DateType(): dt.date(1970, 1, 1),
}


def accepted_rows(marked: DataFrame, table: Table, arrival: dt.date) -> DataFrame:
    """Accepted, non-duplicate lines as rows of ``table`` for partition ``dt = arrival``."""
    keep = is_accepted() & ~F.col(IS_DUPLICATE)
    return _select_declared(marked, table.schema, keep, arrival)


def quarantined_rows(parsed: DataFrame, arrival: dt.date) -> DataFrame:
    """Rejected lines (of parsed or marked lines) as quarantine rows for partition ``dt = arrival``."""
    return _select_declared(parsed, QUARANTINE_SCHEMA, F.col("reason").isNotNull(), arrival)


def _select_declared(df: DataFrame, schema: T.StructType, keep: Column, arrival: dt.date) -> DataFrame:
    """Rows where ``keep`` holds, with exactly the declared columns, each cast explicitly.

    ``dt`` is the literal ``arrival`` (a constant, so the engine can prove the partition check
    of ``replace_partition`` without re-running the parse).

    Sail 0.7.2 merges the Delta writer's NOT NULL check into the query's own filter and, when
    more than about a fifth of the rows pass, evaluates it on the removed rows as well: a null
    in a removed row then fails the write. NOT NULL columns therefore read ``keep ? value :
    placeholder``: removed rows can no longer trip the check, kept rows are checked as before.
    """
    columns = []
    for field in schema.fields:
        if field.name == "dt":
            columns.append(F.lit(arrival).alias("dt"))
            continue
        value = F.col(field.name).cast(field.dataType)
        if not field.nullable:
            value = F.when(keep, value).otherwise(F.lit(_PLACEHOLDERS[field.dataType]))
        columns.append(value.alias(field.name))
    return df.where(keep).select(*columns)
