"""`lakehouse plan` on a copy of the sample lakehouse with one new, one changed, one removed, one
broken and the rest unchanged definitions; its entered/exited equal what the next run publishes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from deltalake import DeltaTable

REPO = Path(__file__).resolve().parents[1]
DS = dt.date(2026, 6, 30)
NEW = """id: ios_active
app_id: smartlife
name: Active iOS users
rule:
  all:
    - {type: label, label: platform, op: eq, value: ios}
    - {type: label, label: active_days_30d, op: ge, value: 1}
"""


def lakehouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=600)


def rows(root: str, name: str, filters) -> list[dict]:
    return DeltaTable(f"{root}/{name}").to_pyarrow_table(filters=filters).to_pylist()


@pytest.fixture(scope="module")
def planned(sample_lake, tmp_path_factory):
    work = tmp_path_factory.mktemp("plan")
    root, defs = str(work / "lake"), work / "defs"
    shutil.copytree(sample_lake, root)
    shutil.copytree(REPO / "segment_defs", defs)
    (defs / "smartlife" / "ios_active.yaml").write_text(NEW, encoding="utf-8")  # new
    active = defs / "smartlife" / "gateway_owners_active.yaml"  # changed: a week of taps instead of a day
    active.write_text(active.read_text(encoding="utf-8").replace("window: {last_days: 1}", "window: {last_days: 7}"))
    (defs / "_predefined" / "prefer_mall.yaml").unlink()  # removed (a predefined one: planned per app)
    spenders = defs / "smartlife" / "big_spenders_q1.yaml"  # broken
    spenders.write_text(spenders.read_text(encoding="utf-8").replace("label: platform", "label: platfrom"))
    text = subprocess.Popen([sys.executable, "-m", "jobs.cli", "plan", "--defs", str(defs), "--root", root],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    as_json = lakehouse("plan", "--defs", str(defs), "--root", root, "--json", "--ds", "latest")
    stdout, stderr = text.communicate(timeout=600)
    run = lakehouse("run", "2026-06-30", "--defs", str(defs), "--root", root)
    return {"text": subprocess.CompletedProcess([], text.returncode, stdout, stderr), "json": as_json, "run": run,
            "root": root, "sample": sample_lake}


def _by_id(plan: dict) -> dict:
    return {s["segment_id"]: s for s in plan["segments"]}


def test_plan_exit_status_and_json_shape(planned):
    result = planned["json"]
    assert result.returncode == 1, result.stderr  # one broken definition
    plan = json.loads(result.stdout)
    assert plan["format_version"] == 1 and plan["ds"] == "2026-06-30" and plan["broken"] is True
    assert plan["summary"] == {"new": 1, "changed": 1, "removed": 1, "broken": 1, "unchanged": 11}
    found = _by_id(plan)
    assert {k: found[k]["status"] for k in found} == {
        "ios_active": "new", "gateway_owners_active": "changed", "prefer_mall": "removed",
        "big_spenders_q1": "broken"}
    assert len(plan["unchanged"]) == 11 and {"app_id": "smartlife", "segment_id": "vip_import"} in plan["unchanged"]
    broken = found["big_spenders_q1"]
    assert [(e["file"], e["message"], e["suggestion"]) for e in broken["errors"]] == [
        ("smartlife/big_spenders_q1.yaml", "unknown label 'platfrom'", "platform")]
    assert broken["size"] is None and broken["entered"] is None
    assert found["ios_active"]["published_hash"] is None and found["ios_active"]["baseline_ds"] is None
    changed = found["gateway_owners_active"]
    assert changed["published_hash"] != changed["definition_hash"] and changed["baseline_ds"] == "2026-06-29"
    assert [s["condition"] for s in changed["funnel"]] == [
        "has_gateway = true", "device_card_tap times >= 1 in last 7 days", "not (in segment churn_stage)",
        "accept_marketing (consent)"]
    assert changed["funnel"][-1]["users"] == changed["size"]
    assert set(changed["reach"]) == {"email", "sms", "app"}


def test_plan_numbers_equal_what_the_next_run_publishes(planned):
    assert planned["run"].returncode == 1, planned["run"].stderr  # the broken definition fails alone
    root = planned["root"]
    found = _by_id(json.loads(planned["json"].stdout))
    runs = {r["segment_id"]: r for r in rows(root, "gold/segment_runs", [("ds", "=", DS), ("app_id", "=", "smartlife")])}
    changes = Counter((r["segment_id"], r["change"]) for r in rows(root, "gold/segment_changes", [("ds", "=", DS)]))
    for sid in ("ios_active", "gateway_owners_active"):
        assert runs[sid]["status"] == "published"
        assert (found[sid]["size"], found[sid]["entered"], found[sid]["exited"]) == (
            runs[sid]["member_count"], changes[(sid, "entered")], changes[(sid, "exited")]), sid
    assert found["ios_active"]["entered"] == found["ios_active"]["size"] > 0
    assert found["gateway_owners_active"]["entered"] > 0  # a week of taps lets more owners in
    assert runs["big_spenders_q1"]["status"] == "failed"
    removed = found["prefer_mall"]
    published = {r["uid"] for r in rows(planned["sample"], "gold/segment_membership",
                                         [("ds", "=", dt.date(2026, 6, 29)), ("segment_id", "=", "prefer_mall")])}
    deleted = {r["uid"] for r in rows(planned["sample"], "bronze/users", [("dt", "=", DS)]) if r["user_type"] == "deleted"}
    assert len(published - deleted) > 0
    assert runs.get("prefer_mall", {}).get("status") in (None, "retired")  # the run publishes no members for it
    assert changes[("prefer_mall", "exited")] in (0, len(published - deleted))  # retirement may or may not record exits
    assert (removed["entered"], removed["exited"], removed["published_members"]) == (
        0, len(published - deleted), len(published - deleted))


def test_plan_text(planned):
    result = planned["text"]
    assert result.returncode == 1, result.stderr
    text = result.stdout
    found = _by_id(json.loads(planned["json"].stdout))
    new = found["ios_active"]
    assert (f"+ new      smartlife/ios_active (custom, smartlife/ios_active.yaml)\n"
            f"    size {new['size']} on 2026-06-30 ({new['removed_by_consent']} removed by the marketing consent rule); "
            f"never published: {new['entered']} would enter, 0 would exit\n") in text
    changed = found["gateway_owners_active"]
    assert (f"~ changed  smartlife/gateway_owners_active (nested, smartlife/gateway_owners_active.yaml)\n"
            f"    size {changed['size']} on 2026-06-30 ({changed['removed_by_consent']} removed by the marketing "
            f"consent rule); against {changed['published_members']} members published on 2026-06-29: "
            f"{changed['entered']} would enter, {changed['exited']} would exit\n") in text
    removed = found["prefer_mall"]
    assert (f"- removed  smartlife/prefer_mall (predefined, _predefined/prefer_mall.yaml)\n"
            f"    would be retired: against {removed['published_members']} members published on 2026-06-29: "
            f"{removed['exited']} would exit\n") in text
    assert "! broken   smartlife/big_spenders_q1 (custom, smartlife/big_spenders_q1.yaml)\n" in text
    assert "    smartlife/big_spenders_q1.yaml:9:28: unknown label 'platfrom'\n" in text
    assert "= unchanged: 11 segments (" in text
    assert text.rstrip().endswith("plan: 1 new, 1 changed, 1 removed, 1 broken, 11 unchanged; nothing was written")
    assert result.stderr == ""
