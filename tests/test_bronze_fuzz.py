"""Fuzz and property tests of the landing line parser (hypothesis): random and adversarial lines and files.

Every input gets a classified outcome (accepted, or quarantined with a known reason; a file that
stops being readable: a named failure), in bounded time and memory, and lines read = accepted +
duplicates + quarantined. CI runs a bounded number of examples; ``HYPOTHESIS_PROFILE=long`` runs
the long campaign recorded in docs/ingestion.md ("Fuzz tests").
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import time
import tracemalloc

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyspark.sql.pandas.types import to_arrow_schema

from jobs.bronze.events import MAX_PROPS_DEPTH, TsWindow, parse_event, prop_rules
from jobs.bronze.lines import FILE_FAILURES, MAX_LINE_BYTES, RAW_LINE_BYTES, FileReadError, split_lines
from jobs.bronze.parse import EVENT_REASONS, USER_REASONS, Rejection
from jobs.bronze.read import FILE_FAILURE, _parse_file, classify_line, parsed_schema
from jobs.bronze.users import parse_user
from jobs.catalogs import event_catalog
from jobs.tables import BRONZE_EVENTS

settings.register_profile("ci", max_examples=100, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
settings.register_profile("long", max_examples=3_000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
LINES = settings.get_profile(PROFILE)
FILES = settings(LINES, max_examples=max(10, LINES.max_examples // 10))
ENGINE = settings(LINES, max_examples=3 if PROFILE == "ci" else 30,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

ARRIVAL = dt.date(2024, 3, 10)
WINDOW = TsWindow.for_arrival(ARRIVAL)
CATALOG = event_catalog()
RULES = prop_rules(CATALOG)
DAY = 86_400_000
SECONDS_PER_LINE = 1.0  # generous on a shared 2-core machine: a 2 MiB line parses in milliseconds
EVENT_FIELDS = ("event_id", "app_id", "uid", "event", "ts", "platform", "app_version", "phone_model", "props")

# --- strategies ---------------------------------------------------------------------------------

big_ints = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([-1, 0, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]),
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.one_of(st.none(), st.booleans(), big_ints, finite_floats, st.text(max_size=12))
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)
# number-like tokens JSON forbids or that overflow a type, spliced into lines as raw bytes
TOKENS = (b"NaN", b"-NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"1e-400", b"-0", b"-0.0", b"1.0",
          b"18446744073709551615", b"18446744073709551616", b"-9223372036854775809", b"1" * 400, b"0x10", b"01",
          b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\u0000"', b'"\xed\xa0\x80"', b'"\xff\xfe"', b"true", b"[]", b"{}",
          b'"12"', b"null", b"[" * 1100 + b"]" * 1100)  # fmt: skip


def dumps(obj: object) -> bytes:
    """JSON text of ``obj``; the standard library writes integers of any size (orjson stops at 64 bits)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def nest(depth: int, leaf: object, kind: str) -> object:
    """``leaf`` wrapped in ``depth`` objects or arrays."""
    for _ in range(depth):
        leaf = {"k": leaf} if kind == "object" else [leaf]
    return leaf


@st.composite
def props_values(draw) -> object:
    choice = draw(st.sampled_from(["measures", "deep", "random", "none"]))
    if choice == "measures":
        return draw(st.dictionaries(st.sampled_from(["items", "amount", "result", "category", "service", "x"]),
                                    st.one_of(big_ints, finite_floats, scalars), max_size=4))  # fmt: skip
    if choice == "deep":
        depth = draw(st.integers(MAX_PROPS_DEPTH - 3, MAX_PROPS_DEPTH + 3) | st.integers(0, 250))
        return {"items": 1, "deep": nest(depth, draw(scalars), draw(st.sampled_from(["object", "array"])))}
    return draw(json_values) if choice == "random" else None


@st.composite
def event_objects(draw) -> dict:
    """Mostly-plausible events: each field valid, random, or absent."""
    valid = {
        "event_id": draw(st.text(min_size=1, max_size=8)),
        "app_id": draw(st.sampled_from(["app", "smartlife"])),
        "uid": draw(st.none() | st.text(max_size=8)),
        "event": draw(st.sampled_from(sorted(CATALOG)) | st.text(max_size=70)),
        "ts": draw(st.integers(WINDOW.start_ms - DAY, WINDOW.end_ms + DAY)),
        "platform": draw(st.sampled_from(["ios", "android", "web"])),
        "app_version": "5.12.0",
        "phone_model": "TAS-AL00",
        "props": draw(props_values()),
    }
    obj = {}
    for name in EVENT_FIELDS:
        how = draw(st.sampled_from(["valid"] * 6 + ["random", "absent"]))
        if how == "valid":
            obj[name] = valid[name]
        elif how == "random":
            obj[name] = draw(json_values)
    return obj


@st.composite
def adversarial_lines(draw) -> bytes:
    """Bytes a hostile or broken sender could produce."""
    kind = draw(st.sampled_from(["event", "event", "token", "mutated", "binary", "deep", "long"]))
    if kind == "event":
        return dumps(draw(event_objects()))
    base = dumps(draw(event_objects()) | {"event": "mall_order_paid"})
    if kind == "token":
        field = draw(st.sampled_from([b'"items"', b'"amount"', b'"ts"', b'"uid"', b'"event_id"']))
        token = draw(st.sampled_from(TOKENS))
        return b'{"event_id":"e","app_id":"a","event":"mall_order_paid","ts":%d,"props":{%s:%s},%s:%s}' % (
            WINDOW.start_ms + DAY, field, token, field, token)
    if kind == "mutated":
        at = draw(st.integers(0, len(base)))
        cut = draw(st.integers(0, 8))
        return base[:at] + draw(st.binary(max_size=8)) + base[at + cut :]
    if kind == "binary":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.integers(20, 1100))
        return b'{"event_id":"e","app_id":"a","event":"page_view","ts":%d,"props":%s}' % (
            WINDOW.start_ms + DAY, b'{"a":' * depth + b"1" + b"}" * depth)
    size = draw(st.sampled_from([RAW_LINE_BYTES - 1, RAW_LINE_BYTES + 1, MAX_LINE_BYTES - 40, MAX_LINE_BYTES + 1]))
    return base[:-1] + b',"pad":"' + "é".encode() * (size // 2) + b'"}'


user_lines = st.one_of(
    st.builds(dumps, st.dictionaries(
        st.sampled_from(["uid", "app_id", "user_type", "register_time", "country_code", "accept_marketing", "devices",
                         "cloud_storage", "mall", "email"]), json_values, max_size=10)),  # fmt: skip
    adversarial_lines(),
)

# --- properties of one line ---------------------------------------------------------------------


def bounded(parse, line: bytes) -> dict:
    """Reads ``line`` as the file reader would (as a file's second line, its breaks as spaces) and
    classifies it within the time and memory bounds; returns its row ({} for a blank line)."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        # after a first line: a byte-order mark means something only at the start of a file
        read = list(split_lines([b"{}\n" + line.replace(b"\n", b" ")]))[1:]
        row = classify_line(read[0][1], parse) if read and (type(read[0][1]) is not bytes or read[0][1].strip()) else {}
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < SECONDS_PER_LINE + len(line) / 1e6
    assert peak < 1_000_000 + 40 * len(line), f"peak {peak} bytes for a {len(line)}-byte line"
    return row


def assert_event_outcome(line: bytes, row: dict) -> None:
    if not row:
        assert not line.replace(b"\n", b" ").strip()  # only a blank line gives no row
        return
    if row.get("reason") is not None:
        assert row["reason"] in EVENT_REASONS and row["reason"] != "parser_error"
        assert isinstance(row["raw_line"], str) and len(row["raw_line"].encode("utf-8", "surrogatepass")) <= 3 * RAW_LINE_BYTES
        row["raw_line"].encode("utf-8")  # raises on a lone surrogate: none may reach the table
        return
    assert set(row) == {f.name for f in BRONZE_EVENTS.schema.fields} - {"dt", "source_file", "source_line"}
    assert len(line) <= MAX_LINE_BYTES
    for name in ("event_id", "app_id", "event"):
        assert type(row[name]) is str and row[name]
    assert WINDOW.start_ms <= row["ts"] < WINDOW.end_ms
    spec = CATALOG[row["event"]]
    props = None if row["props"] is None else orjson.loads(row["props"])
    for name, measure in spec.measures.items():
        value = (props or {}).get(name)
        if value is not None:
            assert measure.minimum <= value <= measure.maximum and (measure.type == "number" or type(value) is int)


@LINES
@given(adversarial_lines())
def test_every_event_line_is_accepted_or_quarantined_with_a_reason(line):
    row = bounded(lambda raw: parse_event(raw, WINDOW, RULES), line)
    assert_event_outcome(line, row)


@LINES
@given(event_objects())
@example({"event_id": "0", "app_id": "app", "event": "account_info_get_code", "ts": WINDOW.start_ms + DAY,
          "props": {"items": 1, "deep": {"k": -(2 ** 63) - 1}}})  # found by the long run: kept as a double
def test_every_plausible_event_is_classified_and_accepted_ones_round_trip(obj):
    line = dumps(obj)
    row = bounded(lambda raw: parse_event(raw, WINDOW, RULES), line)
    assert_event_outcome(line, row)
    if row.get("reason") is None:
        # props as JSON reads them: an integer beyond 64 bits is the nearest double (docs/ingestion.md)
        assert orjson.loads(row["props"] or "null") == orjson.loads(line).get("props")
        if not _has_wide_integer(obj.get("props")):
            assert orjson.loads(row["props"] or "null") == obj.get("props")


def _has_wide_integer(value) -> bool:
    if isinstance(value, dict):
        return any(_has_wide_integer(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_wide_integer(v) for v in value)
    return type(value) is int and not -(2 ** 63) <= value < 2 ** 64


@LINES
@given(user_lines)
def test_every_user_line_is_accepted_or_quarantined_with_a_reason(line):
    row = bounded(parse_user, line)
    if not row:
        return
    if row.get("reason") is not None:
        assert row["reason"] in USER_REASONS
    else:
        assert type(row["uid"]) is str and row["user_type"] in ("guest", "registered", "deleted")


@LINES
@given(st.lists(st.sampled_from([b"a", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"{}", b" "]), max_size=40),
       st.integers(1, 7))  # fmt: skip
def test_line_splitting_matches_a_plain_split(pieces, chunk):
    """Splitting in chunks of any size gives the lines and numbers of ``bytes.split``."""
    data = b"".join(pieces)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    pieces_of_body = body.split(b"\n")
    if pieces_of_body[-1] == b"":
        pieces_of_body.pop()  # the break that ends the last line starts no new one
    expected = [line.removesuffix(b"\r") for line in pieces_of_body]
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    assert list(split_lines(chunks)) == list(enumerate(expected, start=1))


# --- properties of one file ---------------------------------------------------------------------

SCHEMA = to_arrow_schema(parsed_schema(BRONZE_EVENTS))


def file_lines(body: bytes) -> list[bytes]:
    """The model of a file's lines: a UTF-8 byte-order mark at the start dropped, split at ``\\n``."""
    return body.removeprefix(b"\xef\xbb\xbf").split(b"\n")[:-1]


@FILES
@given(st.lists(adversarial_lines() | st.sampled_from([b"", b"   ", b"\t"]), max_size=30),
       st.sampled_from(["plain", "gzip", "truncated"]), st.booleans())  # fmt: skip
@example(lines=[b'{"event_id":"0"}', b"\n\x00"], form="plain", crlf=False)  # found by the long run: an item holding a line break
@example(lines=[b"\xff\xfe{}"], form="gzip", crlf=True)
def test_every_file_gives_one_row_per_non_blank_line_and_names_its_failure(tmp_path_factory, lines, form, crlf):
    body = (b"\r\n" if crlf else b"\n").join(lines) + b"\n"
    path = tmp_path_factory.mktemp("fuzz") / ("a.jsonl" if form == "plain" else "a.jsonl.gz")
    data = body if form == "plain" else gzip.compress(body)
    path.write_bytes(data[: max(10, len(data) // 2)] if form == "truncated" else data)
    rows = [r for batch in _parse_file(str(path), "f", lambda raw: parse_event(raw, WINDOW, RULES), SCHEMA)
            for r in batch.to_pylist()]  # fmt: skip
    failures = [r for r in rows if r[FILE_FAILURE] is not None]
    line_rows = [r for r in rows if r[FILE_FAILURE] is None]
    numbers = [r["source_line"] for r in line_rows]
    assert numbers == sorted(set(numbers))
    if form == "truncated":
        assert [r[FILE_FAILURE] for r in failures] in (["truncated"], ["undecodable"], [])
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark: the file is refused whole
        assert ([r[FILE_FAILURE] for r in failures], line_rows) == (["undecodable"], [])
    else:
        assert not failures
        # The file's lines, not the list's items: a random item may hold line breaks itself.
        non_blank = [n for n, line in enumerate(file_lines(body), start=1) if line.strip()]
        assert numbers == non_blank
    for failure in failures:
        assert failure[FILE_FAILURE] in FILE_FAILURES and failure is rows[-1]
    for row in line_rows:
        assert (row["reason"] is None) == (row["event_id"] is not None)


# --- the reconciliation on the engine -------------------------------------------------------------


@ENGINE
@given(st.lists(st.tuples(st.sampled_from(["a.jsonl", "b.jsonl.gz", "c.jsonl"]),
                          adversarial_lines() | st.sampled_from([b"dup-1", b"dup-2"])), max_size=25),
       st.booleans())  # fmt: skip
@example(entries=[("a.jsonl", orjson.dumps({"event_id": "x", "app_id": "a", "event": "page_view", "ts": WINDOW.start_ms,
                                            "pad": "\u00e9" * 600_000}))],  # 1.2 MB of UTF-8: too_long (found by the long run)
         truncate=False)
def test_lines_read_equal_accepted_plus_duplicates_plus_quarantined(spark, tmp_path_factory, entries, truncate):
    """Through the real job; duplicates and the per-file counts are checked against a model."""
    from jobs.bronze import ingest_events

    root = tmp_path_factory.mktemp("lake")
    folder = root / "landing" / "events" / f"dt={ARRIVAL}"
    folder.mkdir(parents=True)
    files: dict[str, list[bytes]] = {}
    for name, line in entries:
        if line.startswith(b"dup-"):  # valid events whose ids repeat across lines and files
            line = orjson.dumps({"event_id": line.decode(), "app_id": "a", "event": "page_view", "ts": WINDOW.start_ms})
        files.setdefault(name, []).append(line)
    for name, lines in files.items():
        body = b"\n".join(lines) + b"\n"
        (folder / name).write_bytes(gzip.compress(body)[:-5] if truncate and name.endswith(".gz") else
                                    gzip.compress(body) if name.endswith(".gz") else body)  # fmt: skip

    report = ingest_events(spark, str(root), ARRIVAL)

    assert report.reconciles()
    assert report.lines_read == report.accepted + report.duplicates + report.quarantined
    for outcome in report.file_outcomes:
        assert outcome.lines_read == outcome.accepted + outcome.duplicates + outcome.quarantined
    # the model: the same reader and parser, then first occurrence by (file, line) wins
    model = {"accepted": 0, "duplicates": 0, "quarantined": 0}
    seen = set()
    for name in sorted(files):
        if truncate and name.endswith(".gz"):
            continue  # cut inside the gzip trailer or data: how many lines survive is the reader's to say
        try:  # the file's lines as the reader splits them (an item may hold line breaks; > 1 MiB is too_long)
            lines = [line for _, line in split_lines([b"\n".join(files[name]) + b"\n"])]
        except FileReadError:  # a UTF-16 byte-order mark: the file is refused whole, no line counted
            continue
        for line in lines:
            if type(line) is bytes and not line.strip():
                continue
            row = classify_line(line, lambda raw: parse_event(raw, WINDOW, RULES))
            if row.get("reason") is not None:
                model["quarantined"] += 1
            elif row["event_id"] in seen:
                model["duplicates"] += 1
            else:
                seen.add(row["event_id"])
                model["accepted"] += 1
    if not (truncate and "b.jsonl.gz" in files):
        assert (report.accepted, report.duplicates, report.quarantined) == tuple(model.values())
