"""``lakehouse members``: one page of a segment's members on a published ds, read with delta-rs.

Members are ordered by uid (external email members of imported segments, whose uid is null,
come last, by email), so a page is the same on every call. Emails exist only for imported
segments; they are printed masked (``v***@example.com``) unless the analyst asks for them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.segments.readers.published import PublishedHistory, SegmentLookupError
from jobs.segments.readers.show import columns_text

PARAMS = ("param1", "param2", "param3")


@dataclass(frozen=True)
class MemberPage:
    """One page of members of one segment on one ds."""

    app_id: str
    segment_id: str
    kind: str
    ds: dt.date
    page: int
    pages: int
    total: int
    rows: tuple[dict, ...]  # uid, email, param1..3


# --- pure ----------------------------------------------------------------------------------------

def member_order(row: dict) -> tuple:
    """Sort key: by uid, external emails (uid null) last by email."""
    return (row["uid"] is None, row["uid"] or "", row["email"] or "")


def page_of(rows: Sequence[dict], page: int, size: int) -> tuple[list[dict], int]:
    """Rows of 1-based ``page`` (rows already ordered) and the number of pages (at least 1).

    Raises:
        SegmentLookupError: ``page`` is past the last page, e.g. ``page 5 is past the last page (2)``.
    """
    pages = max(1, math.ceil(len(rows) / size))
    if page > pages:
        raise SegmentLookupError(f"page {page} is past the last page ({pages})")
    return list(rows[(page - 1) * size: page * size]), pages


def mask_email(email: str | None) -> str | None:
    """``vip@example.com`` -> ``v***@example.com``: the domain stays, the person does not."""
    if email is None:
        return None
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def format_page(result: MemberPage, show_email: bool = False) -> str:
    """The header ``<app>/<segment> on <ds>: page X of Y, N members`` and the page as a table."""
    noun = "member" if result.total == 1 else "members"
    where = f"{result.app_id}/{result.segment_id} on {result.ds.isoformat()}"
    head = f"{where}: page {result.page} of {result.pages}, {result.total:,} {noun}"
    if not result.rows:
        return head
    if result.kind == "imported":
        header = ["uid", "email", *PARAMS]
        rows = [[r["uid"], r["email"] if show_email else mask_email(r["email"]), *(r[p] for p in PARAMS)]
                for r in result.rows]
    else:
        header, rows = ["uid"], [[r["uid"]] for r in result.rows]
    return head + "\n" + columns_text(header, rows)


# --- I/O -----------------------------------------------------------------------------------------

def member_page(root: str, app_id: str, segment_id: str, ds: dt.date | None, page: int = 1,
                size: int = 50) -> MemberPage:
    """One page of the segment's members on ``ds`` (default: its latest published ds).

    Raises:
        SegmentLookupError: unknown segment, or a page past the last one.
        NotPublishedError: ``ds`` is not published for the segment.
    """
    from jobs.segments.readers.published import PublishedHistory

    history = PublishedHistory.read(root, app_id)
    run = history.at(app_id, segment_id, ds)
    rows = sorted(read_members(history, app_id, segment_id, run["ds"]), key=member_order)
    shown, pages = page_of(rows, page, size)
    return MemberPage(app_id, segment_id, run["kind"], run["ds"], page, pages, len(rows), tuple(shown))


def read_members(history: PublishedHistory, app_id: str, segment_id: str, ds: dt.date) -> list[dict]:
    """Visible rows (uid, email, param1..3) of gold.segment_membership for the segment on ds."""
    from jobs.tables import GOLD_SEGMENT_MEMBERSHIP

    filters = [("ds", "=", ds), ("app_id", "=", app_id), ("segment_id", "=", segment_id)]
    rows = history.read_visible(GOLD_SEGMENT_MEMBERSHIP, filters=filters, columns=["uid", "email", *PARAMS])
    return [{k: r[k] for k in ("uid", "email", *PARAMS)} for r in rows]
