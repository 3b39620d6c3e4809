"""Behavior conditions name a catalog event, its dimensions and measures, and a window of at most 180 days."""

from __future__ import annotations

from jobs.catalogs import event_catalog
from jobs.segments.language.errors import DefinitionError, did_you_mean, quote
from jobs.segments.language.model import BehaviorCondition, DateRange, LastDays, walk
from jobs.segments.language.program import Program

MAX_WINDOW_DAYS = 180


def _one_of(names) -> str:
    names = list(names)
    return "one of " + ", ".join(names) if names else "nothing: the event has none"


def _check(program: Program, seg, cond: BehaviorCondition) -> list[DefinitionError]:
    errors = []
    raw = program.documents[seg.file]
    spec = event_catalog().get(cond.event)
    if spec is None:
        errors.append(program.error(seg, cond.path + ("event",), f"unknown event {quote(cond.event)}",
                                    expected="an event of the event catalog", suggestion=did_you_mean(cond.event, event_catalog())))
    if isinstance(cond.window, LastDays) and cond.window.days > MAX_WINDOW_DAYS:
        errors.append(program.error(seg, cond.path + ("window", "last_days"), f"window of {cond.window.days} days is longer than 180 days",
                                    expected="last_days from 1 to 180"))
    if isinstance(cond.window, DateRange):
        span = (cond.window.end - cond.window.start).days + 1
        if span < 1:
            errors.append(program.error(seg, cond.path + ("window",), "window ends before it starts",
                                        expected="from on or before to"))
        elif span > MAX_WINDOW_DAYS:
            errors.append(program.error(seg, cond.path + ("window",), f"window of {span} days is longer than 180 days",
                                        expected="from and to at most 180 days apart, both included"))
    cond_raw = _raw(raw.data, cond.path)
    if not cond.executed and ("metric" in cond_raw or "compare" in cond_raw):
        key = "metric" if "metric" in cond_raw else "compare"
        errors.append(program.error(seg, cond.path + (key,), f"{key} is not used when executed is false",
                                    expected="no metric or compare: executed: false means no matching event in the window", key=True))
    if cond.compare.op == "between" and not isinstance(cond.compare.value, tuple):
        errors.append(program.error(seg, cond.path + ("compare", "value"), "between needs two values",
                                    expected="[low, high]"))
    elif cond.compare.op != "between" and isinstance(cond.compare.value, tuple):
        errors.append(program.error(seg, cond.path + ("compare", "value"), f"operator '{cond.compare.op}' needs one value",
                                    expected="a number"))
    if spec is None:
        return errors
    for flt in cond.where:
        dim = spec.dimensions.get(flt.dimension)
        if dim is None:
            errors.append(program.error(seg, flt.path + ("dimension",), f"event '{spec.code}' has no dimension {quote(flt.dimension)}",
                                        expected=_one_of(spec.dimensions), suggestion=did_you_mean(flt.dimension, spec.dimensions)))
            continue
        if flt.op in ("eq", "ne") and len(flt.values) != 1 or flt.op in ("in", "not_in") and not isinstance(_raw(raw.data, flt.path)["value"], list):
            errors.append(program.error(seg, flt.path + ("value",), f"operator '{flt.op}' needs {'one value' if flt.op in ('eq', 'ne') else 'a list of values'}"))
            continue
        for i, value in enumerate(flt.values):
            if dim.values is not None and value not in dim.values:
                path = flt.path + ("value",) + ((i,) if flt.op in ("in", "not_in") else ())
                errors.append(program.error(seg, path, f"value {quote(value)} is not allowed for dimension '{dim.name}'",
                                            expected=_one_of(dim.values), suggestion=did_you_mean(value, dim.values)))
    measure = cond.metric.measure
    if measure is not None and measure not in spec.measures:
        errors.append(program.error(seg, cond.path + ("metric", cond.metric.kind), f"event '{spec.code}' has no measure {quote(measure)}",
                                    expected=_one_of(spec.measures), suggestion=did_you_mean(measure, spec.measures)))
    return errors


def _raw(data, path):
    for part in path:
        data = data[part]
    return data


def check(program: Program) -> list[DefinitionError]:
    errors = []
    for seg in program.segments:
        for node in walk(seg.rule) if seg.rule else ():
            if isinstance(node, BehaviorCondition):
                errors.extend(_check(program, seg, node))
    return errors
