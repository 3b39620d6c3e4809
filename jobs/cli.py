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
from jobs import settings as config
from jobs.safe_text import TerminalStream, terminal_text, terminal_value
from jobs.settings import Settings

app = typer.Typer(
    help="User-segmentation lakehouse: sample data, ingestion, labels and segments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: ...]" must print as written
)
console = Console(soft_wrap=True)  # tables and paths print unbroken in logs and pipes


def _say(text: object, err: bool = False) -> None:
    """Prints a message as plain text (no markup), control characters of data values escaped."""
    out = Console(stderr=True, soft_wrap=True) if err else console
    out.print(terminal_text(str(text)), highlight=False, markup=False)


def _stderr(text: str) -> None:
    """An error: one ``error: ...`` line per line, on stderr."""
    _say("\n".join(f"error: {line}" for line in str(text).splitlines() or [str(text)]), err=True)


def _parse_date(text: str | dt.date) -> dt.date:
    """A date option or argument: ``YYYY-MM-DD`` (a usage error, exit 2, otherwise)."""
    if isinstance(text, dt.date):
        return text
    try:
        return parse_date(text)
    except ValueError as error:
        raise typer.BadParameter(terminal_value(str(error))) from None


def _parse_date_or_latest(text: str | dt.date | None) -> dt.date | None:
    """An optional date: ``YYYY-MM-DD``, or ``latest`` (None: the newest available, as when not given)."""
    return None if text is None or text == "latest" else _parse_date(text)


LATEST_HELP = "YYYY-MM-DD|latest"
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON (shape: docs/tools.md).")]

RootOption = Annotated[
    Optional[str],
    typer.Option("--root", help="Lakehouse root: a folder or s3://bucket/prefix [env LAKEHOUSE_ROOT; default ./lakehouse]."),
]

DefsOption = Annotated[
    Optional[str],
    typer.Option("--defs", help="The segment definitions folder [env SEGMENT_DEFS; default: the definitions shipped with the package]."),
]


def _settings(root: str | None = None, defs: str | None = None) -> Settings:
    """The command's settings, resolved once: options, then the environment, then the defaults."""
    settings = config.resolve().with_overrides(lakehouse_root=root, segment_defs=defs)
    config.activate(settings)
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
        _say(f"lakehouse {__version__}")
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
    _say(
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
    _say(format_report(reports))


@app.command()
def run(
    ds: Annotated[dt.date, typer.Argument(parser=_parse_date, help="First date (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=_parse_date, metavar="YYYY-MM-DD",
                                                   help="Last date of a backfill range (inclusive).")] = None,
    defs: DefsOption = None,
    refresh: Annotated[Optional[list[str]], typer.Option(
        "--refresh", help="Recompute this `refresh: once` segment although its definition is unchanged (repeatable).")] = None,
    root: RootOption = None,
) -> None:
    """Run the whole daily pipeline (ingest, silver + labels, segments) for a date or a range,
    in date order, on one engine. Each date is idempotent: re-running it gives the same tables.

    Exit status: 0 all published, 1 a segment failed (the others are published), 2 an unknown
    segment given to --refresh."""
    from jobs.bronze import ingest_date
    from jobs.engine import spark_session
    from jobs.labels import build_labels
    from jobs.publish import PublicationBlocked
    from jobs.segments import evaluate_segments
    from jobs.silver import build_silver

    settings = _settings(root, defs)
    root_path = settings.lakehouse_root
    dates = date_range(ds, to or ds)
    refreshed = _refresh_ids(settings.segment_defs, refresh or [])  # before the engine starts
    failed, blocked = [], None
    with spark_session(settings) as spark, _progress() as progress:
        task = progress.add_task("running", total=len(dates))
        for number, day in enumerate(dates, start=1):
            try:
                progress.update(task, description=f"{day} ingest")
                ingest_date(spark, root_path, day)
                progress.update(task, description=f"{day} labels")
                build_silver(spark, root_path, day)
                build_labels(spark, root_path, day)
                progress.update(task, description=f"{day} segments")
                runs = evaluate_segments(spark, root_path, day, settings.segment_defs, refreshed)
            except PublicationBlocked as error:  # later dates build on this one: stop here
                blocked = blocked_run_message(error, number, dates)
                break
            failed += [f"{day} {r.app_id}/{r.segment_id}: {r.reason}" for r in runs if r.status == "failed"]
            progress.advance(task)
    from jobs.segments.readers.sizes import format_sizes, segment_sizes

    _say(format_sizes(segment_sizes(root_path, dates[0], dates[-1])))
    if blocked:
        raise _reader_failed(blocked, 1)
    if failed:
        _say("failed segment runs (the others are published):\n" + "\n".join(failed), err=True)
        raise typer.Exit(1)


def _refresh_ids(defs: str, ids: list[str]) -> tuple[str, ...]:
    """The segment ids given to ``--refresh``, each checked against the definitions (exit 2 if unknown)."""
    if not ids:
        return ()
    from jobs.segments.language.errors import did_you_mean, quote
    from jobs.segments.validate import check_definitions

    known = {s.id for s in check_definitions(defs)[0].segments}
    for sid in ids:
        if sid not in known:
            suggestion = did_you_mean(sid, sorted(known))
            hint = f"; did you mean: {suggestion}?" if suggestion else ""
            _stderr(f"--refresh: unknown segment {quote(sid)} in {defs}{hint}")
            raise typer.Exit(2)
    return tuple(dict.fromkeys(ids))


def blocked_run_message(blocked, number: int, dates: list[dt.date]) -> str:
    """Why a range ``run`` stopped at a blocked ds (the checks, the report) and how to resume it."""
    day = blocked.ds
    return (f"{day} is blocked by the quality gates (day {number} of {len(dates)}); the dates before it are published:\n"
            f"{blocked}\nfix the cause, then resume with: lakehouse run {day} --to {dates[-1]}")


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
        from jobs.cli_json import FORMAT_VERSION, dumps, fields_of

        print(dumps({"format_version": FORMAT_VERSION, "first": first, "last": last, "reconciles": not bad,
                     "runs": [{**fields_of(r), "reconciles": r.reconciles()} for r in reports]}))
    else:
        _say(format_report(reports))
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
    from jobs.segments.readers.sizes import format_sizes, segment_sizes

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
        _say(format_sizes(rows))


@app.command()
def validate(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Definition files or folders to check [default: the --defs folder]. A file is checked with the --defs folder.")] = None,
    defs: DefsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON (shape: docs/tools.md).")] = False,
) -> None:
    """Check segment definitions; print every problem with file, line and column.

    Exit status: 0 all valid, 1 definition errors, 2 a file or folder cannot be read.
    """
    from jobs.analyst_cli import run_validate

    defs = _settings(defs=defs).segment_defs
    raise typer.Exit(run_validate(paths or [defs], defs, as_json))


@app.command()
def preview(
    path: Annotated[str, typer.Argument(help="A draft definition (YAML) to size.")],
    ds: Annotated[Optional[dt.date], typer.Option(parser=_parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date [default: latest, the newest in the label table].")] = None,
    defs: DefsOption = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Size a draft segment against the labels without writing any table: size, funnel, reach, and the
    change against the published segment it edits.

    Exit status: 0 sized, 1 definition errors (on stderr), 2 usage or a missing table.
    """
    from jobs.analyst_cli import run_preview

    settings = _settings(root, defs)
    raise typer.Exit(run_preview(settings, path, settings.segment_defs, ds, as_json))


@app.command()
def plan(
    defs: DefsOption = None,
    ds: Annotated[Optional[dt.date], typer.Option(parser=_parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date to plan on [default: latest, the newest in the label table].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Show what publishing the definitions folder would change against the last published runs; writes nothing.

    Exit status: 0 nothing broken, 1 a broken definition, 2 usage (or a missing table or folder).
    """
    from jobs.analyst_cli import run_plan

    settings = _settings(root, defs)
    raise typer.Exit(run_plan(settings, settings.segment_defs, ds, as_json))


@app.command("test")
def test_segments(
    path: Annotated[Optional[str], typer.Argument(
        help="A test file, or a folder searched for tests/*.yaml [default: the --defs folder].")] = None,
    defs: DefsOption = None,
    warn_empty: Annotated[bool, typer.Option("--warn-empty", help="Also flag definitions that select nobody on the latest labels of --root.")] = False,
    root: RootOption = None,
) -> None:
    """Run segment tests: golden users through the real pipeline in a throwaway lakehouse, checked against expectations.

    Exit status: 0 every test passed, 1 a test failed, 2 usage (no such path or definitions folder).
    """
    from jobs.analyst_cli import run_segment_tests

    settings = _settings(root, defs)
    raise typer.Exit(run_segment_tests(settings, path or settings.segment_defs, settings.segment_defs, warn_empty))


@app.command()
def explain(
    segment: Annotated[str, typer.Argument(help="The segment id, or a draft definition file (*.yaml) not yet published.")],
    uid: Annotated[str, typer.Argument(help="The user id.")],
    ds: Annotated[Optional[dt.date], typer.Option(
        parser=_parse_date_or_latest, metavar=LATEST_HELP,
        help="Date [default: latest: the segment's latest published ds; for a draft the newest labels].")] = None,
    app_id: Annotated[str, typer.Option("--app", help="The user's app.")] = "smartlife",
    defs: DefsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Say why a user is or is not a member of a segment (or of a draft file): each group, condition and value.

    Exit status: 0 member or not, 1 definition errors, 2 unknown segment or uid.
    """
    from jobs.analyst_cli import run_explain

    settings = _settings(root, defs)
    raise typer.Exit(run_explain(settings, segment, uid, ds, app_id, settings.segment_defs, as_json))


def _reader_failed(error: Exception, code: int) -> typer.Exit:
    """Prints a reader command's error (one ``error: ...`` line per line) to stderr; the exit to raise."""
    lines = str(error).splitlines() or [str(error)]
    _say(err=True, text="\n".join(f"error: {line}" for line in lines))
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
    defs: DefsOption = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Show a segment's definition as written, its size and changes per day and its last run with its checks.

    Exit status: 0 shown, 2 unknown segment (or a missing table or definitions folder).
    """
    from jobs.segments.readers.published import SegmentLookupError
    from jobs.segments.readers.show import format_show, load_show

    settings = _settings(root, defs)
    try:
        shown = load_show(settings.lakehouse_root, settings.segment_defs, app_id, segment, first, last)
    except SegmentLookupError as error:
        raise _reader_failed(error, 2) from None
    if as_json:
        from jobs.cli_json import dumps, show_json

        print(dumps(show_json(shown)))
    else:
        _say(format_show(shown))


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
    from jobs.segments.readers.members import format_page, member_page
    from jobs.segments.readers.published import NotPublishedError, SegmentLookupError

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
        _say(format_page(result, show_email))


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

    Exit status: 0 written, 1 refused (imported segment, ds not published), 2 unknown segment or label,
    or --out is a folder. Text cells starting with = + - @ tab or CR get a leading ' (no spreadsheet formulas).
    """
    from jobs.segments.readers.export import ExportRefused, OutputPathError, export_segments
    from jobs.segments.readers.published import NotPublishedError, SegmentLookupError

    settings = _settings(root)
    try:
        target, content = export_segments(settings.lakehouse_root, app_id, segments, ds,
                                          labels.split(","), out)
    except (SegmentLookupError, OutputPathError) as error:
        raise _reader_failed(error, 2) from None
    except (ExportRefused, NotPublishedError) as error:
        raise _reader_failed(error, 1) from None
    counts = ", ".join(f"{s['segment_id']} {s['row_count']:,} rows" for s in content["segments"])
    _say(f"wrote {target}: {counts} (ds {content['ds']}, labels {','.join(content['labels'])})")


@app.command("maintain")
def maintain_tables(
    retention_hours: Annotated[float, typer.Option(
        min=0, help="Keep files removed from published tables this long (readers, time travel).")] = 168,
    staging_retention_hours: Annotated[float, typer.Option(min=0, help="The same for staging twins.")] = 24,
    staging_keep_days: Annotated[int, typer.Option(min=0, help="Staged partitions kept before the newest staged ds.")] = 7,
    root: RootOption = None,
) -> None:
    """Compact, vacuum and checkpoint every Delta table (and clean up staging), with delta-rs.

    Run it when no pipeline run writes (the weekly DAG does). docs/maintenance.md explains the retentions.
    """
    from jobs.maintain import maintain

    settings = _settings(root)
    done = maintain(settings.lakehouse_root, retention_hours=retention_hours,
                    staging_retention_hours=staging_retention_hours, staging_keep_days=staging_keep_days)
    for result in done:
        _say(result.line())
    before, after = sum(r.bytes_before for r in done), sum(r.bytes_after for r in done)
    _say(f"maintained {len(done)} tables under {settings.lakehouse_root}: "
         f"{before / 2**20:.2f} MiB -> {after / 2**20:.2f} MiB")


@app.command("segments")
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

    listing = segment_listing(_settings(root).lakehouse_root, app_id)
    if as_json:
        print(json.dumps(listing, indent=2))
    elif listing:
        _say(format_listing(listing))
    else:
        _say(f"no segment runs recorded for app {app_id}" if app_id else "no segment runs recorded")


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
    _say(f"wrote {page}")


@app.command()
def doctor(defs: DefsOption = None, root: RootOption = None) -> None:
    """Print the resolved settings, then check that each location is reachable, that the engine
    answers and that the Delta tables present are readable.

    Exit status: 0 every check passed, 1 at least one problem (each named on stderr).
    """
    from jobs.doctor import describe, diagnose

    settings = _settings(root, defs)
    width = max(len(name) for name, _, _ in describe(settings))
    for name, value, source in describe(settings):
        _say(f"{name:<{width}}  {value}  ({source})")
    findings = diagnose(settings)
    for finding in findings:
        _say(finding.line(), err=not finding.ok)
    problems = [f for f in findings if not f.ok]
    if problems:
        _say(f"{len(problems)} problem(s): {', '.join(f.check for f in problems)}", err=True)
        raise typer.Exit(1)
    _say("all checks passed")


def main() -> None:
    """Runs the CLI; a missing input (folder, table, snapshot) is reported in one line, exit 2."""
    code: int | str | None = 0
    sys.stderr = TerminalStream(sys.stderr)  # click's usage errors and log lines quote raw arguments
    try:
        app()
    except SystemExit as done:
        code = done.code
    except FileNotFoundError as error:
        _say(err=True, text=f"error: {error}")
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
