"""Evaluation on hand-made data with hand-worked answers: every operator, metric, window type,
NOT, nesting and the predefined segments, all evaluated in one run of the job.

The users (app smartlife, ds 2026-03-10; every label not listed is null):
    u1  registered, consents  city Berlin, ios, 3 devices, gateway, growth, registered ds-100, active 10 days
    u2  registered, consents  city Bern, android, 0 devices, no gateway, novice, pairing low, registered ds-5
    u3  registered, NO consent city Berlin, Others, 12 devices, gateway, churn, registered 2026-02-28
    u4  registered, consents  no city, Unknown, 5 devices, silence
    u5  guest, consents       city "O'Brien'); DROP TABLE x; --", novice
    h1  app homeplus, registered, consents, gateway, churn
Their events (daily aggregates):
    u1  device_card_tap ds x2 and ds-1 x1; feedback_submit ds-40 x3; mall_order_paid ds-10 (amount 120)
        and ds-20 (amount 80); pairing_end fail ds-2 x2
    u2  feedback_submit ds-5 x1 and ds-60 x2; mall_browse ds-3; pairing_end success ds-1, fail ds-1
    u3  device_card_tap ds-200; mall_browse ds-29
    u5, h1  device_card_tap ds
"""

from __future__ import annotations

import json
import shutil

import pytest

from jobs.delta_io import read_table
from jobs.segments import evaluate_segments
from jobs.tables import GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS
from segments_data import DS, daily, days_ago, label, ms, write_inputs

HOSTILE_CITY = "O'Brien'); DROP TABLE x; --"

LABELS = [
    label("u1", city_en="Berlin", platform="ios", bound_devices=3, has_gateway=True, lifecycle="growth",
          pairing_level_90d="high", register_time=ms(days_ago(100)), active_days_30d=10, mall_activity_30d=0.5,
          user_distribution="elementary"),
    label("u2", city_en="Bern", platform="android", bound_devices=0, has_gateway=False, lifecycle="novice",
          pairing_level_90d="low", register_time=ms(days_ago(5)), active_days_30d=2, user_distribution="none"),
    label("u3", accept_marketing=False, city_en="Berlin", platform="Others", bound_devices=12, has_gateway=True,
          lifecycle="churn", register_time=ms(days_ago(10)), active_days_30d=0, user_distribution="advanced"),
    label("u4", platform="Unknown", bound_devices=5, lifecycle="silence", active_days_30d=0, user_distribution="intermediate"),
    label("u5", user_type="guest", city_en=HOSTILE_CITY, lifecycle="novice"),
    label("h1", app_id="homeplus", has_gateway=True, lifecycle="churn", active_days_30d=1),
]
DAILY = [
    daily("u1", "device_card_tap", DS, events=2),
    daily("u1", "device_card_tap", days_ago(1)),
    daily("u1", "feedback_submit", days_ago(40), events=3),
    daily("u1", "mall_order_paid", days_ago(10), measure_amount=120.0),
    daily("u1", "mall_order_paid", days_ago(20), measure_amount=80.0),
    daily("u1", "pairing_end", days_ago(2), events=2, dim_result="fail"),
    daily("u2", "feedback_submit", days_ago(5)),
    daily("u2", "feedback_submit", days_ago(60), events=2),
    daily("u2", "mall_browse", days_ago(3)),
    daily("u2", "pairing_end", days_ago(1), dim_result="success"),
    daily("u2", "pairing_end", days_ago(1), dim_result="fail"),
    daily("u3", "device_card_tap", days_ago(200)),
    daily("u3", "mall_browse", days_ago(29)),
    daily("u5", "device_card_tap", DS),
    daily("h1", "device_card_tap", DS, app_id="homeplus"),
]


def L(label, op, value=None):  # noqa: N802 - reads like the YAML it writes
    cond = {"type": "label", "label": label, "op": op}
    return cond if value is None else {**cond, "value": value}


def B(event, window, **more):  # noqa: N802
    return {"type": "behavior", "window": window, "event": event, **more}


def S(segment):  # noqa: N802
    return {"type": "segment", "segment": segment}


LAST1, LAST2, LAST7, LAST30, LAST90 = ({"last_days": n} for n in (1, 2, 7, 30, 90))
AMOUNT = {"sum": "amount"}

# id -> (rule, expected members). Consent is ignored unless the id starts with c_ (see _definition).
CASES = {
    # label operators
    "l_eq": (L("city_en", "eq", "Berlin"), {"u1", "u3"}),
    "l_ne": (L("city_en", "ne", "Berlin"), {"u2", "u5"}),  # u4 has no city: unset labels fail comparisons
    "l_in": (L("platform", "in", ["ios", "android"]), {"u1", "u2"}),
    "l_not_in": (L("platform", "not_in", ["ios", "android"]), {"u3", "u4"}),
    "l_lt": (L("bound_devices", "lt", 3), {"u2"}),
    "l_le": (L("bound_devices", "le", 3), {"u1", "u2"}),
    "l_gt": (L("bound_devices", "gt", 5), {"u3"}),
    "l_ge": (L("bound_devices", "ge", 5), {"u3", "u4"}),
    "l_between": (L("bound_devices", "between", [3, 5]), {"u1", "u4"}),
    "l_is_set": (L("city_en", "is_set"), {"u1", "u2", "u3", "u5"}),
    "l_is_not_set": (L("city_en", "is_not_set"), {"u4"}),
    "l_contains": (L("city_en", "contains", "er"), {"u1", "u2", "u3"}),
    "l_starts_with": (L("city_en", "starts_with", "Ber"), {"u1", "u2", "u3"}),
    "l_within_last_days": (L("register_time", "within_last_days", 7), {"u2"}),
    "l_before": (L("register_time", "before", "2026-03-01"), {"u1", "u3"}),
    "l_after": (L("register_time", "after", "2026-02-28"), {"u2"}),
    "l_ts_between": (L("register_time", "between", ["2026-02-28", "2026-03-05"]), {"u2", "u3"}),
    "l_bool": (L("has_gateway", "eq", True), {"u1", "u3"}),
    "l_bool_ne": (L("has_gateway", "ne", True), {"u2"}),
    "l_number": (L("mall_activity_30d", "gt", 0.25), {"u1"}),
    "l_enum": (L("lifecycle", "eq", "novice"), {"u2", "u5"}),
    # hostile values are data: they match exactly what they say, nothing else happens
    "l_hostile_hit": (L("city_en", "eq", HOSTILE_CITY), {"u5"}),
    "l_hostile_miss": (L("city_en", "eq", "'); DROP TABLE gold.segment_membership; --"), set()),
    "l_python_miss": (L("city_en", "eq", "__import__('os').system('echo x')"), set()),
    "l_long_unicode_miss": (L("city_en", "in", ["柏林 🚀" * 2000, "\u202eBerlin"]), set()),
    "l_percent_is_no_wildcard": (L("city_en", "contains", "%"), set()),
    "l_underscore_is_no_wildcard": (L("city_en", "starts_with", "B_r"), set()),
    # behavior: metrics, comparisons, windows, filters
    "b_times": (B("device_card_tap", LAST1), {"u1", "u5"}),
    "b_times_ge": (B("device_card_tap", LAST2, metric={"count": "times"}, compare={"op": "ge", "value": 3}), {"u1"}),
    "b_days": (B("device_card_tap", LAST2, metric={"count": "days"}, compare={"op": "eq", "value": 2}), {"u1"}),
    "b_not_executed": (B("device_card_tap", LAST1, executed=False), {"u2", "u3", "u4"}),
    "b_sum": (B("mall_order_paid", LAST30, metric=AMOUNT, compare={"op": "ge", "value": 200}), {"u1"}),
    "b_avg": (B("mall_order_paid", LAST30, metric={"avg": "amount"}, compare={"op": "eq", "value": 100}), {"u1"}),
    "b_min": (B("mall_order_paid", LAST30, metric={"min": "amount"}, compare={"op": "lt", "value": 90}), {"u1"}),
    "b_max": (B("mall_order_paid", LAST30, metric={"max": "amount"}, compare={"op": "between", "value": [110, 130]}), {"u1"}),
    "b_sum_window_cut": (B("mall_order_paid", {"last_days": 15}, metric=AMOUNT, compare={"op": "eq", "value": 120}), {"u1"}),
    "b_where_eq": (B("pairing_end", LAST7, where=[{"dimension": "result", "op": "eq", "value": "fail"}],
                     compare={"op": "ge", "value": 2}), {"u1"}),
    "b_where_ne": (B("pairing_end", LAST7, where=[{"dimension": "result", "op": "ne", "value": "fail"}]), {"u2"}),
    "b_where_in": (B("pairing_end", LAST7, where=[{"dimension": "result", "op": "in", "value": ["success", "fail"]}],
                     compare={"op": "ge", "value": 2}), {"u1", "u2"}),
    "b_where_not_in": (B("pairing_end", LAST7, where=[{"dimension": "result", "op": "not_in", "value": ["success"]}]), {"u1", "u2"}),
    "b_date_range": (B("feedback_submit", {"from": "2026-01-24", "to": "2026-02-03"}), {"u1"}),
    "b_eq": (B("feedback_submit", LAST90, compare={"op": "eq", "value": 3}), {"u1", "u2"}),
    "b_ne": (B("feedback_submit", LAST90, compare={"op": "ne", "value": 3}), set()),
    "b_lt": (B("feedback_submit", LAST30, compare={"op": "lt", "value": 3}), {"u2"}),
    "b_le": (B("feedback_submit", LAST90, compare={"op": "le", "value": 3}), {"u1", "u2"}),
    "b_gt": (B("feedback_submit", LAST90, compare={"op": "gt", "value": 2}), {"u1", "u2"}),
    "b_between": (B("feedback_submit", LAST30, compare={"op": "between", "value": [1, 2]}), {"u2"}),
    "b_old_event_outside_window": (B("device_card_tap", {"last_days": 180}), {"u1", "u5"}),
    # logic
    "g_and_of_ors": ({"all": [{"any": [L("has_gateway", "eq", True), L("lifecycle", "eq", "novice")]},
                              {"any": [L("platform", "eq", "ios"), L("platform", "eq", "Others")]}]}, {"u1", "u3"}),
    "g_not_group": ({"not": {"any": [L("city_en", "eq", "Berlin"), L("city_en", "is_not_set")]}}, {"u2", "u5"}),
    "g_not_condition": ({"all": [L("lifecycle", "is_set"), {"not": L("has_gateway", "eq", True)}]}, {"u2", "u4", "u5"}),
    # nesting
    "n_intersection": ({"all": [S("l_eq"), S("b_times")]}, {"u1"}),
    "n_union": ({"any": [S("l_lt"), S("l_gt")]}, {"u2", "u3"}),
    "n_difference": ({"all": [S("l_is_set"), {"not": S("l_eq")}]}, {"u2", "u5"}),
    "n_two_levels": ({"all": [S("n_union"), {"not": S("n_intersection")}]}, {"u2", "u3"}),
    "n_predefined": (S("gateway_owners"), {"u1"}),  # gateway_owners keeps consenting registered users
    # consent
    "c_required": (L("has_gateway", "eq", True), {"u1"}),
}

PREDEFINED = {  # smartlife members; u3 never (no consent), u5 never (guest)
    "accept_marketing": {"u1", "u2", "u4"},
    "might_return_products": {"u1", "u2"},  # u2 pairing low; u1 and u2 3 feedbacks in 90 days
    "newly_registered_30d": {"u2"},
    "new_without_devices_30d": {"u2"},
    "silence_stage": {"u4"},
    "churn_stage": set(),  # u3 churns but does not consent
    "gateway_owners": {"u1"},
    "prefer_mall": {"u1", "u2"},  # u1 paid ds-10, u2 browsed ds-3
    "frequent_feedback": {"u1", "u2"},
    "very_satisfied": {"u1"},  # active, no feedback in 30 days (u2 gave one at ds-5)
}
PREDEFINED_HOMEPLUS = {"accept_marketing": {"h1"}, "churn_stage": {"h1"}, "gateway_owners": {"h1"}, "very_satisfied": {"h1"}}


def _definition(sid: str, rule: dict) -> str:
    consent = "required" if sid.startswith("c_") else "ignore"
    doc = {"id": sid, "app_id": "smartlife", "name": sid.replace("_", " "), "marketing_consent": consent, "rule": rule}
    return json.dumps(doc, ensure_ascii=False)  # JSON is YAML


@pytest.fixture(scope="module")
def evaluated(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("eval")
    root, defs = str(base / "lakehouse"), base / "segment_defs"
    shutil.copytree("segment_defs/_predefined", defs / "_predefined")
    (defs / "smartlife").mkdir()
    for sid, (rule, _) in CASES.items():
        (defs / "smartlife" / f"{sid}.yaml").write_text(_definition(sid, rule), encoding="utf-8")
    write_inputs(spark, root, LABELS, DAILY)
    records = evaluate_segments(spark, root, DS, str(defs))
    rows = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, root).where(f"ds = DATE'{DS}'").collect()
    members: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        members.setdefault((r.app_id, r.segment_id), set()).add(r.uid)
    return {"records": records, "members": members, "root": root, "defs": defs}


@pytest.mark.parametrize("sid", list(CASES))
def test_custom_segment(evaluated, sid):
    assert evaluated["members"].get(("smartlife", sid), set()) == CASES[sid][1]


@pytest.mark.parametrize("sid", list(PREDEFINED))
def test_predefined_segment(evaluated, sid):
    assert evaluated["members"].get(("smartlife", sid), set()) == PREDEFINED[sid]
    assert evaluated["members"].get(("homeplus", sid), set()) == PREDEFINED_HOMEPLUS.get(sid, set())


def test_run_records(evaluated, spark):
    records = {(r.app_id, r.segment_id): r for r in evaluated["records"]}
    assert len(records) == len(CASES) + 2 * len(PREDEFINED)  # predefined run for every app
    assert all(r.status == "published" and r.reason is None for r in records.values())
    assert records[("smartlife", "l_eq")].member_count == 2
    assert records[("smartlife", "n_two_levels")].kind == "nested"
    assert records[("homeplus", "churn_stage")].kind == "predefined"
    assert records[("smartlife", "b_sum")].kind == "custom"
    assert len(records[("smartlife", "b_sum")].definition_hash) == 64
    table = read_table(spark, GOLD_SEGMENT_RUNS, evaluated["root"]).where(f"ds = DATE'{DS}'")
    assert table.count() == len(records)


def test_rerun_is_idempotent(evaluated, spark):
    before = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, evaluated["root"]).count()
    again = evaluate_segments(spark, evaluated["root"], DS, str(evaluated["defs"]))
    assert read_table(spark, GOLD_SEGMENT_MEMBERSHIP, evaluated["root"]).count() == before
    assert {(r.app_id, r.segment_id, r.member_count, r.definition_hash) for r in again} == {
        (r.app_id, r.segment_id, r.member_count, r.definition_hash) for r in evaluated["records"]}
