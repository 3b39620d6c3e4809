"""Hand-made rows for segment tests: labels, daily aggregates and user snapshots built against the
declared schemas (missing columns are null; counts default to 0)."""

from __future__ import annotations

import datetime as dt

from jobs.delta_io import replace_partition
from jobs.tables import BRONZE_USERS, GOLD_USER_LABELS, SILVER_USER_DAILY_EVENTS

DS = dt.date(2026, 3, 10)
APP = "smartlife"


def ms(day: dt.date, hour: int = 12) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc).timestamp() * 1000)


def days_ago(n: int) -> dt.date:
    return DS - dt.timedelta(days=n)


def _row(schema, defaults, values):
    base = {f.name: None for f in schema.fields}
    base.update(defaults)
    base.update(values)
    unknown = set(values) - {f.name for f in schema.fields}
    assert not unknown, unknown
    return tuple(base[f.name] for f in schema.fields)


def label(uid: str, app_id: str = APP, ds: dt.date = DS, **labels):
    """A label row: a registered user who accepts marketing unless told otherwise."""
    return _row(GOLD_USER_LABELS.schema, {"app_id": app_id, "uid": uid, "ds": ds, "user_type": "registered",
                                          "accept_marketing": True}, labels)


def daily(uid: str, event: str, day: dt.date = DS, events: int = 1, app_id: str = APP, **cols):
    """A daily aggregate row; measure_<m>=x sets count 1 and sum/min/max x."""
    schema = SILVER_USER_DAILY_EVENTS.schema
    defaults = {f.name: 0 for f in schema.fields if f.name.endswith("_count")}
    defaults.update({"app_id": app_id, "uid": uid, "event": event, "event_date": day, "events": events, "last_ts": ms(day)})
    for name in [k for k in cols if k.startswith("measure_") and k.count("_") == 1]:
        value = cols.pop(name)
        cols.update({f"{name}_count": events, f"{name}_sum": value, f"{name}_min": value, f"{name}_max": value})
    return _row(schema, defaults, cols)


def user(uid: str, app_id: str = APP, dt_: dt.date = DS, **cols):
    """A bronze user snapshot row."""
    return _row(BRONZE_USERS.schema, {"app_id": app_id, "uid": uid, "user_type": "registered", "accept_marketing": True,
                                       "source_file": "users.jsonl", "source_line": 1, "dt": dt_}, cols)


def write_inputs(spark, root, labels=(), dailies=(), users=(), ds: dt.date = DS):
    """Writes the given rows as the ds partition of labels / the daily aggregates / the user snapshot
    (without ``users``: a snapshot of exactly the labelled users, as the label job would have read)."""
    replace_partition(spark.createDataFrame(list(labels), GOLD_USER_LABELS.schema), GOLD_USER_LABELS, root, {"ds": ds})
    if dailies:
        df = spark.createDataFrame(list(dailies), SILVER_USER_DAILY_EVENTS.schema)
        for day in sorted({r[-1] for r in dailies}):
            replace_partition(df.where(df.event_date == day), SILVER_USER_DAILY_EVENTS, root, {"event_date": day})
    else:
        from jobs.delta_io import ensure_table

        ensure_table(spark, SILVER_USER_DAILY_EVENTS, root)
    if not users:
        # The label job builds labels from the snapshot of ds: the quality gate of the segment job
        # checks members against it, so the snapshot is the labelled users unless given.
        names = [f.name for f in GOLD_USER_LABELS.schema.fields]
        users = [user(r[names.index("uid")], app_id=r[names.index("app_id")], dt_=ds,
                      user_type=r[names.index("user_type")], accept_marketing=r[names.index("accept_marketing")])
                 for r in labels]
    replace_partition(spark.createDataFrame(list(users), BRONZE_USERS.schema), BRONZE_USERS, root, {"dt": ds})
