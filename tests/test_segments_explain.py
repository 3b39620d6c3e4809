"""Explain on hand-made data with hand-worked answers, its agreement with the evaluator, and the CLI.

The users (app smartlife, ds 2026-03-10; every label not listed is null):
    m1  registered, consents  gateway, ios, active 1 day, growth, city not set
    o1  registered, consents  gateway, android, active 0 days, city Berlin, pairing low
    o2  registered, NO consent no gateway, platform and city not set, churn
    g1  guest, consents       gateway, active 9 days
    d1  deleted in the snapshot of ds (no label row)
Their events (daily aggregates):
    m1  device_card_tap ds x2; mall_order_paid ds-10 (amount 120.5)
    o1  device_card_tap ds-3 x1; mall_order_paid ds-40 (amount 500)
    o2  feedback_submit ds-5 x3
    g1  device_card_tap ds-8 x4 (outside the 7-day window)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.delta_io import read_table
from jobs.segments.readers.explain import ExplainError, explain, explain_users
from jobs.segments.readers.explain_format import format_explanation
from jobs.segments import evaluate_segments
from jobs.tables import GOLD_SEGMENT_MEMBERSHIP
from segments_data import DS, daily, days_ago, label, user, write_inputs

REPO = Path(__file__).resolve().parents[1]

LABELS = [
    label("m1", has_gateway=True, platform="ios", active_days_30d=1, lifecycle="growth"),
    label("o1", has_gateway=True, platform="android", active_days_30d=0, city_en="Berlin", lifecycle="growth",
          pairing_level_90d="low"),
    label("o2", accept_marketing=False, has_gateway=False, lifecycle="churn", active_days_30d=2),
    label("g1", user_type="guest", has_gateway=True, platform="android", active_days_30d=9, lifecycle="novice"),
]
USERS = [user("m1"), user("o1"), user("o2", accept_marketing=False), user("g1", user_type="guest"),
         user("d1", user_type="deleted")]
DAILY = [
    daily("m1", "device_card_tap", DS, events=2),
    daily("m1", "mall_order_paid", days_ago(10), measure_amount=120.5),
    daily("o1", "device_card_tap", days_ago(3)),
    daily("o1", "mall_order_paid", days_ago(40), measure_amount=500.0),
    daily("o2", "feedback_submit", days_ago(5), events=3),
    daily("g1", "device_card_tap", days_ago(8), events=4),
]
UIDS = ["m1", "o1", "o2", "g1", "d1"]

TWO_GROUPS = {"all": [
    {"type": "label", "label": "has_gateway", "op": "eq", "value": True},
    {"any": [
        {"type": "label", "label": "active_days_30d", "op": "ge", "value": 5},
        {"type": "behavior", "window": {"last_days": 7}, "event": "device_card_tap",
         "metric": {"count": "times"}, "compare": {"op": "ge", "value": 2}},
    ]},
]}
NOT_CASE = {"all": [
    {"not": {"type": "label", "label": "platform", "op": "eq", "value": "ios"}},
    {"not": {"any": [
        {"type": "label", "label": "city_en", "op": "eq", "value": "Berlin"},
        {"type": "behavior", "window": {"last_days": 30}, "event": "mall_order_paid",
         "metric": {"sum": "amount"}, "compare": {"op": "ge", "value": 100}},
    ]}},
]}
NESTED = {"all": [{"type": "segment", "segment": "two_groups"}, {"not": {"type": "segment", "segment": "churn_stage"}}]}
DEFINITIONS = {
    "two_groups": {"rule": TWO_GROUPS},
    "not_case": {"rule": NOT_CASE, "marketing_consent": "ignore"},
    "nested": {"rule": NESTED},
    "vip": {"source": {"csv": "vip.csv"}, "refresh": "once"},
}
PREDEFINED = ["gateway_owners", "churn_stage", "might_return_products", "very_satisfied"]
CHECKED = [*DEFINITIONS, *PREDEFINED]


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """The hand-made lakehouse, evaluated once by the daily job."""
    import shutil

    base = tmp_path_factory.mktemp("explain")
    root, defs = str(base / "lakehouse"), base / "segment_defs"
    (defs / "_predefined").mkdir(parents=True)
    for sid in PREDEFINED:  # the ones the tests use: fewer segments, a shorter daily job
        shutil.copy(REPO / "segment_defs" / "_predefined" / f"{sid}.yaml", defs / "_predefined")
    (defs / "smartlife").mkdir()
    for sid, body in DEFINITIONS.items():
        doc = {"id": sid, "app_id": "smartlife", "name": sid.replace("_", " "), **body}
        (defs / "smartlife" / f"{sid}.yaml").write_text(json.dumps(doc), encoding="utf-8")
    (defs / "smartlife" / "vip.csv").write_text("type,value\nuid,o1\nuid,d1\nuid,nobody\n", encoding="utf-8")
    write_inputs(spark, root, LABELS, DAILY, USERS)
    evaluate_segments(spark, root, DS, str(defs))
    return root, str(defs)


def _text(spark, lake, sid, uid):
    root, defs = lake
    return format_explanation(explain(spark, root, sid, uid, defs, "smartlife", DS))


MEMBER = """\
smartlife/two_groups on 2026-03-10: uid m1 is a member
  group 1 of 2: held
    [held]   has_gateway = true (needs = true)
  group 2 of 2: held
    [failed] active_days_30d = 1 (needs >= 5)
    [held]   device_card_tap times in the last 7 days (2026-03-04..2026-03-10) = 2 (needs >= 2)
  consent: [held] accept_marketing = true (required)"""

NON_MEMBER = """\
smartlife/two_groups on 2026-03-10: uid o1 is NOT a member
  group 1 of 2: held
    [held]   has_gateway = true (needs = true)
  group 2 of 2: failed
    [failed] active_days_30d = 0 (needs >= 5)
    [failed] device_card_tap times in the last 7 days (2026-03-04..2026-03-10) = 1 (needs >= 2)
  consent: [held] accept_marketing = true (required)"""


def test_member_and_non_member_verbatim(spark, lake):
    assert _text(spark, lake, "two_groups", "m1") == MEMBER
    assert _text(spark, lake, "two_groups", "o1") == NON_MEMBER


def test_not_of_a_condition_and_of_a_group(spark, lake):
    assert _text(spark, lake, "not_case", "o1") == """\
smartlife/not_case on 2026-03-10: uid o1 is NOT a member
  group 1 of 2: held
    [held]   not (platform = 'android' (needs = 'ios'))
  group 2 of 2: failed
    [failed] not (any of: held)
      [held]   city_en = 'Berlin' (needs = 'Berlin')
      [failed] mall_order_paid sum of amount in the last 30 days (2026-02-09..2026-03-10) = 0 (needs >= 100)
  consent: not required (marketing_consent: ignore)"""
    # an unset label fails the comparison, so its NOT holds; the sum counts only the window's orders
    assert _text(spark, lake, "not_case", "m1").splitlines()[2:7] == [
        "    [failed] not (platform = 'ios' (needs = 'ios'))",
        "  group 2 of 2: failed",
        "    [failed] not (any of: held)",
        "      [failed] city_en is not set (needs = 'Berlin')",
        "      [held]   mall_order_paid sum of amount in the last 30 days (2026-02-09..2026-03-10) = 120.5 (needs >= 100)",
    ]


def test_nested_segment_is_explained_recursively(spark, lake):
    assert _text(spark, lake, "nested", "m1") == """\
smartlife/nested on 2026-03-10: uid m1 is a member
  group 1 of 2: held
    [held]   in segment two_groups: member on 2026-03-10
      group 1 of 2: held
        [held]   has_gateway = true (needs = true)
      group 2 of 2: held
        [failed] active_days_30d = 1 (needs >= 5)
        [held]   device_card_tap times in the last 7 days (2026-03-04..2026-03-10) = 2 (needs >= 2)
      consent: [held] accept_marketing = true (required)
  group 2 of 2: held
    [held]   not (in segment churn_stage: not a member on 2026-03-10)
      group 1 of 2: held
        [held]   user_type = 'registered' (needs = 'registered')
      group 2 of 2: failed
        [failed] lifecycle = 'growth' (needs = 'churn')
      consent: [held] accept_marketing = true (required)
  consent: [held] accept_marketing = true (required)"""


def test_imported_deleted_executed_false_and_consent(spark, lake):
    assert _text(spark, lake, "vip", "o1") == """\
smartlife/vip on 2026-03-10: uid o1 is a member
  imported list vip.csv: the uid is a member
  consent: [held] accept_marketing = true (required)"""
    assert _text(spark, lake, "vip", "d1") == """\
smartlife/vip on 2026-03-10: uid d1 is NOT a member
  deleted user: never a member"""
    assert _text(spark, lake, "very_satisfied", "o2") == """\
smartlife/very_satisfied on 2026-03-10: uid o2 is NOT a member
  group 1 of 3: held
    [held]   user_type = 'registered' (needs = 'registered')
  group 2 of 3: held
    [held]   active_days_30d = 2 (needs >= 1)
  group 3 of 3: failed
    [failed] feedback_submit times in the last 30 days (2026-02-09..2026-03-10) = 3 (needs none: not executed)
  consent: [failed] accept_marketing = false (required)"""


def test_unknown_segment_and_uid(spark, lake):
    root, defs = lake
    with pytest.raises(ExplainError) as unknown:
        explain(spark, root, "two_group", "m1", defs, "smartlife", DS)
    assert str(unknown.value) == "unknown segment 'two_group' for app smartlife; did you mean: two_groups?"
    with pytest.raises(ExplainError) as missing:
        explain(spark, root, "two_groups", "nobody", defs, "smartlife", DS)
    assert str(missing.value) == "uid 'nobody' has no row in gold.user_labels for app smartlife on 2026-03-10"


@pytest.mark.parametrize("sid", CHECKED)
def test_verdict_agrees_with_the_evaluator(spark, lake, sid):
    root, defs = lake
    from pyspark.sql import functions as F

    table = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, root)
    published = {r.uid for r in table.where((F.col("ds") == F.lit(DS)) & (F.col("app_id") == F.lit("smartlife"))
                                            & (F.col("segment_id") == F.lit(sid))).collect()}
    explained = explain_users(spark, root, sid, UIDS, defs, "smartlife", DS)
    assert {u for u, e in explained.items() if e.member} == published
    for e in explained.values():  # the groups and the consent line shown add up to the verdict
        if e.rule is not None:
            assert e.member == (e.rule.held and (not e.segment.consent_required or bool(e.accept_marketing)))
    assert bool(published) == (sid != "churn_stage")  # the fixture has members for all but churn_stage (o2 does not consent)


def test_cli_on_the_sample_lake(sample_lake):
    import datetime as dt

    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_USER_LABELS

    last = dt.date(2026, 6, 30)
    members = read_arrow(GOLD_SEGMENT_MEMBERSHIP, sample_lake, columns=["segment_id", "uid"],
                         filters=[("ds", "=", last), ("segment_id", "=", "gateway_owners")]).column("uid").to_pylist()
    users = read_arrow(GOLD_USER_LABELS, sample_lake, columns=["uid"], filters=[("ds", "=", last)]).column("uid").to_pylist()
    member, outsider = sorted(members)[0], sorted(set(users) - set(members))[0]
    out = subprocess.run([sys.executable, "-m", "jobs.cli", "explain", "gateway_owners", member, "--root", sample_lake],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == f"smartlife/gateway_owners on 2026-06-30: uid {member} is a member"
    assert "    [held]   has_gateway = true (needs = true)" in out.stdout.splitlines()
    unknown = subprocess.run([sys.executable, "-m", "jobs.cli", "explain", "gateway_owner", outsider, "--root", sample_lake],
                             capture_output=True, text=True, cwd=REPO)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: unknown segment 'gateway_owner' for app smartlife; did you mean: gateway_owners?"


def test_cli_prints_the_member_and_non_member_verbatim(lake):
    root, defs = lake
    for uid, expected in (("m1", MEMBER), ("o1", NON_MEMBER)):
        out = subprocess.run([sys.executable, "-m", "jobs.cli", "explain", "two_groups", uid, "--ds", "2026-03-10",
                              "--root", root, "--defs", defs], capture_output=True, text=True, cwd=REPO)
        assert out.returncode == 0, out.stderr
        assert out.stdout == expected + "\n"


ONCE = {"id": "gw_once", "app_id": "smartlife", "name": "Gateway once", "refresh": "once",
        "rule": {"type": "label", "label": "has_gateway", "op": "eq", "value": True}}


def test_a_kept_once_segment_gives_the_published_verdict(spark, tmp_path):
    # Day 1: m1 has a gateway and joins gw_once. Day 2: m1 no longer has one, but the segment is
    # kept (refresh: once, definition unchanged): m1 is still published as a member, and explain
    # says so while showing the rule failing on day 2.
    import datetime as dt

    root, defs = str(tmp_path / "lakehouse"), tmp_path / "defs"
    (defs / "smartlife").mkdir(parents=True)
    (defs / "smartlife" / "gw_once.yaml").write_text(json.dumps(ONCE), encoding="utf-8")
    day2 = DS + dt.timedelta(days=1)
    write_inputs(spark, root, [label("m1", has_gateway=True)], ds=DS)
    evaluate_segments(spark, root, DS, str(defs))
    write_inputs(spark, root, [label("m1", ds=day2, has_gateway=False)], ds=day2)
    evaluate_segments(spark, root, day2, str(defs))
    assert format_explanation(explain(spark, root, "gw_once", "m1", str(defs), "smartlife")) == """\
smartlife/gw_once on 2026-03-11: uid m1 is a member
  group 1 of 1: failed
    [failed] has_gateway = false (needs = true)
  consent: [held] accept_marketing = true (required)
  note: refresh once: the published verdict is kept from 2026-03-10; the conditions above are evaluated on 2026-03-11"""
    with pytest.raises(ExplainError) as absent:
        explain(spark, root, "gw_once", "m1", str(defs), "smartlife", day2 + dt.timedelta(days=1))
    assert str(absent.value) == (
        "smartlife/gw_once has no published members on 2026-03-12 (no run on that ds); latest published ds: 2026-03-11")
