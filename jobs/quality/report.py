"""A small static HTML report of one run's check results, written next to the lakehouse at
``<root>/reports/quality/<ds>/<run_id>.html`` (local folder or S3)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from jobs.quality.results import CheckResult
from jobs.storage import filesystem

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.fail{background:#fde2e2}.warn{background:#fff4d6}.pass{color:#555}
.status{font-weight:bold;padding:2px 8px;border-radius:3px}.blocked{background:#c62828;color:#fff}
.published{background:#2e7d32;color:#fff}.audited{background:#546e7a;color:#fff}
"""


def report_path(root: str, ds: dt.date, run_id: str) -> str:
    return f"{root.rstrip('/')}/reports/quality/{ds.isoformat()}/{run_id}.html"


def render_report(ds: dt.date, run_id: str, status: str, results: Sequence[CheckResult]) -> str:
    """The report page: a summary, then one table of checks per table (failures first)."""
    esc = html.escape
    failed = sum(r.blocking for r in results)
    warned = sum(r.warned for r in results)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Quality checks {esc(ds.isoformat())} {esc(run_id)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Quality checks for ds {esc(ds.isoformat())}</h1>",
        f"<p>Run <code>{esc(run_id)}</code>: <span class='status {esc(status)}'>{esc(status)}</span> — "
        f"{len(results)} checks, {failed} failed (blocking), {warned} failed as warnings.</p>",
    ]
    tables: dict[str, list[CheckResult]] = {}
    for r in results:
        tables.setdefault(r.table, []).append(r)
    for table, rows in tables.items():
        rows = sorted(rows, key=lambda r: (not r.blocking, not r.warned))  # stable: file order within a class
        parts.append(f"<h2>{esc(table)}</h2><table><tr><th>result</th><th>severity</th><th>suite</th>"
                     "<th>dataset</th><th>group</th><th>column</th><th>check</th><th>observed</th><th>bound</th></tr>")
        for r in rows:
            css, label = ("fail", "FAILED") if r.blocking else ("warn", "WARNING") if r.warned else ("pass", "passed")
            group = " ".join(f"{k}={v}" for k, v in r.scope)
            cells = [label, r.severity, r.check_id, r.dataset, group, r.column or "", r.check, r.observed, r.bound]
            parts.append(f"<tr class='{css}'>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(root: str, ds: dt.date, run_id: str, status: str, results: Sequence[CheckResult]) -> str:
    """Writes the report page; returns its path (or ``s3://`` URI)."""
    uri = report_path(root, ds, run_id)
    fs, path = filesystem(uri)
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as out:
        out.write(render_report(ds, run_id, status, results).encode("utf-8"))
    return uri
