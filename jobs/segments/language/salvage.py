"""Salvage: the parts of a definition with schema errors that still make sense, so the semantic passes
check them too (every problem of a file in one run, not the schema's first and the rest next time).

Each schema error's node is neutralised where it stands, keeping every other node at its path (so
later errors keep their file positions): an unknown key is dropped, a broken condition becomes a
placeholder condition that every pass accepts, a bad optional field is dropped, a bad name takes
the id. The salvaged segment is only ever used for checking: its file has errors, so it fails.
"""

from __future__ import annotations

import copy

from jobs.segments.language.load import Document, Path

PLACEHOLDER = {"type": "label", "label": "accept_marketing", "op": "is_set"}  # valid for every pass
_CONDITION_STEPS = ("all", "any")
_OPTIONAL = ("description", "refresh", "marketing_consent")
MAX_ROUNDS = 8


def _condition_path(path: Path) -> Path | None:
    """The innermost condition (inside ``rule``) that contains ``path``, or None outside the rule."""
    if not path or path[0] != "rule":
        return None
    out, i = ("rule",), 1
    while i < len(path):
        if path[i] in _CONDITION_STEPS and i + 1 < len(path) and isinstance(path[i + 1], int):
            out, i = out + path[i:i + 2], i + 2
        elif path[i] == "not":
            out, i = out + ("not",), i + 1
        else:
            break
    return out


def _set(data: dict, path: Path, value) -> None:
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _get(data, path: Path):
    for step in path:
        data = data[step]
    return data


def _repair(data: dict, err) -> bool:
    """Neutralises one schema error in place; False when the error cannot be set aside."""
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties":
        node = _get(data, path)
        for key in [k for k in node if k not in err.schema.get("properties", {})]:
            del node[key]
        return True
    cond = _condition_path(path)
    if cond is not None:
        _set(data, cond, copy.deepcopy(PLACEHOLDER)) if len(cond) > 1 else data.__setitem__("rule", copy.deepcopy(PLACEHOLDER))
        return True
    if len(path) == 1 and path[0] in _OPTIONAL:
        del data[path[0]]
        return True
    if len(path) == 1 and path[0] == "name" and isinstance(data.get("id"), str):
        data["name"] = data["id"]
        return True
    if err.validator == "required" and not path and "name" in err.validator_value and "name" not in data:
        data["name"] = data.get("id")
        return "id" in data and "app_id" in data
    return False


def salvage(doc: Document, validator, left_to_passes) -> Document | None:
    """A copy of ``doc`` whose schema errors are neutralised, or None when what is left would not be a segment.

    Args:
        validator: the jsonschema validator of the segment schema.
        left_to_passes: errors the passes report themselves (kept in place for them to see).
    """
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("app_id"), str):
        return None
    data = copy.deepcopy(data)
    for _ in range(MAX_ROUNDS):
        found = [e for e in validator.iter_errors(data) if not left_to_passes(e)]
        if not found:
            return Document(doc.file, doc.abspath, data, doc.marks, doc.key_marks)
        for err in sorted(found, key=lambda e: -len(e.absolute_path)):  # innermost first: outer paths stay valid
            try:
                if not _repair(data, err):
                    return None
            except (KeyError, IndexError, TypeError):
                continue  # already removed by a repair of an enclosing node
    return None
