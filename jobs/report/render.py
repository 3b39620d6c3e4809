"""The report page: figures embedded in a Jinja template (autoescaped). Every link is relative,
so a copied or served lakehouse keeps working from ``file://`` or HTTP without a network: the
pages of all report dates under ``<root>/reports/`` share one plotly.js there."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from collections.abc import Iterable
from urllib.parse import urlparse

import jinja2
import plotly.graph_objects as go
from pyarrow.fs import FileType
from plotly import __version__ as PLOTLY_VERSION
from plotly.offline import get_plotlyjs

from jobs.report import figures
from jobs.report.data import Audit, ReportData
from jobs.storage import filesystem, is_s3

PLOTLY_JS = f"plotly-{PLOTLY_VERSION}.min.js"  # versioned: an upgrade never changes an older page's script
PAGE = "index.html"
QUALITY_REPORTS = "/reports/quality/"


def chart_html(fig: go.Figure, div_id: str) -> str:
    """A figure as a ``<div>`` and its script (plotly escapes ``<``, ``>`` and ``/`` in its JSON)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def page_charts(report: ReportData) -> dict[str, list[dict]]:
    """Per section (sizes, overlaps, changes), the charts of each app as {app_id, html}."""
    charts: dict[str, list[dict]] = {"sizes": [], "overlaps": [], "changes": []}
    for i, app in enumerate(report.apps):
        series = [s for s in report.sizes if s.app_id == app]
        runs = [r for r in report.runs if r.app_id == app and r.status == "published"]
        charts["sizes"].append({"app_id": app, "html": chart_html(figures.sizes_figure(app, series), f"sizes-{i}")})
        if runs:
            fig = figures.changes_figure(app, runs)
            charts["changes"].append({"app_id": app, "html": chart_html(fig, f"changes-{i}")})
    for i, overlap in enumerate(report.overlaps):
        fig = figures.overlap_figure(overlap)
        charts["overlaps"].append({"app_id": overlap.app_id, "html": chart_html(fig, f"overlap-{i}")})
    return charts


def relative(target: str, folder: str) -> str | None:
    """``target`` as a link from a page in ``folder`` (both local, or both in one S3 bucket);
    ``None`` when no relative link exists (local vs S3, two buckets)."""
    if is_s3(target) != is_s3(folder):
        return None
    if is_s3(target):
        a, b = urlparse(target), urlparse(folder)
        if a.netloc != b.netloc:
            return None
        return posixpath.relpath(a.path or "/", b.path or "/")
    return os.path.relpath(os.path.abspath(target), os.path.abspath(folder)).replace(os.sep, "/")


def report_link(audit: Audit, page_folder: str, root: str | None = None) -> str | None:
    """The audit's quality report as a relative link from the page.

    The stored path names the lakehouse where the audit ran; its part from ``reports/quality/``
    on is re-anchored at ``root``, so a copied lakehouse links to its own copy of the report.
    """
    path = audit.report_path
    if not path:
        return None
    if root and QUALITY_REPORTS in path:
        path = root.rstrip("/") + QUALITY_REPORTS + path.split(QUALITY_REPORTS, 1)[1]
    return relative(path, page_folder) or path


def shared_script_folder(out: str, root: str | None) -> str:
    """Where plotly.js goes: ``<root>/reports`` for a page inside it (one copy for every report
    date), else beside the page."""
    if root:
        reports = f"{root.rstrip('/')}/reports"
        inside = relative(out, reports)
        if inside is not None and inside != ".." and not inside.startswith("../"):
            return reports
    return out


def render_page(report: ReportData, page_folder: str, generated_at: dt.datetime | None = None,
                root: str | None = None, script: str = PLOTLY_JS) -> str:
    """The HTML of the page (every value escaped by the template; charts are plotly's own markup).

    Args:
        root: the lakehouse root (quality report links are made relative inside it).
        script: the relative link to plotly.js.
    """
    env = jinja2.Environment(loader=jinja2.PackageLoader("jobs.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    links = {a.table: report_link(a, page_folder, root) for a in report.audits}
    return env.get_template("report.html.j2").render(
        report=report, charts=page_charts(report), links=links, plotly_js=script,
        generated_at=(generated_at or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        failed=sum(c.outcome == "failed" for c in report.checks),
        warned=sum(c.outcome == "warning" for c in report.checks),
    )


def write_page(report: ReportData, out: str, root: str | None = None) -> str:
    """Writes ``index.html`` into ``out`` and plotly.js where ``shared_script_folder`` says (once:
    an existing copy of the same version is kept); returns the page's path (or URI).

    Each file is written under a temporary name and renamed over the old one, so a browser
    refreshing the report during a rebuild sees the old page or the new one, never half of one.
    """
    scripts = shared_script_folder(out, root)
    html = render_page(report, out, root=root, script=posixpath.join(relative(scripts, out) or ".", PLOTLY_JS))
    fs, folder = filesystem(out)
    fs.create_dir(folder, recursive=True)
    script_fs, script_folder = filesystem(scripts)
    if script_fs.get_file_info(f"{script_folder}/{PLOTLY_JS}").type != FileType.File:
        _write(script_fs, f"{script_folder}/{PLOTLY_JS}", [get_plotlyjs()])
    _write(fs, f"{folder}/{PAGE}", [html])
    return f"{out.rstrip('/')}/{PAGE}" if is_s3(out) else os.path.join(os.path.abspath(out), PAGE)


def _write(fs, path: str, parts: Iterable[str]) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        with fs.open_output_stream(temp) as stream:
            for part in parts:
                stream.write(part.encode("utf-8"))
        fs.move(temp, path)
    except BaseException:
        if fs.get_file_info(temp).type != FileType.NotFound:
            fs.delete_file(temp)
        raise
