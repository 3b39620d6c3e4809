"""Imported segments in the engine: staged lines (a Parquet file per import) matched to the users of ds.

The CSV is parsed on the driver line by line and written in batches to a Parquet file under the
lakehouse's staging root, which the engine reads like any table: no import row travels inline
in a Spark Connect message, whatever the file's size. Unregistered uids and phones are dropped,
emails that match no user are kept as external members (uid null), deleted users are never members.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.contract import USER_KEY
from jobs.segments.language.errors import quote
from jobs.segments.sources import import_lines
from jobs.segments.language.imports import ImportFailure, parse_lines
from jobs.segments.language.model import Segment
from jobs.storage import filesystem

ROW_SCHEMA = T.StructType([T.StructField(n, t, True) for n, t in [
    ("app_id", T.StringType()), ("segment_id", T.StringType()), ("consent_required", T.BooleanType()),
    ("line", T.LongType()), ("type", T.StringType()), ("value", T.StringType()), ("key", T.StringType()),
    ("param1", T.StringType()), ("param2", T.StringType()), ("param3", T.StringType()), ("reason", T.StringType()),
]])
_ARROW = pa.schema([pa.field(f.name, pa.bool_() if f.name == "consent_required" else pa.int64() if f.name == "line"
                             else pa.string()) for f in ROW_SCHEMA.fields])
BATCH_ROWS = 50_000
log = logging.getLogger(__name__)


def _batch(seg: Segment, outcomes: list) -> pa.RecordBatch:
    rows = {name: [] for name in _ARROW.names}
    for o in outcomes:
        failed = isinstance(o, ImportFailure)
        values = (seg.app_id, seg.id, seg.consent_required, o.line, None if failed else o.type, o.value,
                  None if failed else o.key, *((None,) * 3 if failed else o.params), o.reason if failed else None)
        for name, value in zip(_ARROW.names, values):
            rows[name].append(value)
    return pa.RecordBatch.from_pydict(rows, schema=_ARROW)


def stage_import(seg: Segment, folder: str) -> str:
    """Parses ``seg``'s CSV line by line into ``folder``/<random>.parquet, in batches; returns the file.

    Raises:
        FileRefused: the file is refused or passes a limit while read (the segment fails).
    """
    fs, base = filesystem(folder)
    fs.create_dir(base, recursive=True)
    target = f"{base}/{uuid.uuid4().hex}.parquet"
    writer = pq.ParquetWriter(target, _ARROW, filesystem=fs)
    try:
        pending = []
        for outcome in parse_lines(import_lines(seg.source.abspath, f"import file {quote(seg.source.csv)}")):
            pending.append(outcome)
            if len(pending) >= BATCH_ROWS:
                writer.write_batch(_batch(seg, pending))
                pending = []
        writer.write_batch(_batch(seg, pending))
    except BaseException:
        writer.close()
        fs.delete_file(target)
        raise
    writer.close()
    return target


def staged_lines(spark: SparkSession, folder: str, files: list[str]) -> DataFrame:
    """The staged lines of the given files (all of ``folder`` holds nothing else)."""
    prefix = folder.rstrip("/")
    paths = [f"{prefix}/{f.rsplit('/', 1)[-1]}" for f in files]
    return spark.read.schema(ROW_SCHEMA).parquet(*paths)


def remove_staged(folder: str) -> None:
    """Deletes a run's staged import files (nothing if there are none)."""
    fs, base = filesystem(folder)
    if fs.get_file_info(base).type != pafs.FileType.NotFound:
        fs.delete_dir(base)


def user_keys(users: DataFrame) -> DataFrame:
    """(app_id, type, key) -> user, for matching uids, lower-case emails and phones."""
    base = users.select("app_id", "uid", "user_type", "accept_marketing", "email", "phone").dropDuplicates(list(USER_KEY))
    common = ["app_id", "uid", "user_type", "accept_marketing"]
    by_uid = base.select(*common, F.lit("uid").alias("type"), F.col("uid").alias("key"))
    by_email = base.where(F.col("email").isNotNull()).select(*common, F.lit("email").alias("type"), F.lower(F.trim("email")).alias("key"))
    by_phone = base.where(F.col("phone").isNotNull()).select(*common, F.lit("phone").alias("type"), F.trim("phone").alias("key"))
    return by_uid.unionByName(by_email).unionByName(by_phone).withColumnRenamed("uid", "user_uid")


# Outcome of one (line, matched user) pair, best first.
_OUTCOMES = ["member", "external", "no_consent", "not_registered", "deleted", "no_user"]


def resolve_imports(lines: DataFrame, users: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Matches import lines to the users of ds.

    Args:
        lines: the staged lines (``ROW_SCHEMA``): well-formed ones, and failed ones with their reason.
        users: the user snapshot of ds (app_id, uid, user_type, accept_marketing, email, phone).

    Returns:
        Members (app_id, segment_id, uid, email, param1..3) and failures (app_id, segment_id, line,
        value, reason): malformed and repeated lines, and lines that match no member.
    """
    parsed = lines.where(F.col("reason").isNull())
    failed = lines.where(F.col("reason").isNotNull()).select("app_id", "segment_id", "line", "value", "reason")
    # A value repeated in the file: the first line counts, the others are rejected.
    first_line = F.min("line").over(Window.partitionBy("app_id", "segment_id", "type", "key"))
    parsed = parsed.withColumn("_first", first_line)
    repeated = parsed.where(F.col("line") != F.col("_first")).select(
        "app_id", "segment_id", "line", "value", F.concat(F.lit("duplicate of line "), F.col("_first").cast("string")).alias("reason"))
    matched = parsed.where(F.col("line") == F.col("_first")).drop("_first").join(user_keys(users), ["app_id", "type", "key"], "left")
    outcome = (
        F.when(F.col("user_type").isNull() & (F.col("type") == "email"), "external")
        .when(F.col("user_type").isNull(), "no_user")
        .when(F.col("user_type") == "deleted", "deleted")
        .when(F.col("user_type") != "registered", "not_registered")
        .when(F.col("consent_required") & ~F.coalesce(F.col("accept_marketing"), F.lit(False)), "no_consent")
        .otherwise("member")
    )
    rank = F.array_position(F.array(*[F.lit(o) for o in _OUTCOMES]), outcome)
    line_key = ["app_id", "segment_id", "line"]
    ranked = matched.withColumn("outcome", outcome).withColumn("rank", rank)
    best = ranked.withColumn("best", F.min("rank").over(Window.partitionBy(*line_key))).where(F.col("rank") == F.col("best"))
    kept = best.where(F.col("outcome").isin("member", "external"))
    members = kept.select(
        "app_id", "segment_id", "line",
        F.when(F.col("outcome") == "member", F.col("user_uid")).alias("uid"),
        F.when(F.col("type") == "email", F.col("value")).alias("email"),
        "param1", "param2", "param3",
    )
    # One row per member user: a user reached by two lines keeps the first line.
    first = F.min("line").over(Window.partitionBy("app_id", "segment_id", "uid"))
    members = members.withColumn("first_line", F.when(F.col("uid").isNotNull(), first).otherwise(F.col("line")))
    duplicates = members.where(F.col("line") != F.col("first_line")).select(
        "app_id", "segment_id", "line", F.coalesce("email", "uid").alias("value"),
        F.concat(F.lit("same user as line "), F.col("first_line").cast("string")).alias("reason"))
    members = members.where(F.col("line") == F.col("first_line")).select(
        "app_id", "segment_id", "uid", "email", "param1", "param2", "param3")
    reason = (
        F.when(F.col("outcome") == "no_consent", "user does not accept marketing")
        .when(F.col("outcome") == "deleted", "user is deleted")
        .when(F.col("outcome") == "not_registered", "user is not registered")
        .when(F.col("type") == "uid", "uid is not a registered user")
        .otherwise("phone matches no registered user")
    )
    rejected = (best.where(~F.col("outcome").isin("member", "external"))
                .select("app_id", "segment_id", "line", "value", reason.alias("reason"))
                .dropDuplicates(["app_id", "segment_id", "line"]))
    return members, rejected.unionByName(duplicates).unionByName(failed).unionByName(repeated)


_CURRENT: ContextVar[str | None] = ContextVar("import_staging", default=None)


def import_folder(root: str) -> str:
    """A fresh folder name under the staging root for one evaluation's import files."""
    from jobs.publish import staging_root

    return f"{staging_root(root)}/segment_imports/{uuid.uuid4().hex}"


def current_import_folder(root: str) -> str:
    """The folder of the enclosing ``import_staging`` block; outside one, a fresh folder that is
    left for the staging clean-up (``lakehouse maintain``)."""
    return _CURRENT.get() or import_folder(root)


@contextmanager
def import_staging(root: str) -> Iterator[str]:
    """A fresh folder for the import files staged inside the block, removed afterwards (run every
    query that reads them inside the block)."""
    folder = import_folder(root)
    token = _CURRENT.set(folder)
    try:
        yield folder
    finally:
        _CURRENT.reset(token)
        try:
            remove_staged(folder)
        except OSError as exc:  # the result stands; a later clean-up of the staging root removes it
            log.warning("staged import files %s not removed: %s", folder, exc.__class__.__name__)
