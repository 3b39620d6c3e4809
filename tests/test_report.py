"""The segment report: its numbers (pure transforms), its escaping, the page in headless
Chromium (charts drawn, no console error, a screenshot) and the `lakehouse report` command."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from browser import Browser, chromium_path
from jobs.report import build_report, default_out
from jobs.report.build import report_data
from jobs.report.data import (
    Audit, CheckRow, Overlap, ReportData, SegmentRun, SizeSeries, latest_audits, overlap_matrix, overlaps, size_series,
)
from jobs.report.figures import day_range, sizes_figure, trace_style
from jobs.report.render import PLOTLY_JS, relative, render_page, report_link, shared_script_folder

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
DS = dt.date(2026, 6, 30)

needs_chromium = pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it in .ci/run and never skips)",
)


# --- numbers -------------------------------------------------------------------------------------

def test_overlap_matrix_matches_pairwise_set_intersections():
    rng = np.random.default_rng(3)
    members = {s: set(rng.choice(50, size=rng.integers(0, 30), replace=False)) for s in range(6)}
    pairs = [(s, u) for s, users in members.items() for u in users] + [(0, 1), (0, 1)]  # a repeated pair counts once
    members[0].add(1)
    segment_index = np.array([s for s, _ in pairs])
    user_index = np.array([u for _, u in pairs])
    common = overlap_matrix(segment_index, user_index, 6, 50, chunk=7)  # several blocks, one partial
    for i, j in itertools.product(range(6), repeat=2):
        assert common[i, j] == len(members[i] & members[j])


def test_overlaps_per_app_leave_external_emails_out_and_keep_empty_segments():
    membership = pa.table({
        "app_id": ["a", "a", "a", "a", "b"],
        "segment_id": ["x", "x", "y", "y", "x"],
        "uid": ["u1", "u2", "u2", None, "u1"],
    })
    result = overlaps(membership, {"a": ["x", "y", "empty"]})
    assert result == (Overlap("a", ("x", "y", "empty"), ((2, 1, 0), (1, 1, 0), (0, 0, 0))),)
    assert result[0].share(0, 1) == 0.5 and result[0].share(2, 0) is None


def test_size_series_shows_only_published_sizes_with_gaps():
    d = [DS - dt.timedelta(days=i) for i in (2, 1, 0)]
    runs = pa.table({
        "app_id": ["a"] * 3, "segment_id": ["x"] * 3, "name": ["old", "X", None],
        "ds": d, "status": ["published", "blocked", "published"], "member_count": [5, 7, 9],
    })
    (series,) = size_series(runs, d[0], DS)
    assert series.days == tuple(d) and series.sizes == (5, None, 9) and series.name == "X"


def test_latest_audit_per_table_with_its_publication():
    at = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)
    checks = pa.table({"table_name": ["t", "t", "u"], "run_id": ["r1", "r2", "r3"],
                       "checked_at": [at, at + dt.timedelta(hours=1), at]})
    publications = pa.table({"run_id": ["r1", "r2"], "table_name": ["t", "t"], "status": ["published", "blocked"],
                             "report_path": ["/q/r1.html", "/q/r2.html"]})
    assert latest_audits(checks, publications) == (
        Audit("t", "r2", "blocked", "/q/r2.html"), Audit("u", "r3", "audited", None))


def test_every_value_from_definitions_is_escaped():
    evil = "<script>alert(1)</script>"
    report = ReportData(
        ds=DS, first=DS, apps=("app",),
        sizes=(), overlaps=(Overlap("app", (evil,), ((1,),)),),
        runs=(SegmentRun("app", evil, evil, "custom", "failed", None, 0, 0, evil),),
        checks=(CheckRow("gold.x", "s", "s#1", "c", None, f"segment_id={evil}", "critical", False, evil, "b"),),
        audits=(Audit("gold.x", "r", "blocked", None),),
    )
    page = render_page(report, "/tmp/out")
    assert evil not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "alert(1)</script>" not in page  # in the charts' JSON it is \u003cscript\u003e...


def test_a_blocked_ds_shows_its_runs_and_says_nothing_was_published():
    blocked = SegmentRun("app", "churn", "Churn", "predefined", "blocked", 80, 0, 0, "size bound failed")
    report = ReportData(ds=DS, first=DS - dt.timedelta(days=6), apps=("app",), sizes=(), overlaps=(),
                        runs=(blocked,), checks=(), audits=())
    page = render_page(report, "/tmp/out")
    assert f"No membership was published for {DS}" in page and f"No segment was published for {DS}" in page
    assert '<tr class="blocked">' in page and "size bound failed" in page
    assert f"No check was recorded for {DS}" in page


# --- the page in a browser ---------------------------------------------------------------------

CHARTS = "document.querySelectorAll('.js-plotly-plot')"
PAGE_CHECKS = {
    "charts": f"{CHARTS}.length",
    "drawn": f"Array.from({CHARTS}).filter(g => g.querySelector('svg.main-svg')).length",
    "kinds": f"Array.from({CHARTS}).map(g => g.closest('[data-chart]').dataset.chart + ':' + g.data[0].type)",
    "heatmap_cells": "document.querySelectorAll('[data-chart=overlap] .heatmaplayer image').length",
    "check_rows": "document.querySelectorAll('#checks-table tbody tr').length",
    "run_rows": "document.querySelectorAll('#runs-table tbody tr').length",
    "quality_links": "Array.from(document.querySelectorAll('#audits-table a')).map(a => a.href)",
}


@needs_chromium
def test_report_page_draws_its_charts_without_console_errors(sample_lake, tmp_path):
    page = build_report(sample_lake, DS, days=7, out=str(tmp_path / "report"))
    numbers = report_data(sample_lake, DS, days=7)
    screenshot = ARTIFACTS / "report.png"
    with Browser() as browser:
        run = browser.open(Path(page).as_uri(), ready=f"{CHARTS}.length >= 3 && "
                           f"Array.from({CHARTS}).every(g => g.querySelector('svg.main-svg'))",
                           evaluate=PAGE_CHECKS, screenshot=screenshot, timeout=120)
    print(f"screenshot: {screenshot}")
    assert run.errors == []
    assert run.ready
    values = run.values
    assert values["charts"] == values["drawn"] == 3  # one app: sizes, overlap, entered/exited
    assert values["kinds"] == ["sizes:scatter", "overlap:heatmap", "changes:bar"]
    assert values["heatmap_cells"] >= 1
    assert values["check_rows"] == len(numbers.checks) > 0
    assert values["run_rows"] == len(numbers.runs) > 0
    assert values["quality_links"] and all(
        link.startswith("file://") and "/reports/quality/2026-06-30/" in link for link in values["quality_links"])
    assert screenshot.stat().st_size > 10_000


@needs_chromium
def test_the_harness_catches_console_errors_exceptions_and_missing_files(tmp_path):
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    good.write_text("<!doctype html><p id=x>fine</p><script>console.log('not an error')</script>")
    bad.write_text("<!doctype html><script>console.error('deliberate')</script><script>notDefined()</script>"
                   "<script src='missing.js'></script>")
    with Browser() as browser:
        assert browser.open(good.as_uri()).errors == []
        errors = browser.open(bad.as_uri()).errors
    assert "console.error: deliberate" in errors
    assert any("ReferenceError: notDefined is not defined" in e for e in errors)
    assert any("ERR_FILE_NOT_FOUND" in e and "missing.js" in e for e in errors)


# --- the command ---------------------------------------------------------------------------------

def lakehouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=REPO)


def test_report_command_writes_into_the_lakehouse_by_default(sample_lake, tmp_path):
    root = tmp_path / "lake"
    shutil.copytree(Path(sample_lake) / "gold", root / "gold")  # the report reads gold only
    out = lakehouse("report", "2026-06-30", "--days", "3", "--root", str(root))
    assert out.returncode == 0, out.stderr
    page = Path(default_out(str(root), DS)) / "index.html"
    assert out.stdout.strip() == f"wrote {page}"
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]  # no temporary file left
    assert (root / "reports" / PLOTLY_JS).stat().st_size > 1_000_000
    html = page.read_text()
    assert f'<script src="../../{PLOTLY_JS}"></script>' in html and 'src="http' not in html  # offline: no CDN
    # another date's page shares the same plotly.js
    out = lakehouse("report", "2026-06-29", "--days", "3", "--root", str(root))
    assert out.returncode == 0, out.stderr
    assert f'<script src="../../{PLOTLY_JS}"></script>' in (root / "reports/segments/2026-06-29/index.html").read_text()
    assert sorted(p.name for p in (root / "reports").iterdir()) == [PLOTLY_JS, "segments"]


@needs_chromium
def test_a_copied_lakehouse_renders_with_its_own_relative_links(sample_lake, tmp_path):
    """Reports built in one lakehouse, which is then copied and removed: the copy's page loads
    its script and links to the copy's own quality reports."""
    original, copy = tmp_path / "original", tmp_path / "copy"
    shutil.copytree(sample_lake, original)
    build_report(str(original), DS, days=7)
    shutil.copytree(original, copy)
    shutil.rmtree(original)
    page = Path(default_out(str(copy), DS)) / "index.html"
    assert str(original) not in page.read_text()
    with Browser() as browser:
        run = browser.open(page.as_uri(), ready=f"{CHARTS}.length >= 3 && "
                           f"Array.from({CHARTS}).every(g => g.querySelector('svg.main-svg'))", evaluate=PAGE_CHECKS,
                           timeout=120)  # a 5 MB script on 2 busy cores
    assert run.errors == [] and run.ready
    assert run.values["drawn"] == 3
    links = run.values["quality_links"]
    assert links and all(link.startswith((copy / "reports/quality/2026-06-30").as_uri() + "/") for link in links), links
    assert all(Path(urllib.parse.unquote(link.removeprefix("file://"))).is_file() for link in links)


def test_links_are_relative_locally_and_in_one_bucket():
    assert relative("/l/reports/plotly.js", "/l/reports/segments/2026-06-30") == "../../plotly.js"
    assert relative("s3://b/l/reports/quality/d/r.html", "s3://b/l/reports/segments/d") == "../../quality/d/r.html"
    assert relative("s3://other/x.html", "s3://b/l/reports/segments/d") is None
    assert relative("/l/x.html", "s3://b/l") is None
    audit = Audit("gold.user_labels", "run-1", "passed", "/old/place/reports/quality/2026-06-30/run-1.html")
    assert report_link(audit, "s3://b/lake/reports/segments/2026-06-30", "s3://b/lake") == \
        "../../quality/2026-06-30/run-1.html"
    assert shared_script_folder("s3://b/lake/reports/segments/2026-06-30", "s3://b/lake") == "s3://b/lake/reports"
    assert shared_script_folder("/elsewhere/out", "/l") == "/elsewhere/out"


def test_palette_keeps_many_segments_apart():
    styles = [trace_style(i) for i in range(96)]
    assert len({(s["color"], s["dash"]) for s in styles}) == 96
    assert len({s["color"] for s in styles[:24]}) == 24
    series = [SizeSeries("a", f"s{i}", f"s{i}", (DS,), (i,)) for i in range(30)]
    fig = sizes_figure("a", series)
    assert len({(t.line.color, t.line.dash) for t in fig.data}) == 30


def test_the_default_range_starts_at_the_first_recorded_run(sample_lake):
    numbers = report_data(sample_lake, DS, days=30)
    assert numbers.first == dt.date(2026, 6, 27)  # the sample's first run, not 30 days before ds
    assert numbers.sizes[0].days[0] == dt.date(2026, 6, 27)
    assert day_range(numbers.sizes[0].days) == ("2026-06-26 12:00:00", "2026-06-30 12:00:00")


def test_a_ds_without_segment_runs_is_an_error(sample_lake):
    with pytest.raises(LookupError, match=f"no segment run recorded for 2026-07-30 under {sample_lake}"):
        report_data(sample_lake, dt.date(2026, 7, 30))
