"""Every table of the lakehouse in one place: its name, location under the root, partitioning
and declared schema. Jobs address tables by path (the embedded engine's catalog is in memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from pyspark.sql import types as T

from jobs.contract import USER_KEY

S, L, I, D, B, DT = T.StringType(), T.LongType(), T.IntegerType(), T.DoubleType(), T.BooleanType(), T.DateType()


def _schema(*fields: tuple[str, T.DataType, bool]) -> T.StructType:
    return T.StructType([T.StructField(name, dtype, nullable) for name, dtype, nullable in fields])


@dataclass(frozen=True, init=False)
class Table:
    """A Delta table of the lakehouse.

    Args:
        name: dotted name in the product's words, e.g. ``bronze.events``.
        schema: the declared schema; writes must match it exactly (see ``jobs.delta_io``). A
            function giving it for a table whose columns follow a catalog: the catalog is read on
            first use, not when this module is imported.
        partition_by: partition columns, in order.
        keys: columns that identify a row (checked unique by the quality gates), or a function giving them.
    """

    name: str
    partition_by: tuple[str, ...]
    _columns: T.StructType | Callable[[], T.StructType] = field(repr=False)
    _keys: tuple[str, ...] | Callable[[], tuple[str, ...]] = field(repr=False)

    def __init__(self, name: str, schema: T.StructType | Callable[[], T.StructType] | None = None,
                 partition_by: tuple[str, ...] = (), keys: tuple[str, ...] | Callable[[], tuple[str, ...]] | None = None,
                 *, _columns=None, _keys=None):
        # ``_columns`` / ``_keys``: what ``dataclasses.replace`` passes on; a ``schema`` or ``keys`` given wins.
        schema, keys = (_columns if schema is None else schema), (_keys if keys is None else keys) or ()
        if schema is None:
            raise TypeError(f"table {name}: a schema is required")
        lazy = [cache(v) if callable(v) else v for v in (schema, keys)]  # built once, when first asked for
        for attr, value in (("name", name), ("partition_by", partition_by), ("_columns", lazy[0]), ("_keys", lazy[1])):
            object.__setattr__(self, attr, value)

    @property
    def schema(self) -> T.StructType:
        return self._columns() if callable(self._columns) else self._columns

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys() if callable(self._keys) else self._keys

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
    keys=(*USER_KEY, "dt"),
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
        ("files_failed", L, True),  # files that stopped being readable (their lines so far are counted)
        ("files_skipped", L, True),  # entries of the dt= folder not read (other than _SUCCESS)
        ("failed_files", S, True),  # JSON object source_file -> "reason: detail"
        ("skipped_files", S, True),  # JSON object source_file -> why it was not read
    ),
    partition_by=("feed", "dt"),  # one row per partition: a run replaces exactly its own (feed, dt) row
    keys=("feed", "dt"),
)

INGEST_FILES = Table(
    "bronze.ingest_files",
    _schema(
        ("feed", S, False),
        ("dt", DT, False),
        ("source_file", S, False),
        ("status", S, False),  # read, failed or skipped
        ("lines_read", L, False),
        ("accepted", L, False),
        ("duplicates", L, False),
        ("quarantined", L, False),
        ("reason", S, True),  # failed: truncated / undecodable / io_error; skipped: why
        ("detail", S, True),
        ("finished_at", T.TimestampType(), False),
    ),
    partition_by=("feed", "dt"),
    keys=("feed", "dt", "source_file"),
)

ALL_TABLES = (BRONZE_EVENTS, BRONZE_EVENTS_QUARANTINE, BRONZE_USERS, BRONZE_USERS_QUARANTINE, INGEST_RUNS, INGEST_FILES)


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


@cache
def event_dimensions() -> tuple[str, ...]:
    """The dimensions of the event catalog, in catalog order (e.g. result, category, issue_type, service)."""
    return tuple(_event_dimensions())


@cache
def event_measures() -> tuple[str, ...]:
    """The measures of the event catalog, in catalog order (e.g. items, amount)."""
    return tuple(_event_measures())


def __getattr__(name: str):
    """``EVENT_DIMENSIONS`` and ``EVENT_MEASURES``, read from the catalog when first asked for."""
    if name in ("EVENT_DIMENSIONS", "EVENT_MEASURES"):
        return event_dimensions() if name == "EVENT_DIMENSIONS" else event_measures()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


SILVER_EVENTS = Table(
    "silver.events",
    lambda: _schema(
        ("event_id", S, False),
        ("app_id", S, False),
        ("uid", S, False),  # guest traffic (uid null) stays in bronze
        ("event", S, False),
        ("ts", L, False),
        ("platform", S, True),
        ("app_version", S, True),
        ("phone_model", S, True),
        *((f"dim_{d}", S, True) for d in event_dimensions()),
        *((f"measure_{m}", D, True) for m in event_measures()),
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
    lambda: _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("event", S, False),
        *((f"dim_{d}", S, True) for d in event_dimensions()),
        ("events", L, False),  # number of events
        ("last_ts", L, False),  # latest event time that day
        *(
            col
            for m in event_measures()
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
    keys=lambda: (*USER_KEY, "event_date", "event", *(f"dim_{d}" for d in event_dimensions())),
)


def _label_type(kind: str) -> T.DataType:
    return {"string": S, "enum": S, "boolean": B, "integer": L, "number": D, "timestamp": L}[kind]


def _label_fields() -> list[tuple[str, T.DataType, bool]]:
    from jobs.catalogs import label_catalog

    return [(spec.name, _label_type(spec.type), True) for spec in label_catalog().values()]


GOLD_USER_LABELS = Table(
    "gold.user_labels",
    lambda: _schema(("app_id", S, False), ("uid", S, False), *_label_fields(), ("ds", DT, False)),
    partition_by=("ds",),
    keys=(*USER_KEY, "ds"),
)

# Per-user, per-day activity (any event): what the activity labels need without reading events.
SILVER_USER_DAILY_ACTIVITY = Table(
    "silver.user_daily_activity",
    _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("events", L, False),  # events that day
        ("first_ts", L, False),
        ("last_ts", L, False),
        ("app_version", S, True),  # value on the day's latest event that has one (null: none that day)
        ("app_version_ts", L, True),  # that event's time
        ("phone_model", S, True),
        ("phone_model_ts", L, True),
        ("event_date", DT, False),
    ),
    partition_by=("event_date",),
    keys=(*USER_KEY, "event_date"),
)

# Per-user, per-day count of each raw platform value (null or empty platform is not a value).
SILVER_USER_DAILY_PLATFORMS = Table(
    "silver.user_daily_platforms",
    _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("platform", S, False),  # raw value as sent, e.g. ios, android, web
        ("events", L, False),
        ("last_ts", L, False),  # latest event with this platform that day
        ("event_date", DT, False),
    ),
    partition_by=("event_date",),
    keys=(*USER_KEY, "event_date", "platform"),
)

AMOUNT = T.DecimalType(38, 6)  # all-time amounts are summed exactly (to a millionth), then shown as double

# All-time counters per user over every closed event date <= as_of (an event date is closed once
# no more events can arrive for it: 3 days after it). all-time at ds = state(ds-3) + days ds-2..ds.
SILVER_USER_ALLTIME_STATE = Table(
    "silver.user_alltime_state",
    _schema(
        ("app_id", S, False),
        ("uid", S, False),
        ("vas_orders_placed", L, False),
        ("vas_amount_placed", AMOUNT, False),
        ("vas_orders_completed", L, False),
        ("vas_amount_completed", AMOUNT, False),
        ("feedback_submitted", L, False),
        ("feedback_resolved", L, False),
        ("cs_chat_satisfied", L, False),
        ("cs_chat_dissatisfied", L, False),
        ("cs_chat_fair", L, False),
        ("coupons_received", L, False),
        ("as_of", DT, False),
    ),
    partition_by=("as_of",),
    keys=(*USER_KEY, "as_of"),
)

SILVER_TABLES = (
    SILVER_EVENTS,
    SILVER_USER_DAILY_EVENTS,
    SILVER_USER_DAILY_ACTIVITY,
    SILVER_USER_DAILY_PLATFORMS,
    SILVER_USER_ALLTIME_STATE,
)


# --- segments ----------------------------------------------------------------------------------
# Gold outputs of the segment job (jobs/segments): the contract campaign systems read
# (PRODUCT.md, "Outputs"). Each run of a ds replaces that ds's partition of every table.
GOLD_SEGMENT_MEMBERSHIP = Table(
    "gold.segment_membership",
    _schema(
        ("app_id", S, False),
        ("segment_id", S, False),
        ("uid", S, True),  # null only for external email members of imported segments
        ("email", S, True),  # imported segments only
        ("param1", S, True),
        ("param2", S, True),
        ("param3", S, True),
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("app_id", "segment_id", "ds", "uid", "email"),
)

GOLD_SEGMENT_CHANGES = Table(
    "gold.segment_changes",
    _schema(
        ("app_id", S, False),
        ("segment_id", S, False),
        ("uid", S, False),
        ("change", S, False),  # entered or exited, against the segment's previous published ds
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("app_id", "segment_id", "ds", "uid"),
)

GOLD_SEGMENT_RUNS = Table(
    "gold.segment_runs",
    _schema(
        ("app_id", S, False),
        ("segment_id", S, False),
        ("name", S, True),
        ("kind", S, False),  # predefined, custom, nested or imported (imported cannot be exported)
        ("refresh", S, False),  # daily or once
        ("definition_hash", S, True),  # sha256 of the canonical JSON of the definition
        ("evaluated_ds", DT, True),  # ds the members were computed on (earlier for a kept `once` segment)
        ("member_count", L, True),
        ("status", S, False),  # published, failed (definition error), blocked (quality gate) or retired (removed)
        ("reason", S, True),  # why it failed
        ("source_file", S, True),  # definition file relative to segment_defs/
        ("started_at", T.TimestampType(), False),
        ("finished_at", T.TimestampType(), False),
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("app_id", "segment_id", "ds"),
)

GOLD_SEGMENT_IMPORT_FAILURES = Table(
    "gold.segment_import_failures",
    _schema(
        ("app_id", S, False),
        ("segment_id", S, False),
        ("source_file", S, False),  # the CSV, relative to segment_defs/
        ("line", L, False),
        ("value", S, True),
        ("reason", S, False),
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("app_id", "segment_id", "ds", "line", "value"),
)

SEGMENT_TABLES = (GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_RUNS, GOLD_SEGMENT_IMPORT_FAILURES)

# --- quality -----------------------------------------------------------------------------------
# Written by the quality gates (jobs/quality, jobs/publish). Both are append-only logs: every
# validation and every publication attempt adds rows, so concurrent runs never conflict.

GOLD_CHECK_RESULTS = Table(
    "gold.check_results",
    _schema(
        ("run_id", S, False),  # one write-audit-publish run (or one audit)
        ("table_name", S, False),  # the table whose ds partition was checked, e.g. gold.user_labels
        ("suite", S, False),  # suite file name (expectations/<suite>.yml) or `bounds`
        ("dataset", S, False),  # `rows` (the partition itself) or a derived dataset, e.g. members
        ("check_id", S, False),  # <suite>#<position in the file>, stable within a run
        ("check_name", S, False),  # GE expectation type, or row_count_vs_previous
        ("column_name", S, True),  # column(s) checked; null for table-level checks
        ("app_id", S, True),  # set when the result is for one app / segment (suite group_by)
        ("segment_id", S, True),
        ("severity", S, False),  # critical (blocks publication), warning or info (recorded only)
        ("success", B, False),
        ("observed", S, False),  # e.g. "3 non-unique values, e.g. u1"
        ("bound", S, False),  # e.g. "unique", "[0, 1]", "800..1200 rows"
        ("details", S, True),  # the raw result as JSON
        ("checked_at", T.TimestampType(), False),
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("run_id", "table_name", "check_id", "app_id", "segment_id"),
)

GOLD_PUBLICATIONS = Table(
    "gold.publications",
    _schema(
        ("run_id", S, False),
        ("table_name", S, False),
        ("status", S, False),  # published or blocked
        ("staged_version", L, False),  # version of the staging twin that was audited
        ("published_version", L, True),  # version of the published table holding the ds (null: blocked)
        ("failed_checks", L, False),  # critical checks that failed (blocking)
        ("warned_checks", L, False),  # warning/info checks that failed (not blocking)
        ("message", S, True),  # the PublicationBlocked message when blocked
        ("report_path", S, True),
        ("started_at", T.TimestampType(), False),
        ("finished_at", T.TimestampType(), False),
        ("ds", DT, False),
    ),
    partition_by=("ds",),
    keys=("run_id", "table_name", "ds"),
)

QUALITY_TABLES = (GOLD_CHECK_RESULTS, GOLD_PUBLICATIONS)
