"""Great Expectations imported once per process, optionally warmed up in the background.

Importing GE (and building its ephemeral context) is the largest fixed cost of a job that
publishes: several seconds of CPU (ENGINEERING.md). A job starts the import when it starts
(``start``), so it overlaps the engine's start and the work before the first check, when the
client mostly waits on the engine. Every function that imports GE calls ``ready()`` first: while
GE is being imported in another thread its registry is only partly filled, and a lookup there
would fail ("expect_column_values_to_not_be_null not found").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_warming: threading.Thread | None = None
_guard = threading.Lock()


def start(build: Callable[[], object]) -> None:
    """Runs ``build`` (import GE, build the context) in a background thread, once per process.

    An error there is logged at debug level and left to the first real use to raise with its
    context (the check or suite that needed GE)."""
    global _warming
    with _guard:
        if _warming is not None:
            return

        def run() -> None:
            try:
                build()
            except Exception:  # noqa: BLE001 - re-raised by the first real use
                log.debug("warming up Great Expectations failed; its first use will raise", exc_info=True)

        _warming = threading.Thread(target=run, name="great-expectations-warm-up", daemon=True)
        _warming.start()


def ready() -> None:
    """Waits for a warm-up in progress (no-op without one, or inside it)."""
    thread = _warming
    if thread is not None and thread is not threading.current_thread():
        thread.join()
