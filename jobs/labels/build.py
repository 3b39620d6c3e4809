"""The daily label table: every label of the catalog for every non-deleted user of a snapshot."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.contract import USER_KEY
from jobs.labels.activity import ACTIVITY_DEFAULTS, activity_labels
from jobs.labels.country import with_country_names
from jobs.labels.devices import PAIRING_DEFAULTS, pairing_labels, with_device_labels
from jobs.labels.lifecycle import with_lifecycle
from jobs.labels.mall import MALL_DEFAULTS, mall_labels, with_mall_snapshot_labels
from jobs.labels.profile import with_profile_labels
from jobs.labels.value import ALLTIME_DEFAULTS, alltime_labels, with_cloud_storage_labels
from jobs.tables import GOLD_USER_LABELS

# The value of an event-derived label for a user without the events (null: stays null).
LABEL_DEFAULTS = {**ACTIVITY_DEFAULTS, **PAIRING_DEFAULTS, **MALL_DEFAULTS, **ALLTIME_DEFAULTS}


def _default(name: str, value: object) -> F.Column:
    dtype = GOLD_USER_LABELS.schema[name].dataType
    return F.coalesce(F.col(name), F.lit(value).cast(dtype)).alias(name)


def user_labels(
    users: DataFrame,
    daily_events: DataFrame,
    activity: DataFrame,
    platforms: DataFrame,
    totals: DataFrame,
    countries: DataFrame,
    ds: dt.date,
) -> DataFrame:
    """Rows of ``gold.user_labels`` for ``ds``.

    Args:
        users: the bronze.users snapshot of ``ds``; deleted users are left out, guests kept.
        daily_events, activity, platforms: rows of the silver daily tables covering at least the
            last 180 days (other dates are ignored).
        totals: all-time counters per user at ``ds`` (``jobs.silver.alltime``).
        countries: ``jobs.labels.country.country_lookup`` rows.
        ds: the as-of date.
    """
    snapshot = (
        users.where(F.col("user_type") != "deleted")
        .transform(with_country_names, countries)
        .transform(with_profile_labels)
        .transform(with_device_labels)
        .transform(with_mall_snapshot_labels)
        .transform(with_cloud_storage_labels)
    )
    labelled = snapshot
    for per_user in (
        activity_labels(activity, platforms, daily_events, ds),
        pairing_labels(daily_events, ds),
        mall_labels(daily_events, ds),
        alltime_labels(totals),
    ):
        labelled = labelled.join(per_user, list(USER_KEY), "left")
    labelled = labelled.withColumns(
        {name: _default(name, value) for name, value in LABEL_DEFAULTS.items() if value is not None}
    ).transform(with_lifecycle, ds)
    return labelled.select(*[f.name for f in GOLD_USER_LABELS.schema.fields if f.name != "ds"], F.lit(ds).alias("ds"))
