"""Reads a segment YAML file into plain data plus the line and column of every node.

Only ``yaml.compose`` with the safe loader (libyaml's when available) is used: nodes are turned into plain values here
(str, int, float, bool, None, list, dict), so no tag can construct an object. Dates stay the
text the analyst wrote; later stages check their form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import yaml

from jobs.segments.errors import DefinitionError

Path = tuple[str | int, ...]

_SCALARS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass(frozen=True)
class Document:
    """One definition file: its data and where each value (and each mapping key) was written.

    Args:
        file: path relative to the definitions folder, with ``/`` separators.
        abspath: the file on disk.
        data: the document as plain values.
        marks: path -> (line, column) of the value at that path (1-based).
        key_marks: path -> (line, column) of the mapping key that introduces that path.
    """

    file: str
    abspath: str
    data: object
    marks: dict[Path, tuple[int, int]] = field(compare=False, repr=False)
    key_marks: dict[Path, tuple[int, int]] = field(compare=False, repr=False)

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` (of its key with ``key=True``), else of the closest enclosing node."""
        table = self.key_marks if key else self.marks
        while path:
            if path in table:
                return table[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))

    def error(self, path: Path, message: str, *, expected: str | None = None,
              suggestion: str | None = None, key: bool = False) -> DefinitionError:
        """A DefinitionError located at ``path`` of this document."""
        line, col = self.at(path, key=key)
        sid = self.data.get("id") if isinstance(self.data, dict) else None
        return DefinitionError(self.file, line, col, render_path(path), message, expected, suggestion,
                               sid if isinstance(sid, str) else None)


def render_path(path: Path) -> str:
    """``('rule', 'all', 0, 'label')`` -> ``rule.all[0].label``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _plain(node: yaml.Node, path: Path, marks: dict, key_marks: dict, problems: list) -> object:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        if node.tag in _SCALARS:
            return _construct_scalar_value(node)
        if any("\ud800" <= ch <= "\udfff" for ch in node.value):
            problems.append((path, "text contains an escaped surrogate (\\ud800-\\udfff), which is not a character"))
            return ""
        return node.value  # strings, and dates kept as written
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path + (i,), marks, key_marks, problems) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            key_marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                problems.append((path + (key,), f"duplicate key '{key}'"))
            out[key] = _plain(value_node, path + (key,), marks, key_marks, problems)
        return out
    return None


def _construct_scalar_value(node: yaml.ScalarNode) -> object:
    """Builds an int, float, bool or None from a resolved scalar with a throwaway safe loader."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``: libyaml's parser when it is built in (ten times faster), else PyYAML's.

    Text libyaml rejects, or that holds characters PyYAML's reader refuses, goes through PyYAML's
    own parser, so errors and their wording are the same either way.
    """
    if getattr(yaml, "__with_libyaml__", False) and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_document(abspath: str, relname: str) -> tuple[Document | None, list[DefinitionError]]:
    """Reads one file. Returns the document (None if unreadable) and the problems found reading it."""
    try:
        with open(abspath, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DefinitionError(relname, 0, 0, "", f"cannot read the file: {exc.__class__.__name__}")]
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [DefinitionError(relname, line, col, "", f"invalid YAML: {problem}")]
    if node is None:
        return None, [DefinitionError(relname, 1, 1, "", "the file is empty", expected="one segment definition")]
    marks: dict = {}
    key_marks: dict = {}
    problems: list = []
    data = _plain(node, (), marks, key_marks, problems)
    doc = Document(relname, abspath, data, marks, key_marks)
    return doc, [doc.error(path, msg, key=msg.startswith("duplicate key")) for path, msg in problems]


def definition_files(defs_dir: str) -> list[tuple[str, str]]:
    """Every ``*.yaml``/``*.yml`` under ``defs_dir`` as (absolute path, relative name), sorted.

    ``tests`` folders hold segment tests (golden users), not definitions: they are skipped.
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(defs_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "tests")
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")):
                abspath = os.path.join(dirpath, name)
                found.append((abspath, os.path.relpath(abspath, defs_dir).replace(os.sep, "/")))
    return sorted(found, key=lambda item: item[1])
