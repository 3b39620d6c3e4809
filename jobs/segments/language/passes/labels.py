"""Label conditions name a catalog label, use an operator that fits its type and values it allows."""

from __future__ import annotations

import datetime as dt

from jobs.catalogs import LabelSpec, label_catalog
from jobs.segments.language.errors import DefinitionError, did_you_mean, quote
from jobs.segments.language.model import LabelCondition, walk
from jobs.segments.language.program import Program

_ANY = ("is_set", "is_not_set")
OPERATORS = {
    "string": ("eq", "ne", "in", "not_in", "contains", "starts_with", *_ANY),
    "enum": ("eq", "ne", "in", "not_in", *_ANY),
    "boolean": ("eq", "ne", *_ANY),
    "integer": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", *_ANY),
    "number": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", *_ANY),
    "timestamp": ("within_last_days", "before", "after", "between", *_ANY),
}
_WORDS = {
    "string": "a string", "enum": "a string", "boolean": "true or false", "integer": "an integer",
    "number": "a number", "timestamp": "a date written YYYY-MM-DD",
}


def _fits(spec: LabelSpec, value: object) -> bool:
    if spec.type in ("string", "enum"):
        return isinstance(value, str)
    if spec.type == "boolean":
        return isinstance(value, bool)
    if spec.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _shape(cond: LabelCondition, spec: LabelSpec) -> tuple[list, str | None]:
    """The scalar values to check, or a description of the shape the operator expects."""
    op, value = cond.op, cond.value
    if op in _ANY:
        return ([], None) if value is None else ([], f"no value with {op}")
    if op == "within_last_days":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        return ([], None) if ok else ([], "a number of days, 1 or more")
    if op in ("in", "not_in"):
        ok = isinstance(value, tuple) and len(value) >= 1
        return (list(value), None) if ok else ([], f"a list of values with {op}")
    if op == "between":
        ok = isinstance(value, tuple) and len(value) == 2
        return (list(value), None) if ok else ([], "a list of two values [low, high] with between")
    if value is None or isinstance(value, tuple):
        return [], f"one value with {op}"
    return [value], None


def _check(program: Program, seg, cond: LabelCondition) -> list[DefinitionError]:
    catalog = label_catalog()
    spec = catalog.get(cond.label)
    if spec is None:
        return [program.error(seg, cond.path + ("label",), f"unknown label {quote(cond.label)}",
                              expected="a label of the label catalog", suggestion=did_you_mean(cond.label, catalog))]
    allowed = OPERATORS[spec.type]
    if cond.op not in allowed:
        return [program.error(seg, cond.path + ("op",), f"operator '{cond.op}' does not fit label '{spec.name}' ({spec.type})",
                              expected="one of " + ", ".join(allowed))]
    values, shape = _shape(cond, spec)
    if shape:
        return [program.error(seg, cond.path + ("value",), f"operator '{cond.op}' needs {shape}")]
    errors = []
    for i, value in enumerate(values):
        path = cond.path + ("value",) + ((i,) if isinstance(cond.value, tuple) else ())
        if not _fits(spec, value):
            errors.append(program.error(seg, path, f"value {quote(value)} does not fit label '{spec.name}' ({spec.type})",
                                        expected=_WORDS[spec.type]))
        elif spec.values is not None and value not in spec.values:
            errors.append(program.error(seg, path, f"value {quote(value)} is not allowed for label '{spec.name}'",
                                        expected="one of " + ", ".join(spec.values), suggestion=did_you_mean(value, spec.values)))
    if not errors and cond.op == "between" and values[0] > values[1]:
        errors.append(program.error(seg, cond.path + ("value",), "between needs the low value first",
                                    expected=f"[{values[1]}, {values[0]}]"))
    return errors


def check(program: Program) -> list[DefinitionError]:
    errors = []
    for seg in program.segments:
        for node in walk(seg.rule) if seg.rule else ():
            if isinstance(node, LabelCondition):
                errors.extend(_check(program, seg, node))
    return errors
