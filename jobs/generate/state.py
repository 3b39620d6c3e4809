"""Snapshot fields that follow the events: mall counters and cloud storage, day after day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jobs.contract import DAY_MS
from jobs.generate.activity import DayEvents, code_index
from jobs.generate.population import Population
from jobs.generate.vocab import CLOUD_STORAGE_DAYS, VAS_SERVICES

NO_CLOUD_STORAGE = -1
_PLAN_CENTS = np.array(sorted(CLOUD_STORAGE_DAYS), dtype=np.int64)
_PLAN_DAYS = np.array([CLOUD_STORAGE_DAYS[c] for c in _PLAN_CENTS], dtype=np.int64)


@dataclass
class SnapshotState:
    """Per-user values of one app at the end of a day (mutable: advanced day by day).

    Args:
        cloud_expire: cloud storage expiry, epoch ms (``NO_CLOUD_STORAGE``: never purchased).
    """

    has_delivery_address: np.ndarray
    unused_coupons: np.ndarray
    cart_items: np.ndarray
    unpaid_orders: np.ndarray
    cloud_expire: np.ndarray
    cloud_renewed: np.ndarray


def initial_state(pop: Population, start_day: int) -> SnapshotState:
    """The state before the first date: what users did before the generated window."""
    rng = np.random.default_rng([pop.seed, pop.app_index, 2])
    n = pop.size
    shopper = pop.traits["mall"] > 0.1
    ipc = pop.traits["ipc"]
    bought = rng.random(n) < np.where(ipc, 0.35, 0.02)
    expire = start_day * DAY_MS + rng.integers(-200 * DAY_MS, 300 * DAY_MS, size=n)
    return SnapshotState(
        has_delivery_address=rng.random(n) < np.where(shopper, 0.8, 0.3),
        unused_coupons=rng.poisson(np.where(shopper, 1.5, 0.4)).astype(np.int64),
        cart_items=rng.poisson(np.where(shopper, 1.5, 0.2)).astype(np.int64),
        unpaid_orders=(rng.random(n) < np.where(shopper, 0.1, 0.01)).astype(np.int64),
        cloud_expire=np.where(bought, expire, NO_CLOUD_STORAGE),
        cloud_renewed=bought & (rng.random(n) < 0.4),
    )


def advance(state: SnapshotState, pop: Population, ev: DayEvents, rng: np.random.Generator) -> None:
    """Applies one day's events: coupons received and used, carts filled and ordered, orders
    placed, paid or cancelled, cloud storage bought or renewed."""
    n = pop.size
    known = ~ev.anonymous

    def per_user(code: str, weights: np.ndarray | None = None) -> np.ndarray:
        rows = known & (ev.code == code_index()[code])
        return np.bincount(ev.user[rows], weights=None if weights is None else weights[rows], minlength=n).astype(np.int64)

    placed, paid = per_user("mall_order_placed"), per_user("mall_order_paid")
    coupons = state.unused_coupons + per_user("coupon_received")
    coupons -= np.minimum(coupons, paid)
    expiring = (coupons > 0) & (rng.random(n) < 0.01)
    state.unused_coupons = coupons - expiring
    state.cart_items = np.maximum(state.cart_items + per_user("mall_add_cart") - per_user("mall_order_placed", ev.items), 0)
    unpaid = np.maximum(state.unpaid_orders + placed - paid, 0)
    cancelled = (unpaid > 0) & (rng.random(n) < 0.15)
    state.unpaid_orders = unpaid - cancelled
    state.has_delivery_address |= placed > 0

    rows = np.flatnonzero(known & (ev.code == code_index()["vas_order_completed"]) & (ev.detail == VAS_SERVICES.index("cloud_storage")))
    rows = rows[np.argsort(ev.ts[rows], kind="stable")]
    for batch in _unique_per_user(ev.user[rows]):  # one purchase per user at a time, in time order
        users, when = ev.user[rows[batch]], ev.ts[rows[batch]]
        days = _PLAN_DAYS[np.searchsorted(_PLAN_CENTS, ev.cents[rows[batch]])]
        current = state.cloud_expire[users]
        state.cloud_renewed[users] = current != NO_CLOUD_STORAGE
        state.cloud_expire[users] = np.maximum(current, when) + days * DAY_MS


def _unique_per_user(users: np.ndarray) -> list[np.ndarray]:
    """Splits positions into batches in which each user appears once (keeping the order)."""
    batches, rest = [], np.arange(len(users))
    while len(rest):
        _, first = np.unique(users[rest], return_index=True)
        take = np.sort(first)
        batches.append(rest[take])
        rest = np.delete(rest, take)
    return batches
