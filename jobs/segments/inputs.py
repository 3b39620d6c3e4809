"""What the daily job and the readers both read for a ds: the imported segments' members (each CSV
streamed, matched against the user snapshot of ds) and each segment's previous published run and
members. The job (``jobs.segments.daily``) and the readers (``jobs.segments.readers``) import this
module; a reader never imports the job.
"""

from __future__ import annotations

import datetime as dt
import os

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.safe_text import FORMULA_STARTS
from jobs.segments.import_match import current_import_folder, resolve_imports, stage_import, staged_lines
from jobs.segments.language.evaluate import MEMBER_COLUMNS
from jobs.segments.language.guard import describe
from jobs.segments.language.limits import FileRefused
from jobs.segments.language.model import Segment
from jobs.segments.outputs import PUBLISHED
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS


def previous_runs(spark: SparkSession, root: str, ds: dt.date) -> dict[tuple[str, str], dict]:
    """(app_id, segment_id) -> the latest published run before ds (ds, evaluated_ds, definition_hash)."""
    runs = read_table(spark, GOLD_SEGMENT_RUNS, root).where((F.col("ds") < F.lit(ds)) & (F.col("status") == PUBLISHED))
    latest = runs.groupBy("app_id", "segment_id").agg(F.max("ds").alias("ds"))
    rows = runs.join(latest, ["app_id", "segment_id", "ds"]).select(
        "app_id", "segment_id", "ds", "evaluated_ds", "definition_hash").collect()
    return {(r.app_id, r.segment_id): r.asDict() for r in rows}


def previous_members(spark: SparkSession, root: str, keys: dict[tuple[str, str], dt.date]) -> DataFrame:
    """Members of each (app_id, segment_id) on the given earlier ds."""
    members = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, root)
    if not keys:
        return members.where(F.lit(False)).select(*MEMBER_COLUMNS)
    wanted = spark.createDataFrame([(a, s, d) for (a, s), d in keys.items()], "app_id string, segment_id string, ds date")
    return (members.where(F.col("ds").isin([F.lit(d) for d in sorted(set(keys.values()))]))
            .join(wanted, ["app_id", "segment_id", "ds"]).select(*MEMBER_COLUMNS))


def run_imports(spark, root, ds, program, segments: list[Segment], folder: str | None = None
                ) -> tuple[DataFrame | None, DataFrame | None, dict]:
    """Members and failure report of the imported segments evaluated today, and their failures.

    Each CSV is streamed into a Parquet file under ``folder`` (default: the enclosing
    ``import_staging`` block's, see ``import_match``); a file that is refused or passes a limit
    fails its segment alone.
    """
    if not segments:
        return None, None, {}
    folder = folder or current_import_folder(root)
    errors, staged = {}, []
    for seg in segments:
        try:
            staged.append((seg, stage_import(seg, folder)))
        except FileRefused as refused:
            errors[seg.key] = f"{seg.file}: {refused}"
        except Exception as exc:  # noqa: BLE001 - any failure reading one import fails that segment
            errors[seg.key] = f"{seg.file}: import file {seg.source.csv!r} cannot be read ({describe(exc)})"
    if not staged:
        return None, None, errors
    try:
        users = read_table(spark, BRONZE_USERS, root).where(F.col("dt") == F.lit(ds))
        users.columns  # resolves the table now: a missing snapshot fails the imports, not the run
    except Exception as exc:  # noqa: BLE001 - any engine error means the snapshot cannot be read
        reason = f"user snapshot of {ds} cannot be read: {str(exc).splitlines()[0][:200]}"
        return None, None, {**errors, **{seg.key: reason for seg, _ in staged}}
    members, rejected = resolve_imports(staged_lines(spark, folder, [f for _, f in staged]), users)
    members = formula_safe_params(members)
    files = spark.createDataFrame(
        [(s.app_id, s.id, _csv_name(program, s)) for s, _ in staged], "app_id string, segment_id string, source_file string")
    return members, rejected.join(files, ["app_id", "segment_id"]), errors


def formula_safe_params(members: DataFrame) -> DataFrame:
    """Imported members' param1..3 with the spreadsheet-formula guard of ``jobs.safe_text``: a
    param starting with = + - @ tab or CR gets a leading ``'`` (campaign tools paste params into
    sheets and templates)."""
    def guarded(name: str):
        value = F.col(name)
        return F.when(F.substring(value, 1, 1).isin(list(FORMULA_STARTS)), F.concat(F.lit("'"), value)).otherwise(value)

    return members.withColumns({name: guarded(name) for name in ("param1", "param2", "param3")})


def _csv_name(program, seg: Segment) -> str:
    return os.path.relpath(seg.source.abspath, program.defs_dir).replace(os.sep, "/")
