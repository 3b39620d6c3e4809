"""Derived datasets that cross-table expectations run on: each is a DataFrame -> DataFrame join
of the partition under audit with what it must agree with (the user snapshot of the same ds,
the segments' consent rule). The rules themselves are expectations in the suite files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.delta_io import read_table
from jobs.tables import BRONZE_USERS

ROWS = "rows"  # the partition under audit itself
SEGMENTS = "segments"  # context key: app_id, segment_id, consent_required (one row per segment)


@dataclass(frozen=True)
class Inputs:
    """What a derived dataset may use.

    Args:
        rows: the ds partition under audit (e.g. the staged membership of ds).
        root: the lakehouse root (published tables are read from it).
        ds: the date under audit.
        context: extra DataFrames a job passes to the audit, by name; see ``SEGMENTS``.
    """

    rows: DataFrame
    root: str
    ds: dt.date
    context: Mapping[str, DataFrame] = field(default_factory=dict)

    def snapshot(self) -> DataFrame:
        """The bronze user snapshot of ds: app_id, uid, user_type, accept_marketing."""
        users = read_table(self.rows.sparkSession, BRONZE_USERS, self.root)
        return users.where(F.col("dt") == F.lit(self.ds)).select("app_id", "uid", "user_type", "accept_marketing")


def snapshot_users(inputs: Inputs) -> DataFrame:
    """Every non-deleted user of the ds snapshot with its number of label rows (``label_rows``)."""
    labels = inputs.rows.groupBy(*USER_KEY).agg(F.count(F.lit(1)).alias("label_rows"))
    users = inputs.snapshot().where(F.col("user_type") != "deleted").select("app_id", "uid")
    return users.join(labels, list(USER_KEY), "left").select(
        "app_id", "uid", F.coalesce("label_rows", F.lit(0)).alias("label_rows")
    )


def labelled_users(inputs: Inputs) -> DataFrame:
    """Every label row with the user's type in the ds snapshot (``snapshot_user_type``; null: absent)."""
    users = inputs.snapshot().select("app_id", "uid", F.col("user_type").alias("snapshot_user_type"))
    return inputs.rows.select("app_id", "uid").join(users, list(USER_KEY), "left")


def members(inputs: Inputs) -> DataFrame:
    """Every member with a uid, with its snapshot ``user_type`` (null: not in the snapshot),
    ``accept_marketing`` (null counts as no) and its segment's ``consent_required``.

    A segment missing from ``context["segments"]`` requires consent (the product's default).
    """
    users = inputs.snapshot().select(
        "app_id", "uid", "user_type", F.coalesce("accept_marketing", F.lit(False)).alias("accept_marketing")
    )
    rows = inputs.rows.where(F.col("uid").isNotNull()).select("app_id", "segment_id", "uid")
    joined = rows.join(users, list(USER_KEY), "left")
    segments = inputs.context.get(SEGMENTS)
    if segments is None:
        return joined.withColumn("consent_required", F.lit(True))
    missing = {"app_id", "segment_id", "consent_required"} - set(segments.columns)
    if missing:
        raise ValueError(f"context[{SEGMENTS!r}] lacks columns {sorted(missing)}")
    rules = segments.select("app_id", "segment_id", "consent_required")
    return joined.join(rules, ["app_id", "segment_id"], "left").withColumn(
        "consent_required", F.coalesce("consent_required", F.lit(True))
    )


def snapshot_sizes(inputs: Inputs) -> DataFrame:
    """Per app: users in the ds snapshot (``users``), in the app's latest earlier snapshot
    (``previous_users``, null if none) and ``kept_ratio`` = users / previous_users (null if none).

    The label job audits it: a snapshot that lost half of its users or more is an upstream fault
    (a truncated export), not a business swing, and blocks (``user_labels.yml``).
    """
    users = read_table(inputs.rows.sparkSession, BRONZE_USERS, inputs.root)
    today = users.where(F.col("dt") == F.lit(inputs.ds)).groupBy("app_id").agg(F.count(F.lit(1)).alias("users"))
    earlier = users.where(F.col("dt") < F.lit(inputs.ds))
    latest = earlier.groupBy("app_id").agg(F.max("dt").alias("dt"))
    previous = (earlier.join(latest, ["app_id", "dt"]).groupBy("app_id")
                .agg(F.count(F.lit(1)).alias("previous_users")))
    return today.join(previous, ["app_id"], "left").select(
        "app_id", "users", "previous_users",
        # previous_users is null (no earlier snapshot) or >= 1 (a counted group): never a division by 0
        (F.col("users").cast("double") / F.col("previous_users").cast("double")).alias("kept_ratio"),
    )


DATASETS: dict[str, Callable[[Inputs], DataFrame]] = {
    "snapshot_users": snapshot_users,
    "labelled_users": labelled_users,
    "members": members,
    "snapshot_sizes": snapshot_sizes,
}


def build(name: str, inputs: Inputs) -> DataFrame:
    """The dataset ``name`` (``rows`` or a key of ``DATASETS``)."""
    return inputs.rows if name == ROWS else DATASETS[name](inputs)
