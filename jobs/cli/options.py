"""The options and arguments commands share: dates, ``--root``, ``--defs``, ``--app``, ``--json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from jobs import dates
from jobs import settings as config
from jobs.safe_text import terminal_value
from jobs.settings import Settings


def parse_date(text: str | dt.date) -> dt.date:
    """A date option or argument: ``YYYY-MM-DD`` (a usage error, exit 2, otherwise)."""
    if isinstance(text, dt.date):
        return text
    try:
        return dates.parse_date(text)
    except ValueError as error:
        raise typer.BadParameter(terminal_value(str(error))) from None


def parse_date_or_latest(text: str | dt.date | None) -> dt.date | None:
    """An optional date: ``YYYY-MM-DD``, or ``latest`` (None: the newest available, as when not given)."""
    return None if text is None or text == "latest" else parse_date(text)


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

AppOption = Annotated[str, typer.Option("--app", help="The app the segment belongs to.")]

FirstArrivalDate = Annotated[dt.date, typer.Argument(parser=parse_date, help="First arrival date (YYYY-MM-DD).")]
LastArrivalDate = Annotated[Optional[dt.date], typer.Option(parser=parse_date, metavar="YYYY-MM-DD",
                                                            help="Last arrival date of a range (inclusive).")]


def resolve_settings(root: str | None = None, defs: str | None = None) -> Settings:
    """The command's settings, resolved once: options, then the environment, then the defaults.

    A setting that cannot be used (``LANDING_TIMEOUT_MINUTES=soon``) is a usage error (exit 2)."""
    try:
        settings = config.resolve().with_overrides(lakehouse_root=root, segment_defs=defs)
    except config.SettingError as error:
        from jobs.cli.terminal import say_error

        say_error(str(error))
        raise typer.Exit(2) from None
    config.activate(settings)
    return settings
