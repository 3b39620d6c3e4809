"""Landing files of one feed and date, local or on S3: listing them and reading their lines."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pyarrow import fs as pafs

from jobs.storage import filesystem
from jobs.tables import landing_path

log = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".jsonl.gz")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class LandingFile:
    """One landing file: its full URI (to open it) and its path relative to the root (to record it)."""

    uri: str
    source_file: str


def list_landing_files(root: str, feed: str, arrival: dt.date) -> list[LandingFile]:
    """The ``*.jsonl[.gz]`` files of ``<root>/landing/<feed>/dt=<arrival>``, sorted by name.

    Hidden files (``.``/``_`` prefixes, e.g. uploads in progress) and other suffixes are skipped
    (and counted in the log).

    Raises:
        FileNotFoundError: if the folder does not exist.
    """
    folder = landing_path(root, feed, arrival.isoformat())
    fs, path = filesystem(folder)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        raise FileNotFoundError(f"no landing folder for {feed} on {arrival}: {folder}")
    names = sorted(
        info.base_name
        for info in fs.get_file_info(pafs.FileSelector(path, recursive=False))
        if info.type == pafs.FileType.File
    )
    wanted = [n for n in names if n.endswith(SUFFIXES) and not n.startswith((".", "_"))]
    if len(wanted) < len(names):
        log.warning("%s %s: skipped %d file(s) that are not *.jsonl[.gz]", feed, arrival, len(names) - len(wanted))
    relative = f"landing/{feed}/dt={arrival.isoformat()}"
    return [LandingFile(f"{folder}/{name}", f"{relative}/{name}") for name in wanted]


def read_lines(uri: str) -> Iterator[tuple[int, bytes]]:
    """Yields ``(line number from 1, line without its line break)`` of a file; ``.gz`` is gunzipped.

    Lines end at ``\\n`` only (a ``\\r`` before it is dropped), so numbers match ``sed -n Np``.
    """
    fs, path = filesystem(uri)
    compression = "gzip" if uri.endswith(".gz") else None
    with fs.open_input_stream(path, compression=compression) as stream:
        reader = io.BufferedReader(stream, buffer_size=1 << 20)
        for number, line in enumerate(reader, start=1):
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            yield number, line.rstrip(b"\r\n")
