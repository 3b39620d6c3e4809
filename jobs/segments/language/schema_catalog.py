"""The catalog part of the segment JSON Schema: label names, event codes, dimensions and measures as enums.

Generated from ``jobs/catalogs`` into four one-line ``$defs`` of ``schemas/segment.schema.json``
(``scripts/gen_segment_schema.py``), so an editor completes them and flags a typo; a test fails
when the file drifts from the catalogs. The validator reports these four itself, with a
did-you-mean (``passes``), so ``schema`` leaves their enum errors to it.
"""

from __future__ import annotations

import json
import re

from jobs.catalogs import event_catalog, label_catalog

GENERATED = ("label_name", "event_code", "dimension_name", "measure_name")


def catalog_defs() -> dict[str, dict]:
    """The four generated ``$defs``, from the label and event catalogs (catalog order)."""
    events = event_catalog()
    dimensions = sorted({d for spec in events.values() for d in spec.dimensions})
    measures = sorted({m for spec in events.values() for m in spec.measures})
    return {
        "label_name": {"description": "A label of the label catalog (jobs/catalogs/labels.yaml).",
                       "type": "string", "enum": list(label_catalog())},
        "event_code": {"description": "An event code of the event catalog (jobs/catalogs/events.yaml).",
                       "type": "string", "enum": list(events)},
        "dimension_name": {"description": "A dimension of the event catalog (which ones an event has: docs/segments.md).",
                           "type": "string", "enum": dimensions},
        "measure_name": {"description": "A numeric measure of the event catalog.", "type": "string", "enum": measures},
    }


def refresh_schema(text: str) -> str:
    """The schema text with the four generated ``$defs`` lines replaced by the catalogs' current ones."""
    for name, value in catalog_defs().items():
        line = re.compile(rf'^(    "{name}": ).*?(,?)$', re.MULTILINE)
        if not line.search(text):
            raise ValueError(f"schemas/segment.schema.json has no line for $defs.{name}")
        text = line.sub(lambda m, v=value: m.group(1) + json.dumps(v, ensure_ascii=False) + m.group(2), text, count=1)
    return text
