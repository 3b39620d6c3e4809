"""Imported segments: a CSV of type,value,param1,param2,param3 matched against the users of ds.

Parsing is plain Python (line numbers kept; a bad line is rejected with its reason, never the
file); matching is a DataFrame transform. Unregistered uids and phones are dropped, emails that
match no user are kept as external members (uid null), deleted users are never members.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import phonenumbers
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.segments.model import Segment

TYPES = ("email", "phone", "uid")
HEADER = ["type", "value", "param1", "param2", "param3"]
MAX_VALUE = 320  # longest valid email address
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")

LINE_SCHEMA = T.StructType([T.StructField(n, t, True) for n, t in [
    ("app_id", T.StringType()), ("segment_id", T.StringType()), ("consent_required", T.BooleanType()),
    ("line", T.LongType()), ("type", T.StringType()), ("value", T.StringType()), ("key", T.StringType()),
    ("param1", T.StringType()), ("param2", T.StringType()), ("param3", T.StringType()),
]])
FAILURE_SCHEMA = T.StructType([T.StructField(n, t, True) for n, t in [
    ("app_id", T.StringType()), ("segment_id", T.StringType()), ("line", T.LongType()),
    ("value", T.StringType()), ("reason", T.StringType()),
]])


@dataclass(frozen=True)
class ImportLine:
    line: int
    type: str
    value: str
    key: str  # the value as matched: lower-case email, E.164 phone, uid
    params: tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class ImportFailure:
    line: int
    value: str | None
    reason: str


def _key(kind: str, value: str) -> tuple[str | None, str | None]:
    """The matching key of a value, or the reason it is malformed."""
    if kind == "email":
        return (value.lower(), None) if _EMAIL.match(value) and len(value) <= MAX_VALUE else (None, "malformed email")
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return None, "phone is not in E.164 form"
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != value or not phonenumbers.is_valid_number(number):
            return None, "phone is not in E.164 form" if e164 != value else "phone is not a valid number"
        return e164, None
    return (value, None) if len(value) <= MAX_VALUE else (None, "uid is too long")


def parse_import(text: str) -> tuple[list[ImportLine], list[ImportFailure]]:
    """Parses an import CSV. A first line ``type,value,...`` is a header. Blank lines are skipped.

    Returns:
        The well-formed lines (first occurrence of each value) and every rejected line with its reason.
    """
    lines, failures, seen = [], [], {}
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            failures.append(ImportFailure(reader.line_num, None, f"malformed CSV: {exc}"))
            continue
        number = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if number == 1 and [c.strip().lower() for c in row[:2]] == HEADER[:2]:
            continue
        value = row[1].strip() if len(row) > 1 else None
        if not 2 <= len(row) <= 5:
            failures.append(ImportFailure(number, value, f"expected 2 to 5 fields (type,value,param1,param2,param3), got {len(row)}"))
            continue
        kind = row[0].strip().lower()
        if kind not in TYPES:
            failures.append(ImportFailure(number, value, f"unknown type {row[0].strip()[:40]!r}; expected email, phone or uid"))
            continue
        if not value:
            failures.append(ImportFailure(number, value, "empty value"))
            continue
        key, problem = _key(kind, value)
        if problem:
            failures.append(ImportFailure(number, value, problem))
            continue
        if (kind, key) in seen:
            failures.append(ImportFailure(number, value, f"duplicate of line {seen[(kind, key)]}"))
            continue
        seen[(kind, key)] = number
        params = tuple((row[i].strip() or None) if i < len(row) else None for i in (2, 3, 4))
        lines.append(ImportLine(number, kind, value, key, params))
    return lines, failures


def lines_frame(spark: SparkSession, parsed: list[tuple[Segment, list[ImportLine]]]) -> DataFrame:
    """The parsed lines of every imported segment as one DataFrame."""
    rows = [(seg.app_id, seg.id, seg.consent_required, ln.line, ln.type, ln.value, ln.key, *ln.params)
            for seg, lines in parsed for ln in lines]
    return spark.createDataFrame(rows, LINE_SCHEMA)


def user_keys(users: DataFrame) -> DataFrame:
    """(app_id, type, key) -> user, for matching uids, lower-case emails and phones."""
    base = users.select("app_id", "uid", "user_type", "accept_marketing", "email", "phone").dropDuplicates(["app_id", "uid"])
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
        lines: from :func:`lines_frame`.
        users: the user snapshot of ds (app_id, uid, user_type, accept_marketing, email, phone).

    Returns:
        Members (app_id, segment_id, uid, email, param1..3) and failures (app_id, segment_id, line, value, reason).
    """
    matched = lines.join(user_keys(users), ["app_id", "type", "key"], "left")
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
    return members, rejected.unionByName(duplicates)
