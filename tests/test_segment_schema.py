"""The JSON Schema for editors: its catalog enums match the catalogs, a plain JSON Schema validator
using only the schema file flags typos, and the shipped definitions point editors at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from jobs.catalogs import event_catalog, label_catalog
from jobs.segments.sources import load_document
from jobs.segments.language.schema_catalog import refresh_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "segment.schema.json"
MODELINE = "# yaml-language-server: $schema=../../schemas/segment.schema.json"


def plain_validator() -> jsonschema.Draft202012Validator:
    """What an editor does: the schema file alone, no project code."""
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_the_schema_enumerates_the_catalogs_and_has_not_drifted():
    text = SCHEMA.read_text(encoding="utf-8")
    assert refresh_schema(text) == text, "schemas/segment.schema.json is stale: run python scripts/gen_segment_schema.py"
    defs = json.loads(text)["$defs"]
    assert defs["label_name"]["enum"] == list(label_catalog())
    assert defs["event_code"]["enum"] == list(event_catalog())
    assert set(defs["dimension_name"]["enum"]) == {"result", "category", "issue_type", "service"}
    assert set(defs["measure_name"]["enum"]) == {"items", "amount"}
    check = subprocess.run([sys.executable, "scripts/gen_segment_schema.py", "--check"], cwd=REPO, capture_output=True)
    assert check.returncode == 0, check.stderr


def test_drift_is_detected():
    text = SCHEMA.read_text(encoding="utf-8").replace('"has_gateway", ', "", 1)
    assert refresh_schema(text) != text


@pytest.mark.parametrize("condition, where", [
    ({"type": "label", "label": "has_gatway", "op": "eq", "value": True}, ["rule", "all", 0, "label"]),
    ({"type": "behavior", "window": {"last_days": 7}, "event": "device_card_tapp"}, ["rule", "all", 0, "event"]),
    ({"type": "behavior", "window": {"last_days": 7}, "event": "pairing_end",
      "where": [{"dimension": "resutl", "op": "eq", "value": "fail"}]}, ["rule", "all", 0, "where", 0, "dimension"]),
    ({"type": "behavior", "window": {"last_days": 7}, "event": "mall_order_paid", "metric": {"sum": "amont"}},
     ["rule", "all", 0, "metric", "sum"]),
])
def test_a_plain_validator_flags_a_typo(condition, where):
    doc = {"id": "typo", "app_id": "smartlife", "name": "Typo", "rule": {"all": [condition]}}
    errors = [e for e in plain_validator().iter_errors(doc) if e.validator == "enum"]
    assert [list(e.absolute_path) for e in errors] == [where]
    fixed = json.loads(json.dumps(doc).replace("has_gatway", "has_gateway").replace("device_card_tapp", "device_card_tap")
                       .replace("resutl", "result").replace("amont", "amount"))
    assert list(plain_validator().iter_errors(fixed)) == []


def test_shipped_definitions_carry_the_modeline_and_validate_plainly():
    files = sorted((REPO / "segment_defs").glob("*/*.yaml"))
    assert len(files) == 14
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == MODELINE, path
        doc, problems = load_document(str(path), path.name)  # YAML 1.2 as editors read it: dates stay text
        assert problems == [] and list(plain_validator().iter_errors(doc.data)) == [], path
