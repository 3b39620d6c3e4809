"""Imports, refresh once, changes, a broken definition among valid ones, and preview."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from segments_data import DS, label, user, write_inputs

from jobs.delta_io import read_table
from jobs.segments import evaluate_segments, preview
from jobs.segments.language.imports import ImportFailure, parse_import, parse_lines
from jobs.tables import GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES, GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_RUNS

DS2 = DS + dt.timedelta(days=1)


def _defs(tmp_path: Path, files: dict[str, str], predefined: bool = False) -> str:
    defs = tmp_path / "segment_defs"
    if predefined:
        shutil.copytree("segment_defs/_predefined", defs / "_predefined")
    for name, text in files.items():
        (defs / name).parent.mkdir(parents=True, exist_ok=True)
        (defs / name).write_text(text, encoding="utf-8")
    defs.mkdir(exist_ok=True)
    return str(defs)


def _members(spark, root, ds=DS) -> dict[str, set]:
    out: dict[str, set] = {}
    for r in read_table(spark, GOLD_SEGMENT_MEMBERSHIP, root).where(f"ds = DATE'{ds}'").collect():
        out.setdefault(r.segment_id, set()).add((r.uid, r.email, r.param1, r.param2, r.param3))
    return out


IMPORT_CSV = """type,value,param1,param2,param3
uid,u1,gold,a,b
uid,u404,x
uid,u5
phone,+4915112345678,p
phone,+49 151 1234
phone,+4915199999999
email,U1@Example.com
email,ext@example.org,e1
email,not-an-email
email,deleted@example.com
uid,u3
fax,123
uid,u1,too,many,fields,here
uid,u1
"""


def test_parse_import_rejects_malformed_lines():
    lines, failures = parse_import(IMPORT_CSV)
    assert [(ln.line, ln.type, ln.key) for ln in lines] == [
        (2, "uid", "u1"), (3, "uid", "u404"), (4, "uid", "u5"), (5, "phone", "+4915112345678"),
        (7, "phone", "+4915199999999"), (8, "email", "u1@example.com"), (9, "email", "ext@example.org"),
        (11, "email", "deleted@example.com"), (12, "uid", "u3"), (15, "uid", "u1"),
    ]  # line 15 repeats line 2: rejected by the engine, see the failure report test below
    assert failures == [
        ImportFailure(6, "+49 151 1234", "phone is not in E.164 form"),
        ImportFailure(10, "not-an-email", "malformed email"),
        ImportFailure(13, "123", "unknown type 'fax'; expected email, phone or uid"),
        ImportFailure(14, "u1", "expected 2 to 5 fields (type,value,param1,param2,param3), got 6"),
    ]


def test_an_unterminated_quote_fails_its_own_line_only():
    lines, failures = parse_import('type,value,param1\nuid,u1,"gold\nuid,u2,silver\nuid,"u3\nuid,u4\n')
    assert [(ln.line, ln.value, ln.params[0]) for ln in lines] == [(3, "u2", "silver"), (5, "u4", None)]
    assert failures == [
        ImportFailure(2, None, "unterminated quote: a quoted value must end on its own line"),
        ImportFailure(4, None, "unterminated quote: a quoted value must end on its own line"),
    ]


def test_undecodable_line_and_bom():
    outcomes = list(parse_lines([(1, b"\xef\xbb\xbftype,value"), (2, b"uid,\xff\xfe"), (3, b"uid,u9")]))
    assert outcomes[0] == ImportFailure(2, None, "line is not UTF-8 text")
    assert (outcomes[1].line, outcomes[1].key) == (3, "u9")


def test_imported_segment_members_and_failure_report(spark, root, tmp_path):
    defs = _defs(tmp_path, {
        "smartlife/vip.yaml": "id: vip\napp_id: smartlife\nname: VIP\nsource: {csv: vip.csv}\n",
        "smartlife/vip.csv": IMPORT_CSV,
        "smartlife/vip_gateway.yaml": "id: vip_gateway\napp_id: smartlife\nname: VIP with gateway\n"
                                      "rule: {all: [{type: segment, segment: vip}, {type: label, label: has_gateway, op: eq, value: true}]}\n",
    })
    write_inputs(spark, root, [label("u1", has_gateway=True), label("u2"), label("u3", accept_marketing=False),
                               label("u5", user_type="guest")],
                 users=[user("u1", email="u1@example.com"), user("u2", phone="+4915112345678"),
                        user("u3", accept_marketing=False), user("u5", user_type="guest"),
                        user("d1", user_type="deleted", email="deleted@example.com")])
    records = {r.segment_id: r for r in evaluate_segments(spark, root, DS, defs)}
    assert records["vip"].kind == "imported" and records["vip"].status == "published"
    assert records["vip_gateway"].kind == "nested"
    members = _members(spark, root)
    assert members["vip"] == {("u1", None, "gold", "a", "b"), ("u2", None, "p", None, None), (None, "ext@example.org", "e1", None, None)}
    assert members["vip_gateway"] == {("u1", None, None, None, None)}
    assert records["vip"].member_count == 3
    failures = {(r.line, r.value, r.reason) for r in read_table(spark, GOLD_SEGMENT_IMPORT_FAILURES, root).collect()}
    assert failures == {
        (3, "u404", "uid is not a registered user"),
        (4, "u5", "user is not registered"),
        (6, "+49 151 1234", "phone is not in E.164 form"),
        (7, "+4915199999999", "phone matches no registered user"),
        (8, "U1@Example.com", "same user as line 2"),
        (10, "not-an-email", "malformed email"),
        (11, "deleted@example.com", "user is deleted"),
        (12, "u3", "user does not accept marketing"),
        (13, "123", "unknown type 'fax'; expected email, phone or uid"),
        (14, "u1", "expected 2 to 5 fields (type,value,param1,param2,param3), got 6"),
        (15, "u1", "duplicate of line 2"),
    }


ONCE = "id: gw_once\napp_id: smartlife\nname: Gateway once\nrefresh: once\nrule: {type: label, label: has_gateway, op: eq, value: %s}\n"


def test_refresh_once_is_kept_until_changed_minus_deleted_users(spark, root, tmp_path):
    defs = _defs(tmp_path, {"smartlife/gw_once.yaml": ONCE % "true"})
    write_inputs(spark, root, [label("u1", has_gateway=True), label("u2", has_gateway=True), label("u3")], ds=DS)
    first = evaluate_segments(spark, root, DS, defs)[0]
    assert (first.member_count, first.evaluated_ds) == (2, DS)
    # Next day u3 got a gateway (a daily segment would take them) and u2 was deleted (no label row).
    write_inputs(spark, root, [label("u1", ds=DS2, has_gateway=True), label("u3", ds=DS2, has_gateway=True)], ds=DS2)
    kept = evaluate_segments(spark, root, DS2, defs)[0]
    assert (kept.member_count, kept.evaluated_ds, kept.status) == (1, DS, "published")
    assert _members(spark, root, DS2) == {"gw_once": {("u1", None, None, None, None)}}
    changes = {(r.uid, r.change) for r in read_table(spark, GOLD_SEGMENT_CHANGES, root).where(f"ds = DATE'{DS2}'").collect()}
    assert changes == {("u2", "exited")}
    # An explicit refresh recomputes it.
    assert evaluate_segments(spark, root, DS2, defs, refresh=["gw_once"])[0].member_count == 2
    # So does a changed definition (has_gateway false: nobody).
    Path(defs, "smartlife", "gw_once.yaml").write_text(ONCE % "false", encoding="utf-8")
    assert evaluate_segments(spark, root, DS2, defs)[0].member_count == 0


def test_changes_against_previous_published_ds(spark, root, tmp_path):
    defs = _defs(tmp_path, {"smartlife/gw.yaml": ONCE.replace("refresh: once\n", "") % "true"})
    write_inputs(spark, root, [label("u1", has_gateway=True), label("u2", has_gateway=True)], ds=DS)
    evaluate_segments(spark, root, DS, defs)
    write_inputs(spark, root, [label("u1", ds=DS2, has_gateway=True), label("u3", ds=DS2, has_gateway=True)], ds=DS2)
    evaluate_segments(spark, root, DS2, defs)
    rows = read_table(spark, GOLD_SEGMENT_CHANGES, root).collect()
    assert {(r.ds, r.uid, r.change) for r in rows} == {
        (DS, "u1", "entered"), (DS, "u2", "entered"), (DS2, "u2", "exited"), (DS2, "u3", "entered")}


def test_a_deleted_member_leaves_the_change_feed_without_a_trace(spark, root, tmp_path):
    # u2 is a member on DS; on DS2 the snapshot marks u2 deleted (no label row): u2 leaves the
    # membership and, as a deleted user appears in no output, gets no `exited` row either. u3 is
    # simply gone from the snapshot (not marked deleted): an ordinary exit.
    defs = _defs(tmp_path, {"smartlife/gw.yaml": ONCE.replace("refresh: once\n", "") % "true"})
    gw = [label(u, has_gateway=True) for u in ("u1", "u2", "u3")]
    write_inputs(spark, root, gw, ds=DS)
    evaluate_segments(spark, root, DS, defs)
    write_inputs(spark, root, [label("u1", ds=DS2, has_gateway=True)], ds=DS2,
                 users=[user("u1", dt_=DS2), user("u2", dt_=DS2, user_type="deleted")])
    evaluate_segments(spark, root, DS2, defs)
    rows = read_table(spark, GOLD_SEGMENT_CHANGES, root).where(f"ds = DATE'{DS2}'").collect()
    assert {(r.uid, r.change) for r in rows} == {("u3", "exited")}
    assert _members(spark, root, DS2) == {"gw_once": {("u1", None, None, None, None)}}


GOOD = "id: {id}\napp_id: smartlife\nname: {id}\nrule: {{type: label, label: has_gateway, op: eq, value: true}}\n"


def test_broken_definition_fails_alone(spark, root, tmp_path):
    defs = _defs(tmp_path, {
        "smartlife/good_a.yaml": GOOD.format(id="good_a"),
        "smartlife/good_b.yaml": GOOD.format(id="good_b"),
        "smartlife/broken.yaml": "id: broken\napp_id: smartlife\nname: Broken\nrule: {type: label, label: has_gatway, op: eq, value: true}\n",
        "smartlife/uses_broken.yaml": "id: uses_broken\napp_id: smartlife\nname: Uses broken\nrule: {type: segment, segment: broken}\n",
        "smartlife/unparsable.yaml": "id: unparsable\napp_id: smartlife\nname: [x\n",
    }, predefined=True)
    write_inputs(spark, root, [label("u1", has_gateway=True)])
    records = {r.segment_id: r for r in evaluate_segments(spark, root, DS, defs)}
    assert records["good_a"].status == records["good_b"].status == records["churn_stage"].status == "published"
    assert records["good_a"].member_count == 1
    assert (records["broken"].status, records["broken"].reason) == (
        "failed", "smartlife/broken.yaml:4:28: unknown label 'has_gatway'")
    assert (records["uses_broken"].status, records["uses_broken"].reason) == ("failed", "depends on failed segment 'broken'")
    assert (records["unparsable"].status, records["unparsable"].reason) == (
        "failed", "smartlife/unparsable.yaml:4:1: invalid YAML: expected ',' or ']', but got '<stream end>'")
    runs = read_table(spark, GOLD_SEGMENT_RUNS, root).where("status = 'failed'").collect()
    assert {r.segment_id for r in runs} == {"broken", "uses_broken", "unparsable"}
    assert set(_members(spark, root)) >= {"good_a", "good_b", "gateway_owners"}


def test_preview_counts_without_writing(spark, root, tmp_path):
    defs = _defs(tmp_path, {"smartlife/good_a.yaml": GOOD.format(id="good_a")})
    write_inputs(spark, root, [label("u1", has_gateway=True), label("u2", has_gateway=True, accept_marketing=False),
                               label("u3", has_gateway=False)])
    draft = tmp_path / "draft.yaml"
    draft.write_text("id: draft\napp_id: smartlife\nname: Draft\nrule: {any: [{type: segment, segment: good_a}, "
                     "{type: label, label: has_gateway, op: eq, value: true}]}\n", encoding="utf-8")
    result = preview(spark, root, str(draft), defs)
    assert (result.app_id, result.segment_id, result.ds, result.total, result.removed_by_consent, result.errors) == (
        "smartlife", "draft", DS, 1, 1, ())
    assert not Path(root, "gold", "segment_membership").exists()
    draft.write_text("id: draft\napp_id: smartlife\nname: Draft\nrule: {type: label, label: lifecyle, op: eq, value: churn}\n")
    result = preview(spark, root, str(draft), defs)
    assert result.total is None
    assert [e.one_line() for e in result.errors] == ["smartlife/draft.yaml:4:28: unknown label 'lifecyle'"]


@pytest.mark.parametrize("value", ["'); DROP TABLE x; --", "__import__('os')", "ü" * 3000])
def test_hostile_import_values_are_data(value):
    lines, failures = parse_import(f"uid,\"{value}\",\"{value}\"\nemail,\"{value}@x.io\"\n")
    assert [(ln.type, ln.value) for ln in lines][:1] == ([("uid", value)] if len(value) <= 320 else [])
