"""Fault injection: which lines carry which fault (exactly one each), and their text.

Events: faulty lines replace the event they were made from (its id appears nowhere else); late
events and re-deliveries are valid lines moved to, or copied to, a later arrival date. User
snapshots: faulty lines are extra, broken copies of a user's line, so the snapshot stays complete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jobs.contract import DAY_MS, LATE_DAYS
from jobs.generate.activity import DayEvents, code_index
from jobs.generate.config import FaultRates
from jobs.generate.event_lines import (
    DIMENSION_AS_NUMBER, INTEGER_AS_FLOAT, MEASURE_AS_STRING, EventTexts, event_fields, mall_orders, vas_orders,
)
from jobs.generate.ids import event_ids
from jobs.generate.jsonl import Field, render, take_fields
from jobs.generate.text import choose, concat, fixed_digits, int_text, join
from jobs.generate.vocab import GARBAGE_LINES, UNKNOWN_EVENTS

LINE_FAULTS = ("malformed", "unknown_event", "wrong_type", "missing_field", "out_of_range")
CUTS = (12, 30, 55, 80, 110)  # truncation points (characters) of malformed lines
GARBAGE_SHARE = 0.3
EVENT_REQUIRED = ("event_id", "app_id", "event", "ts")
USER_REQUIRED = ("uid", "app_id", "user_type")


@dataclass(frozen=True)
class EventFaultPlan:
    """Rows of one app's events of one date (sorted by time) and what happens to them.

    Args:
        rows: fault type -> rows turned into faulty lines (arriving on the event date).
        late_rows, late_arrival: valid rows that arrive on a later date instead.
        duplicate_rows, duplicate_arrival: valid on-time rows delivered a second time on that date.
    """

    rows: dict[str, np.ndarray]
    late_rows: np.ndarray
    late_arrival: np.ndarray
    duplicate_rows: np.ndarray
    duplicate_arrival: np.ndarray


def plan_event_faults(n: int, day: int, end_day: int, rates: FaultRates, rng: np.random.Generator) -> EventFaultPlan:
    """Picks disjoint rows for each fault; counts are binomial draws at the configured rates.

    Args:
        n: events of the date.
        day, end_day: the event date and the last date written (nothing arrives after it).
        rates: fault rates.
        rng: the fault generator of this app and date.

    Returns:
        The plan.
    """
    wanted = {"late": rates.late if day < end_day else 0.0, "duplicate": rates.duplicate}
    wanted.update((name, getattr(rates, name)) for name in LINE_FAULTS)
    counts, left = {}, n
    for name, rate in wanted.items():
        counts[name] = min(int(rng.binomial(n, rate)) if rate > 0 else 0, left)
        left -= counts[name]
    picked = rng.choice(n, size=n - left, replace=False) if n - left else np.zeros(0, np.int64)
    bounds = np.cumsum([0, *counts.values()])
    chosen = {name: np.sort(picked[bounds[i] : bounds[i + 1]]) for i, name in enumerate(counts)}
    last = min(day + LATE_DAYS, end_day)
    return EventFaultPlan(
        rows={name: chosen[name] for name in LINE_FAULTS},
        late_rows=chosen["late"],
        late_arrival=rng.integers(day + 1, last + 1, size=counts["late"]) if counts["late"] else np.zeros(0, np.int64),
        duplicate_rows=chosen["duplicate"],
        duplicate_arrival=rng.integers(day, last + 1, size=counts["duplicate"]),
    )


def faulty_event_lines(texts: EventTexts, ev: DayEvents, words: list[np.ndarray], name: str, rows: np.ndarray,
                       rng: np.random.Generator) -> pa.Array:
    """The faulty lines replacing ``rows`` for one fault type (each row carries that fault only).

    Args:
        texts: the app's text tables.
        ev, words: the date's events and their id words.
        name: the fault type (one of ``LINE_FAULTS``).
        rows: the rows to turn into faulty lines.
        rng: the fault generator.
    """
    sub, ids = ev.take(rows), event_ids([w[rows] for w in words])
    if name == "malformed":
        return _malformed(render(event_fields(texts, sub, ids)), rng)
    if name == "out_of_range":
        past = rng.random(len(rows)) < 0.5
        shift = np.where(past, -rng.integers(LATE_DAYS + 1, 31, size=len(rows)), rng.integers(1, 3, size=len(rows)))
        sub.ts[:] = sub.ts + shift * DAY_MS
        return render(event_fields(texts, sub, ids))
    if name == "unknown_event":
        unknown = choose(UNKNOWN_EVENTS, rng.integers(0, len(UNKNOWN_EVENTS), size=len(rows)))
        return render([Field("event", unknown, quoted=True) if f.name == "event" else f
                       for f in event_fields(texts, sub, ids)])
    if name == "missing_field":
        fields = event_fields(texts, sub, ids)
        variant = rng.integers(0, len(EVENT_REQUIRED), size=len(rows))
        return _by_variant(variant, lambda v, r: render(
            [f for f in take_fields(fields, r) if f.name != EVENT_REQUIRED[v]]))
    if name == "wrong_type":
        variant = _wrong_type_variants(sub, rng)
        fields = event_fields(texts, sub, ids, spoil=_SPOILS[variant])
        return _by_variant(variant, lambda v, r: render(_wrong_type(take_fields(fields, r), sub.take(r), v)))
    raise ValueError(f"unknown line fault {name!r}")


# Wrong-type variants of event lines; the props ones apply only to events with such props
# (they spoil the props text: see event_lines.props_text).
EVENT_WRONG_TYPES = ("ts_as_string", "uid_as_number", "event_id_as_number", "props_not_object",
                     "platform_as_number", "measure_as_string", "integer_as_float", "dimension_as_number")
_SPOILS = np.array([0, 0, 0, 0, 0, MEASURE_AS_STRING, INTEGER_AS_FLOAT, DIMENSION_AS_NUMBER], dtype=np.int8)


def _wrong_type_variants(ev: DayEvents, rng: np.random.Generator) -> np.ndarray:
    variant = rng.integers(0, len(EVENT_WRONG_TYPES), size=len(ev))
    has_measure = np.isin(ev.code, mall_orders() + vas_orders())
    has_integer = np.isin(ev.code, mall_orders())
    has_dimension = np.isin(ev.code, (code_index()["pairing_end"], code_index()["feedback_submit"]) + vas_orders())
    fits = np.select([variant == 5, variant == 6, variant == 7], [has_measure, has_integer, has_dimension], True)
    return np.where(fits, variant, variant % 5)


def _wrong_type(fields: list[Field], ev: DayEvents, variant: int) -> list[Field]:
    position = {f.name: i for i, f in enumerate(fields) if f.name}
    name = EVENT_WRONG_TYPES[variant]
    if name == "ts_as_string":
        fields[position["ts"]] = Field("ts", fields[position["ts"]].value, quoted=True)
    elif name == "uid_as_number":
        fields[position["uid"]] = Field("uid", int_text(10_000_000 + ev.user))
    elif name == "event_id_as_number":
        fields[position["event_id"]] = Field("event_id", fixed_digits(np.abs(ev.ts * 1000 + ev.user) % 10**15 + 10**15, 16))
    elif name == "props_not_object":
        fields[-1] = Field(None, ',"props":"{}"')
    elif name == "platform_as_number":
        fields[position["platform"]] = Field("platform", "2")
    return fields


def faulty_user_lines(fields: list[Field], users: np.ndarray, name: str, rng: np.random.Generator) -> pa.Array:
    """Broken copies of snapshot lines for one fault type.

    Args:
        fields: the fields of the valid snapshot lines of ``users``.
        users: the users whose line is copied (one faulty line each).
        name: ``malformed``, ``missing_field`` or ``wrong_type``.
        rng: the fault generator.
    """
    if name == "malformed":
        return _malformed(render(fields), rng)
    if name == "missing_field":
        variant = rng.integers(0, len(USER_REQUIRED), size=len(users))
        return _by_variant(variant, lambda v, r: render([f for f in take_fields(fields, r) if f.name != USER_REQUIRED[v]]))
    if name == "wrong_type":
        variant = rng.integers(0, len(USER_WRONG_TYPES), size=len(users))
        return _by_variant(variant, lambda v, r: render(_user_wrong_type(take_fields(fields, r), users[r], v)))
    raise ValueError(f"{name!r} is not a fault of user lines")


USER_WRONG_TYPES = ("uid_as_number", "app_id_as_number", "user_type_as_number", "register_time_as_string",
                    "accept_marketing_as_string", "devices_not_list")


def _user_wrong_type(fields: list[Field], users: np.ndarray, variant: int) -> list[Field]:
    name = USER_WRONG_TYPES[variant]
    target = name.rsplit("_as_", 1)[0].removesuffix("_not_list")
    replacement = {
        "uid_as_number": lambda f: Field("uid", int_text(10_000_000 + users)),
        "app_id_as_number": lambda f: Field("app_id", "1"),
        "user_type_as_number": lambda f: Field("user_type", "1"),
        "register_time_as_string": lambda f: Field(f.name, f.value, quoted=True),  # "1712..." or "null"
        "accept_marketing_as_string": lambda f: Field(f.name, f.value, quoted=True),  # "true" / "false"
        "devices_not_list": lambda f: Field("devices", "{}"),
    }[name]
    return [replacement(f) if f.name == target else f for f in fields]


def _malformed(lines: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Not JSON: a line cut short (a strict prefix of an object never parses) or garbage text."""
    n = len(lines)
    kind = np.where(rng.random(n) < GARBAGE_SHARE, len(CUTS), rng.integers(0, len(CUTS), size=n))
    shortest = int(pc.min(pc.utf8_length(lines)).as_py()) if n else 0

    def build(variant: int, rows: np.ndarray) -> pa.Array:
        if variant == len(CUTS):
            return join(choose(GARBAGE_LINES, rng.integers(0, len(GARBAGE_LINES), size=len(rows))), "\n")
        cut = min(CUTS[variant], shortest - 2)  # drops at least the closing brace
        return join(pc.utf8_slice_codeunits(lines.take(pa.array(rows)), 0, cut), "\n")

    return _by_variant(kind, build)


def _by_variant(variant: np.ndarray, build) -> pa.Array:
    """Builds rows group by group (``build(variant, rows)``) and puts them back in row order."""
    parts, order = [], np.empty(len(variant), dtype=np.int64)
    done = 0
    for value in np.unique(variant):
        rows = np.flatnonzero(variant == value)
        parts.append(build(int(value), rows))
        order[rows] = done + np.arange(len(rows))
        done += len(rows)
    return concat(parts).take(pa.array(order)) if parts else pa.array([], pa.string())
