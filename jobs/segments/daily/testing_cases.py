"""Segment test files: golden users (snapshot fields, events with dates) and expected memberships, as data.

A file ``segment_defs/<app>/tests/<name>.yaml``::

    app_id: smartlife
    ds: 2026-03-10
    users:
      - uid: u_owner                      # registered and accepting marketing unless told otherwise
        register_time: 2025-11-02         # a date (UTC noon) or epoch milliseconds
        devices: [{category: gateway}]    # device_id, relation (owner) and bind_time are optional
        events:
          - {event: device_card_tap, date: 2026-03-10, count: 2}
    expect:
      gateway_owners:
        members: [u_owner]
        not_members: [u_guest]

Parsing only; ``testing`` builds a lakehouse from it and runs the pipeline.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass

import yaml

from jobs.contract import DAY_MS, day_start_ms

TESTS_DIR = "tests"
SNAPSHOT_FIELDS = ("user_type", "register_time", "register_method", "country_code", "city_en", "city_zh", "email",
                   "phone", "accept_marketing", "devices", "cloud_storage", "mall")
EVENT_FIELDS = ("event", "date", "time", "count", "props", "platform", "app_version", "phone_model")


class SegmentTestError(ValueError):
    """A segment test file that cannot be read as golden users and expectations."""


@dataclass(frozen=True)
class Expectation:
    segment_id: str
    members: tuple[str, ...]
    not_members: tuple[str, ...]


@dataclass(frozen=True)
class GoldenCase:
    """One test file: its golden users as landing lines and its expectations on ds."""

    file: str
    app_id: str
    ds: dt.date
    user_lines: tuple[str, ...]
    event_lines: dict[dt.date, tuple[str, ...]]
    uids: tuple[str, ...]
    expectations: tuple[Expectation, ...]


def find_test_files(path: str) -> list[str]:
    """The test files at ``path``: the file itself, or every ``tests/*.yaml`` below a folder, sorted."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no segment test file or folder at {path}")
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        if os.path.basename(dirpath) == TESTS_DIR:
            found += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith((".yaml", ".yml"))]
    return found


HOUR_MS = DAY_MS // 24


def _ms(value: object, where: str, hour: int = 12) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, dt.date)):
        raise SegmentTestError(f"{where}: expected a date YYYY-MM-DD or epoch milliseconds, got {value!r:.60}")
    if isinstance(value, int):
        return value
    day = value.date() if isinstance(value, dt.datetime) else value
    return day_start_ms(day) + hour * HOUR_MS


def _user_line(raw: dict, app_id: str, where: str) -> str:
    unknown = sorted(set(raw) - {"uid", "events", *SNAPSHOT_FIELDS})
    if unknown:
        raise SegmentTestError(f"{where}: unknown field {unknown[0]!r}; expected uid, events or snapshot fields "
                            + ", ".join(SNAPSHOT_FIELDS))
    record = {"uid": raw["uid"], "app_id": app_id, "user_type": "registered", "accept_marketing": True}
    record.update({k: v for k, v in raw.items() if k in SNAPSHOT_FIELDS})
    if "register_time" in raw and raw["register_time"] is not None:
        record["register_time"] = _ms(raw["register_time"], f"{where}.register_time")
    devices = []
    for i, device in enumerate(raw.get("devices") or []):
        if not isinstance(device, dict) or "category" not in device:
            raise SegmentTestError(f"{where}.devices[{i}]: expected a mapping with a category")
        device = {"device_id": f"{raw['uid']}-d{i}", "relation": "owner", **device}
        if device.get("bind_time") is not None:
            device["bind_time"] = _ms(device["bind_time"], f"{where}.devices[{i}].bind_time")
        devices.append(device)
    record["devices"] = devices if "devices" in raw else None
    if isinstance(record.get("cloud_storage"), dict) and record["cloud_storage"].get("expire_time") is not None:
        record["cloud_storage"] = {**record["cloud_storage"],
                                   "expire_time": _ms(record["cloud_storage"]["expire_time"], f"{where}.cloud_storage")}
    return json.dumps(record, ensure_ascii=False, default=str)


def _event_lines(raw: dict, app_id: str, where: str, out: dict[dt.date, list[str]]) -> None:
    for i, event in enumerate(raw.get("events") or []):
        at = f"{where}.events[{i}]"
        if not isinstance(event, dict) or not isinstance(event.get("event"), str) or "date" not in event:
            raise SegmentTestError(f"{at}: expected a mapping with event and date")
        unknown = sorted(set(event) - set(EVENT_FIELDS))
        if unknown:
            raise SegmentTestError(f"{at}: unknown field {unknown[0]!r}; expected " + ", ".join(EVENT_FIELDS))
        day = event["date"]
        if not isinstance(day, dt.date):
            raise SegmentTestError(f"{at}.date: expected a date YYYY-MM-DD, got {day!r:.60}")
        count = event.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise SegmentTestError(f"{at}.count: expected a whole number from 1 to 10000")
        for n in range(count):
            line = {"event_id": f"{raw['uid']}-{i}-{n}", "app_id": app_id, "uid": raw["uid"], "event": event["event"],
                    "ts": _ms(day, f"{at}.date") + n, "platform": event.get("platform", "ios"),
                    **{k: event[k] for k in ("app_version", "phone_model", "props") if k in event}}
            out.setdefault(day, []).append(json.dumps(line, ensure_ascii=False, default=str))


def _expectations(raw: object, uids: set[str], file: str) -> tuple[Expectation, ...]:
    if not isinstance(raw, dict) or not raw:
        raise SegmentTestError(f"{file}: expect: needs at least one segment id with members and/or not_members")
    out = []
    for sid, want in raw.items():
        if not isinstance(want, dict) or set(want) - {"members", "not_members"} or not want:
            raise SegmentTestError(f"{file}: expect.{sid}: expected members and/or not_members (lists of uids)")
        lists = {k: tuple(want.get(k) or ()) for k in ("members", "not_members")}
        for key, listed in lists.items():
            stray = [u for u in listed if u not in uids]
            if stray:
                raise SegmentTestError(f"{file}: expect.{sid}.{key}: {stray[0]!r} is not a golden user of this file")
        out.append(Expectation(str(sid), lists["members"], lists["not_members"]))
    return tuple(out)


def load_case(path: str) -> GoldenCase:
    """Reads one test file.

    Raises:
        SegmentTestError: the file is not valid YAML or not of the documented form (the message names the field).
    """
    name = path
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SegmentTestError(f"{name}: cannot read the test file: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("app_id"), str) or not isinstance(raw.get("ds"), dt.date):
        raise SegmentTestError(f"{name}: expected app_id (text), ds (a date YYYY-MM-DD), users and expect")
    users = raw.get("users")
    if not isinstance(users, list) or not users:
        raise SegmentTestError(f"{name}: users: expected a list of golden users")
    lines, events, uids = [], {}, []
    for i, user in enumerate(users):
        where = f"{name}: users[{i}]"
        if not isinstance(user, dict) or not isinstance(user.get("uid"), str) or user["uid"] in uids:
            raise SegmentTestError(f"{where}: expected a mapping with a uid (text, unique in the file)")
        uids.append(user["uid"])
        lines.append(_user_line(user, raw["app_id"], where))
        _event_lines(user, raw["app_id"], where, events)
    late = [d for d in events if d > raw["ds"]]
    if late:
        raise SegmentTestError(f"{name}: an event on {late[0]} is after ds {raw['ds']}")
    return GoldenCase(name, raw["app_id"], raw["ds"], tuple(lines), {d: tuple(v) for d, v in events.items()},
                    tuple(uids), _expectations(raw.get("expect"), set(uids), name))
