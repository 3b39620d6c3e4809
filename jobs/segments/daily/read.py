"""Step 1 of the daily job, read inputs: the definitions, the labels of ds at a pinned version, the
run history and the daily aggregates. Nothing is decided here (see ``plan``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import ensure_table, read_table
from jobs.publish import Pinned, recover
from jobs.segments.daily.lifecycle import latest_runs, retired_keys
from jobs.segments.inputs import previous_runs
from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.program import Program
from jobs.segments.validate import check_definitions
from jobs.storage import storage_options
from jobs.tables import GOLD_USER_LABELS, SEGMENT_TABLES, SILVER_USER_DAILY_EVENTS
from jobs.visibility import pinned_version

Key = tuple[str, str]


class LabelsMissingError(RuntimeError):
    """The label table has no rows for the ds: a pipeline failure, not a definition error."""


@dataclass(frozen=True)
class RunInputs:
    """What one run of ds reads.

    Args:
        program, errors: the definitions and their errors (``validate.check_definitions``).
        labels_pin: the label table's version the segments are computed from and published with.
        labels: the label rows of ds at that version.
        label_apps: the apps with label rows on ds (at least one).
        latest: (app, segment) -> its latest run before ds, whatever its status (``lifecycle``).
        history: (app, segment) -> its latest published run before ds, retired segments left out
            (a retired segment put back starts afresh).
        daily: the daily aggregate table.
    """

    ds: dt.date
    program: Program
    errors: list[DefinitionError]
    labels_pin: Pinned
    labels: DataFrame
    label_apps: frozenset[str]
    latest: dict[Key, dict]
    history: dict[Key, dict]
    daily: DataFrame


def read_inputs(spark: SparkSession, root: str, ds: dt.date, defs_dir: str) -> RunInputs:
    """Completes an interrupted publication first (so history is whole), then reads.

    Raises:
        LabelsMissingError: the label table has no (published) rows for ds.
        FileNotFoundError: ``defs_dir`` is not a folder.
    """
    recover(spark, root)  # a publication interrupted earlier is completed before this one reads history
    for table in SEGMENT_TABLES:
        ensure_table(spark, table, root)
    program, errors = check_definitions(defs_dir)
    labels_pin = pin_labels(root, ds)
    labels = labels_at(spark, root, labels_pin).where(F.col("ds") == F.lit(ds))
    label_apps = frozenset(r.app_id for r in labels.select("app_id").distinct().collect())
    if not label_apps:
        raise LabelsMissingError(f"no rows in {GOLD_USER_LABELS.name} for ds {ds}: run the label job first")
    latest = latest_runs(spark, root, ds)
    retired = retired_keys(latest)
    history = {k: v for k, v in previous_runs(spark, root, ds).items() if k not in retired}
    daily = read_table(spark, SILVER_USER_DAILY_EVENTS, root)
    return RunInputs(ds, program, errors, labels_pin, labels, label_apps, latest, history, daily)


def pin_labels(root: str, ds: dt.date) -> Pinned:
    """The label table's version the segments of ds are computed from and published with: the
    current one (a label commit is always published whole, see ``jobs.publish``), with the staging
    version of the newest published labels of ds (the same version when they were written directly)."""
    from deltalake import DeltaTable

    path = GOLD_USER_LABELS.location(root)
    try:
        version = DeltaTable(path, storage_options=storage_options(path)).version()
    except Exception as error:  # noqa: BLE001 - delta-rs raises TableNotFoundError for a missing table
        raise LabelsMissingError(f"no rows in {GOLD_USER_LABELS.name} for ds {ds}: run the label job first") from error
    logged = pinned_version(root, GOLD_USER_LABELS, ds)
    return Pinned(GOLD_USER_LABELS, logged[0] if logged else version, version)


def labels_at(spark: SparkSession, root: str, pin: Pinned) -> DataFrame:
    """The label table exactly at the pinned version."""
    return spark.read.format("delta").option("versionAsOf", pin.version).load(GOLD_USER_LABELS.location(root))
