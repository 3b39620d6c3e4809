"""The text of ``lakehouse explain``: an Explanation as a verdict, its groups and their conditions.

One short function per node type, like the generator. Groups are the items of a top-level
``all`` (a rule of any other form is one group); a group that is an ``any`` lists its
conditions. Each condition shows what the user has and what the rule needs.
"""

from __future__ import annotations

import datetime as dt

from jobs.segments.language.errors import quote
from jobs.segments.readers.explain import Explanation, NodeOutcome
from jobs.segments.language.model import (
    All, AnyOf, BehaviorCondition, DateRange, LabelCondition, LastDays, Not, SegmentRef,
)

SYMBOLS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
METRICS = {"times": "times", "days": "days", "sum": "sum of {}", "avg": "average {}", "min": "min {}", "max": "max {}"}
STEP = "  "


def format_explanation(expl: Explanation) -> str:
    """The text the ``lakehouse explain`` command prints."""
    verdict = "is a member" if expl.member else "is NOT a member"
    head = f"{expl.app_id}/{expl.segment.id} on {expl.ds}: uid {expl.uid} {verdict}"
    return "\n".join([head, *_body(expl, STEP)])


def _body(expl: Explanation, indent: str) -> list[str]:
    """The reasons under a verdict: deleted user, imported list or groups, then consent."""
    if expl.deleted:
        return [f"{indent}deleted user: never a member"]
    lines = []
    if expl.segment.source is not None:
        where = expl.segment.source.csv
        lines.append(f"{indent}imported list {where}: " + (
            "the uid is a member" if expl.listed
            else "the uid is not a member (not listed, or its line was dropped: see gold.segment_import_failures)"))
    if expl.rule is not None:
        groups = expl.rule.children if isinstance(expl.rule.node, All) else (expl.rule,)
        for n, group in enumerate(groups, 1):
            lines.append(f"{indent}group {n} of {len(groups)}: {_held(group.held)}")
            conditions = group.children if isinstance(group.node, AnyOf) else (group,)
            for cond in conditions:
                lines += _condition(cond, expl.ds, indent + STEP)
    lines.append(f"{indent}{_consent(expl)}")
    if expl.kept_from is not None:
        lines.append(f"{indent}note: refresh once: the published verdict is kept from {expl.kept_from}; "
                     f"the conditions above are evaluated on {expl.ds}")
    if expl.definition_changed:
        lines.append(f"{indent}note: the definition changed since this run: the verdict is the published one; "
                     f"the conditions above use the current definition")
    return lines


def _held(held: bool) -> str:
    return "held" if held else "failed"


def _mark(held: bool) -> str:
    return "[held]   " if held else "[failed] "


def _consent(expl: Explanation) -> str:
    if not expl.segment.consent_required:
        return "consent: not required (marketing_consent: ignore)"
    have = "is not set" if expl.accept_marketing is None else f"= {_bool(expl.accept_marketing)}"
    return f"consent: {_mark(bool(expl.accept_marketing)).rstrip()} accept_marketing {have} (required)"


def _condition(out: NodeOutcome, ds: dt.date, indent: str) -> list[str]:
    """A condition's line(s): its mark and text, then (indented) what it is made of."""
    text, below = _describe(out, ds, indent + STEP)
    return [f"{indent}{_mark(out.held)}{text}", *below]


def _describe(out: NodeOutcome, ds: dt.date, indent: str) -> tuple[str, list[str]]:
    """(text of the condition, lines below it) for each node type."""
    node = out.node
    if isinstance(node, LabelCondition):
        return _label(node, out.observed, ds), []
    if isinstance(node, BehaviorCondition):
        return _behavior(node, out.observed, ds), []
    if isinstance(node, SegmentRef):
        verdict = "member" if out.segment.member else "not a member"
        return f"in segment {node.segment}: {verdict} on {ds}", _body(out.segment, indent)
    if isinstance(node, Not):
        inner = out.children[0]
        if isinstance(inner.node, (All, AnyOf)):
            word = "all of" if isinstance(inner.node, All) else "any of"
            return f"not ({word}: {_held(inner.held)})", _items(inner, ds, indent)
        text, below = _describe(inner, ds, indent)
        return f"not ({text})", below
    if isinstance(node, (All, AnyOf)):
        word = "all of" if isinstance(node, All) else "any of"
        return f"{word}:", _items(out, ds, indent)
    raise TypeError(f"no text for {type(node).__name__}")


def _items(out: NodeOutcome, ds: dt.date, indent: str) -> list[str]:
    return [line for child in out.children for line in _condition(child, ds, indent)]


def _label(cond: LabelCondition, observed: object, ds: dt.date) -> str:
    from jobs.catalogs import label_catalog

    kind = label_catalog()[cond.label].type
    have = "is not set" if observed is None else f"= {_value(observed, kind, observed=True)}"
    return f"{cond.label} {have} (needs {_label_needs(cond, kind, ds)})"


def _label_needs(cond: LabelCondition, kind: str, ds: dt.date) -> str:
    op, v = cond.op, cond.value
    if op in SYMBOLS:
        return f"{SYMBOLS[op]} {_value(v, kind)}"
    if op in ("in", "not_in"):
        listed = ", ".join(_value(x, kind) for x in v)
        return f"{'in' if op == 'in' else 'not in'} ({listed})"
    if op == "between":
        return f"between {_value(v[0], kind)} and {_value(v[1], kind)}"
    if op == "within_last_days":
        start = ds - dt.timedelta(days=v - 1)
        return f"within the last {v} day{'s' if v != 1 else ''} ({start}..{ds})"
    words = {"is_set": "set", "is_not_set": "not set", "contains": "contains", "starts_with": "starts with",
             "before": "before", "after": "after"}
    return words[op] if v is None else f"{words[op]} {_value(v, kind)}"


def _value(value: object, kind: str, observed: bool = False) -> str:
    """A label value: timestamps observed as UTC times (definitions give dates), text quoted."""
    if kind == "timestamp":
        if observed:
            return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return str(value)
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, (int, float)):
        return _number(value)
    return quote(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _number(value: float | int) -> str:
    """Exact: integers without a fraction, other floats as Python writes them (shortest round trip)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _behavior(cond: BehaviorCondition, observed: object, ds: dt.date) -> str:
    kind = cond.metric.kind
    what = METRICS[kind].format(cond.metric.measure)
    where = ""
    if cond.where:
        parts = [f"{f.dimension} {SYMBOLS.get(f.op, f.op.replace('_', ' '))} " + (
            quote(f.values[0]) if f.op in ("eq", "ne") else "(" + ", ".join(quote(v) for v in f.values) + ")")
            for f in cond.where]
        where = " (" + " and ".join(parts) + ")"
    if observed is None:  # no matching row: no events, so counts and sums are 0, averages/min/max undefined
        have = "0" if kind in ("times", "days", "sum") else "none"
    else:
        have = _number(observed)
    if not cond.executed:
        return f"{cond.event}{where} times {_window(cond, ds)} = {have} (needs none: not executed)"
    cmp = cond.compare
    needs = (f"between {_number(cmp.value[0])} and {_number(cmp.value[1])}" if cmp.op == "between"
             else f"{SYMBOLS[cmp.op]} {_number(cmp.value)}")
    if kind in ("times", "days", "sum") and _accepts_zero(cmp.op, cmp.value):
        needs += ", at least one event"
    return f"{cond.event}{where} {what} {_window(cond, ds)} = {have} (needs {needs})"


def _accepts_zero(op: str, value) -> bool:
    """Whether a metric of 0 passes the comparison alone (the condition then also needs an event)."""
    if op == "between":
        return value[0] <= 0 <= value[1]
    return {"eq": 0 == value, "ne": 0 != value, "lt": 0 < value, "le": 0 <= value,
            "gt": 0 > value, "ge": 0 >= value}[op]


def _window(cond: BehaviorCondition, ds: dt.date) -> str:
    start, end = cond.window.bounds(ds)
    if isinstance(cond.window, LastDays):
        days = cond.window.days
        span = str(end) if start == end else f"{start}..{end}"
        return f"in the last {days} day{'s' if days != 1 else ''} ({span})"
    assert isinstance(cond.window, DateRange)
    return f"from {cond.window.start} to {cond.window.end}"
