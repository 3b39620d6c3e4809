"""The report's charts as plotly figures (pure: records in, figures out).

Text from analysts' definitions (segment ids, names) is HTML-escaped before it reaches plotly,
whose labels understand a few HTML tags: a name shows as written, never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

import plotly.graph_objects as go
from plotly.colors import qualitative

from jobs.report.data import Overlap, SegmentRun, SizeSeries

FONT = dict(family="system-ui, sans-serif", size=12)
# 24 distinct hues; past them the line dash and marker symbol change too, so 20, 50 or 100
# segments on one chart stay told apart (plotly's default cycles 10 colours).
PALETTE = tuple(qualitative.Dark24)
DASHES = ("solid", "dash", "dot", "dashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down")


def trace_style(index: int) -> dict:
    """The colour, dash and marker of the ``index``-th line: no two of the first 96 are alike."""
    return {"color": PALETTE[index % len(PALETTE)], "dash": DASHES[(index // len(PALETTE)) % len(DASHES)],
            "symbol": SYMBOLS[index % len(SYMBOLS)]}


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=escape(title)), height=height, font=FONT, template="plotly_white",
                      margin=dict(l=60, r=20, t=50, b=60), legend=dict(orientation="v"))
    return fig


def day_range(days: Sequence[dt.date]) -> tuple[str, str]:
    """The x range of a daily chart: half a day before the first day to half a day after the last."""
    half = dt.timedelta(hours=12)
    start, end = dt.datetime.combine(days[0], dt.time()) - half, dt.datetime.combine(days[-1], dt.time()) + half
    return start.isoformat(sep=" "), end.isoformat(sep=" ")


def sizes_figure(app_id: str, series: Sequence[SizeSeries]) -> go.Figure:
    """One line per segment: its published size per day (gaps on days without a published run)."""
    fig = go.Figure()
    for index, s in enumerate(series):
        style = trace_style(index)
        fig.add_trace(go.Scatter(
            x=[d.isoformat() for d in s.days], y=list(s.sizes), mode="lines+markers", connectgaps=False,
            name=escape(s.segment_id), meta=escape(s.name),
            line=dict(color=style["color"], dash=style["dash"]), marker=dict(color=style["color"], symbol=style["symbol"]),
            hovertemplate="%{meta}<br>%{x}: %{y:,} members<extra></extra>",
        ))
    fig.update_xaxes(type="date", title_text="ds")
    if series and series[0].days:  # the range of the data (half a day of margin), not plotly's guess
        fig.update_xaxes(range=list(day_range(series[0].days)))
    fig.update_yaxes(title_text="members", rangemode="tozero")
    return _layout(fig, f"Segment sizes — {app_id}", 460)


def overlap_figure(overlap: Overlap) -> go.Figure:
    """Heatmap of |row ∩ column| as a share of the row segment, with the counts written in the cells."""
    ids = [escape(s) for s in overlap.segments]
    n = len(ids)
    share = [[_percent(overlap.share(i, j)) for j in range(n)] for i in range(n)]
    fig = go.Figure(go.Heatmap(
        z=share, x=ids, y=ids, text=[list(row) for row in overlap.common], texttemplate="%{text:,}",
        colorscale="Blues", zmin=0, zmax=100, colorbar=dict(title=dict(text="% of row")),
        hovertemplate="%{y} ∩ %{x}: %{text:,} members<br>%{z:.1f}% of %{y}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title_text="row segment")
    fig.update_xaxes(tickangle=-40)
    return _layout(fig, f"Overlap of segments — {overlap.app_id}", max(420, 34 * n + 200))


def changes_figure(app_id: str, runs: Sequence[SegmentRun]) -> go.Figure:
    """Grouped bars: members who entered and who exited each segment on ds."""
    ids = [escape(r.segment_id) for r in runs]
    fig = go.Figure([
        go.Bar(name="entered", x=ids, y=[r.entered for r in runs], marker_color="#2e7d32"),
        go.Bar(name="exited", x=ids, y=[r.exited for r in runs], marker_color="#c62828"),
    ])
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickangle=-40)
    fig.update_yaxes(title_text="members", rangemode="tozero")
    return _layout(fig, f"Entered and exited on ds — {app_id}", 420)


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 1)
