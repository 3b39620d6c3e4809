"""Checks a definition against the shipped segment.schema.json and turns each failure into a located message."""

from __future__ import annotations

import json
from functools import cache

import jsonschema

from jobs.segments.language.conforms import compile_schema
from jobs.segments.language.errors import DefinitionError, did_you_mean, quote
from jobs.segments.language.load import Document, render_path
from jobs.segments.language.suggest import suggest_operator

SCHEMA = "schemas/segment.schema.json"  # package data of jobs.resources (schemas/ in a checkout)

_TYPE_WORDS = {
    "string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
    "array": "a list", "object": "a mapping", "null": "nothing",
}
_PATTERN_WORDS = {
    "^[a-z][a-z0-9_]*$": "a slug: lowercase letters, digits and _, starting with a letter",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date written YYYY-MM-DD",
}


@cache
def segment_schema() -> dict:
    """The JSON Schema of a segment file."""
    from jobs.resources import shipped

    return json.loads(shipped(SCHEMA).read_text(encoding="utf-8"))


@cache
def validator() -> jsonschema.Draft202012Validator:
    """The jsonschema validator of the segment schema."""
    return jsonschema.Draft202012Validator(segment_schema())


@cache
def _conforms():
    """The schema compiled once to a yes/no check (see ``conforms``)."""
    return compile_schema(segment_schema())


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return "a number"
    return _TYPE_WORDS.get({str: "string", list: "array", dict: "object"}.get(type(value), ""), type(value).__name__)


def _field(path: tuple) -> str:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else "the document"


def _errors_for(doc: Document, err: jsonschema.ValidationError) -> list[DefinitionError]:
    path = tuple(err.absolute_path)
    kind, value, schema = err.validator, err.instance, err.schema
    if reported_by_passes(err):
        return []  # the passes report it (with a did-you-mean), so the rest of the definition is still checked
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        return [doc.error(path + (k,), f"unknown key '{k}'", expected="one of " + ", ".join(allowed),
                          suggestion=did_you_mean(k, allowed), key=True) for k in extra]
    if kind == "required":
        missing = [k for k in err.validator_value if k not in value]
        return [doc.error(path, f"missing key '{k}'", expected="keys " + ", ".join(err.validator_value))
                for k in missing]
    if kind == "type":
        wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS[t] for t in wanted)
        return [doc.error(path, f"{_field(path)} is {_kind(value)}", expected=words)]
    if kind in ("enum", "const"):
        options = err.validator_value if kind == "enum" else [err.validator_value]
        words = [str(o) for o in options]
        hint = suggest_operator(value, words) if _field(path) == "op" else did_you_mean(value, words)
        return [doc.error(path, f"{_field(path)} {quote(value)} is not allowed", expected="one of " + ", ".join(words),
                          suggestion=hint)]
    if kind == "pattern":
        expected = _PATTERN_WORDS.get(err.validator_value, f"text matching {err.validator_value}")
        return [doc.error(path, f"{_field(path)} {quote(value)} is not valid", expected=expected)]
    if kind in ("maxLength", "minLength"):
        bound = "at most" if kind == "maxLength" else "at least"
        return [doc.error(path, f"{_field(path)} is {len(value)} characters long",
                          expected=f"{bound} {err.validator_value} characters")]
    if kind == "minimum" and path and path[-1] == "last_days":
        return [doc.error(path, f"window of {value} days is empty", expected="last_days from 1 to 180")]
    if kind in ("maximum", "minimum"):
        bound = "at most" if kind == "maximum" else "at least"
        return [doc.error(path, f"{_field(path)} {value} is out of range", expected=f"{bound} {err.validator_value}")]
    if kind in ("minItems", "maxItems"):
        return [doc.error(path, f"{_field(path)} has {len(value)} items",
                          expected=f"{'at least' if kind == 'minItems' else 'at most'} {err.validator_value} items")]
    if kind in ("minProperties", "maxProperties"):
        return [doc.error(path, f"{_field(path)} has {len(value)} keys", expected=schema.get("description"))]
    if kind == "oneOf" and not path:
        return [doc.error(path, "a segment needs exactly one of 'rule' or 'source'",
                          expected="rule: a condition, or source: {csv: file.csv} for an imported segment")]
    if kind == "oneOf" and path and path[-1] == "window":
        return [doc.error(path, "window needs last_days, or from and to",
                          expected="{last_days: N} or {from: YYYY-MM-DD, to: YYYY-MM-DD}")]
    if kind == "anyOf" and "all" in json.dumps(err.validator_value):
        return [doc.error(path, f"{render_path(path) or 'the document'} is not a condition",
                          expected="a mapping with all, any, not, or type: label | behavior | segment")]
    if kind == "anyOf":
        return [doc.error(path, f"{_field(path)} {quote(value)} has the wrong form",
                          expected="a string, number or true/false, or a list of them")]
    return [doc.error(path, err.message)]


_CATALOG_FIELDS = ("label", "event", "dimension")
_MEASURE_METRICS = ("sum", "avg", "min", "max")


def reported_by_passes(err: jsonschema.ValidationError) -> bool:
    """Schema errors a pass reports better: a window over 180 days, and names outside the catalogs
    (the schema enumerates them for editors; the passes add the closest name)."""
    path = tuple(err.absolute_path)
    if not path:
        return False
    if err.validator == "maximum" and path[-1] == "last_days":
        return True
    catalog = path[-1] in _CATALOG_FIELDS or (len(path) > 1 and path[-2] == "metric" and path[-1] in _MEASURE_METRICS)
    return err.validator == "enum" and catalog


def schema_errors(doc: Document) -> list[DefinitionError]:
    """Every schema problem of one document, each located at the offending key or value."""
    if _conforms()(doc.data):  # the common case; jsonschema only to locate and word the problems
        return []
    found: list[DefinitionError] = []
    for err in validator().iter_errors(doc.data):
        found.extend(_errors_for(doc, err))
    return found
