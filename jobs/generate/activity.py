"""One app's events of one event date: who is active, what they do, when, and the props values."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from jobs.catalogs import event_catalog
from jobs.contract import DAY_MS
from jobs.generate.behaviour import MODULES, Module, Rate, session_order
from jobs.generate.devices import OWNER
from jobs.generate.population import Population
from jobs.generate.vocab import (
    DEVICE_CATEGORY_WEIGHTS,
    ISSUE_TYPE_WEIGHTS,
    REGISTER_METHODS,
    VAS_PRICES_CENTS,
    VAS_SERVICES,
)

WEEKEND_LIFT = 1.15
ANONYMOUS_SHARE = 0.002  # pre-login events with no uid, per known user and day
ANONYMOUS_EVENTS = ("page_view", "privacy_enter_app", "login_other_ways", "get_verification_code",
                    "verification_code_not_received")
STEP_MS = 20_000  # spacing of session ranks: a session lasts under half an hour


@cache
def codes() -> tuple[str, ...]:
    """The event codes in catalog order: a code's number in ``DayEvents.code`` is its index here
    (read on first use: nothing is loaded at import time)."""
    return tuple(event_catalog())


@cache
def code_index() -> dict[str, int]:
    """Event code -> its number in ``DayEvents.code``."""
    return {code: i for i, code in enumerate(codes())}


@cache
def _ranks() -> np.ndarray:
    """Event number -> its rank within a session."""
    ranks = np.zeros(len(codes()), dtype=np.int64)
    for code, rank in session_order().items():
        ranks[code_index()[code]] = rank
    return ranks


@dataclass(frozen=True)
class DayEvents:
    """Events of one app and event date, one row each (not sorted).

    Args:
        user: the acting user (for anonymous rows, the user whose phone sent them).
        anonymous: ``uid`` is null (before login).
        code: index into ``codes()``.
        ts: epoch ms.
        success: ``pairing_end`` succeeded.
        detail: the row's dimension value index: device category (``pairing_end``), issue type
            (``feedback_submit``) or service (``vas_*``).
        items, cents: mall order items and amount; value-added service amount.
    """

    user: np.ndarray
    anonymous: np.ndarray
    code: np.ndarray
    ts: np.ndarray
    success: np.ndarray
    detail: np.ndarray
    items: np.ndarray
    cents: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, rows: np.ndarray) -> "DayEvents":
        """The given rows, in that order."""
        return DayEvents(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))


def day_events(pop: Population, day: int, rng: np.random.Generator) -> DayEvents:
    """Draws every event of one app with an event time on ``day`` (days since the epoch).

    Args:
        pop: the app's population.
        day: the event date.
        rng: the random generator of this app and date.

    Returns:
        The day's events.
    """
    registering = (pop.known_day == day) & ~pop.is_guest & (pop.active_until > day)
    chance = pop.daily_chance * (WEEKEND_LIFT if (day + 3) % 7 >= 5 else 1.0)  # day 0 was a Thursday
    alive = (pop.known_day <= day) & (day < pop.active_until)
    active = np.flatnonzero((alive & (rng.random(pop.size) < chance)) | registering)

    day_start = day * DAY_MS
    low = np.where(registering[active], pop.register_time[active] + 60_000, day_start)
    session_start = low + np.floor(rng.random(len(active)) * (day_start + DAY_MS - 3_600_000 - low)).astype(np.int64)
    parts = [_sessions(pop, active, session_start, rng), _registrations(pop, np.flatnonzero(registering)),
             _binds(pop, day), _anonymous(pop, day, rng)]
    return DayEvents(*(np.concatenate([getattr(p, f) for p in parts]) for f in DayEvents.__dataclass_fields__))


def _sessions(pop: Population, active: np.ndarray, session_start: np.ndarray, rng: np.random.Generator) -> DayEvents:
    positions, codes = [], []
    for module in MODULES:
        for code, pos, counts in _run_module(module, pop, active, rng):
            positions.append(np.repeat(pos, counts))
            codes.append(np.full(int(counts.sum()), code_index()[code], dtype=np.int16))
    pos = np.concatenate(positions) if positions else np.zeros(0, np.int64)
    code = np.concatenate(codes) if codes else np.zeros(0, np.int16)
    n = len(pos)
    ts = session_start[pos] + _ranks()[code] * STEP_MS + rng.integers(0, STEP_MS, size=n)
    user = active[pos]

    detail = np.full(n, -1, dtype=np.int16)
    for name, weights in (("pairing_end", DEVICE_CATEGORY_WEIGHTS), ("feedback_submit", ISSUE_TYPE_WEIGHTS)):
        rows = np.flatnonzero(code == code_index()[name])
        detail[rows] = _draw(rng, weights, len(rows))
    # One basket and one service per active user and day: placed and paid (completed) agree.
    basket_items = 1 + rng.poisson(0.6, size=len(active))
    unit_cents = np.round(np.exp(rng.normal(3.3, 0.8, size=len(active)))).astype(np.int64) * 100 + 99
    service = np.where(pop.traits["ipc"][active] & (rng.random(len(active)) < 0.85), 0,
                       1 + _draw(rng, (0.5, 0.35, 0.15), len(active)))
    prices = _vas_prices(service, rng.random(len(active)))
    items = np.zeros(n, dtype=np.int16)
    cents = np.zeros(n, dtype=np.int64)
    for name in ("mall_order_placed", "mall_order_paid"):
        rows = code == code_index()[name]
        items[rows] = basket_items[pos[rows]]
        cents[rows] = basket_items[pos[rows]] * unit_cents[pos[rows]]
    for name in ("vas_order_placed", "vas_order_completed"):
        rows = code == code_index()[name]
        detail[rows] = service[pos[rows]]
        cents[rows] = prices[pos[rows]]
    return DayEvents(user.astype(np.int32), np.zeros(n, bool), code, ts, np.zeros(n, np.int8), detail, items, cents)


def _run_module(module: Module, pop: Population, active: np.ndarray, rng: np.random.Generator):
    """Yields ``(event code, positions in active, counts)`` of one module's steps."""
    gate = _rate(module.gate, pop, active)
    if np.isscalar(gate) and gate >= 1.0:
        pos = np.arange(len(active))
    else:
        pos = np.flatnonzero(rng.random(len(active)) < gate)
    users = active[pos]
    fired = {None: np.ones(len(pos), dtype=bool)}
    picks: dict[str, list] = {}
    for step in module.steps:
        parent = fired[step.after]
        chance = _rate(step.chance, pop, users)
        if step.pick is not None:  # exclusive options share one draw
            draw, low = picks.setdefault(step.pick, [rng.random(len(pos)), 0.0])
            fire = parent & (draw >= low) & (draw < low + chance)
            picks[step.pick][1] = low + chance
        else:
            fire = parent & (rng.random(len(pos)) < chance)
        fired[step.event] = fire
        counts = np.ones(int(fire.sum()), dtype=np.int64)
        repeats = _rate(step.repeats, pop, users)
        if not (np.isscalar(repeats) and repeats == 0):
            counts += rng.poisson(repeats if np.isscalar(repeats) else repeats[fire])
        yield step.event, pos[fire], counts


def _rate(rate: Rate, pop: Population, users: np.ndarray):
    return rate if isinstance(rate, float) else pop.traits[rate][users]


def _registrations(pop: Population, users: np.ndarray) -> DayEvents:
    """Sign-up flows: pre-login events without uid, then the first login (never-active users skip it)."""
    rt = pop.register_time[users]
    by_code = np.isin(pop.register_method[users], [REGISTER_METHODS.index(m) for m in ("phone", "email", "wechat")])
    by_phone = np.isin(pop.register_method[users], [REGISTER_METHODS.index(m) for m in ("phone", "wechat")])
    rows = [
        (users, True, "privacy_enter_app", rt - 180_000),
        (users, True, "page_view", rt - 150_000),
        (users[by_code], True, "get_verification_code", rt[by_code] - 120_000),
        (users[by_phone], False, "login_mobile", rt[by_phone] + 10_000),
        (users[~by_phone], False, "login_password_success", rt[~by_phone] + 10_000),
    ]
    return _fixed_rows(rows)


def _binds(pop: Population, day: int) -> DayEvents:
    """Successful pairings: every device a user binds as owner on ``day``."""
    devices = pop.devices
    rows = np.flatnonzero((devices.bind_day == day) & (devices.relation == OWNER))
    users, bt = devices.user[rows], devices.bind_time[rows]
    events = _fixed_rows([
        (users, False, "add_device_tap", bt - 60_000),
        (users, False, "pairing_start", bt - 40_000),
        (users, False, "pairing_end", bt),
    ])
    ends = events.code == code_index()["pairing_end"]
    events.success[ends] = 1
    events.detail[ends] = devices.category[rows]
    return events


def _anonymous(pop: Population, day: int, rng: np.random.Generator) -> DayEvents:
    """Pre-login traffic that never turns into a login (phones of known users, no uid)."""
    known = np.flatnonzero(pop.known_day <= day)
    n = rng.poisson(ANONYMOUS_SHARE * len(known)) if len(known) else 0
    users = known[rng.integers(0, len(known), size=n)] if n else np.zeros(0, np.int64)
    codes = np.array([code_index()[c] for c in ANONYMOUS_EVENTS], dtype=np.int16)[rng.integers(0, len(ANONYMOUS_EVENTS), size=n)]
    ts = day * DAY_MS + rng.integers(0, DAY_MS, size=n)
    return DayEvents(users.astype(np.int32), np.ones(n, bool), codes, ts, np.zeros(n, np.int8),
                     np.full(n, -1, np.int16), np.zeros(n, np.int16), np.zeros(n, np.int64))


def _fixed_rows(rows: list[tuple[np.ndarray, bool, str, np.ndarray]]) -> DayEvents:
    user = np.concatenate([r[0] for r in rows]).astype(np.int32)
    n = len(user)
    return DayEvents(
        user,
        np.concatenate([np.full(len(r[0]), r[1]) for r in rows]).astype(bool),
        np.concatenate([np.full(len(r[0]), code_index()[r[2]], dtype=np.int16) for r in rows]),
        np.concatenate([r[3] for r in rows]).astype(np.int64),
        np.zeros(n, np.int8), np.full(n, -1, np.int16), np.zeros(n, np.int16), np.zeros(n, np.int64),
    )


def _draw(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(weights), size=size, p=weights / weights.sum()).astype(np.int16)


def _vas_prices(service: np.ndarray, pick: np.ndarray) -> np.ndarray:
    cents = np.zeros(len(service), dtype=np.int64)
    for index, name in enumerate(VAS_SERVICES):
        prices = np.array(VAS_PRICES_CENTS[name], dtype=np.int64)
        rows = service == index
        cents[rows] = prices[np.minimum((pick[rows] * len(prices)).astype(np.int64), len(prices) - 1)]
    return cents
