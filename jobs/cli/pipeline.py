"""The pipeline's commands: ``generate`` sample data, ``ingest`` landing files, ``run`` the daily pipeline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from jobs.cli.options import DefsOption, FirstArrivalDate, LastArrivalDate, RootOption, parse_date, resolve_settings
from jobs.cli.terminal import progress_bar, reader_failed, say, say_error
from jobs.dates import date_range


def generate(
    users: Annotated[int, typer.Option(min=1, help="Users per app.")] = 2000,
    days: Annotated[int, typer.Option(min=1, help="Days of data, ending at --end.")] = 14,
    end: Annotated[Optional[dt.date], typer.Option(parser=parse_date, metavar="YYYY-MM-DD",
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

    settings = resolve_settings(root)
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
    with progress_bar() as progress:
        task = progress.add_task("generating", total=days)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        result = run_generator(config, settings.lakehouse_root, progress=report)
    injected = {feed: sum(counts.values()) for feed, counts in result.injected.items()}
    say(
        f"wrote {result.event_lines:,} event lines and {result.user_lines:,} user lines "
        f"under {settings.lakehouse_root}/landing in {result.seconds:.1f}s; faults injected: {injected}"
    )


def ingest(
    ds: FirstArrivalDate,
    to: LastArrivalDate = None,
    root: RootOption = None,
) -> None:
    """Ingest landing files of one arrival date (or a range) into the bronze Delta tables."""
    from jobs.bronze import format_report, ingest_date
    from jobs.engine import spark_session

    settings = resolve_settings(root)
    dates = date_range(ds, to or ds)
    reports = []
    with spark_session(settings) as spark, progress_bar() as progress:
        task = progress.add_task("ingesting", total=len(dates))
        for day in dates:
            progress.update(task, description=f"ingesting {day}")
            reports.extend(ingest_date(spark, settings.lakehouse_root, day))
            progress.advance(task)
    say(format_report(reports))


def run(
    ds: Annotated[dt.date, typer.Argument(parser=parse_date, help="First date (YYYY-MM-DD).")],
    to: Annotated[Optional[dt.date], typer.Option(parser=parse_date, metavar="YYYY-MM-DD",
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

    settings = resolve_settings(root, defs)
    root_path = settings.lakehouse_root
    dates = date_range(ds, to or ds)
    refreshed = _refresh_ids(settings.segment_defs, refresh or [])  # before the engine starts
    failed, blocked = [], None
    with spark_session(settings) as spark, progress_bar() as progress:
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

    say(format_sizes(segment_sizes(root_path, dates[0], dates[-1])))
    if blocked:
        raise reader_failed(blocked, 1)
    if failed:
        say("failed segment runs (the others are published):\n" + "\n".join(failed), err=True)
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
            say_error(f"--refresh: unknown segment {quote(sid)} in {defs}{hint}")
            raise typer.Exit(2)
    return tuple(dict.fromkeys(ids))


def blocked_run_message(blocked, number: int, dates: list[dt.date]) -> str:
    """Why a range ``run`` stopped at a blocked ds (the checks, the report) and how to resume it."""
    day = blocked.ds
    return (f"{day} is blocked by the quality gates (day {number} of {len(dates)}); the dates before it are published:\n"
            f"{blocked}\nfix the cause, then resume with: lakehouse run {day} --to {dates[-1]}")
