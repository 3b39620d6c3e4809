"""The resolve pass: references resolved to keys and dependency levels computed once, and every
consumer uses it (no consumer resolves a reference by name itself)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jobs.segments.language.model import All, LabelCondition, Not, Segment, SegmentRef, references
from jobs.segments.language.passes.resolve import resolve, target

SEGMENTS = Path(__file__).resolve().parents[1] / "jobs" / "segments"
CONSUMERS = ["language/evaluate.py", "language/failures.py", "daily/isolate.py", "readers/explain.py",
             "readers/sizing.py"]
PROGRAM_USERS = ["readers/preview.py", "readers/explain_draft.py", "readers/explain.py", "readers/sizing.py"]
OLD_HELPERS = {"resolve", "closure", "_closure"}


def _seg(app: str, sid: str, rule=None) -> Segment:
    return Segment(sid, app, sid, "", "daily", False, rule, None, "custom", "h", f"{app}/{sid}.yaml")


def _ref(name: str) -> SegmentRef:
    return SegmentRef(name, ())


def test_references_are_rewritten_to_their_keys_and_levels_computed():
    label = LabelCondition("country", "eq", "DE", ())
    segments = [
        _seg("*", "base", label),
        _seg("app", "own", label),
        _seg("app", "top", All((_ref("own"), Not(_ref("base"), ())), ())),
        _seg("app", "topper", _ref("top")),
        _seg("other", "own", _ref("base")),
    ]
    resolved = resolve(segments, known=[("app", "listed")])
    by_key = resolved.by_key
    assert [r.key for r in references(by_key[("app", "top")])] == [("app", "own"), ("*", "base")]
    assert [r.key for r in references(by_key[("other", "own")])] == [("*", "base")]
    assert resolved.levels == {("app", "listed"): -1, ("*", "base"): 0, ("app", "own"): 0, ("app", "top"): 1,
                               ("app", "topper"): 2, ("other", "own"): 1}
    assert [s.key for s in resolved.closure([segments[3]])] == [("app", "topper"), ("app", "top"), ("*", "base"),
                                                                  ("app", "own")]
    assert resolved.segments == tuple(segments)  # the resolved key is not part of a segment's identity
    assert target("app", "x", {("app", "x")}) == ("app", "x") and target("app", "x", set()) == ("*", "x")


def test_a_cycle_does_not_loop():
    resolved = resolve([_seg("app", "a", _ref("b")), _seg("app", "b", _ref("a"))])
    assert set(resolved.levels) == {("app", "a"), ("app", "b")}


def _tree(rel: str) -> ast.Module:
    return ast.parse((SEGMENTS / rel).read_text())


@pytest.mark.parametrize("rel", CONSUMERS)
def test_consumers_import_the_resolve_pass(rel):
    modules = {n.module for n in ast.walk(_tree(rel)) if isinstance(n, ast.ImportFrom)}
    assert "jobs.segments.language.passes.resolve" in modules


@pytest.mark.parametrize("rel", PROGRAM_USERS)
def test_readers_take_closures_of_the_resolved_program(rel):
    attributes = {n.attr for n in ast.walk(_tree(rel)) if isinstance(n, ast.Attribute)}
    assert {"resolved", "closure"} <= attributes


@pytest.mark.parametrize("rel", sorted({*CONSUMERS, *PROGRAM_USERS}))
def test_no_consumer_resolves_references_itself(rel):
    tree = _tree(rel)
    helpers = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
               and n.name in OLD_HELPERS}
    assert helpers == set(), f"{rel} defines its own {helpers}"
    by_name = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Tuple) and len(n.elts) == 2
               and isinstance(n.elts[0], ast.Name) and n.elts[0].id == "PREDEFINED_APP"]
    assert by_name == [], f"{rel} builds a predefined key from a reference's name at lines {by_name}"
