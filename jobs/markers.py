"""Landing completeness: the upstream's empty ``_SUCCESS`` file in each feed's ``dt=D`` folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from pyarrow import fs as pafs

from jobs.storage import filesystem, is_s3
from jobs.tables import landing_path

MARKER = "_SUCCESS"
FEEDS = ("events", "users")


def marker_path(root: str, feed: str, day: dt.date | str) -> str:
    """``<root>/landing/<feed>/dt=<day>/_SUCCESS`` (local path or ``s3://`` URI)."""
    text = day if isinstance(day, str) else day.isoformat()
    return f"{landing_path(root, feed, text)}/{MARKER}"


def missing_markers(root: str, day: dt.date | str, feeds: Sequence[str] = FEEDS) -> list[str]:
    """The feeds (in the given order) whose ``dt=day`` folder has no ``_SUCCESS`` marker yet."""
    missing = []
    for feed in feeds:
        fs, path = filesystem(marker_path(root, feed, day))
        if fs.get_file_info(path).type != pafs.FileType.File:
            missing.append(feed)
    return missing


def write_markers(root: str, days: Iterable[dt.date | str], feeds: Sequence[str] = FEEDS) -> None:
    """Writes an empty ``_SUCCESS`` into each feed's folder of each day (what the upstream does
    once a day's files are complete; the generator calls it after writing every file)."""
    for day in days:
        for feed in feeds:
            fs, path = filesystem(marker_path(root, feed, day))
            if not is_s3(root):
                fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
            with fs.open_output_stream(path, compression=None):
                pass


def missing_message(day: dt.date | str, missing: Sequence[str], waited_seconds: float) -> str:
    """The error of a wait that timed out, naming every feed whose marker is missing."""
    text = day if isinstance(day, str) else day.isoformat()
    feeds = ", ".join(f"{feed} (landing/{feed}/dt={text}/{MARKER})" for feed in missing)
    return (f"landing of {text} is not complete after {waited_seconds:.0f} s: no {MARKER} marker for "
            f"{feeds}; nothing of {text} was ingested")
