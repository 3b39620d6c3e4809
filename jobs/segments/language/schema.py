"""Checks a definition against the shipped segment.schema.json and turns each failure into a located message."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

import jsonschema

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
    """The jsonschema validator of the segment schema, built once (the schema has no ``format``
    keyword, so no format checker; see docs/benchmarks.md, "Definition schema check")."""
    return jsonschema.Draft202012Validator(segment_schema())


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


# One function per JSON-Schema keyword: (document, error, path) -> the located messages. A keyword
# missing here keeps jsonschema's own message.
Wording = Callable[[Document, jsonschema.ValidationError, tuple], list[DefinitionError]]


def _additional_properties(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    allowed = sorted(err.schema.get("properties", {}))
    extra = [k for k in err.instance if k not in allowed]
    return [doc.error(path + (k,), f"unknown key '{k}'", expected="one of " + ", ".join(allowed),
                      suggestion=did_you_mean(k, allowed), key=True) for k in extra]


def _required(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    missing = [k for k in err.validator_value if k not in err.instance]
    return [doc.error(path, f"missing key '{k}'", expected="keys " + ", ".join(err.validator_value)) for k in missing]


def _type(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    words = " or ".join(_TYPE_WORDS[t] for t in wanted)
    return [doc.error(path, f"{_field(path)} is {_kind(err.instance)}", expected=words)]


def _one_of_values(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    """``enum`` and ``const``: the allowed values, and the closest one (an operator's synonym for ``op``)."""
    options = err.validator_value if err.validator == "enum" else [err.validator_value]
    words = [str(o) for o in options]
    value = err.instance
    hint = suggest_operator(value, words) if _field(path) == "op" else did_you_mean(value, words)
    return [doc.error(path, f"{_field(path)} {quote(value)} is not allowed", expected="one of " + ", ".join(words),
                      suggestion=hint)]


def _pattern(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    expected = _PATTERN_WORDS.get(err.validator_value, f"text matching {err.validator_value}")
    return [doc.error(path, f"{_field(path)} {quote(err.instance)} is not valid", expected=expected)]


def _length(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    bound = "at most" if err.validator == "maxLength" else "at least"
    return [doc.error(path, f"{_field(path)} is {len(err.instance)} characters long",
                      expected=f"{bound} {err.validator_value} characters")]


def _range(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    if err.validator == "minimum" and path and path[-1] == "last_days":
        return [doc.error(path, f"window of {err.instance} days is empty", expected="last_days from 1 to 180")]
    bound = "at most" if err.validator == "maximum" else "at least"
    return [doc.error(path, f"{_field(path)} {err.instance} is out of range", expected=f"{bound} {err.validator_value}")]


def _items(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    bound = "at least" if err.validator == "minItems" else "at most"
    return [doc.error(path, f"{_field(path)} has {len(err.instance)} items", expected=f"{bound} {err.validator_value} items")]


def _properties_count(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    return [doc.error(path, f"{_field(path)} has {len(err.instance)} keys", expected=err.schema.get("description"))]


def _one_of(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    if not path:
        return [doc.error(path, "a segment needs exactly one of 'rule' or 'source'",
                          expected="rule: a condition, or source: {csv: file.csv} for an imported segment")]
    if path[-1] == "window":
        return [doc.error(path, "window needs last_days, or from and to",
                          expected="{last_days: N} or {from: YYYY-MM-DD, to: YYYY-MM-DD}")]
    return _as_jsonschema_words(doc, err, path)


def _any_of(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    if "all" in json.dumps(err.validator_value):
        return [doc.error(path, f"{render_path(path) or 'the document'} is not a condition",
                          expected="a mapping with all, any, not, or type: label | behavior | segment")]
    return [doc.error(path, f"{_field(path)} {quote(err.instance)} has the wrong form",
                      expected="a string, number or true/false, or a list of them")]


def _as_jsonschema_words(doc: Document, err: jsonschema.ValidationError, path: tuple) -> list[DefinitionError]:
    return [doc.error(path, err.message)]


WORDING: dict[str, Wording] = {
    "additionalProperties": _additional_properties,
    "required": _required,
    "type": _type,
    "enum": _one_of_values,
    "const": _one_of_values,
    "pattern": _pattern,
    "maxLength": _length,
    "minLength": _length,
    "maximum": _range,
    "minimum": _range,
    "minItems": _items,
    "maxItems": _items,
    "minProperties": _properties_count,
    "maxProperties": _properties_count,
    "oneOf": _one_of,
    "anyOf": _any_of,
}


def _errors_for(doc: Document, err: jsonschema.ValidationError) -> list[DefinitionError]:
    """The messages of one jsonschema error, worded by its keyword (``WORDING``)."""
    if reported_by_passes(err):
        return []  # the passes report it (with a did-you-mean), so the rest of the definition is still checked
    path = tuple(err.absolute_path)
    return WORDING.get(err.validator, _as_jsonschema_words)(doc, err, path)


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
    found: list[DefinitionError] = []
    for err in validator().iter_errors(doc.data):
        found.extend(_errors_for(doc, err))
    return found
