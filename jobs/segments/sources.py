"""The files people write, read from disk within the limits: definition files and import CSVs.

The language (``jobs.segments.language``) parses text and never opens a file; this module is where
files are checked before they are read (a regular file inside its folder, no FIFO, device or
symlink leading out, at most ``MAX_FILE_BYTES``), read without following a swapped file, and
handed over as text (definitions) or lines and digests (imports).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator

from jobs.segments.language.build import build_segment as build_with
from jobs.segments.language.errors import DefinitionError, quote
from jobs.segments.language.limits import MAX_FILE_BYTES, FileRefused
from jobs.segments.language.load import Document, parse_document
from jobs.segments.language.model import Segment

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_IMPORT_LINES = 1_000_000
_CHUNK = 1 << 20


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _inside(path: str, folder: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def checked_path(path: str, folder: str, what: str, limit: int, where: str = "the definitions folder") -> str:
    """``path`` if it is a regular file inside ``folder`` of at most ``limit`` bytes (nothing is opened).

    A symlink is followed only when its target stays inside ``folder``.

    Raises:
        FileRefused: with the reason, e.g. ``a FIFO is not a regular file``.
    """
    if "\x00" in path:
        raise FileRefused(f"{what} name contains a NUL byte")
    if not _inside(path, folder):
        reason = "is a symlink that leads outside" if os.path.islink(path) else "is outside"
        raise FileRefused(f"{what} {reason} {where}")
    try:
        os.lstat(path)
    except FileNotFoundError:
        raise FileRefused(f"{what} does not exist") from None
    except OSError as exc:
        raise FileRefused(f"{what} cannot be read: {errno.errorcode.get(exc.errno, exc.__class__.__name__)}") from None
    try:
        info = os.stat(path)
    except OSError:
        raise FileRefused(f"{what} is a broken symlink") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise FileRefused(f"{what} is {kind}, not a regular file" if kind != "not a regular file" else f"{what} is {kind}")
    if info.st_size > limit:
        raise FileRefused(f"{what} is {info.st_size:,} bytes, over the limit of {_size(limit)}")
    return path


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit:,} bytes"


def open_regular(path: str, what: str, limit: int) -> int:
    """A read-only descriptor of ``path``, opened without blocking and checked again after opening
    (the file may have been swapped since ``checked_path``). The caller closes it.

    Raises:
        FileRefused: the opened file is not a regular file or is over ``limit`` bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(f"{what} cannot be read: {errno.errorcode.get(exc.errno, exc.__class__.__name__)}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        raise FileRefused(f"{what} changed while it was read: not a regular file of at most {_size(limit)}")
    os.set_blocking(fd, True)
    return fd


def read_limited(path: str, what: str, limit: int) -> bytes:
    """The bytes of a checked file, never more than ``limit`` (a file that grows is refused)."""
    fd = open_regular(path, what, limit)
    try:
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:
                raise FileRefused(f"{what} is over the limit of {_size(limit)}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_definition(abspath: str, relname: str, defs_dir: str) -> tuple[str | None, list[DefinitionError]]:
    """The text of a definition file, or why it is refused (checked before anything is read)."""
    try:
        checked_path(abspath, defs_dir, "the definition file", MAX_FILE_BYTES)
        raw = read_limited(abspath, "the definition file", MAX_FILE_BYTES)
    except FileRefused as refused:
        return None, [DefinitionError(relname, 0, 0, "", str(refused))]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [DefinitionError(relname, line, column, "", "the file is not UTF-8 text")]


def load_document(abspath: str, relname: str, defs_dir: str | None = None) -> tuple[Document | None, list[DefinitionError]]:
    """Reads one file. Returns the document (None if refused or unreadable) and the problems found.

    Args:
        abspath: the file.
        relname: its name in messages.
        defs_dir: the folder the file must stay inside (default: the file's own folder).
    """
    text, refused = read_definition(abspath, relname, defs_dir or os.path.dirname(os.path.abspath(abspath)))
    if text is None:
        return None, refused
    return parse_document(text, relname, abspath)


def build_segment(doc: Document) -> tuple[Segment, list[DefinitionError]]:
    """:func:`jobs.segments.language.build.build_segment` with import CSVs read from disk."""
    return build_with(doc, import_source)


def import_source(definition: str, csv: str) -> tuple[str, bytes]:
    """The checked path of the import file ``csv`` of a definition file and its digest.

    Raises:
        FileRefused: see :func:`import_path` and :func:`import_digest`.
    """
    abspath = import_path(definition, csv)
    return abspath, import_digest(abspath, f"import file {quote(csv)}")


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


def import_path(definition: str, csv: str) -> str:
    """The import file named ``csv`` in a definition file, checked (nothing is opened).

    Raises:
        FileRefused: the name holds a NUL byte, the file leaves the definition's folder, does not
            exist, is not a regular file (a FIFO, a device) or is over 64 MiB.
    """
    what = f"import file {quote(csv)}"
    if "\x00" in csv:
        raise FileRefused(f"{what} contains a NUL byte")
    folder = os.path.dirname(os.path.abspath(definition))
    abspath = os.path.normpath(os.path.join(folder, csv))
    return checked_path(abspath, folder, what, MAX_IMPORT_BYTES, where="the definition's folder")


def import_lines(abspath: str, what: str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes without the line end) of every physical line, streamed from the file.

    Raises:
        FileRefused: the file has more than 1,000,000 lines or grew past 64 MiB while read.
    """
    fd = open_regular(abspath, what, MAX_IMPORT_BYTES)
    with os.fdopen(fd, "rb", buffering=_CHUNK) as fh:
        read = 0
        for number, raw in enumerate(fh, start=1):
            read += len(raw)
            if number > MAX_IMPORT_LINES:
                raise FileRefused(f"{what} has more than {MAX_IMPORT_LINES:,} lines")
            if read > MAX_IMPORT_BYTES:
                raise FileRefused(f"{what} is over the limit of 64 MiB")
            yield number, raw.rstrip(b"\r\n") if raw.endswith(b"\n") else raw


def import_digest(abspath: str, what: str) -> bytes:
    """sha256 of the file's bytes, read in chunks; the line limit is checked on the way.

    Raises:
        FileRefused: as :func:`import_lines`.
    """
    digest = hashlib.sha256()
    fd = open_regular(abspath, what, MAX_IMPORT_BYTES)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        newlines, size, last = 0, 0, b"\n"
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
            if size > MAX_IMPORT_BYTES:
                raise FileRefused(f"{what} is over the limit of 64 MiB")
        lines = newlines + (last != b"\n")
        if lines > MAX_IMPORT_LINES:
            raise FileRefused(f"{what} has more than {MAX_IMPORT_LINES:,} lines")
    return digest.digest()
