"""What the commands print: plain text on stdout, ``error: ...`` lines on stderr, progress bars."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs.safe_text import terminal_text

console = Console(soft_wrap=True)  # tables and paths print unbroken in logs and pipes


def say(text: object, err: bool = False) -> None:
    """Prints a message as plain text (no markup), control characters of data values escaped."""
    out = Console(stderr=True, soft_wrap=True) if err else console
    out.print(terminal_text(str(text)), highlight=False, markup=False)


def say_error(text: str) -> None:
    """An error: one ``error: ...`` line per line, on stderr."""
    say("\n".join(f"error: {line}" for line in str(text).splitlines() or [str(text)]), err=True)


def reader_failed(error: Exception, code: int) -> typer.Exit:
    """Prints a reader command's error (one ``error: ...`` line per line) to stderr; the exit to raise."""
    say_error(str(error))
    return typer.Exit(code)


def progress_bar() -> Progress:
    """The progress of a command over dates or stages, printed to the console (kept when done)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
