"""The `lakehouse` command: generate sample data and run the pipeline's jobs from a terminal."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs import __version__
from jobs.dates import date_range, parse_date
from jobs.settings import Settings, normalize_root

app = typer.Typer(
    help="User-segmentation lakehouse: sample data, ingestion, labels and segments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: ...]" must print as written
)
console = Console(soft_wrap=True)  # tables and paths print unbroken in logs and pipes

def _parse_date(text: str | dt.date) -> dt.date:
    """A date option or argument: ``YYYY-MM-DD`` (a usage error, exit 2, otherwise)."""
    if isinstance(text, dt.date):
        return text
    try:
        return parse_date(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _parse_date_or_latest(text: str | dt.date | None) -> dt.date | None:
    """An optional date: ``YYYY-MM-DD``, or ``latest`` (None: the newest available, as when not given)."""
    return None if text is None or text == "latest" else _parse_date(text)


LATEST_HELP = "YYYY-MM-DD|latest"

RootOption = Annotated[
    Optional[str],
    typer.Option("--root", help="Lakehouse root: a folder or s3://bucket/prefix [env LAKEHOUSE_ROOT; default ./lakehouse]."),
]


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON (shape: docs/tools.md).")]


def _stderr(text: str) -> None:
    """An error for a terminal user: one ``error: ...`` line per line, on stderr."""
    Console(stderr=True, soft_wrap=True).print("\n".join(f"error: {line}" for line in text.splitlines() or [text]),
                                               highlight=False, markup=False)


def _settings(root: str | None) -> Settings:
    settings = Settings.from_env()
    if root:
        settings = Settings(lakehouse_root=normalize_root(root), spark_remote=settings.spark_remote)
    return settings


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _version(value: bool) -> None:
    if value:
        console.print(f"lakehouse {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log job progress.")] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(level)  # it sets INFO on its own logger


@app.command()
def generate(
    users: Annotated[int, typer.Option(min=1, help="Users per app.")] = 2000,
    days: Annotated[int, typer.Option(min=1, help="Days of data, ending at --end.")] = 14,
    end: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                    help="Last date [default: the generator's fixed date].")] = None,
    apps: Annotated[str, typer.Option(help="Comma-separated app ids.")] = "smartlife",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 7,
    faults: Annotated[bool, typer.Option("--faults/--no-faults", help="Inject faults at the default rates.")] = True,
    compress: Annotated[bool, typer.Option(help="Write .jsonl.gz files.")] = False,
    root: RootOption = None,
) -> None:
    """Write sample landing files (events and user snapshots) for N users over D days."""
    from jobs.generate import FaultRates, GeneratorConfig
    from jobs.generate import generate as run_generator

    settings = _settings(root)
    kwargs = {} if end is None else {"end": end}
    config = GeneratorConfig(
        users=users,
        days=days,
        apps=tuple(a.strip() for a in apps.split(",") if a.strip()),
        seed=seed,
        faults=FaultRates() if faults else FaultRates.none(),
        compress=compress,
        **kwargs,
    )
    with _progress() as progress:
        task = progress.add_task("generating", total=days)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        result = run_generator(config, settings.lakehouse_root, progress=report)
    injected = {feed: sum(counts.values()) for feed, counts in result.injected.items()}
    console.print(
        f"wrote {result.event_lines:,} event lines and {result.user_lines:,} user lines "
        f"under {settings.lakehouse_root}/landing in {result.seconds:.1f}s; faults injected: {injected}"
    )


@app.command()
def ingest(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="First arrival date (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                   help="Last arrival date of a range (inclusive).")] = None,
    root: RootOption = None,
) -> None:
    """Ingest landing files of one arrival date (or a range) into the bronze Delta tables."""
    from jobs.bronze import format_report, ingest_date
    from jobs.engine import spark_session

    settings = _settings(root)
    dates = date_range(ds, to or ds)
    reports = []
    with spark_session(settings) as spark, _progress() as progress:
        task = progress.add_task("ingesting", total=len(dates))
        for day in dates:
            progress.update(task, description=f"ingesting {day}")
            reports.extend(ingest_date(spark, settings.lakehouse_root, day))
            progress.advance(task)
    console.print(format_report(reports), highlight=False)


@app.command()
def run(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="First date (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                   help="Last date of a backfill range (inclusive).")] = None,
    defs: Annotated[str, typer.Option("--defs", help="The segment definitions folder.")] = "segment_defs",
    root: RootOption = None,
) -> None:
    """Run the whole daily pipeline (ingest, silver + labels, segments) for a date or a range,
    in date order, on one engine. Each date is idempotent: re-running it gives the same tables."""
    from jobs.bronze import ingest_date
    from jobs.engine import spark_session
    from jobs.labels import build_labels
    from jobs.segments import evaluate_segments
    from jobs.silver import build_silver

    settings = _settings(root)
    root_path = settings.lakehouse_root
    dates = date_range(ds, to or ds)
    failed = []
    with spark_session(settings) as spark, _progress() as progress:
        task = progress.add_task("running", total=len(dates))
        for day in dates:
            progress.update(task, description=f"{day} ingest")
            ingest_date(spark, root_path, day)
            progress.update(task, description=f"{day} labels")
            build_silver(spark, root_path, day)
            build_labels(spark, root_path, day)
            progress.update(task, description=f"{day} segments")
            runs = evaluate_segments(spark, root_path, day, defs)
            failed += [f"{day} {r.app_id}/{r.segment_id}: {r.reason}" for r in runs if r.status == "failed"]
            progress.advance(task)
    from jobs.segments.sizes import format_sizes, segment_sizes

    console.print(format_sizes(segment_sizes(root_path, dates[0], dates[-1])), highlight=False, markup=False)
    if failed:
        Console(stderr=True, soft_wrap=True).print("failed segment runs (the others are published):\n" + "\n".join(failed),
                                                   markup=False, highlight=False)
        raise typer.Exit(1)


@app.command()
def reconcile(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="First arrival date (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                   help="Last arrival date of a range (inclusive).")] = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Print the recorded reconciliation of ingested dates (read / accepted / duplicates / quarantined).

    Exit status: 0 every run reconciles, 1 nothing recorded or a run does not reconcile, 2 usage.
    """
    from jobs.bronze.report import format_report, recorded_reports

    settings = _settings(root)
    first, last = ds, to or ds
    reports = recorded_reports(settings.lakehouse_root, first, last)
    if not reports:
        _stderr(f"no ingestion recorded for {first}..{last} under {settings.lakehouse_root}")
        raise typer.Exit(1)
    bad = [r for r in reports if not r.reconciles()]
    if as_json:
        from jobs.cli_json import FORMAT_VERSION, dumps

        print(dumps({"format_version": FORMAT_VERSION, "first": first, "last": last, "reconciles": not bad,
                     "runs": [{**_fields(r), "reconciles": r.reconciles()} for r in reports]}))
    else:
        console.print(format_report(reports), highlight=False)
    if bad:
        _stderr(f"{len(bad)} run(s) do not reconcile")
        raise typer.Exit(1)


@app.command()
def sizes(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="First ds (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                   help="Last ds of a range (inclusive).")] = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Print each segment's size per day (from the run catalog).

    Exit status: 0 printed, 1 no segment run recorded in the range, 2 usage or a missing table.
    """
    from jobs.segments.sizes import format_sizes, segment_sizes

    settings = _settings(root)
    first, last = ds, to or ds
    rows = segment_sizes(settings.lakehouse_root, first, last)
    if not rows:
        _stderr(f"no segment run recorded for {first}..{last} under {settings.lakehouse_root}")
        raise typer.Exit(1)
    if as_json:
        from jobs.cli_json import FORMAT_VERSION, dumps

        print(dumps({"format_version": FORMAT_VERSION, "first": first, "last": last, "runs": rows}))
    else:
        console.print(format_sizes(rows), highlight=False, markup=False)


DefsOption = Annotated[str, typer.Option("--defs", help="The segment definitions folder.")]


@app.command()
def validate(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Definition files or folders to check [default: the --defs folder]. A file is checked with the --defs folder.")] = None,
    defs: DefsOption = "segment_defs",
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON (shape: docs/tools.md).")] = False,
) -> None:
    """Check segment definitions; print every problem with file, line and column.

    Exit status: 0 all valid, 1 definition errors, 2 a file or folder cannot be read.
    """
    from jobs.analyst_cli import run_validate

    raise typer.Exit(run_validate(paths or [defs], defs, as_json))


@app.command()
def preview(
    path: Annotated[str, typer.Argument(help="A draft definition (YAML) to size.")],
    ds: Annotated[Optional[dt.date], typer.Option(parser=_parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date [default: latest, the newest in the label table].")] = None,
    defs: DefsOption = "segment_defs",
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Size a draft segment against the labels without writing any table: size, funnel, reach, and the
    change against the published segment it edits.

    Exit status: 0 sized, 1 definition errors (on stderr), 2 usage or a missing table.
    """
    from jobs.analyst_cli import run_preview

    raise typer.Exit(run_preview(_settings(root), path, defs, ds, as_json))


@app.command()
def plan(
    defs: DefsOption = "segment_defs",
    ds: Annotated[Optional[dt.date], typer.Option(parser=_parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date to plan on [default: latest, the newest in the label table].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Show what publishing the definitions folder would change against the last published runs; writes nothing.

    Exit status: 0 nothing broken, 1 a broken definition, 2 usage (or a missing table or folder).
    """
    from jobs.analyst_cli import run_plan

    raise typer.Exit(run_plan(_settings(root), defs, ds, as_json))


@app.command("test")
def test_segments(
    path: Annotated[str, typer.Argument(help="A test file, or a folder searched for tests/*.yaml.")] = "segment_defs",
    defs: DefsOption = "segment_defs",
    warn_empty: Annotated[bool, typer.Option("--warn-empty", help="Also flag definitions that select nobody on the latest labels of --root.")] = False,
    root: RootOption = None,
) -> None:
    """Run segment tests: golden users through the real pipeline in a throwaway lakehouse, checked against expectations.

    Exit status: 0 every test passed, 1 a test failed, 2 usage (no such path or definitions folder).
    """
    from jobs.analyst_cli import run_segment_tests

    raise typer.Exit(run_segment_tests(_settings(root), path, defs, warn_empty))


@app.command()
def explain(
    segment: Annotated[str, typer.Argument(help="The segment id, or a draft definition file (*.yaml) not yet published.")],
    uid: Annotated[str, typer.Argument(help="The user id.")],
    ds: Annotated[Optional[dt.date], typer.Option(
        parser=_parse_date_or_latest, metavar=LATEST_HELP,
        help="Date [default: latest: the segment's latest published ds; for a draft the newest labels].")] = None,
    app_id: Annotated[str, typer.Option("--app", help="The user's app.")] = "smartlife",
    defs: DefsOption = "segment_defs",
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Say why a user is or is not a member of a segment (or of a draft file): each group, condition and value.

    Exit status: 0 member or not, 1 definition errors, 2 unknown segment or uid.
    """
    from jobs.analyst_cli import run_explain

    raise typer.Exit(run_explain(_settings(root), segment, uid, ds, app_id, defs, as_json))


def _reader_failed(error: Exception, code: int) -> typer.Exit:
    """Prints a reader command's error (one ``error: ...`` line per line) to stderr; the exit to raise."""
    lines = str(error).splitlines() or [str(error)]
    Console(stderr=True, soft_wrap=True).print("\n".join(f"error: {line}" for line in lines), highlight=False, markup=False)
    return typer.Exit(code)


AppOption = Annotated[str, typer.Option("--app", help="The app the segment belongs to.")]


@app.command()
def show(
    segment: Annotated[str, typer.Argument(help="The segment id.")],
    app_id: AppOption = "smartlife",
    first: Annotated[Optional[dt.date], typer.Option("--from", parser=_parse_date, metavar="YYYY-MM-DD",
                                                      help="First ds of the size history [default: the first run].")] = None,
    last: Annotated[Optional[dt.date], typer.Option("--to", parser=_parse_date_or_latest, metavar=LATEST_HELP,
                                                     help="Last ds of the size history [default: latest, the last run].")] = None,
    defs: DefsOption = "segment_defs",
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Show a segment's definition as written, its size and changes per day and its last run with its checks.

    Exit status: 0 shown, 2 unknown segment (or a missing table or definitions folder).
    """
    from jobs.segments.published import SegmentLookupError
    from jobs.segments.show import format_show, load_show

    settings = _settings(root)
    try:
        shown = load_show(settings.lakehouse_root, defs, app_id, segment, first, last)
    except SegmentLookupError as error:
        raise _reader_failed(error, 2) from None
    if as_json:
        from jobs.cli_json import dumps, show_json

        print(dumps(show_json(shown)))
    else:
        console.print(format_show(shown), highlight=False, markup=False)


@app.command()
def members(
    segment: Annotated[str, typer.Argument(help="The segment id.")],
    ds: Annotated[Optional[dt.date], typer.Option(parser=_parse_date_or_latest, metavar=LATEST_HELP,
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
    from jobs.segments.members import format_page, member_page
    from jobs.segments.published import NotPublishedError, SegmentLookupError

    settings = _settings(root)
    try:
        result = member_page(settings.lakehouse_root, app_id, segment, ds, page, page_size)
    except SegmentLookupError as error:
        raise _reader_failed(error, 2) from None
    except NotPublishedError as error:
        raise _reader_failed(error, 1) from None
    if as_json:
        from jobs.cli_json import dumps, members_json

        print(dumps(members_json(result, show_email)))
    else:
        console.print(format_page(result, show_email), highlight=False, markup=False)


@app.command()
def export(
    segments: Annotated[list[str], typer.Argument(help="One or more segment ids: one CSV each.")],
    labels: Annotated[str, typer.Option(help="Label columns, comma-separated, e.g. country_en,platform.")],
    ds: Annotated[Optional[dt.date], typer.Option(
        parser=_parse_date_or_latest, metavar=LATEST_HELP,
        help="The published ds to export [default: latest, the latest ds published for every segment given].")] = None,
    out: Annotated[Optional[str], typer.Option(help="The zip to write [default: <segment>-<ds>.zip, or segments-<ds>.zip].")] = None,
    app_id: AppOption = "smartlife",
    root: RootOption = None,
) -> None:
    """Export segments of a published ds with chosen labels: a zip of <segment>.csv files and manifest.json.

    Exit status: 0 written, 1 refused (imported segment, ds not published), 2 unknown segment or label.
    """
    from jobs.segments.export import ExportRefused, export_segments
    from jobs.segments.published import NotPublishedError, SegmentLookupError

    settings = _settings(root)
    try:
        target, content = export_segments(settings.lakehouse_root, app_id, segments, ds,
                                          labels.split(","), out)
    except SegmentLookupError as error:
        raise _reader_failed(error, 2) from None
    except (ExportRefused, NotPublishedError) as error:
        raise _reader_failed(error, 1) from None
    counts = ", ".join(f"{s['segment_id']} {s['row_count']:,} rows" for s in content["segments"])
    console.print(f"wrote {target}: {counts} (ds {content['ds']}, labels {','.join(content['labels'])})",
                  highlight=False, markup=False)


@app.command()
def report(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="The ds to report (YYYY-MM-DD).")],
    days: Annotated[int, typer.Option(min=1, help="Days of size history shown, ending at ds.")] = 30,
    out: Annotated[Optional[str], typer.Option(
        help="Folder to write index.html and plotly.min.js into [default: <root>/reports/segments/<ds>].")] = None,
    root: RootOption = None,
) -> None:
    """Write the HTML report of a ds: segment sizes over time, overlaps, entered/exited, checks and runs.

    Static files (no server, no network): open index.html in a browser.
    """
    from jobs.report import build_report

    settings = _settings(root)
    try:
        page = build_report(settings.lakehouse_root, ds, days=days, out=out)
    except LookupError as error:
        _stderr(str(error))
        raise typer.Exit(1) from None
    console.print(f"wrote {page}", highlight=False, markup=False)


def _fields(record) -> dict:
    import dataclasses

    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def main() -> None:
    """Runs the CLI; a missing input (folder, table, snapshot) is reported in one line, exit 2."""
    code: int | str | None = 0
    try:
        app()
    except SystemExit as done:
        code = done.code
    except FileNotFoundError as error:
        Console(stderr=True, soft_wrap=True).print(f"error: {error}", highlight=False, markup=False)
        code = 2
    # Every table write is committed by now. Native threads of the in-process engine (Arrow and
    # gRPC C++ pools) can abort the interpreter's teardown ("terminate called without an active
    # exception", seen in about 1 of 3 `lakehouse run`s), turning a finished run into exit 134:
    # flush and leave without that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


if __name__ == "__main__":
    main()
