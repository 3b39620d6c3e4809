"""Landing files of one feed and date, local or on S3: listing them and reading their lines."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pyarrow import fs as pafs

from jobs.bronze.lines import CHUNK_BYTES, IO_ERROR, FileReadError, TooLongLine, gunzip, split_lines
from jobs.storage import filesystem
from jobs.tables import landing_path

log = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".jsonl.gz")
SUCCESS_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class LandingFile:
    """One landing file: its full URI (to open it) and its path relative to the root (to record it)."""

    uri: str
    source_file: str


@dataclass(frozen=True)
class SkippedFile:
    """An entry of a landing folder that is not read, and why."""

    source_file: str
    reason: str


@dataclass(frozen=True)
class LandingFolder:
    """The files of one feed and date to read, and the entries skipped (recorded by name)."""

    files: list[LandingFile]
    skipped: list[SkippedFile]


def landing_folder(root: str, feed: str, arrival: dt.date) -> LandingFolder:
    """The ``*.jsonl[.gz]`` regular files of ``<root>/landing/<feed>/dt=<arrival>``, sorted by name,
    and every other entry but the ``_SUCCESS`` marker as skipped, with its reason.

    Hidden names (``.``/``_`` prefixes, e.g. uploads in progress), other suffixes, folders and
    entries that are not regular files (FIFOs, devices, links to them) are skipped, never opened.

    Raises:
        FileNotFoundError: if the folder does not exist.
    """
    folder = landing_path(root, feed, arrival.isoformat())
    fs, path = filesystem(folder)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        raise FileNotFoundError(f"no landing folder for {feed} on {arrival}: {folder}")
    relative = f"landing/{feed}/dt={arrival.isoformat()}"
    files, skipped = [], []
    for info in sorted(fs.get_file_info(pafs.FileSelector(path, recursive=False)), key=lambda i: i.base_name):
        name = info.base_name
        why = _skip_reason(name, info.type)
        if why is None:
            files.append(LandingFile(f"{folder}/{name}", f"{relative}/{name}"))
        elif name != SUCCESS_MARKER:
            skipped.append(SkippedFile(f"{relative}/{name}", why))
    if skipped:
        log.warning("%s %s: skipped %d entr(ies) that are not *.jsonl[.gz] files", feed, arrival, len(skipped))
    return LandingFolder(files, skipped)


def _skip_reason(name: str, kind: pafs.FileType) -> str | None:
    if kind == pafs.FileType.Directory:
        return "a folder"
    if kind != pafs.FileType.File:
        return "not a regular file"
    if name.startswith((".", "_")):
        return "hidden name"
    if not name.endswith(SUFFIXES):
        return "not *.jsonl[.gz]"
    return None


def list_landing_files(root: str, feed: str, arrival: dt.date) -> list[LandingFile]:
    """The files ``landing_folder`` reads."""
    return landing_folder(root, feed, arrival).files


def read_lines(uri: str) -> Iterator[tuple[int, bytes | TooLongLine]]:
    """Yields ``(line number from 1, line without its line break)`` of a file; ``.gz`` is gunzipped.

    See ``jobs.bronze.lines.split_lines`` for line ends, the byte-order mark and too-long lines.

    Raises:
        FileReadError: after the readable lines, if the file cannot be read to its end
            (truncated or undecodable gzip, an I/O error).
    """
    chunks = _chunks(uri)
    yield from split_lines(gunzip(chunks) if uri.endswith(".gz") else chunks)


def _chunks(uri: str) -> Iterator[bytes]:
    """The file's raw bytes in pieces; storage errors become ``FileReadError(io_error)``."""
    try:
        fs, path = filesystem(uri)
        with fs.open_input_stream(path, compression=None) as stream:  # gunzip is ours: bounded, and it names failures
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk
    except OSError as exc:
        raise FileReadError(IO_ERROR, f"{type(exc).__name__}: {exc}") from None
