"""The devices of a population: how many each user has, their categories, relation and bind time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from jobs.contract import DAY_MS
from jobs.generate import ids
from jobs.generate.text import choose, int_text, join
from jobs.generate.vocab import DEVICE_CATEGORIES, DEVICE_CATEGORY_WEIGHTS, SHARED_DEVICE_SHARE

BIND_HORIZON_DAYS = 30  # devices may be bound up to this long after the last date (not yet in any snapshot)
# Devices per user: (share of users, fewest, most); user_distribution none/elementary/intermediate/advanced.
DEVICE_COUNT_MIX = ((0.28, 0, 0), (0.45, 1, 3), (0.22, 4, 9), (0.05, 10, 24))
OWNER, SHARED = 0, 1


@dataclass(frozen=True)
class Devices:
    """Devices of one app, sorted by user then bind time.

    Args:
        user: index of the user the device is bound to.
        category: index into ``DEVICE_CATEGORIES``.
        relation: ``OWNER`` or ``SHARED``.
        bind_time: epoch ms; a device is in the snapshots from the date of its bind time on.
        text: the device's JSON object as it appears in a snapshot's ``devices`` list, after a
            comma unless it is the user's first device.
    """

    user: np.ndarray
    category: np.ndarray
    relation: np.ndarray
    bind_time: np.ndarray
    text: pa.Array

    @property
    def bind_day(self) -> np.ndarray:
        return self.bind_time // DAY_MS

    @cached_property
    def user_bind_day(self) -> np.ndarray:
        """``user * 2**32 + bind day``: sorted, to find a user's devices bound by a date."""
        return self.user.astype(np.int64) * 2**32 + self.bind_day

    def has_category(self, size: int, name: str) -> np.ndarray:
        """Per user: any device of that category, ever (including binds after the last date)."""
        hit = self.category == DEVICE_CATEGORIES.index(name)
        return np.bincount(self.user[hit], minlength=size) > 0

    def count(self, size: int) -> np.ndarray:
        """Per user: devices ever bound."""
        return np.bincount(self.user, minlength=size)


def build_devices(
    rng: np.random.Generator,
    seed: int,
    app_index: int,
    register_time: np.ndarray,
    active_until: np.ndarray,
    gone_day: np.ndarray,
    end_day: int,
) -> Devices:
    """Draws every user's devices.

    Owned devices are bound while the user is active (the pairing shows up as events), shared
    ones at any time after registration; none after the account is deleted.

    Args:
        rng: the population's random generator.
        seed, app_index: make device ids unique per app and seed.
        register_time: per user, epoch ms of registration (first seen, for guests).
        active_until: per user, the first day without activity (exclusive bound).
        gone_day: per user, the deletion day (a large number if never deleted).
        end_day: the last date, as days since the epoch.

    Returns:
        The devices, sorted by user and bind time.
    """
    size = len(register_time)
    shares = np.array([m[0] for m in DEVICE_COUNT_MIX])
    bucket = rng.choice(len(DEVICE_COUNT_MIX), size=size, p=shares / shares.sum())
    low = np.array([m[1] for m in DEVICE_COUNT_MIX])[bucket]
    high = np.array([m[2] for m in DEVICE_COUNT_MIX])[bucket]
    per_user = rng.integers(low, high + 1)
    user = np.repeat(np.arange(size, dtype=np.int32), per_user)
    n = len(user)
    weights = np.array(DEVICE_CATEGORY_WEIGHTS)
    category = rng.choice(len(DEVICE_CATEGORIES), size=n, p=weights / weights.sum()).astype(np.int8)
    relation = (rng.random(n) < SHARED_DEVICE_SHARE).astype(np.int8)

    first_day = register_time[user] // DAY_MS
    last_day = np.where(relation == OWNER, active_until[user], end_day + BIND_HORIZON_DAYS)  # exclusive
    last_day = np.minimum(last_day, np.minimum(gone_day[user], end_day + BIND_HORIZON_DAYS))
    keep = last_day > first_day
    user, category, relation, first_day, last_day = (a[keep] for a in (user, category, relation, first_day, last_day))
    n = len(user)
    day = first_day + np.floor(rng.random(n) * (last_day - first_day)).astype(np.int64)
    offset = rng.integers(300_000, DAY_MS - 300_000, size=n)  # keeps a pairing's taps on the same date
    bind_time = np.maximum(day * DAY_MS + offset, register_time[user] + 600_000)

    order = np.lexsort((bind_time, user))
    user, category, relation, bind_time = user[order], category[order], relation[order], bind_time[order]
    # A user's devices joined by commas are one run of text: every device but the first of its
    # user starts with the comma.
    first = np.r_[True, user[1:] != user[:-1]] if n else np.zeros(0, bool)
    text = join(
        choose(("", ","), (~first).astype(np.int8)), '{"device_id":"', ids.device_ids(seed, app_index, n), '","category":"', choose(DEVICE_CATEGORIES, category),
        '","relation":"', choose(("owner", "shared"), relation), '","bind_time":', int_text(bind_time), "}",
    )
    return Devices(user, category, relation, bind_time, text)
