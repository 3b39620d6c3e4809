"""The `lakehouse` command: generate sample data and run the pipeline's jobs from a terminal.

The app and its entry point; the commands live by what they are for: ``pipeline`` (generate, ingest,
run), ``analyst`` (validate, preview, plan, test, explain), ``readers`` (show, members, export),
``records`` (reconcile, sizes, segments, report) and ``operations`` (maintain, doctor).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from jobs import __version__
from jobs.cli import analyst, operations, pipeline, readers, records
from jobs.cli.terminal import say
from jobs.safe_text import TerminalStream

app = typer.Typer(
    help="User-segmentation lakehouse: sample data, ingestion, labels and segments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: ...]" must print as written
)

COMMANDS = (  # name, function: in the order `lakehouse --help` lists them
    ("generate", pipeline.generate),
    ("ingest", pipeline.ingest),
    ("run", pipeline.run),
    ("reconcile", records.reconcile),
    ("sizes", records.sizes),
    ("validate", analyst.validate),
    ("preview", analyst.preview),
    ("plan", analyst.plan),
    ("test", analyst.test_segments),
    ("explain", analyst.explain),
    ("show", readers.show),
    ("members", readers.members),
    ("export", readers.export),
    ("maintain", operations.maintain_tables),
    ("segments", records.list_segments),
    ("report", records.report),
    ("doctor", operations.doctor),
)
for _name, _command in COMMANDS:
    app.command(_name)(_command)


def _version(value: bool) -> None:
    if value:
        say(f"lakehouse {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log job progress.")] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(level)  # it sets INFO on its own logger


def main() -> None:
    """Runs the CLI; a missing input (folder, table, snapshot) is reported in one line, exit 2."""
    code: int | str | None = 0
    sys.stderr = TerminalStream(sys.stderr)  # click's usage errors and log lines quote raw arguments
    try:
        app()
    except SystemExit as done:
        code = done.code
    except FileNotFoundError as error:
        say(err=True, text=f"error: {error}")
        code = 2
    # Every table write is committed by now. Native threads of the in-process engine (Arrow and
    # gRPC C++ pools) can abort the interpreter's teardown ("terminate called without an active
    # exception", seen in about 1 of 3 `lakehouse run`s), turning a finished run into exit 134:
    # flush and leave without that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
