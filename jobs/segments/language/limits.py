"""Limits of a definition file: its size (checked by ``jobs.segments.sources`` before it is read) and, while
parsing, its depth and aliases. The reason a file is refused is a ``FileRefused``."""

from __future__ import annotations

MAX_FILE_BYTES = 1024 * 1024  # a definition file: 1 MiB
MAX_DEPTH = 64  # nesting of mappings and lists, aliases expanded
MAX_ALIAS_NODES = 10_000  # nodes produced by expanding aliases, per document


class FileRefused(Exception):
    """A file that is not read: why, in the words of a definition error."""
