"""``lakehouse export``: segments of one published ds with chosen labels, as a zip of CSV files.

The zip holds one ``<segment_id>.csv`` per segment (``uid`` then the chosen label columns, in
the order asked, sorted by uid) and a ``manifest.json``. It is written to a temporary file next
to the target and renamed over it, so a reader never sees half a zip.

Deleted users never appear: the membership of a published ds already excludes them (a quality
gate checks it), and the export keeps only members that have a row in gold.user_labels of that
ds (the label table holds every non-deleted user), so a member without one is left out and
counted in the manifest (``members_without_label_row``). Imported segments are refused
(PRODUCT.md: they cannot be exported).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.safe_text import spreadsheet_cell
from jobs.segments.language.errors import did_you_mean
from jobs.segments.readers.published import NotPublishedError, PublishedHistory, SegmentLookupError


class ExportRefused(RuntimeError):
    """The export is not allowed (an imported segment)."""


class OutputPathError(ValueError):
    """``--out`` cannot be written as a zip (it is a folder): exit 2, before anything is read."""


@dataclass(frozen=True)
class SegmentExport:
    """One segment's CSV: its run on the ds and the rows (uid + labels), sorted by uid."""

    segment_id: str
    definition_hash: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    members_without_label_row: int

    @property
    def file_name(self) -> str:
        return f"{self.segment_id}.csv"


# --- pure ----------------------------------------------------------------------------------------

def check_labels(labels: Sequence[str], catalog: Sequence[str]) -> list[str]:
    """The labels to export, in the order given, duplicates dropped.

    Raises:
        SegmentLookupError: no label, or labels not in the catalog, one line each, e.g.
            ``unknown label 'acept_marketing'; did you mean: accept_marketing?``
    """
    wanted = list(dict.fromkeys(label.strip() for label in labels if label.strip()))
    if not wanted:
        raise SegmentLookupError("no label to export: --labels takes label names separated by commas")
    problems = []
    for label in wanted:
        if label not in catalog:
            suggestion = did_you_mean(label, catalog)
            problems.append(f"unknown label {label!r}" + (f"; did you mean: {suggestion}?" if suggestion else ""))
    if problems:
        raise SegmentLookupError("\n".join(problems))
    return wanted


def refuse_imported(segment_id: str, kind: str) -> None:
    """Raises ExportRefused for an imported segment: ``cannot export vip_import: imported segments cannot be exported``."""
    if kind == "imported":
        raise ExportRefused(f"cannot export {segment_id}: imported segments cannot be exported")


def latest_common_ds(published: dict[str, Sequence[dt.date]]) -> dt.date:
    """The latest ds published for every segment of ``published`` (``<app>/<segment>`` -> its published ds).

    Raises:
        NotPublishedError: no ds is published for all of them, e.g. ``no ds is published for every
            one of smartlife/a, smartlife/b (latest published: smartlife/a 2026-06-30, smartlife/b none)``.
    """
    common = set.intersection(*(set(days) for days in published.values()))
    if common:
        return max(common)
    latest = ", ".join(f"{name} {max(days).isoformat() if days else 'none'}" for name, days in published.items())
    raise NotPublishedError(f"no ds is published for every one of {', '.join(published)} (latest published: {latest})")


def default_zip_name(segment_ids: Sequence[str], ds: dt.date) -> str:
    """``<segment>-<ds>.zip`` for one segment, ``segments-<ds>.zip`` for several."""
    return f"{segment_ids[0]}-{ds}.zip" if len(set(segment_ids)) == 1 else f"segments-{ds}.zip"


def export_rows(member_uids: Sequence[str | None], labels: dict[str, dict],
                columns: Sequence[str]) -> tuple[list[tuple], int]:
    """(uid, label values...) of the members that have a label row, sorted by uid, and how many did not.

    Args:
        member_uids: the segment's member uids on the ds.
        labels: uid -> that user's label row of the ds.
        columns: the labels to export, in order.
    """
    uids = sorted({u for u in member_uids if u is not None})
    kept = [u for u in uids if u in labels]
    return [(u, *(labels[u][c] for c in columns)) for u in kept], len(uids) - len(kept)


def csv_value(value: object) -> str:
    """A cell of the CSV: empty for null, ``true``/``false`` for booleans, numbers and dates as
    text, and text guarded against spreadsheet formulas: a text cell starting with ``=``, ``+``,
    ``-``, ``@``, tab or CR gets a leading ``'`` (``jobs.safe_text.spreadsheet_cell``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return spreadsheet_cell(value)
    return str(value)


def check_out(out: str | None) -> None:
    """Refuses an ``--out`` that is an existing folder, e.g. ``--out exports is a folder: give the
    zip file to write, e.g. --out exports/audience.zip``.

    Raises:
        OutputPathError: ``out`` is a folder.
    """
    if out is not None and os.path.isdir(out):
        example = os.path.join(out.rstrip("/\\") or out, "audience.zip")
        raise OutputPathError(f"--out {out} is a folder: give the zip file to write, e.g. --out {example}")


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """RFC 4180 CSV (``\\r\\n`` line ends) with a header line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([csv_value(v) for v in row] for row in rows)
    return out.getvalue()


def manifest(app_id: str, ds: dt.date, labels: Sequence[str], exports: Sequence[SegmentExport],
             generated_at: dt.datetime, version: str) -> dict:
    """The content of ``manifest.json``."""
    return {
        "app_id": app_id,
        "ds": ds.isoformat(),
        "labels": list(labels),
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "tool": "lakehouse export",
        "tool_version": version,
        "segments": [
            {"segment_id": e.segment_id, "definition_hash": e.definition_hash, "file": e.file_name,
             "columns": list(e.columns), "row_count": len(e.rows),
             "members_without_label_row": e.members_without_label_row}
            for e in exports
        ],
    }


# --- I/O -----------------------------------------------------------------------------------------

def write_zip(path: str, files: dict[str, str]) -> None:
    """Writes ``name -> text`` into a zip at ``path`` atomically (a temporary file renamed over it)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".export-", suffix=".zip.tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, text in files.items():
                    archive.writestr(name, text.encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())  # on disk before it takes the final name: a crash leaves no short zip
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes the file private; the zip is an ordinary file
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def export_segments(root: str, app_id: str, segment_ids: Sequence[str], ds: dt.date | None, labels: Sequence[str],
                    out: str | None = None) -> tuple[str, dict]:
    """Writes the zip of the segments on the published ``ds`` with ``labels``; returns its path and the manifest.

    Args:
        ds: the published ds [default: the latest ds published for every one of the segments].
        out: the zip [default: ``default_zip_name``].

    Raises:
        SegmentLookupError: unknown segment or label.
        ExportRefused: an imported segment.
        OutputPathError: ``out`` is a folder.
        NotPublishedError: ``ds`` is not published for one of the segments (or, without a ds, no
            ds is published for all of them).
    """
    from jobs import __version__
    from jobs.catalogs import label_catalog
    from jobs.segments.readers.members import read_members
    from jobs.segments.readers.published import PublishedHistory, choose_ds, retired_on

    check_out(out)
    columns = check_labels(labels, list(label_catalog()))
    catalog = PublishedHistory.read(root, app_id)
    histories = {sid: catalog.segment(app_id, sid) for sid in dict.fromkeys(segment_ids)}
    for sid, history in histories.items():
        refuse_imported(sid, history[-1]["kind"])
    published = {f"{app_id}/{sid}": catalog.published(app_id, sid) for sid in histories}
    for (name, days), history in zip(published.items(), histories.values()):
        if retired_on(history) is not None:
            choose_ds(name, history, days, ds)  # raises: a retired segment is not exported
    if ds is None:
        ds = latest_common_ds(published)
    runs = []
    for (name, days), history in zip(published.items(), histories.values()):
        chosen = choose_ds(name, history, days, ds)
        runs.append(next(r for r in history if r["ds"] == chosen))
    for run in runs:  # the kind of that ds's run too: an id may have changed kind over time
        refuse_imported(run["segment_id"], run["kind"])
    by_uid = read_labels(catalog, app_id, ds, columns)
    exports = []
    for run in runs:
        uids = [m["uid"] for m in read_members(catalog, app_id, run["segment_id"], ds)]
        rows, dropped = export_rows(uids, by_uid, columns)
        exports.append(SegmentExport(run["segment_id"], run["definition_hash"], ("uid", *columns), tuple(rows), dropped))
    content = manifest(app_id, ds, columns, exports, dt.datetime.now(dt.timezone.utc), __version__)
    files = {e.file_name: csv_text(e.columns, e.rows) for e in exports}
    target = out or default_zip_name(list(histories), ds)
    write_zip(target, {**files, "manifest.json": json.dumps(content, indent=2) + "\n"})
    return target, content


def read_labels(history: PublishedHistory, app_id: str, ds: dt.date, columns: Sequence[str]) -> dict[str, dict]:
    """uid -> label row (the chosen columns) of gold.user_labels for the app on ds, as published
    with the segments of ds (the version their visibility commit recorded)."""
    from jobs.tables import GOLD_USER_LABELS

    filters = [("ds", "=", ds), ("app_id", "=", app_id)]
    rows = history.read_visible(GOLD_USER_LABELS, filters=filters, columns=["uid", *columns])
    return {r["uid"]: r for r in rows}
