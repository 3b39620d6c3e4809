"""Null-safe access to struct fields.

On the embedded engine a field of a null struct can read as the type's zero value (0, false,
"") instead of null (seen on structs built by createDataFrame); Spark returns null. Every access
to a nullable struct's field goes through ``field``, so both engines give null.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F


def field(struct: str | Column, name: str) -> Column:
    """``struct.name``, null when the struct itself is null."""
    column = F.col(struct) if isinstance(struct, str) else struct
    return F.when(column.isNotNull(), column[name])
