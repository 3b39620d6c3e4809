"""The funnel of a rule: how many users each top-level condition keeps, in order, then consent."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.segments.language.model import (
    All, AnyOf, BehaviorCondition, Condition, LabelCondition, LastDays, Not, SegmentRef,
)

_SYMBOLS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}
CONSENT_STEP = "accept_marketing (consent)"


@dataclass(frozen=True)
class FunnelStep:
    """Users left after a condition and every condition before it (the rule's top-level AND).

    Args:
        condition: the condition in a few words, e.g. ``has_gateway = true``.
        users: users meeting it and all earlier steps.
    """

    condition: str
    users: int


def top_level_conditions(rule: Condition) -> tuple[Condition, ...]:
    """The items of a top-level ``all`` (joined by AND); a rule of any other form is one condition."""
    return rule.items if isinstance(rule, All) else (rule,)


def describe(cond: Condition) -> str:
    """A condition in a few words (values shortened; for reading, never for evaluating)."""
    from jobs.segments.language.errors import quote

    if isinstance(cond, LabelCondition):
        if cond.op in ("is_set", "is_not_set"):
            return f"{cond.label} {cond.op.replace('_', ' ')}"
        value = (", ".join(_value(v, quote) for v in cond.value) if isinstance(cond.value, tuple)
                 else _value(cond.value, quote))
        op = _SYMBOLS.get(cond.op, cond.op.replace("_", " "))
        return f"{cond.label} {op} {'(' + value + ')' if isinstance(cond.value, tuple) else value}"
    if isinstance(cond, BehaviorCondition):
        where = "".join(f" {f.dimension} {_SYMBOLS[f.op]} {', '.join(quote(v) for v in f.values)}" for f in cond.where)
        window = (f"last {cond.window.days} days" if isinstance(cond.window, LastDays)
                  else f"{cond.window.start}..{cond.window.end}")
        if not cond.executed:
            return f"no {cond.event}{where} in {window}"
        metric = cond.metric.kind if cond.metric.measure is None else f"{cond.metric.kind} {cond.metric.measure}"
        cmp = cond.compare
        bound = (f"between {_value(cmp.value[0], quote)} and {_value(cmp.value[1], quote)}" if cmp.op == "between"
                 else f"{_SYMBOLS[cmp.op]} {_value(cmp.value, quote)}")
        return f"{cond.event}{where} {metric} {bound} in {window}"
    if isinstance(cond, SegmentRef):
        return f"in segment {cond.segment}"
    if isinstance(cond, Not):
        return f"not ({describe(cond.item)})"
    if isinstance(cond, (All, AnyOf)):
        word = " and " if isinstance(cond, All) else " or "
        parts = [describe(c) for c in cond.items]
        text = word.join(parts)
        return text if len(text) <= 100 else f"{'all' if isinstance(cond, All) else 'any'} of {len(parts)} conditions"
    raise TypeError(f"no description for {type(cond).__name__}")


def _value(value, quote) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return quote(value) if isinstance(value, str) else str(value)

