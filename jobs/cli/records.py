"""Readers of what the runs recorded: ingestion reconciliation, segment sizes, the segment list, the HTML report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from jobs.cli.json_output import FORMAT_VERSION, dumps, fields_of
from jobs.cli.options import FirstArrivalDate, JsonOption, LastArrivalDate, RootOption, parse_date, resolve_settings
from jobs.cli.terminal import say, say_error


def reconcile(
    ds: FirstArrivalDate,
    to: LastArrivalDate = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Print the recorded reconciliation of ingested dates (read / accepted / duplicates / quarantined).

    Exit status: 0 every run reconciles, 1 nothing recorded or a run does not reconcile, 2 usage.
    """
    from jobs.bronze.report import format_report, recorded_reports

    lakehouse = resolve_settings(root).lakehouse_root
    first, last = ds, to or ds
    reports = _recorded(recorded_reports(lakehouse, first, last), "ingestion", first, last, lakehouse)
    bad = [r for r in reports if not r.reconciles()]
    if as_json:
        _print_range_json(first, last, reconciles=not bad,
                          runs=[{**fields_of(r), "reconciles": r.reconciles()} for r in reports])
    else:
        say(format_report(reports))
    if bad:
        say_error(f"{len(bad)} run(s) do not reconcile")
        raise typer.Exit(1)


def sizes(
    ds: Annotated[dt.date, typer.Argument(parser=parse_date, help="First ds (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=parse_date, metavar="YYYY-MM-DD",
                                                   help="Last ds of a range (inclusive).")] = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Print each segment's size per day (from the run catalog).

    Exit status: 0 printed, 1 no segment run recorded in the range, 2 usage or a missing table.
    """
    from jobs.segments.readers.sizes import format_sizes, segment_sizes

    lakehouse = resolve_settings(root).lakehouse_root
    first, last = ds, to or ds
    rows = _recorded(segment_sizes(lakehouse, first, last), "segment run", first, last, lakehouse)
    if as_json:
        _print_range_json(first, last, runs=rows)
    else:
        say(format_sizes(rows))


def list_segments(
    app_id: Annotated[Optional[str], typer.Option("--app", help="Only this app [default: every app].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (one object per segment).")] = False,
    root: RootOption = None,
) -> None:
    """List every segment per app: kind, refresh, status of its last run (published, blocked,
    failed, retired), last published ds and its size, from the run catalog.

    Exit status: 0 listed, 2 no run catalog under the root.
    """
    import json

    from jobs.segments.readers.listing import format_listing, segment_listing

    listing = segment_listing(resolve_settings(root).lakehouse_root, app_id)
    if as_json:
        print(json.dumps(listing, indent=2))
    elif listing:
        say(format_listing(listing))
    else:
        say(f"no segment runs recorded for app {app_id}" if app_id else "no segment runs recorded")


def report(
    ds: Annotated[dt.date, typer.Argument(parser=parse_date, help="The ds to report (YYYY-MM-DD).")],
    days: Annotated[int, typer.Option(min=1, help="Days of size history shown, ending at ds.")] = 30,
    out: Annotated[Optional[str], typer.Option(
        help="Folder to write index.html and plotly.min.js into [default: <root>/reports/segments/<ds>].")] = None,
    root: RootOption = None,
) -> None:
    """Write the HTML report of a ds: segment sizes over time, overlaps, entered/exited, checks and runs.

    Static files (no server, no network): open index.html in a browser.
    """
    from jobs.report import build_report

    settings = resolve_settings(root)
    try:
        page = build_report(settings.lakehouse_root, ds, days=days, out=out)
    except LookupError as error:
        say_error(str(error))
        raise typer.Exit(1) from None
    say(f"wrote {page}")


def _recorded(records: list, what: str, first: dt.date, last: dt.date, root: str) -> list:
    """The records of a range of dates; none recorded is an error (exit 1) that says where it looked."""
    if not records:
        say_error(f"no {what} recorded for {first}..{last} under {root}")
        raise typer.Exit(1)
    return records


def _print_range_json(first: dt.date, last: dt.date, **fields) -> None:
    """The ``--json`` of a range reader: the format version, the range, then its fields."""
    print(dumps({"format_version": FORMAT_VERSION, "first": first, "last": last, **fields}))
