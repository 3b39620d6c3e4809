"""Builds the segment report of one ds: read the gold tables, compute, draw, write."""

from __future__ import annotations

import datetime as dt

from jobs.report import data, read

DEFAULT_DAYS = 30


def default_out(root: str, ds: dt.date) -> str:
    """``<root>/reports/segments/<ds>``: next to the quality reports (``<root>/reports/quality/<ds>``)."""
    return f"{root.rstrip('/')}/reports/segments/{ds.isoformat()}"


def report_data(root: str, ds: dt.date, days: int = DEFAULT_DAYS) -> data.ReportData:
    """The page's numbers for ``ds``, with sizes over the ``days`` days ending at ds.

    Raises:
        FileNotFoundError: gold.segment_runs does not exist under ``root``.
        LookupError: no segment run is recorded for ``ds``.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    first = ds - dt.timedelta(days=days - 1)
    runs = read.segment_runs(root, first, ds)
    if runs.num_rows:  # the range starts at the first recorded run: no empty days before the data
        first = max(first, min(runs.column("ds").to_pylist()))
    today = data.segment_runs(runs, read.changes(root, ds), ds)
    if not today:
        raise LookupError(f"no segment run recorded for {ds.isoformat()} under {root}")
    apps = tuple(sorted({r.app_id for r in today}))
    # Only published segments have members on ds (a blocked ds publishes none).
    segments = {app: ids for app in apps
                if (ids := [r.segment_id for r in today if r.app_id == app and r.status == "published"])}
    checks = read.check_results(root, ds)
    audits = data.latest_audits(checks, read.publications(root, ds))
    return data.ReportData(
        ds=ds, first=first, apps=apps,
        sizes=data.size_series(runs, first, ds),
        overlaps=data.overlaps(read.membership(root, ds), segments),
        runs=today, checks=data.check_rows(checks, audits), audits=audits,
    )


def build_report(root: str, ds: dt.date, *, days: int = DEFAULT_DAYS, out: str | None = None) -> str:
    """Writes the report of ``ds`` (``index.html`` and ``plotly.min.js``) into ``out``.

    Args:
        root: the lakehouse root (folder or ``s3://``).
        days: how many days of size history the charts show, ending at ds.
        out: the folder to write [default: ``default_out(root, ds)``]; replaced files only.

    Returns:
        the path (or URI) of ``index.html``.
    """
    from jobs.report.render import write_page

    report = report_data(root, ds, days)
    return write_page(report, out or default_out(root, ds), root)
