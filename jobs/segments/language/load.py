"""Parses a segment YAML text into plain data plus the line and column of every node, within the limits.

The file is read by ``jobs.segments.sources`` (checked before it is read: a regular file inside the
definitions folder, at most 1 MiB); PyYAML's safe parser (libyaml's when available) feeds a
composer that stops past 64 levels of nesting, and aliases are expanded here under a budget of
10,000 nodes. Nodes are turned into plain values (str, int, float, bool, None, list, dict), so no
tag can construct an object. Dates stay the text the analyst wrote; later stages check their form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
import yaml.composer

from jobs.segments.language.errors import DefinitionError, quote
from jobs.segments.language.limits import MAX_ALIAS_NODES, MAX_DEPTH

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


class _Alias(yaml.Node):
    """An alias as written (``*name``): the anchored node and where the alias stands."""

    id = "alias"

    def __init__(self, target: yaml.Node, start_mark, end_mark):
        super().__init__(target.tag, target.value, start_mark, end_mark)
        self.target = target


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer with a nesting limit, so composing never recurses deeper than MAX_DEPTH;
    aliases are kept as ``_Alias`` nodes so their expansion can be counted and located."""

    def __init__(self):
        super().__init__()
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            return _Alias(self.anchors[event.anchor], event.start_mark, event.end_mark)
        if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Limit((mark.line + 1, mark.column + 1), f"nesting deeper than {MAX_DEPTH} levels")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
        return super().compose_node(parent, index)


class _Limit(Exception):
    """A parsing limit was passed at (line, column)."""

    def __init__(self, position: tuple[int, int], message: str):
        super().__init__(message)
        self.position, self.message = position, message


class _PyLoader(_BoundedComposer, yaml.parser.Parser, yaml.scanner.Scanner, yaml.reader.Reader, yaml.resolver.Resolver):
    def __init__(self, text: str):
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _BoundedComposer.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_LOADERS = [_PyLoader]
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(_BoundedComposer, yaml._yaml.CParser, yaml.resolver.Resolver):
        """libyaml's parser (ten times faster) feeding the bounded composer."""

        def __init__(self, text: str):
            yaml._yaml.CParser.__init__(self, text)
            _BoundedComposer.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _LOADERS.insert(0, _CLoader)


class _Plain:
    """Turns a node tree into plain values, counting nodes reached through aliases and the depth
    of the expanded tree (an alias can place a deep node deeper still)."""

    def __init__(self):
        self.marks: dict = {}
        self.key_marks: dict = {}
        self.problems: list = []
        self.expanded = 0

    def value(self, node: yaml.Node, path: Path, depth: int = 0, alias: tuple | None = None) -> object:
        if isinstance(node, _Alias):
            alias = alias or (node.start_mark.line + 1, node.start_mark.column + 1)
            node = node.target
        if alias is not None:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_NODES:
                raise _Limit(alias, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes")
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        depth += 1
        if depth > MAX_DEPTH:
            raise _Limit(alias or self.marks[path], f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, path + (i,), depth, alias) for i, item in enumerate(node.value)]
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else f"<{key_node.id} key>"
            self.key_marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                self.problems.append((path + (key,), f"duplicate key '{key}'"))
            out[key] = self.value(value_node, path + (key,), depth, alias)
        return out

    def scalar(self, node: yaml.ScalarNode, path: Path) -> object:
        if node.tag in _SCALARS:
            try:
                return _construct_scalar_value(node)
            except Exception:  # noqa: BLE001 - e.g. `!!int 12.5`: the tag does not construct
                short = node.tag.rsplit(":", 1)[-1]
                self.problems.append((path, f"value {quote(node.value)} is not a valid !!{short}"))
                return None
        if any("\ud800" <= ch <= "\udfff" for ch in node.value):
            self.problems.append((path, "text contains an escaped surrogate (\\ud800-\\udfff), which is not a character"))
            return ""
        return node.value  # strings, and dates kept as written


def _construct_scalar_value(node: yaml.ScalarNode) -> object:
    """Builds an int, float, bool or None from a resolved scalar with a throwaway safe loader."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``: libyaml's parser when it is built in, else PyYAML's; both feed the
    bounded composer.

    Text libyaml rejects, or that holds characters PyYAML's reader refuses, goes through PyYAML's
    own parser, so errors and their wording are the same either way.
    """
    loaders = _LOADERS if not yaml.reader.Reader.NON_PRINTABLE.search(text) else [_PyLoader]
    for i, cls in enumerate(loaders):
        loader = cls(text)
        try:
            return loader.get_single_node()
        except yaml.YAMLError:
            if i == len(loaders) - 1:
                raise
        finally:
            loader.dispose()
    return None


def _yaml_error(relname: str, exc: yaml.YAMLError) -> DefinitionError:
    mark = getattr(exc, "problem_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return DefinitionError(relname, line, col, "", f"invalid YAML: {problem}")


def parse_document(text: str, relname: str, abspath: str) -> tuple[Document | None, list[DefinitionError]]:
    """Parses the text of one definition file. Returns the document (None if unreadable) and the problems found.

    Args:
        text: the file's text (read within the limits by ``jobs.segments.sources.load_document``).
        relname: its name in messages.
        abspath: the file on disk (kept on the document: an import names its CSV next to it).
    """
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        return None, [_yaml_error(relname, exc)]
    except _Limit as limit:
        line, col = limit.position
        return None, [DefinitionError(relname, line, col, "", limit.message)]
    if node is None:
        return None, [DefinitionError(relname, 1, 1, "", "the file is empty", expected="one segment definition")]
    plain = _Plain()
    try:
        data = plain.value(node, ())
    except _Limit as limit:
        line, col = limit.position
        return None, [DefinitionError(relname, line, col, "", limit.message)]
    doc = Document(relname, abspath, data, plain.marks, plain.key_marks)
    return doc, [doc.error(path, msg, key=msg.startswith("duplicate key")) for path, msg in plain.problems]
