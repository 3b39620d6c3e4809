"""Per-line validation of landing events and user snapshots (pure functions, no Spark)."""

from __future__ import annotations

import datetime as dt
import gzip

import orjson
import pytest

from jobs.bronze.events import TsWindow, parse_event, prop_rules
from jobs.bronze.landing import list_landing_files, read_lines
from jobs.bronze.parse import Rejection
from jobs.bronze.users import parse_user
from jobs.catalogs import event_catalog

ARRIVAL = dt.date(2024, 3, 10)
WINDOW = TsWindow.for_arrival(ARRIVAL)
RULES = prop_rules(event_catalog())
NOON = int(dt.datetime(2024, 3, 10, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
START = int(dt.datetime(2024, 3, 10, tzinfo=dt.timezone.utc).timestamp() * 1000)
DAY = 86_400_000


def line(obj: object) -> bytes:
    return orjson.dumps(obj)


def event(**changes) -> dict:
    base = {
        "event_id": "e-1",
        "app_id": "app",
        "uid": "u-1",
        "event": "mall_order_paid",
        "ts": NOON,
        "platform": "ios",
        "app_version": "5.12.0",
        "phone_model": "TAS-AL00",
        "props": {"items": 2, "amount": 19.9},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}  # ... = drop the field


def user(**changes) -> dict:
    base = {
        "uid": "u-1",
        "app_id": "app",
        "user_type": "registered",
        "register_time": NOON - 40 * DAY,
        "register_method": "email",
        "country_code": "DE",
        "city_en": "Berlin",
        "city_zh": "柏林",
        "email": "a@example.com",
        "phone": "+4930123456",
        "accept_marketing": True,
        "devices": [{"device_id": "d1", "category": "gateway", "relation": "owner", "bind_time": NOON - DAY}],
        "cloud_storage": {"expire_time": NOON + DAY, "renewed": False},
        "mall": {"has_delivery_address": True, "unused_coupons": 1, "cart_items": 0, "unpaid_orders": 2},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def parse(obj_or_bytes) -> dict | Rejection:
    raw = obj_or_bytes if isinstance(obj_or_bytes, bytes) else line(obj_or_bytes)
    return parse_event(raw, WINDOW, RULES)


# --- events: accepted -----------------------------------------------------------------------


def test_valid_event_with_every_field():
    assert parse(event()) == {
        "event_id": "e-1",
        "app_id": "app",
        "uid": "u-1",
        "event": "mall_order_paid",
        "ts": NOON,
        "event_date": ARRIVAL,
        "platform": "ios",
        "app_version": "5.12.0",
        "phone_model": "TAS-AL00",
        "props": '{"amount":19.9,"items":2}',
    }


def test_valid_event_without_optional_fields():
    parsed = parse(event(uid=..., platform=..., app_version=..., phone_model=..., props=..., event="page_view"))
    assert parsed["uid"] is None and parsed["platform"] is None and parsed["props"] is None
    assert parsed["event"] == "page_view" and parsed["event_date"] == ARRIVAL


def test_guest_event_with_null_uid_and_null_optionals():
    parsed = parse(event(uid=None, platform=None, props=None))
    assert parsed["uid"] is None and parsed["platform"] is None and parsed["props"] is None


def test_props_stored_as_canonical_json_with_unknown_props_passing_through():
    parsed = parse(event(event="pairing_end", props={"result": "success", "z": [1, {"b": 2, "a": 1}], "category": "lock"}))
    assert parsed["props"] == '{"category":"lock","result":"success","z":[1,{"a":1,"b":2}]}'


def test_late_event_up_to_three_days_before_arrival_is_accepted_for_its_own_date():
    parsed = parse(event(ts=START - 3 * DAY))
    assert parsed["event_date"] == dt.date(2024, 3, 7)


def test_last_millisecond_of_the_arrival_date_is_accepted():
    assert parse(event(ts=START + DAY - 1))["event_date"] == ARRIVAL


def test_integer_amount_and_null_measure_are_accepted():
    assert parse(event(props={"items": None, "amount": 20}))["props"] == '{"amount":20,"items":null}'


# --- events: one test per quarantine reason -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"event_id": "e-1", "app_id": ', "unexpected end of data at char 30"),
        (b"garbage", "unexpected character, expected a JSON value at char 0"),
        (b"[1, 2]", "not a JSON object but array"),
        (b'{"event_id": "\xff"}', "str is not valid UTF-8: surrogates not allowed at char 0"),
    ],
)
def test_invalid_json(raw, detail):
    assert parse(raw) == Rejection("invalid_json", detail)


@pytest.mark.parametrize("field", ["event_id", "app_id", "event", "ts"])
def test_missing_field(field):
    assert parse(event(**{field: ...})) == Rejection("missing_field", field)


def test_null_or_empty_required_field_counts_as_missing():
    assert parse(event(event_id=None)) == Rejection("missing_field", "event_id")
    assert parse(event(app_id="")) == Rejection("missing_field", "app_id")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": 17}, "event_id"),
        ({"app_id": ["app"]}, "app_id"),
        ({"event": 3}, "event"),
        ({"ts": str(NOON)}, "ts"),
        ({"ts": float(NOON)}, "ts"),
        ({"ts": True}, "ts"),
        ({"uid": 42}, "uid"),
        ({"platform": {"os": "ios"}}, "platform"),
        ({"app_version": 5.12}, "app_version"),
        ({"phone_model": False}, "phone_model"),
        ({"props": "{}"}, "props"),
        ({"props": {"items": "2", "amount": 1.0}}, "props.items"),
        ({"props": {"items": 2.0, "amount": 1.0}}, "props.items"),
        ({"props": {"items": 2, "amount": "19.9"}}, "props.amount"),
        ({"props": {"items": 2, "amount": True}}, "props.amount"),
        ({"event": "pairing_end", "props": {"result": 1}}, "props.result"),
        ({"event": "feedback_submit", "props": {"issue_type": ["a"]}}, "props.issue_type"),
    ],
)
def test_wrong_type(changes, field):
    assert parse(event(**changes)) == Rejection("wrong_type", field)


def test_unknown_event():
    assert parse(event(event="teleport_start")) == Rejection("unknown_event", "teleport_start")


def test_ts_too_old():
    assert parse(event(ts=START - 3 * DAY - 1)) == Rejection(
        "ts_too_old", "ts 2024-03-06T23:59:59.999Z is before 2024-03-07T00:00:00.000Z"
    )


def test_ts_in_future():
    assert parse(event(ts=START + DAY)) == Rejection(
        "ts_in_future", "ts 2024-03-11T00:00:00.000Z is at or after 2024-03-11T00:00:00.000Z"
    )


def test_checks_run_in_the_documented_order():
    # missing before wrong type, wrong type before unknown event, unknown event before ts range
    assert parse(event(ts=..., event_id=1)) == Rejection("missing_field", "ts")
    assert parse(event(event="nope", platform=1)) == Rejection("wrong_type", "platform")
    assert parse(event(event="nope", ts=1)) == Rejection("unknown_event", "nope")


# --- users ----------------------------------------------------------------------------------


def test_valid_user_with_every_field():
    parsed = parse_user(line(user()))
    assert parsed == {
        "uid": "u-1",
        "app_id": "app",
        "user_type": "registered",
        "register_time": NOON - 40 * DAY,
        "register_method": "email",
        "country_code": "DE",
        "city_en": "Berlin",
        "city_zh": "柏林",
        "email": "a@example.com",
        "phone": "+4930123456",
        "accept_marketing": True,
        "devices": [{"device_id": "d1", "category": "gateway", "relation": "owner", "bind_time": NOON - DAY}],
        "cloud_storage": {"expire_time": NOON + DAY, "renewed": False},
        "mall": {"has_delivery_address": True, "unused_coupons": 1, "cart_items": 0, "unpaid_orders": 2},
    }


def test_valid_guest_with_only_required_fields():
    parsed = parse_user(line({"uid": "g-1", "app_id": "app", "user_type": "guest"}))
    assert parsed["user_type"] == "guest"
    assert all(parsed[k] is None for k in ("register_time", "email", "country_code", "devices", "cloud_storage", "mall"))


def test_valid_user_with_nulls_and_empty_devices():
    parsed = parse_user(line(user(country_code=None, email=None, cloud_storage=None, devices=[], accept_marketing=None)))
    assert parsed["devices"] == [] and parsed["cloud_storage"] is None and parsed["country_code"] is None


def test_user_invalid_json():
    assert parse_user(b'{"uid": "u-1"') == Rejection("invalid_json", "unexpected end of data at char 13")


@pytest.mark.parametrize("field", ["uid", "app_id", "user_type"])
def test_user_missing_field(field):
    assert parse_user(line(user(**{field: ...}))) == Rejection("missing_field", field)


def test_user_with_null_uid_is_missing_the_uid():
    assert parse_user(line(user(uid=None))) == Rejection("missing_field", "uid")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uid": 7}, "uid"),
        ({"user_type": 1}, "user_type"),
        ({"register_time": "2024-01-01"}, "register_time"),
        ({"register_time": True}, "register_time"),
        ({"email": 5}, "email"),
        ({"country_code": 49}, "country_code"),
        ({"accept_marketing": "yes"}, "accept_marketing"),
        ({"devices": {"device_id": "d1"}}, "devices"),
        ({"devices": ["d1"]}, "devices[0]"),
        ({"devices": [{"device_id": 1, "category": "ipc", "relation": "owner"}]}, "devices[0].device_id"),
        (
            {"devices": [{"device_id": "d", "category": "ipc", "relation": "owner", "bind_time": "x"}]},
            "devices[0].bind_time",
        ),
        ({"cloud_storage": True}, "cloud_storage"),
        ({"cloud_storage": {"expire_time": 1, "renewed": "no"}}, "cloud_storage.renewed"),
        ({"mall": {"cart_items": "3"}}, "mall.cart_items"),
    ],
)
def test_user_wrong_type(changes, field):
    assert parse_user(line(user(**changes))) == Rejection("wrong_type", field)


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"user_type": "vip"}, 'user_type="vip"'),
        ({"country_code": "de"}, 'country_code="de"'),
        ({"country_code": "DEU"}, 'country_code="DEU"'),
        ({"country_code": ""}, 'country_code=""'),
        (
            {"devices": [{"device_id": "d", "category": "ipc", "relation": "owner"},
                         {"device_id": "e", "category": "ipc", "relation": "guest"}]},
            'devices[1].relation="guest"',
        ),
        ({"mall": {"unused_coupons": -1}}, "mall.unused_coupons=-1"),
        ({"register_time": 2**63}, "register_time=9223372036854775808"),
    ],
)
def test_user_invalid_value(changes, detail):
    assert parse_user(line(user(**changes))) == Rejection("invalid_value", detail)


def test_device_without_relation_is_missing_a_field():
    devices = [{"device_id": "d", "category": "ipc"}]
    assert parse_user(line(user(devices=devices))) == Rejection("missing_field", "devices[0].relation")


# --- files ----------------------------------------------------------------------------------


def test_gz_and_plain_files_read_the_same_lines_with_numbers(tmp_path):
    content = b'{"a": 1}\r\n\n  \n{"b": 2}'
    (tmp_path / "x.jsonl").write_bytes(b"\xef\xbb\xbf" + content)
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(content))
    expected = [(1, b'{"a": 1}'), (2, b""), (3, b"  "), (4, b'{"b": 2}')]
    assert list(read_lines(str(tmp_path / "x.jsonl"))) == expected
    assert list(read_lines(str(tmp_path / "x.jsonl.gz"))) == expected


def test_landing_files_are_sorted_and_filtered(tmp_path):
    folder = tmp_path / "landing" / "events" / "dt=2024-03-10"
    folder.mkdir(parents=True)
    for name in ("b.jsonl.gz", "a.jsonl", "_tmp.jsonl", ".hidden.jsonl", "notes.txt"):
        (folder / name).write_bytes(b"")
    files = list_landing_files(str(tmp_path), "events", ARRIVAL)
    assert [f.source_file for f in files] == ["landing/events/dt=2024-03-10/a.jsonl", "landing/events/dt=2024-03-10/b.jsonl.gz"]
    assert files[0].uri == f"{tmp_path}/landing/events/dt=2024-03-10/a.jsonl"


def test_missing_landing_folder_is_an_error_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no landing folder for users on 2024-03-10: {tmp_path}/landing/users/dt=2024-03-10"):
        list_landing_files(str(tmp_path), "users", ARRIVAL)
