"""Hostile lines and files, without Spark: measure ranges, props depth, line length, unreadable files."""

from __future__ import annotations

import datetime as dt
import gzip
import os

import orjson
import pytest

from jobs.bronze import landing
from jobs.bronze.events import TsWindow, parse_event, prop_rules
from jobs.bronze.landing import landing_folder, read_lines
from jobs.bronze.lines import MAX_LINE_BYTES, RAW_LINE_BYTES, FileReadError, TooLongLine, gunzip, raw_text, split_lines
from jobs.bronze.parse import Rejection
from jobs.bronze.read import FILE_FAILURE, _parse_file, classify_line, parsed_schema
from jobs.catalogs import _measure, event_catalog
from jobs.tables import BRONZE_EVENTS
from pyspark.sql.pandas.types import to_arrow_schema

ARRIVAL = dt.date(2024, 3, 10)
WINDOW = TsWindow.for_arrival(ARRIVAL)
RULES = prop_rules(event_catalog())
NOON = int(dt.datetime(2024, 3, 10, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)


def paid(props: object, code: str = "mall_order_paid") -> bytes:
    return orjson.dumps({"event_id": "e-1", "app_id": "app", "uid": "u-1", "event": code, "ts": NOON, "props": props})


def nested(levels: int) -> dict:
    """A props object nesting ``levels`` levels (the props object itself is level 1)."""
    value: object = 1
    for _ in range(levels - 1):
        value = {"x": value}
    return {"items": 1, "deep": value} if levels > 1 else {"items": 1}


# --- measure ranges (the catalog's data) ------------------------------------------------------


def test_the_catalog_declares_each_measure_type_and_range():
    measures = event_catalog()["mall_order_paid"].measures
    assert (measures["items"].type, measures["items"].minimum, measures["items"].maximum) == ("integer", 0, 1_000_000)
    assert (measures["amount"].type, measures["amount"].minimum, measures["amount"].maximum) == ("number", 0, 10**9)
    assert {code: m.maximum for code, spec in event_catalog().items() for name, m in spec.measures.items()
            if name == "amount"} == dict.fromkeys(["mall_order_placed", "mall_order_paid", "vas_order_placed",
                                                   "vas_order_completed"], 10**9)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "integer", "minimum": 0}, "events.yaml: event e measure m: maximum must be a finite integer, not None"),
        ({"type": "integer", "minimum": 0, "maximum": 1.5}, "events.yaml: event e measure m: maximum must be a finite integer, not 1.5"),
        ({"type": "number", "minimum": -1, "maximum": 5}, "events.yaml: event e measure m: the range must satisfy 0 <= minimum <= maximum, not [-1, 5]"),
        ({"type": "number", "minimum": 0, "maximum": float("inf")}, "events.yaml: event e measure m: maximum must be a finite number, not inf"),
        ({"type": "count", "minimum": 0, "maximum": 5}, "events.yaml: event e measure m: type must be one of ['integer', 'number'], not 'count'"),
    ],
)
def test_a_measure_without_a_valid_range_is_a_catalog_error(raw, message):
    with pytest.raises(ValueError) as error:
        _measure("e", "m", raw)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("props", "detail"),
    [
        ({"items": -5, "amount": 1.0}, "props.items=-5 is outside [0, 1000000]"),  # the example
        ({"items": 18446744073709551615, "amount": 1.0}, "props.items=18446744073709551615 is outside [0, 1000000]"),
        ({"items": 1_000_001}, "props.items=1000001 is outside [0, 1000000]"),
        ({"items": 1, "amount": -0.01}, "props.amount=-0.01 is outside [0, 1000000000]"),
        ({"items": 1, "amount": 1_000_000_000.5}, "props.amount=1000000000.5 is outside [0, 1000000000]"),
        ({"amount": 1.7976931348623157e308}, "props.amount=1.7976931348623157e+308 is outside [0, 1000000000]"),
    ],
)
def test_a_measure_outside_its_range_is_an_invalid_value(props, detail):
    assert parse_event(paid(props), WINDOW, RULES) == Rejection("invalid_value", detail)


def test_measures_at_the_ends_of_their_range_are_accepted():
    for props in ({"items": 0, "amount": 0}, {"items": 1_000_000, "amount": 1_000_000_000}, {"amount": 10**9}):
        assert parse_event(paid(props), WINDOW, RULES)["props"] == orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def test_vas_amount_range_and_wrong_type_before_range():
    assert parse_event(paid({"amount": -1, "service": "x"}, "vas_order_placed"), WINDOW, RULES) == Rejection(
        "invalid_value", "props.amount=-1 is outside [0, 1000000000]"
    )
    # a wrong type anywhere in props is reported first (documented order)
    assert parse_event(paid({"items": -5, "amount": "1"}), WINDOW, RULES) == Rejection("wrong_type", "props.amount")


def test_huge_integers_beyond_64_bits_are_numbers_out_of_range_or_wrong_types():
    # orjson reads integers past 2**64 as floats: not an integer for items, out of range for amount
    assert parse_event(b'{"event_id":"e","app_id":"a","event":"mall_order_paid","ts":%d,"props":{"items":%d}}'
                       % (NOON, 2**70), WINDOW, RULES) == Rejection("wrong_type", "props.items")  # fmt: skip
    assert parse_event(b'{"event_id":"e","app_id":"a","event":"mall_order_paid","ts":%d,"props":{"amount":%d}}'
                       % (NOON, 2**70), WINDOW, RULES).reason == "invalid_value"  # fmt: skip


# --- props depth --------------------------------------------------------------------------------


def test_props_nesting_32_levels_is_accepted_and_33_is_too_deep():
    assert type(parse_event(paid(nested(32)), WINDOW, RULES)) is dict
    assert parse_event(paid(nested(33)), WINDOW, RULES) == Rejection("too_deep", "props nest deeper than 32 levels")
    assert parse_event(paid({"a": [[[{"b": []}]]]}), WINDOW, RULES)["props"] == '{"a":[[[{"b":[]}]]]}'


def test_props_nesting_900_levels_is_too_deep_not_a_crash():
    """The issue's example: orjson reads 900 levels but cannot write them back (limit 254)."""
    deep = b'{"x":' * 900 + b"1" + b"}" * 900
    line = b'{"event_id":"e","app_id":"a","event":"page_view","ts":%d,"props":%s}' % (NOON, deep)
    assert parse_event(line, WINDOW, RULES) == Rejection("too_deep", "props nest deeper than 32 levels")
    arrays = b'{"event_id":"e","app_id":"a","event":"page_view","ts":%d,"props":{"a":%s}}' % (NOON, b"[" * 900 + b"]" * 900)
    assert parse_event(arrays, WINDOW, RULES).reason == "too_deep"


# --- line length --------------------------------------------------------------------------------


def test_a_line_over_1_mib_is_too_long_with_its_raw_line_cut_to_64_kib():
    long_line = b'{"event_id":"' + b"\xc3\xa9" * MAX_LINE_BYTES + b'"}'
    lines = list(split_lines([long_line[i : i + 100_000] for i in range(0, len(long_line), 100_000)] + [b"\n{}\n"]))
    assert [n for n, _ in lines] == [1, 2]
    first = lines[0][1]
    assert type(first) is TooLongLine and first.length == len(long_line) and len(first.prefix) == RAW_LINE_BYTES
    parsed = classify_line(first, lambda line: parse_event(line, WINDOW, RULES))
    assert parsed["reason"] == "too_long"
    assert parsed["detail"] == f"the line has {len(long_line)} bytes, more than 1048576"
    assert parsed["raw_line"] == '{"event_id":"' + "é" * ((RAW_LINE_BYTES - 13) // 2)  # the split é is dropped
    assert lines[1] == (2, b"{}")


def test_a_line_of_exactly_1_mib_is_read_whole():
    exact = b"x" * MAX_LINE_BYTES
    assert list(split_lines([exact + b"\r\n", exact + b"y"])) == [(1, exact), (2, TooLongLine(exact[:RAW_LINE_BYTES], MAX_LINE_BYTES + 1))]


def test_a_file_of_one_endless_line_keeps_memory_bounded():
    endless = (b"a" * (1 << 20) for _ in range(64))  # 64 MiB without a line break
    [(number, line)] = list(split_lines(endless))
    assert number == 1 and line.length == 64 << 20 and len(line.prefix) == RAW_LINE_BYTES


def test_raw_lines_of_every_rejection_are_cut_to_64_kib():
    line = b'{"x":"' + b"a" * 200_000
    parsed = classify_line(line, lambda raw: parse_event(raw, WINDOW, RULES))
    assert parsed["reason"] == "invalid_json" and parsed["raw_line"] == line[:RAW_LINE_BYTES].decode()
    assert raw_text(b"ok\xff") == "ok\ufffd"


def test_a_parser_bug_costs_its_line_not_the_file():
    def broken(line: bytes):
        raise KeyError("boom")

    assert classify_line(b'{"a":1}', broken) == {"raw_line": '{"a":1}', "reason": "parser_error", "detail": "KeyError"}


# --- files that cannot be read --------------------------------------------------------------------


def _rows(path: str) -> list[dict]:
    schema = to_arrow_schema(parsed_schema(BRONZE_EVENTS))
    batches = _parse_file(path, "f", lambda line: parse_event(line, WINDOW, RULES), schema)
    return [row for batch in batches for row in batch.to_pylist()]


def test_a_truncated_gzip_yields_its_readable_lines_then_fails(tmp_path):
    lines = b"".join(paid({"items": i}) + b"\n" for i in range(20_000))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines)[:-200])
    rows = _rows(str(tmp_path / "a.jsonl.gz"))
    *read, failure = rows
    assert len(read) > 19_000 and [r["source_line"] for r in read] == list(range(1, len(read) + 1))
    assert all(r["reason"] is None for r in read)
    assert (failure[FILE_FAILURE], failure["detail"], failure["source_line"]) == (
        "truncated", "the gzip stream ends before its end-of-stream marker", len(read))


@pytest.mark.parametrize(
    ("content", "reason", "detail"),
    [
        (b"plain text, not gzip\n", "undecodable", "not valid gzip data (Error -3 while decompressing data: incorrect header check)"),
        (gzip.compress(b"{}\n" * 10)[:-8] + b"\x00" * 8, "undecodable", "not valid gzip data (Error -3 while decompressing data: incorrect data check)"),
        (gzip.compress("{}\n".encode("utf-16")), "undecodable", "the file starts with a UTF-16 byte-order mark; lines must be UTF-8"),
    ],
)
def test_an_undecodable_file_is_a_named_failure(tmp_path, content, reason, detail):
    (tmp_path / "a.jsonl.gz").write_bytes(content)
    with pytest.raises(FileReadError) as error:
        list(read_lines(str(tmp_path / "a.jsonl.gz")))
    assert (error.value.reason, error.value.detail) == (reason, detail)


def test_gzip_members_are_read_one_after_another():
    data = gzip.compress(b"a\nb") + gzip.compress(b"\nc\n")
    assert b"".join(gunzip([data[:7], data[7:]])) == b"a\nb\nc\n"


def test_a_gzip_bomb_is_decompressed_in_bounded_pieces():
    bomb = gzip.compress(b"\n" * (64 << 20), compresslevel=9)  # 64 MiB of line breaks in ~65 KiB
    assert max(len(piece) for piece in gunzip([bomb])) <= 1 << 20


def test_an_io_error_while_reading_is_a_named_failure_after_the_lines_read(tmp_path, monkeypatch):
    class Stream:
        def __init__(self):
            self.reads = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size):
            self.reads += 1
            if self.reads == 1:
                return paid({"items": 1}) + b"\n" + paid({"items": 2}) + b"\n"
            raise OSError("[Errno 5] Input/output error")

    class Storage:
        def open_input_stream(self, path, compression=None):
            return Stream()

    monkeypatch.setattr(landing, "filesystem", lambda uri: (Storage(), uri))
    *read, failure = _rows("s3://bucket/landing/events/dt=2024-03-10/a.jsonl")
    assert [r["source_line"] for r in read] == [1, 2]
    assert (failure[FILE_FAILURE], failure["detail"]) == ("io_error", "OSError: [Errno 5] Input/output error")


def test_other_entries_of_a_landing_folder_are_skipped_by_name_with_their_reason(tmp_path):
    folder = tmp_path / "landing" / "events" / "dt=2024-03-10"
    (folder / "sub.jsonl").mkdir(parents=True)
    for name in ("b.jsonl.gz", "a.jsonl", "_tmp.jsonl", ".hidden.jsonl", "notes.txt", "_SUCCESS", "c.json"):
        (folder / name).write_bytes(b"")
    os.mkfifo(folder / "pipe.jsonl")  # never opened: reading a FIFO would hang
    os.symlink("/dev/zero", folder / "zero.jsonl")
    found = landing_folder(str(tmp_path), "events", ARRIVAL)
    prefix = "landing/events/dt=2024-03-10/"
    assert [f.source_file for f in found.files] == [prefix + "a.jsonl", prefix + "b.jsonl.gz"]
    assert [(s.source_file.removeprefix(prefix), s.reason) for s in found.skipped] == [
        (".hidden.jsonl", "hidden name"),
        ("_tmp.jsonl", "hidden name"),
        ("c.json", "not *.jsonl[.gz]"),
        ("notes.txt", "not *.jsonl[.gz]"),
        ("pipe.jsonl", "not a regular file"),
        ("sub.jsonl", "a folder"),
        ("zero.jsonl", "not a regular file"),
    ]
