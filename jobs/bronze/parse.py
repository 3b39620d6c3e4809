"""Shared pieces of per-line validation: the rejection record, JSON decoding and JSON type tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import orjson

# Quarantine reasons (stable codes stored in the quarantine tables and counted in ingest_runs).
INVALID_JSON = "invalid_json"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
UNKNOWN_EVENT = "unknown_event"
TS_TOO_OLD = "ts_too_old"
TS_IN_FUTURE = "ts_in_future"
INVALID_VALUE = "invalid_value"
TOO_DEEP = "too_deep"
TOO_LONG = "too_long"
PARSER_ERROR = "parser_error"  # the parser itself failed on the line (a bug): the line is kept, not lost

EVENT_REASONS = (TOO_LONG, INVALID_JSON, MISSING_FIELD, WRONG_TYPE, UNKNOWN_EVENT, INVALID_VALUE, TOO_DEEP,
                 TS_TOO_OLD, TS_IN_FUTURE)  # fmt: skip
USER_REASONS = (TOO_LONG, INVALID_JSON, MISSING_FIELD, WRONG_TYPE, INVALID_VALUE)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_VALUE_IN_DETAIL = 64  # characters of an offending value quoted in a detail


@dataclass(frozen=True)
class Rejection:
    """Why a line goes to quarantine: a stable reason code and a detail naming the field or value."""

    reason: str
    detail: str | None = None


class Rejected(Exception):
    """Raised inside a parser to stop at the first failing check; carries the rejection."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason, detail)
        self.rejection = Rejection(reason, detail)


def load_object(line: bytes) -> dict:
    """Decodes one line as a JSON object, or raises ``Rejected(invalid_json)``."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Rejected(INVALID_JSON, f"{exc.msg} at char {exc.pos}") from None
    if type(value) is not dict:
        raise Rejected(INVALID_JSON, f"not a JSON object but {json_type(value)}")
    return value


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type (for details)."""
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def is_int(value: object) -> bool:
    """A JSON integer (``true``/``false`` are not integers, ``1.0`` is not either)."""
    return type(value) is int


def is_number(value: object) -> bool:
    """A JSON number: integer or float, never a boolean."""
    return type(value) is int or type(value) is float


def quote(value: object) -> str:
    """A short JSON rendering of an offending value for a detail."""
    text = orjson.dumps(value).decode()
    return text if len(text) <= _MAX_VALUE_IN_DETAIL else text[: _MAX_VALUE_IN_DETAIL - 3] + "..."


def require_present(obj: dict, fields: tuple[str, ...]) -> None:
    """Raises ``missing_field`` for the first field that is absent, null or an empty string."""
    for name in fields:
        value = obj.get(name)
        if value is None or value == "":
            raise Rejected(MISSING_FIELD, name)


def _optional(obj: dict, name: str, path: str | None = None, *, kind: type) -> object:
    """The value of a ``kind``-or-null field (absent = null), or raises ``wrong_type`` (exact type:
    a JSON ``true`` is not an int, an int is not a string)."""
    value = obj.get(name)
    if value is not None and type(value) is not kind:
        raise Rejected(WRONG_TYPE, path or name)
    return value


optional_string = partial(_optional, kind=str)  # a string-or-null field
optional_bool = partial(_optional, kind=bool)  # a boolean-or-null field
optional_object = partial(_optional, kind=dict)  # an object-or-null field


def optional_long(obj: dict, name: str, path: str | None = None, minimum: int = INT64_MIN) -> int | None:
    """The value of an integer-or-null field that must fit a 64-bit column, else a rejection."""
    value = obj.get(name)
    if value is None:
        return None
    if not is_int(value):
        raise Rejected(WRONG_TYPE, path or name)
    if not minimum <= value <= INT64_MAX:
        raise Rejected(INVALID_VALUE, f"{path or name}={value}")
    return value
