"""An import CSV on disk: checked before it is read, hashed and read line by line within the limits."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from jobs.segments.errors import quote
from jobs.segments.limits import FileRefused, checked_path, open_regular

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_IMPORT_LINES = 1_000_000
_CHUNK = 1 << 20


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
