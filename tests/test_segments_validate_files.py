"""`validate` of files as well as folders, every problem of a file in one run (schema errors no longer
hide the semantic checks) and operator suggestions; messages asserted verbatim."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.segments import format_errors, validate
from jobs.segments.language.suggest import suggest_operator

REPO = Path(__file__).resolve().parents[1]
MULTI = """id: multi
app_id: smartlife
name: Multi
descripton: typo key
rule:
  all:
    - {type: label, label: has_gatway, op: eq, value: true}
    - {type: label, label: active_days_30d, op: greater, value: 3}
    - {type: behavior, window: {last_days: 7}, event: device_card_tapp}
"""
MULTI_ERRORS = """\
smartlife/multi.yaml:4:1: unknown key 'descripton'
  at: descripton
  expected: one of app_id, description, id, marketing_consent, name, refresh, rule, source
  did you mean: description

smartlife/multi.yaml:7:28: unknown label 'has_gatway'
  at: rule.all[0].label
  expected: a label of the label catalog
  did you mean: has_gateway

smartlife/multi.yaml:8:49: op 'greater' is not allowed
  at: rule.all[1].op
  expected: one of eq, ne, in, not_in, lt, le, gt, ge, between, is_set, is_not_set, contains, starts_with, within_last_days, before, after
  did you mean: gt

smartlife/multi.yaml:9:55: unknown event 'device_card_tapp'
  at: rule.all[2].event
  expected: an event of the event catalog
  did you mean: device_card_tap

4 errors in 1 file"""


def lakehouse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=REPO)


def test_schema_errors_no_longer_hide_the_semantic_checks(tmp_path):
    (tmp_path / "smartlife").mkdir()
    (tmp_path / "smartlife" / "multi.yaml").write_text(MULTI, encoding="utf-8")
    assert format_errors(validate(str(tmp_path))) == MULTI_ERRORS


def test_a_broken_condition_is_set_aside_and_its_siblings_still_checked(tmp_path):
    (tmp_path / "smartlife").mkdir()
    (tmp_path / "smartlife" / "two.yaml").write_text(
        "id: two\napp_id: smartlife\nname: Two\nrefresh: weekly\nrule:\n  any:\n"
        "    - {type: label, op: eq, value: 1}\n"
        "    - {type: segment, segment: gateway_ownerz}\n", encoding="utf-8")
    assert [e.one_line() for e in validate(str(tmp_path))] == [
        "smartlife/two.yaml:4:10: refresh 'weekly' is not allowed",
        "smartlife/two.yaml:7:7: missing key 'label'",
        "smartlife/two.yaml:8:32: segment 'gateway_ownerz' does not exist",
    ]


@pytest.mark.parametrize("written, meant", [
    ("greater", "gt"), ("greater_than", "gt"), (">=", "ge"), ("gte", "ge"), ("equals", "eq"), ("=", "eq"),
    ("not in", "not_in"), ("!=", "ne"), ("less", "lt"), ("startswith", "starts_with"), ("exists", "is_set"),
    ("betwen", "between"), ("withinlastdays", "within_last_days"),
])
def test_operator_suggestions(written, meant):
    ops = ["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", "is_set", "is_not_set", "contains",
           "starts_with", "within_last_days", "before", "after"]
    assert suggest_operator(written, ops) == meant


def test_validate_a_file_with_its_folder_and_json(tmp_path):
    draft = tmp_path / "multi.yaml"
    draft.write_text(MULTI, encoding="utf-8")
    out = lakehouse("validate", str(draft))
    assert (out.returncode, out.stdout, out.stderr) == (1, MULTI_ERRORS + "\n", "")
    as_json = json.loads(lakehouse("validate", str(draft), "--json").stdout)
    assert as_json["valid"] is False and [(e["line"], e["column"], e["suggestion"]) for e in as_json["errors"]] == [
        (4, 1, "description"), (7, 28, "has_gateway"), (8, 49, "gt"), (9, 55, "device_card_tap")]
    good = lakehouse("validate", "segment_defs/smartlife/gateway_owners_active.yaml", "segment_defs/_predefined")
    assert (good.returncode, good.stdout) == (0, "all segment definitions under segment_defs/smartlife/"
                                                 "gateway_owners_active.yaml, segment_defs/_predefined are valid\n")
    missing = lakehouse("validate", str(tmp_path / "nope.yaml"))
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"error: no segment definition file or folder at {tmp_path / 'nope.yaml'}\n"
