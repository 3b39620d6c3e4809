"""User snapshot lines: every user known on a date, with the fields of the raw input contract."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jobs.generate.jsonl import Choice, Field, lookup, pick, render, scatter
from jobs.generate.population import Population, cities
from jobs.generate.state import NO_CLOUD_STORAGE, SnapshotState
from jobs.generate.text import bool_text, choose, concat, epoch_ms_text, fixed_digits, int_text, join, quoted_or_null
from jobs.generate.vocab import COUNTRIES, EMAIL_DOMAINS, EMAIL_NAMES, REGISTER_METHODS

USER_TYPES = ("registered", "guest", "deleted")
_SMALL_INTS = pa.array([str(i) for i in range(4096)], pa.string())
_PHONE_STEP = 2_654_435_761  # ends in 1, so coprime with 10: a permutation of the national numbers


class SnapshotTexts:
    """Per-app text built once: the fields that never change, as one prefix per user. (Deleted
    accounts keep their contact data and consent in the snapshot: only ``user_type`` tells, as
    in a real user table, and the pipeline must honour it.)"""

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self.phone_rank = _rank_within(pop.country)
        self.prefix = render(static_fields(self, np.arange(pop.size)), closes="")


def static_fields(texts: SnapshotTexts, users: np.ndarray) -> list[Field]:
    """The fields that do not change from day to day."""
    pop = texts.pop
    guest = pop.is_guest[users]
    register_time = scatter("null", np.flatnonzero(~guest), epoch_ms_text(pop.register_time[users][~guest]), len(users))
    city = pop.city[users]
    return [
        Field("uid", lookup(pop.uid, users), quoted=True),
        Field("app_id", pop.app_id, quoted=True),
        Field("register_time", register_time),
        Field("register_method", quoted_or_null(choose(REGISTER_METHODS, pop.register_method[users]))),
        Field("country_code", quoted_or_null(choose(tuple(c.code for c in COUNTRIES), pop.country[users]))),
        Field("city_en", quoted_or_null(choose(tuple(c[0] for c in cities()), city))),
        Field("city_zh", quoted_or_null(choose(tuple(c[1] for c in cities()), city))),
        Field("email", _email(pop, users)),
        Field("phone", _phone(texts, users)),
        Field("accept_marketing", bool_text(pop.accept_marketing[users])),
    ]


def daily_fields(pop: Population, state: SnapshotState, day: int, users: np.ndarray | slice) -> list[Field]:
    """The fields that change: user type, devices bound by the end of ``day``, cloud storage, mall.

    Args:
        users: user numbers, or a slice of them (cheaper: no copies of the state).
    """
    numbers = np.arange(pop.size)[users]
    gone = pop.delete_day[users] <= day
    user_type = np.where(gone, 2, pop.is_guest[users].astype(np.int64))
    expire = state.cloud_expire[users]
    bought = np.flatnonzero(expire != NO_CLOUD_STORAGE)
    cloud = join('{"expire_time":', int_text(expire[bought]), ',"renewed":',
                 bool_text(state.cloud_renewed[users][bought]), "}")
    return [
        Field("user_type", pick(USER_TYPES, user_type), quoted=True),
        Field("devices", _device_lists(pop, day, numbers, gone), around="[]"),
        Field("cloud_storage", scatter("null", bought, cloud, len(numbers))),
        Field("mall", [
            Field("has_delivery_address", pick(("false", "true"), state.has_delivery_address[users])),
            Field("unused_coupons", _count_text(state.unused_coupons[users])),
            Field("cart_items", _count_text(state.cart_items[users])),
            Field("unpaid_orders", _count_text(state.unpaid_orders[users])),
        ]),
    ]


def user_fields(texts: SnapshotTexts, state: SnapshotState, day: int, users: np.ndarray) -> list[Field]:
    """Every field of the snapshot lines of ``users`` on ``day`` (any users, in any order)."""
    return static_fields(texts, users) + daily_fields(texts.pop, state, day, users)


def snapshot_lines(texts: SnapshotTexts, state: SnapshotState, day: int) -> pa.Array:
    """The lines of every user known by the end of ``day`` (users ``0 .. n-1``, in that order)."""
    known = texts.pop.known_by(day)
    prefix = texts.prefix.slice(0, known)
    return render([Field(None, prefix), *daily_fields(texts.pop, state, day, slice(0, known))], opens=False)


def _device_lists(pop: Population, day: int, users: np.ndarray, gone: np.ndarray) -> pa.Array:
    """Per user, the devices bound by the end of ``day`` as the items of a JSON list."""
    devices = pop.devices
    first = np.searchsorted(devices.user, users, side="left")
    # Within a user, devices are sorted by bind time: the bound ones come first.
    bound_by = np.searchsorted(devices.user_bind_day, users.astype(np.int64) * 2**32 + day, side="right")
    count = np.where(gone, 0, bound_by - first)
    ends = np.cumsum(count)
    rows = np.repeat(first - (ends - count), count) + np.arange(ends[-1] if len(ends) else 0)
    items = lookup(devices.text, rows)  # consecutive devices of a user already carry their commas
    item_offsets = np.frombuffer(items.buffers()[1], dtype=np.int32, count=len(items) + 1)
    offsets = item_offsets[np.concatenate([[0], ends])].astype(np.int32)
    data = items.buffers()[2] or pa.py_buffer(b"")
    return pa.Array.from_buffers(pa.string(), len(users), [None, pa.py_buffer(offsets), data])


def _count_text(values: np.ndarray) -> pa.Array | Choice:
    if len(values) == 0 or values.max() < len(_SMALL_INTS):
        return Choice(_SMALL_INTS, values)
    return int_text(values)


def _email(pop: Population, users: np.ndarray) -> pa.Array:
    domain = pop.email_domain[users]
    name = choose(EMAIL_NAMES, users % len(EMAIL_NAMES))
    address = join('"', name, int_text(users), "@", choose(EMAIL_DOMAINS, domain), '"')  # unique: the user number
    return pc.fill_null(address, "null")


def _phone(texts: SnapshotTexts, users: np.ndarray) -> pa.Array:
    """E.164 mobile numbers, unique per app: the rank of the user in its country picks the prefix
    and, through a permutation, the national number."""
    pop = texts.pop
    country = pop.country[users]
    has = pop.has_phone[users] & (country >= 0)
    rows = np.flatnonzero(has)
    rank = texts.phone_rank[users][rows]
    parts = []
    order = np.empty(len(rows), dtype=np.int64)
    done = 0
    for index, spec in enumerate(COUNTRIES):
        mine = np.flatnonzero(country[rows] == index)
        if not len(mine):
            continue
        prefixes = len(spec.phone_prefixes)
        number = (rank[mine] // prefixes * _PHONE_STEP + 12345 + pop.seed) % 10**spec.phone_digits
        parts.append(join('"', choose(spec.phone_prefixes, rank[mine] % prefixes), fixed_digits(number, spec.phone_digits), '"'))
        order[mine] = done + np.arange(len(mine))
        done += len(mine)
    values = lookup(concat(parts), order) if parts else pa.array([], pa.string())
    return scatter("null", rows, values, len(users))


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """Position of each element among the elements of its group (in index order)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    rank_sorted = np.arange(len(groups)) - np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = rank_sorted
    return rank
