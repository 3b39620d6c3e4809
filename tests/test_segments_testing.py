"""`lakehouse test`: the shipped segment tests pass through the real pipeline, a wrong expectation
fails with a readable diff, malformed test files fail alone, and --warn-empty flags empty segments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jobs.segments.daily.testing import format_results, run_tests
from jobs.segments.daily.testing_cases import SegmentTestError, load_case

REPO = Path(__file__).resolve().parents[1]
WRONG = """app_id: smartlife
ds: 2026-03-10
users:
  - uid: u_gw
    devices: [{category: gateway}]
  - uid: u_plain
    devices: [{category: plug}]
    accept_marketing: false
expect:
  gateway_owners:
    members: [u_plain]
    not_members: [u_gw]
"""


def test_shipped_segment_tests_pass(spark):
    results = run_tests(spark, str(REPO / "segment_defs"), str(REPO / "segment_defs"))
    text = format_results(results)
    assert [Path(r.file).relative_to(REPO).as_posix() for r in results] == [
        "segment_defs/_predefined/tests/predefined.yaml", "segment_defs/smartlife/tests/smartlife.yaml"]
    assert all(r.passed for r in results), text
    assert text.splitlines()[-1] == "2 test files, 46 expectations: 0 failed"


def test_a_wrong_expectation_fails_with_a_readable_diff(spark, tmp_path):
    case = tmp_path / "tests" / "wrong.yaml"
    case.parent.mkdir()
    case.write_text(WRONG, encoding="utf-8")
    results = run_tests(spark, str(case), str(REPO / "segment_defs"))
    assert not results[0].passed
    assert format_results(results) == "\n".join([
        f"FAIL {case} (smartlife on 2026-03-10: gateway_owners)",
        "  gateway_owners: expected member u_plain is missing",
        "    smartlife/gateway_owners on 2026-03-10: uid u_plain is NOT a member",
        "      group 1 of 2: held",
        "        [held]   user_type = 'registered' (needs = 'registered')",
        "      group 2 of 2: failed",
        "        [failed] has_gateway = false (needs = true)",
        "      consent: [failed] accept_marketing = false (required)",
        "  gateway_owners: unexpected member u_gw is in the segment",
        "    smartlife/gateway_owners on 2026-03-10: uid u_gw is a member",
        "      group 1 of 2: held",
        "        [held]   user_type = 'registered' (needs = 'registered')",
        "      group 2 of 2: held",
        "        [held]   has_gateway = true (needs = true)",
        "      consent: [held] accept_marketing = true (required)",
        "1 test file, 2 expectations: 1 failed",
    ])


@pytest.mark.parametrize("text, message", [
    ("app_id: smartlife\nds: 2026-03-10\nusers: [{uid: a}]\nexpect: {gateway_owners: {members: [b]}}\n",
     "expect.gateway_owners.members: 'b' is not a golden user of this file"),
    ("app_id: smartlife\nds: 2026-03-10\nusers: [{uid: a, devics: []}]\nexpect: {x: {members: [a]}}\n",
     "users[0]: unknown field 'devics'; expected uid, events or snapshot fields user_type, register_time, "
     "register_method, country_code, city_en, city_zh, email, phone, accept_marketing, devices, cloud_storage, mall"),
    ("app_id: smartlife\nds: 2026-03-10\nusers: [{uid: a, events: [{event: page_view, date: 2026-03-11}]}]\n"
     "expect: {x: {members: [a]}}\n", "an event on 2026-03-11 is after ds 2026-03-10"),
    ("app_id: smartlife\nds: [\n", "cannot read the test file: while parsing a flow node"),
])
def test_malformed_test_files_are_reported(tmp_path, text, message):
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SegmentTestError) as raised:
        load_case(str(path))
    assert str(raised.value).startswith(f"{path}: {message}") or str(raised.value) == f"{path}: {message}"


def test_an_unknown_segment_and_a_quarantined_event_fail_their_file_alone(spark, tmp_path):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "a_unknown.yaml").write_text(
        "app_id: smartlife\nds: 2026-03-10\nusers: [{uid: a}]\nexpect: {gateway_ownrs: {members: [a]}}\n")
    (folder / "b_quarantined.yaml").write_text(
        "app_id: smartlife\nds: 2026-03-10\nusers: [{uid: a, events: [{event: no_such_event, date: 2026-03-10}]}]\n"
        "expect: {gateway_owners: {not_members: [a]}}\n")
    results = run_tests(spark, str(tmp_path), str(REPO / "segment_defs"))
    assert [r.error for r in results] == [
        f"{folder / 'a_unknown.yaml'}: expect: unknown segment 'gateway_ownrs' for app smartlife; "
        "did you mean: gateway_owners?",
        f"{folder / 'b_quarantined.yaml'}: 1 golden events line(s) of 2026-03-10 were quarantined by ingestion: "
        "unknown_event (1)",
    ]
