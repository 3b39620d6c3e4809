"""Reach per channel and the funnel, checked against counts worked out from hand-made label rows.

The expected numbers are computed here in plain Python from the same rows written to the tables
(not by the evaluator): a reach channel counts members who accept marketing and have a non-empty
email (email), a non-empty phone (sms) or were active in the last 30 days (app).
"""

from __future__ import annotations

import pytest

from jobs.segments import preview
from jobs.segments.readers.funnel import FunnelStep
from jobs.segments.readers.reach import Reach
from segments_data import DS, daily, days_ago, label, write_inputs

# uid, has_gateway, platform, accept_marketing, has_email, has_phone, active_days_30d, taps in the last 7 days
USERS = [
    ("r1", True, "ios", True, True, True, 5, 2),
    ("r2", True, "android", True, True, False, 0, 1),
    ("r3", True, "ios", False, True, True, 3, 4),      # no consent
    ("r4", True, "Others", True, True, True, 2, 1),    # platform fails
    ("r5", True, "android", True, False, True, 1, 0),  # no taps
    ("r6", False, "ios", True, True, True, 9, 3),      # no gateway
    ("r7", True, "ios", True, None, None, None, 1),    # channels unknown
    ("r8", True, "android", None, True, True, 4, 2),   # consent unknown
    ("r9", True, "ios", True, False, False, 12, 6),
]
RULE = """rule:
  all:
    - {type: label, label: has_gateway, op: eq, value: true}
    - {type: label, label: platform, op: in, value: [ios, android]}
    - {type: behavior, window: {last_days: 7}, event: device_card_tap}
"""


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("reach") / "lakehouse")
    labels = [label(u, has_gateway=g, platform=p, accept_marketing=c, has_email=e, has_phone=ph, active_days_30d=a)
              for u, g, p, c, e, ph, a, _ in USERS]
    dailies = [daily(u, "device_card_tap", days_ago(k % 7), events=1) for u, *_, taps in USERS for k in range(taps)]
    dailies.append(daily("r5", "device_card_tap", days_ago(8)))  # outside the window
    write_inputs(spark, root, labels, dailies)
    defs = tmp_path_factory.mktemp("defs")
    (defs / "smartlife").mkdir()
    return root, str(defs)


def _draft(tmp_path, consent: str = "required"):
    path = tmp_path / "draft.yaml"
    path.write_text(f"id: draft\napp_id: smartlife\nname: Draft\nmarketing_consent: {consent}\n{RULE}", encoding="utf-8")
    return str(path)


def _expected(consent_required: bool):
    """(funnel counts, members, reach) from the rows above, by hand-written predicates."""
    gateway = [u for u in USERS if u[1]]
    platform = [u for u in gateway if u[2] in ("ios", "android")]
    tapped = [u for u in platform if u[7] >= 1]
    members = [u for u in tapped if u[3]] if consent_required else tapped
    consenting = [u for u in members if u[3]]
    reach = Reach(email=sum(1 for u in consenting if u[4]), sms=sum(1 for u in consenting if u[5]),
                  app=sum(1 for u in consenting if (u[6] or 0) >= 1))
    return [len(gateway), len(platform), len(tapped)], members, reach


def test_funnel_and_reach_equal_hand_counts(spark, lake, tmp_path):
    root, defs = lake
    result = preview(spark, root, _draft(tmp_path), defs)
    funnel, members, reach = _expected(True)
    assert funnel == [8, 7, 6] and len(members) == 4 and reach == Reach(email=2, sms=1, app=2)  # worked by hand
    sizing = result.sizing
    assert (sizing.users, sizing.total, sizing.removed_by_consent) == (len(USERS), len(members), funnel[-1] - len(members))
    assert sizing.funnel == (
        FunnelStep("has_gateway = true", funnel[0]),
        FunnelStep("platform in ('ios', 'android')", funnel[1]),
        FunnelStep("device_card_tap times >= 1 in last 7 days", funnel[2]),
        FunnelStep("accept_marketing (consent)", len(members)),
    )
    assert sizing.reach == reach


def test_reach_is_after_consent_even_when_the_segment_ignores_it(spark, lake, tmp_path):
    root, defs = lake
    result = preview(spark, root, _draft(tmp_path, "ignore"), defs)
    funnel, members, reach = _expected(False)
    assert result.total == len(members) == 6
    assert [s.users for s in result.sizing.funnel] == funnel  # no consent step
    assert result.sizing.reach == reach == Reach(email=2, sms=1, app=2)


def test_preview_prints_funnel_and_reach(spark, lake, tmp_path):
    from jobs.segments.readers.preview import format_preview

    root, defs = lake
    text = format_preview(preview(spark, root, _draft(tmp_path), defs))
    assert text == (
        f"smartlife/draft on {DS}: 4 members (2 removed by the marketing consent rule)\n"
        f"  funnel: 9 users of smartlife on {DS}\n"
        "    1. has_gateway = true                         8\n"
        "    2. platform in ('ios', 'android')             7\n"
        "    3. device_card_tap times >= 1 in last 7 days  6\n"
        "    4. accept_marketing (consent)                 4\n"
        "  reach: email 2, sms 1, app 2 (after marketing consent)"
    )
