"""Basic-information labels taken from the user snapshot."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def _non_empty(name: str) -> Column:
    return F.coalesce(F.trim(F.col(name)) != "", F.lit(False))


def with_profile_labels(users: DataFrame) -> DataFrame:
    """Adds has_email and has_phone (false for null, empty or blank); city, user_type,
    register_time, register_method and accept_marketing are the snapshot's columns as they are."""
    return users.withColumns({"has_email": _non_empty("email"), "has_phone": _non_empty("phone")})
