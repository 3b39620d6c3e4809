"""Imported segments: parsing the lines of a CSV of type,value,param1,param2,param3 (plain Python).

One record per physical line: a quoted value cannot span lines, so an unterminated quote is
that line's failure and never swallows the lines after it. Line numbers are kept; a bad line is
rejected with its reason, never the file. Matching against the users of ds (and repeated
values) is the DataFrame transform of ``import_match``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import phonenumbers

TYPES = ("email", "phone", "uid")
HEADER = ["type", "value", "param1", "param2", "param3"]
MAX_VALUE = 320  # longest valid email address
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")

class ImportLine(NamedTuple):
    line: int
    type: str
    value: str
    key: str  # the value as matched: lower-case email, E.164 phone, uid
    params: tuple[str | None, str | None, str | None]


class ImportFailure(NamedTuple):
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


_BOM = b"\xef\xbb\xbf"


def parse_line(number: int, raw: bytes) -> ImportLine | ImportFailure | None:
    """One physical line (without its line end): a well-formed line, a failure, or None (blank or header)."""
    if number == 1 and raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ImportFailure(number, None, "line is not UTF-8 text")
    try:
        # Without quotes (or a stray carriage return) a line is its comma-separated fields: the
        # common case, without the cost of a csv reader per line.
        row = text.split(",") if '"' not in text and "\r" not in text else next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        reason = ("unterminated quote: a quoted value must end on its own line" if "end of data" in str(exc)
                  else f"malformed CSV: {exc}")
        return ImportFailure(number, None, reason)
    if not row or all(not c.strip() for c in row):
        return None
    if number == 1 and [c.strip().lower() for c in row[:2]] == HEADER[:2]:
        return None
    value = row[1].strip() if len(row) > 1 else None
    if not 2 <= len(row) <= 5:
        return ImportFailure(number, value, f"expected 2 to 5 fields (type,value,param1,param2,param3), got {len(row)}")
    kind = row[0].strip().lower()
    if kind not in TYPES:
        return ImportFailure(number, value, f"unknown type {row[0].strip()[:40]!r}; expected email, phone or uid")
    if not value:
        return ImportFailure(number, value, "empty value")
    key, problem = _key(kind, value)
    if problem:
        return ImportFailure(number, value, problem)
    params = tuple((row[i].strip() or None) if i < len(row) else None for i in (2, 3, 4))
    return ImportLine(number, kind, value, key, params)


def parse_lines(lines: Iterable[tuple[int, bytes]]) -> Iterator[ImportLine | ImportFailure]:
    """Every line's outcome, streamed (blank lines and the header yield nothing)."""
    for number, raw in lines:
        outcome = parse_line(number, raw)
        if outcome is not None:
            yield outcome


def parse_import(text: str) -> tuple[list[ImportLine], list[ImportFailure]]:
    """Parses a whole import CSV held in memory (tests, previews). A first line ``type,value,...``
    is a header; blank lines are skipped. Repeated values are found later, by ``import_match``.

    Returns:
        The well-formed lines and every rejected line with its reason.
    """
    raw = text.encode("utf-8", "surrogatepass").split(b"\n")
    lines = [(i, r.removesuffix(b"\r")) for i, r in enumerate(raw, start=1) if i < len(raw) or r]
    outcomes = list(parse_lines(lines))
    return ([o for o in outcomes if isinstance(o, ImportLine)], [o for o in outcomes if isinstance(o, ImportFailure)])
