"""Files people write besides definitions (suites, bounds, catalogs), read as definitions are: with
the line and column of every node, so each problem is a located ``DefinitionError``.

The reader is the definitions' (``jobs.segments.sources``: regular file, at most 1 MiB, bounded
nesting and aliases, plain values only, duplicate keys reported). ``Findings`` collects the
problems of one file, each both located and as the one-line text its loader's exception has
always carried (``SuiteError``'s message, which the pipeline logs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from jobs.errors import DefinitionError, did_you_mean, quote


def read_located(path: str | os.PathLike, name: str | None = None):
    """One YAML file people write, as a ``Document`` (None when it cannot be read) and its problems.

    Args:
        path: the file.
        name: the file as shown in messages (default: its file name).
    """
    from jobs.segments.sources import load_document

    abspath = os.path.abspath(path)
    shown = name or os.path.basename(abspath)
    doc, problems = load_document(abspath, shown, os.path.dirname(abspath))
    # the reader words refusals for definitions; here the file is a suite, bounds or catalog
    return doc, [replace(p, message=p.message.replace("the definition file", "the file", 1)) for p in problems]


@dataclass
class Findings:
    """The problems of one file: located errors, and the same problems as one-line texts.

    Args:
        doc: the file's document (``jobs.segments.language.load.Document``).
        errors: the located errors, in the order found.
        lines: ``file: where: problem`` texts, in the same order (one may cover several errors).
    """

    doc: object
    errors: list[DefinitionError] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def add(self, path: tuple, line: str | None, message: str, *, expected: str | None = None,
            suggestion: str | None = None, key: bool = False) -> None:
        """One problem at ``path`` of the document: its one-line text (None: already in the one
        before) and its located wording."""
        if line is not None:
            self.lines.append(line)
        self.errors.append(self.doc.error(path, message, expected=expected, suggestion=suggestion, key=key))

    def unknown_keys(self, path: tuple, where: str, data: dict, allowed: set[str]) -> None:
        """``unknown key 'x'`` for each key of ``data`` outside ``allowed``, with the closest allowed key."""
        names = sorted(allowed)
        for key in data:
            if key not in allowed:
                self.add(path + (key,), f"{where}: unknown key {key!r} (allowed: {', '.join(names)})",
                         f"unknown key {quote(key)}", expected="one of " + ", ".join(names),
                         suggestion=did_you_mean(key, names), key=True)

    def not_allowed(self, path: tuple, line: str, name: str, data: dict, allowed: list[str]) -> None:
        """``data[name]`` outside a closed list (``name 'x' is not allowed``, with the closest value), or missing."""
        if name not in data:
            self.add(path[:-1], line, f"missing key '{name}'", expected="one of " + ", ".join(allowed))
            return
        self.add(path, line, f"{name} {quote(data[name])} is not allowed", expected="one of " + ", ".join(allowed),
                 suggestion=did_you_mean(data[name], allowed))
