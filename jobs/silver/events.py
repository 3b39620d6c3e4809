"""Clean silver events from bronze: one copy per event_id, signed-in users only, typed props."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.catalogs import event_catalog
from jobs.tables import AMOUNT, SILVER_EVENTS, event_dimensions, event_measures


def _events_declaring(kind: str, name: str) -> list[str]:
    return [code for code, spec in event_catalog().items() if name in getattr(spec, kind)]


def _prop(name: str) -> Column:
    return F.get_json_object(F.col("props"), f"$.{name}")


def _dimension(name: str) -> Column:
    """The prop as text, only on the events whose catalog entry declares it as a dimension."""
    return F.when(F.col("event").isin(_events_declaring("dimensions", name)), _prop(name))


def _measure(name: str) -> Column:
    """The prop as a double, only on the events that declare it; null when it is missing, not a
    number (a numeric string is accepted), outside the catalog's range for that event (NaN and
    infinities are), or not whole for an integer measure. Bronze quarantines such values since
    measure ranges exist; this keeps rows accepted before from reaching the labels."""
    value = _prop(name).try_cast("double")
    column = None
    for code in _events_declaring("measures", name):
        measure = event_catalog()[code].measures[name]
        valid = (F.col("event") == code) & value.between(F.lit(float(measure.minimum)), F.lit(float(measure.maximum)))
        if measure.type == "integer":
            valid &= (value % 1) == 0
        column = F.when(valid, value) if column is None else column.when(valid, value)
    return column if column is not None else F.lit(None).cast("double")


def measure_sum_in_range(name: str) -> Column:
    """``measure_<name>_sum`` of ``silver.user_daily_events`` as decimal(38,6), null unless valid
    values can give it (between count x minimum and count x maximum of the event's range): a guard
    for daily rows built from values accepted before bronze checked measure ranges."""
    total, count = F.col(f"measure_{name}_sum"), F.col(f"measure_{name}_count")
    column = None
    for code in _events_declaring("measures", name):
        measure = event_catalog()[code].measures[name]
        low, high = count * F.lit(float(measure.minimum)), count * F.lit(float(measure.maximum))
        valid = (F.col("event") == code) & total.between(low, high)
        column = F.when(valid, total) if column is None else column.when(valid, total)
    return (column if column is not None else F.lit(None)).try_cast(AMOUNT)


def clean_events(bronze_events: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """Silver events of event dates ``first``..``last`` from bronze event rows.

    Args:
        bronze_events: bronze.events rows of every arrival date that can hold those event dates
            (``first`` .. ``last + LATE_DAYS``, ``jobs.contract``: the late-event window).
        first, last: the event dates to produce, inclusive.

    Returns:
        Rows of ``silver.events``: the first copy of each event_id (earliest arrival date, then
        file and line), guest traffic (null uid) left out, dimensions and measures taken from
        ``props`` as the event catalog declares them.
    """
    first_copy = Window.partitionBy("event_id").orderBy("dt", "source_file", "source_line")
    # Guests are dropped before the window: filtering them after it made the embedded engine's
    # Delta writer see null uids (a NOT NULL violation) although no such row was written.
    kept = (
        bronze_events.where(F.col("uid").isNotNull())
        .withColumn("_copy", F.row_number().over(first_copy))
        .where((F.col("_copy") == 1) & F.col("event_date").between(F.lit(first), F.lit(last)))
    )
    columns = {
        **{f.name: F.col(f.name) for f in SILVER_EVENTS.schema.fields},
        **{f"dim_{d}": _dimension(d) for d in event_dimensions()},
        **{f"measure_{m}": _measure(m) for m in event_measures()},
    }
    return kept.select(*[column.alias(name) for name, column in columns.items()])
