"""`lakehouse test --warn-empty`: valid definitions that select nobody on the newest labels are flagged."""

from __future__ import annotations

import json

from jobs.segments.readers.empty import empty_segments, format_empty
from segments_data import DS, label, write_inputs

NOBODY = {"id": "nobody", "app_id": "smartlife", "name": "Nobody",
          "rule": {"all": [{"type": "label", "label": "platform", "op": "eq", "value": "ios"},
                           {"type": "label", "label": "platform", "op": "eq", "value": "android"}]}}
SOMEBODY = {"id": "somebody", "app_id": "smartlife", "name": "Somebody",
            "rule": {"type": "label", "label": "platform", "op": "eq", "value": "ios"}}
BROKEN = {"id": "broken", "app_id": "smartlife", "name": "Broken",
          "rule": {"type": "label", "label": "platfrom", "op": "eq", "value": "ios"}}


def test_empty_segments_are_flagged(spark, tmp_path):
    root = str(tmp_path / "lakehouse")
    write_inputs(spark, root, [label("e1", platform="ios"), label("e2", platform="android")])
    defs = tmp_path / "defs"
    (defs / "smartlife").mkdir(parents=True)
    for doc in (NOBODY, SOMEBODY, BROKEN):
        (defs / "smartlife" / f"{doc['id']}.yaml").write_text(json.dumps(doc), encoding="utf-8")
    found = empty_segments(spark, root, str(defs))
    assert found == (DS, [("smartlife", "nobody", "smartlife/nobody.yaml")])  # the broken one is validate's business
    assert format_empty(found) == "warning: smartlife/nobody (smartlife/nobody.yaml) selects nobody on the labels of 2026-03-10"
    assert format_empty((DS, [])) == "no segment is empty on the labels of 2026-03-10"
