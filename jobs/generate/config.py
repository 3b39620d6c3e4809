"""What to generate (users, days, apps, seed, fault rates) and what was generated (the report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

FAULT_TYPES = ("duplicate", "late", "malformed", "unknown_event", "wrong_type", "missing_field", "out_of_range")
USER_FAULT_TYPES = ("malformed", "wrong_type", "missing_field")  # the only faults of user snapshot lines
FEEDS = ("events", "users")
DEFAULT_END = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class FaultRates:
    """Fractions of event lines carrying each fault (user lines: malformed, missing_field and
    wrong_type only). Every faulty line carries exactly one fault; see docs/generator.md.

    Args:
        duplicate: valid events delivered again (same bytes) on the same or a later arrival date,
            at most 3 days after the event date, possibly in another file.
        late: valid events arriving 1-3 days after their event date (accepted by ingestion).
        malformed: lines that are not valid JSON (truncated, or garbage).
        unknown_event: event codes that are not in the catalog.
        wrong_type: one field of the wrong JSON type.
        missing_field: one required field absent.
        out_of_range: ``ts`` more than 3 days before the arrival date, or after its end.
    """

    duplicate: float = 0.01
    late: float = 0.02
    malformed: float = 0.001
    unknown_event: float = 0.001
    wrong_type: float = 0.001
    missing_field: float = 0.001
    out_of_range: float = 0.0005

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {f.name} must be within [0, 1], got {value}")
        if sum(getattr(self, f.name) for f in fields(self)) > 0.5:
            raise ValueError("fault rates add up to more than 0.5 of the lines")

    @classmethod
    def none(cls) -> "FaultRates":
        """No faults: every line is valid and delivered once, on its event date."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


@dataclass(frozen=True)
class GeneratorConfig:
    """A sample data set: ``users`` users per app over the ``days`` days ending at ``end``.

    Args:
        users: users per app (registered, guests and deleted; not all active).
        days: arrival dates written, ending at ``end`` inclusive.
        end: the last date.
        apps: app ids (tenants); each gets its own population.
        seed: the same config and seed write byte-identical files.
        faults: fault rates.
        compress: write ``.jsonl.gz`` instead of ``.jsonl``.
        files_per_day: event files per arrival date (user snapshots are one file per date).
    """

    users: int = 2000
    days: int = 14
    end: dt.date = DEFAULT_END
    apps: tuple[str, ...] = ("smartlife",)
    seed: int = 7
    faults: FaultRates = FaultRates()
    compress: bool = False
    files_per_day: int = 1

    def __post_init__(self) -> None:
        if self.users < 1 or self.days < 1 or self.files_per_day < 1:
            raise ValueError("users, days and files_per_day must be at least 1")
        if self.users > 10_000_000:
            raise ValueError("at most 10,000,000 users per app (phone numbers are unique up to that size)")
        if not self.apps or len(set(self.apps)) != len(self.apps) or not all(self.apps):
            raise ValueError(f"apps must be distinct non-empty ids, got {self.apps!r}")
        if any('"' in a or "\\" in a or not a.isprintable() for a in self.apps):
            raise ValueError(f"app ids must be printable without quotes or backslashes, got {self.apps!r}")
        if len(self.apps) > 255:
            raise ValueError("at most 255 apps")

    @property
    def start(self) -> dt.date:
        """The first arrival date."""
        return self.end - dt.timedelta(days=self.days - 1)

    def as_dict(self) -> dict:
        """Plain JSON-ready values (dates as ISO text, apps as a list)."""
        values = asdict(self)
        values.update(end=self.end.isoformat(), apps=list(self.apps))
        return values


def empty_counts(feed: str) -> dict[str, int]:
    """Every fault type of a feed, at zero."""
    del feed  # both feeds list every type, so readers never miss a key
    return {name: 0 for name in FAULT_TYPES}


@dataclass(frozen=True)
class GenerationReport:
    """What ``generate`` wrote; also stored as ``<root>/landing/_generator_manifest.json``.

    Args:
        config: the config, as plain values.
        event_lines, user_lines: lines written (faulty ones and re-deliveries included).
        injected: feed (``events``/``users``) -> fault type -> lines carrying it.
        per_date: arrival date -> ``{"event_lines", "user_lines", "injected": {feed: {fault: n}}}``.
        seconds: wall time.
    """

    config: dict
    event_lines: int
    user_lines: int
    injected: dict[str, dict[str, int]]
    per_date: dict[str, dict]
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)
