"""Readers of a published segment: ``show`` it, list its ``members``, ``export`` them with labels."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from jobs.cli.options import (
    LATEST_HELP, AppOption, DefsOption, JsonOption, RootOption, parse_date, parse_date_or_latest, resolve_settings,
)
from jobs.cli.terminal import reader_failed, say


def show(
    segment: Annotated[str, typer.Argument(help="The segment id.")],
    app_id: AppOption = "smartlife",
    first: Annotated[Optional[dt.date], typer.Option("--from", parser=parse_date, metavar="YYYY-MM-DD",
                                                      help="First ds of the size history [default: the first run].")] = None,
    last: Annotated[Optional[dt.date], typer.Option("--to", parser=parse_date_or_latest, metavar=LATEST_HELP,
                                                     help="Last ds of the size history [default: latest, the last run].")] = None,
    defs: DefsOption = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Show a segment's definition as written, its size and changes per day and its last run with its checks.

    Exit status: 0 shown, 2 unknown segment (or a missing table or definitions folder).
    """
    from jobs.segments.readers.published import SegmentLookupError
    from jobs.segments.readers.show import format_show, load_show

    settings = resolve_settings(root, defs)
    try:
        shown = load_show(settings.lakehouse_root, settings.segment_defs, app_id, segment, first, last)
    except SegmentLookupError as error:
        raise reader_failed(error, 2) from None
    if as_json:
        from jobs.cli.json_output import dumps, show_json

        print(dumps(show_json(shown)))
    else:
        say(format_show(shown))


def members(
    segment: Annotated[str, typer.Argument(help="The segment id.")],
    ds: Annotated[Optional[dt.date], typer.Option(parser=parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="A published ds [default: latest, the segment's latest published ds].")] = None,
    page: Annotated[int, typer.Option(min=1, help="Page number (1-based).")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=10000, help="Members per page.")] = 50,
    show_email: Annotated[bool, typer.Option("--show-email", help="Print emails of imported members unmasked.")] = False,
    app_id: AppOption = "smartlife",
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """List a segment's members on a published ds, one page at a time, ordered by uid.

    Exit status: 0 listed, 1 the ds is not published for the segment, 2 unknown segment or page.
    """
    from jobs.segments.readers.members import format_page, member_page
    from jobs.segments.readers.published import NotPublishedError, SegmentLookupError

    settings = resolve_settings(root)
    try:
        result = member_page(settings.lakehouse_root, app_id, segment, ds, page, page_size)
    except SegmentLookupError as error:
        raise reader_failed(error, 2) from None
    except NotPublishedError as error:
        raise reader_failed(error, 1) from None
    if as_json:
        from jobs.cli.json_output import dumps, members_json

        print(dumps(members_json(result, show_email)))
    else:
        say(format_page(result, show_email))


def export(
    segments: Annotated[list[str], typer.Argument(help="One or more segment ids: one CSV each.")],
    labels: Annotated[str, typer.Option(help="Label columns, comma-separated, e.g. country_en,platform.")],
    ds: Annotated[Optional[dt.date], typer.Option(
        parser=parse_date_or_latest, metavar=LATEST_HELP,
        help="The published ds to export [default: latest, the latest ds published for every segment given].")] = None,
    out: Annotated[Optional[str], typer.Option(help="The zip to write [default: <segment>-<ds>.zip, or segments-<ds>.zip].")] = None,
    app_id: AppOption = "smartlife",
    root: RootOption = None,
) -> None:
    """Export segments of a published ds with chosen labels: a zip of <segment>.csv files and manifest.json.

    Exit status: 0 written, 1 refused (imported segment, ds not published), 2 unknown segment or label,
    or --out is a folder. Text cells starting with = + - @ tab or CR get a leading ' (no spreadsheet formulas).
    """
    from jobs.segments.readers.export import ExportRefused, OutputPathError, export_segments
    from jobs.segments.readers.published import NotPublishedError, SegmentLookupError

    settings = resolve_settings(root)
    try:
        target, content = export_segments(settings.lakehouse_root, app_id, segments, ds,
                                          labels.split(","), out)
    except (SegmentLookupError, OutputPathError) as error:
        raise reader_failed(error, 2) from None
    except (ExportRefused, NotPublishedError) as error:
        raise reader_failed(error, 1) from None
    counts = ", ".join(f"{s['segment_id']} {s['row_count']:,} rows" for s in content["segments"])
    say(f"wrote {target}: {counts} (ds {content['ds']}, labels {','.join(content['labels'])})")
