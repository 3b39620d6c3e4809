"""The users of one app: lifecycle, registration, profile, devices and behaviour traits (static arrays)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from jobs.contract import DAY_MS
from jobs.generate import ids
from jobs.generate.devices import Devices, build_devices
from jobs.generate.vocab import (
    APP_VERSION_WEIGHTS,
    APP_VERSIONS,
    COUNTRIES,
    EMAIL_DOMAINS,
    NO_CITY_SHARE,
    NO_COUNTRY_SHARE,
    NO_PLATFORM_SHARE,
    PLATFORMS,
    REGISTER_METHOD_WEIGHTS,
    REGISTER_METHODS,
)

NEVER = 10**7  # a day number far beyond any date: "not deleted", "no end of activity"
# Lifecycle archetypes: share of users and chance to be active on a given day while active at all.
ARCHETYPES = ("daily", "weekly", "occasional", "fading", "churned", "never_active")
ARCHETYPE_SHARES = (0.12, 0.22, 0.20, 0.16, 0.18, 0.12)
DAILY_CHANCE = (0.80, 0.25, 0.07, 0.45, 0.0, 0.0)
GUEST_SHARE = 0.08
ACCEPT_MARKETING_SHARE = 0.6
DELETED_SHARE = 0.04  # of registered users; half of them before the first date
HISTORY_DAYS = 3 * 365  # registrations spread over this many days before the last date
RECENT_SHARE, RECENT_DAYS = 0.2, 90  # plus a share of recent ones (the app is growing)
UPGRADE_SHARE = 0.35  # users who move to the next app version at some date


@dataclass(frozen=True)
class Population:
    """Static per-user arrays of one app (index = user number); days are days since the epoch.

    Args:
        known_day: registration day, or the day a guest was first seen; in snapshots from then on.
            Sorted: users are numbered in the order they became known.
        register_time: epoch ms of registration (of first sight, for guests).
        active_until: first day with no more activity (``known_day`` for never-active users).
        delete_day: the day the account is deleted (``NEVER`` if it is not).
        daily_chance: chance of activity on a day between ``known_day`` and ``active_until``.
        platform, phone_model: indexes into ``PLATFORMS`` and ``phone_models()`` (-1: none).
        app_version, upgrade_day: version index, and the day it goes up by one.
        country, city: indexes into ``COUNTRIES`` and ``cities()`` (-1: none).
        register_method: index into ``REGISTER_METHODS`` (-1 for guests).
        email_domain: index into ``EMAIL_DOMAINS`` (-1: no email); has_phone: a phone number is set.
        traits: per-user behaviour rates used by ``behaviour.MODULES``.
    """

    app_id: str
    app_index: int
    seed: int
    uid: pa.Array
    is_guest: np.ndarray
    archetype: np.ndarray
    known_day: np.ndarray
    register_time: np.ndarray
    active_until: np.ndarray
    delete_day: np.ndarray
    daily_chance: np.ndarray
    platform: np.ndarray
    phone_model: np.ndarray
    app_version: np.ndarray
    upgrade_day: np.ndarray
    country: np.ndarray
    city: np.ndarray
    register_method: np.ndarray
    email_domain: np.ndarray
    has_phone: np.ndarray
    accept_marketing: np.ndarray
    devices: Devices
    traits: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(self.known_day)

    def known_by(self, day: int) -> int:
        """How many users are known by the end of ``day`` (they are users ``0 .. n-1``)."""
        return int(np.searchsorted(self.known_day, day, side="right"))


def phone_models() -> tuple[str, ...]:
    """Every phone model code, platform after platform."""
    return tuple(model for _, _, models in PLATFORMS for model in models)


def cities() -> tuple[tuple[str, str], ...]:
    """Every (English, Chinese) city name, country after country."""
    return tuple(city for country in COUNTRIES for city in country.cities)


def build_population(app_id: str, app_index: int, size: int, seed: int, start_day: int, end_day: int) -> Population:
    """Draws the users of one app.

    Args:
        app_id: the app (tenant) id.
        app_index: position of the app in the config (keeps ids and random streams apart).
        size: users of the app.
        seed: the generator seed.
        start_day, end_day: first and last date, as days since the epoch.

    Returns:
        The population; the same arguments always give the same population.
    """
    rng = np.random.default_rng([seed, app_index, 0])
    is_guest = rng.random(size) < GUEST_SHARE
    archetype = _pick(rng, ARCHETYPE_SHARES, size).astype(np.int8)
    known_day = _known_days(rng, archetype, start_day, end_day)
    register_time = known_day * DAY_MS + rng.integers(600_000, DAY_MS - 7_200_000, size=size)
    active_until = _active_until(rng, archetype, known_day, start_day, end_day)
    delete_day = _delete_days(rng, is_guest, known_day, start_day, end_day)
    active_until = np.minimum(active_until, delete_day)
    # Users are numbered in registration order (as a user table dumps them): the users known on
    # a date are then the first ones, and a snapshot is a slice of per-user text.
    order = np.argsort(known_day, kind="stable")
    is_guest, archetype, known_day, register_time, active_until, delete_day = (
        a[order] for a in (is_guest, archetype, known_day, register_time, active_until, delete_day))
    devices = build_devices(rng, seed, app_index, register_time, active_until, delete_day, end_day)

    platform, phone_model = _platforms(rng, size)
    app_version = _pick(rng, APP_VERSION_WEIGHTS, size).astype(np.int8)
    upgrades = (rng.random(size) < UPGRADE_SHARE) & (app_version < len(APP_VERSIONS) - 1)
    upgrade_day = np.where(upgrades, rng.integers(start_day, end_day + 31, size=size), NEVER)

    country = _pick(rng, [c.weight for c in COUNTRIES], size).astype(np.int8)
    country[rng.random(size) < NO_COUNTRY_SHARE] = -1
    city = _cities(rng, country)
    register_method = _register_methods(rng, country, is_guest)
    by_email = np.isin(register_method, [REGISTER_METHODS.index(m) for m in ("email", "google", "apple", "facebook")])
    has_email = ~is_guest & (by_email | (rng.random(size) < 0.3))
    email_domain = np.where(has_email, rng.integers(0, len(EMAIL_DOMAINS), size=size), -1).astype(np.int8)
    by_phone = np.isin(register_method, [REGISTER_METHODS.index(m) for m in ("phone", "wechat")])
    has_phone = ~is_guest & (country >= 0) & (by_phone | (rng.random(size) < 0.35))
    accept_marketing = rng.random(size) < np.where(is_guest, 0.4, ACCEPT_MARKETING_SHARE)

    return Population(
        app_id=app_id, app_index=app_index, seed=seed, uid=ids.user_ids(seed, app_index, size),
        is_guest=is_guest, archetype=archetype, known_day=known_day, register_time=register_time,
        active_until=active_until, delete_day=delete_day,
        daily_chance=np.array(DAILY_CHANCE, dtype=np.float32)[archetype],
        platform=platform, phone_model=phone_model, app_version=app_version, upgrade_day=upgrade_day,
        country=country, city=city, register_method=register_method, email_domain=email_domain,
        has_phone=has_phone, accept_marketing=accept_marketing, devices=devices,
        traits=_traits(rng, archetype, devices, size),
    )


def _pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _known_days(rng: np.random.Generator, archetype: np.ndarray, start_day: int, end_day: int) -> np.ndarray:
    size = len(archetype)
    horizon = max(HISTORY_DAYS, 2 * (end_day - start_day + 1))
    span = np.where(rng.random(size) < RECENT_SHARE, RECENT_DAYS, horizon)
    known_day = end_day - np.floor(rng.random(size) * span).astype(np.int64)
    # Churned users stopped more than 30 days before the first date, so they registered before that.
    churned = archetype == ARCHETYPES.index("churned")
    earliest = start_day - 60 - rng.integers(0, 300, size=size)
    return np.where(churned, np.minimum(known_day, earliest), known_day)


def _active_until(rng, archetype, known_day, start_day: int, end_day: int) -> np.ndarray:
    size = len(archetype)
    until = np.full(size, NEVER, dtype=np.int64)
    fading = archetype == ARCHETYPES.index("fading")
    stop = rng.integers(start_day - 10, end_day + 2, size=size)
    until[fading] = np.maximum(stop, known_day + 1)[fading]
    churned = archetype == ARCHETYPES.index("churned")
    last = known_day + 1 + np.floor(rng.random(size) * (start_day - 30 - known_day - 1)).astype(np.int64)
    until[churned] = last[churned]
    never = archetype == ARCHETYPES.index("never_active")
    until[never] = known_day[never]
    return until


def _delete_days(rng, is_guest, known_day, start_day: int, end_day: int) -> np.ndarray:
    size = len(known_day)
    deleted = ~is_guest & (rng.random(size) < DELETED_SHARE) & (known_day < end_day)
    before = (rng.random(size) < 0.5) & (known_day + 1 < start_day)
    low = np.where(before, known_day + 1, np.maximum(known_day + 1, start_day))
    high = np.where(before, start_day, end_day + 1)  # exclusive
    day = low + np.floor(rng.random(size) * (high - low)).astype(np.int64)
    return np.where(deleted, day, NEVER)


def _platforms(rng, size: int) -> tuple[np.ndarray, np.ndarray]:
    platform = _pick(rng, [p[1] for p in PLATFORMS], size).astype(np.int8)
    counts = np.array([len(p[2]) for p in PLATFORMS])
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = np.floor(rng.random(size) * np.maximum(counts[platform], 1)).astype(np.int64)
    phone_model = np.where(counts[platform] > 0, first[platform] + pick, -1).astype(np.int16)
    none = rng.random(size) < NO_PLATFORM_SHARE
    platform[none] = -1
    phone_model[none] = -1
    return platform, phone_model


def _cities(rng, country: np.ndarray) -> np.ndarray:
    counts = np.array([len(c.cities) for c in COUNTRIES])
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    safe = np.maximum(country, 0)
    city = first[safe] + np.floor(rng.random(len(country)) * counts[safe]).astype(np.int64)
    city[(country < 0) | (rng.random(len(country)) < NO_CITY_SHARE)] = -1
    return city.astype(np.int16)


def _register_methods(rng, country: np.ndarray, is_guest: np.ndarray) -> np.ndarray:
    east = np.array([c.east_asian_login for c in COUNTRIES])[np.maximum(country, 0)] & (country >= 0)
    method = np.empty(len(country), dtype=np.int8)
    for flag in (True, False):
        rows = east == flag
        method[rows] = _pick(rng, REGISTER_METHOD_WEIGHTS[flag], int(rows.sum()))
    method[is_guest] = -1
    return method


def _traits(rng, archetype: np.ndarray, devices: Devices, size: int) -> dict[str, np.ndarray]:
    """Per-user rates named in ``behaviour.MODULES`` (chance of a module per active day, repeats)."""
    owned = devices.count(size)
    has_device = (owned > 0).astype(np.float32)
    speaker = devices.has_category(size, "speaker")
    panel = devices.has_category(size, "panel")
    ipc = devices.has_category(size, "ipc")
    struggling = rng.random(size) < 0.06  # pairing mostly fails for them
    complainer = rng.random(size) < np.array([0.12, 0.07, 0.02, 0.03, 0.0, 0.0])[archetype]
    shopper = rng.random(size) < 0.25
    f32 = np.float32
    return {
        "has_device": has_device,
        "card_repeats": (np.minimum(owned, 6) * 0.6).astype(f32),
        "device_care": (0.06 * has_device).astype(f32),
        "voice": np.where(speaker, 0.7, 0.1 * has_device).astype(f32),
        "voice_repeats": np.where(speaker, 1.2, 0.3).astype(f32),
        "panel": np.where(panel, 0.8, 0.3 * has_device).astype(f32),
        "panel_repeats": np.where(panel, 1.5, 0.4).astype(f32),
        "pairing_trouble": np.where(struggling, 0.35, 0.025).astype(f32),
        "pairing_retries": np.where(struggling, 1.0, 0.2).astype(f32),
        "smart": (0.08 + 0.1 * (owned >= 4)).astype(f32),
        "support": np.where(complainer, 0.6, 0.02).astype(f32),
        "feedback": np.where(complainer, 0.7, 0.4).astype(f32),
        "mall": np.where(shopper, 0.3, 0.03).astype(f32),
        "coupon": np.where(shopper, 0.08, 0.02).astype(f32),
        "vas": np.where(ipc, 0.015, 0.002).astype(f32),
        "ipc": ipc,
    }
