"""Event lines: the JSON text of an app's events, with the fields of the raw input contract."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jobs.catalogs import event_catalog
from jobs.contract import DAY_MS
from jobs.generate import ids
from jobs.generate.activity import DayEvents, code_index, codes
from jobs.generate.jsonl import Choice, Field, lookup, pick, render
from jobs.generate.population import Population, phone_models
from jobs.generate.text import (
    cents_text, choose, concat, digit_chars, epoch_ms_text, fixed_columns, hex_chars, int_text, join, quoted_or_null,
)
from jobs.generate.vocab import APP_VERSIONS, DEVICE_CATEGORIES, ISSUE_TYPES, PLATFORMS, VAS_SERVICES

# Props spoilers (wrong types inside props), used by faults.
MEASURE_AS_STRING, INTEGER_AS_FLOAT, DIMENSION_AS_NUMBER = 1, 2, 3


@cache
def _code_text() -> pa.Array:
    return pa.array(list(codes()), pa.string())


@cache
def _default_props(with_event: bool) -> pa.Array:
    """Per event number: its props when it has no catalog props (an empty object, except sign-up and
    login events, which send none), with the ``event`` field before them when ``with_event``."""
    empty = ["" if spec.category == "register_login" else ',"props":{}' for spec in event_catalog().values()]
    if with_event:
        empty = [f',"event":"{code}"{props}' for code, props in zip(codes(), empty)]
    return pa.array(empty, pa.string())


@cache
def mall_orders() -> tuple[int, int]:
    """The event numbers of mall orders (placed, paid)."""
    return code_index()["mall_order_placed"], code_index()["mall_order_paid"]


@cache
def vas_orders() -> tuple[int, int]:
    """The event numbers of value-added-service orders (placed, completed)."""
    return code_index()["vas_order_placed"], code_index()["vas_order_completed"]


ANONYMOUS_PHONES = 1024  # pre-login events come from a pool of phones (the first users' phones)


class EventTexts:
    """Per-app text tables built once: who sent an event (uid, platform, app version before and
    after an upgrade, phone model) as one fragment per user and version, and each part alone
    (for faulty lines, which alter one part)."""

    def __init__(self, pop: Population) -> None:
        n = self.size = pop.size
        self.app_id = pop.app_id
        self.upgrade_day = pop.upgrade_day
        self.phones = min(n, ANONYMOUS_PHONES)
        self.uid = concat([join('"', pop.uid, '"'), pa.array(["null"])])  # index n: null
        self.platform = quoted_or_null(choose(tuple(p[0] for p in PLATFORMS), pop.platform))
        self.phone_model = quoted_or_null(choose(phone_models(), pop.phone_model))
        newer = np.minimum(pop.app_version + 1, len(APP_VERSIONS) - 1)
        no_platform = pop.platform < 0
        self.app_version = concat([
            quoted_or_null(choose(APP_VERSIONS, np.where(no_platform, -1, version))) for version in (pop.app_version, newer)
        ])
        users = np.concatenate([np.arange(n), np.arange(n), np.arange(self.phones)])
        versions = np.concatenate([np.arange(2 * n), np.arange(self.phones)])
        uids = np.where(np.arange(len(users)) < 2 * n, users, n)
        self.who = render(
            [Field("uid", lookup(self.uid, uids)), Field("platform", lookup(self.platform, users)),
             Field("app_version", lookup(self.app_version, versions)), Field("phone_model", lookup(self.phone_model, users))],
            opens=False, closes="",
        )

    def phone(self, ev: DayEvents) -> np.ndarray:
        """The user whose phone sent each event (for anonymous events, one of the pool)."""
        return np.where(ev.anonymous, ev.user % self.phones, ev.user)

    def version_row(self, ev: DayEvents) -> np.ndarray:
        """Index into ``app_version``: the phone's user, shifted by ``size`` after the upgrade."""
        phone = self.phone(ev)
        return phone + self.size * (ev.ts // DAY_MS >= self.upgrade_day[phone])

    def who_row(self, ev: DayEvents) -> np.ndarray:
        """Index into ``who``."""
        return np.where(ev.anonymous, 2 * self.size + ev.user % self.phones, self.version_row(ev))


def event_lines(texts: EventTexts, ev: DayEvents, words: list[np.ndarray]) -> pa.Array:
    """Valid event lines, joined from three pieces per row: a fixed-width head (event_id,
    app_id, ts), who sent it (uid, platform, version, model) and what (event, props).

    Args:
        texts: the app's text tables.
        ev: the events.
        words: their id words (``ids.event_words``).
    """
    if len(ev) and not (ev.ts.min() >= 10**12 and ev.ts.max() < 10**13):
        return render(event_fields(texts, ev, ids.event_ids(words)))  # times outside 2001-2286
    head = fixed_columns(['{"event_id":"', hex_chars(words), f'","app_id":"{texts.app_id}","ts":', digit_chars(ev.ts, 13)],
                         len(ev))
    return render([Field(None, head), Field(None, lookup(texts.who, texts.who_row(ev))),
                   Field(None, props_text(ev, None, True))], opens=False)


def event_fields(texts: EventTexts, ev: DayEvents, event_ids: pa.Array, spoil: np.ndarray | None = None) -> list[Field]:
    """One field per member of event lines, to build lines with a fault.

    Args:
        texts: the app's text tables.
        ev: the events.
        event_ids: their ids.
        spoil: per row, a props spoiler (0: none) for wrong-type faults.

    Returns:
        Fields for ``jsonl.render``, in the member order of ``event_lines``.
    """
    phone = texts.phone(ev)
    return [
        Field("event_id", event_ids, quoted=True),
        Field("app_id", texts.app_id, quoted=True),
        Field("ts", epoch_ms_text(ev.ts)),
        Field("uid", lookup(texts.uid, np.where(ev.anonymous, texts.size, ev.user))),
        Field("platform", lookup(texts.platform, phone)),
        Field("app_version", lookup(texts.app_version, texts.version_row(ev))),
        Field("phone_model", lookup(texts.phone_model, phone)),
        Field("event", pick(codes(), ev.code), quoted=True),
        Field(None, props_text(ev, spoil, False)),
    ]


def props_text(ev: DayEvents, spoil: np.ndarray | None, with_event: bool) -> Choice:
    """The ``,"props":{...}`` fragment per event (empty where props are absent), after the
    ``,"event":"code"`` member if ``with_event``."""
    spoil = np.zeros(len(ev), np.int8) if spoil is None else spoil
    index = ev.code.astype(np.int64)
    parts = [_default_props(with_event)]
    offset = len(parts[0])
    for rows, build in (
        (np.flatnonzero(ev.code == code_index()["pairing_end"]), _pairing),
        (np.flatnonzero(ev.code == code_index()["feedback_submit"]), _feedback),
        (np.flatnonzero(np.isin(ev.code, mall_orders())), _mall_order),
        (np.flatnonzero(np.isin(ev.code, vas_orders())), _vas_order),
    ):
        if len(rows):
            props = build(ev, rows, spoil[rows])
            parts.append(join(',"event":"', lookup(_code_text(), ev.code[rows]), '"', props) if with_event else props)
            index[rows] = offset + np.arange(len(rows))
            offset += len(rows)
    return Choice(concat(parts), index)


def _pairing(ev: DayEvents, rows: np.ndarray, spoil: np.ndarray) -> pa.Array:
    result = choose(('"fail"', '"success"', "0", "1"), ev.success[rows] + 2 * (spoil == DIMENSION_AS_NUMBER))
    return join(',"props":{"result":', result, ',"category":"', choose(DEVICE_CATEGORIES, ev.detail[rows]), '"}')


def _feedback(ev: DayEvents, rows: np.ndarray, spoil: np.ndarray) -> pa.Array:
    issue = join('"', choose(ISSUE_TYPES, ev.detail[rows]), '"')
    issue = pc.if_else(pa.array(spoil == DIMENSION_AS_NUMBER), int_text(ev.detail[rows]), issue)
    return join(',"props":{"issue_type":', issue, "}")


def _amount(ev: DayEvents, rows: np.ndarray, spoil: np.ndarray) -> pa.Array:
    amount = cents_text(ev.cents[rows])
    return pc.if_else(pa.array(spoil == MEASURE_AS_STRING), join('"', amount, '"'), amount)


def _mall_order(ev: DayEvents, rows: np.ndarray, spoil: np.ndarray) -> pa.Array:
    items = int_text(ev.items[rows])
    items = pc.if_else(pa.array(spoil == INTEGER_AS_FLOAT), join(items, ".5"), items)
    return join(',"props":{"items":', items, ',"amount":', _amount(ev, rows, spoil), "}")


def _vas_order(ev: DayEvents, rows: np.ndarray, spoil: np.ndarray) -> pa.Array:
    service = join('"', choose(VAS_SERVICES, ev.detail[rows]), '"')
    service = pc.if_else(pa.array(spoil == DIMENSION_AS_NUMBER), int_text(ev.detail[rows]), service)
    return join(',"props":{"service":', service, ',"amount":', _amount(ev, rows, spoil), "}")
