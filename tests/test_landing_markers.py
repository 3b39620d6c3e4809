"""The landing markers (local and S3 through moto) and the trigger that waits for them."""

from __future__ import annotations

import asyncio
import datetime as dt

from jobs.markers import missing_markers, missing_message, write_markers
from jobs.triggers import LandingMarkersTrigger
from test_bronze_s3 import BUCKET, s3  # noqa: F401 - the moto S3 fixture

DAY = "2026-06-30"


def test_missing_markers_name_the_feeds_in_order(tmp_path):
    root = str(tmp_path)
    assert missing_markers(root, DAY) == ["events", "users"]
    (tmp_path / "landing" / "users" / f"dt={DAY}").mkdir(parents=True)
    (tmp_path / "landing" / "users" / f"dt={DAY}" / "_SUCCESS").mkdir()  # a folder is no marker
    assert missing_markers(root, DAY) == ["events", "users"]
    write_markers(root, [DAY], feeds=["events"])
    assert missing_markers(root, dt.date(2026, 6, 30)) == ["users"]
    assert (tmp_path / "landing" / "events" / f"dt={DAY}" / "_SUCCESS").read_bytes() == b""


def test_markers_on_s3(s3):  # noqa: F811
    root = f"s3://{BUCKET}/lake"
    assert missing_markers(root, DAY) == ["events", "users"]
    write_markers(root, [DAY])
    assert missing_markers(root, DAY) == []
    assert s3.get_object(Bucket=BUCKET, Key=f"lake/landing/users/dt={DAY}/_SUCCESS")["Body"].read() == b""


def test_the_timeout_message_names_every_missing_feed():
    assert missing_message(DAY, ["users"], 21600.4) == (
        "landing of 2026-06-30 is not complete after 21600 s: no _SUCCESS marker for users "
        "(landing/users/dt=2026-06-30/_SUCCESS); nothing of 2026-06-30 was ingested")


def _first_event(trigger: LandingMarkersTrigger) -> dict:
    async def first():
        async for event in trigger.run():
            return event.payload
    return asyncio.run(asyncio.wait_for(first(), timeout=30))


def _trigger(root: str, seconds: float) -> LandingMarkersTrigger:
    now = dt.datetime.now(dt.timezone.utc)
    return LandingMarkersTrigger(root, DAY, deadline=(now + dt.timedelta(seconds=seconds)).isoformat(),
                                 started=now.isoformat(), poke_seconds=0.2)


def test_the_trigger_fires_when_the_markers_appear(tmp_path):
    root = str(tmp_path)
    write_markers(root, [DAY], feeds=["users"])
    trigger = _trigger(root, 20)

    async def upstream_finishes_later():
        async def mark():
            await asyncio.sleep(1)
            write_markers(root, [DAY], feeds=["events"])
        marking = asyncio.create_task(mark())
        async for event in trigger.run():
            await marking
            return event.payload
    payload = asyncio.run(asyncio.wait_for(upstream_finishes_later(), timeout=30))
    assert payload == {"status": "complete", "ds": DAY}


def test_the_trigger_times_out_naming_the_missing_feed(tmp_path):
    write_markers(str(tmp_path), [DAY], feeds=["events"])
    payload = _first_event(_trigger(str(tmp_path), 0.5))
    assert payload["status"] == "timeout" and payload["missing"] == ["users"] and payload["ds"] == DAY
    assert 0.5 <= payload["waited_seconds"] < 10


def test_the_trigger_serializes_to_its_own_classpath(tmp_path):
    trigger = _trigger(str(tmp_path), 5)
    path, kwargs = trigger.serialize()
    assert path == "jobs.triggers.LandingMarkersTrigger"
    again = LandingMarkersTrigger(**kwargs)
    assert again.serialize() == (path, kwargs)
