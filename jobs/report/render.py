"""The report page: figures embedded in a Jinja template (autoescaped), written with plotly.js
beside it so the page works from ``file://`` without a network (local folder or S3)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

import jinja2
import plotly.graph_objects as go
from pyarrow.fs import FileType
from plotly.offline import get_plotlyjs

from jobs.report import figures
from jobs.report.data import Audit, ReportData
from jobs.storage import filesystem, is_s3

PLOTLY_JS = "plotly.min.js"
PAGE = "index.html"


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


def report_link(audit: Audit, page_folder: str) -> str | None:
    """The audit's quality report as a link from the page: relative when both are local files."""
    path = audit.report_path
    if not path:
        return None
    if is_s3(path) or is_s3(page_folder):
        return path
    return os.path.relpath(path, os.path.abspath(page_folder))


def render_page(report: ReportData, page_folder: str, generated_at: dt.datetime | None = None) -> str:
    """The HTML of the page (every value escaped by the template; charts are plotly's own markup)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("jobs.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    links = {a.table: report_link(a, page_folder) for a in report.audits}
    return env.get_template("report.html.j2").render(
        report=report, charts=page_charts(report), links=links, plotly_js=PLOTLY_JS,
        generated_at=(generated_at or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        failed=sum(c.outcome == "failed" for c in report.checks),
        warned=sum(c.outcome == "warning" for c in report.checks),
    )


def write_page(report: ReportData, out: str) -> str:
    """Writes ``index.html`` and ``plotly.min.js`` into ``out``; returns the page's path (or URI).

    Each file is written under a temporary name and renamed over the old one, so a browser
    refreshing the report during a rebuild sees the old page or the new one, never half of one.
    """
    html = render_page(report, out)
    fs, folder = filesystem(out)
    fs.create_dir(folder, recursive=True)
    _write(fs, f"{folder}/{PLOTLY_JS}", [get_plotlyjs()])
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
