"""The segment report: one static HTML page per ds (sizes over time, overlaps, changes, checks).

``build_report`` reads the gold tables with delta-rs (no engine), computes the page's numbers
(``data``), draws them with plotly (``figures``) and writes ``index.html`` plus ``plotly.min.js``
into one folder (``render``), so the page opens from ``file://`` without a network.
"""

from jobs.report.build import build_report, default_out

__all__ = ["build_report", "default_out"]
