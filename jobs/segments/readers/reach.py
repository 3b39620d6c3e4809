"""Reach per channel: how many members email, SMS and the app can reach, all after marketing consent."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

CHANNELS = ("email", "sms", "app")
# The labels reach reads: consent, and one label per channel (see channel_conditions).
REACH_LABELS = frozenset({"accept_marketing", "has_email", "has_phone", "active_days_30d"})


@dataclass(frozen=True)
class Reach:
    """Members reachable per channel, each among the members who accept marketing.

    Args:
        email: members with a non-empty email (label ``has_email``).
        sms: members with a non-empty phone (label ``has_phone``).
        app: members active in the last 30 days (``active_days_30d >= 1``): push, dialog,
            banner, splash screen and review request reach only users who open the app.
    """

    email: int
    sms: int
    app: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def channel_conditions() -> dict[str, Column]:
    """Channel -> the Column true for a user that channel reaches (consent included; never null)."""
    consent = F.coalesce(F.col("accept_marketing"), F.lit(False))
    return {
        "email": consent & F.coalesce(F.col("has_email"), F.lit(False)),
        "sms": consent & F.coalesce(F.col("has_phone"), F.lit(False)),
        "app": consent & (F.coalesce(F.col("active_days_30d"), F.lit(0)) >= F.lit(1)),
    }


def reach_aggregates(member: Column, prefix: str) -> list[Column]:
    """Aggregates counting the rows where ``member`` holds, per channel: ``<prefix>_email`` ..."""
    return [F.count(F.when(member & reaches, 1)).alias(f"{prefix}_{channel}")
            for channel, reaches in channel_conditions().items()]


def reach_of(row: dict, prefix: str) -> Reach:
    """The Reach read back from an aggregate row made with :func:`reach_aggregates`."""
    return Reach(*(int(row.get(f"{prefix}_{channel}") or 0) for channel in CHANNELS))


def add_reach(parts: list[Reach]) -> Reach:
    """Reach summed over apps (a predefined segment applies to every app)."""
    return Reach(*(sum(getattr(r, c) for r in parts) for c in CHANNELS))


def format_reach(reach: Reach) -> str:
    """``reach: email 12, sms 30, app 25 (after marketing consent)``."""
    return f"reach: email {reach.email}, sms {reach.sms}, app {reach.app} (after marketing consent)"
