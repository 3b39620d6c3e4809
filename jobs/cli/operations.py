"""Operating the lakehouse: ``maintain`` its tables, ``doctor`` its settings and locations."""

from __future__ import annotations

from typing import Annotated

import typer

from jobs.cli.options import DefsOption, RootOption, resolve_settings
from jobs.cli.terminal import say


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

    settings = resolve_settings(root)
    done = maintain(settings.lakehouse_root, retention_hours=retention_hours,
                    staging_retention_hours=staging_retention_hours, staging_keep_days=staging_keep_days)
    for result in done:
        say(result.line())
    before, after = sum(r.bytes_before for r in done), sum(r.bytes_after for r in done)
    say(f"maintained {len(done)} tables under {settings.lakehouse_root}: "
         f"{before / 2**20:.2f} MiB -> {after / 2**20:.2f} MiB")


def doctor(defs: DefsOption = None, root: RootOption = None) -> None:
    """Print the resolved settings, then check that each location is reachable, that the engine
    answers and that the Delta tables present are readable.

    Exit status: 0 every check passed, 1 at least one problem (each named on stderr).
    """
    from jobs.doctor import describe, diagnose

    settings = resolve_settings(root, defs)
    width = max(len(name) for name, _, _ in describe(settings))
    for name, value, source in describe(settings):
        say(f"{name:<{width}}  {value}  ({source})")
    findings = diagnose(settings)
    for finding in findings:
        say(finding.line(), err=not finding.ok)
    problems = [f for f in findings if not f.ok]
    if problems:
        say(f"{len(problems)} problem(s): {', '.join(f.check for f in problems)}", err=True)
        raise typer.Exit(1)
    say("all checks passed")
