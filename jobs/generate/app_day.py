"""One app, one date: its event lines (with faults, late arrivals, re-deliveries) and its user snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from jobs.generate import ids
from jobs.generate.activity import day_events
from jobs.generate.config import USER_FAULT_TYPES, GeneratorConfig
from jobs.generate.event_lines import EventTexts, event_lines
from jobs.generate.faults import LINE_FAULTS, faulty_event_lines, faulty_user_lines, plan_event_faults
from jobs.generate.jsonl import lookup
from jobs.generate.population import build_population
from jobs.generate.state import advance, initial_state
from jobs.generate.text import concat
from jobs.generate.user_lines import SnapshotTexts, snapshot_lines, user_fields

# Random streams per (seed, app, purpose, date): a date's data never depends on how others were drawn.
EVENTS, STATE, EVENT_FAULTS, USER_FAULTS = 1, 3, 4, 5


@dataclass(frozen=True)
class EventsOut:
    """Event lines of one app and event date.

    Args:
        lines: valid lines arriving on the event date, in time order.
        ts: the event time of each of them.
        faulty: faulty lines (arriving on the event date), each to be written after
            ``faulty_after[i]`` of ``lines``.
        later: ``(fault, arrival day, lines)`` of late events and re-deliveries (which may arrive
            on the event date too).
        injected: faulty lines per fault type.
    """

    lines: pa.Array
    ts: np.ndarray
    faulty: pa.Array
    faulty_after: np.ndarray
    later: list[tuple[str, int, pa.Array]]
    injected: dict[str, int]


@dataclass(frozen=True)
class SnapshotOut:
    """The user snapshot of one app and date: valid lines, plus faulty extra lines each to be
    written after ``after[i]`` valid lines."""

    lines: pa.Array
    extras: pa.Array
    after: np.ndarray
    injected: dict[str, int]


class AppDay:
    """Generates one app date by date (dates must come in order: the snapshot state follows events)."""

    def __init__(self, config: GeneratorConfig, index: int, start_day: int, end_day: int) -> None:
        self.config, self.index, self.end_day = config, index, end_day
        self.pop = build_population(config.apps[index], index, config.users, config.seed, start_day, end_day)
        self.event_texts = EventTexts(self.pop)
        self.snapshot_texts = SnapshotTexts(self.pop)
        self.state = initial_state(self.pop, start_day)

    def _rng(self, purpose: int, day: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, self.index, purpose, day])

    def events(self, day: int) -> EventsOut:
        """The events of ``day`` (and the snapshot state moved to the end of it)."""
        ev = day_events(self.pop, day, self._rng(EVENTS, day))
        advance(self.state, self.pop, ev, self._rng(STATE, day))
        ev = ev.take(np.argsort(ev.ts))
        words = ids.event_words(self.config.seed, self.index, day, np.arange(len(ev)))
        rng = self._rng(EVENT_FAULTS, day)
        plan = plan_event_faults(len(ev), day, self.end_day, self.config.faults, rng)

        special = np.zeros(len(ev), dtype=bool)
        special[plan.late_rows] = True
        faulty, faulty_rows = [], []
        for name in LINE_FAULTS:
            rows = plan.rows[name]
            if len(rows):
                special[rows] = True
                faulty.append(faulty_event_lines(self.event_texts, ev, words, name, rows, rng))
                faulty_rows.append(rows)
        valid = np.flatnonzero(~special)
        lines = event_lines(self.event_texts, ev.take(valid), [w[valid] for w in words])
        rows = np.concatenate(faulty_rows) if faulty_rows else np.zeros(0, np.int64)
        order = np.argsort(rows, kind="stable")

        late = ev.take(plan.late_rows)
        late_lines = event_lines(self.event_texts, late, [w[plan.late_rows] for w in words])
        copies = lookup(lines, np.searchsorted(valid, plan.duplicate_rows))  # byte-identical re-deliveries
        later = []
        for fault, text, arrival in (("late", late_lines, plan.late_arrival), ("duplicate", copies, plan.duplicate_arrival)):
            for when in np.unique(arrival):
                later.append((fault, int(when), lookup(text, np.flatnonzero(arrival == when))))
        return EventsOut(lines, ev.ts[valid], concat(faulty).take(pa.array(order)) if faulty else concat([]),
                         np.searchsorted(valid, rows[order]), later, {name: len(plan.rows[name]) for name in LINE_FAULTS})

    def snapshot(self, day: int) -> SnapshotOut:
        """The snapshot of ``day``, with faulty extra lines at the configured rates."""
        lines = snapshot_lines(self.snapshot_texts, self.state, day)  # line i is user i
        rng = self._rng(USER_FAULTS, day)
        extras, after, injected = [], [], {}
        for name in USER_FAULT_TYPES:
            count = int(rng.binomial(len(lines), getattr(self.config.faults, name))) if len(lines) else 0
            injected[name] = count
            if count:
                users = np.sort(rng.integers(0, len(lines), size=count))
                fields = user_fields(self.snapshot_texts, self.state, day, users)
                extras.append(faulty_user_lines(fields, users, name, rng))
                after.append(users + 1)
        after_all = np.concatenate(after) if after else np.zeros(0, np.int64)
        order = np.argsort(after_all, kind="stable")
        return SnapshotOut(lines, lookup(concat(extras), order) if extras else concat([]), after_all[order], injected)
