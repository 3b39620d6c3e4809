"""Drafts: `explain` of a definition file not yet published gives the verdict the run publishes once it
is in the folder; `preview` of an edited copy stands in for the published definition and its
entered/exited equal what the next run publishes; both print the funnel and reach."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.delta_io import read_table
from jobs.segments import evaluate_segments, preview
from jobs.segments.readers.explain import explain
from jobs.segments.readers.explain_draft import explain_draft
from jobs.segments.readers.explain_format import format_explanation
from jobs.tables import BRONZE_USERS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_MEMBERSHIP, GOLD_USER_LABELS
from segments_data import DS, user, write_inputs
from test_segments_explain import DAILY, LABELS, UIDS, USERS

REPO = Path(__file__).resolve().parents[1]
DAY2 = DS + dt.timedelta(days=1)
DRAFT = {"id": "draft_gw", "app_id": "smartlife", "name": "Draft gateway owners",
         "rule": {"all": [{"type": "segment", "segment": "gateway_owners"},
                          {"not": {"type": "label", "label": "platform", "op": "eq", "value": "ios"}}]}}
GW = {"id": "gw", "app_id": "smartlife", "name": "Gateway", "marketing_consent": "ignore",
      "rule": {"type": "label", "label": "has_gateway", "op": "eq", "value": True}}


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("drafts")
    root, defs = str(base / "lakehouse"), base / "segment_defs"
    (defs / "_predefined").mkdir(parents=True)
    for sid in ("gateway_owners", "churn_stage"):
        shutil.copy(REPO / "segment_defs" / "_predefined" / f"{sid}.yaml", defs / "_predefined")
    (defs / "smartlife").mkdir()
    (defs / "smartlife" / "gw.yaml").write_text(json.dumps(GW), encoding="utf-8")
    write_inputs(spark, root, LABELS, DAILY, USERS)
    evaluate_segments(spark, root, DS, str(defs))
    return root, defs


def _users():
    """The snapshot rows of the explain fixture (USERS) as records."""
    from collections import namedtuple

    record = namedtuple("User", [f.name for f in BRONZE_USERS.schema.fields])
    return [record(*row) for row in USERS]


def _members(spark, root, sid, ds) -> set[str]:
    rows = read_table(spark, GOLD_SEGMENT_MEMBERSHIP, root).where(
        (F.col("ds") == F.lit(ds)) & (F.col("segment_id") == F.lit(sid))).collect()
    return {r.uid for r in rows}


def test_explain_of_a_draft_gives_the_verdict_of_the_published_run(spark, lake, tmp_path):
    root, defs = lake
    draft = tmp_path / "draft_gw.yaml"
    draft.write_text(json.dumps(DRAFT), encoding="utf-8")
    drafted = {u: explain_draft(spark, root, str(draft), u, str(defs))[0] for u in UIDS}
    published_root, published_defs = str(tmp_path / "lake"), tmp_path / "defs"
    shutil.copytree(root, published_root)
    shutil.copytree(defs, published_defs)
    shutil.copy(draft, published_defs / "smartlife" / "draft_gw.yaml")
    evaluate_segments(spark, published_root, DS, str(published_defs))
    members = _members(spark, published_root, "draft_gw", DS)
    assert members == {"o1"}  # m1 is on ios, o2 has no gateway, g1 is a guest, d1 is deleted
    assert {u for u, e in drafted.items() if e.member} == members
    for u in UIDS:  # the same explanation, word for word, before and after publishing
        after = explain(spark, published_root, "draft_gw", u, str(published_defs), "smartlife", DS)
        assert format_explanation(drafted[u]) == format_explanation(after)


def test_explain_cli_of_a_draft_prints_funnel_and_reach(lake, tmp_path):
    root, defs = lake
    draft = tmp_path / "draft_gw.yaml"
    draft.write_text(json.dumps(DRAFT), encoding="utf-8")
    args = [sys.executable, "-m", "jobs.cli", "explain", str(draft), "o1", "--root", root, "--defs", str(defs)]
    out = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "smartlife/draft_gw on 2026-03-10: uid o1 is a member"
    assert "  funnel: 4 users of smartlife on 2026-03-10" in out.stdout.splitlines()
    assert "  reach: email 0, sms 0, app 0 (after marketing consent)" in out.stdout.splitlines()
    as_json = json.loads(subprocess.run([*args, "--json"], capture_output=True, text=True, cwd=REPO).stdout)
    assert (as_json["member"], as_json["draft"]["size"], as_json["rule"]["type"]) == (True, 1, "all")
    assert [s["users"] for s in as_json["draft"]["funnel"]] == [2, 1, 1]
    missing = subprocess.run([*args[:4], str(tmp_path / "nope.yaml"), "o1", *args[6:]], capture_output=True, text=True,
                             cwd=REPO)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"error: draft definition not found: {tmp_path / 'nope.yaml'}\n"


def test_preview_of_an_edited_copy_compares_with_the_published_one(spark, lake, tmp_path):
    root, defs = lake
    work_root = str(tmp_path / "lake")
    shutil.copytree(root, work_root)
    names = [f.name for f in GOLD_USER_LABELS.schema.fields]
    moved = [tuple(DAY2 if n == "ds" else v for n, v in zip(names, row)) for row in LABELS]  # the same labels a day later
    write_inputs(spark, work_root, moved, DAILY, [user(u.uid, dt_=DAY2, user_type=u.user_type,
                                                        accept_marketing=u.accept_marketing) for u in _users()], ds=DAY2)
    edited = tmp_path / "elsewhere" / "gateway_v2.yaml"  # an edited copy outside the folder, same app and id
    edited.parent.mkdir()
    edited.write_text(json.dumps({**GW, "rule": {"type": "label", "label": "platform", "op": "eq", "value": "android"}}))
    result = preview(spark, work_root, str(edited), str(defs), DAY2)
    assert result.errors == () and result.replaces == "smartlife/gw.yaml"
    published = _members(spark, root, "gw", DS)
    assert published == {"m1", "o1", "g1"}  # has_gateway, consent ignored
    # android: o1 and g1 (labels unchanged on DAY2): m1 exits, nobody enters
    assert (result.total, result.change.baseline_ds, result.change.entered, result.change.exited) == (2, DS, 0, 1)
    defs_next = tmp_path / "defs_next"
    shutil.copytree(defs, defs_next)
    shutil.copy(edited, defs_next / "smartlife" / "gw.yaml")
    evaluate_segments(spark, work_root, DAY2, str(defs_next))
    feed = read_table(spark, GOLD_SEGMENT_CHANGES, work_root).where(
        (F.col("ds") == F.lit(DAY2)) & (F.col("segment_id") == F.lit("gw"))).collect()
    assert sorted((r.uid, r.change) for r in feed) == [("m1", "exited")]
