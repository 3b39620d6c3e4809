"""The generator run: every app, date after date, into landing files, with an exact fault ledger."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from jobs.contract import day_date, epoch_day
from jobs.generate.app_day import AppDay, EventsOut, SnapshotOut
from jobs.generate.config import FAULT_TYPES, FEEDS, GenerationReport, GeneratorConfig
from jobs.generate.jsonl import lookup
from jobs.generate.text import concat, file_bytes
from jobs.generate.writer import LandingWriter
from jobs.markers import write_markers

FILES = 9  # random stream purpose: which file a late or re-delivered line lands in

Progress = Callable[[str, int, int], None]


def generate(config: GeneratorConfig, root: str, progress: Progress | None = None) -> GenerationReport:
    """Writes ``<root>/landing/{events,users}/dt=YYYY-MM-DD/part-NNNNN.jsonl[.gz]`` for every date
    of the config, replacing any earlier run's dates, and the manifest.

    Args:
        config: what to generate.
        root: the lakehouse root, a local folder or ``s3://bucket/prefix``.
        progress: called as ``progress(stage, done, total)``: stage ``population`` once per app,
            then ``days`` once per date written.

    Returns:
        The report (also in ``<root>/landing/_generator_manifest.json``).
    """
    started = time.perf_counter()
    tell = progress or (lambda stage, done, total: None)
    start_day, end_day = epoch_day(config.start), epoch_day(config.end)
    ledger = Ledger(config)
    writer = LandingWriter(root, config.compress)
    try:
        writer.clear()
        apps = []
        for index in range(len(config.apps)):
            apps.append(AppDay(config, index, start_day, end_day))
            tell("population", index + 1, len(config.apps))
        arriving: dict[int, list[pa.Array]] = defaultdict(list)
        for number, day in enumerate(range(start_day, end_day + 1), start=1):
            date = day_date(day).isoformat()
            events, snapshots = [], []
            for app in apps:
                out = app.events(day)
                events.append(out)
                ledger.add(date, "events", out.injected)
                for fault, arrival, lines in out.later:
                    arriving[arrival].append(lines)
                    ledger.add(day_date(arrival).isoformat(), "events", {fault: len(lines)})
                snapshot = app.snapshot(day)
                snapshots.append(snapshot)
                ledger.add(date, "users", snapshot.injected)
            today = arriving.pop(day, [])
            files = event_files(events, today, config.files_per_day, np.random.default_rng([config.seed, FILES, day]))
            ledger.lines(date, sum(len(e.lines) + len(e.faulty) for e in events) + sum(len(a) for a in today),
                         sum(len(s.lines) + len(s.extras) for s in snapshots))
            writer.write_day("events", date, files)
            writer.write_day("users", date, [user_file(snapshots)])
            tell("days", number, config.days)
        writer.wait()
        # Only now is every file of every date written: the upstream's completeness markers.
        write_markers(root, [day_date(d).isoformat() for d in range(start_day, end_day + 1)])
        report = ledger.report(time.perf_counter() - started)
        writer.write_manifest(report.as_dict())
        return report
    finally:
        writer.close()


def event_files(events: list[EventsOut], arriving: list[pa.Array], files: int,
                rng: np.random.Generator) -> list[list[pa.Buffer]]:
    """Splits a date's event lines into files: the apps' lines merged in time order and cut into
    consecutive runs (like hourly uploads), faulty lines where they were made, then late and
    re-delivered lines, each at the end of a random file.

    Returns:
        Per file, its byte chunks.
    """
    if len(events) == 1:
        main, faulty, after = events[0].lines, events[0].faulty, events[0].faulty_after
    else:
        main, faulty, after = _merge_apps(events)
    extra = concat(arriving)
    target = rng.integers(0, files, size=len(extra))
    bounds = np.array([len(main) * k // files for k in range(files + 1)])
    home = np.clip(np.searchsorted(bounds[1:], after, side="left"), 0, files - 1)  # file of each faulty line
    out = []
    for k in range(files):
        mine = np.flatnonzero(home == k)
        chunks = interleave(main.slice(bounds[k], bounds[k + 1] - bounds[k]), lookup(faulty, mine), after[mine] - bounds[k])
        out.append(chunks + [b for b in [file_bytes(lookup(extra, np.flatnonzero(target == k)))] if b.size])
    return out


def _merge_apps(events: list[EventsOut]) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """Several apps' lines in one time order; faulty lines keep their place after the same line."""
    order = np.argsort(np.concatenate([e.ts for e in events]), kind="stable")
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))  # merged position of each app's line
    afters, start = [], 0
    for e in events:
        if len(e.lines):
            previous = place[start + np.maximum(e.faulty_after, 1) - 1] + 1
            afters.append(np.where(e.faulty_after > 0, previous, place[start]))
        else:
            afters.append(np.zeros(len(e.faulty_after), dtype=np.int64))
        start += len(e.lines)
    after = np.concatenate(afters)
    ranked = np.argsort(after, kind="stable")
    return lookup(concat([e.lines for e in events]), order), lookup(concat([e.faulty for e in events]), ranked), after[ranked]


def interleave(lines: pa.Array, extras: pa.Array, after: np.ndarray) -> list[pa.Buffer]:
    """Byte chunks of ``lines`` with ``extras[i]`` placed after ``after[i]`` (sorted) of them."""
    chunks, start = [], 0
    for i, position in enumerate(after.tolist()):  # one step per extra line (a few in 1,000)
        chunks += [file_bytes(lines.slice(start, position - start)), file_bytes(extras.slice(i, 1))]
        start = position
    chunks.append(file_bytes(lines.slice(start)))
    return [c for c in chunks if c.size]


def user_file(snapshots: list[SnapshotOut]) -> list[pa.Buffer]:
    """The byte chunks of a date's snapshot file: apps one after the other, each faulty extra
    line right after the valid line it was copied from."""
    return [chunk for snap in snapshots for chunk in interleave(snap.lines, snap.extras, snap.after)]


class Ledger:
    """Lines written and faults injected, per arrival date and feed."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.per_date: dict[str, dict] = {}
        for offset in range(config.days):
            date = (config.start + dt.timedelta(days=offset)).isoformat()
            self.per_date[date] = {
                "event_lines": 0, "user_lines": 0,
                "injected": {feed: {fault: 0 for fault in FAULT_TYPES} for feed in FEEDS},
            }

    def add(self, date: str, feed: str, counts: dict[str, int]) -> None:
        for fault, count in counts.items():
            self.per_date[date]["injected"][feed][fault] += int(count)

    def lines(self, date: str, events: int, users: int) -> None:
        self.per_date[date]["event_lines"] = int(events)
        self.per_date[date]["user_lines"] = int(users)

    def report(self, seconds: float) -> GenerationReport:
        injected = {feed: {fault: sum(d["injected"][feed][fault] for d in self.per_date.values()) for fault in FAULT_TYPES}
                    for feed in FEEDS}
        return GenerationReport(
            config=self.config.as_dict(),
            event_lines=sum(d["event_lines"] for d in self.per_date.values()),
            user_lines=sum(d["user_lines"] for d in self.per_date.values()),
            injected=injected,
            per_date=self.per_date,
            seconds=round(seconds, 3),
        )
