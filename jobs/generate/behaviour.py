"""What users do on an active day: modules of funnel steps over the event catalog (data, not code).

A module runs for an active user with its ``gate`` chance; each step then fires if its parent
step fired (the module itself for ``after=None``) with its ``chance``, ``1 + Poisson(repeats)``
times. Steps sharing a ``pick`` group are exclusive (one rating per chat). Chances and repeats are
numbers or the name of a per-user trait (``population._traits``). Order of steps = order of
their events within a session.
"""

from __future__ import annotations

from dataclasses import dataclass

Rate = float | str


@dataclass(frozen=True)
class Step:
    event: str
    after: str | None = None
    chance: Rate = 1.0
    repeats: Rate = 0.0
    pick: str | None = None


@dataclass(frozen=True)
class Module:
    name: str
    gate: Rate
    steps: tuple[Step, ...]


MODULES: tuple[Module, ...] = (
    Module("login", 0.04, (
        Step("login_other_ways", chance=0.15),
        Step("get_verification_code", chance=0.35),
        Step("verification_code_not_received", "get_verification_code", 0.15),
        Step("resend_code", "verification_code_not_received", 0.8),
        Step("login_mobile", chance=0.45, pick="login"),
        Step("login_password_success", chance=0.45, pick="login"),
        Step("account_info_get_code", chance=0.05),
    )),
    Module("home", 1.0, (
        Step("page_view", repeats=1.5),
        Step("device_card_exposure", chance="has_device", repeats="card_repeats"),
        Step("device_card_tap", "device_card_exposure", 0.5, 0.5),
        Step("room_management_tap", chance=0.03),
        Step("room_add_tap", "room_management_tap", 0.5),
        Step("room_add_success", "room_add_tap", 0.7),
    )),
    Module("control", "has_device", (
        Step("voice_control", chance="voice", repeats="voice_repeats"),
        Step("panel_control", chance="panel", repeats="panel_repeats"),
    )),
    Module("device", "device_care", (
        Step("device_edit_tap"),
        Step("device_rename_confirm", "device_edit_tap", 0.5),
        Step("device_remove_home", "device_edit_tap", 0.1),
        Step("device_remove_panel", "device_edit_tap", 0.05),
    )),
    Module("pairing", "pairing_trouble", (  # attempts that fail; successes come from device binds
        Step("add_device_tap"),
        Step("scan_tap", "add_device_tap", 0.4),
        Step("pairing_start", "add_device_tap", 0.9),
        Step("pairing_end", "pairing_start", 1.0, "pairing_retries"),
        Step("pairing_timeout", "pairing_end", 0.5),
    )),
    Module("smart", "smart", (
        Step("scene_page_visit"),
        Step("automation_tab", "scene_page_visit", 0.5),
        Step("tap_to_run_tab", "scene_page_visit", 0.5),
        Step("scene_run_success", "scene_page_visit", 0.6, 1.0),
        Step("scene_create_tap", "scene_page_visit", 0.15),
        Step("scene_create_success", "scene_create_tap", 0.7),
        Step("scene_manage_enter", "scene_page_visit", 0.2),
        Step("scene_edit", "scene_manage_enter", 0.4),
        Step("scene_disable", "scene_manage_enter", 0.2),
        Step("scene_delete_confirm", "scene_manage_enter", 0.1),
        Step("scene_log_view", "scene_page_visit", 0.1),
        Step("voice_control_tap", "scene_page_visit", 0.08),
    )),
    Module("me", 0.12, (
        Step("me_page_visit"),
        Step("settings_enter", "me_page_visit", 0.4),
        Step("third_party_voice_tap", "me_page_visit", 0.1),
        Step("more_third_party_voice_tap", "third_party_voice_tap", 0.4),
    )),
    Module("support", "support", (
        Step("faq_tap", chance=0.6),
        Step("contact_cs_tap", chance=0.4),
        Step("cs_chat_enter", "contact_cs_tap", 0.9),
        Step("cs_chat_satisfied", "cs_chat_enter", 0.35, pick="rating"),
        Step("cs_chat_fair", "cs_chat_enter", 0.15, pick="rating"),
        Step("cs_chat_dissatisfied", "cs_chat_enter", 0.15, pick="rating"),
        Step("feedback_submit", chance="feedback", repeats=0.2),
        Step("feedback_resolved", chance=0.35),  # resolves earlier feedback too: may outnumber submits
    )),
    Module("mall", "mall", (
        Step("mall_visit"),
        Step("mall_browse", "mall_visit", 0.85, 1.5),
        Step("mall_item_tap", "mall_browse", 0.6, 0.7),
        Step("mall_favorite", "mall_item_tap", 0.25),
        Step("mall_add_cart", "mall_item_tap", 0.35, 0.3),
        Step("mall_order_placed", "mall_add_cart", 0.35),
        Step("mall_order_paid", "mall_order_placed", 0.8),
    )),
    Module("coupons", "coupon", (Step("coupon_received", repeats=0.3),)),
    Module("vas", "vas", (
        Step("vas_order_placed"),
        Step("vas_order_completed", "vas_order_placed", 0.75),
    )),
)


def session_order() -> dict[str, int]:
    """Event code -> its rank within a session (login first, value-added services last)."""
    order: dict[str, int] = {}
    for module in MODULES:
        for step in module.steps:
            order.setdefault(step.event, len(order))
    return order
