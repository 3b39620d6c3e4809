"""Staging: a ds partition written to its table's staging twin, where readers never look, and read back
at exactly the staging version that was written (the version the gates audit and publication copies)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.delta_io import replace_partition
from jobs.storage import storage_options
from jobs.tables import Table

log = logging.getLogger(__name__)

STAGING = "_staging"


@dataclass(frozen=True)
class Staged:
    """A ds partition written to a table's staging twin, at the staging version that holds it."""

    table: Table
    ds: dt.date
    version: int


def staging_root(root: str) -> str:
    """The root under which staging twins live; readers never read below it."""
    return f"{root.rstrip('/')}/{STAGING}"


def date_column(table: Table) -> str:
    """The table's date partition column (``ds``, or ``dt`` for bronze): what one run replaces."""
    types = {f.name: f.dataType for f in table.schema.fields}
    for name in table.partition_by:
        if isinstance(types[name], T.DateType):
            return name
    raise ValueError(f"{table.name} has no date partition column: write-audit-publish replaces one ds partition")


def stage(df: DataFrame, table: Table, root: str, ds: dt.date) -> Staged:
    """Writes ``df`` (rows of ``ds`` only) as the ds partition of the table's staging twin.

    Raises:
        SchemaMismatchError, PartitionMismatchError: see ``jobs.delta_io.replace_partition``.
        CommitConflict: if concurrent runs kept winning the commit.
    """
    partition = {date_column(table): ds}
    replace_partition(df, table, staging_root(root), partition)  # retried by jobs.delta_io.commit
    staged = Staged(table, ds, table_version(table.location(staging_root(root))))
    log.info("staged %s %s at staging version %d", table.name, ds, staged.version)
    return staged


def read_staged(spark: SparkSession, staged: Staged, root: str) -> DataFrame:
    """The staged ds partition exactly as it will be audited and published (the pinned version)."""
    path = staged.table.location(staging_root(root))
    df = spark.read.format("delta").option("versionAsOf", staged.version).load(path)
    return df.where(F.col(date_column(staged.table)) == F.lit(staged.ds))


def table_version(path: str) -> int:
    """The current version of the Delta table at ``path``."""
    return DeltaTable(path, storage_options=storage_options(path)).version()
