"""An Airflow trigger that waits, on the triggerer (no worker slot held), for a day's landing markers."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence

from airflow.triggers.base import BaseTrigger, TriggerEvent

from jobs.markers import FEEDS, missing_markers

log = logging.getLogger(__name__)


class LandingMarkersTrigger(BaseTrigger):
    """Fires once every feed's ``dt=ds`` folder holds ``_SUCCESS``, or when ``deadline`` passes.

    Events: ``{"status": "complete", "ds": ...}`` or
    ``{"status": "timeout", "ds": ..., "missing": [feed, ...], "waited_seconds": s}``.

    Args:
        root: the lakehouse root (local folder or ``s3://``); the triggerer needs the same AWS
            environment as the workers.
        ds: the arrival date waited for (YYYY-MM-DD).
        deadline: ISO time (UTC) after which the wait gives up.
        started: ISO time (UTC) the wait began (for the message).
        poke_seconds: seconds between two looks.
    """

    def __init__(self, root: str, ds: str, deadline: str, started: str, poke_seconds: float = 60.0,
                 feeds: Sequence[str] = FEEDS) -> None:
        super().__init__()
        self.root, self.ds, self.deadline, self.started = root, ds, deadline, started
        self.poke_seconds, self.feeds = float(poke_seconds), list(feeds)

    def serialize(self) -> tuple[str, dict]:
        return ("jobs.triggers.LandingMarkersTrigger", {
            "root": self.root, "ds": self.ds, "deadline": self.deadline, "started": self.started,
            "poke_seconds": self.poke_seconds, "feeds": self.feeds,
        })

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = dt.datetime.fromisoformat(self.deadline)
        missing = list(self.feeds)
        while True:
            try:  # a listing runs in a thread: an S3 request must not block the triggerer's loop
                missing = await asyncio.to_thread(missing_markers, self.root, self.ds, self.feeds)
            except Exception as error:  # noqa: BLE001 - an unreachable store is looked at again later
                log.warning("landing of %s: cannot look for markers yet (%s)", self.ds, type(error).__name__)
            if not missing:
                yield TriggerEvent({"status": "complete", "ds": self.ds})
                return
            now = dt.datetime.now(dt.timezone.utc)
            if now >= deadline:
                waited = (now - dt.datetime.fromisoformat(self.started)).total_seconds()
                yield TriggerEvent({"status": "timeout", "ds": self.ds, "missing": missing,
                                    "waited_seconds": waited})
                return
            log.info("landing of %s: waiting for the _SUCCESS marker of %s", self.ds, ", ".join(missing))
            await asyncio.sleep(min(self.poke_seconds, max((deadline - now).total_seconds(), 0.1)))
