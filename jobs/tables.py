"""Every table of the lakehouse in one place: its name, location under the root, partitioning
and declared schema. Jobs address tables by path (the embedded engine's catalog is in memory)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

S, L, I, D, B, DT = T.StringType(), T.LongType(), T.IntegerType(), T.DoubleType(), T.BooleanType(), T.DateType()


def _schema(*fields: tuple[str, T.DataType, bool]) -> T.StructType:
    return T.StructType([T.StructField(name, dtype, nullable) for name, dtype, nullable in fields])


@dataclass(frozen=True)
class Table:
    """A Delta table of the lakehouse.

    Args:
        name: dotted name in the product's words, e.g. ``bronze.events``.
        schema: the declared schema; writes must match it exactly (see ``jobs.delta_io``).
        partition_by: partition columns, in order.
        keys: columns that identify a row (checked unique by the quality gates).
    """

    name: str
    schema: T.StructType
    partition_by: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def relative_path(self) -> str:
        layer, _, table = self.name.partition(".")
        return f"{layer}/{table}"

    def location(self, root: str) -> str:
        """The table's folder (or object prefix) under the lakehouse root."""
        return f"{root.rstrip('/')}/{self.relative_path}"


QUARANTINE_SCHEMA = _schema(
    ("source_file", S, False),
    ("source_line", L, False),
    ("raw_line", S, True),
    ("reason", S, False),
    ("detail", S, True),
    ("dt", DT, False),
)

BRONZE_EVENTS = Table(
    "bronze.events",
    _schema(
        ("event_id", S, False),
        ("app_id", S, False),
        ("uid", S, True),
        ("event", S, False),
        ("ts", L, False),
        ("event_date", DT, False),
        ("platform", S, True),
        ("app_version", S, True),
        ("phone_model", S, True),
        ("props", S, True),  # the event's props object as JSON text, as received
        ("source_file", S, False),
        ("source_line", L, False),
        ("dt", DT, False),  # arrival date: the landing folder the line came from
    ),
    partition_by=("dt",),
    keys=("event_id",),
)

BRONZE_EVENTS_QUARANTINE = Table(
    "bronze.events_quarantine", QUARANTINE_SCHEMA, partition_by=("dt",), keys=("source_file", "source_line")
)

DEVICE = T.StructType(
    [
        T.StructField("device_id", S, True),
        T.StructField("category", S, True),
        T.StructField("relation", S, True),
        T.StructField("bind_time", L, True),
    ]
)
CLOUD_STORAGE = T.StructType([T.StructField("expire_time", L, True), T.StructField("renewed", B, True)])
MALL = T.StructType(
    [
        T.StructField("has_delivery_address", B, True),
        T.StructField("unused_coupons", L, True),
        T.StructField("cart_items", L, True),
        T.StructField("unpaid_orders", L, True),
    ]
)

BRONZE_USERS = Table(
    "bronze.users",
    _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("user_type", S, False),
        ("register_time", L, True),
        ("register_method", S, True),
        ("country_code", S, True),
        ("city_en", S, True),
        ("city_zh", S, True),
        ("email", S, True),
        ("phone", S, True),
        ("accept_marketing", B, True),
        ("devices", T.ArrayType(DEVICE, True), True),
        ("cloud_storage", CLOUD_STORAGE, True),
        ("mall", MALL, True),
        ("source_file", S, False),
        ("source_line", L, False),
        ("dt", DT, False),  # snapshot date
    ),
    partition_by=("dt",),
    keys=("app_id", "uid", "dt"),
)

BRONZE_USERS_QUARANTINE = Table(
    "bronze.users_quarantine", QUARANTINE_SCHEMA, partition_by=("dt",), keys=("source_file", "source_line")
)

INGEST_RUNS = Table(
    "bronze.ingest_runs",
    _schema(
        ("feed", S, False),  # events or users
        ("dt", DT, False),
        ("files", L, False),
        ("lines_read", L, False),
        ("accepted", L, False),
        ("duplicates", L, False),
        ("quarantined", L, False),
        ("quarantined_by_reason", S, False),  # JSON object reason -> count
        ("finished_at", T.TimestampType(), False),
    ),
    partition_by=("feed",),
    keys=("feed", "dt"),
)

ALL_TABLES = (BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, BRONZE_USERS_QUARANTINE, INGEST_RUNS)


def landing_path(root: str, feed: str, dt: str | None = None) -> str:
    """``<root>/landing/<feed>`` or, with a date, the folder of that arrival date."""
    base = f"{root.rstrip('/')}/landing/{feed}"
    return base if dt is None else f"{base}/dt={dt}"


# --- silver and gold ---------------------------------------------------------------------------
# Their columns follow the catalogs (jobs/catalogs/*.yaml): adding a dimension or measure to the
# event catalog, or a label to the label catalog, adds the column here.

def _event_dimensions() -> list[str]:
    from jobs.catalogs import event_catalog

    names: dict[str, None] = {}
    for spec in event_catalog().values():
        names.update(dict.fromkeys(spec.dimensions))
    return list(names)


def _event_measures() -> list[str]:
    from jobs.catalogs import event_catalog

    names: dict[str, None] = {}
    for spec in event_catalog().values():
        names.update(dict.fromkeys(spec.measures))
    return list(names)


EVENT_DIMENSIONS = tuple(_event_dimensions())  # e.g. result, category, issue_type, service
EVENT_MEASURES = tuple(_event_measures())  # e.g. items, amount

SILVER_EVENTS = Table(
    "silver.events",
    _schema(
        ("event_id", S, False),
        ("app_id", S, False),
        ("uid", S, False),  # guest traffic (uid null) stays in bronze
        ("event", S, False),
        ("ts", L, False),
        ("platform", S, True),
        ("app_version", S, True),
        ("phone_model", S, True),
        *((f"dim_{d}", S, True) for d in EVENT_DIMENSIONS),
        *((f"measure_{m}", D, True) for m in EVENT_MEASURES),
        ("dt", DT, False),  # arrival date of the kept copy
        ("event_date", DT, False),
    ),
    partition_by=("event_date",),
    keys=("event_id",),
)

# One row per (app_id, uid, event_date, event, dimension values): the compact daily aggregate
# that windowed labels and behavior conditions read instead of raw events.
SILVER_USER_DAILY_EVENTS = Table(
    "silver.user_daily_events",
    _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("event", S, False),
        *((f"dim_{d}", S, True) for d in EVENT_DIMENSIONS),
        ("events", L, False),  # number of events
        ("last_ts", L, False),  # latest event time that day
        *(
            col
            for m in EVENT_MEASURES
            for col in (
                (f"measure_{m}_count", L, False),  # events carrying the measure
                (f"measure_{m}_sum", D, True),
                (f"measure_{m}_min", D, True),
                (f"measure_{m}_max", D, True),
            )
        ),
        ("event_date", DT, False),
    ),
    partition_by=("event_date",),
    keys=("app_id", "uid", "event_date", "event", *(f"dim_{d}" for d in EVENT_DIMENSIONS)),
)


def _label_type(kind: str) -> T.DataType:
    return {"string": S, "enum": S, "boolean": B, "integer": L, "number": D, "timestamp": L}[kind]


def _label_fields() -> list[tuple[str, T.DataType, bool]]:
    from jobs.catalogs import label_catalog

    return [(spec.name, _label_type(spec.type), True) for spec in label_catalog().values()]


GOLD_USER_LABELS = Table(
    "gold.user_labels",
    _schema(("app_id", S, False), ("uid", S, False), *_label_fields(), ("ds", DT, False)),
    partition_by=("ds",),
    keys=("app_id", "uid", "ds"),
)
