"""Small hand-made partitions for the quality and publication tests (no tests in this module).

A day's world: a user snapshot (bronze.users), the label rows of its non-deleted users
(gold.user_labels) and segment memberships (gold.segment_membership). Builders take plain
tuples so each test shows only the defect it introduces.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession

from jobs.delta_io import replace_partition
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS

APP = "app1"
D1 = dt.date(2026, 6, 29)  # the previous published ds in most tests
D2 = dt.date(2026, 6, 30)  # the ds under test

CONSENTING = [f"u{i:03d}" for i in range(130)]  # registered users who accept marketing
NO_CONSENT = "u900"  # registered, does not accept marketing
DELETED = "u901"  # deleted in the snapshot (consent flag still set): no label row, in no segment

# (uid, user_type, accept_marketing)
SNAPSHOT = [*((u, "registered", True) for u in CONSENTING), (NO_CONSENT, "registered", False), (DELETED, "deleted", True)]

# segment_id -> members; big has 60 members so its size is compared with the previous day
SEGMENTS = {"big": CONSENTING[:60], "churn_stage": CONSENTING[60:65]}

LABEL_DEFAULTS = {
    "user_type": "registered",
    "register_time": 1_700_000_000_000,
    "accept_marketing": True,
    "platform": "ios",
    "pairing_level_90d": "unpaired",
    "lifecycle": "novice",
    "user_distribution": "none",
    "active_days_30d": 3,
    "bound_devices": 0,
    "feedback_count": 0,
}


def write_snapshot(spark: SparkSession, root: str, ds: dt.date, users=None) -> None:
    """Writes bronze.users for ``ds`` from (uid, user_type, accept_marketing) tuples."""
    users = SNAPSHOT if users is None else users
    names = [f.name for f in BRONZE_USERS.schema.fields]
    rows = []
    for line, (uid, user_type, consent) in enumerate(users, start=1):
        values = dict.fromkeys(names)
        values.update(app_id=APP, uid=uid, user_type=user_type, accept_marketing=consent,
                      register_time=1_700_000_000_000, source_file="users.jsonl", source_line=line, dt=ds)
        rows.append(tuple(values[n] for n in names))
    replace_partition(spark.createDataFrame(rows, BRONZE_USERS.schema), BRONZE_USERS, root, {"dt": ds})


def labels(spark: SparkSession, ds: dt.date, overrides: dict[str, dict] | None = None,
           uids: list[str] | None = None, extra: list[dict] | None = None) -> DataFrame:
    """Label rows of every non-deleted snapshot user (or ``uids``), with per-uid overrides."""
    overrides = overrides or {}
    uids = [u for u, t, _ in SNAPSHOT if t != "deleted"] if uids is None else uids
    names = [f.name for f in GOLD_USER_LABELS.schema.fields]
    rows = []
    for values in [{"uid": u, **overrides.get(u, {})} for u in uids] + list(extra or []):
        full = dict.fromkeys(names)
        full.update(LABEL_DEFAULTS, app_id=APP, ds=ds)
        if values["uid"] == NO_CONSENT:
            full["accept_marketing"] = False
        full.update(values)
        rows.append(tuple(full[n] for n in names))
    return spark.createDataFrame(rows, GOLD_USER_LABELS.schema)


def membership(spark: SparkSession, ds: dt.date, segments: dict[str, list] | None = None) -> DataFrame:
    """Membership rows: segment_id -> uids (or (uid, email) pairs for imported members)."""
    segments = SEGMENTS if segments is None else segments
    rows = []
    for segment_id, members in segments.items():
        for member in members:
            uid, email = member if isinstance(member, tuple) else (member, None)
            rows.append((APP, segment_id, uid, email, None, None, None, ds))
    return spark.createDataFrame(rows, GOLD_SEGMENT_MEMBERSHIP.schema)


def segment_rules(spark: SparkSession, rules: dict[str, bool]) -> DataFrame:
    """The ``segments`` audit context: segment_id -> consent_required."""
    rows = [(APP, segment_id, required) for segment_id, required in rules.items()]
    return spark.createDataFrame(rows, "app_id string, segment_id string, consent_required boolean")


def published(spark: SparkSession, table, root: str) -> tuple[list[dt.date], list[dt.date], dict]:
    """What readers see: dates by a plain Delta reader (delta-rs), dates by Spark, rows per date."""
    from deltalake import DeltaTable

    arrow = DeltaTable(table.location(root)).to_pyarrow_table()
    rs_dates = sorted(set(arrow.column("ds").to_pylist()))
    rows = spark.read.format("delta").load(table.location(root)).groupBy("ds").count().collect()
    counts = {r["ds"]: r["count"] for r in rows}
    return rs_dates, sorted(counts), counts


def day(spark: SparkSession, ds: dt.date, *, label_overrides=None, label_uids=None, label_extra=None, segments=None):
    """The (table, frame) pairs of one ds, labels first and membership last."""
    return [
        (GOLD_USER_LABELS, labels(spark, ds, label_overrides, label_uids, label_extra)),
        (GOLD_SEGMENT_MEMBERSHIP, membership(spark, ds, segments)),
    ]
