"""Identifiers that look random but are unique by construction: a bijective 64-bit mix of a key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from jobs.generate.text import hex_text, join

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = 0x9E3779B97F4A7C15


def mix64(keys: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on uint64, so distinct keys give distinct words."""
    x = np.asarray(keys, dtype=np.uint64).copy()
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def salt(seed: int, purpose: int) -> np.uint64:
    """A seed-dependent word xored into keys, so another seed gives other identifiers."""
    return mix64(np.array([(seed * _GOLDEN + purpose) % 2**64], dtype=np.uint64))[0]


def user_ids(seed: int, app_index: int, n: int) -> pa.Array:
    """``uid`` of users 0..n-1 of an app: 16 hex characters, unique per (seed, app)."""
    keys = (np.uint64(app_index) << np.uint64(40)) | np.arange(n, dtype=np.uint64)
    return hex_text([mix64(keys ^ salt(seed, 1))])


def device_ids(seed: int, app_index: int, n: int) -> pa.Array:
    """``device_id`` of devices 0..n-1 of an app: ``d`` and 19 hex characters."""
    keys = (np.uint64(app_index) << np.uint64(40)) | np.arange(n, dtype=np.uint64)
    words = mix64(keys ^ salt(seed, 2))
    tail = mix64(words ^ salt(seed, 3))  # 3 more hex digits after the unique 16
    return join("d", hex_text([words, tail], width=19))


def event_words(seed: int, app_index: int, day: int, rows: np.ndarray) -> list[np.ndarray]:
    """The two 64-bit words of the ids of events ``rows`` of one app and event date; the first
    is a bijection of (app, date, row), so ids are unique across apps, dates and rows."""
    keys = (np.uint64(app_index) << np.uint64(56)) | (np.uint64(day) << np.uint64(36)) | np.asarray(rows, dtype=np.uint64)
    first = mix64(keys ^ salt(seed, 4))
    return [first, mix64(first ^ salt(seed, 5))]


def event_ids(words: list[np.ndarray]) -> pa.Array:
    """``event_id`` text: 32 hex characters."""
    return hex_text(words)
