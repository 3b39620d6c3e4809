"""Validation of one landing event line into a bronze.events record or a quarantine rejection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from jobs.bronze.parse import (
    INVALID_VALUE,
    MISSING_FIELD,
    TOO_DEEP,
    TS_IN_FUTURE,
    TS_TOO_OLD,
    UNKNOWN_EVENT,
    WRONG_TYPE,
    Rejected,
    Rejection,
    is_int,
    is_number,
    load_object,
    quote,
)
from jobs.catalogs import EventSpec
from jobs.contract import DAY_MS, EPOCH_ORDINAL, LATE_DAYS, epoch_day

REQUIRED = ("event_id", "app_id", "event", "ts")


MAX_PROPS_DEPTH = 32  # props nesting deeper than this is quarantined as too_deep (PRODUCT.md)


@dataclass(frozen=True)
class MeasureRule:
    """A measure's declared type and accepted range (inclusive), from the event catalog."""

    integer: bool
    minimum: int | float
    maximum: int | float


@dataclass(frozen=True)
class PropRules:
    """What the catalog says about one event's props: dimension names and measure rules."""

    dimensions: tuple[str, ...]  # in catalog order, so the first failing one is stable
    measures: Mapping[str, MeasureRule]


def prop_rules(catalog: Mapping[str, EventSpec]) -> dict[str, PropRules]:
    """Event code -> its props rules, from the event catalog (plain data, cheap to ship to workers)."""
    return {
        code: PropRules(
            tuple(spec.dimensions),
            {name: MeasureRule(m.type == "integer", m.minimum, m.maximum) for name, m in spec.measures.items()},
        )
        for code, spec in catalog.items()
    }


@dataclass(frozen=True)
class TsWindow:
    """Accepted event times for one arrival date: ``[start of dt - LATE_DAYS, end of dt)`` in epoch ms
    (``jobs.contract``: the late-event window)."""

    start_ms: int
    end_ms: int

    @classmethod
    def for_arrival(cls, arrival: dt.date) -> "TsWindow":
        day = epoch_day(arrival)
        return cls((day - LATE_DAYS) * DAY_MS, (day + 1) * DAY_MS)


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the number itself if out of range)."""
    try:
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
    except OverflowError:
        return str(ms)
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_event(line: bytes, window: TsWindow, rules: Mapping[str, PropRules]) -> dict | Rejection:
    """Validates one event line (checks in the order documented in docs/ingestion.md).

    Args:
        line: the raw line without its line break.
        window: accepted event times for the arrival date.
        rules: the catalog's props rules per known event code.

    Returns:
        The bronze fields (``event_id`` ... ``props`` as canonical JSON text), or the first
        rejection found.
    """
    try:
        return _event(line, window, rules)
    except Rejected as rejected:
        return rejected.rejection


def _event(line: bytes, window: TsWindow, rules: Mapping[str, PropRules]) -> dict:
    obj = load_object(line)
    get = obj.get  # this runs once per line: plain lookups, no helper calls on the valid path
    for name in REQUIRED:
        value = get(name)
        if value is None or value == "":
            raise Rejected(MISSING_FIELD, name)
    event_id, app_id, code, ts = obj["event_id"], obj["app_id"], obj["event"], obj["ts"]
    if type(event_id) is not str:
        raise Rejected(WRONG_TYPE, "event_id")
    if type(app_id) is not str:
        raise Rejected(WRONG_TYPE, "app_id")
    if type(code) is not str:
        raise Rejected(WRONG_TYPE, "event")
    if type(ts) is not int:  # a JSON integer: true/false and 1.0 are not
        raise Rejected(WRONG_TYPE, "ts")
    uid, platform, app_version, phone_model = get("uid"), get("platform"), get("app_version"), get("phone_model")
    for name, value in (("uid", uid), ("platform", platform), ("app_version", app_version), ("phone_model", phone_model)):
        if value is not None and type(value) is not str:
            raise Rejected(WRONG_TYPE, name)
    props = get("props")
    if props is not None and type(props) is not dict:
        raise Rejected(WRONG_TYPE, "props")
    spec = rules.get(code)
    if spec is None:
        raise Rejected(UNKNOWN_EVENT, code if len(code) <= 64 else quote(code))
    if props:
        if spec.measures or spec.dimensions:
            _check_props(props, spec)
        _check_depth(props)
    if ts < window.start_ms:
        raise Rejected(TS_TOO_OLD, f"ts {iso_ms(ts)} is before {iso_ms(window.start_ms)}")
    if ts >= window.end_ms:
        raise Rejected(TS_IN_FUTURE, f"ts {iso_ms(ts)} is at or after {iso_ms(window.end_ms)}")
    return {
        "event_id": event_id,
        "app_id": app_id,
        "uid": uid,
        "event": code,
        "ts": ts,
        "event_date": dt.date.fromordinal(EPOCH_ORDINAL + ts // DAY_MS),
        "platform": platform,
        "app_version": app_version,
        "phone_model": phone_model,
        "props": None if props is None else orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode(),
    }


def _check_props(props: dict, spec: PropRules) -> None:
    """Catalog measures must be numbers (integers where declared), dimensions strings; null = absent.
    Then each measure must be finite and within its declared range."""
    for name, rule in spec.measures.items():
        value = props.get(name)
        if value is not None and not (is_int(value) if rule.integer else is_number(value)):
            raise Rejected(WRONG_TYPE, f"props.{name}")
    for name in spec.dimensions:
        value = props.get(name)
        if value is not None and type(value) is not str:
            raise Rejected(WRONG_TYPE, f"props.{name}")
    for name, rule in spec.measures.items():
        value = props.get(name)
        # NaN fails both comparisons; orjson never yields NaN or infinity, the check does not rely on it
        if value is not None and not (rule.minimum <= value <= rule.maximum):
            shown = value if len(str(value)) <= 32 else f"{str(value)[:29]}..."
            raise Rejected(INVALID_VALUE, f"props.{name}={shown} is outside [{rule.minimum}, {rule.maximum}]")


def _check_depth(props: dict) -> None:
    """Rejects props nesting deeper than ``MAX_PROPS_DEPTH`` (the props object itself is level 1).

    Iterative and stopping at the limit, so a hostile line cannot exhaust the stack; it also keeps
    ``orjson.dumps`` (limited to 254 levels) from failing on a line ``orjson.loads`` accepted.
    """
    level = [props]
    for depth in range(1, MAX_PROPS_DEPTH + 1):
        inner = []
        for container in level:
            for value in container.values() if type(container) is dict else container:
                if type(value) is dict or type(value) is list:
                    inner.append(value)
        if not inner:
            return
        level = inner
    raise Rejected(TOO_DEEP, f"props nest deeper than {MAX_PROPS_DEPTH} levels")
