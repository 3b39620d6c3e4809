"""A yes/no JSON Schema check compiled once into Python closures: the fast path for valid files.

``jsonschema`` walks the schema anew for every document (about 5 ms per definition here, half a
second for a hundred). Most files are valid, and for them only "valid" matters; the located
messages of ``schema.schema_errors`` are needed only when this check says no. The compiler
covers the keywords the segment schema uses and raises on any other, so a schema change cannot
make the fast path accept what the full validator rejects.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Check = Callable[[object], bool]

_IGNORED = {"$schema", "$id", "$defs", "title", "description"}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
}


def _equal(a: object, b: object) -> bool:
    """JSON equality: true and 1 differ, 1 and 1.0 do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class _Compiler:
    def __init__(self, root: dict):
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if not pointer.startswith("#/"):
            raise ValueError(f"unsupported $ref {pointer!r}")
        if pointer not in self.refs:
            self.refs[pointer] = lambda v: target(v)  # placeholder for recursive schemas
            node = self.root
            for part in pointer[2:].split("/"):
                node = node[part]
            target = self.compile(node)
            self.refs[pointer] = target
        return self.refs[pointer]

    def compile(self, schema: dict | bool) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks = [self.keyword(key, value, schema) for key, value in schema.items() if key not in _IGNORED]
        checks = [c for c in checks if c is not None]
        return lambda v: all(c(v) for c in checks)

    def keyword(self, key: str, value, schema: dict) -> Check | None:  # noqa: C901 - one branch per keyword
        if key == "$ref":
            target = self.ref(value)
            return lambda v: target(v)
        if key == "type":
            tests = [_TYPES[t] for t in (value if isinstance(value, list) else [value])]
            return lambda v: any(t(v) for t in tests)
        if key == "enum":
            return lambda v: any(_equal(v, o) for o in value)
        if key == "const":
            return lambda v: _equal(v, value)
        if key == "required":
            return lambda v: not isinstance(v, dict) or all(k in v for k in value)
        if key == "properties":
            props = {k: self.compile(s) for k, s in value.items()}
            return lambda v: not isinstance(v, dict) or all(props[k](v[k]) for k in props if k in v)
        if key == "additionalProperties":
            allowed = set(schema.get("properties", {}))
            if schema.get("patternProperties"):
                raise ValueError("patternProperties is not supported")
            extra = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(extra(v[k]) for k in v if k not in allowed)
        if key == "items":
            item = self.compile(value)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if key in ("minItems", "maxItems", "minProperties", "maxProperties"):
            kind = list if key.endswith("Items") else dict
            low = key.startswith("min")
            return lambda v: not isinstance(v, kind) or (len(v) >= value if low else len(v) <= value)
        if key in ("minLength", "maxLength"):
            low = key == "minLength"
            return lambda v: not isinstance(v, str) or (len(v) >= value if low else len(v) <= value)
        if key in ("minimum", "maximum"):
            low = key == "minimum"
            return lambda v: not _is_number(v) or (v >= value if low else v <= value)
        if key == "pattern":
            regex = re.compile(value)
            return lambda v: not isinstance(v, str) or regex.search(v) is not None
        if key in ("anyOf", "allOf", "oneOf"):
            subs = [self.compile(s) for s in value]
            if key == "anyOf":
                return lambda v: any(s(v) for s in subs)
            if key == "allOf":
                return lambda v: all(s(v) for s in subs)
            return lambda v: sum(1 for s in subs if s(v)) == 1
        if key == "not":
            sub = self.compile(value)
            return lambda v: not sub(v)
        if key == "if":
            test = self.compile(value)
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            return lambda v: then(v) if test(v) else otherwise(v)
        if key in ("then", "else"):
            return None  # compiled with "if"
        raise ValueError(f"JSON Schema keyword {key!r} is not supported by the fast check")


def compile_schema(schema: dict) -> Check:
    """A function telling whether a document conforms to ``schema`` (draft 2020-12 subset).

    Raises:
        ValueError: the schema uses a keyword or reference form the compiler does not know.
    """
    return _Compiler(schema).compile(schema)
